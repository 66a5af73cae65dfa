/*-------------------------------------------------------------------------
 * rate_budget.c
 *	  The per-server request budget (max_requests_per_minute) and the SQL
 *	  functions behind the view auditlog_fdw.request_budgets.
 *
 * A budget is a slot per (database, server): a sliding window of request
 * starts (rate_window.c), a pause ("blocked until") set from the vendor's
 * throttle answers and rate-limit headers, and the limit the vendor
 * announced.  With the library in shared_preload_libraries the slots live
 * in shared memory under one LWLock, so all backends share one budget per
 * server; otherwise each backend keeps its own in TopMemoryContext.  The
 * lock is held only to read or update a slot, never while waiting.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/wait_event.h"

#include "auditlog_fdw.h"
#include "compat.h"
#include "http.h"
#include "rate_budget.h"
#include "rate_window.h"

#define ALF_BUDGET_SLOTS		64	/* servers with a shared budget */
#define ALF_BUDGET_MAX_PAUSE_MS	(15 * 60 * 1000L)
#define ALF_BUDGET_TRANCHE		"auditlog_fdw budgets"

typedef struct AlfBudgetSlot
{
	Oid			dbid;
	Oid			serverid;		/* InvalidOid: a free slot */
	int			limit;			/* of the latest request (0: none) */
	int			vendor_limit;	/* announced by the vendor; 0: unknown */
	TimestampTz blocked_until;	/* no request starts before this */
	TimestampTz last_used;
	int64		requests;		/* starts taken */
	int64		waits;			/* starts that had to wait */
	int64		throttled;		/* throttle answers seen */
	AlfRateWindow window;
} AlfBudgetSlot;

typedef struct AlfBudgetShared
{
	LWLock	   *lock;
	AlfBudgetSlot slots[ALF_BUDGET_SLOTS];
} AlfBudgetShared;

static AlfBudgetShared *budget_shared = NULL;
static AlfBudgetSlot *local_slots = NULL;	/* TopMemoryContext */
static int	nlocal = 0;
static bool overflow_reported = false;

/* auditlog_fdw.request_budgets: off only for a vendor stand-in without limits */
static bool budgets_enabled = true;

static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#ifdef ALF_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif

PG_FUNCTION_INFO_V1(auditlog_fdw_request_budget_slots);
PG_FUNCTION_INFO_V1(auditlog_fdw_server_request_limit);
PG_FUNCTION_INFO_V1(auditlog_fdw_budgets_shared);

/* ---- shared memory ---- */

static void
alf_budget_shmem_request(void)
{
#ifdef ALF_SHMEM_REQUEST_HOOK
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(MAXALIGN(sizeof(AlfBudgetShared)));
	RequestNamedLWLockTranche(ALF_BUDGET_TRANCHE, 1);
}

static void
alf_budget_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	budget_shared = ShmemInitStruct("auditlog_fdw request budgets",
									sizeof(AlfBudgetShared), &found);
	if (!found)
	{
		memset(budget_shared, 0, sizeof(AlfBudgetShared));
		budget_shared->lock = &(GetNamedLWLockTranche(ALF_BUDGET_TRANCHE))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
alf_budget_init(void)
{
	DefineCustomBoolVariable("auditlog_fdw.request_budgets",
							 "Keeps each server's requests within max_requests_per_minute "
							 "and the vendor's pauses.",
							 "Off sends requests as fast as scans ask: only for a vendor "
							 "stand-in without rate limits.",
							 &budgets_enabled, true, PGC_SUSET, 0, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
#ifdef ALF_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = alf_budget_shmem_request;
#else
	alf_budget_shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = alf_budget_shmem_startup;
}

/* ---- slots ---- */

static void
alf_budget_lock(LWLockMode mode)
{
	if (budget_shared)
		LWLockAcquire(budget_shared->lock, mode);
}

static void
alf_budget_unlock(void)
{
	if (budget_shared)
		LWLockRelease(budget_shared->lock);
}

static AlfBudgetSlot *
alf_local_slot(Oid serverid)
{
	int			i;

	for (i = 0; i < nlocal; i++)
		if (local_slots[i].serverid == serverid && local_slots[i].dbid == MyDatabaseId)
			return &local_slots[i];
	local_slots = local_slots ?
		repalloc(local_slots, sizeof(AlfBudgetSlot) * (nlocal + 1)) :
		MemoryContextAlloc(TopMemoryContext, sizeof(AlfBudgetSlot));
	memset(&local_slots[nlocal], 0, sizeof(AlfBudgetSlot));
	local_slots[nlocal].dbid = MyDatabaseId;
	local_slots[nlocal].serverid = serverid;
	return &local_slots[nlocal++];
}

/*
 * The server's slot, made if needed; the caller holds the lock exclusively.
 * When every shared slot is busy (used within the last minute or paused),
 * the server gets a backend-local budget and *shared is false.
 */
static AlfBudgetSlot *
alf_budget_slot(Oid serverid, TimestampTz now, bool *shared)
{
	AlfBudgetSlot *victim = NULL;
	int			i;

	*shared = false;
	if (budget_shared == NULL)
		return alf_local_slot(serverid);
	for (i = 0; i < ALF_BUDGET_SLOTS; i++)
	{
		AlfBudgetSlot *s = &budget_shared->slots[i];

		if (s->serverid == serverid && s->dbid == MyDatabaseId)
		{
			*shared = true;
			return s;
		}
		/* a free slot, else the least recently used idle one */
		if (!OidIsValid(s->serverid))
		{
			if (victim == NULL || OidIsValid(victim->serverid))
				victim = s;
		}
		else if (s->last_used < now - USECS_PER_SEC * ALF_WINDOW_SECONDS &&
				 s->blocked_until <= now &&
				 (victim == NULL || (OidIsValid(victim->serverid) &&
									 s->last_used < victim->last_used)))
			victim = s;
	}
	if (victim == NULL)
	{
		/* no locks needed: local_slots is this backend's own */
		for (i = 0; i < nlocal; i++)
			if (local_slots[i].serverid == serverid && local_slots[i].dbid == MyDatabaseId)
				return &local_slots[i];
		return NULL;			/* caller makes a local slot outside the lock */
	}
	memset(victim, 0, sizeof(AlfBudgetSlot));
	victim->dbid = MyDatabaseId;
	victim->serverid = serverid;
	*shared = true;
	return victim;
}

/* Like alf_budget_slot, but allocating a local slot only outside the lock. */
static AlfBudgetSlot *
alf_budget_lock_slot(Oid serverid, TimestampTz now, bool *shared)
{
	AlfBudgetSlot *slot;

	alf_budget_lock(LW_EXCLUSIVE);
	slot = alf_budget_slot(serverid, now, shared);
	if (slot == NULL)
	{
		alf_budget_unlock();
		if (!overflow_reported)
		{
			overflow_reported = true;
			ereport(LOG,
					(errmsg("auditlog_fdw: all %d shared request budgets are in use; "
							"this backend keeps its own budget for server %u",
							ALF_BUDGET_SLOTS, serverid)));
		}
		slot = alf_local_slot(serverid);
		alf_budget_lock(LW_EXCLUSIVE);	/* so that unlocking stays symmetric */
	}
	return slot;
}

/* The vendor's announced limit wins when it is lower (or ours is off). */
static int
alf_effective_limit(int limit, int vendor_limit)
{
	if (vendor_limit > 0 && (limit <= 0 || vendor_limit < limit))
		return vendor_limit;
	return limit;
}

/* ---- the budget ---- */

int
alf_budget_limit(const AlfOptions *opts)
{
	const char *v = alf_option_value(opts, "max_requests_per_minute");

	return v ? atoi(v) : opts->vendor->default_requests_per_minute;
}

bool
alf_budget_acquire(Oid serverid, int limit, long max_wait_ms,
				   void (*wait) (void *arg, long ms), void *wait_arg)
{
	bool		waited = false;

	if (!OidIsValid(serverid) || !budgets_enabled)
		return true;
	for (;;)
	{
		TimestampTz now;
		TimestampTz until = 0;
		AlfBudgetSlot *slot;
		bool		shared;
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		now = GetCurrentTimestamp();
		slot = alf_budget_lock_slot(serverid, now, &shared);
		slot->limit = limit;
		slot->last_used = now;
		if (slot->blocked_until > now)
			until = slot->blocked_until;
		else
		{
			int64		next = alf_window_take(&slot->window, now / USECS_PER_SEC,
											   alf_effective_limit(limit, slot->vendor_limit));

			if (next >= 0)
				until = (TimestampTz) next * USECS_PER_SEC;
			else
			{
				slot->requests++;
				if (waited)
					slot->waits++;
			}
		}
		alf_budget_unlock();
		if (until == 0)
			return true;

		wait_ms = (long) Min((until - now + 999) / 1000, (int64) LONG_MAX);
		if (wait_ms >= max_wait_ms)
			return false;
		if (!waited)
			ereport(DEBUG1,
					(errmsg_internal("auditlog_fdw: request budget of server %u: waiting %ld ms",
									 serverid, wait_ms)));
		waited = true;
		if (wait)
			wait(wait_arg, wait_ms);
		else
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 wait_ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}

/* The first of the headers that holds a number (its leading integer), or -1. */
static long
alf_header_number(const AlfHttpResponse *resp, const char *const *names, const char **value)
{
	for (; *names; names++)
	{
		const char *v = alf_http_header(resp, *names);
		char	   *end;
		long		n;

		if (v == NULL)
			continue;
		errno = 0;
		n = strtol(v, &end, 10);
		if (end != v && errno == 0 && n >= 0)
		{
			if (value)
				*value = v;
			return n;
		}
	}
	return -1;
}

void
alf_budget_observe(Oid serverid, const AlfHttpResponse *resp, bool throttled,
				   long retry_after_ms)
{
	static const char *const remaining_names[] =
	{"x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining", NULL};
	static const char *const reset_names[] =
	{"x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset", NULL};
	static const char *const limit_names[] =
	{"x-ratelimit-limit", "ratelimit-limit", "x-rate-limit", "x-rate-limit-limit", NULL};
	long		remaining;
	long		reset;
	long		reset_ms = -1;
	long		vendor_limit;
	long		pause_ms = -1;
	const char *limit_text = NULL;
	TimestampTz now;
	AlfBudgetSlot *slot;
	bool		shared;
	bool		answered;

	if (!OidIsValid(serverid) || resp == NULL || !budgets_enabled)
		return;
	remaining = alf_header_number(resp, remaining_names, NULL);
	reset = alf_header_number(resp, reset_names, NULL);
	vendor_limit = alf_header_number(resp, limit_names, &limit_text);
	now = GetCurrentTimestamp();
	if (reset >= 0)
	{
		/* seconds to wait, or (GitHub style) the epoch second of the reset */
		if (reset > 1000000000L)
			reset -= (long) ((now / USECS_PER_SEC) +
							 (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
		reset_ms = Max(reset, 0L) * 1000L;
	}
	/* "100;w=10" counts over 10 s: no statement about a minute */
	if (vendor_limit > 0 && limit_text)
	{
		const char *w = strstr(limit_text, "w=");

		if (w && atol(w + 2) < 60)
			vendor_limit = -1;
	}
	if (throttled)
		pause_ms = retry_after_ms >= 0 ? retry_after_ms :
			reset_ms >= 0 ? reset_ms : ALF_BUDGET_THROTTLE_MS;
	else if (remaining == 0 && reset_ms > 0)
		pause_ms = reset_ms;
	pause_ms = Min(pause_ms, ALF_BUDGET_MAX_PAUSE_MS);
	/* an answer without a limit header makes a stale announced limit lapse */
	answered = resp->status >= 200 && resp->status < 300;
	if (!throttled && pause_ms <= 0 && vendor_limit <= 0 && !answered)
		return;

	slot = alf_budget_lock_slot(serverid, now, &shared);
	if (pause_ms > 0)
	{
		TimestampTz until = TimestampTzPlusMilliseconds(now, pause_ms);

		if (until > slot->blocked_until)
			slot->blocked_until = until;
	}
	if (throttled)
		slot->throttled++;
	if (vendor_limit > 0)
		slot->vendor_limit = (int) Min(vendor_limit, (long) INT_MAX);
	else if (answered)
		slot->vendor_limit = 0;
	alf_budget_unlock();
}

/* ---- SQL ---- */

/*
 * request_budget_slots(): the budgets of this database's servers that
 * this backend can see (all backends' when shared, else its own).
 */
Datum
auditlog_fdw_request_budget_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			nshared = budget_shared ? ALF_BUDGET_SLOTS : 0;
	AlfBudgetSlot *copy = palloc(sizeof(AlfBudgetSlot) * Max(nshared + nlocal, 1));
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	/* copy under the lock, build tuples without it */
	alf_budget_lock(LW_SHARED);
	if (budget_shared)
		memcpy(copy, budget_shared->slots, sizeof(budget_shared->slots));
	alf_budget_unlock();
	if (nlocal > 0)
		memcpy(copy + nshared, local_slots, sizeof(AlfBudgetSlot) * nlocal);

	for (i = 0; i < nshared + nlocal; i++)
	{
		AlfBudgetSlot *s = &copy[i];
		Datum		values[9];
		bool		nulls[9] = {0};

		if (!OidIsValid(s->serverid) || s->dbid != MyDatabaseId)
			continue;
		values[0] = ObjectIdGetDatum(s->serverid);
		values[1] = Int32GetDatum(s->limit);
		values[2] = Int32GetDatum(s->vendor_limit);
		nulls[2] = s->vendor_limit <= 0;
		values[3] = Int32GetDatum(alf_window_count(&s->window, now / USECS_PER_SEC));
		values[4] = TimestampTzGetDatum(s->blocked_until);
		nulls[4] = s->blocked_until <= now;
		values[5] = BoolGetDatum(i < nshared);
		values[6] = Int64GetDatum(s->requests);
		values[7] = Int64GetDatum(s->waits);
		values[8] = Int64GetDatum(s->throttled);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* server_request_limit(oid): max_requests_per_minute or the vendor's default */
Datum
auditlog_fdw_server_request_limit(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(alf_budget_limit(alf_get_server_options(PG_GETARG_OID(0))));
}

/* budgets_shared(): whether this backend's budgets live in shared memory */
Datum
auditlog_fdw_budgets_shared(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(budget_shared != NULL);
}
