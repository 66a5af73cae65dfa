/*-------------------------------------------------------------------------
 * scan_log.h
 *	  Backend-local records of the scans run (view auditlog_fdw.scan_log).
 *
 * scan.c opens a record when a run starts, reports pages and rows while it
 * runs, and closes it when the run stops or fails.  Records are addressed
 * by id, so a record overwritten by newer ones is simply no longer updated.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_SCAN_LOG_H
#define ALF_SCAN_LOG_H

#include "postgres.h"

#include "utils/relcache.h"

#include "vendors/vendor.h"

struct AlfOptions;

/* records kept per backend; the oldest is dropped first */
#define ALF_SCAN_LOG_SIZE	1000

extern int64 alf_scan_log_start(const struct AlfOptions *opts, Relation rel,
								const AlfScanRequest *req, const char *pushed,
								bool empty);
extern void alf_scan_log_batch(int64 id, int nrecords);
extern void alf_scan_log_row(int64 id);
extern void alf_scan_log_finish(int64 id, bool complete, int64 requests, int64 retries);
extern void alf_scan_log_fail(int64 id, int sqlerrcode, int64 requests, int64 retries);

#endif							/* ALF_SCAN_LOG_H */
