/*
 * csv_header.c - where a CSV export's table starts and ends.
 *
 * The header search works on physical lines, not records: a preamble line
 * is free text that may hold a lone quote, which would make a real CSV
 * parse swallow the lines after it.  Each line is split on its own, and a
 * line whose quotes do not balance is simply not a header.
 */
#include "csv_header.h"

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
