/*-------------------------------------------------------------------------
 * plan_private.c
 *	  The one place that knows the layout of ForeignScan.fdw_private.
 *
 * Planner and executor go through alf_pack_plan_private and
 * alf_unpack_plan_private only, so they cannot disagree.  The compared
 * values of pushed quals travel in fdw_exprs (so setrefs fixes up their
 * Params); fdw_private holds, per pushed qual, its catalogue column,
 * operator, value type and index into fdw_exprs.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/value.h"

#include "auditlog_fdw.h"

enum AlfPrivateIndex
{
	ALF_PRIV_QUALS,				/* List of IntList (column, op, type, expr#) */
	ALF_PRIV_SORT,				/* Integer: AlfSortDir */
	ALF_PRIV_LIMIT,				/* Integer: rows needed at most, or -1 */
	ALF_PRIV_PUSHED_TEXT,		/* String: pushed conditions, for EXPLAIN */
	ALF_PRIV_UNCONF_TEXT,		/* String: pushed on unconfirmed spellings */
	ALF_PRIV_HELD_TEXT,			/* String: kept local, unconfirmed spellings */
	ALF_PRIV_LOCAL_TEXT,		/* String: conditions the vendor cannot take */
	ALF_PRIV_ATTRS,				/* IntList: attnums the query reads */
	ALF_PRIV_COUNT
};

List *
alf_pack_plan_private(List *pushed, AlfSortDir sort, double limit_hint,
					  const AlfExplainTexts *texts, List *attrs_used, List **fdw_exprs)
{
	List	   *quals = NIL;
	List	   *result;
	ListCell   *lc;

	*fdw_exprs = NIL;
	foreach(lc, pushed)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);

		*fdw_exprs = lappend(*fdw_exprs, q->value);
		quals = lappend(quals, list_make4_int(q->column, (int) q->op, (int) q->value_type,
											  list_length(*fdw_exprs) - 1));
	}
	/* appended in the order of enum AlfPrivateIndex */
	result = list_make1(quals);
	result = lappend(result, makeInteger((int) sort));
	result = lappend(result, makeInteger(limit_hint > 0 && limit_hint < PG_INT32_MAX ?
										 (int) limit_hint : -1));
	result = lappend(result, makeString(pstrdup(texts->pushed)));
	result = lappend(result, makeString(pstrdup(texts->pushed_unconfirmed)));
	result = lappend(result, makeString(pstrdup(texts->held)));
	result = lappend(result, makeString(pstrdup(texts->local)));
	result = lappend(result, list_copy(attrs_used));
	Assert(list_length(result) == ALF_PRIV_COUNT);
	return result;
}

/*
 * Unpack; each AlfQual's value is left NULL and its position in fdw_exprs
 * (and so in the executor's list of evaluated values) is its list index.
 */
AlfPlanPrivate *
alf_unpack_plan_private(List *fdw_private)
{
	AlfPlanPrivate *pp = palloc0(sizeof(AlfPlanPrivate));
	ListCell   *lc;

	Assert(list_length(fdw_private) == ALF_PRIV_COUNT);
	foreach(lc, (List *) list_nth(fdw_private, ALF_PRIV_QUALS))
	{
		List	   *fields = (List *) lfirst(lc);
		AlfQual    *q = palloc0(sizeof(AlfQual));

		q->column = list_nth_int(fields, 0);
		q->op = (AlfQualOp) list_nth_int(fields, 1);
		q->value_type = (Oid) list_nth_int(fields, 2);
		Assert(list_nth_int(fields, 3) == list_length(pp->quals));
		pp->quals = lappend(pp->quals, q);
	}
	pp->sort = (AlfSortDir) intVal(list_nth(fdw_private, ALF_PRIV_SORT));
	pp->limit_hint = intVal(list_nth(fdw_private, ALF_PRIV_LIMIT));
	pp->texts.pushed = strVal(list_nth(fdw_private, ALF_PRIV_PUSHED_TEXT));
	pp->texts.pushed_unconfirmed = strVal(list_nth(fdw_private, ALF_PRIV_UNCONF_TEXT));
	pp->texts.held = strVal(list_nth(fdw_private, ALF_PRIV_HELD_TEXT));
	pp->texts.local = strVal(list_nth(fdw_private, ALF_PRIV_LOCAL_TEXT));
	pp->attrs_used = (List *) list_nth(fdw_private, ALF_PRIV_ATTRS);
	return pp;
}
