/*
 * test_csv.c - unit tests for src/csv_reader.c.
 *
 * Most cases render every record of an input as "[f1][f2]...\n" and
 * compare with the expected rendering, which shows empty fields and
 * record boundaries at a glance.
 */
#include "csv_reader.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define RENDER_MAX 4096

/*
 * Reads all of buf[0..len) and renders it into out.  Returns what the last
 * alf_csv_next returned (0 = clean end, -1 = error); *error_out receives
 * the error message and *error_line the line of the failing record.
 */
static int
render_csv(const char *buf, size_t len, char *out, const char **error_out,
		   long *error_line)
{
	AlfCsvReader *r = alf_csv_open(buf, len);
	size_t		used = 0;
	int			rc;

	out[0] = '\0';
	*error_out = NULL;
	*error_line = 0;
	if (r == NULL)
		return -2;
	while ((rc = alf_csv_next(r)) == 1)
	{
		int			i;

		for (i = 0; i < alf_csv_nfields(r); i++)
		{
			size_t		flen;
			const char *f = alf_csv_field(r, i, &flen);

			if (used + flen + 3 < RENDER_MAX)
			{
				out[used++] = '[';
				memcpy(out + used, f, flen);
				used += flen;
				out[used++] = ']';
			}
		}
		if (used + 2 < RENDER_MAX)
			out[used++] = '\n';
		out[used] = '\0';
	}
	*error_out = alf_csv_error(r);
	*error_line = alf_csv_line(r);
	alf_csv_close(r);
	return rc;
}

/* Checks that text (NUL-terminated) reads cleanly as expected. */
#define CHECK_RENDER(text, expected) \
	check_render_len((text), sizeof(text) - 1, (expected), __LINE__)

static void
check_render_len(const char *buf, size_t len, const char *expected, int line)
{
	char		out[RENDER_MAX];
	char		context[64];
	const char *error;
	long		error_line;
	int			rc = render_csv(buf, len, out, &error, &error_line);

	snprintf(context, sizeof(context), "case at test_csv.c:%d", line);
	UNIT_SET_CONTEXT(context);
	UNIT_CHECK_INT(rc, 0);
	UNIT_CHECK_STR(error, NULL);
	UNIT_CHECK_STR(out, expected);
	UNIT_SET_CONTEXT("");
}

/* Checks that text fails with the given error at the given record line,
 * after producing the expected records. */
#define CHECK_ERROR(text, expected, message, line_no) \
	check_error_len((text), sizeof(text) - 1, (expected), (message), (line_no), __LINE__)

static void
check_error_len(const char *buf, size_t len, const char *expected,
				const char *message, long line_no, int line)
{
	char		out[RENDER_MAX];
	char		context[64];
	const char *error;
	long		error_line;
	int			rc = render_csv(buf, len, out, &error, &error_line);

	snprintf(context, sizeof(context), "case at test_csv.c:%d", line);
	UNIT_SET_CONTEXT(context);
	UNIT_CHECK_INT(rc, -1);
	UNIT_CHECK_STR(error, message);
	UNIT_CHECK_INT(error_line, line_no);
	UNIT_CHECK_STR(out, expected);
	UNIT_SET_CONTEXT("");
}

static void
test_basic_shapes(void)
{
	CHECK_RENDER("a,b,c\n1,2,3\n", "[a][b][c]\n[1][2][3]\n");
	CHECK_RENDER("a,b,c\n1,2,3", "[a][b][c]\n[1][2][3]\n");	/* no final newline */
	CHECK_RENDER("x", "[x]\n");
	CHECK_RENDER("", "");
	CHECK_RENDER("\n\n\r\n\r", "");
	CHECK_RENDER("a,,b\n,,\n", "[a][][b]\n[][][]\n");
	CHECK_RENDER("a,b,", "[a][b][]\n");	/* trailing empty field */
	CHECK_RENDER("a,b,\n", "[a][b][]\n");
	CHECK_RENDER(",", "[][]\n");
	CHECK_RENDER("a\nb,c,d,e\nf,g\n", "[a]\n[b][c][d][e]\n[f][g]\n");	/* ragged */
	CHECK_RENDER(" a , b \n", "[ a ][ b ]\n");	/* spaces are data */
	CHECK_RENDER("\t,x\n", "[\t][x]\n");
}

static void
test_line_endings(void)
{
	CHECK_RENDER("a,b\r\nc,d\r\n", "[a][b]\n[c][d]\n");
	CHECK_RENDER("a,b\rc,d\r", "[a][b]\n[c][d]\n");
	CHECK_RENDER("a\r\nb\nc\rd", "[a]\n[b]\n[c]\n[d]\n");
	CHECK_RENDER("\n\na\n\r\n\rb\n\n", "[a]\n[b]\n");	/* blank lines skipped */
	CHECK_RENDER("a,\r\n", "[a][]\n");
}

static void
test_quotes(void)
{
	CHECK_RENDER("\"a,b\",\"c\"\"d\",\"\"\n", "[a,b][c\"d][]\n");
	CHECK_RENDER("\"\"\n", "[]\n");	/* a quoted empty field is not a blank line */
	CHECK_RENDER("\"\"\"\"", "[\"]\n");
	CHECK_RENDER("\"\"\"quoted\"\"\",x", "[\"quoted\"][x]\n");
	CHECK_RENDER("a,\"b\"", "[a][b]\n");	/* quoted field at end of input */
	CHECK_RENDER("a,\"\"", "[a][]\n");
	CHECK_RENDER("\"a\"\r\n\"b\"\r", "[a]\n[b]\n");
	/* quotes inside unquoted fields are kept literally */
	CHECK_RENDER("ab\"c,5\" screen,x\"\"y\n", "[ab\"c][5\" screen][x\"\"y]\n");
	CHECK_RENDER(" \"a\",b", "[ \"a\"][b]\n");
	/* embedded line breaks are data */
	CHECK_RENDER("\"line1\nline2\",x\nnext,y\n", "[line1\nline2][x]\n[next][y]\n");
	CHECK_RENDER("\"a\r\nb\",c\r\n", "[a\r\nb][c]\n");
	CHECK_RENDER("\"a\rb\",c", "[a\rb][c]\n");
	CHECK_RENDER("\"\n\n\",x", "[\n\n][x]\n");
}

static void
test_errors(void)
{
	CHECK_ERROR("a,\"bc\n", "", "unterminated quoted field", 1);
	CHECK_ERROR("h1,h2\nx,\"never\nclosed,\n", "[h1][h2]\n", "unterminated quoted field", 2);
	CHECK_ERROR("\"", "", "unterminated quoted field", 1);
	CHECK_ERROR("\"ab\"c,d", "", "unexpected text after closing quote", 1);
	CHECK_ERROR("ok\n\"a\" ,b", "[ok]\n", "unexpected text after closing quote", 2);
	CHECK_ERROR("a,b\nc\0d\n", "[a][b]\n", "NUL byte in input", 2);
	CHECK_ERROR("\"a\0b\"", "", "NUL byte in input", 1);
	CHECK_ERROR("\0", "", "NUL byte in input", 1);
}

/* After an error every call keeps failing and no fields are exposed. */
static void
test_error_is_sticky(void)
{
	static const char text[] = "a\n\"b\n";
	AlfCsvReader *r = alf_csv_open(text, sizeof(text) - 1);
	size_t		len = 99;

	UNIT_CHECK(r != NULL);
	UNIT_CHECK_INT(alf_csv_next(r), 1);
	UNIT_CHECK_INT(alf_csv_next(r), -1);
	UNIT_CHECK_INT(alf_csv_next(r), -1);
	UNIT_CHECK_INT(alf_csv_nfields(r), 0);
	UNIT_CHECK(alf_csv_field(r, 0, &len) == NULL);
	UNIT_CHECK_INT(len, 0);
	UNIT_CHECK_STR(alf_csv_error(r), "unterminated quoted field");
	alf_csv_close(r);
}

static void
test_bom(void)
{
	CHECK_RENDER("\xEF\xBB\xBFid,name\n1,x\n", "[id][name]\n[1][x]\n");
	CHECK_RENDER("\xEF\xBB\xBF\"id\",name", "[id][name]\n");
	CHECK_RENDER("\xEF\xBB\xBF", "");
	CHECK_RENDER("\xEF\xBB", "[\xEF\xBB]\n");	/* partial BOM is data */
	/* only at the very start */
	CHECK_RENDER("a\n\xEF\xBB\xBF" "b\n", "[a]\n[\xEF\xBB\xBF" "b]\n");
}

static void
test_utf8(void)
{
	CHECK_RENDER("\xE5\x90\x8D\xE5\x89\x8D,\xC3\x9Cn\xC3\xAF\n"
				 "\"emoji \xF0\x9F\x98\x80, ok\",caf\xC3\xA9\n",
				 "[\xE5\x90\x8D\xE5\x89\x8D][\xC3\x9Cn\xC3\xAF]\n"
				 "[emoji \xF0\x9F\x98\x80, ok][caf\xC3\xA9]\n");
	/* invalid UTF-8 is not this reader's business: bytes pass through */
	CHECK_RENDER("\xFF\xFE,x", "[\xFF\xFE][x]\n");
}

/* Line numbers: physical lines, CRLF and lone CR count once, blank lines
 * and line breaks inside quotes count too. */
static void
test_line_numbers(void)
{
	static const char text[] =
		"h1,h2\r\n"				/* line 1 */
		"\r\n"					/* line 2: blank */
		"\"multi\r\nline\rfield\",x\r\n"	/* lines 3-5 */
		"after,y\n"				/* line 6 */
		"\n"					/* line 7: blank */
		"last";					/* line 8 */
	static const long expected[] = {1, 3, 6, 8};
	AlfCsvReader *r = alf_csv_open(text, sizeof(text) - 1);
	int			n = 0;

	UNIT_CHECK_INT(alf_csv_line(r), 0);
	UNIT_CHECK_INT(alf_csv_nfields(r), 0);
	while (alf_csv_next(r) == 1)
	{
		if (n < 4)
			UNIT_CHECK_INT(alf_csv_line(r), expected[n]);
		n++;
	}
	UNIT_CHECK_INT(n, 4);
	UNIT_CHECK_STR(alf_csv_error(r), NULL);
	UNIT_CHECK_INT(alf_csv_nfields(r), 0);	/* after the end */
	UNIT_CHECK_INT(alf_csv_next(r), 0);	/* stays at the end */
	alf_csv_close(r);
}

static void
test_field_access(void)
{
	static const char text[] = "abc,,\"x\"\"y\"\n";
	AlfCsvReader *r = alf_csv_open(text, sizeof(text) - 1);
	size_t		len = 99;
	const char *f;

	UNIT_CHECK_INT(alf_csv_next(r), 1);
	UNIT_CHECK_INT(alf_csv_nfields(r), 3);
	f = alf_csv_field(r, 0, &len);
	UNIT_CHECK_STR(f, "abc");
	UNIT_CHECK_INT(len, 3);
	f = alf_csv_field(r, 1, &len);
	UNIT_CHECK_STR(f, "");
	UNIT_CHECK_INT(len, 0);
	f = alf_csv_field(r, 2, NULL);	/* len is optional */
	UNIT_CHECK_STR(f, "x\"y");
	UNIT_CHECK(alf_csv_field(r, 3, &len) == NULL);
	UNIT_CHECK_INT(len, 0);
	UNIT_CHECK(alf_csv_field(r, -1, &len) == NULL);
	UNIT_CHECK_INT(alf_csv_next(r), 0);
	alf_csv_close(r);

	/* NULL-tolerant API */
	UNIT_CHECK_INT(alf_csv_next(NULL), -1);
	UNIT_CHECK_INT(alf_csv_nfields(NULL), 0);
	UNIT_CHECK(alf_csv_field(NULL, 0, NULL) == NULL);
	UNIT_CHECK_INT(alf_csv_line(NULL), 0);
	UNIT_CHECK(alf_csv_error(NULL) == NULL);
	alf_csv_close(NULL);
	r = alf_csv_open(NULL, 0);
	UNIT_CHECK(r != NULL);
	UNIT_CHECK_INT(alf_csv_next(r), 0);
	alf_csv_close(r);
}

/*
 * Vendors put report titles and notes above the header.  The reader just
 * returns those lines as records; the caller finds the header by matching
 * normalised names.
 */
static void
test_preamble_before_header(void)
{
	static const char text[] =
		"Audit Log Export\r\n"
		"Generated by: Example Corp, Inc. on 2026-11-23\r\n"
		"Note: the \"Admin ID\" column is new\r\n"
		"\r\n"
		"Timestamp,Admin ID,Sub-Category,event_type\r\n"
		"2026-11-23T10:00:00Z,42,Login,success\r\n";
	AlfCsvReader *r = alf_csv_open(text, sizeof(text) - 1);
	int			records = 0;
	long		header_line = 0;
	int			rc;

	while ((rc = alf_csv_next(r)) == 1)
	{
		char		name[64];

		records++;
		if (alf_csv_nfields(r) < 4)
			continue;
		alf_normalize_name(alf_csv_field(r, 1, NULL), name, sizeof(name));
		if (strcmp(name, "adminid") == 0)
		{
			header_line = alf_csv_line(r);
			alf_normalize_name(alf_csv_field(r, 2, NULL), name, sizeof(name));
			UNIT_CHECK_STR(name, "subcategory");
			alf_normalize_name(alf_csv_field(r, 3, NULL), name, sizeof(name));
			UNIT_CHECK_STR(name, "eventtype");
			break;
		}
	}
	UNIT_CHECK_INT(rc, 1);
	UNIT_CHECK_INT(records, 4);
	UNIT_CHECK_INT(header_line, 5);
	UNIT_CHECK_INT(alf_csv_next(r), 1);
	UNIT_CHECK_STR(alf_csv_field(r, 1, NULL), "42");
	UNIT_CHECK_INT(alf_csv_line(r), 6);
	UNIT_CHECK_INT(alf_csv_next(r), 0);
	alf_csv_close(r);
}

static void
test_normalize_name(void)
{
	char		out[32];

	alf_normalize_name("Sub-Category", out, sizeof(out));
	UNIT_CHECK_STR(out, "subcategory");
	alf_normalize_name("Admin ID", out, sizeof(out));
	UNIT_CHECK_STR(out, "adminid");
	alf_normalize_name("event_type", out, sizeof(out));
	UNIT_CHECK_STR(out, "eventtype");
	alf_normalize_name(" IP-Address_V4 ", out, sizeof(out));
	UNIT_CHECK_STR(out, "ipaddressv4");
	alf_normalize_name("user.email", out, sizeof(out));
	UNIT_CHECK_STR(out, "user.email");
	alf_normalize_name("", out, sizeof(out));
	UNIT_CHECK_STR(out, "");
	alf_normalize_name(NULL, out, sizeof(out));
	UNIT_CHECK_STR(out, "");
	/* UTF-8 bytes are kept as they are; only ASCII is folded */
	alf_normalize_name("\xC3\x9Cser Name", out, sizeof(out));
	UNIT_CHECK_STR(out, "\xC3\x9Cser" "name");
	/* truncation keeps room for the NUL */
	alf_normalize_name("ABCDEF", out, 4);
	UNIT_CHECK_STR(out, "abc");
	alf_normalize_name("ABCDEF", out, 1);
	UNIT_CHECK_STR(out, "");
	out[0] = 'z';
	alf_normalize_name("ABCDEF", out, 0);	/* writes nothing */
	UNIT_CHECK_INT(out[0], 'z');
	alf_normalize_name("ABC", NULL, 10);	/* tolerated */
}

/* A 1 MB field, quoted with escapes and line breaks, and another unquoted. */
static void
test_huge_field(void)
{
	const size_t field_len = 1024 * 1024;
	size_t		cap = field_len * 3 + 64;
	char	   *text = malloc(cap);
	char	   *expected = malloc(field_len + 1);
	size_t		n = 0,
				i,
				len = 0;
	long		newlines = 0;
	AlfCsvReader *r;
	const char *f;

	UNIT_CHECK(text != NULL && expected != NULL);
	if (text == NULL || expected == NULL)
	{
		free(text);
		free(expected);
		return;
	}

	/* expected content: letters with a '"' every 1000 and '\n' every 4096 */
	for (i = 0; i < field_len; i++)
		expected[i] = (i % 1000 == 999) ? '"' : (i % 4096 == 4095) ? '\n' :
			(char) ('a' + i % 26);
	expected[field_len] = '\0';

	memcpy(text + n, "id,\"", 4);
	n += 4;
	for (i = 0; i < field_len; i++)
	{
		if (expected[i] == '"')
			text[n++] = '"';
		if (expected[i] == '\n')
			newlines++;
		text[n++] = expected[i];
	}
	memcpy(text + n, "\",tail\r\n7,", 10);
	n += 10;
	for (i = 0; i < field_len; i++)
		text[n++] = (char) ('a' + i % 26);

	r = alf_csv_open(text, n);
	UNIT_CHECK_INT(alf_csv_next(r), 1);
	UNIT_CHECK_INT(alf_csv_nfields(r), 3);
	f = alf_csv_field(r, 1, &len);
	UNIT_CHECK_INT(len, field_len);
	UNIT_CHECK(f != NULL && memcmp(f, expected, field_len) == 0 && f[len] == '\0');
	UNIT_CHECK_STR(alf_csv_field(r, 2, NULL), "tail");

	UNIT_CHECK_INT(alf_csv_next(r), 1);
	UNIT_CHECK_INT(alf_csv_line(r), 1 + newlines + 1);
	f = alf_csv_field(r, 1, &len);
	UNIT_CHECK_INT(len, field_len);
	UNIT_CHECK(f != NULL && f[0] == 'a' && f[field_len - 1] == (char) ('a' + (field_len - 1) % 26));
	UNIT_CHECK_INT(alf_csv_next(r), 0);
	alf_csv_close(r);
	free(text);
	free(expected);
}

/* One record with many fields, to grow the offsets array. */
static void
test_many_fields(void)
{
	const int	nfields = 100000;
	char	   *text = malloc((size_t) nfields * 8);
	size_t		n = 0;
	int			i,
				bad = 0;
	AlfCsvReader *r;

	UNIT_CHECK(text != NULL);
	if (text == NULL)
		return;
	for (i = 0; i < nfields; i++)
		n += (size_t) sprintf(text + n, "%s%d", i ? "," : "", i % 1000);
	r = alf_csv_open(text, n);
	UNIT_CHECK_INT(alf_csv_next(r), 1);
	UNIT_CHECK_INT(alf_csv_nfields(r), nfields);
	for (i = 0; i < alf_csv_nfields(r); i++)
		if (atoi(alf_csv_field(r, i, NULL)) != i % 1000)
			bad++;
	UNIT_CHECK_INT(bad, 0);
	UNIT_CHECK_INT(alf_csv_next(r), 0);
	alf_csv_close(r);
	free(text);
}

/* 100k records: counts, values and line numbers all line up. */
static void
test_many_records(void)
{
	const int	nrecords = 100000;
	size_t		cap = (size_t) nrecords * 64 + 64;
	char	   *text = malloc(cap);
	size_t		n = 0;
	int			i,
				seen = 0,
				bad = 0,
				rc;
	AlfCsvReader *r;

	UNIT_CHECK(text != NULL);
	if (text == NULL)
		return;
	n += (size_t) sprintf(text + n, "id,user,note\r\n");
	for (i = 0; i < nrecords; i++)
		n += (size_t) sprintf(text + n, "%d,user_%d,\"note, \"\"%d\"\"\"\r\n", i, i, i);

	r = alf_csv_open(text, n);
	UNIT_CHECK_INT(alf_csv_next(r), 1);	/* header */
	while ((rc = alf_csv_next(r)) == 1)
	{
		char		user[32],
					note[32];

		snprintf(user, sizeof(user), "user_%d", seen);
		snprintf(note, sizeof(note), "note, \"%d\"", seen);
		if (alf_csv_nfields(r) != 3 ||
			atoi(alf_csv_field(r, 0, NULL)) != seen ||
			strcmp(alf_csv_field(r, 1, NULL), user) != 0 ||
			strcmp(alf_csv_field(r, 2, NULL), note) != 0 ||
			alf_csv_line(r) != seen + 2)
			bad++;
		seen++;
	}
	UNIT_CHECK_INT(rc, 0);
	UNIT_CHECK_INT(seen, nrecords);
	UNIT_CHECK_INT(bad, 0);
	alf_csv_close(r);
	free(text);
}

int
main(void)
{
	test_basic_shapes();
	test_line_endings();
	test_quotes();
	test_errors();
	test_error_is_sticky();
	test_bom();
	test_utf8();
	test_line_numbers();
	test_field_access();
	test_preamble_before_header();
	test_normalize_name();
	test_huge_field();
	test_many_fields();
	test_many_records();
	return UNIT_FINISH("test_csv");
}
