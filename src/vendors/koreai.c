/*-------------------------------------------------------------------------
 * koreai.c
 *	  Kore.ai XO Platform Admin Console audit logs (vendors.md §3):
 *	  GET /api/public/auditlogs with page-number paging.
 *
 * Auth: a HS256 JWT {"sub","appId","iat","exp","jti"} minted from the user
 * mapping's client_id and client_secret (re-minted before it expires during
 * a long scan), or the user's own jwt, in header "auth".
 *
 * Paging: size + offset (a page number from 0) over one fixed window
 * [fromDate, toDate], until moreAvailable is false.  Why not fetchAfter:
 * its combination with offset and the date filters is undocumented, and a
 * wrong guess would skip or repeat records silently, while page numbers
 * over a window whose upper end is pinned are documented and stable as long
 * as the vendor's set of records in the window does not change.  That is
 * checked rather than assumed: "total" must stay the same on every page
 * (records deleted or arriving inside the window would shift the pages),
 * the records must keep one time order, and no record of an earlier page
 * may come back at a page boundary.  Any of these fails the scan loudly
 * instead of returning a row twice or losing one.
 *
 * Rate limit: about 60 requests a minute per account, answered with a
 * "Rate limit ..." message under a status that is not documented (and no
 * Retry-After), so requests of a scan are paced (min_request_interval_ms)
 * and is_throttled recognises the message whatever the status.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "common/hmac.h"
#include "common/sha2.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "http.h"

enum
{
	KORE_AUDIT_LOG_ID,
	KORE_DATE_TIME,
	KORE_NAME,
	KORE_CATEGORY,
	KORE_DESCRIPTION,
	KORE_RAW,
	KORE_NCOLUMNS
};

static const AlfColumnDef koreai_columns[KORE_NCOLUMNS] = {
	[KORE_AUDIT_LOG_ID] = {"audit_log_id", "text", ALF_VALUE_PLAIN, {"AuditLogId"}, 0},
	[KORE_DATE_TIME] = {"date_time", "timestamptz", ALF_VALUE_EPOCH_MS,
	{"timestampValue", "Date/Time"}, ALF_PUSH_RANGE},
	[KORE_NAME] = {"name", "text", ALF_VALUE_PLAIN, {"Name"}, 0},
	[KORE_CATEGORY] = {"category", "text", ALF_VALUE_PLAIN, {"Category"}, 0},
	[KORE_DESCRIPTION] = {"description", "text", ALF_VALUE_PLAIN, {"Description"}, 0},
	[KORE_RAW] = {"raw", "jsonb", ALF_VALUE_RECORD, {NULL}, 0},
};

static const AlfOptionDef koreai_options[] = {
	{"client_id", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"client_secret", ALF_WHERE_USER, ALF_OPTKIND_STRING},
	{"jwt", ALF_WHERE_USER, ALF_OPTKIND_STRING},
};

#define KORE_LIST_PATH		"/api/public/auditlogs"
#define KORE_JWT_SUBJECT	"auditlog_fdw"
#define KORE_JWT_LIFETIME_S 300
/* re-mint when a token is this old, so no request carries an expiring one */
#define KORE_JWT_RENEW_S	150

typedef struct KoreState
{
	const char *client_id;		/* NULL: the user gave a jwt */
	const char *client_secret;
	char	   *jwt;
	TimestampTz jwt_minted;
	List	   *headers;		/* auth (secret) */
	int			page;			/* offset of the next request */
	bool		finished;
	int64		total;			/* "total" of the first page, or -1 */
	int64		fetched;
	/* order and boundary checks */
	bool		have_last;
	TimestampTz last_time;		/* time of the latest record seen */
	int			direction;		/* 0 unknown, 1 ascending, -1 descending */
	TimestampTz boundary_time;	/* last_time when the previous page ended */
	List	   *boundary_ids;	/* ids of records at boundary_time (scan_cxt) */
} KoreState;

static void
koreai_spec(const AlfScanRequest *req, int page, AlfRequestSpec *spec)
{
	alf_spec_init(spec, "GET");
	appendStringInfoString(&spec->path, KORE_LIST_PATH);
	/* both bounds always (the scan pins "now"); widened 1 ms: inclusivity unknown */
	alf_spec_param(spec, "fromDate", alf_time_param(req, false, ALF_TIME_ISO_MILLIS, 1000));
	alf_spec_param(spec, "toDate", alf_time_param(req, true, ALF_TIME_ISO_MILLIS, 1000));
	alf_spec_param(spec, "size", psprintf("%d", req->page_size));
	alf_spec_param(spec, "offset", psprintf("%d", page));
}

static void
koreai_describe(const AlfScanRequest *req, AlfRequestSpec *spec)
{
	koreai_spec(req, 0, spec);
}

/* HMAC-SHA256 of data under key, by PostgreSQL's own implementation. */
static void
koreai_hmac_sha256(const char *key, const char *data, uint8 *mac)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);

	if (ctx == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_TRY();
	{
		if (pg_hmac_init(ctx, (const uint8 *) key, strlen(key)) < 0 ||
			pg_hmac_update(ctx, (const uint8 *) data, strlen(data)) < 0 ||
			pg_hmac_final(ctx, mac, PG_SHA256_DIGEST_LENGTH) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not sign a Kore.ai token"),
					 errdetail_internal("%s", pg_hmac_error(ctx))));
	}
	PG_FINALLY();
	{
		pg_hmac_free(ctx);
	}
	PG_END_TRY();
}

/* A compact JSON text of obj (consumed), palloc'd. */
static char *
koreai_dump(json_t *obj)
{
	char	   *dumped;
	char	   *result;

	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not build a Kore.ai token"),
				 errhint("The user mapping option client_id must be valid UTF-8.")));
	dumped = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (dumped == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	result = pstrdup(dumped);
	free(dumped);
	return result;
}

/*
 * A fresh HS256 JWT for client_id, signed with client_secret.  jti makes
 * every token unique, for apps that enforce JTI (vendors.md §3.2).
 */
static char *
koreai_mint_jwt(const char *client_id, const char *client_secret, TimestampTz now)
{
	int64		iat = alf_timestamptz_to_epoch_usec(now) / USECS_PER_SEC;
	uint8		nonce[16];
	char		jti[33];
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char	   *header;
	char	   *payload;
	char	   *signing_input;
	int			i;

	if (!pg_strong_random(nonce, sizeof(nonce)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random token id")));
	for (i = 0; i < (int) sizeof(nonce); i++)
		sprintf(jti + 2 * i, "%02x", nonce[i]);

	header = koreai_dump(json_pack("{s:s, s:s}", "alg", "HS256", "typ", "JWT"));
	payload = koreai_dump(json_pack("{s:s, s:s, s:I, s:I, s:s}",
									"sub", KORE_JWT_SUBJECT,
									"appId", client_id,
									"iat", (json_int_t) iat,
									"exp", (json_int_t) (iat + KORE_JWT_LIFETIME_S),
									"jti", jti));
	signing_input = psprintf("%s.%s", alf_base64url(header, strlen(header)),
							 alf_base64url(payload, strlen(payload)));
	koreai_hmac_sha256(client_secret, signing_input, mac);
	return psprintf("%s.%s", signing_input, alf_base64url((const char *) mac, sizeof(mac)));
}

/* Set the auth header, minting a token when none is fresh enough. */
static void
koreai_auth(AlfVendorScan *vs, KoreState *st)
{
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext old;

	if (st->jwt && (st->client_id == NULL ||
					now - st->jwt_minted < (int64) KORE_JWT_RENEW_S * USECS_PER_SEC))
		return;
	old = MemoryContextSwitchTo(vs->scan_cxt);
	if (st->client_id)
	{
		st->jwt = koreai_mint_jwt(st->client_id, st->client_secret, now);
		st->jwt_minted = now;
		alf_add_secret(vs, st->jwt);
	}
	else
		st->jwt = pstrdup(alf_credential(vs, "jwt"));
	st->headers = list_make2(psprintf("auth: %s", st->jwt),
							 "Content-Type: application/json");
	MemoryContextSwitchTo(old);
}

static void
koreai_begin(AlfVendorScan *vs)
{
	static const char *const app_set[] = {"client_id", "client_secret", NULL};
	static const char *const jwt_set[] = {"jwt", NULL};
	static const char *const *sets[] = {app_set, jwt_set, NULL};
	KoreState  *st = palloc0(sizeof(KoreState));

	alf_require_credentials(vs, sets);
	if (alf_credential(vs, "client_id") && alf_credential(vs, "client_secret"))
	{
		st->client_id = alf_credential(vs, "client_id");
		st->client_secret = alf_credential(vs, "client_secret");
	}
	st->total = -1;
	vs->state = st;
	koreai_auth(vs, st);
}

static bool
koreai_id_in(List *ids, const char *id)
{
	ListCell   *lc;

	foreach(lc, ids)
		if (strcmp((const char *) lfirst(lc), id) == 0)
			return true;
	return false;
}

/*
 * The exactly-once checks for one page (see the file header).  Records
 * without a readable time are not checked; the core handles them.  Only the
 * ids of the latest instant are kept between pages.
 */
static void
koreai_check_page(AlfVendorScan *vs, KoreState *st, AlfBatch *batch, const char *display)
{
	List	   *last_ids = list_copy(st->boundary_ids);	/* at st->last_time */
	List	   *old_boundary = st->boundary_ids;
	MemoryContext old;
	ListCell   *lc;
	int			i;

	for (i = 0; i < batch->nrecords; i++)
	{
		json_t	   *r = batch->records[i];
		json_t	   *ts = json_is_object(r) ? json_object_get(r, "timestampValue") : NULL;
		const char *id = alf_json_string_member(r, "AuditLogId");
		TimestampTz t;

		if (!json_is_integer(ts))
			continue;
		t = alf_epoch_ms_to_timestamptz(json_integer_value(ts));
		if (st->have_last && t != st->last_time)
		{
			int			dir = t > st->last_time ? 1 : -1;

			if (st->direction == 0)
				st->direction = dir;
			else if (dir != st->direction)
				alf_raise_protocol_error(vs, display,
										 psprintf("record %s at %s breaks the time order of the records before it",
												  id ? id : "(no AuditLogId)",
												  timestamptz_to_str(t)));
		}
		/* an earlier page's record again: the pages have shifted */
		if (id && st->boundary_ids && t == st->boundary_time &&
			koreai_id_in(st->boundary_ids, id))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Kore.ai audit log changed during the scan"),
					 errdetail_internal("%s returned record %s again, which an earlier page already held.",
										display, id),
					 errhint("Run the query again.")));
		if (!st->have_last || t != st->last_time)
		{
			last_ids = NIL;
			st->last_time = t;
			st->have_last = true;
		}
		if (id)
			last_ids = lappend(last_ids, (char *) id);
	}

	/* keep the latest instant's ids for the next page; drop the older copy */
	old = MemoryContextSwitchTo(vs->scan_cxt);
	st->boundary_ids = NIL;
	foreach(lc, last_ids)
		st->boundary_ids = lappend(st->boundary_ids, pstrdup((char *) lfirst(lc)));
	st->boundary_time = st->last_time;
	MemoryContextSwitchTo(old);
	list_free_deep(old_boundary);
}

static bool
koreai_next(AlfVendorScan *vs, AlfBatch *batch)
{
	KoreState  *st = (KoreState *) vs->state;
	AlfRequestSpec spec;
	AlfHttpResponse *resp;
	json_t	   *root;
	json_t	   *logs;
	json_t	   *more;
	json_t	   *total;

	if (st->finished)
		return false;
	koreai_auth(vs, st);
	koreai_spec(vs->request, st->page, &spec);
	resp = alf_vendor_request(vs, &spec, st->headers);
	root = alf_parse_json_response(vs, resp, "the audit log");
	logs = json_object_get(root, "auditlogs");
	more = json_object_get(root, "moreAvailable");
	total = json_object_get(root, "total");
	if (!json_is_array(logs) && json_is_array(json_object_get(root, "errors")))
		alf_raise_vendor_error(vs, resp, "the audit log");	/* an error under 200 */
	if (!json_is_array(logs) || !json_is_boolean(more))
		alf_raise_protocol_error(vs, resp->display,
								 "expected \"auditlogs\" and \"moreAvailable\"");

	/* records inside the window appeared or vanished: pages have shifted */
	if (json_is_integer(total))
	{
		if (st->total < 0 && st->page == 0)
			st->total = json_integer_value(total);
		else if (st->total >= 0 && json_integer_value(total) != st->total)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Kore.ai audit log changed during the scan"),
					 errdetail_internal("%s reported a total of %lld records where the first page reported %lld.",
										resp->display, (long long) json_integer_value(total),
										(long long) st->total),
					 errhint("Run the query again.")));
	}

	alf_batch_from_array(batch, logs);
	koreai_check_page(vs, st, batch, resp->display);
	st->fetched += batch->nrecords;

	if (!json_is_true(more))
	{
		st->finished = true;
		return batch->nrecords > 0;
	}
	/* moreAvailable with nothing here would ask for the same emptiness forever */
	if (batch->nrecords == 0)
		alf_raise_protocol_error(vs, resp->display, "moreAvailable is true on an empty page");
	if (st->total >= 0 && st->fetched >= st->total)
		alf_raise_protocol_error(vs, resp->display,
								 psprintf("moreAvailable is true after all %lld records",
										  (long long) st->total));
	st->page++;
	return true;
}

/* The "errors" array of a Kore body, or NULL.  Released with *root. */
static json_t *
koreai_errors(const AlfHttpResponse *resp, json_t **root)
{
	json_t	   *errors;

	*root = NULL;
	/* cheap test first: this runs on every response, pages included */
	if (resp->body == NULL || strstr(resp->body, "\"errors\"") == NULL)
		return NULL;
	*root = json_loadb(resp->body, resp->body_len, 0, NULL);
	errors = *root ? json_object_get(*root, "errors") : NULL;
	return json_is_array(errors) ? errors : NULL;
}

/* "msg (code N); ..." from {"errors":[{"msg":...,"code":...}]}, or NULL. */
static char *
koreai_error_message(const AlfHttpResponse *resp)
{
	json_t	   *root;
	json_t	   *errors = koreai_errors(resp, &root);
	StringInfoData buf;
	size_t		i;
	json_t	   *e;

	if (errors == NULL)
	{
		if (root)
			json_decref(root);
		return NULL;
	}
	initStringInfo(&buf);
	json_array_foreach(errors, i, e)
	{
		const char *msg = alf_json_string_member(e, "msg");
		json_t	   *code = json_is_object(e) ? json_object_get(e, "code") : NULL;

		if (buf.len)
			appendStringInfoString(&buf, "; ");
		appendStringInfoString(&buf, msg ? msg : "(no message)");
		if (json_is_integer(code))
			appendStringInfo(&buf, " (code %lld)", (long long) json_integer_value(code));
		else if (json_is_string(code))
			appendStringInfo(&buf, " (code %s)", json_string_value(code));
	}
	json_decref(root);
	return buf.len ? buf.data : NULL;
}

/* Kore's rate-limit answer is known by its text; its status is not fixed. */
static bool
koreai_is_throttled(const AlfHttpResponse *resp)
{
	json_t	   *root;
	json_t	   *errors = koreai_errors(resp, &root);
	bool		throttled = false;
	size_t		i;
	json_t	   *e;

	json_array_foreach(errors, i, e)
	{
		const char *msg = alf_json_string_member(e, "msg");
		const char *p;

		for (p = msg; p && *p && !throttled; p++)
			throttled = pg_strncasecmp(p, "rate limit", 10) == 0;
	}
	if (root)
		json_decref(root);
	return throttled;
}

const AlfVendor alf_vendor_koreai = {
	.name = "koreai",
	.display_name = "Kore.ai",
	.table_name = "koreai_audit",
	.columns = koreai_columns,
	.ncolumns = KORE_NCOLUMNS,
	.time_column = KORE_DATE_TIME,
	.id_column = "audit_log_id",
	.flow = ALF_FLOW_PAGING,
	.flow_description = "page-number paging",
	.max_page_size = 100,
	/* one account-wide budget of 60 requests a minute: no parallel pages */
	.default_concurrency = 1,
	.min_request_interval_ms = 1000,
	.retention_days = 0,
	.can_sort = false,
	.options = koreai_options,
	.noptions = lengthof(koreai_options),
	.auth_hint = "Check the user mapping options client_id and client_secret, or jwt; "
	"the app needs the API scope \"Logs > Admin Console Audit Logs\".",
	.describe_request = koreai_describe,
	.begin_scan = koreai_begin,
	.next_batch = koreai_next,
	.error_message = koreai_error_message,
	.is_throttled = koreai_is_throttled,
};
