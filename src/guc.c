/*-------------------------------------------------------------------------
 * guc.c
 *	  Operational settings: auditlog_fdw.log_requests (log each vendor
 *	  request, redacted, at a chosen level) and auditlog_fdw.report_progress
 *	  (a NOTICE per finished report job of an asynchronous flow), and
 *	  auditlog_fdw.require_time_bound (a scan without a pushed time bound is
 *	  an error instead of a pull of the whole history).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "compat.h"
#include "guc.h"

static const struct config_enum_entry alf_log_level_options[] = {
	{"off", 0, false},
	{"debug5", DEBUG5, false},
	{"debug4", DEBUG4, false},
	{"debug3", DEBUG3, false},
	{"debug2", DEBUG2, false},
	{"debug1", DEBUG1, false},
	{"debug", DEBUG2, true},
	{"log", LOG, false},
	{"info", INFO, false},
	{"notice", NOTICE, false},
	{NULL, 0, false}
};

static int	alf_log_requests = 0;
static bool alf_report_progress = false;
bool		alf_require_time_bound = false;

void
alf_guc_init(void)
{
	DefineCustomEnumVariable("auditlog_fdw.log_requests",
							 "Level at which each vendor request is logged (off: none).",
							 "Shows the method, the path and the query or body, with every "
							 "credential removed; headers are never shown.",
							 &alf_log_requests, 0, alf_log_level_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("auditlog_fdw.report_progress",
							 "Sends a NOTICE as each report job of an asynchronous flow finishes.",
							 NULL, &alf_report_progress, false,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("auditlog_fdw.require_time_bound",
							 "Refuses a foreign scan that sends the vendor no time bound.",
							 "Without a condition on the time column a scan reads the "
							 "vendor's whole history; lookups by record id are exempt.",
							 &alf_require_time_bound, false,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("auditlog_fdw");
}

bool
alf_logging_requests(void)
{
	return alf_log_requests != 0;
}

/*
 * display: the request as EXPLAIN shows it (method, path, query or body;
 * never headers), already scrubbed of secrets.
 */
void
alf_log_request(const char *vendor, const char *display)
{
	if (alf_log_requests == 0)
		return;
	ereport(alf_log_requests,
			(errmsg("auditlog_fdw: %s request: %s", vendor ? vendor : "vendor", display),
			 errhidestmt(true)));
}

/* remaining < 0: the flow does not know how many jobs follow */
void
alf_log_report_progress(const char *vendor, int done, int remaining, const char *window,
						int64 rows)
{
	if (!alf_report_progress)
		return;
	if (remaining >= 0)
		ereport(NOTICE,
				(errmsg("%s report %d of %d done: %lld rows for %s", vendor, done,
						done + remaining, (long long) rows, window)));
	else
		ereport(NOTICE,
				(errmsg("%s report %d done: %lld rows for %s", vendor, done,
						(long long) rows, window)));
}
