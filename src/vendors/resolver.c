/*-------------------------------------------------------------------------
 * resolver.c
 *	  Resolver Core "User Audit Trail" export (vendors.md §5).
 *
 * Flow (report_flow.c runs it): POST /audit/user/export {dateStart,
 * dateEnd} answers a job id; GET /object/job/{id} until signedURL is set;
 * GET that URL, without the Resolver credentials: a CSV of the newest
 * 50,000 matching events, newest first.  A file at the cap is followed by
 * another ending at its oldest second (dateEnd is inclusive), whose rows of
 * that second the previous file returned are dropped as a multiset.
 *
 * The unit of dateStart/dateEnd is not documented: option epoch_unit (s by
 * default).  In seconds the end is sent one second late, so a vendor that
 * compares it with millisecond times still includes the whole last second
 * (the extra rows are dropped locally).  A wrong unit reads as an empty
 * window, never as an error, so when epoch_unit is not set and the first
 * export is empty, the same window is asked once more in the other unit:
 * if that one has rows the scan fails with a hint to set epoch_unit,
 * rather than return the empty answer.
 *
 * The job id may come back as a JSON string, a number or an object
 * holding id or jobId; all are accepted, and an id seen before in the scan
 * is an error.  A job whose status or error field says it failed, or that
 * is done without a signedURL, fails the scan with the vendor's words.  A signed URL is a secret
 * (its query carries the signature): it must be https (or loopback http
 * when base_url is), and only its path is ever shown.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "auditlog_fdw.h"
#include "http.h"
#include "report_flow.h"

enum
{
	RS_DATE_TIME,
	RS_EVENT,
	RS_SUBJECT,
	RS_SUBJECT_TYPE,
	RS_PERFORMED_BY,
	RS_EXTERNAL_REFERENCE_ID,
	RS_IP_ADDRESS,
	RS_DETAILS,
	RS_RAW,
	RS_NCOLUMNS
};

static const AlfColumnDef resolver_columns[RS_NCOLUMNS] = {
	[RS_DATE_TIME] = {"date_time", "timestamptz", ALF_VALUE_TIMESTAMP, {"Date and Time"}, ALF_PUSH_RANGE},
	[RS_EVENT] = {"event", "text", ALF_VALUE_PLAIN, {"Event"}, 0},
	[RS_SUBJECT] = {"subject", "text", ALF_VALUE_PLAIN, {"Subject"}, 0},
	[RS_SUBJECT_TYPE] = {"subject_type", "text", ALF_VALUE_PLAIN, {"Subject Type"}, 0},
	[RS_PERFORMED_BY] = {"performed_by", "text", ALF_VALUE_PLAIN, {"Performed By"}, 0},
	[RS_EXTERNAL_REFERENCE_ID] = {"external_reference_id", "text", ALF_VALUE_PLAIN,
	{"External Reference ID"}, 0},
	[RS_IP_ADDRESS] = {"ip_address", "inet", ALF_VALUE_PLAIN, {"IP Address"}, 0},
	[RS_DETAILS] = {"details", "text", ALF_VALUE_PLAIN, {"Details"}, 0},
	[RS_RAW] = {"raw", "jsonb", ALF_VALUE_RECORD, {NULL}, 0},
};

static const char *const resolver_epoch_units[] = {"s", "ms", NULL};

static const AlfOptionDef resolver_options[] = {
	{"api_token", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"epoch_unit", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_ENUM, 0, 0, resolver_epoch_units},
	ALF_REPORT_OPTION_ROWS,
};

#define RS_EXPORT_PATH	"/audit/user/export"
#define RS_JOB_PATH		"/object/job/"
#define RS_ROW_CAP		50000

typedef struct RsState
{
	List	   *headers;		/* Authorization (secret) */
	bool		ms;				/* dateStart/dateEnd in milliseconds now */
	bool		unit_set;		/* epoch_unit was given */
	List	   *job_ids;		/* every job id of the scan (scan_cxt) */
	char	   *job_id;
	char	   *signed_url;		/* secret: never shown whole */
	AlfReportFlow *flow;
} RsState;

static bool
rs_epoch_ms(const AlfScanRequest *req)
{
	const char *unit = req->options ? alf_option_value(req->options, "epoch_unit") : NULL;

	return unit && strcmp(unit, "ms") == 0;
}

/* A bound in ms or s; in EXPLAIN, a run-time bound as its expression. */
static json_t *
rs_date_member(const AlfScanRequest *req, bool upper, int64 ms, bool in_ms)
{
	const AlfTimeBound *b = upper ? &req->upper : &req->lower;

	if (req->explain_only && b->display)
		return json_string(b->display);
	if (req->explain_only && upper && !b->from_query)
		return json_string("(scan start)");
	if (in_ms)
		return json_integer(ms);
	/* the window's end is the last ms of its second: send the next second */
	return json_integer(upper ? ms / 1000 + 1 : ms / 1000);
}

static void
rs_export_spec(const AlfScanRequest *req, const AlfReportWindow *w, bool in_ms,
			   AlfRequestSpec *spec)
{
	json_t	   *body = json_pack("{}");	/* not json_object(): the server has one too */

	alf_spec_init(spec, "POST");
	appendStringInfoString(&spec->path, RS_EXPORT_PATH);
	json_object_set_new(body, "dateStart", rs_date_member(req, false, w->start_ms, in_ms));
	json_object_set_new(body, "dateEnd", rs_date_member(req, true, w->end_ms, in_ms));
	spec->body = body;
}

static const AlfReportSteps resolver_steps;

static void
resolver_describe(const AlfScanRequest *req, AlfRequestSpec *spec)
{
	AlfReportWindow w;

	alf_report_first_window(&resolver_steps, req, &w);
	rs_export_spec(req, &w, rs_epoch_ms(req), spec);
}

/* A job id from a bare string, a number, or an object with id / jobId. */
static char *
rs_job_id(json_t *v)
{
	if (json_is_object(v))
	{
		json_t	   *id = json_object_get(v, "id");

		if (id == NULL || json_is_null(id))
			id = json_object_get(v, "jobId");
		return (id && !json_is_object(id)) ? rs_job_id(id) : NULL;
	}
	if (json_is_string(v) && json_string_length(v) > 0)
		return pstrdup(json_string_value(v));
	if (json_is_integer(v))
		return psprintf("%lld", (long long) json_integer_value(v));
	if (json_is_real(v) && json_real_value(v) == (double) (int64) json_real_value(v))
		return psprintf(INT64_FORMAT, (int64) json_real_value(v));
	return NULL;
}

static void
rs_submit(AlfVendorScan *vs, void *arg, const AlfReportWindow *window)
{
	RsState    *st = (RsState *) arg;
	AlfRequestSpec spec;
	AlfHttpResponse *volatile resp = NULL;
	json_t	   *root;
	char	   *id = NULL;

	rs_export_spec(vs->request, window, st->ms, &spec);
	PG_TRY();
	{
		resp = alf_vendor_request(vs, &spec, st->headers);
	}
	PG_FINALLY();
	{
		alf_spec_free_body(&spec);
	}
	PG_END_TRY();
	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, "an audit trail export");
	root = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
	if (root)
	{
		id = rs_job_id(root);
		json_decref(root);
	}
	else
	{
		/* "the response body is the job id": maybe not even JSON */
		char	   *text = pnstrdup(resp->body, resp->body_len);
		char	   *end;

		while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
			text++;
		end = text + strlen(text);
		while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
							  end[-1] == '\n'))
			*--end = '\0';
		if (*text && strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
							"0123456789-_.:") == strlen(text))
			id = text;
	}
	if (id == NULL)
		alf_raise_protocol_error(vs, resp->display,
								 psprintf("no job id in the answer: %s",
										  alf_http_body_snippet(resp, 120)));
	{
		ListCell   *lc;

		/* a finished job's id again: its rows would be returned twice */
		foreach(lc, st->job_ids)
			if (strcmp((const char *) lfirst(lc), id) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("Resolver answered a new export with the id of an earlier one"),
						 errdetail_internal("%s returned job id %s, which an earlier export of this scan had.",
											resp->display, id),
						 errhint("The vendor may have ignored the export's dateStart and dateEnd; check epoch_unit.")));
	}
	{
		MemoryContext old = MemoryContextSwitchTo(vs->scan_cxt);	/* not the step's */

		st->job_id = pstrdup(id);
		st->job_ids = lappend(st->job_ids, st->job_id);
		MemoryContextSwitchTo(old);
	}
	st->signed_url = NULL;
}

/* The first string member of obj among names, or NULL. */
static const char *
rs_string_member(json_t *obj, const char *const *names)
{
	for (; *names; names++)
	{
		const char *v = alf_json_string_member(obj, *names);

		if (v && v[0])
			return v;
	}
	return NULL;
}

/* Register the secret parts of a signed URL: its query and long values. */
static void
rs_register_url_secrets(AlfVendorScan *vs, const char *url)
{
	const char *q = strchr(url, '?');
	char	   *copy;
	char	   *save;
	char	   *part;

	if (q == NULL)
		return;
	alf_add_secret(vs, q + 1);
	copy = pstrdup(q + 1);
	for (part = strtok_r(copy, "&", &save); part; part = strtok_r(NULL, "&", &save))
	{
		char	   *eq = strchr(part, '=');

		if (eq && strlen(eq + 1) >= 16)
			alf_add_secret(vs, eq + 1);
	}
}

static void
rs_poll(AlfVendorScan *vs, void *arg, AlfReportPoll *result)
{
	static const char *const status_names[] = {"status", "state", "jobStatus", NULL};
	static const char *const error_names[] = {"error", "errorMessage", "failureReason",
	"message", NULL};
	static const char *const failure_names[] = {"error", "errorMessage", "failureReason", NULL};
	RsState    *st = (RsState *) arg;
	AlfRequestSpec spec;
	AlfHttpResponse *resp;
	json_t	   *root;
	json_t	   *error;
	const char *url;
	int			i;

	alf_spec_init(&spec, "GET");
	appendStringInfo(&spec.path, "%s%s", RS_JOB_PATH, alf_url_encode(st->job_id));
	resp = alf_vendor_request(vs, &spec, st->headers);
	root = alf_parse_json_response(vs, resp, "the export job");
	if (!json_is_object(root))
		alf_raise_protocol_error(vs, resp->display, "the job is not a JSON object");
	url = alf_json_string_member(root, "signedURL");
	result->status = rs_string_member(root, status_names);
	result->message = rs_string_member(root, error_names);
	if (url && url[0])
	{
		rs_register_url_secrets(vs, url);
		st->signed_url = MemoryContextStrdup(vs->scan_cxt, url);
		result->ready = true;
		return;
	}
	/* a failure may show only as an error field (the job's shape is [U]) */
	for (i = 0; failure_names[i]; i++)
	{
		error = json_object_get(root, failure_names[i]);
		if (error && !json_is_null(error) && !json_is_false(error) &&
			!(json_is_string(error) && json_string_length(error) == 0))
			result->failed = true;
	}
	if (result->message == NULL && json_is_object(json_object_get(root, "error")))
		result->message = alf_json_string_member(json_object_get(root, "error"), "message");
}

/* scheme://host/path of a URL: what may be shown of a signed URL. */
static char *
rs_url_shown(const char *url)
{
	return pnstrdup(url, strcspn(url, "?#"));
}

static AlfHttpResponse *
rs_download(AlfVendorScan *vs, void *arg)
{
	RsState    *st = (RsState *) arg;
	AlfHttpRequest req;
	AlfHttpResponse *resp;
	char	   *shown = rs_url_shown(st->signed_url);

	if (!alf_url_allowed(vs->options, st->signed_url))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Resolver gave a download URL that is not https"),
				 errdetail_internal("%s", alf_scrub_secrets(vs, shown)),
				 errhint("Only https:// URLs, or http:// on a loopback host when base_url is one, are followed.")));
	/* no Authorization: a presigned URL needs none, and must not see it */
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = st->signed_url;
	req.display = psprintf("GET %s", shown);
	req.accept = "text/csv";
	resp = alf_http_execute(vs->http, &req);
	if (resp->status < 200 || resp->status > 299)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Resolver could not serve the audit trail export"),
				 errdetail_internal("%s",
									alf_scrub_secrets(vs, psprintf("HTTP %ld from %s: %s",
																   resp->status, resp->display,
																   alf_http_body_snippet(resp, 300))))));
	return resp;
}

/* The first export is empty and the unit was a guess: try the other one. */
static bool
rs_recheck_empty(AlfVendorScan *vs, void *arg)
{
	RsState    *st = (RsState *) arg;

	if (st->unit_set)
		return false;
	st->ms = !st->ms;
	return true;
}

static void
rs_recheck_result(AlfVendorScan *vs, void *arg, const AlfReportWindow *window, int64 nrows)
{
	RsState    *st = (RsState *) arg;
	const char *tried = st->ms ? "ms" : "s";

	st->ms = !st->ms;
	if (nrows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Resolver reads dateStart and dateEnd in %s, not in %s",
						st->ms ? "seconds" : "milliseconds", st->ms ? "milliseconds" : "seconds"),
				 errdetail("An export of %s in %s returned no rows; the same window in %s returned " INT64_FORMAT ".",
						   alf_report_window_text(window), st->ms ? "milliseconds" : "seconds",
						   st->ms ? "seconds" : "milliseconds", nrows),
				 errhint("Set the server option epoch_unit to '%s'.", tried)));
}

static const AlfReportSteps resolver_steps = {
	.what = "the audit trail export",
	.paging = ALF_REPORT_WALK_BACK,
	.max_window_ms = 0,
	.default_row_cap = RS_ROW_CAP,
	.max_row_cap = RS_ROW_CAP,
	.lock_key = NULL,
	.submit = rs_submit,
	.poll = rs_poll,
	.download = rs_download,
	.cancel = NULL,				/* no documented way to cancel a job */
	.recheck_empty = rs_recheck_empty,
	.recheck_result = rs_recheck_result,
};

static void
resolver_begin(AlfVendorScan *vs)
{
	static const char *const token_set[] = {"api_token", NULL};
	static const char *const *sets[] = {token_set, NULL};
	RsState    *st = palloc0(sizeof(RsState));

	alf_require_credentials(vs, sets);
	/* Resolver's own examples write the scheme in lower case */
	st->headers = list_make1(psprintf("Authorization: bearer %s",
									  alf_credential(vs, "api_token")));
	st->unit_set = alf_option_value(vs->options, "epoch_unit") != NULL;
	st->ms = rs_epoch_ms(vs->request);
	st->flow = alf_report_begin(vs, &resolver_steps, st);
	vs->state = st;
}

static bool
resolver_next(AlfVendorScan *vs, AlfBatch *batch)
{
	return alf_report_next_batch(((RsState *) vs->state)->flow, batch);
}

/* {"message": ...} or {"error": ...}, or NULL. */
static char *
resolver_error_message(const AlfHttpResponse *resp)
{
	json_t	   *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg;
	char	   *result = NULL;

	if (root == NULL)
		return NULL;
	msg = alf_json_string_member(root, "message");
	if (msg == NULL)
		msg = alf_json_string_member(root, "error");
	if (msg)
		result = pstrdup(msg);
	json_decref(root);
	return result;
}

const AlfVendor alf_vendor_resolver = {
	.name = "resolver",
	.display_name = "Resolver",
	.table_name = "resolver_audit",
	.columns = resolver_columns,
	.ncolumns = RS_NCOLUMNS,
	.time_column = RS_DATE_TIME,
	.flow = ALF_FLOW_REPORT,
	.flow_description = "async export job, CSV, paged backwards past 50000 rows",
	.max_page_size = 0,
	.default_concurrency = 1,
	/* undocumented (5.7): no budget of ours; a 429 or Retry-After still pauses the server */
	.default_requests_per_minute = 0,
	.retention_days = 0,
	.can_sort = false,
	.options = resolver_options,
	.noptions = lengthof(resolver_options),
	.auth_hint = "Check the user mapping option api_token; the export needs an API key of a user with the Administrator permission.",
	.describe_request = resolver_describe,
	.begin_scan = resolver_begin,
	.next_batch = resolver_next,
	.end_scan = NULL,
	.error_message = resolver_error_message,
};
