/*
 * fuzz_csv_header.c - a CSV report as src/report_flow.c reads it: the
 * header finder (src/csv_header.c), then the reader from the header on,
 * footer detection on every record, and the time reader on the time
 * column.  The known names are the ZIA and Resolver catalogues' (as
 * report_flow.c builds them, normalised).
 *
 * Properties, besides memory safety:
 * - the header offset is the start of a line within the buffer;
 * - that line reads as one record holding at least two distinct known
 *   names (what the finder promised);
 * - a footer has exactly one non-blank field.
 */
#include "fuzz.h"

#include "csv_header.h"
#include "csv_reader.h"
#include "timeparse.h"

#define MIN_MATCHES		2		/* report_flow.c */
#define HEADER_LINES	200		/* ALF_REPORT_HEADER_LINES */
#define CELL_MAX		256		/* csv_header.c ignores longer cells */

static const char *const known[] = {
	/* zscaler.c: column names and their CSV fields */
	"time", "timestamp", "adminname", "user", "adminid", "action", "result",
	"clientip", "interface", "category", "subcategory", "resource",
	"preaction", "postaction", "traceid", "raw",
	/* resolver.c */
	"datetime", "dateandtime", "event", "subject", "subjecttype", "performedby",
	"externalreferenceid", "ipaddress", "details",
	NULL
};

static int
known_index(const char *norm)
{
	int			i;

	for (i = 0; known[i]; i++)
		if (strcmp(known[i], norm) == 0)
			return i;
	return -1;
}

static int
is_blank(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;
	long		offset = alf_csv_find_header(buf, size, known, MIN_MATCHES, HEADER_LINES);
	AlfCsvReader *r;
	unsigned char seen[64];
	int			matches = 0;
	int			time_col = -1;
	int			ncols;
	int			i;
	int			rc;

	if (offset < 0)
	{
		FUZZ_CHECK(offset == -1);
		return 0;
	}
	FUZZ_CHECK((size_t) offset < size);
	FUZZ_CHECK(offset == 0 ||
			   (offset == 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ||
			   buf[offset - 1] == '\n' || buf[offset - 1] == '\r');

	r = alf_csv_open(buf + offset, size - (size_t) offset);
	FUZZ_CHECK(r != NULL);
	FUZZ_CHECK(alf_csv_next(r) == 1);
	ncols = alf_csv_nfields(r);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < ncols; i++)
	{
		size_t		len;
		const char *f = alf_csv_field(r, i, &len);
		char		norm[CELL_MAX];
		int			k;

		FUZZ_CHECK(f != NULL);
		if (len >= CELL_MAX)
			continue;
		alf_normalize_name(f, norm, sizeof(norm));
		k = norm[0] ? known_index(norm) : -1;
		if (k >= 0 && !seen[k])
		{
			seen[k] = 1;
			matches++;
		}
		if (time_col < 0 && (strcmp(norm, "time") == 0 || strcmp(norm, "timestamp") == 0 ||
							 strcmp(norm, "dateandtime") == 0))
			time_col = i;
	}
	FUZZ_CHECK(matches >= MIN_MATCHES);

	/* the rows, as alf_report_next_row walks them */
	while ((rc = alf_csv_next(r)) == 1)
	{
		int			nonblank = 0;

		for (i = 0; i < alf_csv_nfields(r); i++)
		{
			size_t		len;
			const char *f = alf_csv_field(r, i, &len);

			nonblank += !is_blank(f, len);
		}
		if (alf_csv_record_is_footer(r))
		{
			FUZZ_CHECK(nonblank == 1);
			continue;
		}
		if (alf_csv_nfields(r) == ncols && time_col >= 0)
		{
			AlfParsedTime t;
			long long	usec;

			if (alf_parse_time(alf_csv_field(r, time_col, NULL), &t))
				(void) alf_time_to_epoch_usec(&t, &usec);
		}
	}
	FUZZ_CHECK(rc == 0 || (rc == -1 && alf_csv_error(r) != NULL));
	alf_csv_close(r);
	return 0;
}
