/*-------------------------------------------------------------------------
 * report_flow.c
 *	  The asynchronous report flow: jobs, waits, cancel, CSV rows, caps.
 *
 * One job at a time: next_batch hands out the rows of the current report
 * (at most ALF_REPORT_BATCH_ROWS per call); when they are used up it runs
 * the next job to completion -- submit, poll until ready, download -- and
 * starts handing out its rows.  So no job is ever running at the vendor
 * between two calls, and cancelling one only matters inside alf_report_run,
 * where a PG_CATCH sends the vendor's cancel before the error goes on.
 *
 * A downloaded file is read three times at most, without building all its
 * rows at once: a validating pass (header, field counts, footers, and for
 * walking back the oldest second), a pass collecting the rows of the oldest
 * second when the file is at the cap, and the pass that turns rows into
 * JSON objects batch by batch.
 *
 * Memory: the flow lives in vs->scan_cxt; each report in its own context
 * (the download's body and the CSV reader, freed by reset callbacks);
 * short steps in a context reset after each; the rows of a batch in
 * vs->batch_cxt, which the core resets before the next call.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "csv_header.h"
#include "csv_reader.h"
#include "guc.h"
#include "http.h"
#include "report_flow.h"
#include "timeparse.h"
#include "utf8_repair.h"
#include "vendor_text.h"

#define ALF_REPORT_BATCH_ROWS		1000
#define ALF_REPORT_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)
#define ALF_REPORT_DEFAULT_POLL_MS	500
#define ALF_REPORT_MAX_POLL_MS		10000
#define ALF_REPORT_CANCEL_TIMEOUT_MS 1000
#define ALF_REPORT_HEADER_LINES		200
#define ALF_REPORT_NAME_MAX			128

/* pg_locks.objsubid of the report slot locks ("AL") */
#define ALF_REPORT_LOCK_CLASS		0x414C

#define MS_PER_SEC					INT64CONST(1000)

/*
 * Seconds a row may lie outside the window its job asked for before that
 * is evidence of a fault rather than of the vendor's rounding: more than
 * any widening a vendor's request applies (Resolver's end is one second
 * later in seconds mode).
 */
#define ALF_REPORT_WINDOW_TOLERANCE_S 5

/* A multiset of whole rows (as text), for de-duplication at a boundary. */
typedef struct AlfRowSet
{
	MemoryContext cxt;
	HTAB	   *hash;			/* uint32 hash -> AlfRowBucket */
	int64		nrows;
} AlfRowSet;

typedef struct AlfRowBucket
{
	uint32		hash;
	List	   *rows;			/* of AlfRowCount * */
} AlfRowBucket;

typedef struct AlfRowCount
{
	char	   *text;
	int			len;
	int			count;
} AlfRowCount;

/* One downloaded report and where its rows are being handed out. */
typedef struct AlfReportFile
{
	MemoryContext cxt;
	const char *table;			/* from the header line on */
	size_t		table_len;
	long		header_line;	/* 1-based line of the header in the body */
	int			ncols;
	char	  **keys;			/* JSON keys, from the header */
	int			time_col;		/* header index of the time field, or -1 */
	AlfCsvReader *reader;		/* the emitting pass, NULL until started */
	int64		nrows;			/* data rows in the file */
	int64		in_window;		/* of those, in (or near) the job's window */
	int64		rows_left;		/* not yet looked at by the emitting pass */
	int64		min_sec;		/* oldest and newest second (walk back) */
	int64		max_sec;
	/* walking back: rows to drop, those the previous file returned */
	bool		dedupe;
	int64		dedupe_sec;
	AlfRowSet  *dedupe_rows;
	bool		repaired;		/* NUL or bad UTF-8 replaced by U+FFFD */
} AlfReportFile;

struct AlfReportFlow
{
	AlfVendorScan *vs;
	const AlfReportSteps *steps;
	void	   *arg;
	int			row_cap;
	int			timeout_ms;
	int			poll_ms;
	const char *zone;			/* report_time_zone, or NULL for UTC */
	const char **known;			/* normalised field names, NULL-ended */
	const char **time_names;	/* normalised names of the time field */
	int64		lower_ms;		/* the whole range, whole seconds */
	int64		upper_ms;
	/* windows */
	List	   *windows;		/* of AlfReportWindow *, next one last */
	/* walking back */
	bool		walk_done;
	AlfReportWindow walk;
	bool		have_boundary;	/* rows of boundary_sec already returned */
	int64		boundary_sec;
	AlfRowSet  *boundary_rows;
	bool		probing;		/* running recheck_empty's job */
	/* the running job */
	bool		submitted;
	bool		in_http;		/* inside a step: the client may be busy */
	bool		locked;
	LOCKTAG		locktag;
	int			jobs;
	/* the report being handed out */
	AlfReportFile *file;
};

static int64
alf_floor_div64(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64
alf_ts_to_ms_floor(TimestampTz t)
{
	return alf_floor_div64(alf_timestamptz_to_epoch_usec(t), 1000);
}

static char *
alf_ms_text(int64 ms)
{
	char		buf[64];

	if (alf_format_iso_utc((long long) ms * 1000, ms % 1000 == 0 ? 0 : 3, buf, sizeof(buf)) < 0)
		return psprintf(INT64_FORMAT " ms", ms);
	return pstrdup(buf);
}

char *
alf_report_window_text(const AlfReportWindow *window)
{
	return psprintf("[%s, %s]", alf_ms_text(window->start_ms), alf_ms_text(window->end_ms));
}

static int
alf_report_int_option(AlfVendorScan *vs, const char *name, int dflt)
{
	const char *v = alf_option_value(vs->options, name);

	return v ? atoi(v) : dflt;
}

/* The normalised names of catalogue column i (its name and its fields). */
static void
alf_report_column_names(const AlfColumnDef *col, List **names)
{
	char		norm[ALF_REPORT_NAME_MAX];
	int			j;

	alf_normalize_name(col->name, norm, sizeof(norm));
	*names = lappend(*names, pstrdup(norm));
	for (j = 0; j < ALF_MAX_FIELD_NAMES && col->fields[j]; j++)
	{
		alf_normalize_name(col->fields[j], norm, sizeof(norm));
		*names = lappend(*names, pstrdup(norm));
	}
}

static const char **
alf_report_name_array(List *names)
{
	const char **result = palloc0(sizeof(char *) * (list_length(names) + 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, names)
		result[i++] = (const char *) lfirst(lc);
	return result;
}

static void
alf_report_push_window(AlfReportFlow *flow, int64 start_ms, int64 end_ms)
{
	AlfReportWindow *w = palloc(sizeof(AlfReportWindow));

	w->start_ms = start_ms;
	w->end_ms = end_ms;
	flow->windows = lappend(flow->windows, w);
}

/*
 * The request's time range as whole seconds: [lower_ms, upper_ms], both
 * inclusive, widened outward (the core drops the extra rows).
 */
void
alf_report_range(const AlfScanRequest *req, int64 *lower_ms, int64 *upper_ms)
{
	int64		upper_incl = alf_ts_to_ms_floor(req->upper.value);

	*lower_ms = alf_floor_div64(alf_ts_to_ms_floor(req->lower.value), MS_PER_SEC) * MS_PER_SEC;
	if (*lower_ms < 0)
		*lower_ms = 0;
	if (!req->upper.inclusive &&
		alf_timestamptz_to_epoch_usec(req->upper.value) % 1000 == 0)
		upper_incl--;
	*upper_ms = alf_floor_div64(upper_incl, MS_PER_SEC) * MS_PER_SEC + 999;
}

void
alf_report_first_window(const AlfReportSteps *steps, const AlfScanRequest *req,
						AlfReportWindow *window)
{
	alf_report_range(req, &window->start_ms, &window->end_ms);
	if (steps->paging == ALF_REPORT_WINDOWS && steps->max_window_ms > 0 &&
		window->end_ms - steps->max_window_ms + 1 > window->start_ms)
		window->start_ms = window->end_ms - steps->max_window_ms + 1;
}

AlfReportFlow *
alf_report_begin(AlfVendorScan *vs, const AlfReportSteps *steps, void *arg)
{
	MemoryContext old = MemoryContextSwitchTo(vs->scan_cxt);
	AlfReportFlow *flow = palloc0(sizeof(AlfReportFlow));
	const AlfVendor *vendor = vs->vendor;
	const AlfScanRequest *req = vs->request;
	List	   *known = NIL;
	List	   *time_names = NIL;
	int			i;

	flow->vs = vs;
	flow->steps = steps;
	flow->arg = arg;
	flow->row_cap = alf_report_int_option(vs, "row_cap", steps->default_row_cap);
	flow->timeout_ms = alf_report_int_option(vs, "report_timeout_ms",
											 ALF_REPORT_DEFAULT_TIMEOUT_MS);
	flow->poll_ms = alf_report_int_option(vs, "poll_interval_ms", ALF_REPORT_DEFAULT_POLL_MS);
	flow->zone = alf_option_value(vs->options, "report_time_zone");
	if (flow->row_cap > steps->max_row_cap)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("row_cap %d exceeds the maximum of vendor \"%s\"",
						flow->row_cap, vendor->name),
				 errhint("Use a value from 1 to %d, the number of rows %s returns at most.",
						 steps->max_row_cap, vendor->display_name)));

	for (i = 0; i < vendor->ncolumns; i++)
		if (vendor->columns[i].kind != ALF_VALUE_RECORD)
			alf_report_column_names(&vendor->columns[i], &known);
	alf_report_column_names(&vendor->columns[vendor->time_column], &time_names);
	flow->known = alf_report_name_array(known);
	flow->time_names = alf_report_name_array(time_names);

	alf_report_range(req, &flow->lower_ms, &flow->upper_ms);
	if (flow->upper_ms < flow->lower_ms)
		flow->walk_done = true;
	else if (steps->paging == ALF_REPORT_WALK_BACK)
	{
		flow->walk.start_ms = flow->lower_ms;
		flow->walk.end_ms = flow->upper_ms;
	}
	else
	{
		/* newest window last, so it is run first */
		List	   *newest_first = NIL;
		int64		end = flow->upper_ms;
		ListCell   *lc;

		while (end >= flow->lower_ms)
		{
			int64		start = flow->lower_ms;
			AlfReportWindow *w = palloc(sizeof(AlfReportWindow));

			if (steps->max_window_ms > 0 && end - steps->max_window_ms + 1 > start)
				start = end - steps->max_window_ms + 1;
			w->start_ms = start;
			w->end_ms = end;
			newest_first = lappend(newest_first, w);
			end = start - 1;
		}
		foreach(lc, newest_first)
			flow->windows = lcons(lfirst(lc), flow->windows);
	}
	MemoryContextSwitchTo(old);
	return flow;
}

/* ---- multisets of rows ---- */

static AlfRowSet *
alf_rowset_create(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "auditlog_fdw boundary rows",
											  ALLOCSET_DEFAULT_SIZES);
	AlfRowSet  *set = MemoryContextAllocZero(cxt, sizeof(AlfRowSet));
	HASHCTL		ctl;

	set->cxt = cxt;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint32);
	ctl.entrysize = sizeof(AlfRowBucket);
	ctl.hcxt = cxt;
	set->hash = hash_create("auditlog_fdw boundary rows", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return set;
}

static void
alf_rowset_free(AlfRowSet *set)
{
	if (set)
		MemoryContextDelete(set->cxt);
}

static AlfRowCount *
alf_rowset_find(AlfRowSet *set, const char *text, int len, bool create)
{
	uint32		hash = hash_bytes((const unsigned char *) text, len);
	bool		found;
	AlfRowBucket *bucket = hash_search(set->hash, &hash, create ? HASH_ENTER : HASH_FIND,
									   &found);
	ListCell   *lc;
	AlfRowCount *rc;
	MemoryContext old;

	if (bucket == NULL)
		return NULL;
	if (!found)
		bucket->rows = NIL;
	foreach(lc, bucket->rows)
	{
		rc = (AlfRowCount *) lfirst(lc);
		if (rc->len == len && memcmp(rc->text, text, len) == 0)
			return rc;
	}
	if (!create)
		return NULL;
	old = MemoryContextSwitchTo(set->cxt);
	rc = palloc(sizeof(AlfRowCount));
	rc->text = palloc(len);
	memcpy(rc->text, text, len);
	rc->len = len;
	rc->count = 0;
	bucket->rows = lappend(bucket->rows, rc);
	MemoryContextSwitchTo(old);
	return rc;
}

static void
alf_rowset_add(AlfRowSet *set, const StringInfo row)
{
	alf_rowset_find(set, row->data, row->len, true)->count++;
	set->nrows++;
}

/* Take one copy of row out of the set; false if there is none left. */
static bool
alf_rowset_take(AlfRowSet *set, const StringInfo row)
{
	AlfRowCount *rc = alf_rowset_find(set, row->data, row->len, false);

	if (rc == NULL || rc->count == 0)
		return false;
	rc->count--;
	set->nrows--;
	return true;
}

/* A row's identity: every field, length-prefixed so no two rows collide. */
static void
alf_row_text(AlfCsvReader *r, StringInfo buf)
{
	int			i;

	resetStringInfo(buf);
	for (i = 0; i < alf_csv_nfields(r); i++)
	{
		size_t		len;
		const char *f = alf_csv_field(r, i, &len);

		appendStringInfo(buf, "%zu:", len);
		appendBinaryStringInfo(buf, f, (int) len);
	}
}

/* ---- reading the CSV ---- */

static void
alf_csv_reader_free_cb(void *arg)
{
	alf_csv_close((AlfCsvReader *) arg);
}

pg_attribute_noreturn()
static void
alf_report_csv_error(AlfReportFlow *flow, AlfReportFile *file, long line, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("malformed CSV report from %s", flow->vs->vendor->display_name),
			 errdetail_internal("Line %ld: %s.", file->header_line + line - 1, what)));
	pg_unreachable();
}

/* A reader positioned after the header; freed with the file's context. */
static AlfCsvReader *
alf_report_open(AlfReportFlow *flow, AlfReportFile *file)
{
	AlfCsvReader *r = alf_csv_open(file->table, file->table_len);
	MemoryContextCallback *cb;

	if (r == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	cb = MemoryContextAlloc(file->cxt, sizeof(MemoryContextCallback));
	cb->func = alf_csv_reader_free_cb;
	cb->arg = r;
	MemoryContextRegisterResetCallback(file->cxt, cb);
	if (alf_csv_next(r) != 1)
		alf_report_csv_error(flow, file, 1, "the header row cannot be read");
	return r;
}

/*
 * A row as wide as the header, or wider by empty fields only: ZIA ends its
 * data rows with a comma the header lacks (vendors.md §1.5).  A value
 * without a column name is never dropped silently.
 */
static bool
alf_report_row_width_ok(const AlfReportFile *file, const AlfCsvReader *r)
{
	int			i;

	if (alf_csv_nfields(r) < file->ncols)
		return false;
	for (i = file->ncols; i < alf_csv_nfields(r); i++)
	{
		size_t		len;

		(void) alf_csv_field(r, i, &len);
		if (len > 0)
			return false;
	}
	return true;
}

/*
 * Advance r to the next data row.  False at the end of the table; footer
 * lines ("Total: 3") after the last row end it too.  Raises for a row of
 * the wrong width and for data after a footer.
 */
static bool
alf_report_next_row(AlfReportFlow *flow, AlfReportFile *file, AlfCsvReader *r)
{
	bool		footer_seen = false;

	for (;;)
	{
		int			rc = alf_csv_next(r);

		if (rc == 0)
			return false;
		if (rc < 0)
			alf_report_csv_error(flow, file, alf_csv_line(r), alf_csv_error(r));
		if (alf_csv_record_is_footer(r))
		{
			footer_seen = true;
			continue;
		}
		if (!alf_report_row_width_ok(file, r))
			alf_report_csv_error(flow, file, alf_csv_line(r),
								 psprintf("the row has %d fields, the header %d",
										  alf_csv_nfields(r), file->ncols));
		if (footer_seen)
			alf_report_csv_error(flow, file, alf_csv_line(r),
								 "a data row follows the report's footer");
		return true;
	}
}

/* The second of the current row's time field (walking back). */
static int64
alf_report_row_second(AlfReportFlow *flow, AlfReportFile *file, AlfCsvReader *r)
{
	const char *text = alf_csv_field(r, file->time_col, NULL);
	TimestampTz t;

	if (!alf_text_to_timestamptz(text, flow->zone, &t))
		alf_report_csv_error(flow, file, alf_csv_line(r),
							 psprintf("\"%s\" is not a timestamp", text));
	return alf_floor_div64(alf_timestamptz_to_epoch_usec(t), USECS_PER_SEC);
}

static bool
alf_is_valid_utf8(const char *s, size_t len)
{
	return pg_encoding_verifymbstr(PG_UTF8, s, (int) len) == (int) len;
}

/*
 * Keys for the header's names: unique, non-empty, valid UTF-8; made by
 * csv_header.c in linear time, and a header above its size cap is an error.
 */
static void
alf_report_header(AlfReportFlow *flow, AlfReportFile *file, AlfCsvReader *r)
{
	char	  **keys;
	int			rc;
	int			i;

	file->ncols = alf_csv_nfields(r);
	for (i = 0; i < file->ncols; i++)
	{
		size_t		len;
		const char *name = alf_csv_field(r, i, &len);

		if (!alf_is_valid_utf8(name, len))
			alf_report_csv_error(flow, file, 1, "the header is not valid UTF-8");
	}
	rc = alf_csv_header_keys(r, &keys, NULL);
	if (rc == ALF_HDR_NO_MEMORY)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (rc == ALF_HDR_TOO_MANY_COLUMNS)
		alf_report_csv_error(flow, file, 1,
							 psprintf("the header has %d columns, more than the %d allowed",
									  file->ncols, ALF_CSV_HEADER_MAX_COLUMNS));
	if (rc != ALF_HDR_OK)
		alf_report_csv_error(flow, file, 1,
							 psprintf("the header is longer than %d bytes",
									  ALF_CSV_HEADER_MAX_BYTES));

	PG_TRY();
	{
		file->keys = palloc(sizeof(char *) * Max(file->ncols, 1));
		file->time_col = -1;
		for (i = 0; i < file->ncols; i++)
		{
			char		norm[ALF_REPORT_NAME_MAX];
			int			j;

			file->keys[i] = pstrdup(keys[i]);
			alf_normalize_name(alf_csv_field(r, i, NULL), norm, sizeof(norm));
			for (j = 0; file->time_col < 0 && flow->time_names[j]; j++)
				if (norm[0] && strcmp(norm, flow->time_names[j]) == 0)
					file->time_col = i;
		}
	}
	PG_FINALLY();
	{
		free(keys);
	}
	PG_END_TRY();
}

pg_attribute_noreturn()
static void
alf_report_outside_window(AlfReportFlow *flow, AlfReportFile *file, AlfCsvReader *r,
						  const AlfReportWindow *window, int64 sec)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("%s returned a record outside the time window asked for",
					flow->vs->vendor->display_name),
			 errdetail_internal("Line %ld has the time %s; the job asked for %s.",
								file->header_line + alf_csv_line(r) - 1,
								alf_ms_text(sec * MS_PER_SEC), alf_report_window_text(window)),
			 errhint("The vendor may have ignored the time filter, or its times are read in another time zone or epoch unit than it uses (options report_time_zone, epoch_unit).")));
	pg_unreachable();
}

/*
 * Find the table in a downloaded body and check all of it: returns the
 * file, with nrows and, walking back, min_sec/max_sec set.  A row whose
 * time lies well outside the window the job asked for fails the scan.
 */
static AlfReportFile *
alf_report_scan_file(AlfReportFlow *flow, MemoryContext cxt, const AlfHttpResponse *resp,
					 const AlfReportWindow *window)
{
	AlfReportFile *file = palloc0(sizeof(AlfReportFile));
	long		offset;
	long		i;
	AlfCsvReader *r;
	bool		walk = flow->steps->paging == ALF_REPORT_WALK_BACK;
	const char *body = resp->body;
	size_t		body_len = resp->body_len;
	int			repaired;

	file->cxt = cxt;
	/* a NUL or invalid UTF-8 in one row must not hide the report: U+FFFD */
	(void) alf_utf8_repair(body, body_len, NULL, 0, &repaired);
	if (repaired > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		body = alf_utf8_repair_text(body, body_len, false, &body_len, NULL);
		MemoryContextSwitchTo(old);
		file->repaired = true;
	}
	offset = alf_csv_find_header(body, body_len, flow->known, 2,
								 ALF_REPORT_HEADER_LINES);
	if (offset < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("malformed CSV report from %s", flow->vs->vendor->display_name),
				 errdetail_internal("No header row naming at least two known fields in the first %d lines of %zu bytes: %s",
									ALF_REPORT_HEADER_LINES, resp->body_len,
									alf_scrub_secrets(flow->vs, alf_http_body_snippet(resp, 120)))));
	file->table = body + offset;
	file->table_len = body_len - offset;
	file->header_line = 1;
	for (i = 0; i < offset; i++)
		if (body[i] == '\n' ||
			(body[i] == '\r' && (i + 1 >= offset || body[i + 1] != '\n')))
			file->header_line++;

	r = alf_report_open(flow, file);
	alf_report_header(flow, file, r);
	if (walk && file->time_col < 0)
		alf_report_csv_error(flow, file, 1,
							 psprintf("the header has no \"%s\" column",
									  flow->vs->vendor->columns[flow->vs->vendor->time_column].fields[0]));

	file->min_sec = PG_INT64_MAX;
	file->max_sec = PG_INT64_MIN;
	while (alf_report_next_row(flow, file, r))
	{
		file->nrows++;
		if (walk || file->time_col >= 0)
		{
			int64		sec;
			TimestampTz t;

			/* walking back needs every time; otherwise tuple.c judges it */
			if (walk)
				sec = alf_report_row_second(flow, file, r);
			else if (alf_text_to_timestamptz(alf_csv_field(r, file->time_col, NULL),
											 flow->zone, &t))
				sec = alf_floor_div64(alf_timestamptz_to_epoch_usec(t), USECS_PER_SEC);
			else
				continue;
			if (sec < alf_floor_div64(window->start_ms, MS_PER_SEC) - ALF_REPORT_WINDOW_TOLERANCE_S ||
				sec > alf_floor_div64(window->end_ms, MS_PER_SEC) + ALF_REPORT_WINDOW_TOLERANCE_S)
			{
				/* a probe asked the other way: its strays only show that way is wrong */
				if (!flow->probing)
					alf_report_outside_window(flow, file, r, window, sec);
				continue;
			}
			file->in_window++;
			file->min_sec = Min(file->min_sec, sec);
			file->max_sec = Max(file->max_sec, sec);
		}
		if (file->nrows % 10000 == 0)
			CHECK_FOR_INTERRUPTS();
	}
	file->rows_left = file->nrows;
	return file;
}

/* The rows of the file's oldest second, as a multiset. */
static AlfRowSet *
alf_report_boundary_rows(AlfReportFlow *flow, AlfReportFile *file)
{
	AlfRowSet  *set = alf_rowset_create(flow->vs->scan_cxt);
	AlfCsvReader *r = alf_report_open(flow, file);
	StringInfoData row;

	initStringInfo(&row);
	while (alf_report_next_row(flow, file, r))
		if (alf_report_row_second(flow, file, r) == file->min_sec)
		{
			alf_row_text(r, &row);
			alf_rowset_add(set, &row);
		}
	pfree(row.data);
	return set;
}

/* ---- running one job ---- */

static void
alf_report_lock(AlfReportFlow *flow)
{
	char	   *key;
	uint64		h;

	if (flow->steps->lock_key == NULL)
		return;
	key = flow->steps->lock_key(flow->vs, flow->arg);
	if (key == NULL)
		return;
	h = hash_bytes_extended((const unsigned char *) key, strlen(key), 0);
	/* database 0: a tenant's slot is shared by every database */
	SET_LOCKTAG_ADVISORY(flow->locktag, InvalidOid, (uint32) (h >> 32), (uint32) h,
						 ALF_REPORT_LOCK_CLASS);
	/* a transaction lock, so an abort always releases it; released early */
	(void) LockAcquire(&flow->locktag, ExclusiveLock, false, false);
	flow->locked = true;
}

static void
alf_report_unlock(AlfReportFlow *flow)
{
	if (flow->locked)
	{
		flow->locked = false;
		LockRelease(&flow->locktag, ExclusiveLock, false);
	}
}

/* A client of its own, for a cancel sent while the scan's may be busy. */
static AlfHttpClient *
alf_report_side_client(AlfVendorScan *vs)
{
	AlfHttpConfig config;

	memset(&config, 0, sizeof(config));
	config.vendor_name = vs->vendor->display_name;
	config.timeout_ms = vs->options->timeout_ms;
	config.max_retries = 0;
	config.ca_file = vs->options->ca_file;
	config.proxy = vs->options->proxy;
	config.allow_loopback_http = vs->options->base_url_http;
	config.max_in_flight = 1;
	config.is_throttled = vs->vendor->is_throttled;
	config.error_message = vs->vendor->error_message;
	return alf_http_client_create(&config);
}

/* Best effort: ask the vendor to drop the job.  Never throws. */
static void
alf_report_cancel(AlfReportFlow *flow)
{
	AlfVendorScan *vs = flow->vs;
	MemoryContext cxt = AllocSetContextCreate(vs->scan_cxt, "auditlog_fdw report cancel",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	HOLD_INTERRUPTS();
	PG_TRY();
	{
		AlfHttpClient *client = flow->in_http ? alf_report_side_client(vs) : vs->http;

		flow->steps->cancel(vs, flow->arg, client,
							Min(ALF_REPORT_CANCEL_TIMEOUT_MS, vs->options->timeout_ms));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(DEBUG1,
				(errmsg_internal("auditlog_fdw: could not cancel %s at %s: %s",
								 flow->steps->what, vs->vendor->display_name,
								 edata->message)));
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* Does status (upper-cased) contain any of words? */
static bool
alf_status_has(const char *status, const char *const *words)
{
	char	   *upper;
	char	   *p;
	bool		found = false;

	if (status == NULL)
		return false;
	upper = pstrdup(status);
	for (p = upper; *p; p++)
		*p = pg_toupper((unsigned char) *p);
	for (; *words && !found; words++)
		found = strstr(upper, *words) != NULL;
	pfree(upper);
	return found;
}

static bool
alf_status_says_failed(const char *status)
{
	static const char *const words[] = {"ERROR", "FAIL", "CANCEL", "ABORT", NULL};

	return alf_status_has(status, words);
}

/* A status saying the job is over, though the poll found no result. */
static bool
alf_status_says_done(const char *status)
{
	static const char *const words[] = {"COMPLETE", "COMPLETED", "DONE", "SUCCESS",
	"SUCCEEDED", "FINISHED", "READY", NULL};
	const char *const *w;

	for (w = words; status && *w; w++)
		if (pg_strcasecmp(status, *w) == 0)
			return true;
	return false;
}

/* Submit and wait, in step_cxt; raises for a failed or overdue job. */
static void
alf_report_wait(AlfReportFlow *flow, const AlfReportWindow *window, MemoryContext step_cxt)
{
	AlfVendorScan *vs = flow->vs;
	TimestampTz deadline;
	long		interval = flow->poll_ms;

	flow->in_http = true;
	flow->steps->submit(vs, flow->arg, window);
	flow->in_http = false;
	MemoryContextReset(step_cxt);

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), flow->timeout_ms);
	for (;;)
	{
		AlfReportPoll poll;
		long		left = (long) ((deadline - GetCurrentTimestamp()) / 1000);

		alf_http_client_sleep(vs->http, Max(Min(interval, left), 0));
		memset(&poll, 0, sizeof(poll));
		flow->in_http = true;
		flow->steps->poll(vs, flow->arg, &poll);
		flow->in_http = false;
		if (poll.ready)
			break;
		if (poll.failed || alf_status_says_failed(poll.status))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s could not produce %s", vs->vendor->display_name,
							flow->steps->what),
					 errdetail_internal("%s",
										alf_scrub_secrets(vs,
														  psprintf("The job for %s ended with status %s%s%s.",
																   alf_report_window_text(window),
																   poll.status ? poll.status : "(none)",
																   poll.message ? ": " : "",
																   poll.message ? poll.message : "")))));
		/* over, yet nothing to download: waiting longer cannot help */
		if (alf_status_says_done(poll.status))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s finished %s without a result to download",
							vs->vendor->display_name, flow->steps->what),
					 errdetail_internal("%s",
										alf_scrub_secrets(vs,
														  psprintf("The job for %s has status %s%s%s, but no download URL.",
																   alf_report_window_text(window),
																   poll.status,
																   poll.message ? ": " : "",
																   poll.message ? poll.message : "")))));
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s did not finish %s within %d ms", vs->vendor->display_name,
							flow->steps->what, flow->timeout_ms),
					 errdetail_internal("%s",
										alf_scrub_secrets(vs,
														  psprintf("The job for %s still had status %s%s%s and no download URL.",
																   alf_report_window_text(window),
																   poll.status ? poll.status : "(none)",
																   poll.message ? ": " : "",
																   poll.message ? poll.message : ""))),
					 errhint("Raise the option report_timeout_ms.")));
		interval = Min(interval * 2, Max(ALF_REPORT_MAX_POLL_MS, (long) flow->poll_ms));
		MemoryContextReset(step_cxt);
	}
	MemoryContextReset(step_cxt);
}

/*
 * Run one job for window to completion and download its result into a new
 * context (child of the scan's).  Jobs of one report slot are serialized;
 * on any error or cancel the job is cancelled at the vendor, then the
 * error goes on unchanged (so a cancel stays SQLSTATE 57014).
 */
static AlfReportFile *
alf_report_run(AlfReportFlow *flow, const AlfReportWindow *window)
{
	AlfVendorScan *vs = flow->vs;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext report_cxt = AllocSetContextCreate(vs->scan_cxt, "auditlog_fdw report",
													 ALLOCSET_DEFAULT_SIZES);
	MemoryContext step_cxt = AllocSetContextCreate(vs->scan_cxt, "auditlog_fdw report step",
												   ALLOCSET_SMALL_SIZES);
	AlfHttpResponse *volatile resp = NULL;
	AlfReportFile *file;

	flow->jobs++;
	alf_report_lock(flow);
	flow->submitted = false;
	flow->in_http = false;
	PG_TRY();
	{
		MemoryContextSwitchTo(step_cxt);
		flow->submitted = true; /* a failed submit may still have started one */
		alf_report_wait(flow, window, step_cxt);
		MemoryContextSwitchTo(report_cxt);
		flow->in_http = true;
		resp = flow->steps->download(vs, flow->arg);
		flow->in_http = false;
		flow->submitted = false;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		if (flow->submitted && flow->steps->cancel)
			alf_report_cancel(flow);
		flow->submitted = false;
		alf_report_unlock(flow);
		ReThrowError(edata);
	}
	PG_END_TRY();
	alf_report_unlock(flow);
	MemoryContextDelete(step_cxt);

	MemoryContextSwitchTo(report_cxt);
	file = alf_report_scan_file(flow, report_cxt, resp, window);
	MemoryContextSwitchTo(caller);
	ereport(DEBUG1,
			(errmsg_internal("auditlog_fdw: %s job %d for %s: %lld rows (cap %d)",
							 vs->vendor->display_name, flow->jobs,
							 alf_report_window_text(window), (long long) file->nrows,
							 flow->row_cap)));
	alf_log_report_progress(vs->vendor->display_name, flow->jobs,
							flow->steps->paging == ALF_REPORT_WINDOWS ? list_length(flow->windows) : -1,
							alf_report_window_text(window), file->nrows);
	return file;
}

/*
 * The scan's first report is empty: if the vendor wants to, ask the same
 * window once more its other way, so that a misread parameter can never
 * pass for "no records".
 */
static void
alf_report_recheck_empty(AlfReportFlow *flow, AlfReportFile *file,
						 const AlfReportWindow *window)
{
	AlfReportFile *probe;
	int64		nrows;

	if (flow->jobs != 1 || file->nrows > 0 || flow->steps->recheck_empty == NULL ||
		!flow->steps->recheck_empty(flow->vs, flow->arg))
		return;
	flow->probing = true;
	probe = alf_report_run(flow, window);
	flow->probing = false;
	nrows = probe->in_window;
	MemoryContextDelete(probe->cxt);
	flow->steps->recheck_result(flow->vs, flow->arg, window, nrows);
}

static void
alf_report_drop_file(AlfReportFlow *flow)
{
	if (flow->file)
	{
		MemoryContextDelete(flow->file->cxt);
		flow->file = NULL;
	}
}

pg_attribute_noreturn()
static void
alf_report_second_over_cap(AlfReportFlow *flow, int64 sec)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s cannot return all audit records of the second %s",
					flow->vs->vendor->display_name, alf_ms_text(sec * MS_PER_SEC)),
			 errdetail("At least %d records share that second, which is the row cap of one report; the records beyond the cap cannot be fetched.",
					   flow->row_cap),
			 errhint("Add conditions the vendor can filter on (see EXPLAIN VERBOSE), or check the option row_cap.")));
	pg_unreachable();
}

/* Windows: run the next window; halve it and retry while it is at the cap. */
static bool
alf_report_next_window(AlfReportFlow *flow)
{
	while (flow->windows != NIL)
	{
		AlfReportWindow w = *(AlfReportWindow *) llast(flow->windows);
		AlfReportFile *file;
		int64		nsec;
		int64		mid;

		flow->windows = list_delete_last(flow->windows);
		file = alf_report_run(flow, &w);
		alf_report_recheck_empty(flow, file, &w);
		if (file->nrows < flow->row_cap)
		{
			flow->file = file;
			return true;
		}
		/* at the cap: rows may be missing, so ask for each half */
		MemoryContextDelete(file->cxt);
		nsec = (w.end_ms + 1 - w.start_ms) / MS_PER_SEC;
		if (nsec <= 1)
			alf_report_second_over_cap(flow, alf_floor_div64(w.start_ms, MS_PER_SEC));
		mid = w.start_ms + (nsec / 2) * MS_PER_SEC;
		ereport(DEBUG1,
				(errmsg_internal("auditlog_fdw: %s window %s is at the row cap; splitting it at %s",
								 flow->vs->vendor->display_name, alf_report_window_text(&w),
								 alf_ms_text(mid))));
		{
			MemoryContext old = MemoryContextSwitchTo(flow->vs->scan_cxt);

			alf_report_push_window(flow, w.start_ms, mid - 1);
			alf_report_push_window(flow, mid, w.end_ms);
			MemoryContextSwitchTo(old);
		}
	}
	return false;
}

/*
 * Walking back: run the next file.  A file at the cap moves the end to its
 * oldest second for the next one, whose rows of that second are
 * de-duplicated against this file's.
 */
static bool
alf_report_next_walk(AlfReportFlow *flow)
{
	AlfReportFile *file;

	if (flow->walk_done)
		return false;
	file = alf_report_run(flow, &flow->walk);
	alf_report_recheck_empty(flow, file, &flow->walk);
	if (flow->have_boundary)
	{
		file->dedupe = true;
		file->dedupe_sec = flow->boundary_sec;
		file->dedupe_rows = flow->boundary_rows;	/* freed with the flow's next */
		flow->boundary_rows = NULL;
		flow->have_boundary = false;
	}
	if (file->nrows >= flow->row_cap)
	{
		int64		next_end = file->min_sec * MS_PER_SEC + 999;

		if (file->min_sec == file->max_sec || next_end >= flow->walk.end_ms)
			alf_report_second_over_cap(flow, file->min_sec);
		flow->boundary_rows = alf_report_boundary_rows(flow, file);
		flow->boundary_sec = file->min_sec;
		flow->have_boundary = true;
		ereport(DEBUG1,
				(errmsg_internal("auditlog_fdw: %s file is at the row cap; next one ends at %s, less " INT64_FORMAT " rows of that second",
								 flow->vs->vendor->display_name, alf_ms_text(next_end),
								 flow->boundary_rows->nrows)));
		flow->walk.end_ms = next_end;
	}
	else
		flow->walk_done = true;
	flow->file = file;
	return true;
}

/*
 * Add the file's next rows to batch as records (allocated in batch_cxt), at
 * most max; returns how many.
 */
static int
alf_report_fill(AlfReportFlow *flow, AlfReportFile *file, AlfBatch *batch,
				MemoryContext batch_cxt, int max)
{
	StringInfoData row;
	int			n = 0;
	const char **values = palloc(sizeof(char *) * Max(file->ncols, 1));

	if (file->reader == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(file->cxt);

		file->reader = alf_report_open(flow, file);
		MemoryContextSwitchTo(old);
	}
	initStringInfo(&row);
	while (n < max && file->rows_left > 0)
	{
		AlfCsvReader *r = file->reader;
		AlfRecord  *rec;
		MemoryContext old;
		int			i;

		if (!alf_report_next_row(flow, file, r))
			alf_report_csv_error(flow, file, alf_csv_line(r), "the file changed while reading it");
		file->rows_left--;

		if (file->dedupe)
		{
			int64		sec = alf_report_row_second(flow, file, r);

			/* newer rows were all in the previous file */
			if (sec > file->dedupe_sec)
				continue;
			if (sec == file->dedupe_sec)
			{
				alf_row_text(r, &row);
				if (alf_rowset_take(file->dedupe_rows, &row))
					continue;
			}
		}

		for (i = 0; i < file->ncols; i++)
		{
			size_t		len;
			const char *f = alf_csv_field(r, i, &len);

			if (!alf_is_valid_utf8(f, len))
				alf_report_csv_error(flow, file, alf_csv_line(r),
									 psprintf("the \"%s\" field is not valid UTF-8",
											  file->keys[i]));
			values[i] = f;
		}
		/* the row as a record of strings, named by the header */
		rec = &batch->records[batch->nrecords++];
		old = MemoryContextSwitchTo(batch_cxt);
		*rec = alf_record_from_strings(file->ncols, file->keys, values);
		MemoryContextSwitchTo(old);
		if (file->repaired)
			alf_warn_repaired_record(flow->vs, rec);
		n++;
	}
	pfree(row.data);
	pfree(values);
	return n;
}

bool
alf_report_next_batch(AlfReportFlow *flow, AlfBatch *batch)
{
	MemoryContext batch_cxt = CurrentMemoryContext;
	int			n = 0;

	batch->nrecords = 0;
	batch->records = NULL;
	for (;;)
	{
		if (flow->file && flow->file->rows_left > 0)
		{
			MemoryContext old;

			if (batch->records == NULL)
				batch->records = palloc(sizeof(AlfRecord) * ALF_REPORT_BATCH_ROWS);
			old = MemoryContextSwitchTo(flow->file->cxt);
			n += alf_report_fill(flow, flow->file, batch, batch_cxt, ALF_REPORT_BATCH_ROWS - n);
			MemoryContextSwitchTo(old);
			if (n >= ALF_REPORT_BATCH_ROWS)
				break;
			continue;
		}
		if (flow->file)
		{
			if (flow->file->dedupe_rows)
				alf_rowset_free(flow->file->dedupe_rows);
			alf_report_drop_file(flow);
		}
		if (n > 0)
			break;				/* hand these out before the next job */
		CHECK_FOR_INTERRUPTS();
		if (!(flow->steps->paging == ALF_REPORT_WALK_BACK ?
			  alf_report_next_walk(flow) : alf_report_next_window(flow)))
			break;
	}
	return n > 0;
}
