/*-------------------------------------------------------------------------
 * rate_budget.h
 *	  The per-server request budget: at most max_requests_per_minute
 *	  request starts in any 60 seconds, per (database, server), paused
 *	  for every scan of the server when the vendor says "slow down".
 *
 * Shared by all backends when the library is in shared_preload_libraries
 * (a fixed number of server slots in shared memory), per backend
 * otherwise.  The HTTP client calls alf_budget_acquire before each
 * attempt and alf_budget_observe after each response.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_RATE_BUDGET_H
#define ALF_RATE_BUDGET_H

#include "postgres.h"

struct AlfHttpResponse;

/* A throttle answer with no hint of how long: pause the server this long. */
#define ALF_BUDGET_THROTTLE_MS	1000L

/*
 * _PG_init, before the GUC prefix is reserved: the setting
 * auditlog_fdw.request_budgets, and shared memory when preloaded.
 */
extern void alf_budget_init(void);

/*
 * Take one request start from the server's budget, waiting while the
 * window is full or the server is paused: through wait(wait_arg, ms),
 * which may return early and must check for interrupts (NULL: a latch
 * wait).  limit <= 0: no per-minute limit (pauses still apply).  Returns
 * false, taking nothing, when the wait would last max_wait_ms or longer.
 */
extern bool alf_budget_acquire(Oid serverid, int limit, long max_wait_ms,
							   void (*wait) (void *arg, long ms), void *wait_arg);

/*
 * Learn from a response: a throttle answer (throttled) pauses the server
 * for retry_after_ms (or the rate-limit reset header, or
 * ALF_BUDGET_THROTTLE_MS); "remaining: 0" with a reset pauses it until
 * the reset; a limit header lowers the limit used.  Never throws.
 */
extern void alf_budget_observe(Oid serverid, const struct AlfHttpResponse *resp,
							   bool throttled, long retry_after_ms);

#endif							/* ALF_RATE_BUDGET_H */
