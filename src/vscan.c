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
#include "utils/memutils.h"

#include "auditlog_fdw.h"
#include "guc.h"
#include "http.h"

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

/* Replace every credential value and scan secret in text by ***. */
static char *
alf_scrub(const AlfVendorScan *vs, const char *text)
{
	char	   *result = pstrdup(text);
	ListCell   *lc;

	foreach(lc, vs->credentials)
		result = alf_scrub_one(result, defGetString((DefElem *) lfirst(lc)));
	foreach(lc, vs->secrets)
		result = alf_scrub_one(result, (const char *) lfirst(lc));
	return result;
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
	if (alf_logging_requests())
		alf_log_request(vs->vendor->display_name, vs->relname, alf_scrub_secrets(vs, req.display));
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
	detail = alf_scrub(vs, psprintf("HTTP %ld from %s: %s", resp->status, resp->display, msg));

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
													   resp->display, msg))),
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

	if (resp->status < 200 || resp->status > 299)
		alf_raise_vendor_error(vs, resp, what);
	json = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, &jerr);
	if (json == NULL)
		alf_raise_protocol_error(vs, resp->display,
								 psprintf("%s at line %d, column %d (body of %zu bytes: %s)",
										  jerr.text, jerr.line, jerr.column, resp->body_len,
										  alf_http_body_snippet(resp, 80)));
	return alf_json_keep(CurrentMemoryContext, json);
}

void
alf_batch_from_array(AlfBatch *batch, json_t *array)
{
	size_t		i;
	size_t		n = json_array_size(array);

	batch->nrecords = (int) n;
	batch->records = palloc(sizeof(json_t *) * Max(n, 1));
	for (i = 0; i < n; i++)
		batch->records[i] = json_array_get(array, i);
}
