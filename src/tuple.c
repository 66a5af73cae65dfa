/*-------------------------------------------------------------------------
 * tuple.c
 *	  Vendor records (jansson objects) to tuples.
 *
 * Columns are matched to the vendor catalogue once per scan; a record's
 * fields are found by exact name first and, failing that, by name ignoring
 * case, spaces, hyphens and underscores (CSV headers vary by vendor and
 * release).  Values go through the column type's own input function, so a
 * bad value raises PostgreSQL's usual error, with a context line naming the
 * column and the foreign table.  Called in the per-tuple memory context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <jansson.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "auditlog_fdw.h"
#include "csv_reader.h"

#define ALF_KEY_MAX 128

typedef struct AlfKeyEntry
{
	char		key[ALF_KEY_MAX];	/* hash key: the record's field name */
	int			column;			/* catalogue index, -1 none */
} AlfKeyEntry;

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
	json_t	  **slots;			/* per catalogue column, current record */
	bool	   *needed;			/* per catalogue column */
	HTAB	   *keys;
};

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
	b->slots = palloc0(sizeof(json_t *) * vendor->ncolumns);
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

/* Which catalogue column a record key belongs to (cached per key). */
static int
alf_key_column(AlfTupleBuilder *b, const char *key)
{
	AlfKeyEntry *entry;
	bool		found;
	char		norm[ALF_KEY_MAX];
	int			i;

	if (strlen(key) >= ALF_KEY_MAX)
		return -1;
	entry = hash_search(b->keys, key, HASH_ENTER, &found);
	if (found)
		return entry->column;
	entry->column = -1;
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
	return entry->column;
}

/* Fill b->slots for the needed columns from one record. */
static void
alf_find_fields(AlfTupleBuilder *b, json_t *record)
{
	int			i;
	bool		missing = false;

	for (i = 0; i < b->vendor->ncolumns; i++)
	{
		const AlfColumnDef *col = &b->vendor->columns[i];
		int			j;

		b->slots[i] = NULL;
		if (!b->needed[i])
			continue;
		if (col->kind == ALF_VALUE_RECORD)
		{
			b->slots[i] = record;
			continue;
		}
		for (j = 0; j < ALF_MAX_FIELD_NAMES && col->fields[j] && !b->slots[i]; j++)
			b->slots[i] = json_object_get(record, col->fields[j]);
		if (!b->slots[i])
			missing = true;
	}
	if (missing)
	{
		const char *key;
		json_t	   *value;

		json_object_foreach(record, key, value)
		{
			int			column = alf_key_column(b, key);

			if (column >= 0 && b->needed[column] && b->slots[column] == NULL)
				b->slots[column] = value;
		}
	}
}

static bool
alf_is_text_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID || type == BPCHAROID || type == NAMEOID;
}

/* A JSON scalar as text; NULL for JSON null.  Containers as JSON. */
static char *
alf_json_text(json_t *v)
{
	char	   *dumped;
	char	   *result;

	switch (json_typeof(v))
	{
		case JSON_STRING:
			return pnstrdup(json_string_value(v), json_string_length(v));
		case JSON_INTEGER:
			return psprintf("%lld", (long long) json_integer_value(v));
		case JSON_REAL:
			return psprintf("%.17g", json_real_value(v));
		case JSON_TRUE:
			return pstrdup("true");
		case JSON_FALSE:
			return pstrdup("false");
		case JSON_NULL:
			return NULL;
		default:
			break;
	}
	dumped = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (dumped == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	result = pstrdup(dumped);
	free(dumped);
	return result;
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
alf_json_time(AlfTupleBuilder *b, const AlfColumnDef *col, json_t *v, TimestampTz *t)
{
	char	   *text;
	bool		as_ms;
	bool		ok;

	if (v == NULL || json_is_null(v))
		return false;
	as_ms = col->kind == ALF_VALUE_EPOCH_MS;
	if (as_ms && json_is_integer(v))
	{
		if (!alf_epoch_ms_to_timestamptz_checked(json_integer_value(v), t))
			alf_bad_time(b, alf_json_text(v), true);
		return true;
	}
	text = alf_json_text(v);
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

static Datum
alf_convert(AlfTupleBuilder *b, int att, const AlfColumnDef *col, json_t *v, bool *isnull)
{
	Oid			type = b->types[att];
	char	   *text;

	*isnull = true;
	if (v == NULL || json_is_null(v))
		return (Datum) 0;

	if ((type == JSONBOID || type == JSONOID) && !(col->kind == ALF_VALUE_JSON_TEXT &&
												   json_is_string(v)))
	{
		char	   *dumped = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

		if (dumped == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		text = pstrdup(dumped);
		free(dumped);
	}
	else if (type == TIMESTAMPTZOID &&
			 (col->kind == ALF_VALUE_EPOCH_MS || col->kind == ALF_VALUE_TIMESTAMP))
	{
		TimestampTz t;

		if (!alf_json_time(b, col, v, &t))
			return (Datum) 0;
		*isnull = false;
		return TimestampTzGetDatum(t);
	}
	else
	{
		text = alf_json_text(v);
		if (text == NULL || (text[0] == '\0' && !alf_is_text_type(type)))
			return (Datum) 0;	/* an empty CSV cell is NULL for non-text types */
	}
	*isnull = false;
	return InputFunctionCall(&b->in_funcs[att], text, b->typioparams[att], b->typmods[att]);
}

void
alf_tuple_build(AlfTupleBuilder *b, json_t *record, Datum *values, bool *nulls,
				TimestampTz *event_time, bool *event_time_null)
{
	ErrorContextCallback errcallback;
	AlfConvContext cc;
	int			i;

	if (!json_is_object(record))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("malformed record from %s", b->vendor->display_name),
				 errdetail("Expected a JSON object, got %s.",
						   json_is_array(record) ? "an array" : "a scalar")));
	alf_find_fields(b, record);

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
		values[i] = alf_convert(b, i, &b->vendor->columns[column], b->slots[column], &nulls[i]);
	}
	cc.att = -1;
	*event_time_null = !alf_json_time(b, &b->vendor->columns[b->vendor->time_column],
									  b->slots[b->vendor->time_column], event_time);

	error_context_stack = errcallback.previous;
}
