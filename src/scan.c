/*-------------------------------------------------------------------------
 * scan.c
 *	  The executor side of a foreign scan, independent of the vendor.
 *
 * Lifetimes: the AlfScanState lives in the executor's query context; a run
 * (vendor state, HTTP client, pinned request) lives in run_cxt, which a
 * rescan resets; one batch of records lives in batch_cxt, reset before the
 * next is fetched, so a scan holds at most one page (or one report chunk)
 * whatever the total.  "Now" is pinned at the first start and kept across
 * rescans, so a rescan sees the same rows.
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
	MemoryContext batch_cxt;
	AlfVendorScan vs;
	AlfScanRequest *request;
	AlfBatch	batch;
	int			pos;
	bool		started;
	bool		last_batch;		/* the vendor said this batch is the last */
	bool		done;
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

	ss->userid = alf_scan_user_id(fsplan, estate);
	ss->credentials = alf_get_credentials(ss->opts, ss->userid);
	ss->value_states = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	ss->builder = alf_tuple_builder_create(rel, ss->pp->attrs_used, ss->vendor, ss->opts);
	ss->run_cxt = AllocSetContextCreate(estate->es_query_cxt, "auditlog_fdw scan",
										ALLOCSET_DEFAULT_SIZES);
	ss->batch_cxt = AllocSetContextCreate(ss->run_cxt, "auditlog_fdw batch",
										  ALLOCSET_DEFAULT_SIZES);
	return ss;
}

/* http.c's hook: vendor text in its messages loses every secret. */
static char *
alf_scan_scrub(const void *arg, const char *text)
{
	return alf_scrub_secrets((const AlfVendorScan *) arg, text);
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
	ss->batch.nrecords = 0;
	ss->pos = 0;
	ss->last_batch = false;
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
	config.is_throttled = ss->vendor->is_throttled;
	config.error_message = ss->vendor->error_message;
	config.scrub = alf_scan_scrub;
	config.scrub_arg = &ss->vs;

	memset(&ss->vs, 0, sizeof(ss->vs));
	ss->vs.vendor = ss->vendor;
	ss->vs.options = ss->opts;
	ss->vs.credentials = ss->credentials;
	ss->vs.request = ss->request;
	ss->vs.http = alf_http_client_create(&config);
	ss->vs.now = ss->now;
	ss->vs.concurrency = config.max_in_flight;
	ss->vs.scan_cxt = ss->run_cxt;
	ss->vs.batch_cxt = ss->batch_cxt;
	ss->vs.serverid = ss->opts->serverid;
	ss->vs.userid = ss->userid;
	ss->vs.relname = RelationGetRelationName(ss->node->ss.ss_currentRelation);
	ss->vendor->begin_scan(&ss->vs);
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
alf_in_range(const AlfScanRequest *req, TimestampTz t)
{
	if (t < req->lower.value || (t == req->lower.value && !req->lower.inclusive))
		return false;
	if (t > req->upper.value || (t == req->upper.value && !req->upper.inclusive))
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
	const AlfScanRequest *req = ss->request;

	if (ss->vs.time_unfiltered)
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
	MemoryContext old;
	bool		more;

	if (ss->last_batch)
		return false;
	MemoryContextReset(ss->batch_cxt);
	ss->batch.nrecords = 0;
	ss->batch.records = NULL;
	ss->pos = 0;
	old = MemoryContextSwitchTo(ss->batch_cxt);
	more = ss->vendor->next_batch(&ss->vs, &ss->batch);
	MemoryContextSwitchTo(old);
	ss->batches++;
	ss->records += ss->batch.nrecords;
	alf_scan_log_batch(ss->log_id, ss->batch.nrecords);
	if (!more)
		ss->last_batch = true;
	return more || ss->batch.nrecords > 0;
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

		if (ss->pos >= ss->batch.nrecords)
		{
			CHECK_FOR_INTERRUPTS();
			if (!alf_next_batch(ss))
				ss->done = true;
			continue;
		}
		record = &ss->batch.records[ss->pos++];
		alf_tuple_build(ss->builder, record, slot->tts_values, slot->tts_isnull, &t, &tnull);
		/* vendors' own bounds are widened; the pinned range is exact */
		if (!tnull && !alf_in_range(ss->request, t))
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
alf_scan_stop(AlfScanState *ss)
{
	if (!ss->started)
		return;
	if (ss->vs.http)
	{
		const AlfHttpStats *st = alf_http_stats(ss->vs.http);

		alf_scan_log_finish(ss->log_id, ss->done, st->requests, st->retries);
		ss->http.requests += st->requests;
		ss->http.retries += st->retries;
		ss->http.connections += st->connections;
		ss->http.bytes += st->bytes;
	}
	if (ss->vendor->end_scan && ss->vs.state)
		ss->vendor->end_scan(&ss->vs);
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

void
alf_scan_explain_analyze(AlfScanState *ss, ExplainState *es)
{
	if (ss == NULL || ss->run_cxt == NULL)
		return;
	if (ss->started && ss->vs.http)
	{
		/* fold the running client's numbers in without stopping it */
		const AlfHttpStats *st = alf_http_stats(ss->vs.http);

		ExplainPropertyInteger("Vendor Requests", NULL, ss->http.requests + st->requests, es);
		ExplainPropertyInteger("Vendor Retries", NULL, ss->http.retries + st->retries, es);
	}
	else
	{
		ExplainPropertyInteger("Vendor Requests", NULL, ss->http.requests, es);
		ExplainPropertyInteger("Vendor Retries", NULL, ss->http.retries, es);
	}
	ExplainPropertyInteger("Vendor Records", NULL, ss->records, es);
	ExplainPropertyInteger("Records Outside Pinned Range", NULL, ss->out_of_range, es);
}
