/*
 * csv_reader.c - RFC 4180 CSV reader over an in-memory buffer.
 *
 * Layout: the current record's fields live back to back in one growing
 * text buffer, each followed by a NUL, and a growing array holds where
 * each field starts.  Field i's length is the distance to the next start
 * minus its NUL.  Both buffers only grow (geometrically), so steady-state
 * reading does no allocation at all.
 *
 * Unescaped runs are found with byte-class tables and copied with one
 * memcpy per run rather than byte by byte.
 */
#include "csv_reader.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALF_CSV_INITIAL_TEXT	256
#define ALF_CSV_INITIAL_FIELDS	16

struct AlfCsvReader
{
	const char *buf;
	size_t		len;
	size_t		pos;			/* next byte to read */
	long		line;			/* physical line of buf[pos], 1-based */
	long		record_line;	/* line where the current record starts */

	char	   *text;			/* current record's fields, NUL-separated */
	size_t		text_len;
	size_t		text_cap;

	size_t	   *starts;			/* offset of each field in text */
	int			nfields;
	size_t		starts_cap;

	const char *error;			/* static message, NULL if none */
};

/* How a field ended. */
typedef enum AlfCsvFieldEnd
{
	ALF_CSV_END_COMMA,			/* another field follows */
	ALF_CSV_END_RECORD,			/* line break or end of input */
	ALF_CSV_END_ERROR
} AlfCsvFieldEnd;

/* Bytes that stop a run inside an unquoted / quoted field. */
static const unsigned char alf_csv_stops_unquoted[256] = {
	[0] = 1, [','] = 1, ['\n'] = 1, ['\r'] = 1
};
static const unsigned char alf_csv_stops_quoted[256] = {
	[0] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1
};

static int
alf_csv_fail(AlfCsvReader *r, const char *message)
{
	r->error = message;
	r->nfields = 0;
	r->text_len = 0;
	return 0;
}

/* Makes room for extra more bytes of field text; 0 (with error set) on
 * overflow or out of memory. */
static int
alf_csv_reserve_text(AlfCsvReader *r, size_t extra)
{
	size_t		need,
				cap;
	char	   *grown;

	if (extra > SIZE_MAX - r->text_len)
		return alf_csv_fail(r, "out of memory");
	need = r->text_len + extra;
	if (need <= r->text_cap)
		return 1;
	cap = r->text_cap ? r->text_cap : ALF_CSV_INITIAL_TEXT;
	while (cap < need)
	{
		if (cap > SIZE_MAX / 2)
		{
			cap = need;
			break;
		}
		cap *= 2;
	}
	grown = realloc(r->text, cap);
	if (grown == NULL)
		return alf_csv_fail(r, "out of memory");
	r->text = grown;
	r->text_cap = cap;
	return 1;
}

static int
alf_csv_append(AlfCsvReader *r, const char *bytes, size_t n)
{
	if (n == 0)
		return 1;
	if (!alf_csv_reserve_text(r, n))
		return 0;
	memcpy(r->text + r->text_len, bytes, n);
	r->text_len += n;
	return 1;
}

/* Records that a new field starts at the current end of the text. */
static int
alf_csv_begin_field(AlfCsvReader *r)
{
	if ((size_t) r->nfields == r->starts_cap)
	{
		size_t		cap;
		size_t	   *grown;

		if (r->nfields == INT_MAX)
			return alf_csv_fail(r, "too many fields");
		cap = r->starts_cap ? r->starts_cap * 2 : ALF_CSV_INITIAL_FIELDS;
		if (cap > (size_t) INT_MAX)
			cap = (size_t) INT_MAX;
		if (cap > SIZE_MAX / sizeof(size_t))
			return alf_csv_fail(r, "out of memory");
		grown = realloc(r->starts, cap * sizeof(size_t));
		if (grown == NULL)
			return alf_csv_fail(r, "out of memory");
		r->starts = grown;
		r->starts_cap = cap;
	}
	r->starts[r->nfields++] = r->text_len;
	return 1;
}

/*
 * Consumes what follows a field: ',' or a line break (CRLF, LF, CR) or end
 * of input.  Anything else is only possible after a closing quote.
 */
static AlfCsvFieldEnd
alf_csv_field_terminator(AlfCsvReader *r)
{
	char		ch;

	if (r->pos >= r->len)
		return ALF_CSV_END_RECORD;
	ch = r->buf[r->pos];
	if (ch == ',')
	{
		r->pos++;
		return ALF_CSV_END_COMMA;
	}
	if (ch == '\n' || ch == '\r')
	{
		r->pos++;
		if (ch == '\r' && r->pos < r->len && r->buf[r->pos] == '\n')
			r->pos++;
		r->line++;
		return ALF_CSV_END_RECORD;
	}
	alf_csv_fail(r, "unexpected text after closing quote");
	return ALF_CSV_END_ERROR;
}

static AlfCsvFieldEnd
alf_csv_read_unquoted(AlfCsvReader *r)
{
	const char *buf = r->buf;
	size_t		start = r->pos;
	size_t		pos = start;

	while (pos < r->len && !alf_csv_stops_unquoted[(unsigned char) buf[pos]])
		pos++;
	r->pos = pos;
	if (pos < r->len && buf[pos] == '\0')
	{
		alf_csv_fail(r, "NUL byte in input");
		return ALF_CSV_END_ERROR;
	}
	if (!alf_csv_append(r, buf + start, pos - start))
		return ALF_CSV_END_ERROR;
	return alf_csv_field_terminator(r);
}

/* Reads a field whose first byte (at r->pos) is the opening quote. */
static AlfCsvFieldEnd
alf_csv_read_quoted(AlfCsvReader *r)
{
	const char *buf = r->buf;
	size_t		len = r->len;
	size_t		pos = r->pos + 1;

	for (;;)
	{
		size_t		start = pos;
		char		ch;

		for (;;)
		{
			while (pos < len && !alf_csv_stops_quoted[(unsigned char) buf[pos]])
				pos++;
			if (pos >= len)
				break;
			ch = buf[pos];
			if (ch == '"')
				break;
			if (ch == '\0')
			{
				r->pos = pos;
				alf_csv_fail(r, "NUL byte in input");
				return ALF_CSV_END_ERROR;
			}
			/* Line breaks are field data here, but still advance the count
			 * so later records report the right line; CRLF counts once. */
			if (ch == '\n' || pos + 1 >= len || buf[pos + 1] != '\n')
				r->line++;
			pos++;
		}
		if (!alf_csv_append(r, buf + start, pos - start))
			return ALF_CSV_END_ERROR;
		if (pos >= len)
		{
			r->pos = pos;
			alf_csv_fail(r, "unterminated quoted field");
			return ALF_CSV_END_ERROR;
		}
		pos++;					/* the quote */
		if (pos < len && buf[pos] == '"')
		{
			if (!alf_csv_append(r, "\"", 1))
				return ALF_CSV_END_ERROR;
			pos++;
			continue;
		}
		break;
	}
	r->pos = pos;
	return alf_csv_field_terminator(r);
}

AlfCsvReader *
alf_csv_open(const char *buf, size_t len)
{
	AlfCsvReader *r = calloc(1, sizeof(AlfCsvReader));

	if (r == NULL)
		return NULL;
	r->buf = buf;
	r->len = (buf != NULL) ? len : 0;
	r->line = 1;
	if (r->len >= 3 && (unsigned char) buf[0] == 0xEF &&
		(unsigned char) buf[1] == 0xBB && (unsigned char) buf[2] == 0xBF)
		r->pos = 3;
	return r;
}

int
alf_csv_next(AlfCsvReader *r)
{
	AlfCsvFieldEnd end;

	if (r == NULL)
		return -1;
	if (r->error != NULL)
		return -1;
	r->nfields = 0;
	r->text_len = 0;

	/* Blank lines carry no record (RFC 4180 does not allow empty records,
	 * and exports often end with several line breaks). */
	while (r->pos < r->len)
	{
		char		ch = r->buf[r->pos];

		if (ch == '\n')
			r->pos++;
		else if (ch == '\r')
		{
			r->pos++;
			if (r->pos < r->len && r->buf[r->pos] == '\n')
				r->pos++;
		}
		else
			break;
		r->line++;
	}
	if (r->pos >= r->len)
		return 0;

	r->record_line = r->line;
	do
	{
		if (!alf_csv_begin_field(r))
			return -1;
		if (r->pos < r->len && r->buf[r->pos] == '"')
			end = alf_csv_read_quoted(r);
		else
			end = alf_csv_read_unquoted(r);
		if (end == ALF_CSV_END_ERROR || !alf_csv_append(r, "", 1))
		{
			if (r->error == NULL)
				alf_csv_fail(r, "out of memory");
			return -1;
		}
	} while (end == ALF_CSV_END_COMMA);
	return 1;
}

int
alf_csv_nfields(const AlfCsvReader *r)
{
	return (r != NULL) ? r->nfields : 0;
}

const char *
alf_csv_field(const AlfCsvReader *r, int i, size_t *len)
{
	size_t		start,
				next;

	if (r == NULL || i < 0 || i >= r->nfields)
	{
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	start = r->starts[i];
	next = (i + 1 < r->nfields) ? r->starts[i + 1] : r->text_len;
	if (len != NULL)
		*len = next - start - 1;	/* minus the field's NUL */
	return r->text + start;
}

long
alf_csv_line(const AlfCsvReader *r)
{
	return (r != NULL) ? r->record_line : 0;
}

const char *
alf_csv_error(const AlfCsvReader *r)
{
	return (r != NULL) ? r->error : NULL;
}

void
alf_csv_close(AlfCsvReader *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->starts);
	free(r);
}

void
alf_normalize_name(const char *in, char *out, size_t outlen)
{
	size_t		n = 0;

	if (out == NULL || outlen == 0)
		return;
	if (in != NULL)
	{
		for (; *in != '\0' && n + 1 < outlen; in++)
		{
			char		ch = *in;

			if (ch == ' ' || ch == '\t' || ch == '-' || ch == '_')
				continue;
			if (ch >= 'A' && ch <= 'Z')
				ch = (char) (ch - 'A' + 'a');
			out[n++] = ch;
		}
	}
	out[n] = '\0';
}
