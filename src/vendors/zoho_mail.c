/*-------------------------------------------------------------------------
 * zoho_mail.c
 *	  Zoho Mail organization audit records (vendors.md §4):
 *	  GET /api/organization/{zoid}/activity with a pair of opaque cursors.
 *
 * Auth: "Authorization: Zoho-oauthtoken <token>", the user's oauth_token or
 * one obtained from client_id + client_secret + refresh_token at
 * {accounts_url}/oauth/v2/token.  Zoho mints at most 10 access tokens per
 * 10 minutes for a refresh token, so an obtained token is kept in the
 * backend's token cache (token_cache.h) until a minute before it expires,
 * and a new one is asked for only when there is none, or when the vendor
 * rejects a token that had worked (or came from the cache) -- once.
 *
 * Paging: limit + lastEntityId/lastIndexTime copied back unchanged.  The
 * end of the records is not documented, so a short page is not taken as
 * the end: the scan ends on an empty page (whatever its cursors say) or a
 * page without cursors.  A non-empty page that hands back the cursors it
 * was sent, or a cursor pair seen before, means the vendor ignored them:
 * an error, not an endless loop nor a silently short result.  Both time bounds are always sent (the scan pins "now"),
 * widened by 1 ms since their inclusivity is unknown.  The first page is
 * requested in begin_scan, the next one as soon as the cursors of this one
 * are known (one request in flight: this one has arrived), so a scan under
 * an asynchronous Append never waits on a request it could have sent.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "http.h"
#include "token_cache.h"

enum
{
	ZM_REQUEST_TIME,
	ZM_PERFORMED_BY,
	ZM_PERFORMED_ON,
	ZM_CLIENT_IP,
	ZM_MAIN_CATEGORY,
	ZM_CATEGORY,
	ZM_SUB_CATEGORY,
	ZM_OPERATION,
	ZM_OPERATION_TYPE,
	ZM_STATUS,
	ZM_TYPE,
	ZM_AUDIT_LOG_TYPE,
	ZM_DATA,
	ZM_RAW,
	ZM_NCOLUMNS
};

/* unconfirmed: the searchKey key status (issue 7: not confirmed by the docs) */
static const AlfColumnDef zoho_columns[ZM_NCOLUMNS] = {
	[ZM_REQUEST_TIME] = {"request_time", "timestamptz", ALF_VALUE_EPOCH_MS, {"requestTime"}, ALF_PUSH_RANGE},
	[ZM_PERFORMED_BY] = {"performed_by", "text", ALF_VALUE_PLAIN, {"performedBy"}, ALF_PUSH_EQ},
	[ZM_PERFORMED_ON] = {"performed_on", "text", ALF_VALUE_PLAIN, {"performedOn", "performedFor"}, ALF_PUSH_EQ},
	[ZM_CLIENT_IP] = {"client_ip", "inet", ALF_VALUE_PLAIN, {"clientIp"}, 0},
	[ZM_MAIN_CATEGORY] = {"main_category", "text", ALF_VALUE_PLAIN, {"mainCategory"}, 0},
	[ZM_CATEGORY] = {"category", "text", ALF_VALUE_PLAIN, {"category"}, 0},
	[ZM_SUB_CATEGORY] = {"sub_category", "text", ALF_VALUE_PLAIN, {"subCategory"}, 0},
	[ZM_OPERATION] = {"operation", "text", ALF_VALUE_PLAIN, {"operation"}, 0},
	[ZM_OPERATION_TYPE] = {"operation_type", "text", ALF_VALUE_PLAIN, {"operationType"}, ALF_PUSH_EQ},
	[ZM_STATUS] = {"status", "text", ALF_VALUE_PLAIN, {"status"}, ALF_PUSH_EQ | ALF_PUSH_UNCONFIRMED},
	[ZM_TYPE] = {"type", "text", ALF_VALUE_PLAIN, {"type"}, 0},
	[ZM_AUDIT_LOG_TYPE] = {"audit_log_type", "text", ALF_VALUE_PLAIN, {"auditLogType"}, 0},
	[ZM_DATA] = {"data", "jsonb", ALF_VALUE_JSON_TEXT, {"data"}, 0},
	[ZM_RAW] = {"raw", "jsonb", ALF_VALUE_RECORD, {NULL}, 0},
};

static const AlfOptionDef zoho_options[] = {
	{"zoid", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_DIGITS, 0, 0, NULL, false, true},
	{"accounts_url", ALF_WHERE_SERVER, ALF_OPTKIND_CREDENTIAL_URL},
	{"oauth_token", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"client_id", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"client_secret", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"refresh_token", ALF_WHERE_USER, ALF_OPTKIND_STRING},
};

/* searchKey keys of the pushable columns */
static const struct
{
	int			column;
	const char *key;
}			zoho_search_keys[] = {
	{ZM_PERFORMED_BY, "performedBy"},
	{ZM_PERFORMED_ON, "performedFor"},
	{ZM_OPERATION_TYPE, "operationType"},
	{ZM_STATUS, "status"},
};

#define ZM_DEFAULT_ACCOUNTS_URL "https://accounts.zoho.com"
#define ZM_TOKEN_PATH			"/oauth/v2/token"
#define ZM_DEFAULT_TOKEN_TTL_S	3600
#define ZM_TOKEN_MARGIN_S		60

typedef struct ZohoState
{
	List	   *headers;		/* Authorization (secret) */
	bool		refreshable;	/* client_id + client_secret + refresh_token */
	bool		token_trusted;	/* the token worked before or came from the
								 * cache: a 401 may mean it expired, so one
								 * refresh is worth it */
	const char *accounts_url;
	char	   *cache_kind;
	char	   *entity_id;		/* cursors to send; NULL on the first page */
	char	   *index_time;
	List	   *seen_cursors;	/* "index_time entity_id" of every page */
	AlfHttpPending *pending;	/* the next page, already requested */
	int64		fetched;		/* records so far (LIMIT) */
	bool		finished;
} ZohoState;

/*
 * Whether a value can go into searchKey.  How Zoho escapes ':' inside a
 * value of "key:value::key:value" is not public, so such a value (and an
 * empty one) is never sent: the condition stays local, and the result is
 * the same, only fetched unfiltered.
 */
static bool
zoho_search_value_ok(const char *value)
{
	return value[0] != '\0' && strchr(value, ':') == NULL;
}

static bool
zoho_is_search_column(int column)
{
	int			i;

	for (i = 0; i < (int) lengthof(zoho_search_keys); i++)
		if (zoho_search_keys[i].column == column)
			return true;
	return false;
}

/* Keep constants that searchKey cannot carry local, so EXPLAIN says so. */
static void
zoho_choose_pushdown(List *candidates)
{
	ListCell   *lc;

	foreach(lc, candidates)
	{
		AlfPushCandidate *c = (AlfPushCandidate *) lfirst(lc);

		if (zoho_is_search_column(c->column) && c->const_text &&
			!zoho_search_value_ok(c->const_text))
			c->pushed = false;
	}
}

static void
zoho_describe(const AlfScanRequest *req, AlfRequestSpec *spec)
{
	const char *zoid = alf_option_value(req->options, "zoid");
	StringInfoData search;
	int			i;

	alf_spec_init(spec, "GET");
	appendStringInfo(&spec->path, "/api/organization/%s/activity", zoid ? zoid : "{zoid}");
	/* both bounds always (the scan pins "now"); widened 1 ms: inclusivity unknown */
	alf_spec_param(spec, "startTime", alf_time_param(req, false, ALF_TIME_EPOCH_MS, 1000));
	alf_spec_param(spec, "endTime", alf_time_param(req, true, ALF_TIME_EPOCH_MS, 1000));

	initStringInfo(&search);
	for (i = 0; i < (int) lengthof(zoho_search_keys); i++)
	{
		const AlfColumnFilter *f = alf_request_filter(req, zoho_search_keys[i].column);

		if (f == NULL || f->nvalues != 1)
			continue;
		/* a parameter's value is known only now; the local recheck covers it */
		if (!req->explain_only && !zoho_search_value_ok(f->values[0]))
			continue;
		appendStringInfo(&search, "%s%s:%s", search.len ? "::" : "",
						 zoho_search_keys[i].key, f->values[0]);
	}
	if (search.len)
		alf_spec_param(spec, "searchKey", search.data);
	alf_spec_param(spec, "limit", psprintf("%d", req->page_size));
}

static void
zoho_set_token(AlfVendorScan *vs, ZohoState *st, const char *token)
{
	MemoryContext old = MemoryContextSwitchTo(vs->scan_cxt);

	st->headers = list_make1(psprintf("Authorization: Zoho-oauthtoken %s", token));
	alf_add_secret(vs, token);
	MemoryContextSwitchTo(old);
}

/* An integer or digit-string JSON member, or def. */
static int64
zoho_json_int(json_t *obj, const char *key, int64 def)
{
	json_t	   *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 19 &&
		strspn(json_string_value(v), "0123456789") == json_string_length(v))
		return strtoll(json_string_value(v), NULL, 10);
	return def;
}

/*
 * Trade the refresh token for an access token and cache it.  Zoho's token
 * endpoint answers a bad client or refresh token with 200 and an "error"
 * member, and its own rate limit with "Access Denied".
 */
static void
zoho_refresh(AlfVendorScan *vs, ZohoState *st)
{
	AlfHttpRequest req;
	AlfHttpResponse *resp;
	StringInfoData body;
	json_t	   *root;
	const char *token;
	const char *error;
	const char *desc;
	int64		ttl;
	int64		margin;
	TimestampTz sent;

	initStringInfo(&body);
	appendStringInfo(&body, "grant_type=refresh_token&client_id=%s&client_secret=%s&refresh_token=%s",
					 alf_url_encode(alf_credential(vs, "client_id")),
					 alf_url_encode(alf_credential(vs, "client_secret")),
					 alf_url_encode(alf_credential(vs, "refresh_token")));
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = psprintf("%s%s", st->accounts_url, ZM_TOKEN_PATH);
	req.display = "POST " ZM_TOKEN_PATH;
	req.headers = list_make1("Content-Type: application/x-www-form-urlencoded");
	req.body = body.data;
	req.body_len = body.len;
	sent = GetCurrentTimestamp();
	resp = alf_http_execute(vs->http, &req);
	explicit_bzero(body.data, body.len);

	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (root)
		alf_json_keep(CurrentMemoryContext, root);
	token = alf_json_string_member(root, "access_token");
	error = alf_json_string_member(root, "error");
	desc = alf_json_string_member(root, "error_description");

	if (resp->status >= 200 && resp->status <= 299 && token && token[0])
	{
		ttl = zoho_json_int(root, "expires_in", ZM_DEFAULT_TOKEN_TTL_S);
		if (ttl <= 0)
			ttl = ZM_DEFAULT_TOKEN_TTL_S;
		margin = ttl > 2 * ZM_TOKEN_MARGIN_S ? ZM_TOKEN_MARGIN_S : ttl / 2;
		alf_token_cache_put(vs->serverid, vs->userid, st->accounts_url, st->cache_kind, token,
							sent + (ttl - margin) * USECS_PER_SEC, NULL, NULL);
		zoho_set_token(vs, st, token);
		st->token_trusted = false;
		return;
	}
	if (error && (pg_strcasecmp(error, "Access Denied") == 0 ||
				  (desc && strstr(desc, "too many requests"))))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("Zoho refused to issue another access token for now"),
				 errdetail_internal("%s", alf_scrub_secrets(vs, psprintf("HTTP %ld from %s: %s%s%s",
																		 resp->status, resp->display, error,
																		 desc ? ": " : "", desc ? desc : ""))),
				 errhint("Zoho issues at most 10 access tokens per 10 minutes for one refresh token; retry later.")));
	if (error)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("Zoho rejected the credentials of the user mapping"),
				 errdetail_internal("%s", alf_scrub_secrets(vs, psprintf("HTTP %ld from %s: %s",
																		 resp->status, resp->display, error))),
				 errhint("Check the user mapping options client_id, client_secret and refresh_token, and that accounts_url is the accounts server of the organization's data center.")));
	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, "an access token");
	alf_raise_protocol_error(vs, resp->display, "no \"access_token\" in the token response");
}

static void
zoho_page_spec(AlfVendorScan *vs, ZohoState *st, AlfRequestSpec *spec)
{
	zoho_describe(vs->request, spec);
	if (st->entity_id)
	{
		alf_spec_param(spec, "lastEntityId", st->entity_id);
		alf_spec_param(spec, "lastIndexTime", st->index_time);
	}
}

/* Request the next page now; zoho_next waits for it. */
static void
zoho_start_page(AlfVendorScan *vs, ZohoState *st)
{
	AlfRequestSpec spec;

	zoho_page_spec(vs, st, &spec);
	st->pending = alf_vendor_start(vs, &spec, st->headers);
	vs->next_pending = st->pending;
}

static void
zoho_begin(AlfVendorScan *vs)
{
	static const char *const refresh_set[] = {"client_id", "client_secret", "refresh_token", NULL};
	static const char *const token_set[] = {"oauth_token", NULL};
	static const char *const *sets[] = {refresh_set, token_set, NULL};
	ZohoState  *st = palloc0(sizeof(ZohoState));
	const char *accounts_url = alf_option_value(vs->options, "accounts_url");
	char	   *cached;

	alf_require_credentials(vs, sets);
	vs->state = st;
	st->accounts_url = accounts_url ? accounts_url : ZM_DEFAULT_ACCOUNTS_URL;
	st->refreshable = alf_credential(vs, "client_id") && alf_credential(vs, "client_secret") &&
		alf_credential(vs, "refresh_token");
	if (!st->refreshable)
	{
		st->headers = list_make1(psprintf("Authorization: Zoho-oauthtoken %s",
										  alf_credential(vs, "oauth_token")));
		zoho_start_page(vs, st);
		return;
	}
	/* a token from one accounts server is useless with another's */
	st->cache_kind = psprintf("zoho_mail access token from %s", st->accounts_url);
	cached = alf_token_cache_get(vs->serverid, vs->userid, st->accounts_url, st->cache_kind);
	if (cached)
	{
		zoho_set_token(vs, st, cached);
		st->token_trusted = true;
	}
	else
		zoho_refresh(vs, st);
	zoho_start_page(vs, st);
}

/* A cursor as text: a string, or a number printed as such; NULL if absent. */
static char *
zoho_cursor(json_t *data, const char *key)
{
	json_t	   *v = json_object_get(data, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		return pstrdup(json_string_value(v));
	if (json_is_integer(v))
		return psprintf("%lld", (long long) json_integer_value(v));
	return NULL;
}

static bool
zoho_next(AlfVendorScan *vs, AlfBatch *batch)
{
	ZohoState  *st = (ZohoState *) vs->state;
	AlfRequestSpec spec;
	AlfHttpPending *pending;
	AlfHttpResponse *resp;
	json_t	   *root;
	json_t	   *status;
	json_t	   *data;
	json_t	   *audit;
	char	   *entity_id;
	char	   *index_time;
	char	   *pair;
	ListCell   *lc;
	MemoryContext old;
	static const char *const path[] = {"data", "audit", NULL};

	if (st->finished)
		return false;
	if (st->pending == NULL)
		zoho_start_page(vs, st);
	pending = st->pending;
	st->pending = NULL;
	vs->next_pending = NULL;
	resp = alf_vendor_finish(vs, pending);
	if (resp->status == 401 && st->refreshable && st->token_trusted)
	{
		/* the token expired early or was revoked: one new one, then give up */
		alf_token_cache_forget(vs->serverid, vs->userid, st->accounts_url, st->cache_kind, false);
		zoho_refresh(vs, st);
		zoho_page_spec(vs, st, &spec);
		resp = alf_vendor_request(vs, &spec, st->headers);
	}
	root = alf_parse_record_page(vs, resp, "the audit records", path, batch);
	st->token_trusted = true;

	status = json_object_get(root, "status");
	if (json_is_object(status) && json_is_integer(json_object_get(status, "code")) &&
		(json_integer_value(json_object_get(status, "code")) < 200 ||
		 json_integer_value(json_object_get(status, "code")) > 299))
		alf_raise_vendor_error(vs, resp, "the audit records");
	data = json_object_get(root, "data");
	if (!json_is_object(data))
		alf_raise_protocol_error(vs, resp->display, "expected a \"data\" object");
	audit = json_object_get(data, "audit");
	if (audit != NULL && !json_is_null(audit) && !json_is_array(audit))
		alf_raise_protocol_error(vs, resp->display, "\"data.audit\" is not an array");

	/* no "audit" in a success envelope: no records */
	if (!json_is_array(audit) || batch->nrecords == 0)
	{
		st->finished = true;
		batch->nrecords = 0;
		return false;
	}
	st->fetched += batch->nrecords;

	entity_id = zoho_cursor(data, "lastEntityId");
	index_time = zoho_cursor(data, "lastIndexTime");
	if (entity_id == NULL || index_time == NULL)
	{
		st->finished = true;
		return false;			/* this batch is the last */
	}

	/*
	 * Records, yet the cursors we sent come back: the next request would be
	 * this one again, so either this page repeats forever or the scan would
	 * stop with the records after it unread.  Neither is an answer.
	 */
	if (st->entity_id && strcmp(entity_id, st->entity_id) == 0 &&
		strcmp(index_time, st->index_time) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Zoho Mail returned records without moving its cursors"),
				 errdetail_internal("%s returned %d records and the cursors lastIndexTime=%s, lastEntityId=%s it was sent.",
									resp->display, batch->nrecords, index_time, entity_id),
				 errhint("The vendor ignored lastEntityId and lastIndexTime; check that base_url is the organization's Zoho Mail API.")));
	pair = psprintf("%s %s", index_time, entity_id);
	foreach(lc, st->seen_cursors)
		if (strcmp((char *) lfirst(lc), pair) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Zoho Mail returned to an earlier page"),
					 errdetail_internal("%s answered with the cursors lastIndexTime=%s, lastEntityId=%s of an earlier page.",
										resp->display, index_time, entity_id),
					 errhint("The vendor ignored lastEntityId and lastIndexTime; check that base_url is the organization's Zoho Mail API.")));

	old = MemoryContextSwitchTo(vs->scan_cxt);
	if (st->entity_id)
	{
		pfree(st->entity_id);
		pfree(st->index_time);
	}
	st->entity_id = pstrdup(entity_id);
	st->index_time = pstrdup(index_time);
	st->seen_cursors = lappend(st->seen_cursors, pstrdup(pair));
	MemoryContextSwitchTo(old);
	/* the next page now, unless LIMIT is probably met or this is the probe */
	if (!vs->probe &&
		!(vs->request->limit_hint > 0 && st->fetched >= vs->request->limit_hint))
		zoho_start_page(vs, st);
	return true;
}

static void
zoho_end(AlfVendorScan *vs)
{
	ZohoState  *st = (ZohoState *) vs->state;

	if (st->pending)
		alf_http_abandon(vs->http, st->pending);
	st->pending = NULL;
	vs->next_pending = NULL;
}

/* "description: errorCode, moreInfo" from Zoho's envelopes, or NULL. */
static char *
zoho_error_message(const AlfHttpResponse *resp)
{
	json_t	   *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	json_t	   *status;
	json_t	   *data;
	const char *desc = NULL;
	const char *code = NULL;
	const char *info = NULL;
	StringInfoData buf;

	if (root == NULL)
		return NULL;
	status = json_object_get(root, "status");
	data = json_object_get(root, "data");
	desc = alf_json_string_member(status, "description");
	code = alf_json_string_member(data, "errorCode");
	info = alf_json_string_member(data, "moreInfo");
	if (code == NULL && desc == NULL)
	{
		/* the token endpoint's {"error", "error_description"} */
		code = alf_json_string_member(root, "error");
		info = alf_json_string_member(root, "error_description");
	}
	initStringInfo(&buf);
	if (desc)
		appendStringInfoString(&buf, desc);
	if (code)
		appendStringInfo(&buf, "%s%s", buf.len ? ": " : "", code);
	if (info)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", info);
	json_decref(root);
	return buf.len ? buf.data : NULL;
}

/* Zoho's rate limit: errorCode TOO_MANY_REQUESTS (or the like), any status. */
static bool
zoho_is_throttled(const AlfHttpResponse *resp)
{
	json_t	   *root;
	json_t	   *code;
	const char *error;
	bool		throttled = false;

	/* cheap test first: this runs on every response, pages included */
	if (resp->body == NULL || strstr(resp->body, "\"errorCode\"") == NULL)
		return false;
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (root == NULL)
		return false;
	error = alf_json_string_member(json_object_get(root, "data"), "errorCode");
	code = json_object_get(json_object_get(root, "status"), "code");
	if (error && (pg_strcasecmp(error, "TOO_MANY_REQUESTS") == 0 ||
				  pg_strcasecmp(error, "RATE_LIMIT_EXCEEDED") == 0 ||
				  pg_strcasecmp(error, "THROTTLED") == 0))
		throttled = true;
	if (json_is_integer(code) && json_integer_value(code) == 429)
		throttled = true;
	json_decref(root);
	return throttled;
}

const AlfVendor alf_vendor_zoho_mail = {
	.name = "zoho_mail",
	.display_name = "Zoho Mail",
	.table_name = "zoho_mail_audit",
	.columns = zoho_columns,
	.ncolumns = ZM_NCOLUMNS,
	.time_column = ZM_REQUEST_TIME,
	.flow = ALF_FLOW_PAGING,
	.flow_description = "cursor paging",
	.max_page_size = 200,
	/* each page needs the cursors of the one before */
	.default_concurrency = 1,
	.default_requests_per_minute = 30,	/* third-party figure (4.5) */
	/* a limit of 30 requests a minute is reported, then a lockout [C-3p] */
	.min_request_interval_ms = 2000,
	.retention_days = 0,
	.can_sort = false,
	.split_windows = true,
	.options = zoho_options,
	.noptions = lengthof(zoho_options),
	.auth_hint = "Check the user mapping options oauth_token, or client_id, client_secret "
	"and refresh_token (scope ZohoMail.organization.audit.READ); base_url and accounts_url "
	"must be in the organization's data center.",
	.choose_pushdown = zoho_choose_pushdown,
	.describe_request = zoho_describe,
	.begin_scan = zoho_begin,
	.next_batch = zoho_next,
	.end_scan = zoho_end,
	.error_message = zoho_error_message,
	.is_throttled = zoho_is_throttled,
};
