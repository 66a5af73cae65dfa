/*-------------------------------------------------------------------------
 * record.c
 *	  Vendor records as JSON text (AlfRecord): reading one field, naming a
 *	  record in messages, warning about repaired records, and writing a CSV
 *	  row as a record.
 *
 * A record is never turned into a DOM: its members are walked in place
 * (json_page.c) and only the value asked for is de-escaped.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/string.h"
#include "mb/pg_wchar.h"
#include "utils/json.h"

#include "auditlog_fdw.h"
#include "csv_reader.h"
#include "vendor_text.h"

/* The value of member key of rec (the last one if repeated), false if none. */
bool
alf_record_member(const AlfRecord *rec, const char *key, AlfJsonSpan *value)
{
	AlfJsonSpan obj;
	AlfJsonSpan k;
	AlfJsonSpan v;
	AlfJsonIter it;
	size_t		len = strlen(key);
	bool		found = false;

	alf_json_value_at(rec->json, &obj);
	if (obj.kind != ALF_JSON_OBJECT)
		return false;
	alf_json_iter_begin(&it, &obj);
	while (alf_json_object_next(&it, &k, &v))
		if (alf_json_key_equals(&k, key, len))
		{
			*value = v;
			found = true;
		}
	return found;
}

/* A scalar's text, palloc'd: a string de-escaped, other scalars as written. */
char *
alf_json_span_text(const AlfJsonSpan *v)
{
	char	   *text = palloc(v->len + 1);
	size_t		n = v->kind == ALF_JSON_STRING ? alf_json_unescape(v, text) : v->len;

	if (v->kind != ALF_JSON_STRING)
		memcpy(text, v->p, v->len);
	text[n] = '\0';
	return text;
}

/* A JSON integer (no fraction or exponent) that fits int64. */
bool
alf_json_span_int64(const AlfJsonSpan *v, int64 *result)
{
	const char *p = v->p;
	const char *end = v->p + v->len;
	bool		neg = false;
	uint64		acc = 0;

	if (v->kind != ALF_JSON_NUMBER)
		return false;
	if (*p == '-')
	{
		neg = true;
		p++;
	}
	for (; p < end; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		if (acc > (PG_UINT64_MAX - (*p - '0')) / 10)
			return false;
		acc = acc * 10 + (*p - '0');
	}
	if (neg ? acc > (uint64) PG_INT64_MAX + 1 : acc > (uint64) PG_INT64_MAX)
		return false;
	*result = neg ? (int64) (0 - acc) : (int64) acc;
	return true;
}

/* "id 123" or "time 2026-..." of a record, for messages. */
char *
alf_record_label(const AlfVendor *vendor, const AlfRecord *record)
{
	const AlfColumnDef *first = &vendor->columns[0];
	const AlfColumnDef *time = &vendor->columns[vendor->time_column];
	size_t		namelen = strlen(first->name);
	bool		by_id = vendor->time_column != 0 && namelen >= 2 &&
		pg_strcasecmp(first->name + namelen - 2, "id") == 0;
	const AlfColumnDef *col = by_id ? first : time;
	AlfJsonSpan v;
	bool		found = false;
	int			j;

	/* the catalogue's first column is the record id where it ends in "id" */
	for (j = 0; j < ALF_MAX_FIELD_NAMES && col->fields[j] && !found; j++)
		found = alf_record_member(record, col->fields[j], &v);
	if (!found && !by_id)
	{
		/* a CSV row: keys are the header's names, matched loosely */
		AlfJsonSpan obj;
		AlfJsonSpan k;
		AlfJsonSpan member;
		AlfJsonIter it;
		char		want[128];

		alf_normalize_name(col->name, want, sizeof(want));
		alf_json_value_at(record->json, &obj);
		if (obj.kind == ALF_JSON_OBJECT)
		{
			alf_json_iter_begin(&it, &obj);
			while (!found && alf_json_object_next(&it, &k, &member))
			{
				char		norm[128];
				char	   *name = alf_json_span_text(&k);

				alf_normalize_name(name, norm, sizeof(norm));
				if (strcmp(norm, want) == 0)
				{
					v = member;
					found = true;
				}
			}
		}
	}
	if (found && v.kind == ALF_JSON_STRING)
	{
		char	   *full = alf_json_span_text(&v);
		char	   *text = pnstrdup(full, pg_encoding_mbcliplen(PG_UTF8, full, strlen(full), 64));
		int			replaced;

		return psprintf("%s %s", by_id ? "id" : "time",
						alf_vendor_text_to_server(text, strlen(text), &replaced));
	}
	if (found && v.kind == ALF_JSON_NUMBER)
		return psprintf("%s %s", by_id ? "id" : "time", alf_json_span_text(&v));
	return pstrdup("without id or time");
}

/* Does JSON text p[0..len) hold U+FFFD, as UTF-8 or as a \u escape? */
static bool
alf_span_has_replacement(const char *p, size_t len)
{
	const char *end = p + len;

	for (; p < end; p++)
	{
		if ((unsigned char) *p == 0xEF && end - p >= 3 &&
			(unsigned char) p[1] == 0xBF && (unsigned char) p[2] == 0xBD)
			return true;
		if (*p == '\\' && end - p >= 6 && p[1] == 'u' && pg_strncasecmp(p + 2, "fffd", 4) == 0)
			return true;
		if (*p == '\\')
			p++;				/* an escaped backslash is not the start of \u */
	}
	return false;
}

/*
 * Warn, once per field, about each member of a record of a repaired body
 * that holds U+FFFD (in its name or anywhere in its value).
 */
void
alf_warn_repaired_record(const AlfVendorScan *vs, const AlfRecord *record)
{
	AlfJsonSpan obj;
	AlfJsonSpan k;
	AlfJsonSpan v;
	AlfJsonIter it;

	if (!alf_span_has_replacement(record->json, record->len))
		return;
	alf_json_value_at(record->json, &obj);
	if (obj.kind != ALF_JSON_OBJECT)
		return;
	alf_json_iter_begin(&it, &obj);
	while (alf_json_object_next(&it, &k, &v))
		if (alf_span_has_replacement(k.p, k.len) || alf_span_has_replacement(v.p, v.len))
			ereport(WARNING,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("record %s of foreign table \"%s\" has invalid characters in field \"%s\"",
							alf_record_label(vs->vendor, record), vs->relname,
							alf_json_span_text(&k)),
					 errdetail("%s sent a NUL, \\u0000 or invalid UTF-8 there; it was replaced by U+FFFD and the record is returned.",
							   vs->vendor->display_name)));
}

/*
 * A record made of n string members, names[i]: values[i] (NUL-terminated
 * UTF-8), as JSON text in the current memory context: how a CSV row
 * becomes a record.
 */
AlfRecord
alf_record_from_strings(int n, char *const *names, const char *const *values)
{
	StringInfoData buf;
	AlfRecord	rec;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		escape_json(&buf, names[i]);
		appendStringInfoChar(&buf, ':');
		escape_json(&buf, values[i]);
	}
	appendStringInfoChar(&buf, '}');
	rec.json = buf.data;
	rec.len = buf.len;
	return rec;
}
