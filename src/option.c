/*-------------------------------------------------------------------------
 * option.c
 *	  Option table, validator, and merging of server and table options.
 *
 * The options a server, foreign table, user mapping or column may carry are
 * rows of a table: the core's own below plus each vendor's (vendor.h), so a
 * vendor adds options without touching this file.  The validator is pure: it
 * never touches the network.  Options of the wrong vendor are rejected as
 * soon as the vendor is known (server options), else at the first scan.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgtime.h"
#include "storage/fd.h"
#include "utils/builtins.h"

#include "auditlog_fdw.h"

static const AlfOptionDef core_options[] = {
	{"vendor", ALF_WHERE_SERVER, ALF_OPTKIND_ENUM, 0, 0, NULL, false, true},
	{"base_url", ALF_WHERE_SERVER, ALF_OPTKIND_URL, 0, 0, NULL, false, true},
	{"ca_file", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_STRING, 0, 0, NULL, true, false},
	{"proxy", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_STRING, 0, 0, NULL, true, false},
	{"timeout_ms", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 1, 3600000, NULL, false, false},
	{"max_retries", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 0, 100, NULL, false, false},
	{"max_scan_retries", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 0, 100000, NULL, false, false},
	{"scan_timeout_ms", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 0, 86400000, NULL, false, false},
	{"page_size", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 1, 100000, NULL, false, false},
	{"concurrency", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 1, 16, NULL, false, false},
	{"min_request_interval_ms", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 0, 600000, NULL, false, false},
	{"max_requests_per_minute", ALF_WHERE_SERVER, ALF_OPTKIND_INT, 0, 1000000, NULL, false, false},
	{"column_name", ALF_WHERE_COLUMN, ALF_OPTKIND_STRING, 0, 0, NULL, false, false},
	{"push_unconfirmed_filters", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_BOOL, 0, 0, NULL, false, false},
	{"async_capable", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_BOOL, 0, 0, NULL, false, false},
	/* planner estimates (cost.c) */
	{"rows_per_day", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 1, 1000000000, NULL, false, false},
	{"request_cost", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 0, 1000000000, NULL, false, false},
};

#define ALF_DEFAULT_TIMEOUT_MS	30000
#define ALF_SECRET_FILE_MAX		65536	/* bytes of a credential file read */
#define ALF_DEFAULT_MAX_RETRIES 5
#define ALF_DEFAULT_MAX_SCAN_RETRIES 50

static int
alf_where_of_catalog(Oid catalog)
{
	switch (catalog)
	{
		case ForeignServerRelationId:
			return ALF_WHERE_SERVER;
		case ForeignTableRelationId:
			return ALF_WHERE_TABLE;
		case UserMappingRelationId:
			return ALF_WHERE_USER;
		case AttributeRelationId:
			return ALF_WHERE_COLUMN;
		default:
			return 0;			/* the wrapper itself takes no options */
	}
}

static DefElem *alf_find_defelem(List *options, const char *name);
static const AlfOptionDef *alf_file_option(const char *name, int where,
											const AlfVendor *vendor, bool *vendor_only);

/* The definition of name valid in where, for vendor (NULL: any vendor). */
static const AlfOptionDef *
alf_find_option(const char *name, int where, const AlfVendor *vendor, bool *vendor_only)
{
	int			i;
	int			nvendors;
	const AlfVendor *const *vendors = alf_vendor_all(&nvendors);

	*vendor_only = false;
	for (i = 0; i < (int) lengthof(core_options); i++)
		if (strcmp(core_options[i].name, name) == 0 && (core_options[i].where & where))
			return &core_options[i];
	for (i = 0; i < nvendors; i++)
	{
		int			j;

		if (vendor && vendors[i] != vendor)
			continue;
		for (j = 0; j < vendors[i]->noptions; j++)
			if (strcmp(vendors[i]->options[j].name, name) == 0 &&
				(vendors[i]->options[j].where & where))
			{
				*vendor_only = true;
				return &vendors[i]->options[j];
			}
	}
	return alf_file_option(name, where, vendor, vendor_only);
}

/*
 * X_file, for every user-mapping option X: the server reads X from that file
 * at scan time, so pg_user_mappings and pg_dump show only the path.  Only a
 * superuser may set it, as the file is read with the server's OS rights.
 */
static const AlfOptionDef *
alf_file_option(const char *name, int where, const AlfVendor *vendor, bool *vendor_only)
{
	size_t		len = strlen(name);
	const AlfOptionDef *def;
	AlfOptionDef *file;

	if (!(where & ALF_WHERE_USER) || len <= 5 || strcmp(name + len - 5, "_file") != 0)
		return NULL;
	def = alf_find_option(pnstrdup(name, len - 5), ALF_WHERE_USER, vendor, vendor_only);
	if (def == NULL || def->kind == ALF_OPTKIND_FILE)
		return NULL;
	file = palloc0(sizeof(AlfOptionDef));
	file->name = pstrdup(name);
	file->where = ALF_WHERE_USER;
	file->kind = ALF_OPTKIND_FILE;
	file->superuser_only = true;
	return file;
}

static void
alf_append_name(StringInfo buf, List **seen, const char *name)
{
	ListCell   *lc;

	foreach(lc, *seen)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return;
	*seen = lappend(*seen, (char *) name);
	appendStringInfo(buf, "%s%s", buf->len ? ", " : "", name);
}

/* "a, b, c": the options valid in where (for vendor, or for any vendor). */
static char *
alf_valid_option_names(int where, const AlfVendor *vendor)
{
	StringInfoData buf;
	List	   *seen = NIL;
	int			i;
	int			nvendors;
	const AlfVendor *const *vendors = alf_vendor_all(&nvendors);

	initStringInfo(&buf);
	for (i = 0; i < (int) lengthof(core_options); i++)
		if (core_options[i].where & where)
		{
			if (strcmp(core_options[i].name, "page_size") == 0 && vendor &&
				vendor->max_page_size == 0)
				continue;
			alf_append_name(&buf, &seen, core_options[i].name);
		}
	for (i = 0; i < nvendors; i++)
	{
		int			j;

		if (vendor && vendors[i] != vendor)
			continue;
		for (j = 0; j < vendors[i]->noptions; j++)
			if (vendors[i]->options[j].where & where)
				alf_append_name(&buf, &seen, vendors[i]->options[j].name);
	}
	return buf.len ? buf.data : pstrdup("(none)");
}

static char *
alf_vendor_names(void)
{
	StringInfoData buf;
	int			i;
	int			nvendors;
	const AlfVendor *const *vendors = alf_vendor_all(&nvendors);

	initStringInfo(&buf);
	for (i = 0; i < nvendors; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", vendors[i]->name);
	return buf.data;
}

/*
 * A URL as libcurl reads it (curl_url), so the rules below judge the host
 * libcurl will connect to, not a hand-parsed guess.
 */
typedef struct AlfUrl
{
	char		scheme[8];		/* lower case */
	char		host[256];		/* lower case; an IPv6 literal in brackets */
	bool		userinfo;		/* user, password or login options present */
	bool		query;			/* query or fragment present */
} AlfUrl;

/* Copy one part into buf; false when present but too long. */
static bool
alf_curl_part(CURLU *h, CURLUPart part, char *buf, size_t size, bool *present)
{
	char	   *v = NULL;
	bool		fits = true;

	buf[0] = '\0';
	*present = curl_url_get(h, part, &v, 0) == CURLUE_OK && v != NULL;
	if (*present)
	{
		fits = strlen(v) < size;
		if (fits)
			strlcpy(buf, v, size);
		curl_free(v);
	}
	return fits;
}

/*
 * Parse url; false when libcurl refuses it or it holds characters parsers
 * disagree on (backslash, "@", "%" before the path).  Never raises, so the
 * handle is always released.
 */
static bool
alf_parse_url(const char *url, AlfUrl *out)
{
	CURLU	   *h;
	bool		ok;
	bool		present;
	char		part[256];
	const char *authority = strstr(url, "://");
	char	   *c;

	memset(out, 0, sizeof(*out));
	if (authority == NULL || strpbrk(url, "\\@") != NULL ||
		memchr(authority + 3, '%', strcspn(authority + 3, "/?#")) != NULL)
		return false;
	h = curl_url();
	if (h == NULL)
		return false;
	ok = curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
		alf_curl_part(h, CURLUPART_SCHEME, out->scheme, sizeof(out->scheme), &present) &&
		alf_curl_part(h, CURLUPART_HOST, out->host, sizeof(out->host), &present) && present;
	if (ok)
	{
		alf_curl_part(h, CURLUPART_USER, part, sizeof(part), &present);
		out->userinfo = present;
		alf_curl_part(h, CURLUPART_PASSWORD, part, sizeof(part), &present);
		out->userinfo |= present;
		alf_curl_part(h, CURLUPART_OPTIONS, part, sizeof(part), &present);
		out->userinfo |= present;
		alf_curl_part(h, CURLUPART_QUERY, part, sizeof(part), &present);
		out->query = present;
		alf_curl_part(h, CURLUPART_FRAGMENT, part, sizeof(part), &present);
		out->query |= present;
		alf_curl_part(h, CURLUPART_ZONEID, part, sizeof(part), &present);
		ok = !present;
	}
	curl_url_cleanup(h);
	for (c = out->scheme; *c; c++)
		*c = pg_tolower((unsigned char) *c);
	for (c = out->host; *c; c++)
		*c = pg_tolower((unsigned char) *c);
	return ok;
}

/* localhost, [::1] or a dotted 127.0.0.0/8 address (libcurl normalises IPv4) */
static bool
alf_is_loopback_host(const char *host)
{
	int			dots = 0;
	const char *c;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return true;
	if (strncmp(host, "127.", 4) != 0)
		return false;
	for (c = host; *c; c++)
	{
		if (*c == '.')
			dots++;
		else if (!isdigit((unsigned char) *c))
			return false;
	}
	return dots == 3;
}

/*
 * Is url http:// on a loopback host (127.0.0.0/8, ::1, localhost), without
 * userinfo (http://localhost:1@other.host/ is other.host)?
 */
bool
alf_is_loopback_http(const char *url)
{
	AlfUrl		u;

	return alf_parse_url(url, &u) && strcmp(u.scheme, "http") == 0 && !u.userinfo &&
		alf_is_loopback_host(u.host);
}

static void
alf_check_url(const char *name, const char *value, bool ddl)
{
	AlfUrl		u;
	bool		parsed = alf_parse_url(value, &u);
	bool		https = parsed && strcmp(u.scheme, "https") == 0;
	bool		loopback = parsed && alf_is_loopback_http(value);
	size_t		len = strlen(value);

	if (parsed && !https && !loopback)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errdetail("The URL must start with https://."),
				 errhint("http:// is allowed only for a loopback host (127.0.0.0/8, ::1, localhost).")));
	if (!parsed || u.userinfo || u.query || strchr(value, ' ') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errdetail("Expected scheme, host, optional port and path prefix, without credentials, query, fragment, backslashes or percent-encoding in the host."),
				 errhint("For example: https://acme.zendesk.com")));
	if (ddl && loopback && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may set option \"%s\" to an http:// URL", name)));
	if (value[len - 1] == '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("Remove the trailing slash.")));
}

static char *
alf_choices_text(const char *const *choices)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; choices[i]; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", choices[i]);
	return buf.data;
}

/*
 * No option value may hold a control character: a CR/LF in a credential
 * would add HTTP headers, and none has a use in a URL, name or number.  The
 * value is not echoed, as it may be a secret.
 */
static void
alf_check_no_control(const char *name, const char *value)
{
	const unsigned char *p;

	for (p = (const unsigned char *) value; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"%s\"", name),
					 errdetail("The value contains a control character (character code %d at byte %d).",
							   *p, (int) (p - (const unsigned char *) value) + 1),
					 errhint("Remove line breaks, tabs and other control characters from the value.")));
}

static void
alf_check_value(const AlfOptionDef *def, DefElem *d, bool ddl)
{
	const char *value = defGetString(d);

	alf_check_no_control(def->name, value);
	if (ddl && def->superuser_only && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may set option \"%s\"", def->name)));

	switch (def->kind)
	{
		case ALF_OPTKIND_STRING:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must not be empty", def->name)));
			break;
		case ALF_OPTKIND_INT:
			{
				char	   *end;
				long		v;

				errno = 0;
				v = strtol(value, &end, 10);
				if (errno != 0 || end == value || *end != '\0' || v < def->min || v > def->max)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
							 errhint("Valid values are integers from %d to %d.", def->min, def->max)));
				break;
			}
		case ALF_OPTKIND_ENUM:
			{
				int			i;
				const char *const *choices = def->choices;
				char	   *list;

				if (strcmp(def->name, "vendor") == 0)
				{
					if (alf_vendor_lookup(value) != NULL)
						break;
					list = alf_vendor_names();
				}
				else
				{
					for (i = 0; choices[i]; i++)
						if (strcmp(choices[i], value) == 0)
							return;
					list = alf_choices_text(choices);
				}
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
						 errhint("Valid values are: %s.", list)));
				break;
			}
		case ALF_OPTKIND_URL:
		case ALF_OPTKIND_CREDENTIAL_URL:
			alf_check_url(def->name, value, ddl);
			break;
		case ALF_OPTKIND_TIMEZONE:
			if (pg_tzset(value) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
						 errhint("Use a time zone name such as UTC or America/Los_Angeles (see pg_timezone_names).")));
			break;
		case ALF_OPTKIND_DIGITS:
			if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value) ||
				strlen(value) > 20)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
						 errhint("Expected a numeric id.")));
			break;
		case ALF_OPTKIND_FILE:
			if (!is_absolute_path(value))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
						 errdetail("A credential file must be given by an absolute path."),
						 errhint("The server reads the file as its operating-system user, from its own working directory.")));
			break;
		case ALF_OPTKIND_BOOL:
			if (!parse_bool(value, NULL))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", def->name, value),
						 errhint("Valid values are: on, off, true, false.")));
			break;
	}
}

/*
 * Raise HV00D for an option not valid in where: say where it belongs if it
 * is valid elsewhere, else list the valid ones.
 */
static void
alf_report_misplaced(const char *name, int where)
{
	bool		vendor_only;
	const AlfOptionDef *server = alf_find_option(name, ALF_WHERE_SERVER, NULL, &vendor_only);
	const AlfOptionDef *user = alf_find_option(name, ALF_WHERE_USER, NULL, &vendor_only);

	if (server && server->kind == ALF_OPTKIND_CREDENTIAL_URL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errdetail("Option \"%s\" decides where credentials are sent.", name),
				 errhint("Set it on the foreign server.")));
	if (server || user)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errhint("Set it %s.", server ? "on the foreign server" : "in the user mapping")));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 errhint("Valid options in this context are: %s.",
					 alf_valid_option_names(where, NULL))));
}

/* The host[:port] part of an http(s) URL, lower-cased. */
static char *
alf_url_authority(const char *url)
{
	const char *p = strstr(url, "://");
	char	   *auth;
	char	   *c;

	p = p ? p + 3 : url;
	auth = pnstrdup(p, strcspn(p, "/?#"));
	for (c = auth; *c; c++)
		*c = pg_tolower((unsigned char) *c);
	return auth;
}

/*
 * A credential URL (token endpoint) receives client secrets and refresh
 * tokens, so only a superuser may point it at another host than base_url.
 * The validator sees the statement's whole resulting option list, so an
 * ALTER SERVER that moves base_url away is caught here too.
 */
static void
alf_check_credential_urls(List *options, const AlfVendor *vendor)
{
	ListCell   *lc;
	DefElem    *base = NULL;

	if (vendor == NULL || superuser())
		return;
	foreach(lc, options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "base_url") == 0)
			base = (DefElem *) lfirst(lc);
	foreach(lc, options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);
		bool		vendor_only;
		const AlfOptionDef *def = alf_find_option(d->defname, ALF_WHERE_SERVER, vendor,
												  &vendor_only);

		if (def == NULL || def->kind != ALF_OPTKIND_CREDENTIAL_URL)
			continue;
		if (base == NULL ||
			strcmp(alf_url_authority(defGetString(d)), alf_url_authority(defGetString(base))) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only a superuser may set option \"%s\" to a host other than that of base_url",
							d->defname),
					 errdetail("Credentials of the user mappings are sent to \"%s\".", d->defname),
					 errhint("Ask a superuser to set \"%s\" and base_url, or use the host of base_url.",
							 d->defname)));
	}
}

/*
 * Validate options for one catalog.  vendor is NULL when it cannot be known
 * here (tables, user mappings, columns); the scan checks those later.  ddl:
 * called by the validator, so privilege rules for setting options apply.
 */
static void
alf_validate_for(List *options, int where, const AlfVendor *vendor, bool ddl)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);
		bool		vendor_only;
		const AlfOptionDef *def = alf_find_option(d->defname, where, NULL, &vendor_only);
		const AlfOptionDef *vendor_def;
		ListCell   *lc2;

		if (def == NULL)
			alf_report_misplaced(d->defname, where);
		/* with the vendor known, its own definition (and range) applies */
		vendor_def = vendor ? alf_find_option(d->defname, where, vendor, &vendor_only) : NULL;
		if (vendor_def)
			def = vendor_def;
		if (vendor && (vendor_def == NULL ||
					   (strcmp(d->defname, "page_size") == 0 && vendor->max_page_size == 0)))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" is not valid for vendor \"%s\"", d->defname, vendor->name),
					 errhint("Valid options for vendor \"%s\" here are: %s.", vendor->name,
							 alf_valid_option_names(where, vendor))));
		for_each_cell(lc2, options, lnext(options, lc))
			if (strcmp(((DefElem *) lfirst(lc2))->defname, d->defname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("option \"%s\" specified more than once", d->defname)));
		if (def->kind == ALF_OPTKIND_FILE &&
			alf_find_defelem(options, pnstrdup(d->defname, strlen(d->defname) - 5)) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("options \"%s\" and \"%.*s\" cannot both be set", d->defname,
							(int) strlen(d->defname) - 5, d->defname),
					 errhint("Drop one of them: the value in the file is the recommended way.")));
		alf_check_value(def, d, ddl);
		if (vendor && strcmp(d->defname, "page_size") == 0 &&
			atoi(defGetString(d)) > vendor->max_page_size)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("page_size %s exceeds the maximum of vendor \"%s\"",
							defGetString(d), vendor->name),
					 errhint("Use a value from 1 to %d.", vendor->max_page_size)));
	}
}

static DefElem *
alf_find_defelem(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, name) == 0)
			return (DefElem *) lfirst(lc);
	return NULL;
}

static void
alf_check_required(List *options, const AlfVendor *vendor)
{
	int			i;

	for (i = 0; i < (int) lengthof(core_options); i++)
		if (core_options[i].required && !alf_find_defelem(options, core_options[i].name))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("option \"%s\" is required", core_options[i].name),
					 strcmp(core_options[i].name, "vendor") == 0 ?
					 errhint("Valid vendors are: %s.", alf_vendor_names()) :
					 errhint("Set it to the tenant's API URL, for example https://acme.zendesk.com.")));
	for (i = 0; vendor && i < vendor->noptions; i++)
		if (vendor->options[i].required && !alf_find_defelem(options, vendor->options[i].name))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("option \"%s\" is required for vendor \"%s\"",
							vendor->options[i].name, vendor->name)));
}

void
alf_validate_options(List *options, Oid catalog)
{
	int			where = alf_where_of_catalog(catalog);
	const AlfVendor *vendor = NULL;

	if (where == 0)
	{
		if (options != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", ((DefElem *) linitial(options))->defname),
					 errhint("The foreign data wrapper takes no options; set them on the server.")));
		return;
	}
	if (where == ALF_WHERE_SERVER)
	{
		DefElem    *d = alf_find_defelem(options, "vendor");

		vendor = d ? alf_vendor_lookup(defGetString(d)) : NULL;
		if (d && vendor == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"vendor\": \"%s\"", defGetString(d)),
					 errhint("Valid values are: %s.", alf_vendor_names())));
	}
	alf_validate_for(options, where, vendor, true);
	if (where == ALF_WHERE_SERVER)
	{
		alf_check_required(options, vendor);
		alf_check_credential_urls(options, vendor);
	}
}

/* ---- merged options for planning and scanning ---- */

static void
alf_fill_common(AlfOptions *opts)
{
	const char *v;

	opts->timeout_ms = (v = alf_option_value(opts, "timeout_ms")) ? atoi(v) : ALF_DEFAULT_TIMEOUT_MS;
	opts->max_retries = (v = alf_option_value(opts, "max_retries")) ? atoi(v) : ALF_DEFAULT_MAX_RETRIES;
	opts->max_scan_retries =
		(v = alf_option_value(opts, "max_scan_retries")) ? atoi(v) : ALF_DEFAULT_MAX_SCAN_RETRIES;
	opts->scan_timeout_ms = (v = alf_option_value(opts, "scan_timeout_ms")) ? atoi(v) : 0;
	opts->page_size = (v = alf_option_value(opts, "page_size")) ? atoi(v) : 0;
	opts->concurrency = (v = alf_option_value(opts, "concurrency")) ? atoi(v) : 0;
	opts->min_request_interval_ms =
		(v = alf_option_value(opts, "min_request_interval_ms")) ? atoi(v) : -1;
	opts->ca_file = (char *) alf_option_value(opts, "ca_file");
	opts->proxy = (char *) alf_option_value(opts, "proxy");
}

AlfOptions *
alf_get_server_options(Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	AlfOptions *opts = palloc0(sizeof(AlfOptions));
	DefElem    *d;

	opts->serverid = serverid;
	opts->all = list_copy(server->options);
	d = alf_find_defelem(opts->all, "vendor");
	opts->vendor = d ? alf_vendor_lookup(defGetString(d)) : NULL;
	if (opts->vendor == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no valid vendor option", server->servername),
				 errhint("Valid vendors are: %s.", alf_vendor_names())));
	d = alf_find_defelem(opts->all, "base_url");
	if (d == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no base_url option", server->servername)));
	opts->base_url = defGetString(d);
	opts->base_url_http = alf_is_loopback_http(opts->base_url);
	alf_fill_common(opts);
	return opts;
}

AlfOptions *
alf_get_options(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	AlfOptions *opts = alf_get_server_options(table->serverid);
	ListCell   *lc;

	opts->tableid = foreigntableid;
	/* the table's options are checked against the vendor only now */
	alf_validate_for(table->options, ALF_WHERE_TABLE, opts->vendor, false);
	foreach(lc, table->options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);
		DefElem    *old = alf_find_defelem(opts->all, d->defname);

		if (old)
			opts->all = list_delete_ptr(opts->all, old);
		opts->all = lappend(opts->all, d);
	}
	alf_fill_common(opts);
	return opts;
}

const char *
alf_option_value(const AlfOptions *opts, const char *name)
{
	DefElem    *d = alf_find_defelem(opts->all, name);

	return d ? defGetString(d) : NULL;
}

/*
 * The first line of a credential file (X_file), without its line break.
 * Errors name the option and path, never the content.
 */
static char *
alf_read_credential_file(const char *option, const char *path)
{
	FILE	   *f = AllocateFile(path, "r");
	char	   *buf;
	size_t		n;
	size_t		len;
	int			save_errno = errno;
	bool		failed;
	const unsigned char *p;

	if (f == NULL)
		ereport(ERROR,
				(errcode(save_errno == ENOENT || save_errno == ENOTDIR ?
						 ERRCODE_UNDEFINED_FILE : ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("could not open credential file \"%s\" of option \"%s\": %s",
						path, option, strerror(save_errno)),
				 errhint("The file must exist and be readable by the operating-system user the server runs as.")));
	buf = palloc(ALF_SECRET_FILE_MAX + 1);
	n = fread(buf, 1, ALF_SECRET_FILE_MAX, f);
	failed = ferror(f) != 0;
	save_errno = errno;
	FreeFile(f);
	if (failed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("could not read credential file \"%s\" of option \"%s\": %s",
						path, option, strerror(save_errno)),
				 errhint("The file must be a regular file readable by the operating-system user the server runs as.")));
	buf[n] = '\0';
	len = strcspn(buf, "\n");
	if (len == n && n == ALF_SECRET_FILE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("credential file \"%s\" of option \"%s\" has a first line longer than %d bytes",
						path, option, ALF_SECRET_FILE_MAX)));
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("credential file \"%s\" of option \"%s\" is empty", path, option),
				 errhint("Put the credential on the first line of the file.")));
	/* a CR/LF would add HTTP headers, as for option values */
	for (p = (const unsigned char *) buf; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("credential file \"%s\" of option \"%s\" contains a control character",
							path, option),
					 errdetail("Character code %d at byte %d of the first line.",
							   *p, (int) (p - (const unsigned char *) buf) + 1),
					 errhint("Put only the credential on the first line of the file.")));
	return buf;
}

/*
 * The calling user's mapping options, checked against the vendor, with
 * every X_file replaced by X read from the file.  Raises the usual "user
 * mapping not found" when there is none.
 */
List *
alf_get_credentials(const AlfOptions *opts, Oid userid)
{
	UserMapping *um = GetUserMapping(userid, opts->serverid);
	List	   *result = NIL;
	ListCell   *lc;

	alf_validate_for(um->options, ALF_WHERE_USER, opts->vendor, false);
	foreach(lc, um->options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);
		bool		vendor_only;
		const AlfOptionDef *def = alf_find_option(d->defname, ALF_WHERE_USER, opts->vendor,
												  &vendor_only);

		if (def->kind == ALF_OPTKIND_FILE)
			d = makeDefElem(pnstrdup(d->defname, strlen(d->defname) - 5),
							(Node *) makeString(alf_read_credential_file(d->defname,
																		 defGetString(d))),
							-1);
		result = lappend(result, d);
	}
	return result;
}

/*
 * May the scan send requests to url (e.g. a vendor-supplied download URL)?
 * https without userinfo, or http on loopback when the server's own base_url
 * is loopback http (only a superuser can set that).
 */
bool
alf_url_allowed(const AlfOptions *opts, const char *url)
{
	AlfUrl		u;

	if (!alf_parse_url(url, &u) || u.userinfo)
		return false;
	if (strcmp(u.scheme, "https") == 0)
		return true;
	return opts->base_url_http && alf_is_loopback_http(url);
}
