/*-------------------------------------------------------------------------
 * scan_log.c
 *	  Evidence of completeness: one record per scan run, kept in a bounded
 *	  backend-local ring (TopMemoryContext) and shown by the SRF behind the
 *	  view auditlog_fdw.scan_log.
 *
 * A record says what was asked (server, table, pinned time window, filters
 * sent) and how it ended.  The executor closes it on a normal end; an error
 * thrown through the scan closes it from scan.c's catch block (so cancel is
 * told apart from other errors); a scan that was still running when its
 * (sub)transaction aborted for another reason is closed by the transaction
 * callbacks below, so no record stays "running" forever.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "auditlog_fdw.h"
#include "scan_log.h"

typedef enum AlfScanStatus
{
	ALF_SCAN_RUNNING,
	ALF_SCAN_COMPLETE,			/* the vendor had no more rows */
	ALF_SCAN_PARTIAL,			/* the executor stopped early (LIMIT, EXISTS) */
	ALF_SCAN_ERROR,				/* an error was thrown through the scan */
	ALF_SCAN_CANCELLED,			/* query cancel or statement_timeout */
	ALF_SCAN_ABORTED			/* the transaction aborted while it ran */
} AlfScanStatus;

static const char *const alf_scan_status_names[] = {
	"running", "complete", "partial", "error", "cancelled", "aborted"
};

typedef struct AlfScanRecord
{
	int64		id;				/* 0: unused slot */
	TimestampTz started_at;
	TimestampTz ended_at;		/* 0 while running */
	char	   *server;			/* names copied at start: objects may go */
	char	   *table;			/* schema-qualified */
	TimestampTz lower;
	TimestampTz upper;
	bool		lower_inc;
	bool		upper_inc;
	bool		empty;			/* contradictory quals: nothing asked */
	char	   *pushed;
	int64		requests;
	int64		retries;
	int64		pages;
	int64		records;		/* received from the vendor */
	int64		rows;			/* returned to the executor */
	AlfScanStatus status;
	char		sqlstate[6];
	SubTransactionId subid;
} AlfScanRecord;

static AlfScanRecord alf_scan_log[ALF_SCAN_LOG_SIZE];
static int64 alf_scan_log_next_id = 1;
static bool alf_scan_log_callbacks;

static AlfScanRecord *
alf_scan_log_get(int64 id)
{
	AlfScanRecord *r;

	if (id <= 0)
		return NULL;
	r = &alf_scan_log[id % ALF_SCAN_LOG_SIZE];
	return r->id == id ? r : NULL;
}

/* Close the records still running in the aborted (sub)transaction. */
static void
alf_scan_log_abort(SubTransactionId from_subid)
{
	int			i;

	for (i = 0; i < ALF_SCAN_LOG_SIZE; i++)
	{
		AlfScanRecord *r = &alf_scan_log[i];

		if (r->id != 0 && r->status == ALF_SCAN_RUNNING && r->subid >= from_subid)
		{
			r->status = ALF_SCAN_ABORTED;
			r->ended_at = GetCurrentTimestamp();
		}
	}
}

static void
alf_scan_log_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		alf_scan_log_abort(InvalidSubTransactionId);
}

static void
alf_scan_log_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		alf_scan_log_abort(mySubid);
}

int64
alf_scan_log_start(const AlfOptions *opts, Relation rel, const AlfScanRequest *req,
				   const char *pushed, bool empty)
{
	int64		id = alf_scan_log_next_id++;
	AlfScanRecord *r = &alf_scan_log[id % ALF_SCAN_LOG_SIZE];
	char	   *server = GetForeignServer(opts->serverid)->servername;
	char	   *table = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												   RelationGetRelationName(rel));

	if (!alf_scan_log_callbacks)
	{
		RegisterXactCallback(alf_scan_log_xact_callback, NULL);
		RegisterSubXactCallback(alf_scan_log_subxact_callback, NULL);
		alf_scan_log_callbacks = true;
	}
	/* copy first: an error here must not leave a half-filled slot */
	server = MemoryContextStrdup(TopMemoryContext, server);
	table = MemoryContextStrdup(TopMemoryContext, table);
	pushed = MemoryContextStrdup(TopMemoryContext, pushed ? pushed : "");
	if (r->server)
		pfree(r->server);
	if (r->table)
		pfree(r->table);
	if (r->pushed)
		pfree(r->pushed);
	memset(r, 0, sizeof(*r));
	r->server = server;
	r->table = table;
	r->pushed = (char *) pushed;
	r->started_at = GetCurrentTimestamp();
	r->lower = req->lower.value;
	r->upper = req->upper.value;
	r->lower_inc = req->lower.inclusive;
	r->upper_inc = req->upper.inclusive;
	r->empty = empty;
	r->status = ALF_SCAN_RUNNING;
	r->subid = GetCurrentSubTransactionId();
	r->id = id;
	return id;
}

void
alf_scan_log_batch(int64 id, int nrecords)
{
	AlfScanRecord *r = alf_scan_log_get(id);

	if (r)
	{
		r->pages++;
		r->records += nrecords;
	}
}

void
alf_scan_log_row(int64 id)
{
	AlfScanRecord *r = alf_scan_log_get(id);

	if (r)
		r->rows++;
}

static void
alf_scan_log_close(int64 id, AlfScanStatus status, int64 requests, int64 retries)
{
	AlfScanRecord *r = alf_scan_log_get(id);

	if (r == NULL || r->status != ALF_SCAN_RUNNING)
		return;
	r->status = status;
	r->requests = requests;
	r->retries = retries;
	r->ended_at = GetCurrentTimestamp();
}

void
alf_scan_log_finish(int64 id, bool complete, int64 requests, int64 retries)
{
	alf_scan_log_close(id, complete ? ALF_SCAN_COMPLETE : ALF_SCAN_PARTIAL, requests, retries);
}

/* Called while an error is being thrown: no allocation, no throwing. */
void
alf_scan_log_fail(int64 id, int sqlerrcode, int64 requests, int64 retries)
{
	AlfScanRecord *r = alf_scan_log_get(id);

	if (r == NULL || r->status != ALF_SCAN_RUNNING)
		return;
	alf_scan_log_close(id, sqlerrcode == ERRCODE_QUERY_CANCELED ? ALF_SCAN_CANCELLED :
					   ALF_SCAN_ERROR, requests, retries);
	memcpy(r->sqlstate, unpack_sql_state(sqlerrcode), 6);
}

/* The asked window as a tstzrange (empty when nothing was asked). */
static Datum
alf_scan_log_window(const AlfScanRecord *r)
{
	TypeCacheEntry *typcache = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	RangeBound	lower;
	RangeBound	upper;
	bool		empty = r->empty || r->lower > r->upper ||
		(r->lower == r->upper && !(r->lower_inc && r->upper_inc));

	lower.val = TimestampTzGetDatum(r->lower);
	lower.infinite = false;
	lower.inclusive = r->lower_inc;
	lower.lower = true;
	upper.val = TimestampTzGetDatum(r->upper);
	upper.infinite = false;
	upper.inclusive = r->upper_inc;
	upper.lower = false;
	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, empty));
}

PG_FUNCTION_INFO_V1(auditlog_fdw_scan_log);

/* SETOF record, oldest first: the rows of view auditlog_fdw.scan_log. */
Datum
auditlog_fdw_scan_log(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		first = Max(1, alf_scan_log_next_id - ALF_SCAN_LOG_SIZE);
	int64		id;

	InitMaterializedSRF(fcinfo, 0);
	for (id = first; id < alf_scan_log_next_id; id++)
	{
		const AlfScanRecord *r = alf_scan_log_get(id);
		Datum		values[14];
		bool		nulls[14];

		if (r == NULL)
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum(r->id);
		values[1] = TimestampTzGetDatum(r->started_at);
		values[2] = TimestampTzGetDatum(r->ended_at);
		nulls[2] = r->ended_at == 0;
		values[3] = CStringGetTextDatum(r->server);
		values[4] = CStringGetTextDatum(r->table);
		values[5] = alf_scan_log_window(r);
		values[6] = CStringGetTextDatum(r->pushed);
		nulls[6] = r->pushed[0] == '\0';
		values[7] = Int64GetDatum(r->requests);
		values[8] = Int64GetDatum(r->retries);
		values[9] = Int64GetDatum(r->pages);
		values[10] = Int64GetDatum(r->records);
		values[11] = Int64GetDatum(r->rows);
		values[12] = CStringGetTextDatum(alf_scan_status_names[r->status]);
		values[13] = CStringGetTextDatum(r->sqlstate);
		nulls[13] = r->sqlstate[0] == '\0';
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
