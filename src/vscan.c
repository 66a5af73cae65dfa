/*-------------------------------------------------------------------------
 * vscan.c
 *	  Services the core offers vendor modules while they run a flow:
 *	  credentials, requests against base_url, JSON pages, and errors that
 *	  follow the contract's SQLSTATEs.
 *
 * Every vendor error is raised here so that all vendors say the same thing
 * the same way, and so that no secret can reach a message: vendor text is
 * scrubbed of every credential value before it goes into DETAIL.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "auditlog_fdw.h"
#include "http.h"
#include "utf8_repair.h"
#include "vendor_text.h"

const char *
alf_credential(const AlfVendorScan *vs, const char *name)
{
	ListCell   *lc;

	foreach(lc, vs->credentials)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, name) == 0)
			return defGetString(d);
	}
	return NULL;
}

/*
 * Require one complete set of credentials: any_of_sets is a NULL-ended
 * array of NULL-ended option name lists, e.g. {{"email","api_token"},
 * {"oauth_token"}}.  Raises 28000 naming the choices otherwise.
 */
void
alf_require_credentials(const AlfVendorScan *vs, const char *const *any_of_sets[])
{
	StringInfoData choices;
	int			i;

	for (i = 0; any_of_sets[i]; i++)
	{
		int			j;
		bool		complete = true;

		for (j = 0; any_of_sets[i][j]; j++)
			if (alf_credential(vs, any_of_sets[i][j]) == NULL)
				complete = false;
		if (complete)
			return;
	}
	initStringInfo(&choices);
	for (i = 0; any_of_sets[i]; i++)
	{
		int			j;

		appendStringInfoString(&choices, i ? ", or " : "");
		for (j = 0; any_of_sets[i][j]; j++)
			appendStringInfo(&choices, "%s%s", j ? " + " : "", any_of_sets[i][j]);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("user mapping for server of foreign table \"%s\" lacks %s credentials",
					vs->relname, vs->vendor->display_name),
			 errhint("Set the user mapping options %s.", choices.data)));
}

/* Replace every occurrence of secret in text by ***. */
static char *
alf_scrub_one(char *result, const char *secret)
{
	size_t		len = strlen(secret);
	char	   *hit;

	if (len < 4)
		return result;			/* too short to be a secret; would mangle text */
	while ((hit = strstr(result, secret)) != NULL)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, result, hit - result);
		appendStringInfoString(&buf, "***");
		appendStringInfoString(&buf, hit + len);
		result = buf.data;
	}
	return result;
}

/* s with every from replaced by to (ASCII characters). */
static char *
alf_replace_chars(const char *s, char from, char to)
{
	char	   *copy = pstrdup(s);
	char	   *c;

	for (c = copy; *c; c++)
		if (*c == from)
			*c = to;
	return copy;
}

/* Percent-encoding with lower-case hex digits. */
static char *
alf_url_encode_lower(const char *s)
{
	char	   *enc = alf_url_encode(s);
	char	   *c;

	for (c = enc; *c; c++)
		if (*c == '%' && c[1] && c[2])
		{
			c[1] = pg_tolower((unsigned char) c[1]);
			c[2] = pg_tolower((unsigned char) c[2]);
		}
	return enc;
}

/* "%20" -> "+" (form encoding), and optionally "%2F" -> "/" (a path-safe encoder). */
static char *
alf_url_variant(const char *enc, const char *pattern, const char *with)
{
	StringInfoData buf;
	const char *p = enc;
	const char *hit;

	initStringInfo(&buf);
	while ((hit = strstr(p, pattern)) != NULL)
	{
		appendBinaryStringInfo(&buf, p, hit - p);
		appendStringInfoString(&buf, with);
		p = hit + strlen(pattern);
	}
	appendStringInfoString(&buf, p);
	return buf.data;
}

/* secret as the inside of a JSON string, as encoded with flags; NULL if not UTF-8. */
static char *
alf_json_escaped(const char *secret, size_t flags)
{
	json_t	   *str = json_string(secret);
	char	   *dumped;
	char	   *result;
	size_t		len;

	if (str == NULL)
		return NULL;
	dumped = json_dumps(str, flags | JSON_ENCODE_ANY);
	json_decref(str);
	if (dumped == NULL)
		return NULL;
	len = strlen(dumped);
	result = len >= 2 ? pnstrdup(dumped + 1, len - 2) : NULL;
	free(dumped);
	return result;
}

/*
 * The parts of base64(prefix + secret + suffix) that depend on secret
 * alone, for each of the 3 alignments secret can have: they show up
 * whatever surrounds it (e.g. Basic "email/token:secret").
 */
static List *
alf_base64_cores(const char *secret)
{
	size_t		len = strlen(secret);
	List	   *cores = NIL;
	int			a;

	for (a = 0; a < 3; a++)
	{
		char	   *buf = palloc0(len + a + 1);
		char	   *enc;
		size_t		from = (8 * a + 5) / 6;
		size_t		to = (8 * (a + len)) / 6;

		memcpy(buf + a, secret, len);
		enc = alf_base64(buf, len + a);
		if (to > from && to - from >= 6)
		{
			char	   *core = pnstrdup(enc + from, to - from);

			cores = lappend(cores, core);
			cores = lappend(cores, alf_replace_chars(alf_replace_chars(core, '+', '-'), '/', '_'));
		}
	}
	return cores;
}

/* Every form in which secret may come back in vendor text. */
static List *
alf_secret_forms(const char *secret)
{
	List	   *forms = list_make1((char *) secret);
	char	   *enc = alf_url_encode(secret);
	char	   *lower = alf_url_encode_lower(secret);
	size_t		json_flags[] = {0, JSON_ENSURE_ASCII, JSON_ESCAPE_SLASH | JSON_ENSURE_ASCII};
	int			i;

	forms = lappend(forms, enc);
	forms = lappend(forms, lower);
	forms = lappend(forms, alf_url_variant(enc, "%20", "+"));
	forms = lappend(forms, alf_url_variant(lower, "%20", "+"));
	forms = lappend(forms, alf_url_variant(enc, "%2F", "/"));
	for (i = 0; i < (int) lengthof(json_flags); i++)
	{
		char	   *esc = alf_json_escaped(secret, json_flags[i]);

		if (esc)
			forms = lappend(forms, esc);
	}
	return list_concat(forms, alf_base64_cores(secret));
}

/*
 * Longest vendor message (bytes) put into DETAIL, and longest DETAIL made
 * of our text around it; longer is cut, with "...".  Cut only after
 * scrubbing, so that no part of a secret survives at the cut.
 */
#define ALF_VENDOR_TEXT_MAX 500
#define ALF_DETAIL_MAX		1000

/*
 * Vendor text made safe for a message: control characters (a forged log
 * line) become spaces, invalid UTF-8 is replaced, and the text is cut at
 * max bytes; with to_server, converted to the database encoding (do that
 * once, on the whole message).
 */
static char *
alf_tidy_vendor_text(const char *text, int max, bool to_server)
{
	size_t		len = strlen(text);
	char	   *result;
	int			cut;
	char	   *c;

	result = alf_utf8_repair_text(text, len, false, &len, NULL);
	for (c = result; *c; c++)
		if ((unsigned char) *c < 0x20 || *c == 0x7F)
			*c = ' ';
	if (len > (size_t) max)
	{
		cut = pg_encoding_mbcliplen(PG_UTF8, result, (int) len, max);
		result = psprintf("%.*s...", cut, result);
	}
	/* messages are in the database encoding */
	return to_server ? alf_vendor_text_to_server(result, strlen(result), &cut) : result;
}

/*
 * Every credential value and scan secret, in every form, replaced by ***;
 * then tidied and cut at max bytes.
 */
static char *
alf_scrub_max(const AlfVendorScan *vs, const char *text, int max, bool to_server)
{
	char	   *result = pstrdup(text);
	List	   *secrets = NIL;
	ListCell   *lc;

	foreach(lc, vs->credentials)
		secrets = lappend(secrets, defGetString((DefElem *) lfirst(lc)));
	secrets = list_concat(secrets, vs->secrets);
	foreach(lc, secrets)
	{
		ListCell   *lc2;
		List	   *forms = alf_secret_forms((const char *) lfirst(lc));

		foreach(lc2, forms)
			result = alf_scrub_one(result, (const char *) lfirst(lc2));
	}
	return alf_tidy_vendor_text(result, max, to_server);
}

static char *
alf_scrub(const AlfVendorScan *vs, const char *text)
{
	return alf_scrub_max(vs, text, ALF_DETAIL_MAX, true);
}

/* A vendor's own message, scrubbed and cut, to go into alf_scrub's text. */
static char *
alf_scrub_message(const AlfVendorScan *vs, const char *msg)
{
	return alf_scrub_max(vs, msg, ALF_VENDOR_TEXT_MAX, false);
}

/*
 * Register a secret the vendor derived or obtained during the scan (an
 * access token, a session id, a minted JWT), so that no message shows it.
 */
void
alf_add_secret(AlfVendorScan *vs, const char *secret)
{
	MemoryContext old = MemoryContextSwitchTo(vs->scan_cxt);

	vs->secrets = lappend(vs->secrets, pstrdup(secret));
	MemoryContextSwitchTo(old);
}

/* Start a request below base_url; headers may hold secrets (never shown). */
AlfHttpPending *
alf_vendor_start(AlfVendorScan *vs, const AlfRequestSpec *spec, List *headers)
{
	AlfHttpRequest req;
	char	   *body = NULL;

	memset(&req, 0, sizeof(req));
	req.method = spec->method;
	req.url = alf_spec_url(vs->options->base_url, spec);
	req.display = alf_spec_display(spec);
	req.accept = spec->accept;
	req.headers = headers;
	if (spec->body)
	{
		body = json_dumps(spec->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (body == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		req.body = pstrdup(body);
		req.body_len = strlen(body);
		free(body);
		req.headers = lappend(list_copy(headers), "Content-Type: application/json");
	}
	return alf_http_start(vs->http, &req);
}

AlfHttpResponse *
alf_vendor_finish(AlfVendorScan *vs, AlfHttpPending *pending)
{
	return alf_http_finish(vs->http, pending);
}

AlfHttpResponse *
alf_vendor_request(AlfVendorScan *vs, const AlfRequestSpec *spec, List *headers)
{
	return alf_http_finish(vs->http, alf_vendor_start(vs, spec, headers));
}

/* A string member of a JSON object, or NULL when absent or not a string. */
const char *
alf_json_string_member(json_t *obj, const char *key)
{
	json_t	   *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
alf_json_decref_cb(void *arg)
{
	json_decref((json_t *) arg);
}

/* Tie a jansson reference to a memory context: released when it goes. */
json_t *
alf_json_keep(MemoryContext cxt, json_t *json)
{
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	cb->func = alf_json_decref_cb;
	cb->arg = json;
	MemoryContextRegisterResetCallback(cxt, cb);
	return json;
}

void
alf_raise_vendor_error(AlfVendorScan *vs, const AlfHttpResponse *resp, const char *what)
{
	char	   *msg = vs->vendor->error_message ? vs->vendor->error_message(resp) : NULL;
	char	   *detail;

	if (msg == NULL)
		msg = alf_http_body_snippet(resp, 300);
	detail = alf_scrub(vs, psprintf("HTTP %ld from %s: %s", resp->status, resp->display,
									alf_scrub_message(vs, msg)));

	if (resp->status == 401)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("%s rejected the credentials of the user mapping", vs->vendor->display_name),
				 errdetail_internal("%s", detail),
				 errhint("%s", vs->vendor->auth_hint)));
	if (resp->status == 403)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("%s denied access to %s", vs->vendor->display_name, what),
				 errdetail_internal("%s", detail),
				 errhint("%s", vs->vendor->auth_hint)));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("%s could not serve %s", vs->vendor->display_name, what),
			 errdetail_internal("%s", detail)));
	pg_unreachable();
}

void
alf_raise_protocol_error(AlfVendorScan *vs, const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("malformed response from %s", vs->vendor->display_name),
			 errdetail_internal("%s", alf_scrub(vs, psprintf("%s: %s", what, detail)))));
	pg_unreachable();
}

/*
 * Raise 28000 for a response that rejects the credentials whatever its
 * status (a login endpoint may answer 400 to a wrong password).
 */
void
alf_raise_auth_error(AlfVendorScan *vs, const AlfHttpResponse *resp)
{
	char	   *msg = vs->vendor->error_message ? vs->vendor->error_message(resp) : NULL;

	if (msg == NULL)
		msg = alf_http_body_snippet(resp, 300);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("%s rejected the credentials of the user mapping", vs->vendor->display_name),
			 errdetail_internal("%s",
								alf_scrub(vs, psprintf("HTTP %ld from %s: %s", resp->status,
													   resp->display, alf_scrub_message(vs, msg)))),
			 errhint("%s", vs->vendor->auth_hint)));
	pg_unreachable();
}

/* The text with every credential and scan secret replaced by ***. */
char *
alf_scrub_secrets(const AlfVendorScan *vs, const char *text)
{
	return alf_scrub(vs, text);
}

/*
 * Parse a 2xx JSON body; raise the vendor's error for any other status and
 * HV000 for a body that is not complete, valid JSON.  The result is released
 * with the current memory context.
 */
json_t *
alf_parse_json_response(AlfVendorScan *vs, const AlfHttpResponse *resp, const char *what)
{
	json_error_t jerr;
	json_t	   *json;
	const char *body = resp->body;
	size_t		body_len = resp->body_len;
	int			repaired = 0;

	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, what);
	/* one poisoned record must not make the whole page unreadable */
	(void) alf_utf8_repair(resp->body, resp->body_len, NULL, 1, &repaired);
	if (repaired > 0)
		body = alf_utf8_repair_text(resp->body, resp->body_len, true, &body_len, NULL);
	json = json_loadb(body, body_len, JSON_DECODE_ANY, &jerr);
	if (json && repaired > 0)
		alf_warn_repaired_json(vs, json);
	if (json == NULL)
		alf_raise_protocol_error(vs, resp->display,
								 psprintf("%s at line %d, column %d (body of %zu bytes: %s)",
										  jerr.text, jerr.line, jerr.column, resp->body_len,
										  alf_http_body_snippet(resp, 80)));
	return alf_json_keep(CurrentMemoryContext, json);
}

/* Raise HV000 for a body that is not JSON, in jansson's words where it has them. */
static void
alf_raise_bad_json(AlfVendorScan *vs, const AlfHttpResponse *resp, const char *body,
				   size_t body_len, size_t erroff, const char *errmsg)
{
	json_error_t jerr;
	json_t	   *json = json_loadb(body, body_len, JSON_DECODE_ANY, &jerr);

	if (json == NULL)
		alf_raise_protocol_error(vs, resp->display,
								 psprintf("%s at line %d, column %d (body of %zu bytes: %s)",
										  jerr.text, jerr.line, jerr.column, resp->body_len,
										  alf_http_body_snippet(resp, 80)));
	json_decref(json);
	alf_raise_protocol_error(vs, resp->display,
							 psprintf("%s at byte %zu (body of %zu bytes: %s)", errmsg, erroff,
									  resp->body_len, alf_http_body_snippet(resp, 80)));
}

/*
 * Parse a 2xx page of records once, without a DOM for the records: the
 * records found at path (a NULL-ended list of member names from the root
 * object) go into batch as spans of the page -- each element of an array,
 * or the one object -- and the rest of the page (its envelope: cursors,
 * flags, errors) comes back as a small jansson document in which that
 * array is [] (that object {}), for the vendor's page-level checks.  When
 * path leads nowhere, or to a scalar, batch is empty and the envelope is
 * the whole page.  Errors as alf_parse_json_response.
 */
json_t *
alf_parse_record_page(AlfVendorScan *vs, const AlfHttpResponse *resp, const char *what,
					  const char *const *path, AlfBatch *batch)
{
	json_error_t jerr;
	json_t	   *env;
	char	   *body;
	size_t		body_len;
	int			repaired = 0;
	size_t		erroff;
	const char *errmsg;
	AlfJsonSpan v;
	bool		found = true;
	int			i;

	batch->nrecords = 0;
	batch->records = NULL;
	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, what);
	/* a copy in this context (the records point into it), poisoned bytes replaced */
	body = alf_utf8_repair_text(resp->body, resp->body_len, true, &body_len, &repaired);
	if (!alf_json_validate(body, body_len, &erroff, &errmsg))
		alf_raise_bad_json(vs, resp, body, body_len, erroff, errmsg);

	alf_json_value_at(body, &v);
	for (i = 0; path[i] && found; i++)
	{
		AlfJsonIter it;
		AlfJsonSpan key;
		AlfJsonSpan member;
		size_t		len = strlen(path[i]);

		found = false;
		if (v.kind != ALF_JSON_OBJECT)
			break;
		alf_json_iter_begin(&it, &v);
		/* the last of duplicate names wins, as in jansson */
		while (alf_json_object_next(&it, &key, &member))
			if (alf_json_key_equals(&key, path[i], len))
			{
				v = member;
				found = true;
			}
	}
	if (found && v.kind == ALF_JSON_ARRAY)
	{
		AlfJsonIter it;
		AlfJsonSpan e;
		int			size = 128;

		batch->records = palloc(sizeof(AlfRecord) * size);
		alf_json_iter_begin(&it, &v);
		while (alf_json_array_next(&it, &e))
		{
			if (batch->nrecords == size)
			{
				size *= 2;
				batch->records = repalloc(batch->records, sizeof(AlfRecord) * size);
			}
			batch->records[batch->nrecords].json = e.p;
			batch->records[batch->nrecords++].len = e.len;
		}
	}
	else if (found && v.kind == ALF_JSON_OBJECT)
	{
		batch->records = palloc(sizeof(AlfRecord));
		batch->records[0].json = v.p;
		batch->records[0].len = v.len;
		batch->nrecords = 1;
	}
	else
		found = false;

	if (found)
	{
		/* the envelope: the page with the records cut out */
		StringInfoData buf;
		size_t		head = v.p - body;

		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, body, head);
		appendStringInfoString(&buf, v.kind == ALF_JSON_ARRAY ? "[]" : "{}");
		appendBinaryStringInfo(&buf, v.p + v.len, body_len - head - v.len);
		env = json_loadb(buf.data, buf.len, JSON_DECODE_ANY, &jerr);
		pfree(buf.data);
	}
	else
		env = json_loadb(body, body_len, JSON_DECODE_ANY, &jerr);
	if (env == NULL)
		alf_raise_protocol_error(vs, resp->display,
								 psprintf("%s at line %d, column %d (body of %zu bytes: %s)",
										  jerr.text, jerr.line, jerr.column, resp->body_len,
										  alf_http_body_snippet(resp, 80)));
	alf_json_keep(CurrentMemoryContext, env);
	if (repaired > 0)
		for (i = 0; i < batch->nrecords; i++)
			alf_warn_repaired_record(vs, &batch->records[i]);
	return env;
}
