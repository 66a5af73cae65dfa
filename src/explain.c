/*-------------------------------------------------------------------------
 * explain.c
 *	  What EXPLAIN shows of a foreign scan.
 *
 * VERBOSE shows the vendor and its flow, the first request exactly as the
 * vendor module would build it (method, path, filters; headers and so
 * secrets never), the conditions sent, and those the vendor never sees.
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
		if (pp->pushed_text[0])
			ExplainPropertyText("Pushed Down", pp->pushed_text, es);
		if (pp->local_text[0])
			ExplainPropertyText("Local Only", pp->local_text, es);
	}
	if (es->analyze)
		alf_scan_explain_analyze(ss, es);
}
