/*-------------------------------------------------------------------------
 * scan_request.c
 *	  From pushed quals (plan) and their values (executor) to the
 *	  AlfScanRequest a vendor works from: one time range, pinned, and the
 *	  value sets of the other pushed columns.
 *
 * The time range rules of the contract live here, once for all vendors: an
 * open upper bound becomes the pinned scan start ("now"), an open lower
 * bound the vendor's retention start or the epoch, a range that starts
 * before retention is clipped with a NOTICE.  Contradictions (x = 1 AND
 * x = 2, an empty range, = NULL) make the request empty: no call at all.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "access/table.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "guc.h"
#include "vendor_text.h"

/* 1970-01-01 00:00:00 UTC as a TimestampTz */
#define ALF_UNIX_EPOCH_TS \
	((TimestampTz) (UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)

int
alf_effective_page_size(const AlfVendor *vendor, const AlfOptions *opts, double limit_hint)
{
	int			size = opts->page_size > 0 ? opts->page_size : vendor->max_page_size;

	if (limit_hint >= 1 && limit_hint < size)
		size = (int) limit_hint;
	return Max(size, 1);
}

TimestampTz
alf_datum_to_timestamptz(Datum value, Oid type)
{
	int			overflow = 0;
	TimestampTz result;

	switch (type)
	{
		case TIMESTAMPTZOID:
			return DatumGetTimestampTz(value);
		case TIMESTAMPOID:
			result = timestamp2timestamptz_opt_overflow(DatumGetTimestamp(value), &overflow);
			break;
		case DATEOID:
			result = date2timestamptz_opt_overflow(DatumGetDateADT(value), &overflow);
			break;
		default:
			elog(ERROR, "unexpected type %u in a time condition", type);
	}
	if (overflow > 0)
		return DT_NOEND;
	if (overflow < 0)
		return DT_NOBEGIN;
	return result;
}

/* Narrow [lower, upper] by one time condition. */
static void
alf_apply_bound(AlfScanRequest *req, AlfQualOp op, TimestampTz t)
{
	bool		lower = (op == ALF_OP_GT || op == ALF_OP_GE || op == ALF_OP_EQ);
	bool		upper = (op == ALF_OP_LT || op == ALF_OP_LE || op == ALF_OP_EQ);
	bool		inclusive = (op == ALF_OP_GE || op == ALF_OP_LE || op == ALF_OP_EQ);

	if (lower)
	{
		if (!req->lower.from_query || t > req->lower.value)
		{
			req->lower.value = t;
			req->lower.inclusive = inclusive;
		}
		else if (t == req->lower.value)
			req->lower.inclusive &= inclusive;
		req->lower.from_query = true;
	}
	if (upper)
	{
		if (!req->upper.from_query || t < req->upper.value)
		{
			req->upper.value = t;
			req->upper.inclusive = inclusive;
		}
		else if (t == req->upper.value)
			req->upper.inclusive &= inclusive;
		req->upper.from_query = true;
	}
}

static AlfColumnFilter *
alf_find_filter(List *filters, int column)
{
	ListCell   *lc;

	foreach(lc, filters)
		if (((AlfColumnFilter *) lfirst(lc))->column == column)
			return (AlfColumnFilter *) lfirst(lc);
	return NULL;
}

/* Keep only the values present in both sets (x = 'a' AND x IN ('a','b')). */
static void
alf_intersect(AlfColumnFilter *f, List *values)
{
	int			i;
	int			kept = 0;

	for (i = 0; i < f->nvalues; i++)
	{
		ListCell   *lc;

		foreach(lc, values)
			if (strcmp(f->values[i], (char *) lfirst(lc)) == 0)
			{
				f->values[kept++] = f->values[i];
				break;
			}
	}
	f->nvalues = kept;
}

static void
alf_add_filter(AlfScanRequest *req, int column, List *values)
{
	AlfColumnFilter *f = alf_find_filter(req->filters, column);
	ListCell   *lc;

	/* vendors take UTF-8 whatever the database encoding */
	if (!req->explain_only)
		foreach(lc, values)
			lfirst(lc) = alf_server_text_to_utf8((char *) lfirst(lc));
	if (f)
	{
		alf_intersect(f, values);
		f->is_in = f->nvalues > 1;
		return;
	}
	f = palloc0(sizeof(AlfColumnFilter));
	f->column = column;
	f->values = palloc(sizeof(char *) * Max(list_length(values), 1));
	foreach(lc, values)
	{
		int			i;

		for (i = 0; i < f->nvalues; i++)
			if (strcmp(f->values[i], (char *) lfirst(lc)) == 0)
				break;
		if (i == f->nvalues)
			f->values[f->nvalues++] = (char *) lfirst(lc);
	}
	f->is_in = f->nvalues > 1;
	req->filters = lappend(req->filters, f);
}

/* The non-NULL elements of an IN list as text. */
List *
alf_array_texts(Datum array, Oid elemtype)
{
	ArrayType  *arr = DatumGetArrayTypeP(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *elnulls;
	int			n;
	int			i;
	Oid			outfunc;
	bool		isvarlena;
	List	   *result = NIL;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &elnulls, &n);
	getTypeOutputInfo(elemtype, &outfunc, &isvarlena);
	for (i = 0; i < n; i++)
		if (!elnulls[i])
			result = lappend(result, OidOutputFunctionCall(outfunc, elems[i]));
	return result;
}

static void
alf_pin_range(const AlfVendor *vendor, AlfScanRequest *req, TimestampTz now, bool *empty)
{
	TimestampTz retention = vendor->retention_days > 0 ?
		now - (int64) vendor->retention_days * USECS_PER_DAY : ALF_UNIX_EPOCH_TS;

	if (!req->lower.from_query)
	{
		req->lower.value = retention;
		req->lower.inclusive = true;
	}
	else if (req->lower.value < retention)
	{
		if (vendor->retention_days > 0)
			ereport(NOTICE,
					(errmsg("%s keeps audit records for %d days only; the scan starts at %s",
							vendor->display_name, vendor->retention_days,
							timestamptz_to_str(retention))));
		req->lower.value = retention;
		req->lower.inclusive = true;
	}
	if (!req->upper.from_query || req->upper.value > now)
	{
		req->upper.value = now;
		req->upper.inclusive = true;
	}
	if (req->lower.value > req->upper.value ||
		(req->lower.value == req->upper.value &&
		 !(req->lower.inclusive && req->upper.inclusive)))
		*empty = true;
}

static AlfScanRequest *
alf_new_request(const AlfVendor *vendor, const AlfOptions *opts, AlfPlanPrivate *pp,
				bool explain_only)
{
	AlfScanRequest *req = palloc0(sizeof(AlfScanRequest));

	req->explain_only = explain_only;
	req->options = opts;
	req->sort = pp->sort;
	req->limit_hint = pp->limit_hint;
	req->page_size = vendor->max_page_size > 0 ?
		alf_effective_page_size(vendor, opts, pp->limit_hint) : 0;
	return req;
}

/* A scalar value as the text its type's output function gives. */
static char *
alf_datum_text(Datum value, Oid type)
{
	Oid			outfunc;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, value);
}

/*
 * auditlog_fdw.require_time_bound: refuse a request with neither time bound
 * from the query.  Checked when the scan starts, not at plan time, so that
 * plain EXPLAIN still shows such a plan, and a scan never started (an empty
 * outer side, a pruned branch) is no error.  A lookup by the vendor's record
 * id (one value, e.g. Zendesk's show endpoint) reads one record and is
 * exempt.  53400 (configuration_limit_exceeded): a setting refuses the
 * work, as temp_file_limit does.
 */
static void
alf_check_time_bound(const AlfVendor *vendor, const AlfOptions *opts, const AlfScanRequest *req)
{
	const char *time_column = vendor->columns[vendor->time_column].name;
	ListCell   *lc;
	Relation	rel;
	int			attno;

	if (!alf_require_time_bound || req->lower.from_query || req->upper.from_query)
		return;
	foreach(lc, req->filters)
	{
		AlfColumnFilter *f = (AlfColumnFilter *) lfirst(lc);

		if (vendor->id_column && f->nvalues == 1 &&
			strcmp(vendor->columns[f->column].name, vendor->id_column) == 0)
			return;
	}
	/* name the table's own column for the time field, if it has one */
	rel = table_open(opts->tableid, NoLock);
	for (attno = 1; attno <= RelationGetDescr(rel)->natts; attno++)
		if (!TupleDescAttr(RelationGetDescr(rel), attno - 1)->attisdropped &&
			alf_column_for_attribute(vendor, rel, attno, true) == vendor->time_column)
		{
			time_column = pstrdup(NameStr(TupleDescAttr(RelationGetDescr(rel), attno - 1)->attname));
			break;
		}
	table_close(rel, NoLock);
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("scan of foreign table \"%s\" has no time bound",
					get_rel_name(opts->tableid)),
			 errdetail("auditlog_fdw.require_time_bound is on, and no condition on %s was sent to %s, so the scan would read its whole history.",
					   time_column, vendor->display_name),
			 errhint("Add a condition such as %s >= now() - interval '1 day', or set auditlog_fdw.require_time_bound to off.",
					 time_column)));
}

AlfScanRequest *
alf_build_scan_request(const AlfVendor *vendor, const AlfOptions *opts, AlfPlanPrivate *pp,
					   Datum *values, bool *nulls, TimestampTz now, bool *empty)
{
	AlfScanRequest *req = alf_new_request(vendor, opts, pp, false);
	ListCell   *lc;
	int			i = 0;

	*empty = false;

	foreach(lc, pp->quals)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);
		Datum		value = values[i];
		bool		isnull = nulls[i];

		i++;
		if (isnull)
		{
			/* col op NULL is never true; an IN list of NULL is NULL too */
			*empty = true;
			continue;
		}
		if (q->column == vendor->time_column && q->op != ALF_OP_IN)
			alf_apply_bound(req, q->op, alf_datum_to_timestamptz(value, q->value_type));
		else if (q->op == ALF_OP_IN)
			alf_add_filter(req, q->column, alf_array_texts(value, q->value_type));
		else
			alf_add_filter(req, q->column, list_make1(alf_datum_text(value, q->value_type)));
	}
	foreach(lc, req->filters)
		if (((AlfColumnFilter *) lfirst(lc))->nvalues == 0)
			*empty = true;
	if (!*empty)
		alf_check_time_bound(vendor, opts, req);
	if (!alf_clamp_time_bounds(vendor, req))
		*empty = true;
	alf_pin_range(vendor, req, now, empty);
	return req;
}

/*
 * The same request for EXPLAIN: constants are shown as the values they
 * become, anything else by its expression.  Nothing is evaluated and no
 * NOTICE is raised, and the pinned "now" is shown as such.
 */
AlfScanRequest *
alf_build_explain_request(const AlfVendor *vendor, const AlfOptions *opts, AlfPlanPrivate *pp,
						  List *fdw_exprs, List *deparse_cxt)
{
	AlfScanRequest *req = alf_new_request(vendor, opts, pp, true);
	ListCell   *lc;
	int			i = 0;
	StringInfoData lower_expr;
	StringInfoData upper_expr;
	int			nlower_expr = 0;
	int			nupper_expr = 0;

	initStringInfo(&lower_expr);
	initStringInfo(&upper_expr);

	foreach(lc, pp->quals)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);
		Node	   *expr = (Node *) list_nth(fdw_exprs, i++);
		Node	   *stripped = expr;
		bool		is_const;
		char	   *shown;

		while (stripped && IsA(stripped, RelabelType))
			stripped = (Node *) ((RelabelType *) stripped)->arg;
		is_const = IsA(stripped, Const) && !((Const *) stripped)->constisnull;
		shown = psprintf("(%s)", deparse_expression(expr, deparse_cxt, false, false));

		if (q->column == vendor->time_column && q->op != ALF_OP_IN)
		{
			bool		is_lower = (q->op == ALF_OP_GT || q->op == ALF_OP_GE || q->op == ALF_OP_EQ);
			bool		is_upper = (q->op == ALF_OP_LT || q->op == ALF_OP_LE || q->op == ALF_OP_EQ);

			if (is_const)
				alf_apply_bound(req, q->op,
								alf_datum_to_timestamptz(((Const *) stripped)->constvalue,
														 q->value_type));
			else
			{
				if (is_lower)
				{
					appendStringInfo(&lower_expr, "%s%s", nlower_expr ? ", " : "", shown);
					nlower_expr++;
					req->lower.from_query = true;
				}
				if (is_upper)
				{
					appendStringInfo(&upper_expr, "%s%s", nupper_expr ? ", " : "", shown);
					nupper_expr++;
					req->upper.from_query = true;
				}
			}
		}
		else if (is_const && q->op == ALF_OP_IN)
			alf_add_filter(req, q->column,
						   alf_array_texts(((Const *) stripped)->constvalue, q->value_type));
		else if (is_const)
			alf_add_filter(req, q->column,
						   list_make1(alf_datum_text(((Const *) stripped)->constvalue,
													 q->value_type)));
		else
			alf_add_filter(req, q->column, list_make1(shown));
	}

	/* a mix of constant and computed bounds is shown as the computed one */
	if (nlower_expr)
		req->lower.display = nlower_expr > 1 ?
			psprintf("greatest(%s)", lower_expr.data) : lower_expr.data;
	else if (!req->lower.from_query)
		req->lower.display = vendor->retention_days > 0 ?
			psprintf("(scan start - %d days)", vendor->retention_days) : NULL;
	if (nupper_expr)
		req->upper.display = nupper_expr > 1 ?
			psprintf("least(%s)", upper_expr.data) : upper_expr.data;
	else if (!req->upper.from_query)
		req->upper.display = "(scan start)";
	if (!req->lower.from_query && req->lower.display == NULL)
	{
		req->lower.value = ALF_UNIX_EPOCH_TS;
		req->lower.inclusive = true;
	}
	(void) alf_clamp_time_bounds(vendor, req);
	return req;
}
