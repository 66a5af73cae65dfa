/*-------------------------------------------------------------------------
 * cost.c
 *	  Row and cost estimates of a foreign scan, in vendor requests.
 *
 * A vendor request (tens to hundreds of ms) dwarfs anything done per row,
 * so a scan costs what its requests cost:
 *	  rows seen   = rows_per_day x days of the pushed time range
 *					x selectivity of the other pushed conditions
 *	  requests	  = ceil(rows seen / page size) (at least 1) for a paging
 *					vendor; for a report flow create + poll + download per
 *					job, a job per row_cap rows (option; else 1000, ZIA's
 *					cap, which overestimates Resolver's 50,000)
 *	  startup	  = the first request (a report flow: the whole job)
 *	  total		  = requests x request_cost + per-row CPU
 * rows_per_day and request_cost are options (table over server); without
 * them ALF_DEFAULT_ROWS_PER_DAY and ALF_DEFAULT_REQUEST_COST hold.  The
 * time range comes from the pushed bounds, folded as the planner folds
 * stable expressions (now() - interval '1 hour' and parameters of a custom
 * plan become values); an open lower bound is the vendor's retention start,
 * or ALF_DEFAULT_HISTORY_DAYS back when it keeps records indefinitely.
 * A parameterized scan is estimated the same way with its join clauses
 * among the pushed conditions: its rows and requests are per outer row.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"

/* records a day when the option rows_per_day is not set */
#define ALF_DEFAULT_ROWS_PER_DAY		100.0

/*
 * Planner cost units of one vendor request (request_cost): as much as
 * turning 5,000 records into rows, the low end of what a 50-500 ms round
 * trip is worth.  Not more, because PostgreSQL decides on JIT compilation
 * from the same costs (jit_above_cost 100,000), and waiting on a vendor is
 * no CPU work that JIT could speed up: with these defaults even a year of
 * history stays below it.
 */
#define ALF_DEFAULT_REQUEST_COST		100.0
/* history assumed when a vendor keeps records indefinitely */
#define ALF_DEFAULT_HISTORY_DAYS		365.0
/* requests of one report job: create, (at least) one poll, download */
#define ALF_REPORT_REQUESTS				3.0
/* rows of one report job when the option row_cap is not set */
#define ALF_DEFAULT_ROWS_PER_JOB		1000.0
/* CPU of turning one vendor record into a tuple, next to cpu_tuple_cost */
#define ALF_PARSE_COST_PER_ROW			0.01

static double
alf_option_double(const AlfOptions *opts, const char *name, double dflt)
{
	const char *v = alf_option_value(opts, name);

	return v ? strtod(v, NULL) : dflt;
}

/*
 * The days between the pushed time bounds, as far as the planner can
 * tell.  A bound whose value is unknown at plan time (a parameter of a
 * generic plan) narrows the range by DEFAULT_INEQ_SEL, as PostgreSQL does.
 */
static double
alf_range_days(PlannerInfo *root, const AlfVendor *vendor, List *pushed)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();	/* now() */
	double		history = vendor->retention_days > 0 ?
		vendor->retention_days : ALF_DEFAULT_HISTORY_DAYS;
	TimestampTz lower = now - (int64) (history * USECS_PER_DAY);
	TimestampTz upper = now;
	double		factor = 1.0;
	ListCell   *lc;

	foreach(lc, pushed)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);
		Node	   *v;
		TimestampTz t;

		if (q->column != vendor->time_column || q->op == ALF_OP_IN)
			continue;
		v = estimate_expression_value(root, (Node *) q->value);
		if (!IsA(v, Const) || ((Const *) v)->constisnull)
		{
			factor *= DEFAULT_INEQ_SEL;
			continue;
		}
		t = alf_datum_to_timestamptz(((Const *) v)->constvalue, q->value_type);
		if (q->op == ALF_OP_EQ)
			return 1.0 / SECS_PER_DAY;	/* one second's records */
		if ((q->op == ALF_OP_GT || q->op == ALF_OP_GE) && t > lower)
			lower = t;
		if ((q->op == ALF_OP_LT || q->op == ALF_OP_LE) && t < upper)
			upper = t;
	}
	if (upper <= lower)
		return 0.0;
	return factor * (double) (upper - lower) / USECS_PER_DAY;
}

/* Pushed equality on the vendor's record id: at most one record a value. */
static bool
alf_is_id_lookup(const AlfVendor *vendor, List *pushed)
{
	ListCell   *lc;

	if (vendor->id_column == NULL)
		return false;
	foreach(lc, pushed)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);

		if (q->op == ALF_OP_EQ && strcmp(vendor->columns[q->column].name, vendor->id_column) == 0)
			return true;
	}
	return false;
}

/*
 * Estimate a scan sending pushed (AlfQual *) and checking local
 * (RestrictInfo *) itself.  Callers pass the conditions of the path: the
 * base ones, or for a parameterized path those plus its join clauses.
 */
void
alf_estimate_scan(PlannerInfo *root, RelOptInfo *baserel, const AlfRelInfo *info,
				  List *pushed, List *local, AlfCostEstimate *est)
{
	const AlfVendor *vendor = info->opts->vendor;
	double		rows_per_day = alf_option_double(info->opts, "rows_per_day",
												 ALF_DEFAULT_ROWS_PER_DAY);
	double		request_cost = alf_option_double(info->opts, "request_cost",
												 ALF_DEFAULT_REQUEST_COST);
	List	   *filters = NIL;
	List	   *checked = list_copy(local);
	ListCell   *lc;
	QualCost	local_cost;
	double		page;

	/* selectivity of the non-time pushed conditions, from their clauses */
	foreach(lc, pushed)
	{
		AlfQual    *q = (AlfQual *) lfirst(lc);

		if (q->column != vendor->time_column && q->rinfo)
			filters = lappend(filters, q->rinfo);
		/* every pushed condition is rechecked locally too */
		if (q->rinfo)
			checked = lappend(checked, q->rinfo);
	}
	est->days = alf_range_days(root, vendor, pushed);
	est->range_rows = rows_per_day * est->days;
	est->fetched = est->range_rows *
		clauselist_selectivity(root, filters, baserel->relid, JOIN_INNER, NULL);
	if (alf_is_id_lookup(vendor, pushed))
		est->fetched = Min(est->fetched, 1.0);
	est->rows = clamp_row_est(est->fetched *
							  clauselist_selectivity(root, local, baserel->relid,
													 JOIN_INNER, NULL));

	if (vendor->flow == ALF_FLOW_PAGING)
	{
		page = alf_effective_page_size(vendor, info->opts, -1);
		est->requests = Max(1.0, ceil(est->fetched / page));
		est->startup = request_cost;
	}
	else
	{
		double		per_job = alf_option_double(info->opts, "row_cap", ALF_DEFAULT_ROWS_PER_JOB);

		est->requests = ALF_REPORT_REQUESTS * Max(1.0, ceil(est->fetched / Max(per_job, 1.0)));
		est->startup = ALF_REPORT_REQUESTS * request_cost;
	}
	cost_qual_eval(&local_cost, checked, root);
	est->startup += local_cost.startup;
	est->total = est->requests * request_cost + local_cost.startup +
		est->fetched * (cpu_tuple_cost + ALF_PARSE_COST_PER_ROW + local_cost.per_tuple);
	est->total = Max(est->total, est->startup);
}
