/*-------------------------------------------------------------------------
 * zscaler.c
 *	  Zscaler Internet Access admin audit log reports (vendors.md §1).
 *
 * Flow (report_flow.c runs it): POST /api/v1/auditlogEntryReport with an
 * AuditLogEntryRequest (204), poll GET /api/v1/auditlogEntryReport until
 * its status is COMPLETE, GET .../download with Accept: text/csv.  A tenant
 * has one report slot, so jobs for one tenant are serialized across
 * backends; a job cancelled or failed midway is dropped with DELETE.
 * Reports cover at most 31 days and 1000 rows: the flow splits the range
 * into windows and halves a window whose report is at the cap.
 *
 * Auth: the legacy session (obfuscated API key, JSESSIONID cookie) or a
 * OneAPI client-credentials Bearer token; either is cached per server and
 * user in the backend (token_cache.c) and obtained again once on a 401.
 * Sessions are logged out when dropped from the cache.
 *
 * Filters: the CSV shows UI labels ("Sign In", "Successful") where the
 * request takes enum names (SIGN_IN, SUCCESS); a constant that has a known enum
 * is sent translated, anything else stays a local condition.  Category and
 * sub-category enum spellings are not public: the table below holds the
 * labels whose enums are known, and others are filtered locally.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "csv_reader.h"
#include "http.h"
#include "report_flow.h"
#include "token_cache.h"
#include "vendors/zia_obfuscate.h"

enum
{
	ZS_TIME,
	ZS_ADMIN_NAME,
	ZS_ACTION,
	ZS_RESULT,
	ZS_CLIENT_IP,
	ZS_INTERFACE,
	ZS_CATEGORY,
	ZS_SUBCATEGORY,
	ZS_RESOURCE,
	ZS_PRE_ACTION,
	ZS_POST_ACTION,
	ZS_TRACE_ID,
	ZS_CLOUD,
	ZS_RAW,
	ZS_NCOLUMNS
};

/* unconfirmed: result, interface [I], category, sub-category [U] (vendors.md §1.4) */
static const AlfColumnDef zscaler_columns[ZS_NCOLUMNS] = {
	[ZS_TIME] = {"time", "timestamptz", ALF_VALUE_TIMESTAMP, {"Time", "Timestamp"}, ALF_PUSH_RANGE},
	[ZS_ADMIN_NAME] = {"admin_name", "text", ALF_VALUE_PLAIN, {"User", "Admin ID"}, ALF_PUSH_EQ},
	[ZS_ACTION] = {"action", "text", ALF_VALUE_PLAIN, {"Action"}, ALF_PUSH_EQ | ALF_PUSH_IN},
	[ZS_RESULT] = {"result", "text", ALF_VALUE_PLAIN, {"Result"}, ALF_PUSH_EQ | ALF_PUSH_UNCONFIRMED},
	[ZS_CLIENT_IP] = {"client_ip", "inet", ALF_VALUE_PLAIN, {"Client IP"}, ALF_PUSH_EQ},
	[ZS_INTERFACE] = {"interface", "text", ALF_VALUE_PLAIN, {"Interface"}, ALF_PUSH_EQ | ALF_PUSH_UNCONFIRMED},
	[ZS_CATEGORY] = {"category", "text", ALF_VALUE_PLAIN, {"Category"}, ALF_PUSH_EQ | ALF_PUSH_UNCONFIRMED},
	[ZS_SUBCATEGORY] = {"subcategory", "text", ALF_VALUE_PLAIN, {"Subcategory", "Sub-Category"},
	ALF_PUSH_EQ | ALF_PUSH_IN | ALF_PUSH_UNCONFIRMED},
	[ZS_RESOURCE] = {"resource", "text", ALF_VALUE_PLAIN, {"Resource"}, 0},
	[ZS_PRE_ACTION] = {"pre_action", "text", ALF_VALUE_PLAIN, {"Pre Action", "Pre-Action"}, 0},
	[ZS_POST_ACTION] = {"post_action", "text", ALF_VALUE_PLAIN, {"Post Action", "Post-Action"}, 0},
	[ZS_TRACE_ID] = {"trace_id", "text", ALF_VALUE_PLAIN, {"Trace ID"}, ALF_PUSH_EQ},
	/* the downloaded report's "AA in Cloud" (e.g. zscaler.net); no filter */
	[ZS_CLOUD] = {"cloud", "text", ALF_VALUE_PLAIN, {"AA in Cloud"}, 0},
	[ZS_RAW] = {"raw", "jsonb", ALF_VALUE_RECORD, {NULL}, 0},
};

static const AlfOptionDef zscaler_options[] = {
	{"username", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"password", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"api_key", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"client_id", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"client_secret", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"token_url", ALF_WHERE_SERVER, ALF_OPTKIND_CREDENTIAL_URL},
	{"report_time_zone", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_TIMEZONE},
	ALF_REPORT_OPTION_ROWS,
};

#define ZS_SESSION_PATH		"/api/v1/authenticatedSession"
#define ZS_REPORT_PATH		"/api/v1/auditlogEntryReport"
#define ZS_DOWNLOAD_PATH	"/api/v1/auditlogEntryReport/download"
#define ZS_AUDIENCE			"https://api.zscaler.com"
#define ZS_KIND_SESSION		"zscaler session"
#define ZS_KIND_ONEAPI		"zscaler oneapi"
#define ZS_MAX_WINDOW_MS	(INT64CONST(31) * 24 * 3600 * 1000)
#define ZS_ROW_CAP			1000
/* sessions expire after 5 idle minutes; keep a margin */
#define ZS_SESSION_TTL_MS	(4 * 60 * 1000 + 30 * 1000)
#define ZS_LOGOUT_TIMEOUT_MS 2000

/* ---- label -> enum translation ---- */

typedef struct ZsEnum
{
	const char *code;			/* the request's enum */
	const char *label;			/* the CSV's label, or NULL */
} ZsEnum;

/* vendors.md §1.4: the action codes seen in SDKs, with their UI labels */
static const ZsEnum zs_actions[] = {
	{"ACTIVATE", "Activate"}, {"ALERT", "Alert"}, {"AUDIT_OPERATION", "Audit Operation"},
	{"AUTO_IR", "Auto IR"}, {"CHANGE_DEPLOYED_PAC_VERSION", "Change Deployed PAC Version"},
	{"CONTAIN_DEVICE", "Contain Device"}, {"CREATE", "Create"},
	{"CREATE_NEW_PAC_VERSION", "Create New PAC Version"}, {"DELETE", "Delete"},
	{"DELETE_PAC", "Delete PAC"}, {"DELETE_PAC_VERSION", "Delete PAC Version"},
	{"DOWNLOAD", "Download"}, {"FORCED_ACTIVATE", "Forced Activate"}, {"IMPORT", "Import"},
	{"ISOLATE", "Isolate"}, {"KILL_CURRENT_EXECUTION", "Kill Current Execution"},
	{"PATCH", "Patch"}, {"QUARANTINE", "Quarantine"}, {"REMEDIATE", "Remediate"},
	{"REPORT", "Report"}, {"SIGN_IN", "Sign In"}, {"SIGN_OUT", "Sign Out"},
	{"STAGE_PAC_VERSION", "Stage PAC Version"}, {"UPDATE", "Update"},
	{NULL, NULL}
};

/*
 * A code may have several labels: the downloaded report writes
 * "Successful" and "UI" (vendors.md §1.5; its failure label is not on
 * record, "Failed" is inferred), the help pages "Success" and "Admin UI".
 */
static const ZsEnum zs_results[] = {
	{"SUCCESS", "Successful"}, {"FAILURE", "Failed"},
	{"SUCCESS", "Success"}, {"FAILURE", "Failure"}, {NULL, NULL}
};

static const ZsEnum zs_interfaces[] = {
	{"UI", "UI"}, {"API", "API"}, {"UI", "Admin UI"}, {NULL, NULL}
};

/* category and sub-category enums are not public [I]: these only */
static const ZsEnum zs_categories[] = {
	{"ACCESS_CONTROL", "Access Control"}, {"FIREWALL_POLICY", "Firewall Policy"},
	{"SECURITY", "Security"}, {"DATA_LOSS_PREVENTION", "Data Loss Prevention"},
	{"ADMINISTRATION", "Administration"}, {"TRAFFIC_FORWARDING", "Traffic Forwarding"},
	{"LOGIN", "Login"}, {"ACTIVATION", "Activation"},
	{NULL, NULL}
};

static const ZsEnum zs_subcategories[] = {
	{"URL_FILTERING_POLICY", "URL Filtering Policy"}, {"CLOUD_APP_CONTROL", "Cloud App Control"},
	{"FILE_TYPE_CONTROL", "File Type Control"}, {"BANDWIDTH_CONTROL", "Bandwidth Control"},
	{"FIREWALL_FILTERING_RULE", "Firewall Filtering Rule"}, {"NAT_CONTROL", "NAT Control"},
	{"DNS_CONTROL", "DNS Control"}, {"IPS_CONTROL", "IPS Control"},
	{"MALWARE_PROTECTION", "Malware Protection"},
	{"ADVANCED_THREAT_PROTECTION", "Advanced Threat Protection"}, {"SANDBOX", "Sandbox"},
	{"DLP_POLICY_RULE", "DLP Policy Rule"}, {"DLP_DICTIONARY", "DLP Dictionaries & Engines"},
	{"ADMIN_MANAGEMENT", "Admin Management"}, {"ROLE_MANAGEMENT", "Role Management"},
	{"API_KEY_MANAGEMENT", "API Key Management"}, {"AUDIT_LOGS", "Audit Logs"},
	{"LOCATIONS", "Locations"}, {"PAC_FILES", "PAC Files"}, {"VPN_CREDENTIALS", "VPN Credentials"},
	{"LOGIN", "Login"}, {"ACTIVATION", "Activation"},
	{NULL, NULL}
};

static const ZsEnum *
zs_enum_table(int column)
{
	switch (column)
	{
		case ZS_ACTION:
			return zs_actions;
		case ZS_RESULT:
			return zs_results;
		case ZS_INTERFACE:
			return zs_interfaces;
		case ZS_CATEGORY:
			return zs_categories;
		case ZS_SUBCATEGORY:
			return zs_subcategories;
		default:
			return NULL;
	}
}

/*
 * The enum to send for value, matched to a label or code ignoring case,
 * spaces, hyphens and underscores (the local recheck is exact), or NULL.
 */
static const char *
zs_translate(int column, const char *value)
{
	const ZsEnum *e = zs_enum_table(column);
	char		want[128];
	char		have[128];

	if (column == ZS_CLIENT_IP && value && !alf_inet_spelling_certain(value))
		return NULL;
	if (e == NULL)
		return value;
	if (value == NULL || strlen(value) >= sizeof(want))
		return NULL;
	alf_normalize_name(value, want, sizeof(want));
	for (; e->code; e++)
	{
		alf_normalize_name(e->code, have, sizeof(have));
		if (strcmp(want, have) == 0)
			return e->code;
		if (e->label)
		{
			alf_normalize_name(e->label, have, sizeof(have));
			if (strcmp(want, have) == 0)
				return e->code;
		}
	}
	return NULL;
}

/* Keep local what cannot be translated at plan time. */
static void
zscaler_choose_pushdown(List *candidates)
{
	ListCell   *lc;

	foreach(lc, candidates)
	{
		AlfPushCandidate *c = (AlfPushCandidate *) lfirst(lc);
		ListCell   *lc2;

		if (c->column == ZS_CLIENT_IP && c->const_text &&
			!alf_inet_spelling_certain(c->const_text))
			c->pushed = false;
		if (zs_enum_table(c->column) == NULL)
			continue;
		if (c->const_text)
			c->pushed = zs_translate(c->column, c->const_text) != NULL;
		else if (c->const_values != NIL)
		{
			foreach(lc2, c->const_values)
				if (zs_translate(c->column, (const char *) lfirst(lc2)) == NULL)
					c->pushed = false;
		}
		else
			c->pushed = false;	/* a parameter: cannot know its enum now */
	}
}

/* ---- requests ---- */

/*
 * A JSON array of the filter's values, translated, without repeats; NULL
 * if a value has no enum (the filter is then left to the local recheck:
 * sending the others alone would lose rows).
 */
static json_t *
zs_filter_array(const AlfColumnFilter *f)
{
	json_t	   *arr = json_array();
	int			i;

	for (i = 0; i < f->nvalues; i++)
	{
		const char *v = zs_translate(f->column, f->values[i]);
		size_t		j;
		bool		dup = false;

		if (v == NULL)
		{
			json_decref(arr);
			return NULL;
		}
		for (j = 0; j < json_array_size(arr); j++)
			if (strcmp(json_string_value(json_array_get(arr, j)), v) == 0)
				dup = true;
		if (!dup)
			json_array_append_new(arr, json_string(v));
	}
	return arr;
}

static void
zs_filter_member(json_t *body, const AlfScanRequest *req, int column, const char *name,
				 bool many)
{
	const AlfColumnFilter *f = alf_request_filter(req, column);
	json_t	   *arr = f ? zs_filter_array(f) : NULL;

	if (arr == NULL)
		return;
	if (many)
		json_object_set_new(body, name, arr);
	else
	{
		if (json_array_size(arr) == 1)
			json_object_set(body, name, json_array_get(arr, 0));
		json_decref(arr);
	}
}

/* A time bound in the body: the window's, or in EXPLAIN an expression. */
static json_t *
zs_time_member(const AlfScanRequest *req, bool upper, int64 ms)
{
	const AlfTimeBound *b = upper ? &req->upper : &req->lower;

	if (req->explain_only && b->display)
		return json_string(b->display);
	if (req->explain_only && upper && !b->from_query)
		return json_string("(scan start)");
	return json_integer(ms);
}

/* The AuditLogEntryRequest for one window. */
static void
zs_report_spec(const AlfScanRequest *req, const AlfReportWindow *w, AlfRequestSpec *spec)
{
	json_t	   *body = json_pack("{}");	/* not json_object(): the server has one too */

	alf_spec_init(spec, "POST");
	appendStringInfoString(&spec->path, ZS_REPORT_PATH);
	json_object_set_new(body, "startTime", zs_time_member(req, false, w->start_ms));
	json_object_set_new(body, "endTime", zs_time_member(req, true, w->end_ms));
	zs_filter_member(body, req, ZS_ACTION, "actionTypes", true);
	zs_filter_member(body, req, ZS_CATEGORY, "category", false);
	zs_filter_member(body, req, ZS_SUBCATEGORY, "subcategories", true);
	zs_filter_member(body, req, ZS_RESULT, "actionResult", false);
	zs_filter_member(body, req, ZS_INTERFACE, "actionInterface", false);
	zs_filter_member(body, req, ZS_CLIENT_IP, "clientIP", false);
	zs_filter_member(body, req, ZS_ADMIN_NAME, "adminName", false);
	zs_filter_member(body, req, ZS_TRACE_ID, "traceId", false);
	spec->body = body;
}

static const AlfReportSteps zscaler_steps;

/*
 * EXPLAIN: the first report of the scan (the newest window), or with a
 * bound that is only known at run time, the whole range.
 */
static void
zscaler_describe(const AlfScanRequest *req, AlfRequestSpec *spec)
{
	AlfReportWindow w;

	if (req->explain_only && (req->lower.display || req->upper.display ||
							  !req->upper.from_query))
		alf_report_range(req, &w.start_ms, &w.end_ms);
	else
		alf_report_first_window(&zscaler_steps, req, &w);
	zs_report_spec(req, &w, spec);
}

/* ---- authentication ---- */

typedef struct ZsState
{
	bool		oneapi;
	char	   *token;			/* JSESSIONID value or access token */
	AlfReportFlow *flow;
} ZsState;

/* What a logout needs after the scan is gone (TopMemoryContext). */
typedef struct ZsLogoutTarget
{
	char	   *base_url;
	char	   *ca_file;
	char	   *proxy;
	bool		loopback_http;
} ZsLogoutTarget;

static List *zs_logout_targets = NIL;

static bool
zs_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* One target per distinct server configuration, kept for the backend. */
static ZsLogoutTarget *
zs_logout_target(const AlfOptions *opts)
{
	ListCell   *lc;
	MemoryContext old;
	ZsLogoutTarget *t;

	foreach(lc, zs_logout_targets)
	{
		t = (ZsLogoutTarget *) lfirst(lc);
		if (zs_streq(t->base_url, opts->base_url) && zs_streq(t->ca_file, opts->ca_file) &&
			zs_streq(t->proxy, opts->proxy))
			return t;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	t = palloc0(sizeof(ZsLogoutTarget));
	t->base_url = pstrdup(opts->base_url);
	t->ca_file = opts->ca_file ? pstrdup(opts->ca_file) : NULL;
	t->proxy = opts->proxy ? pstrdup(opts->proxy) : NULL;
	t->loopback_http = opts->base_url_http;
	zs_logout_targets = lappend(zs_logout_targets, t);
	MemoryContextSwitchTo(old);
	return t;
}

/*
 * Release hook of a cached session: DELETE /authenticatedSession, briefly
 * and quietly (a session that expired already just answers 401).
 */
static void
zs_logout(const char *token, void *arg)
{
	ZsLogoutTarget *t = (ZsLogoutTarget *) arg;
	MemoryContext cxt = CurrentMemoryContext;

	HOLD_INTERRUPTS();
	PG_TRY();
	{
		AlfHttpConfig config;
		AlfHttpRequest req;
		AlfHttpClient *client;

		memset(&config, 0, sizeof(config));
		config.vendor_name = "Zscaler";
		config.timeout_ms = ZS_LOGOUT_TIMEOUT_MS;
		config.ca_file = t->ca_file;
		config.proxy = t->proxy;
		config.allow_loopback_http = t->loopback_http;
		config.max_in_flight = 1;
		client = alf_http_client_create(&config);

		memset(&req, 0, sizeof(req));
		req.method = "DELETE";
		req.url = psprintf("%s%s", t->base_url, ZS_SESSION_PATH);
		req.display = "DELETE " ZS_SESSION_PATH;
		req.headers = list_make1(psprintf("Cookie: JSESSIONID=%s", token));
		req.no_retry = true;
		req.timeout_ms = ZS_LOGOUT_TIMEOUT_MS;
		(void) alf_http_execute(client, &req);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(DEBUG1,
				(errmsg_internal("auditlog_fdw: Zscaler logout failed: %s", edata->message)));
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
}

static List *
zs_auth_headers(ZsState *st)
{
	if (st->oneapi)
		return list_make1(psprintf("Authorization: Bearer %s", st->token));
	return list_make1(psprintf("Cookie: JSESSIONID=%s", st->token));
}

/* POST /authenticatedSession; sets st->token. */
static void
zs_login(AlfVendorScan *vs, ZsState *st)
{
	char		timestamp[32];
	char		obfuscated[ALF_ZIA_OBFUSCATED_LEN + 1];
	json_t	   *body;
	char	   *text;
	AlfHttpRequest req;
	AlfHttpResponse *resp;
	ListCell   *lc;
	char	   *sid = NULL;

	snprintf(timestamp, sizeof(timestamp), INT64_FORMAT,
			 alf_timestamptz_to_epoch_usec(GetCurrentTimestamp()) / 1000);
	if (alf_zia_obfuscate_key(alf_credential(vs, "api_key"), timestamp, obfuscated,
							  sizeof(obfuscated)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("user mapping option \"api_key\" is not a Zscaler API key"),
				 errhint("A ZIA API key has at least 12 characters.")));

	body = json_pack("{}");	/* not json_object(): the server has one too */
	json_object_set_new(body, "apiKey", json_string(obfuscated));
	json_object_set_new(body, "username", json_string(alf_credential(vs, "username")));
	json_object_set_new(body, "password", json_string(alf_credential(vs, "password")));
	json_object_set_new(body, "timestamp", json_string(timestamp));
	text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (text == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	/* built by hand: the generic display would show the body */
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = psprintf("%s%s", vs->options->base_url, ZS_SESSION_PATH);
	req.display = "POST " ZS_SESSION_PATH;
	req.headers = list_make1("Content-Type: application/json");
	req.body = pstrdup(text);
	req.body_len = strlen(text);
	explicit_bzero(text, strlen(text));
	free(text);
	alf_add_secret(vs, obfuscated);
	resp = alf_http_execute(vs->http, &req);
	explicit_bzero((char *) req.body, req.body_len);

	if (resp->status == 400 || resp->status == 401 || resp->status == 403)
		alf_raise_auth_error(vs, resp);
	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, "a session");
	foreach(lc, resp->set_cookies)
	{
		const char *c = (const char *) lfirst(lc);

		if (strncmp(c, "JSESSIONID=", 11) == 0 && c[11] != '\0')
			sid = pstrdup(c + 11);
	}
	if (sid == NULL)
		alf_raise_protocol_error(vs, resp->display, "the login set no JSESSIONID cookie");
	alf_add_secret(vs, sid);
	st->token = MemoryContextStrdup(vs->scan_cxt, sid);
	alf_token_cache_put(vs->serverid, vs->userid, vs->options->base_url, ZS_KIND_SESSION, sid,
						TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ZS_SESSION_TTL_MS),
						zs_logout, zs_logout_target(vs->options));
}

/* OneAPI: client credentials at token_url; sets st->token. */
static void
zs_oneapi_token(AlfVendorScan *vs, ZsState *st)
{
	const char *token_url = alf_option_value(vs->options, "token_url");
	StringInfoData form;
	AlfHttpRequest req;
	AlfHttpResponse *resp;
	json_t	   *root;
	json_t	   *expires;
	const char *token;
	int64		ttl_ms = INT64CONST(3600) * 1000;
	const char *path;

	if (token_url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server option \"token_url\" is required for Zscaler OneAPI credentials"),
				 errhint("Set it to the ZIdentity token endpoint, for example https://acme.zslogin.net/oauth2/v1/token.")));
	if (!alf_url_allowed(vs->options, token_url))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"token_url\" must be an https:// URL"),
				 errhint("http:// is allowed only on a loopback host when base_url is one too.")));

	initStringInfo(&form);
	appendStringInfo(&form, "grant_type=client_credentials&client_id=%s&client_secret=%s&audience=%s",
					 alf_url_encode(alf_credential(vs, "client_id")),
					 alf_url_encode(alf_credential(vs, "client_secret")),
					 alf_url_encode(ZS_AUDIENCE));
	path = strstr(token_url, "://");
	path = path ? strchr(path + 3, '/') : NULL;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = token_url;
	req.display = psprintf("POST %s", path ? path : "/");
	req.headers = list_make1("Content-Type: application/x-www-form-urlencoded");
	req.body = form.data;
	req.body_len = form.len;
	resp = alf_http_execute(vs->http, &req);
	explicit_bzero(form.data, form.len);

	if (resp->status == 400 || resp->status == 401 || resp->status == 403)
	{
		const char *code = NULL;
		json_t	   *err = json_loadb(resp->body, resp->body_len, 0, NULL);

		if (err)
			code = alf_json_string_member(err, "error");
		/* only a rejected client is a credentials problem */
		if (resp->status != 400 || (code && (strcmp(code, "invalid_client") == 0 ||
											 strcmp(code, "unauthorized_client") == 0)))
		{
			if (err)
				json_decref(err);
			alf_raise_auth_error(vs, resp);
		}
		if (err)
			json_decref(err);
	}
	root = alf_parse_json_response(vs, resp, "an access token");
	token = alf_json_string_member(root, "access_token");
	if (token == NULL || token[0] == '\0')
		alf_raise_protocol_error(vs, resp->display, "no access_token in the response");
	expires = json_object_get(root, "expires_in");
	if (json_is_integer(expires) && json_integer_value(expires) > 0)
		ttl_ms = (int64) json_integer_value(expires) * 1000;
	else if (json_is_string(expires) && atol(json_string_value(expires)) > 0)
		ttl_ms = (int64) atol(json_string_value(expires)) * 1000;
	/* a minute early, or at half its life if it is that short */
	ttl_ms = ttl_ms > 120000 ? ttl_ms - 60000 : ttl_ms / 2;
	alf_add_secret(vs, token);
	st->token = MemoryContextStrdup(vs->scan_cxt, token);
	alf_token_cache_put(vs->serverid, vs->userid, token_url, ZS_KIND_ONEAPI, token,
						TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ttl_ms), NULL, NULL);
}

/* Where the session or token comes from: the token cache's endpoint key. */
static const char *
zs_token_endpoint(AlfVendorScan *vs, ZsState *st)
{
	const char *token_url = alf_option_value(vs->options, "token_url");

	return st->oneapi && token_url ? token_url : vs->options->base_url;
}

/* A usable session or token: from the cache, else a new one. */
static void
zs_authenticate(AlfVendorScan *vs, ZsState *st)
{
	char	   *cached;

	if (st->token)
		return;
	cached = alf_token_cache_get(vs->serverid, vs->userid, zs_token_endpoint(vs, st),
								 st->oneapi ? ZS_KIND_ONEAPI : ZS_KIND_SESSION);
	if (cached)
	{
		alf_add_secret(vs, cached);
		st->token = MemoryContextStrdup(vs->scan_cxt, cached);
		return;
	}
	if (st->oneapi)
		zs_oneapi_token(vs, st);
	else
		zs_login(vs, st);
}

/* Forget a session or token the vendor no longer accepts. */
static void
zs_forget(AlfVendorScan *vs, ZsState *st)
{
	alf_token_cache_forget(vs->serverid, vs->userid, zs_token_endpoint(vs, st),
						   st->oneapi ? ZS_KIND_ONEAPI : ZS_KIND_SESSION, false);
	st->token = NULL;
}

/*
 * One API request with the session, logging in again once if the session
 * turns out to have expired (401).
 */
static AlfHttpResponse *
zs_call(AlfVendorScan *vs, ZsState *st, const AlfRequestSpec *spec, const char *accept)
{
	bool		retried = false;

	for (;;)
	{
		AlfRequestSpec with_accept = *spec;
		AlfHttpResponse *resp;

		zs_authenticate(vs, st);
		with_accept.accept = accept;
		resp = alf_vendor_request(vs, &with_accept, zs_auth_headers(st));
		if (resp->status != 401 || retried)
			return resp;
		retried = true;
		zs_forget(vs, st);
	}
}

/* ---- the report steps ---- */

/* The tenant's slot: base_url, and who the tenant is (ZIA hosts many). */
static char *
zs_lock_key(AlfVendorScan *vs, void *arg)
{
	ZsState    *st = (ZsState *) arg;
	const char *tenant;

	if (st->oneapi)
		tenant = alf_option_value(vs->options, "token_url");
	else
	{
		tenant = strrchr(alf_credential(vs, "username"), '@');
		tenant = tenant ? tenant + 1 : alf_credential(vs, "username");
	}
	return psprintf("zscaler|%s|%s", vs->options->base_url, tenant ? tenant : "");
}

static void
zs_submit(AlfVendorScan *vs, void *arg, const AlfReportWindow *window)
{
	ZsState    *st = (ZsState *) arg;
	AlfRequestSpec spec;
	AlfHttpResponse *volatile resp = NULL;

	zs_report_spec(vs->request, window, &spec);
	PG_TRY();
	{
		resp = zs_call(vs, st, &spec, NULL);
	}
	PG_FINALLY();
	{
		alf_spec_free_body(&spec);
	}
	PG_END_TRY();
	if (resp->status == 403 &&
		(alf_http_header(resp, "x-zscaler-mode") != NULL ||
		 strstr(resp->body, "STATE_READONLY") != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Zscaler is in read-only maintenance mode and cannot start a report"),
				 errdetail_internal("%s", alf_scrub_secrets(vs, psprintf("HTTP 403 from %s: %s",
																		 resp->display,
																		 alf_http_body_snippet(resp, 200)))),
				 errhint("Retry after the maintenance window.")));
	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, "an audit log report");
}

static void
zs_poll(AlfVendorScan *vs, void *arg, AlfReportPoll *result)
{
	ZsState    *st = (ZsState *) arg;
	AlfRequestSpec spec;
	AlfHttpResponse *resp;
	json_t	   *root;
	const char *status;

	alf_spec_init(&spec, "GET");
	appendStringInfoString(&spec.path, ZS_REPORT_PATH);
	resp = zs_call(vs, st, &spec, NULL);
	root = alf_parse_json_response(vs, resp, "the audit log report status");
	status = alf_json_string_member(root, "status");
	if (status == NULL)
		alf_raise_protocol_error(vs, resp->display, "the TaskInfo has no status");
	result->status = pstrdup(status);
	result->ready = pg_strcasecmp(status, "COMPLETE") == 0;
	if (alf_json_string_member(root, "errorMessage") || alf_json_string_member(root, "errorCode"))
	{
		const char *code = alf_json_string_member(root, "errorCode");
		const char *msg = alf_json_string_member(root, "errorMessage");

		result->message = psprintf("%s%s%s", code ? code : "", code && msg ? ": " : "",
								   msg ? msg : "");
	}
}

static AlfHttpResponse *
zs_download(AlfVendorScan *vs, void *arg)
{
	ZsState    *st = (ZsState *) arg;
	AlfRequestSpec spec;
	AlfHttpResponse *resp;

	alf_spec_init(&spec, "GET");
	appendStringInfoString(&spec.path, ZS_DOWNLOAD_PATH);
	resp = zs_call(vs, st, &spec, "text/csv");
	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, "the audit log report");
	return resp;
}

/* DELETE /auditlogEntryReport: one short try, whatever it answers. */
static void
zs_cancel(AlfVendorScan *vs, void *arg, AlfHttpClient *client, int timeout_ms)
{
	ZsState    *st = (ZsState *) arg;
	AlfRequestSpec spec;
	AlfHttpRequest req;

	if (st->token == NULL)
		return;					/* never logged in: nothing was started */
	alf_spec_init(&spec, "DELETE");
	appendStringInfoString(&spec.path, ZS_REPORT_PATH);
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.url = alf_spec_url(vs->options->base_url, &spec);
	req.display = alf_spec_display(&spec);
	req.headers = zs_auth_headers(st);
	req.no_retry = true;
	req.timeout_ms = timeout_ms;
	(void) alf_http_execute(client, &req);
}

static const AlfReportSteps zscaler_steps = {
	.what = "the audit log report",
	.paging = ALF_REPORT_WINDOWS,
	.max_window_ms = ZS_MAX_WINDOW_MS,
	.default_row_cap = ZS_ROW_CAP,
	.max_row_cap = ZS_ROW_CAP,
	.lock_key = zs_lock_key,
	.submit = zs_submit,
	.poll = zs_poll,
	.download = zs_download,
	.cancel = zs_cancel,
};

static void
zscaler_begin(AlfVendorScan *vs)
{
	static const char *const legacy_set[] = {"username", "password", "api_key", NULL};
	static const char *const oneapi_set[] = {"client_id", "client_secret", NULL};
	static const char *const *sets[] = {legacy_set, oneapi_set, NULL};
	ZsState    *st = palloc0(sizeof(ZsState));

	alf_require_credentials(vs, sets);
	st->oneapi = !(alf_credential(vs, "username") && alf_credential(vs, "password") &&
				   alf_credential(vs, "api_key"));
	st->flow = alf_report_begin(vs, &zscaler_steps, st);
	vs->state = st;
}

static bool
zscaler_next(AlfVendorScan *vs, AlfBatch *batch)
{
	return alf_report_next_batch(((ZsState *) vs->state)->flow, batch);
}

/* "CODE: message" from {"code","message"} or an OAuth error, or NULL. */
static char *
zscaler_error_message(const AlfHttpResponse *resp)
{
	json_t	   *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *code;
	const char *msg;
	char	   *result = NULL;

	if (root == NULL)
		return NULL;
	code = alf_json_string_member(root, "code");
	msg = alf_json_string_member(root, "message");
	if (code == NULL && msg == NULL)
	{
		code = alf_json_string_member(root, "error");
		msg = alf_json_string_member(root, "error_description");
	}
	if (code || msg)
		result = psprintf("%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	json_decref(root);
	return result;
}

/* 409 EDIT_LOCK_NOT_AVAILABLE: "retry after a few seconds". */
static bool
zscaler_is_throttled(const AlfHttpResponse *resp)
{
	return resp->status == 409 && resp->body &&
		strstr(resp->body, "EDIT_LOCK_NOT_AVAILABLE") != NULL;
}

const AlfVendor alf_vendor_zscaler = {
	.name = "zscaler",
	.display_name = "Zscaler",
	.table_name = "zscaler_audit",
	.columns = zscaler_columns,
	.ncolumns = ZS_NCOLUMNS,
	.time_column = ZS_TIME,
	.flow = ALF_FLOW_REPORT,
	.flow_description = "async report, CSV, windows of at most 31 days and 1000 rows",
	.max_page_size = 0,
	.default_concurrency = 1,
	/* 2/s per resource (1.6); the hourly 1000 is left to the vendor's 429, which pauses the server */
	.default_requests_per_minute = 120,
	.retention_days = 183,
	.can_sort = false,
	.options = zscaler_options,
	.noptions = lengthof(zscaler_options),
	.auth_hint = "Check the user mapping options username, password and api_key (legacy API), "
	"or client_id and client_secret with the server option token_url (OneAPI).",
	.choose_pushdown = zscaler_choose_pushdown,
	.describe_request = zscaler_describe,
	.begin_scan = zscaler_begin,
	.next_batch = zscaler_next,
	.end_scan = NULL,
	.error_message = zscaler_error_message,
	.is_throttled = zscaler_is_throttled,
};
