/*-------------------------------------------------------------------------
 * tuple.c
 *	  Vendor records (AlfRecord: JSON text) to tuples.
 *
 * Columns are matched to the vendor catalogue once per scan; a record's
 * fields are found by exact name first and, failing that, by name ignoring
 * case, spaces, hyphens and underscores (CSV headers vary by vendor and
 * release).  One walk over the record's members (json_page.c) finds the
 * fields of the columns the query reads; a member name is looked up once
 * per position in the record (records of a vendor repeat their layout),
 * and only the values of read columns are de-escaped and converted.  Values go through the column type's own input function, so a
 * bad value raises PostgreSQL's usual error, with a context line naming the
 * column and the foreign table.  Called in the per-tuple memory context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "auditlog_fdw.h"
#include "csv_reader.h"
#include "vendor_text.h"

#define ALF_KEY_MAX 128

typedef struct AlfKeyEntry
{
	char		key[ALF_KEY_MAX];	/* hash key: the record's field name */
	int			column;			/* catalogue index, -1 none */
	int			rank;			/* j: exact fields[j]; ALF_MAX_FIELD_NAMES: loose */
} AlfKeyEntry;

/* the member names last seen at each position of a record, and their column */
#define ALF_KEY_POSITIONS 64

typedef struct AlfKeyPosition
{
	char	   *raw;			/* the name as written (escaped), or NULL */
	size_t		len;
	AlfKeyEntry *entry;
} AlfKeyPosition;

struct AlfTupleBuilder
{
	const AlfVendor *vendor;
	int			natts;
	int		   *att_column;		/* attno-1 -> catalogue index, -1: none */
	Oid		   *types;
	FmgrInfo   *in_funcs;
	Oid		   *typioparams;
	int32	   *typmods;
	char	   *relname;
	char	  **attnames;
	const char *default_zone;	/* zone of timestamps that carry none */
	char	  **normalized;		/* per catalogue column: NUL-separated names */
	AlfJsonSpan *slots;			/* per catalogue column, current record */
	int		   *ranks;			/* per catalogue column: rank of its slot */
	bool	   *needed;			/* per catalogue column */
	HTAB	   *keys;
	AlfKeyPosition positions[ALF_KEY_POSITIONS];
	const AlfRecord *record;	/* the record being built, for messages */
	bool		utf8_db;		/* vendor text needs no conversion */
	char	   *scratch;		/* one value's text at a time */
	size_t		scratch_size;
	int			encoding_warnings;	/* issued so far; capped at ALF_MAX_ENCODING_WARNINGS */
};

#define ALF_MAX_ENCODING_WARNINGS 10

typedef struct AlfConvContext
{
	AlfTupleBuilder *b;
	int			att;			/* -1: the event time field */
} AlfConvContext;

static void
alf_conversion_context(void *arg)
{
	AlfConvContext *cc = (AlfConvContext *) arg;

	if (cc->att >= 0)
		errcontext("column \"%s\" of foreign table \"%s\"",
				   cc->b->attnames[cc->att], cc->b->relname);
	else
		errcontext("%s field of foreign table \"%s\"",
				   cc->b->vendor->columns[cc->b->vendor->time_column].name, cc->b->relname);
}

AlfTupleBuilder *
alf_tuple_builder_create(Relation rel, List *attrs_used, const AlfVendor *vendor,
						 const AlfOptions *opts)
{
	AlfTupleBuilder *b = palloc0(sizeof(AlfTupleBuilder));
	TupleDesc	tupdesc = RelationGetDescr(rel);
	HASHCTL		ctl;
	int			i;

	b->vendor = vendor;
	b->natts = tupdesc->natts;
	b->att_column = palloc(sizeof(int) * Max(b->natts, 1));
	b->types = palloc(sizeof(Oid) * Max(b->natts, 1));
	b->in_funcs = palloc0(sizeof(FmgrInfo) * Max(b->natts, 1));
	b->typioparams = palloc(sizeof(Oid) * Max(b->natts, 1));
	b->typmods = palloc(sizeof(int32) * Max(b->natts, 1));
	b->attnames = palloc(sizeof(char *) * Max(b->natts, 1));
	b->relname = pstrdup(RelationGetRelationName(rel));
	b->default_zone = alf_option_value(opts, "report_time_zone");
	b->slots = palloc0(sizeof(AlfJsonSpan) * vendor->ncolumns);
	b->ranks = palloc0(sizeof(int) * vendor->ncolumns);
	b->utf8_db = GetDatabaseEncoding() == PG_UTF8;
	b->scratch_size = 1024;
	b->scratch = palloc(b->scratch_size);
	b->needed = palloc0(sizeof(bool) * vendor->ncolumns);
	b->normalized = palloc0(sizeof(char *) * vendor->ncolumns);

	for (i = 0; i < b->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		Oid			infunc;

		b->attnames[i] = pstrdup(NameStr(att->attname));
		if (att->attisdropped)
		{
			b->att_column[i] = -1;
			continue;
		}
		/* every column is checked, but only the ones read are converted */
		b->att_column[i] = alf_column_for_attribute(vendor, rel, i + 1, false);
		if (!list_member_int(attrs_used, i + 1) && !list_member_int(attrs_used, 0))
		{
			b->att_column[i] = -1;
			continue;
		}
		b->needed[b->att_column[i]] = true;
		b->types[i] = att->atttypid;
		b->typmods[i] = att->atttypmod;
		getTypeInputInfo(att->atttypid, &infunc, &b->typioparams[i]);
		fmgr_info(infunc, &b->in_funcs[i]);
	}
	/* the event time is always read: the core checks the pinned range */
	b->needed[vendor->time_column] = true;

	for (i = 0; i < vendor->ncolumns; i++)
	{
		StringInfoData buf;
		char		norm[ALF_KEY_MAX];
		int			j;

		initStringInfo(&buf);
		alf_normalize_name(vendor->columns[i].name, norm, sizeof(norm));
		appendBinaryStringInfo(&buf, norm, strlen(norm) + 1);
		for (j = 0; j < ALF_MAX_FIELD_NAMES && vendor->columns[i].fields[j]; j++)
		{
			alf_normalize_name(vendor->columns[i].fields[j], norm, sizeof(norm));
			appendBinaryStringInfo(&buf, norm, strlen(norm) + 1);
		}
		appendStringInfoChar(&buf, '\0');
		b->normalized[i] = buf.data;
	}

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = ALF_KEY_MAX;
	ctl.entrysize = sizeof(AlfKeyEntry);
	ctl.hcxt = CurrentMemoryContext;
	b->keys = hash_create("auditlog_fdw record keys", 64, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	return b;
}

/* Which catalogue column a member name belongs to, and how (cached per name). */
static AlfKeyEntry *
alf_key_entry(AlfTupleBuilder *b, const char *key)
{
	static AlfKeyEntry none = {"", -1, 0};
	AlfKeyEntry *entry;
	bool		found;
	char		norm[ALF_KEY_MAX];
	int			i;

	if (strlen(key) >= ALF_KEY_MAX)
		return &none;
	entry = hash_search(b->keys, key, HASH_ENTER, &found);
	if (found)
		return entry;
	entry->column = -1;
	entry->rank = ALF_MAX_FIELD_NAMES;
	for (i = 0; i < b->vendor->ncolumns && entry->column < 0; i++)
	{
		int			j;

		for (j = 0; j < ALF_MAX_FIELD_NAMES && b->vendor->columns[i].fields[j]; j++)
			if (strcmp(b->vendor->columns[i].fields[j], key) == 0)
			{
				entry->column = i;
				entry->rank = j;
				break;
			}
	}
	if (entry->column >= 0)
		return entry;
	alf_normalize_name(key, norm, sizeof(norm));
	for (i = 0; i < b->vendor->ncolumns && entry->column < 0; i++)
	{
		const char *n;

		if (b->vendor->columns[i].kind == ALF_VALUE_RECORD)
			continue;
		for (n = b->normalized[i]; *n; n += strlen(n) + 1)
			if (strcmp(n, norm) == 0)
			{
				entry->column = i;
				break;
			}
	}
	return entry;
}

/* The entry of the member name key, at position pos of a record. */
static AlfKeyEntry *
alf_key_at(AlfTupleBuilder *b, int pos, const AlfJsonSpan *key)
{
	AlfKeyPosition *kp = pos < ALF_KEY_POSITIONS ? &b->positions[pos] : NULL;
	AlfKeyEntry *entry;
	char		name[ALF_KEY_MAX];

	if (kp && kp->raw && kp->len == key->len && memcmp(kp->raw, key->p, key->len) == 0)
		return kp->entry;
	if (key->len >= ALF_KEY_MAX)
		return alf_key_entry(b, "");
	name[alf_json_unescape(key, name)] = '\0';
	entry = alf_key_entry(b, name);
	if (kp)
	{
		if (kp->raw)
			pfree(kp->raw);
		kp->raw = MemoryContextAlloc(GetMemoryChunkContext(b), key->len + 1);
		memcpy(kp->raw, key->p, key->len);
		kp->len = key->len;
		kp->entry = entry;
	}
	return entry;
}

/*
 * Fill b->slots for the needed columns from one record.  Of several names
 * for a column, an exact fields[j] beats a later j and any loose match; the
 * first loose match wins, and the last of repeated exact names.
 */
static void
alf_find_fields(AlfTupleBuilder *b, const AlfJsonSpan *record)
{
	AlfJsonIter it;
	AlfJsonSpan key;
	AlfJsonSpan value;
	int			pos = 0;
	int			i;

	for (i = 0; i < b->vendor->ncolumns; i++)
	{
		b->slots[i].kind = ALF_JSON_NONE;
		b->ranks[i] = INT_MAX;
		if (b->needed[i] && b->vendor->columns[i].kind == ALF_VALUE_RECORD)
			b->slots[i] = *record;
	}
	alf_json_iter_begin(&it, record);
	while (alf_json_object_next(&it, &key, &value))
	{
		AlfKeyEntry *entry = alf_key_at(b, pos++, &key);
		int			column = entry->column;

		if (column < 0 || !b->needed[column])
			continue;
		if (entry->rank < b->ranks[column] ||
			(entry->rank == b->ranks[column] && entry->rank < ALF_MAX_FIELD_NAMES))
		{
			b->slots[column] = value;
			b->ranks[column] = entry->rank;
		}
	}
}

static bool
alf_is_text_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID || type == BPCHAROID || type == NAMEOID;
}

/* b->scratch with room for n bytes and a NUL. */
static char *
alf_scratch(AlfTupleBuilder *b, size_t n)
{
	if (n + 1 > b->scratch_size)
	{
		b->scratch_size = Max(n + 1, b->scratch_size * 2);
		b->scratch = repalloc_huge(b->scratch, b->scratch_size);
	}
	return b->scratch;
}

/*
 * A value as text in b->scratch (valid until the next call); NULL for JSON
 * null or absent.  ALF_AS_TEXT: a string de-escaped, a container compact.
 * ALF_AS_JSON: JSON text as written (jsonb input reads any spacing).
 * ALF_AS_JSON_COMPACT: JSON text without spaces (json keeps them).
 */
#define ALF_AS_TEXT 0
#define ALF_AS_JSON 1
#define ALF_AS_JSON_COMPACT 2

static char *
alf_value_text(AlfTupleBuilder *b, const AlfJsonSpan *v, int as_json)
{
	char	   *out;
	size_t		n;

	switch (v->kind)
	{
		case ALF_JSON_NONE:
		case ALF_JSON_NULL:
			return NULL;
		case ALF_JSON_STRING:
			if (as_json)
			{
				out = alf_scratch(b, v->len + 2);
				memcpy(out, v->p - 1, v->len + 2);
				n = v->len + 2;
			}
			else
			{
				out = alf_scratch(b, v->len);
				n = alf_json_unescape(v, out);
			}
			break;
		case ALF_JSON_OBJECT:
		case ALF_JSON_ARRAY:
			out = alf_scratch(b, v->len);
			if (as_json == ALF_AS_JSON)
			{
				memcpy(out, v->p, v->len);
				n = v->len;
			}
			else
				n = alf_json_compact(v->p, v->len, out);
			break;
		default:
			out = alf_scratch(b, v->len);
			memcpy(out, v->p, v->len);
			n = v->len;
			break;
	}
	out[n] = '\0';
	return out;
}

static void alf_bad_time(AlfTupleBuilder *b, const char *text, bool as_ms) pg_attribute_noreturn();

/* Raises the error for a time field's value that cannot be read. */
static void
alf_bad_time(AlfTupleBuilder *b, const char *text, bool as_ms)
{
	int			len = strlen(text);
	int			clip = pg_mbcliplen(text, len, 100);

	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("invalid timestamp \"%.*s%s\" from %s", clip, text,
					clip < len ? "..." : "", b->vendor->display_name),
			 as_ms ? errdetail("Read as milliseconds since 1970, it is outside the range of timestamp with time zone.") : 0));
}

/*
 * An event time field to TimestampTz; false if absent, null or empty.  In
 * an epoch-milliseconds field a JSON number, or a string holding a bare
 * number, is milliseconds since 1970; any other text is read as a time
 * text (so "2026-10-01" is that date, not 2026 ms).
 */
static bool
alf_json_time(AlfTupleBuilder *b, const AlfColumnDef *col, const AlfJsonSpan *v, TimestampTz *t)
{
	char	   *text;
	bool		as_ms;
	bool		ok;
	int64		ms;

	if (v->kind == ALF_JSON_NONE || v->kind == ALF_JSON_NULL)
		return false;
	as_ms = col->kind == ALF_VALUE_EPOCH_MS;
	if (as_ms && alf_json_span_int64(v, &ms))
	{
		if (!alf_epoch_ms_to_timestamptz_checked(ms, t))
			alf_bad_time(b, alf_value_text(b, v, ALF_AS_TEXT), true);
		return true;
	}
	text = alf_value_text(b, v, ALF_AS_TEXT);
	if (text[0] == '\0')
		return false;
	if (as_ms)
		ok = alf_ms_text_to_timestamptz(text, b->default_zone, t, &as_ms);
	else
		ok = alf_text_to_timestamptz(text, b->default_zone, t);
	if (!ok)
		alf_bad_time(b, text, as_ms);
	return true;
}

/* Vendor text (UTF-8) in the database encoding; see vendor_text.c. */
static char *
alf_text_for_server(AlfTupleBuilder *b, int att, char *text)
{
	int			replaced;

	text = alf_vendor_text_to_server(text, strlen(text), &replaced);
	if (replaced > 0 && ++b->encoding_warnings <= ALF_MAX_ENCODING_WARNINGS)
		ereport(WARNING,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("record %s of foreign table \"%s\" has characters the database encoding cannot hold in column \"%s\"",
						alf_record_label(b->vendor, b->record), b->relname, b->attnames[att]),
				 errdetail("%d character(s) were replaced by \"?\"; the record is returned.", replaced),
				 b->encoding_warnings < ALF_MAX_ENCODING_WARNINGS ?
				 errhint("Use a UTF8 database to read them unchanged.") :
				 errhint("Further such values of this scan are replaced without a warning.")));
	return text;
}

/* Push the validated JSON value v (UTF-8) into a jsonb being built. */
static JsonbValue *
alf_push_jsonb(JsonbParseState **state, const AlfJsonSpan *v, JsonbIteratorToken token)
{
	JsonbValue	jv;
	AlfJsonIter it;
	AlfJsonSpan key;
	AlfJsonSpan member;

	switch (v->kind)
	{
		case ALF_JSON_OBJECT:
			pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			alf_json_iter_begin(&it, v);
			while (alf_json_object_next(&it, &key, &member))
			{
				alf_push_jsonb(state, &key, WJB_KEY);
				alf_push_jsonb(state, &member, WJB_VALUE);
			}
			return pushJsonbValue(state, WJB_END_OBJECT, NULL);
		case ALF_JSON_ARRAY:
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			alf_json_iter_begin(&it, v);
			while (alf_json_array_next(&it, &member))
				alf_push_jsonb(state, &member, WJB_ELEM);
			return pushJsonbValue(state, WJB_END_ARRAY, NULL);
		case ALF_JSON_STRING:
			jv.type = jbvString;
			jv.val.string.val = palloc(v->len + 1);
			jv.val.string.len = (int) alf_json_unescape(v, jv.val.string.val);
			break;
		case ALF_JSON_NUMBER:
			jv.type = jbvNumeric;
			jv.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																 CStringGetDatum(pnstrdup(v->p, v->len)),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));
			break;
		case ALF_JSON_TRUE:
		case ALF_JSON_FALSE:
			jv.type = jbvBool;
			jv.val.boolean = v->kind == ALF_JSON_TRUE;
			break;
		default:
			jv.type = jbvNull;
			break;
	}
	return pushJsonbValue(state, token, &jv);
}

/*
 * A JSON object or array as jsonb, built from the spans (what jsonb_in would
 * make of the text, without lexing it again).  Only in a UTF8 database: the
 * strings are the vendor's UTF-8.
 */
static Datum
alf_jsonb_from_span(const AlfJsonSpan *v)
{
	JsonbParseState *state = NULL;

	return JsonbPGetDatum(JsonbValueToJsonb(alf_push_jsonb(&state, v, WJB_ELEM)));
}

static Datum
alf_convert(AlfTupleBuilder *b, int att, const AlfColumnDef *col, const AlfJsonSpan *v,
			bool *isnull)
{
	Oid			type = b->types[att];
	char	   *text;

	*isnull = true;
	if (v->kind == ALF_JSON_NONE || v->kind == ALF_JSON_NULL)
		return (Datum) 0;

	if (type == JSONBOID && b->utf8_db &&
		(v->kind == ALF_JSON_OBJECT || v->kind == ALF_JSON_ARRAY))
	{
		*isnull = false;
		return alf_jsonb_from_span(v);
	}
	if ((type == JSONBOID || type == JSONOID) && !(col->kind == ALF_VALUE_JSON_TEXT &&
												   v->kind == ALF_JSON_STRING))
	{
		/* jsonb reads JSON text as written; json keeps it, so compact it */
		text = alf_value_text(b, v, type == JSONBOID ? ALF_AS_JSON : ALF_AS_JSON_COMPACT);
	}
	else if (type == TIMESTAMPTZOID)
	{
		/* any field read as timestamptz: the vendor-time reader, not the session's */
		TimestampTz t;

		if (!alf_json_time(b, col, v, &t))
			return (Datum) 0;
		*isnull = false;
		return TimestampTzGetDatum(alf_timestamptz_typmod(t, b->typmods[att]));
	}
	else
	{
		text = alf_value_text(b, v, ALF_AS_TEXT);
		if (text == NULL || (text[0] == '\0' && !alf_is_text_type(type)))
			return (Datum) 0;	/* an empty CSV cell is NULL for non-text types */
	}
	*isnull = false;
	if (type == TEXTOID && b->utf8_db)
		return PointerGetDatum(cstring_to_text(text));	/* what textin does */
	text = alf_text_for_server(b, att, text);
	return InputFunctionCall(&b->in_funcs[att], text, b->typioparams[att], b->typmods[att]);
}

void
alf_tuple_build(AlfTupleBuilder *b, const AlfRecord *record, Datum *values, bool *nulls,
				TimestampTz *event_time, bool *event_time_null)
{
	ErrorContextCallback errcallback;
	AlfConvContext cc;
	AlfJsonSpan obj;
	int			i;

	/* a record is one validated value: its first byte tells its kind */
	obj.p = record->json;
	obj.len = record->len;
	obj.escaped = false;
	obj.kind = record->json[0] == '{' ? ALF_JSON_OBJECT :
		record->json[0] == '[' ? ALF_JSON_ARRAY : ALF_JSON_STRING;
	if (obj.kind != ALF_JSON_OBJECT)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("malformed record from %s", b->vendor->display_name),
				 errdetail("Expected a JSON object, got %s.",
						   obj.kind == ALF_JSON_ARRAY ? "an array" : "a scalar")));
	alf_find_fields(b, &obj);
	b->record = record;

	cc.b = b;
	errcallback.callback = alf_conversion_context;
	errcallback.arg = &cc;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	for (i = 0; i < b->natts; i++)
	{
		int			column = b->att_column[i];

		if (column < 0)
		{
			values[i] = (Datum) 0;
			nulls[i] = true;
			continue;
		}
		cc.att = i;
		values[i] = alf_convert(b, i, &b->vendor->columns[column], &b->slots[column], &nulls[i]);
	}
	cc.att = -1;
	*event_time_null = !alf_json_time(b, &b->vendor->columns[b->vendor->time_column],
									  &b->slots[b->vendor->time_column], event_time);

	error_context_stack = errcallback.previous;
}
