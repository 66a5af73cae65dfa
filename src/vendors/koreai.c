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
 * over a window whose upper end is pinned are documented.
 *
 * What may vary without harm: "total" (per page, approximate or capped --
 * it is informative only and never checked), and the order of the records
 * (ascending, descending, or shuffled within a page).  Exactly-once rests
 * on AuditLogId, which the docs call unique: a record arriving inside the
 * window while the scan pages through it shifts later pages down by one,
 * so the last record of a page comes again at the start of the next; such
 * an id is skipped.  Memory stays bounded: only the ids of the previous
 * page are kept (with their times), which recognises every repeat as long
 * as fewer than a page of records arrived between two requests.  If more
 * did -- all of the previous page comes again, or the repeats are not the
 * records of it nearest the new page in time -- the repeats beyond it
 * could not be recognised (or the vendor ignored offset): that fails the
 * scan.  So does
 * evidence of a lost row: a page shorter than size with moreAvailable true
 * (the rest of that page's positions can never be asked for), or
 * moreAvailable on an empty page.  A record vanishing from the window
 * mid-scan would shift pages up and lose one without any sign in the
 * answers; audit records are not deleted inside a pinned window except by
 * retention at its old end, so a window starting within the retention
 * period is safe.
 *
 * The first page is requested in begin_scan, and the next page as soon as
 * this one is read (still one request in flight: this one has arrived) (its offset is known, but asking
 * earlier would keep pages further apart in time, so more records could
 * arrive between them).
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
	AlfHttpPending *pending;	/* that request, already started */
	int64		fetched;		/* records so far (LIMIT) */
	bool		finished;
	List	   *prev_ids;		/* KoreSeen of the previous page (scan_cxt) */
	int			direction;		/* pages go 1 forward, -1 back in time, 0 unknown */
	int64		skipped;		/* repeats skipped, for DEBUG1 */
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

/* Request page st->page now; koreai_next waits for it. */
static void
koreai_start_page(AlfVendorScan *vs, KoreState *st)
{
	AlfRequestSpec spec;

	koreai_auth(vs, st);
	koreai_spec(vs->request, st->page, &spec);
	st->pending = alf_vendor_start(vs, &spec, st->headers);
	vs->next_pending = st->pending;
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
	vs->state = st;
	koreai_start_page(vs, st);
}

/* A record of the previous page, as remembered for the next one. */
typedef struct KoreSeen
{
	char	   *id;
	bool		has_time;
	TimestampTz time;
	bool		repeated;		/* came again on the page being read */
} KoreSeen;

static KoreSeen *
koreai_seen_find(List *seen, const char *id)
{
	ListCell   *lc;

	foreach(lc, seen)
		if (strcmp(((KoreSeen *) lfirst(lc))->id, id) == 0)
			return (KoreSeen *) lfirst(lc);
	return NULL;
}

/* Widen [*lo, *hi] (empty while *n == 0) by t. */
static void
koreai_span_add(TimestampTz t, int *n, TimestampTz *lo, TimestampTz *hi)
{
	if ((*n)++ == 0 || t < *lo)
		*lo = t;
	if (*n == 1 || t > *hi)
		*hi = t;
}

/*
 * Drop the records of this page whose AuditLogId the previous page (or an
 * earlier record of this one) already returned, compacting batch; then
 * remember this page's records in place of the previous page's.
 *
 * Pages are blocks of time-ordered positions (however each page is
 * ordered inside), walked forward or back in time.  Records arriving shift
 * the positions by d.  While d < size the repeats are the d records of the
 * previous page furthest along the walk, and this page's new records lie
 * further still; all repeats are remembered.  Repeats that are all of the
 * previous page, or lie on its other side, mean d >= size: records of
 * older pages may be repeating unrecognised, so the scan fails.
 */
static void
koreai_skip_repeats(AlfVendorScan *vs, KoreState *st, AlfBatch *batch, const char *display)
{
	List	   *seen = NIL;		/* this page's, in batch_cxt */
	int			nrep = 0,
				nnew = 0,
				nrest = 0;
	TimestampTz rep_lo = 0,
				rep_hi = 0,
				new_lo = 0,
				new_hi = 0,
				rest_lo = 0,
				rest_hi = 0;
	int			repeats = 0;
	int			kept = 0;
	int			i;
	ListCell   *lc;
	MemoryContext old;

	for (i = 0; i < batch->nrecords; i++)
	{
		AlfRecord	r = batch->records[i];
		AlfJsonSpan v;
		bool		has_ts = alf_record_member(&r, "timestampValue", &v);
		int64		ts;
		bool		ts_int = has_ts && alf_json_span_int64(&v, &ts);
		const char *id = alf_record_member(&r, "AuditLogId", &v) && v.kind == ALF_JSON_STRING ?
			alf_json_span_text(&v) : NULL;
		KoreSeen   *prev;
		KoreSeen   *rec;

		if (id && koreai_seen_find(seen, id))
			continue;			/* twice on one page */
		if (id && (prev = koreai_seen_find(st->prev_ids, id)) != NULL)
		{
			prev->repeated = true;
			repeats++;
			st->skipped++;
			continue;
		}
		batch->records[kept++] = r;
		if (id == NULL)
			continue;
		rec = palloc0(sizeof(KoreSeen));
		rec->id = (char *) id;
		if (ts_int)
		{
			rec->has_time = true;
			rec->time = alf_epoch_ms_to_timestamptz(ts);
			koreai_span_add(rec->time, &nnew, &new_lo, &new_hi);
		}
		seen = lappend(seen, rec);
	}
	batch->nrecords = kept;

	foreach(lc, st->prev_ids)
	{
		KoreSeen   *p = (KoreSeen *) lfirst(lc);

		if (!p->has_time)
			continue;
		if (p->repeated)
			koreai_span_add(p->time, &nrep, &rep_lo, &rep_hi);
		else
			koreai_span_add(p->time, &nrest, &rest_lo, &rest_hi);
	}
	if (repeats == 0)
	{
		/* learn the direction of the walk from two pages apart in time */
		if (nnew > 0 && nrest > 0 && new_lo > rest_hi)
			st->direction = 1;
		else if (nnew > 0 && nrest > 0 && new_hi < rest_lo)
			st->direction = -1;
	}
	else
	{
		int			dir = st->direction;
		bool		ok;

		if (dir == 0 && nnew > 0 && nrest > 0)
			dir = new_lo >= rest_hi ? 1 : (new_hi <= rest_lo ? -1 : 0);
		if (dir > 0)
			ok = rep_lo >= rest_hi && (nnew == 0 || new_lo >= rep_hi);
		else if (dir < 0)
			ok = rep_hi <= rest_lo && (nnew == 0 || new_hi <= rep_lo);
		else
			ok = false;
		if (repeats >= list_length(st->prev_ids) || nrep == 0 || nrest == 0)
			ok = false;
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Kore.ai audit log changed too much during the scan"),
					 errdetail_internal("%s returned %d of the %d records of the page before it again, not just those nearest it in time; records repeated from earlier pages could not be recognised.",
										display, repeats, list_length(st->prev_ids)),
					 errhint("Either a page or more of records arrived during the scan (run the query again, or raise page_size), or the vendor ignored the offset parameter.")));
	}

	/* this page's records, copied, in place of the previous page's */
	old = MemoryContextSwitchTo(vs->scan_cxt);
	foreach(lc, st->prev_ids)
		pfree(((KoreSeen *) lfirst(lc))->id);
	list_free_deep(st->prev_ids);
	st->prev_ids = NIL;
	foreach(lc, seen)
	{
		KoreSeen   *c = palloc(sizeof(KoreSeen));

		*c = *(KoreSeen *) lfirst(lc);
		c->id = pstrdup(c->id);
		c->repeated = false;
		st->prev_ids = lappend(st->prev_ids, c);
	}
	MemoryContextSwitchTo(old);
}

static bool
koreai_next(AlfVendorScan *vs, AlfBatch *batch)
{
	KoreState  *st = (KoreState *) vs->state;
	AlfHttpPending *pending;
	AlfHttpResponse *resp;
	json_t	   *root;
	json_t	   *logs;
	json_t	   *more;
	int			size = vs->request->page_size;
	static const char *const path[] = {"auditlogs", NULL};

	if (st->finished)
		return false;
	if (st->pending == NULL)
		koreai_start_page(vs, st);
	pending = st->pending;
	st->pending = NULL;
	vs->next_pending = NULL;
	resp = alf_vendor_finish(vs, pending);
	root = alf_parse_record_page(vs, resp, "the audit log", path, batch);
	logs = json_object_get(root, "auditlogs");
	more = json_object_get(root, "moreAvailable");
	if (!json_is_array(logs) && json_is_array(json_object_get(root, "errors")))
		alf_raise_vendor_error(vs, resp, "the audit log");	/* an error under 200 */
	if (!json_is_array(logs) || !json_is_boolean(more))
		alf_raise_protocol_error(vs, resp->display,
								 "expected \"auditlogs\" and \"moreAvailable\"");
	/* "total" may be per page, approximate or capped: never relied on */

	if (json_is_true(more))
	{
		/* moreAvailable with nothing here would ask for the same emptiness forever */
		if (batch->nrecords == 0)
			alf_raise_protocol_error(vs, resp->display, "moreAvailable is true on an empty page");
		/* the next page starts at (page + 1) * size: the rest of this one is lost */
		if (batch->nrecords < size)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Kore.ai returned a short page before the end of the audit log"),
					 errdetail_internal("%s returned %d records where %d were asked for, with moreAvailable true; the records at the rest of that page's positions cannot be asked for.",
										resp->display, batch->nrecords, size),
					 errhint("If every page is this short, the vendor returns fewer records per page than asked: set page_size to that number; otherwise records vanished from the window during the scan: run the query again.")));
	}

	koreai_skip_repeats(vs, st, batch, resp->display);
	st->fetched += batch->nrecords;

	if (!json_is_true(more))
	{
		st->finished = true;
		if (st->skipped > 0)
			ereport(DEBUG1,
					(errmsg_internal("auditlog_fdw: Kore.ai scan skipped " INT64_FORMAT " repeated records",
									 st->skipped)));
		return false;			/* this batch, if any, is the last */
	}
	st->page++;
	/* the next page now, unless LIMIT is probably met or this is the probe */
	if (!vs->probe &&
		!(vs->request->limit_hint > 0 && st->fetched >= vs->request->limit_hint))
		koreai_start_page(vs, st);
	return true;
}

static void
koreai_end(AlfVendorScan *vs)
{
	KoreState  *st = (KoreState *) vs->state;

	if (st->pending)
		alf_http_abandon(vs->http, st->pending);
	st->pending = NULL;
	vs->next_pending = NULL;
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
	.default_requests_per_minute = 60,	/* DesignTime Admin API, per account (3.6) */
	.min_request_interval_ms = 1000,
	.retention_days = 0,
	.can_sort = false,
	.split_windows = true,
	.options = koreai_options,
	.noptions = lengthof(koreai_options),
	.auth_hint = "Check the user mapping options client_id and client_secret, or jwt; "
	"the app needs the API scope \"Logs > Admin Console Audit Logs\".",
	.describe_request = koreai_describe,
	.begin_scan = koreai_begin,
	.next_batch = koreai_next,
	.end_scan = koreai_end,
	.error_message = koreai_error_message,
	.is_throttled = koreai_is_throttled,
};
