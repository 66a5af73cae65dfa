/*
 * fuzz_json_page.c - vendor JSON bodies as the FDW reads them.
 *
 * The JSON page readers themselves (src/vscan.c alf_parse_json_response,
 * alf_batch_from_array; the vendors' next_batch and error_message) are
 * written against palloc/ereport and the HTTP layer, so they cannot be
 * linked outside the server without refactoring those files.  This target
 * feeds the bytes to jansson with the flags that code uses and walks the
 * result the way it does, member by member (the walks below are
 * transcriptions, each naming its origin; keep them in step), and hands
 * every record field's text to the real time reader (src/timeparse.c), as
 * src/tuple.c does for the time column.  A crash or sanitizer report here
 * is a bug either in jansson's handling of our flags or in the walk.
 *
 * The same bytes also go through the page scanner that reads record pages
 * since (src/json_page.c), after the UTF-8 repair that comes before it in
 * vscan.c alf_parse_record_page; scan_page() walks every value the way
 * tuple.c and record.c do.
 *
 * Properties, besides memory and UB safety:
 * - a failed parse reports a terminated error text and a line >= 1 (the
 *   DETAIL of alf_parse_json_response prints them);
 * - every string value is valid for strlen up to its length (no NUL
 *   inside, since JSON_ALLOW_NUL is never passed);
 * - json_dumps of any value (the raw/jsonb columns) succeeds and parses
 *   back to an equal value.
 */
#include "fuzz.h"

#include <jansson.h>

#include "json_page.h"
#include "timeparse.h"
#include "utf8_repair.h"

static const char *
string_member(json_t *obj, const char *key)	/* vscan.c alf_json_string_member */
{
	json_t	   *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
check_string(json_t *v)
{
	if (json_is_string(v))
		FUZZ_CHECK(strlen(json_string_value(v)) == json_string_length(v));
}

/* tuple.c alf_json_text + alf_json_time: a field's text to the time reader */
static void
field_text(json_t *v)
{
	char		buf[64];
	const char *text = NULL;
	char	   *dumped = NULL;
	AlfParsedTime t;
	long long	usec;

	check_string(v);
	switch (json_typeof(v))
	{
		case JSON_STRING:
			text = json_string_value(v);
			break;
		case JSON_INTEGER:
			snprintf(buf, sizeof(buf), "%lld", (long long) json_integer_value(v));
			text = buf;
			break;
		case JSON_REAL:
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
			text = buf;
			break;
		case JSON_NULL:
		case JSON_TRUE:
		case JSON_FALSE:
			return;
		default:
			dumped = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
			FUZZ_CHECK(dumped != NULL);
			text = dumped;
			break;
	}
	if (alf_parse_time(text, &t))
		(void) alf_time_to_epoch_usec(&t, &usec);
	free(dumped);
}

/* tuple.c alf_find_fields / alf_tuple_build: every member of a record */
static void
walk_record(json_t *record)
{
	const char *key;
	json_t	   *value;

	if (!json_is_object(record))
		return;
	json_object_foreach(record, key, value)
	{
		FUZZ_CHECK(key != NULL);
		field_text(value);
	}
}

/* The raw column: dumped as jsonb input, which must read back the same. */
static void
check_dump(json_t *v)
{
	char	   *dumped = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_t	   *back;

	FUZZ_CHECK(dumped != NULL);
	back = json_loads(dumped, JSON_DECODE_ANY, NULL);
	FUZZ_CHECK(back != NULL);
	FUZZ_CHECK(json_equal(back, v));	/* reals print with 17 digits: exact */
	json_decref(back);
	free(dumped);
}

static void
walk_array(json_t *arr)
{
	size_t		i;
	json_t	   *r;

	/* vscan.c alf_batch_from_array stores the size as int */
	FUZZ_CHECK(json_array_size(arr) <= (size_t) 0x7fffffff);
	json_array_foreach(arr, i, r)
		walk_record(r);
}

/* resolver.c rs_job_id */
static int
rs_job_id(json_t *v, char *out, size_t outlen)
{
	if (json_is_object(v))
	{
		json_t	   *id = json_object_get(v, "id");

		if (id == NULL || json_is_null(id))
			id = json_object_get(v, "jobId");
		return (id && !json_is_object(id)) ? rs_job_id(id, out, outlen) : 0;
	}
	if (json_is_string(v) && json_string_length(v) > 0)
		return snprintf(out, outlen, "%s", json_string_value(v)), 1;
	if (json_is_integer(v))
		return snprintf(out, outlen, "%lld", (long long) json_integer_value(v)), 1;
#ifdef FUZZ_RS_JOB_ID_AS_IN_RESOLVER_C
	/* as written in resolver.c: UB for a real outside int64 (1e300) */
	if (json_is_real(v) && json_real_value(v) == (double) (long long) json_real_value(v))
#else
	if (json_is_real(v) && json_real_value(v) >= -9223372036854775808.0 &&
		json_real_value(v) < 9223372036854775808.0 &&
		json_real_value(v) == (double) (long long) json_real_value(v))
#endif
		return snprintf(out, outlen, "%lld", (long long) json_real_value(v)), 1;
	return 0;
}

/* The error bodies: zendesk/zoho/koreai/zscaler error_message (flags 0). */
static void
walk_error_body(const char *buf, size_t len)
{
	json_t	   *root = json_loadb(buf, len, 0, NULL);
	json_t	   *err;
	json_t	   *errors;
	size_t		i;
	json_t	   *e;

	if (root == NULL)
		return;
	err = json_object_get(root, "error");	/* zendesk */
	(void) string_member(root, "description");
	if (json_is_object(err))
	{
		(void) string_member(err, "title");
		(void) string_member(err, "message");
	}
	check_string(err);
	errors = json_object_get(root, "errors");	/* koreai */
	if (json_is_array(errors))
		json_array_foreach(errors, i, e)
		{
			json_t	   *code = json_is_object(e) ? json_object_get(e, "code") : NULL;

			(void) string_member(e, "msg");
			if (json_is_integer(code))
				(void) json_integer_value(code);
			check_string(code);
		}
	/* zoho: status.description, data.errorCode/moreInfo, status.code */
	(void) string_member(json_object_get(root, "status"), "description");
	(void) string_member(json_object_get(root, "data"), "errorCode");
	(void) string_member(json_object_get(root, "data"), "moreInfo");
	(void) json_object_get(json_object_get(root, "status"), "code");
	/* zoho / zscaler tokens */
	(void) string_member(root, "access_token");
	(void) string_member(root, "error_description");
	check_string(json_object_get(root, "expires_in"));	/* zoho_json_int reads a digit string */
	json_decref(root);
}

/* json_page.c: every value of validated text, walked and de-escaped */
static void
scan_walk(const AlfJsonSpan *v, int depth)
{
	AlfJsonIter it;
	AlfJsonSpan key;
	AlfJsonSpan member;
	char	   *out;
	size_t		n;

	FUZZ_CHECK(depth <= ALF_JSON_MAX_DEPTH);
	if (v->kind == ALF_JSON_STRING)
	{
		out = malloc(v->len + 1);
		n = alf_json_unescape(v, out);
		FUZZ_CHECK(n <= v->len);
		FUZZ_CHECK(memchr(out, '\0', n) == NULL);	/* \u0000 never becomes NUL */
		free(out);
		return;
	}
	if (v->kind == ALF_JSON_OBJECT)
	{
		alf_json_iter_begin(&it, v);
		while (alf_json_object_next(&it, &key, &member))
		{
			FUZZ_CHECK(key.kind == ALF_JSON_STRING);
			scan_walk(&key, depth + 1);
			scan_walk(&member, depth + 1);
		}
		FUZZ_CHECK(it.p == v->p + v->len - 1);	/* at the closing bracket */
	}
	else if (v->kind == ALF_JSON_ARRAY)
	{
		alf_json_iter_begin(&it, v);
		while (alf_json_array_next(&it, &member))
			scan_walk(&member, depth + 1);
		FUZZ_CHECK(it.p == v->p + v->len - 1);
	}
	if (v->kind == ALF_JSON_OBJECT || v->kind == ALF_JSON_ARRAY)
	{
		size_t		erroff;
		const char *msg;

		/* a container's span is itself valid, and so is its compact form */
		out = malloc(v->len + 1);
		n = alf_json_compact(v->p, v->len, out);
		FUZZ_CHECK(n <= v->len);
		FUZZ_CHECK(alf_json_validate(v->p, v->len, &erroff, &msg));
		FUZZ_CHECK(alf_json_validate(out, n, &erroff, &msg));
		free(out);
	}
}

/* vscan.c alf_parse_record_page: repair, validate, walk */
static void
scan_page(const char *buf, size_t size)
{
	char	   *text = malloc(ALF_UTF8_REPAIR_MAX(size) + 1);
	size_t		len = alf_utf8_repair(buf, size, text, 1, NULL);
	size_t		erroff = 0;
	const char *msg = NULL;
	json_error_t jerr;
	json_t	   *j;
	AlfJsonSpan root;

	text[len] = '\0';
	if (alf_json_validate(text, len, &erroff, &msg))
	{
		const char *end = alf_json_value_at(text, &root);

		FUZZ_CHECK(end <= text + len);
		scan_walk(&root, 0);
	}
	else
	{
		FUZZ_CHECK(msg != NULL && erroff <= len);
		/* what jansson reads, the scanner reads (short of jansson's deeper nesting) */
		j = len <= 2 * ALF_JSON_MAX_DEPTH ?
			json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr) : NULL;
		FUZZ_CHECK(j == NULL);
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;
	json_error_t jerr;
	json_t	   *root;
	json_t	   *meta;
	json_t	   *zdata;
	char		id[64];

	walk_error_body(buf, size);
	scan_page(buf, size);

	/* vscan.c alf_parse_json_response */
	root = json_loadb(buf, size, JSON_DECODE_ANY, &jerr);
	if (root == NULL)
	{
		FUZZ_CHECK(memchr(jerr.text, '\0', sizeof(jerr.text)) != NULL);
		FUZZ_CHECK(jerr.line >= -1);
		return 0;
	}
	check_dump(root);

	/* zendesk.c zendesk_next / zendesk_show */
	meta = json_object_get(root, "meta");
	if (json_is_array(json_object_get(root, "audit_logs")))
		walk_array(json_object_get(root, "audit_logs"));
	if (json_is_object(meta))
	{
		(void) json_is_true(json_object_get(meta, "has_more"));
		(void) string_member(meta, "after_cursor");
	}
	walk_record(json_object_get(root, "audit_log"));

	/* koreai.c koreai_next: records need an integer timestampValue */
	if (json_is_array(json_object_get(root, "auditlogs")))
	{
		size_t		i;
		json_t	   *r;

		walk_array(json_object_get(root, "auditlogs"));
		json_array_foreach(json_object_get(root, "auditlogs"), i, r)
		{
			json_t	   *ts = json_is_object(r) ? json_object_get(r, "timestampValue") : NULL;

			(void) string_member(r, "AuditLogId");
			if (json_is_integer(ts))
				(void) json_integer_value(ts);
		}
	}
	(void) json_is_boolean(json_object_get(root, "moreAvailable"));
	(void) json_is_integer(json_object_get(root, "total"));

	/* zoho_mail.c zoho_next: data.audit, the cursor pair */
	zdata = json_object_get(root, "data");
	if (json_is_object(zdata))
	{
		json_t	   *audit = json_object_get(zdata, "audit");
		json_t	   *cursor = json_object_get(zdata, "lastEntityId");

		if (json_is_array(audit))
			walk_array(audit);
		check_string(cursor);
		check_string(json_object_get(zdata, "lastIndexTime"));
		/* data is also a ALF_VALUE_JSON_TEXT column: a string holding JSON */
		if (json_is_string(json_object_get(zdata, "data")))
		{
			json_t	   *inner = json_loads(json_string_value(json_object_get(zdata, "data")),
										   JSON_DECODE_ANY, NULL);

			json_decref(inner);
		}
	}

	/* resolver.c: job id, signedURL, job status */
	(void) rs_job_id(root, id, sizeof(id));
	(void) string_member(root, "signedURL");
	(void) string_member(root, "status");

	json_decref(root);
	return 0;
}
