/*-------------------------------------------------------------------------
 * guc.h
 *	  Operational settings (guc.c).
 *-------------------------------------------------------------------------
 */
#ifndef ALF_GUC_H
#define ALF_GUC_H

extern PGDLLIMPORT bool alf_require_time_bound;

extern void alf_guc_init(void);
extern bool alf_logging_requests(void);
extern void alf_log_request(const char *vendor, const char *display);
extern void alf_log_report_progress(const char *vendor, int done, int remaining,
									const char *window, int64 rows);

#endif							/* ALF_GUC_H */
