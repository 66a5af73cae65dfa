/*-------------------------------------------------------------------------
 * scan.c
 *	  The executor side of a foreign scan, independent of the vendor.
 *
 * Lifetimes: the AlfScanState lives in the executor's query context; a run
 * (vendor flows, HTTP client, pinned request) lives in run_cxt, which a
 * rescan resets.  Batches come from chains.c, which runs the vendor's flow
 * over the range or over concurrent sub-windows of it and holds a bounded
 * number of pages (or report chunks) whatever the total.  "Now" is pinned
 * at the first start and kept across rescans, so a rescan sees the same
 * rows.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "auditlog_fdw.h"
#include "chains.h"
#include "compat.h"
#include "http.h"
#include "scan_log.h"

struct AlfScanState
{
	ForeignScanState *node;
	const AlfVendor *vendor;
	AlfOptions *opts;
	AlfPlanPrivate *pp;
	List	   *value_states;	/* ExprState per pushed qual */
	AlfTupleBuilder *builder;
	List	   *credentials;
	Oid			userid;
	MemoryContext run_cxt;
	AlfVendorScan vs;			/* the template of every flow (chains.c) */
	AlfScanRequest *request;
	AlfChains  *chains;
	AlfChainBatch cb;			/* the batch being read, with its range */
	int			pos;
	bool		started;
	bool		done;
	bool		async;			/* under an asynchronous Append: never wait */
	TimestampTz now;
	/* counters for EXPLAIN ANALYZE, summed over rescans */
	int64		runs;
	int64		batches;
	int64		records;
	int64		out_of_range;
	AlfHttpStats http;
	int64		log_id;			/* scan_log.c record of the current run */
};

AlfScanState *
alf_scan_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	AlfScanState *ss = palloc0(sizeof(AlfScanState));

	ss->node = node;
	ss->opts = alf_get_options(RelationGetRelid(rel));
	ss->vendor = ss->opts->vendor;
	ss->pp = alf_unpack_plan_private(fsplan->fdw_private);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return ss;				/* plain EXPLAIN contacts nothing */

	ss->async = alf_node_async(node);
	ss->userid = alf_scan_user_id(fsplan, estate);
	ss->credentials = alf_get_credentials(ss->opts, ss->userid);
	ss->value_states = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	ss->builder = alf_tuple_builder_create(rel, ss->pp->attrs_used, ss->vendor, ss->opts);
	ss->run_cxt = AllocSetContextCreate(estate->es_query_cxt, "auditlog_fdw scan",
										ALLOCSET_DEFAULT_SIZES);
	return ss;
}

/* http.c's hook: vendor text in its messages loses every secret. */
static char *
alf_scan_scrub(const void *arg, const char *text)
{
	const AlfScanState *ss = (const AlfScanState *) arg;

	return ss->chains ? alf_chains_scrub(ss->chains, text) : alf_scrub_secrets(&ss->vs, text);
}

/* chains.c's hook: a record's event time (to split by time). */
static bool
alf_scan_record_time(void *arg, const AlfBatch *batch, int i, TimestampTz *t)
{
	AlfScanState *ss = (AlfScanState *) arg;
	TupleTableSlot *scratch = ss->node->ss.ss_ScanTupleSlot;	/* cleared */
	bool		tnull;

	alf_tuple_build(ss->builder, &batch->records[i], scratch->tts_values, scratch->tts_isnull,
					t, &tnull);
	return !tnull;
}

/* Every condition sent to the vendor, on confirmed spellings or not. */
static const char *
alf_pushed_conditions(const AlfExplainTexts *texts)
{
	if (texts->pushed_unconfirmed[0] == '\0')
		return texts->pushed;
	if (texts->pushed[0] == '\0')
		return texts->pushed_unconfirmed;
	return psprintf("%s AND %s", texts->pushed, texts->pushed_unconfirmed);
}

/* Evaluate the pushed values and start the vendor's flow. */
static void
alf_scan_start(AlfScanState *ss)
{
	ExprContext *econtext = ss->node->ss.ps.ps_ExprContext;
	int			n = list_length(ss->value_states);
	Datum	   *values = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	MemoryContext old;
	ListCell   *lc;
	int			i = 0;
	bool		empty;
	AlfHttpConfig config;

	if (ss->now == 0)
		ss->now = GetCurrentStatementStartTimestamp();
	foreach(lc, ss->value_states)
	{
		values[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &nulls[i]);
		i++;
	}

	old = MemoryContextSwitchTo(ss->run_cxt);
	ss->request = alf_build_scan_request(ss->vendor, ss->opts, ss->pp, values, nulls,
										 ss->now, &empty);
	ss->started = true;
	ss->runs++;
	memset(&ss->cb, 0, sizeof(ss->cb));
	ss->pos = 0;
	ss->done = empty;
	ss->log_id = alf_scan_log_start(ss->opts, ss->node->ss.ss_currentRelation, ss->request,
									alf_pushed_conditions(&ss->pp->texts), empty);
	if (empty)
	{
		alf_scan_log_finish(ss->log_id, true, 0, 0);
		MemoryContextSwitchTo(old);
		return;
	}

	memset(&config, 0, sizeof(config));
	config.vendor_name = ss->vendor->display_name;
	/* the backend's connections to this server, kept across scans */
	config.serverid = ss->opts->serverid;
	config.userid = ss->userid;
	config.timeout_ms = ss->opts->timeout_ms;
	config.max_retries = ss->opts->max_retries;
	/* 0 means "no cap" to the client, "no retries" to the user */
	config.max_scan_retries = ss->opts->max_scan_retries;
	if (config.max_scan_retries == 0)
		config.max_retries = 0;
	config.scan_timeout_ms = ss->opts->scan_timeout_ms;
	config.ca_file = ss->opts->ca_file;
	config.proxy = ss->opts->proxy;
	config.allow_loopback_http = ss->opts->base_url_http;
	config.max_in_flight = ss->opts->concurrency > 0 ? ss->opts->concurrency :
		ss->vendor->default_concurrency;
	config.min_interval_ms = ss->opts->min_request_interval_ms >= 0 ?
		ss->opts->min_request_interval_ms : ss->vendor->min_request_interval_ms;
	config.budget_server = ss->opts->serverid;
	config.budget_per_minute = alf_budget_limit(ss->opts);
	config.is_throttled = ss->vendor->is_throttled;
	config.error_message = ss->vendor->error_message;
	config.scrub = alf_scan_scrub;
	config.scrub_arg = ss;

	memset(&ss->vs, 0, sizeof(ss->vs));
	ss->vs.vendor = ss->vendor;
	ss->vs.options = ss->opts;
	ss->vs.credentials = ss->credentials;
	ss->vs.request = ss->request;
	ss->vs.http = alf_http_client_create(&config);
	ss->vs.now = ss->now;
	ss->vs.concurrency = config.max_in_flight;
	ss->vs.scan_cxt = ss->run_cxt;
	ss->vs.batch_cxt = ss->run_cxt;
	ss->vs.serverid = ss->opts->serverid;
	ss->vs.userid = ss->userid;
	ss->vs.relname = RelationGetRelationName(ss->node->ss.ss_currentRelation);
	ss->chains = alf_chains_begin(&ss->vs, ss->run_cxt, alf_scan_record_time, ss);
	MemoryContextSwitchTo(old);
}

/*
 * How far outside the pinned range a record may lie before it is evidence
 * of a fault rather than of the widening the vendor's request applied
 * (Zendesk 1 s, Kore.ai and Zoho 1 ms, ZIA and Resolver whole seconds plus
 * Resolver's extra second): more than any of those.
 */
#define ALF_RANGE_TOLERANCE_USEC	(5 * USECS_PER_SEC)

static bool
alf_in_range(const AlfTimeBound *lower, const AlfTimeBound *upper, TimestampTz t)
{
	if (t < lower->value || (t == lower->value && !lower->inclusive))
		return false;
	if (t > upper->value || (t == upper->value && !upper->inclusive))
		return false;
	return true;
}

/*
 * A record outside the pinned range: dropped when the widening of the
 * vendor's time filter explains it, an error when it lies further out --
 * the vendor did not apply the window we asked for, or its times are read
 * in the wrong zone or unit, and either way the other rows of the scan
 * cannot be trusted to be the ones asked for.
 */
static void
alf_check_near_range(AlfScanState *ss, TimestampTz t)
{
	const AlfScanRequest *req = ss->cb.asked;

	if (ss->cb.time_unfiltered)
		return;
	if (t >= req->lower.value - ALF_RANGE_TOLERANCE_USEC &&
		t <= req->upper.value + ALF_RANGE_TOLERANCE_USEC)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("%s returned a record outside the time range asked for",
					ss->vendor->display_name),
			 errdetail("The record's time is %s; the request asked for %s to %s.",
					   pstrdup(timestamptz_to_str(t)), pstrdup(timestamptz_to_str(req->lower.value)),
					   pstrdup(timestamptz_to_str(req->upper.value))),
			 errhint("The vendor may have ignored the time filter, or its times are read in another time zone or epoch unit than it uses (options report_time_zone, epoch_unit).")));
}

/* Fetch the next batch; false when the vendor has no more records. */
static bool
alf_next_batch(AlfScanState *ss)
{
	ss->pos = 0;
	if (!alf_chains_next(ss->chains, &ss->cb))
	{
		memset(&ss->cb, 0, sizeof(ss->cb));
		return false;
	}
	ss->batches++;				/* pages that carried records (chains skip empty ones) */
	ss->records += ss->cb.batch.nrecords;
	alf_scan_log_batch(ss->log_id, ss->cb.batch.nrecords);
	return true;
}

/*
 * Could alf_scan_next return a row (or the end) without waiting for the
 * vendor?  Rows left in the batch, the end, or a flow whose page has
 * arrived (chains.c).
 */
bool
alf_scan_ready(AlfScanState *ss)
{
	if (!ss->started)
		alf_scan_start(ss);
	if (ss->done || ss->pos < ss->cb.batch.nrecords || ss->chains == NULL)
		return true;
	return alf_chains_ready(ss->chains);
}

/* The end was reached (an empty slot from alf_scan_next means "not yet"). */
bool
alf_scan_finished(AlfScanState *ss)
{
	return ss->done;
}

/* One descriptor the asynchronous Append waits on for this scan. */
int
alf_scan_wait_fd(AlfScanState *ss)
{
	int			fd = ss->vs.http ? alf_http_client_wait_fd(ss->vs.http) : -1;

	if (fd < 0)
		elog(ERROR, "asynchronous foreign scan has nothing to wait on");
	return fd;
}

TupleTableSlot *
alf_scan_next(AlfScanState *ss, TupleTableSlot *slot)
{
	ExecClearTuple(slot);
	if (!ss->started)
		alf_scan_start(ss);

	while (!ss->done)
	{
		const AlfRecord *record;
		TimestampTz t;
		bool		tnull;

		if (ss->pos >= ss->cb.batch.nrecords)
		{
			CHECK_FOR_INTERRUPTS();
			/* asynchronous: an empty slot, not done; the Append waits */
			if (ss->async && !alf_scan_ready(ss))
				return slot;
			if (!alf_next_batch(ss))
				ss->done = true;
			continue;
		}
		record = &ss->cb.batch.records[ss->pos++];
		alf_tuple_build(ss->builder, record, slot->tts_values, slot->tts_isnull, &t, &tnull);
		/* vendors' own bounds are widened; the (sub-)window's range is exact */
		if (!tnull && !alf_in_range(&ss->cb.lower, &ss->cb.upper, t))
		{
			alf_check_near_range(ss, t);
			ss->out_of_range++;
			continue;
		}
		alf_scan_log_row(ss->log_id);
		return ExecStoreVirtualTuple(slot);
	}
	return slot;
}

static void
alf_add_stats(AlfHttpStats *sum, const AlfHttpStats *st)
{
	sum->requests += st->requests;
	sum->retries += st->retries;
	sum->connections += st->connections;
	sum->bytes += st->bytes;
	sum->wait_ms += st->wait_ms;
}

static void
alf_scan_stop(AlfScanState *ss)
{
	if (!ss->started)
		return;
	if (ss->vs.http)
	{
		const AlfHttpStats *st = alf_http_stats(ss->vs.http);

		alf_scan_log_finish(ss->log_id, ss->done, st->requests, st->retries);
		alf_add_stats(&ss->http, st);
	}
	alf_chains_end(ss->chains);
	ss->chains = NULL;
	memset(&ss->cb, 0, sizeof(ss->cb));
	ss->started = false;
	ss->vs.http = NULL;
	ss->vs.state = NULL;
	MemoryContextReset(ss->run_cxt);
}

/*
 * An error is being thrown through the scan: record how the run ended.
 * Runs in a catch block, so it neither allocates nor throws.
 */
void
alf_scan_failed(AlfScanState *ss, int sqlerrcode)
{
	const AlfHttpStats *st;

	if (ss == NULL || !ss->started)
		return;
	st = ss->vs.http ? alf_http_stats(ss->vs.http) : NULL;
	alf_scan_log_fail(ss->log_id, sqlerrcode, st ? st->requests : 0, st ? st->retries : 0);
}

void
alf_scan_rescan(AlfScanState *ss)
{
	alf_scan_stop(ss);
	ss->done = false;
}

void
alf_scan_end(AlfScanState *ss)
{
	if (ss == NULL || ss->run_cxt == NULL)
		return;
	alf_scan_stop(ss);
	MemoryContextDelete(ss->run_cxt);
	ss->run_cxt = NULL;
}

/*
 * EXPLAIN ANALYZE: what the scan cost at the vendor, summed over rescans
 * (a nested loop's inner side shows all its runs).  Wait time is wall
 * clock, shown only with TIMING like the executor's own times.
 */
void
alf_scan_explain_analyze(AlfScanState *ss, ExplainState *es)
{
	AlfHttpStats st;

	if (ss == NULL || ss->run_cxt == NULL)
		return;
	st = ss->http;
	/* fold the running client's numbers in without stopping it */
	if (ss->started && ss->vs.http)
		alf_add_stats(&st, alf_http_stats(ss->vs.http));
	ExplainPropertyInteger("Vendor Requests", NULL, st.requests, es);
	ExplainPropertyInteger("Vendor Pages", NULL, ss->batches, es);
	ExplainPropertyInteger("Vendor Retries", NULL, st.retries, es);
	ExplainPropertyInteger("Vendor Bytes Received", NULL, st.bytes, es);
	ExplainPropertyInteger("Vendor Connections Opened", NULL, st.connections, es);
	if (es->timing)
		ExplainPropertyFloat("Vendor Wait Time", "ms", st.wait_ms, 3, es);
	ExplainPropertyInteger("Vendor Records", NULL, ss->records, es);
	ExplainPropertyInteger("Records Outside Pinned Range", NULL, ss->out_of_range, es);
}
