/*-------------------------------------------------------------------------
 * auditlog_fdw.c
 *	  Entry points: handler, validator and the FDW callbacks.
 *
 * Each callback only delegates: planning to quals.c and plan_private.c,
 * execution to scan.c, EXPLAIN to explain.c, IMPORT FOREIGN SCHEMA to
 * import.c, option checks to option.c.  Vendor specifics live in
 * src/vendors/.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "executor/execAsync.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"

#include "auditlog_fdw.h"
#include "compat.h"
#include "guc.h"
#include "http.h"
#include "rate_budget.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(auditlog_fdw_handler);
PG_FUNCTION_INFO_V1(auditlog_fdw_validator);

void		_PG_init(void);

void
_PG_init(void)
{
	alf_http_global_init();
	/* every GUC is defined before alf_guc_init reserves the prefix */
	alf_http_define_gucs();
	alf_budget_init();
	alf_guc_init();
}

/*
 * Size from the pushed time range and filters (cost.c).  A LIMIT of a
 * single-table query whose conditions all go to the vendor lets the scan
 * ask for pages of just that many rows and stop there (the hint is dropped
 * again in GetForeignPlan when a sort above the scan needs every row).
 */
static void
alfGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	AlfRelInfo *info = alf_classify_quals(root, baserel, foreigntableid);

	baserel->fdw_private = info;
	alf_estimate_scan(root, baserel, info, info->pushed, info->local_only, &info->estimate);
	baserel->tuples = clamp_row_est(info->estimate.range_rows);
	baserel->rows = info->estimate.rows;
	if (bms_membership(root->all_baserels) == BMS_SINGLETON && info->local_only == NIL)
		info->limit_hint = root->limit_tuples;
}

/*
 * Parameterized paths: for a join on a column the vendor filters by
 * equality, a nested loop can ask the vendor once per outer row instead of
 * reading everything.  Rows and requests are per outer row, so the planner
 * takes it when few outer rows cost fewer requests than one full scan.
 */
static void
alf_add_param_paths(PlannerInfo *root, RelOptInfo *baserel, AlfRelInfo *info)
{
	ListCell   *lc;
	List	   *seen = NIL;

	foreach(lc, alf_join_clauses(root, baserel, info))
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);
		Relids		required_outer = bms_union(bms_difference(ri->clause_relids, baserel->relids),
											   baserel->lateral_relids);
		ParamPathInfo *ppi;
		List	   *pushed;
		List	   *local;
		AlfCostEstimate est;

		if (bms_is_empty(required_outer) || list_member(seen, required_outer))
			continue;
		seen = lappend(seen, required_outer);
		ppi = get_baserel_parampathinfo(root, baserel, required_outer);
		pushed = alf_param_pushdown(baserel, info, ppi->ppi_clauses, &local);
		alf_estimate_scan(root, baserel, info, pushed, local, &est);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, est.rows, est.startup, est.total,
										 NIL, required_outer, NULL,
										 list_make1_int(ALF_SORT_NONE)));
	}
}

static void
alfGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	AlfRelInfo *info = (AlfRelInfo *) baserel->fdw_private;
	AlfCostEstimate *est = &info->estimate;
	AlfSortDir	dir;
	List	   *pathkeys;

	add_path(baserel, (Path *) create_foreignscan_path(root, baserel, NULL, baserel->rows,
													   est->startup, est->total, NIL, NULL,
													   NULL, list_make1_int(ALF_SORT_NONE)));
	/* the vendor sorts for free */
	pathkeys = alf_time_pathkeys(root, baserel, info, &dir);
	if (pathkeys != NIL)
		add_path(baserel, (Path *) create_foreignscan_path(root, baserel, NULL, baserel->rows,
														   est->startup, est->total, pathkeys,
														   NULL, NULL, list_make1_int(dir)));
	alf_add_param_paths(root, baserel, info);
}

static ForeignScan *
alfGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan)
{
	AlfRelInfo *info = (AlfRelInfo *) baserel->fdw_private;
	AlfSortDir	dir = (AlfSortDir) linitial_int(best_path->fdw_private);
	double		limit_hint = info->limit_hint;
	List	   *fdw_exprs;
	List	   *fdw_private;
	List	   *pushed = info->pushed;
	AlfExplainTexts texts;

	/* the hint only holds when nothing above the scan reorders its rows */
	if (root->query_pathkeys != NIL &&
		!pathkeys_contained_in(root->query_pathkeys, best_path->path.pathkeys))
		limit_hint = -1;
	/* a parameterized scan also sends the join values it is given */
	if (best_path->path.param_info)
	{
		pushed = alf_param_pushdown(baserel, info, best_path->path.param_info->ppi_clauses,
									 NULL);
		limit_hint = -1;
	}
	alf_explain_texts(pushed, info->held, info->local_only, baserel->relid, foreigntableid,
					  &texts);
	fdw_private = alf_pack_plan_private(pushed, dir, limit_hint, &texts, info->attrs_used,
										&fdw_exprs);

	/* every condition is rechecked locally: vendor filters may be looser */
	return make_foreignscan(tlist, extract_actual_clauses(scan_clauses, false),
							baserel->relid, fdw_exprs, fdw_private, NIL, NIL, outer_plan);
}

static void
alfBeginForeignScan(ForeignScanState *node, int eflags)
{
	node->fdw_state = alf_scan_begin(node, eflags);
}

static TupleTableSlot *
alfIterateForeignScan(ForeignScanState *node)
{
	TupleTableSlot *slot;

	/* the scan log tells a failed or cancelled scan from a complete one */
	PG_TRY();
	{
		slot = alf_scan_next((AlfScanState *) node->fdw_state, node->ss.ss_ScanTupleSlot);
	}
	PG_CATCH();
	{
		alf_scan_failed((AlfScanState *) node->fdw_state, geterrcode());
		PG_RE_THROW();
	}
	PG_END_TRY();
	return slot;
}

static void
alfReScanForeignScan(ForeignScanState *node)
{
	alf_scan_rescan((AlfScanState *) node->fdw_state);
}

static void
alfEndForeignScan(ForeignScanState *node)
{
	alf_scan_end((AlfScanState *) node->fdw_state);
}

static void
alfExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	alf_explain_scan(node, (AlfScanState *) node->fdw_state, es);
}

#ifdef ALF_HAVE_ASYNC_APPEND
/*
 * Asynchronous Append (as postgres_fdw): a UNION ALL across vendors waits
 * for them together, so it costs about the slowest one, not their sum.
 * Option async_capable (server or table), on by default for paging vendors.
 * Report flows (ZIA, Resolver) are not: their job polling waits in between
 * requests, which would stall every other branch of the Append.
 */
static bool
alfIsForeignPathAsyncCapable(ForeignPath *path)
{
	AlfRelInfo *info = (AlfRelInfo *) path->path.parent->fdw_private;
	const char *v = alf_option_value(info->opts, "async_capable");
	bool		on = true;

	if (v && !parse_bool(v, &on))
		on = false;
	return on && info->opts->vendor->flow == ALF_FLOW_PAGING;
}

/*
 * A row if the scan has one without waiting for the vendor, else mark the
 * request pending: the Append then waits on the scan's descriptor.
 */
static void
alf_async_produce(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	AlfScanState *ss = (AlfScanState *) node->fdw_state;
	TupleTableSlot *slot;
	bool		ready;

	PG_TRY();
	{
		ready = alf_scan_ready(ss);
	}
	PG_CATCH();
	{
		alf_scan_failed(ss, geterrcode());
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (ready)
	{
		/* ExecForeignScan: local filter and projection, via IterateForeignScan */
		slot = areq->requestee->ExecProcNodeReal(areq->requestee);
		if (!TupIsNull(slot) || alf_scan_finished(ss))
		{
			ExecAsyncRequestDone(areq, TupIsNull(slot) ? NULL : slot);
			return;
		}
	}
	ExecAsyncRequestPending(areq);
}

static void
alfForeignAsyncRequest(AsyncRequest *areq)
{
	alf_async_produce(areq);
}

static void
alfForeignAsyncConfigureWait(AsyncRequest *areq)
{
	ForeignScanState *node = (ForeignScanState *) areq->requestee;
	AppendState *requestor = (AppendState *) areq->requestor;

	/* one event per async subplan is all the Append has room for */
	AddWaitEventToSet(requestor->as_eventset, WL_SOCKET_READABLE,
					  alf_scan_wait_fd((AlfScanState *) node->fdw_state), NULL, areq);
}

static void
alfForeignAsyncNotify(AsyncRequest *areq)
{
	CHECK_FOR_INTERRUPTS();
	alf_async_produce(areq);
}
#endif

static List *
alfImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return alf_import_schema(stmt, serverOid);
}

Datum
auditlog_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = alfGetForeignRelSize;
	routine->GetForeignPaths = alfGetForeignPaths;
	routine->GetForeignPlan = alfGetForeignPlan;
	routine->BeginForeignScan = alfBeginForeignScan;
	routine->IterateForeignScan = alfIterateForeignScan;
	routine->ReScanForeignScan = alfReScanForeignScan;
	routine->EndForeignScan = alfEndForeignScan;
	routine->ExplainForeignScan = alfExplainForeignScan;
	routine->ImportForeignSchema = alfImportForeignSchema;
#ifdef ALF_HAVE_ASYNC_APPEND
	routine->IsForeignPathAsyncCapable = alfIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = alfForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = alfForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = alfForeignAsyncNotify;
#endif
	PG_RETURN_POINTER(routine);
}

Datum
auditlog_fdw_validator(PG_FUNCTION_ARGS)
{
	alf_validate_options(untransformRelOptions(PG_GETARG_DATUM(0)), PG_GETARG_OID(1));
	PG_RETURN_VOID();
}
