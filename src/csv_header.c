/*
 * csv_header.c - where a CSV export's table starts and ends.
 *
 * The header search works on physical lines, not records: a preamble line
 * is free text that may hold a lone quote, which would make a real CSV
 * parse swallow the lines after it.  Each line is split on its own, and a
 * line whose quotes do not balance is simply not a header.
 */
#include "csv_header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALF_HDR_CELL_MAX	256		/* longer cells cannot be field names */
#define ALF_HDR_MAX_KNOWN	256

/* Index of norm in known (NULL-ended), or -1. */
static int
alf_hdr_known_index(const char *const *known, const char *norm)
{
	int			i;

	for (i = 0; known[i] != NULL && i < ALF_HDR_MAX_KNOWN; i++)
		if (strcmp(known[i], norm) == 0)
			return i;
	return -1;
}

/*
 * Counts the distinct known names among the cells of line[0..len).
 * Returns -1 if the line is not one complete record (unbalanced quote,
 * text after a closing quote, NUL byte).
 */
static int
alf_hdr_count_matches(const char *line, size_t len, const char *const *known)
{
	unsigned char seen[ALF_HDR_MAX_KNOWN];
	char		cell[ALF_HDR_CELL_MAX];
	char		norm[ALF_HDR_CELL_MAX];
	size_t		pos = 0;
	int			matches = 0;

	memset(seen, 0, sizeof(seen));
	for (;;)
	{
		size_t		n = 0;
		int			too_long = 0;
		int			k;

		if (pos < len && line[pos] == '"')
		{
			pos++;
			for (;;)
			{
				if (pos >= len)
					return -1;	/* the quote does not close on this line */
				if (line[pos] == '\0')
					return -1;
				if (line[pos] == '"')
				{
					if (pos + 1 < len && line[pos + 1] == '"')
						pos++;	/* "" is one quote */
					else
						break;
				}
				if (n + 1 < sizeof(cell))
					cell[n++] = line[pos];
				else
					too_long = 1;
				pos++;
			}
			pos++;				/* the closing quote */
			if (pos < len && line[pos] != ',')
				return -1;
		}
		else
		{
			while (pos < len && line[pos] != ',')
			{
				if (line[pos] == '\0')
					return -1;
				if (n + 1 < sizeof(cell))
					cell[n++] = line[pos];
				else
					too_long = 1;
				pos++;
			}
		}
		cell[n] = '\0';
		if (!too_long)
		{
			alf_normalize_name(cell, norm, sizeof(norm));
			k = norm[0] != '\0' ? alf_hdr_known_index(known, norm) : -1;
			if (k >= 0 && !seen[k])
			{
				seen[k] = 1;
				matches++;
			}
		}
		if (pos >= len)
			break;
		pos++;					/* the comma */
	}
	return matches;
}

long
alf_csv_find_header(const char *buf, size_t len, const char *const *known,
					int min_matches, int max_lines)
{
	size_t		pos = 0;
	int			lines = 0;

	if (buf == NULL || known == NULL)
		return -1;
	if (len >= 3 && (unsigned char) buf[0] == 0xEF &&
		(unsigned char) buf[1] == 0xBB && (unsigned char) buf[2] == 0xBF)
		pos = 3;
	while (pos < len && lines < max_lines)
	{
		size_t		end = pos;

		while (end < len && buf[end] != '\n' && buf[end] != '\r')
			end++;
		if (end > pos && alf_hdr_count_matches(buf + pos, end - pos, known) >= min_matches)
			return (long) pos;
		lines++;
		if (end < len && buf[end] == '\r' && end + 1 < len && buf[end + 1] == '\n')
			end++;
		pos = end + 1;
	}
	return -1;
}

static int
alf_hdr_is_blank(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static int
alf_hdr_starts_with_ci(const char *s, size_t len, const char *prefix)
{
	size_t		n = strlen(prefix);
	size_t		i;

	if (len < n)
		return 0;
	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != prefix[i])
			return 0;
	}
	return 1;
}

int
alf_csv_record_is_footer(const AlfCsvReader *r)
{
	const char *text = NULL;
	size_t		tlen = 0;
	int			nonblank = 0;
	int			i;
	size_t		j;
	int			letters = 0;

	for (i = 0; i < alf_csv_nfields(r); i++)
	{
		size_t		flen;
		const char *f = alf_csv_field(r, i, &flen);

		if (!alf_hdr_is_blank(f, flen))
		{
			nonblank++;
			text = f;
			tlen = flen;
		}
	}
	if (nonblank != 1)
		return 0;
	while (tlen > 0 && (*text == ' ' || *text == '\t'))
	{
		text++;
		tlen--;
	}
	if (alf_hdr_starts_with_ci(text, tlen, "total") ||
		alf_hdr_starts_with_ci(text, tlen, "end of"))
		return 1;
	/* "Label words: value" */
	for (j = 0; j < tlen && j < 64; j++)
	{
		char		c = text[j];

		if (c == ':')
			return letters > 0;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			letters++;
		else if (c != ' ')
			return 0;
	}
	return 0;
}

/* ---- unique keys for a header row ---- */

/* One string in the key table: a key in use, a base name, or both. */
typedef struct AlfHdrEntry
{
	const char *s;				/* NULL: free slot */
	size_t		len;
	int			taken;			/* s is the key of a cell */
	int			next_copy;		/* as a base: the next k to try (0: 2) */
} AlfHdrEntry;

typedef struct AlfHdrTable
{
	AlfHdrEntry *slots;
	size_t		mask;			/* size - 1, size a power of two */
	long		ops;
} AlfHdrTable;

/* FNV-1a */
static size_t
alf_hdr_hash(const char *s, size_t len)
{
	size_t		h = (size_t) 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= (size_t) 16777619u;
	}
	return h;
}

/*
 * The entry for s[0..len), added if absent (pointing at s, which must
 * then outlive the table).  The table has at least twice as many slots as
 * it will ever hold entries, so a free slot is always found.
 */
static AlfHdrEntry *
alf_hdr_lookup(AlfHdrTable *t, const char *s, size_t len, int add)
{
	size_t		i = alf_hdr_hash(s, len) & t->mask;

	for (;;)
	{
		AlfHdrEntry *e = &t->slots[i];

		t->ops++;
		if (e->s == NULL)
		{
			if (!add)
				return NULL;
			e->s = s;
			e->len = len;
			return e;
		}
		if (e->len == len && memcmp(e->s, s, len) == 0)
			return e;
		i = (i + 1) & t->mask;
	}
}

int
alf_csv_header_keys(const AlfCsvReader *r, char ***keys_out, long *ops)
{
	int			ncols = alf_csv_nfields(r);
	size_t		bytes = 0;
	size_t		size;
	size_t		nslots;
	char	  **keys;
	char	   *out;
	AlfHdrTable t;
	int			i;

	*keys_out = NULL;
	if (ops)
		*ops = 0;
	if (ncols > ALF_CSV_HEADER_MAX_COLUMNS)
		return ALF_HDR_TOO_MANY_COLUMNS;
	for (i = 0; i < ncols; i++)
	{
		size_t		len;

		(void) alf_csv_field(r, i, &len);
		bytes += len + 1;
	}
	if (bytes > ALF_CSV_HEADER_MAX_BYTES)
		return ALF_HDR_TOO_LONG;

	/* room for every key at its longest: "<name or column> (<int>)" */
	size = (size_t) ncols * sizeof(char *) + bytes + (size_t) ncols * 32;
	keys = malloc(size > 0 ? size : 1);
	/* entries: at most one key and one base per cell, plus "column" */
	for (nslots = 16; nslots < 4 * ((size_t) ncols + 1); nslots *= 2)
		;
	t.slots = calloc(nslots, sizeof(AlfHdrEntry));
	t.mask = nslots - 1;
	t.ops = 0;
	if (keys == NULL || t.slots == NULL)
	{
		free(keys);
		free(t.slots);
		return ALF_HDR_NO_MEMORY;
	}
	out = (char *) (keys + ncols);

	for (i = 0; i < ncols; i++)
	{
		size_t		len;
		const char *name = alf_csv_field(r, i, &len);
		const char *base = len > 0 ? name : "column";
		size_t		base_len = len > 0 ? len : strlen("column");
		AlfHdrEntry *e;

		/* the first choice: the name itself, or "column N" */
		if (len > 0)
			memcpy(out, name, len + 1);
		else
			len = (size_t) sprintf(out, "column %d", i + 1);
		e = alf_hdr_lookup(&t, out, len, 1);
		if (e->taken)
		{
			/* a copy: the least free "base (k)", k counting on per base */
			AlfHdrEntry *b = alf_hdr_lookup(&t, base, base_len, 1);
			int			k = b->next_copy > 0 ? b->next_copy : 2;

			memcpy(out, base, base_len);
			for (;; k++)
			{
				len = base_len + (size_t) sprintf(out + base_len, " (%d)", k);
				e = alf_hdr_lookup(&t, out, len, 1);
				if (!e->taken)
					break;
			}
			b->next_copy = k + 1;
		}
		e->taken = 1;
		keys[i] = out;
		out += len + 1;
	}
	free(t.slots);
	if (ops)
		*ops = t.ops;
	*keys_out = keys;
	return ALF_HDR_OK;
}
