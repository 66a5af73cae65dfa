/*-------------------------------------------------------------------------
 * explain.c
 *	  What EXPLAIN shows of a foreign scan.
 *
 * VERBOSE shows the vendor and its flow, the first request exactly as the
 * vendor module would build it (method, path, filters; headers and so
 * secrets never), the conditions sent (apart, those sent on a spelling the
 * vendor's documents do not confirm), those kept local only because their
 * spelling is unconfirmed, and those the vendor cannot take at all.
 * Nothing here contacts the vendor.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "auditlog_fdw.h"

/* Columns of other tables (join values) are shown as $n. */
static Node *
alf_outer_vars_to_params(Node *node, Index *relid)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varno != *relid)
	{
		Param	   *p = makeNode(Param);

		p->paramkind = PARAM_EXTERN;
		p->paramid = 1;
		p->paramtype = ((Var *) node)->vartype;
		p->paramtypmod = ((Var *) node)->vartypmod;
		p->paramcollid = ((Var *) node)->varcollid;
		p->location = -1;
		return (Node *) p;
	}
	return expression_tree_mutator(node, alf_outer_vars_to_params, (void *) relid);
}

/*
 * Conditions as SQL text, for EXPLAIN, built at plan time (when the
 * relation's range table index is still the planner's).
 */
char *
alf_deparse_clauses(List *clauses, Index relid, Oid foreigntableid)
{
	List	   *context;
	List	   *exprs = NIL;
	ListCell   *lc;
	Node	   *expr;

	if (clauses == NIL)
		return "";
	foreach(lc, clauses)
	{
		Node	   *clause = (Node *) lfirst(lc);

		if (IsA(clause, RestrictInfo))
			clause = (Node *) ((RestrictInfo *) clause)->clause;
		exprs = lappend(exprs, copyObject(clause));
	}
	expr = (Node *) (list_length(exprs) == 1 ? linitial(exprs) : make_andclause(exprs));
	expr = alf_outer_vars_to_params(expr, &relid);
	/* deparse_context_for describes one relation as range table entry 1 */
	if (relid != 1)
		ChangeVarNodes(expr, relid, 1, 0);
	context = deparse_context_for(get_rel_name(foreigntableid), foreigntableid);
	return deparse_expression(expr, context, false, false);
}

/*
 * The texts EXPLAIN VERBOSE shows, at plan time: the pushed quals split by
 * whether their vendor spelling is confirmed, the quals held back only for
 * an unconfirmed spelling, and the rest of local_only (which includes the
 * held back ones).
 */
void
alf_explain_texts(List *pushed, List *held, List *local_only, Index relid,
				  Oid foreigntableid, AlfExplainTexts *texts)
{
	List	   *confirmed = NIL;
	List	   *unconfirmed = NIL;
	ListCell   *lc;

	foreach(lc, pushed)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);

		if (q->unconfirmed)
			unconfirmed = lappend(unconfirmed, q->rinfo);
		else
			confirmed = lappend(confirmed, q->rinfo);
	}
	texts->pushed = alf_deparse_clauses(confirmed, relid, foreigntableid);
	texts->pushed_unconfirmed = alf_deparse_clauses(unconfirmed, relid, foreigntableid);
	texts->held = alf_deparse_clauses(held, relid, foreigntableid);
	texts->local = alf_deparse_clauses(list_difference_ptr(local_only, held), relid,
									   foreigntableid);
}

void
alf_explain_scan(ForeignScanState *node, AlfScanState *ss, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	AlfOptions *opts = alf_get_options(RelationGetRelid(node->ss.ss_currentRelation));
	const AlfVendor *vendor = opts->vendor;
	AlfPlanPrivate *pp = alf_unpack_plan_private(plan->fdw_private);

	if (es->verbose)
	{
		AlfScanRequest *req;
		AlfRequestSpec spec;

		ExplainPropertyText("Vendor", psprintf("%s (%s)", vendor->name, vendor->flow_description),
							es);
		req = alf_build_explain_request(vendor, opts, pp, plan->fdw_exprs, es->deparse_cxt);
		vendor->describe_request(req, &spec);
		ExplainPropertyText("Vendor Request", alf_spec_display(&spec), es);
		alf_spec_free_body(&spec);
		if (pp->texts.pushed[0])
			ExplainPropertyText("Pushed Down", pp->texts.pushed, es);
		if (pp->texts.pushed_unconfirmed[0])
			ExplainPropertyText("Pushed Down (unconfirmed spelling)",
								pp->texts.pushed_unconfirmed, es);
		if (pp->texts.held[0])
			ExplainPropertyText("Not Pushed (unconfirmed spelling)", pp->texts.held, es);
		if (pp->texts.local[0])
			ExplainPropertyText("Local Only", pp->texts.local, es);
	}
	if (es->analyze)
		alf_scan_explain_analyze(ss, es);
}
