/*-------------------------------------------------------------------------
 * request.c
 *	  Request descriptions shared by vendors: parameters, URLs, the text
 *	  shown in EXPLAIN and errors, and time bounds as request parameters.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "datatype/timestamp.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "http.h"
#include "timeparse.h"

/*
 * The range of bounds a request can carry: from the Unix epoch (nothing
 * is older) to the start of year 9999 (ISO 8601 has four year digits, and
 * a bound is widened by at most a day before it is written); 5373120 is
 * the Julian day of 9999-01-01.
 */
#define ALF_MIN_BOUND \
	((TimestampTz) (UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)
#define ALF_MAX_BOUND \
	((TimestampTz) (INT64CONST(5373120) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)

void
alf_spec_init(AlfRequestSpec *spec, const char *method)
{
	memset(spec, 0, sizeof(AlfRequestSpec));
	spec->method = method;
	initStringInfo(&spec->path);
}

void
alf_spec_param(AlfRequestSpec *spec, const char *name, const char *value)
{
	spec->param_names = lappend(spec->param_names, pstrdup(name));
	spec->param_values = lappend(spec->param_values, pstrdup(value));
}

void
alf_spec_free_body(AlfRequestSpec *spec)
{
	if (spec->body)
		json_decref(spec->body);
	spec->body = NULL;
}

static void
alf_append_query(StringInfo buf, const AlfRequestSpec *spec, bool encode)
{
	ListCell   *n;
	ListCell   *v;
	bool		first = true;

	forboth(n, spec->param_names, v, spec->param_values)
	{
		appendStringInfoChar(buf, first ? '?' : '&');
		first = false;
		if (encode)
			appendStringInfo(buf, "%s=%s", alf_url_encode((char *) lfirst(n)),
							 alf_url_encode((char *) lfirst(v)));
		else
			appendStringInfo(buf, "%s=%s", (char *) lfirst(n), (char *) lfirst(v));
	}
}

/* "GET /path?a=b" (+ compact JSON body); never holds a secret. */
char *
alf_spec_display(const AlfRequestSpec *spec)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s", spec->method, spec->path.data);
	alf_append_query(&buf, spec, false);
	if (spec->body)
	{
		char	   *body = json_dumps(spec->body, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (body)
		{
			appendStringInfo(&buf, " %s", body);
			free(body);
		}
	}
	return buf.data;
}

char *
alf_spec_url(const char *base_url, const AlfRequestSpec *spec)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s%s", base_url, spec->path.data);
	alf_append_query(&buf, spec, true);
	return buf.data;
}

const AlfColumnFilter *
alf_request_filter(const AlfScanRequest *req, int column)
{
	ListCell   *lc;

	foreach(lc, req->filters)
		if (((AlfColumnFilter *) lfirst(lc))->column == column)
			return (const AlfColumnFilter *) lfirst(lc);
	return NULL;
}

/*
 * Whether an inet value's text has the one spelling a vendor can have
 * stored: an IPv4 host address does.  IPv6 can be written several ways
 * (compressed or not, upper case, embedded IPv4) and no vendor document
 * says which it keeps, so such a value is left to the local filter: a
 * wrong guess must cost requests, never rows.
 */
bool
alf_inet_spelling_certain(const char *text)
{
	return strchr(text, ':') == NULL && strchr(text, '/') == NULL;
}

static int64
alf_format_unit_usec(AlfTimeFormat fmt)
{
	switch (fmt)
	{
		case ALF_TIME_ISO_SECONDS:
		case ALF_TIME_EPOCH_S:
			return USECS_PER_SEC;
		case ALF_TIME_ISO_MILLIS:
		case ALF_TIME_EPOCH_MS:
			return 1000;
	}
	return 1;
}

/* Floor division that also works for negative numbers. */
static int64
alf_floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

TimestampTz
alf_time_widened(const AlfScanRequest *req, bool upper, AlfTimeFormat fmt, int64 widen_usec)
{
	const AlfTimeBound *b = upper ? &req->upper : &req->lower;
	int64		unit = alf_format_unit_usec(fmt);
	int64		usec = alf_timestamptz_to_epoch_usec(b->value);

	if (b->value == DT_NOBEGIN || b->value == DT_NOEND)
		return b->value;
	usec = upper ? usec + widen_usec : usec - widen_usec;
	/* round outward to what the format can say */
	if (upper)
		usec = -alf_floor_div(-usec, unit) * unit;
	else
		usec = alf_floor_div(usec, unit) * unit;
	if (!upper && usec < 0)
		usec = 0;				/* nothing predates the epoch */
	return alf_epoch_usec_to_timestamptz(usec);
}

/*
 * A time as a request parameter.  Every bound that reaches here has been
 * through alf_clamp_time_bounds; a value the format cannot write is still
 * refused (never printed from a buffer the formatter did not fill).
 */
char *
alf_format_time(TimestampTz t, AlfTimeFormat fmt)
{
	int64		usec;
	char		buf[64];
	int			len = -1;

	if (TIMESTAMP_NOT_FINITE(t) || t < ALF_MIN_BOUND || t > ALF_MAX_BOUND + USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("time bound %s is out of the range a vendor request can express",
						timestamptz_to_str(t))));
	usec = alf_timestamptz_to_epoch_usec(t);
	switch (fmt)
	{
		case ALF_TIME_ISO_SECONDS:
		case ALF_TIME_ISO_MILLIS:
			len = alf_format_iso_utc(usec, fmt == ALF_TIME_ISO_MILLIS ? 3 : 0, buf, sizeof(buf));
			if (len < 0)
				elog(ERROR, "could not format time bound %s", timestamptz_to_str(t));
			return pstrdup(buf);
		case ALF_TIME_EPOCH_MS:
			return psprintf(INT64_FORMAT, alf_floor_div(usec, 1000));
		case ALF_TIME_EPOCH_S:
			return psprintf(INT64_FORMAT, alf_floor_div(usec, USECS_PER_SEC));
	}
	return NULL;
}

char *
alf_time_param(const AlfScanRequest *req, bool upper, AlfTimeFormat fmt, int64 widen_usec)
{
	const AlfTimeBound *b = upper ? &req->upper : &req->lower;

	if (req->explain_only && b->display)
		return pstrdup(b->display);
	if (req->explain_only && !b->from_query && upper)
		return pstrdup("(scan start)");
	return alf_format_time(alf_time_widened(req, upper, fmt, widen_usec), fmt);
}

/*
 * Bounds no vendor format can write (infinity, year 10000 and later), or
 * that leave nothing to ask for, become what they mean for the scan:
 *   upper infinity or after ALF_MAX_BOUND  -> the open upper bound (now)
 *   lower -infinity                        -> the open lower bound
 *   lower after ALF_MAX_BOUND, upper before 1970 -> an empty range
 * A finite lower bound before 1970 stays: the pinned range and the
 * formatters already start at the epoch (or the vendor's retention).
 * Bounds known only at run time (EXPLAIN's expressions) are left alone.
 * Returns false when the range is empty; in EXPLAIN both bounds then say
 * so, as no request will be sent.
 */
bool
alf_clamp_time_bounds(const AlfVendor *vendor, AlfScanRequest *req)
{
	AlfTimeBound *lo = &req->lower;
	AlfTimeBound *hi = &req->upper;
	bool		lo_known = lo->from_query && lo->display == NULL;
	bool		hi_known = hi->from_query && hi->display == NULL;
	bool		empty = (lo_known && lo->value > ALF_MAX_BOUND) ||
		(hi_known && hi->value < ALF_MIN_BOUND);

	if (empty)
	{
		lo->value = hi->value = ALF_MIN_BOUND;	/* keeps arithmetic on them sane */
		lo->inclusive = hi->inclusive = true;
		if (req->explain_only)
			lo->display = hi->display = "(empty range: no request)";
		return false;
	}
	if (lo_known && lo->value == DT_NOBEGIN)
	{
		lo->from_query = false;
		lo->value = ALF_MIN_BOUND;
		lo->inclusive = true;
		if (req->explain_only && vendor->retention_days > 0)
			lo->display = psprintf("(scan start - %d days)", vendor->retention_days);
	}
	if (hi_known && hi->value > ALF_MAX_BOUND)
	{
		hi->from_query = false;
		hi->value = DT_NOEND;	/* pinned to the scan start when it runs */
		hi->inclusive = true;
		if (req->explain_only)
			hi->display = "(scan start)";
	}
	return true;
}
