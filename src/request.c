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

char *
alf_format_time(TimestampTz t, AlfTimeFormat fmt)
{
	int64		usec = alf_timestamptz_to_epoch_usec(t);
	char		buf[64];

	switch (fmt)
	{
		case ALF_TIME_ISO_SECONDS:
			alf_format_iso_utc(usec, 0, buf, sizeof(buf));
			return pstrdup(buf);
		case ALF_TIME_ISO_MILLIS:
			alf_format_iso_utc(usec, 3, buf, sizeof(buf));
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
