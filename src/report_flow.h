/*-------------------------------------------------------------------------
 * report_flow.h
 *	  The asynchronous report flow shared by report vendors: submit a job,
 *	  poll it, download its CSV, hand the rows out in batches, and split the
 *	  time range so that the vendor's row cap never hides a row.
 *
 * A vendor module supplies only its steps (AlfReportSteps): how to submit a
 * job for a time window, how to ask whether it is done, how to download
 * it and, if the vendor allows it, how to cancel it.  The flow owns
 * everything else: waiting (interruptibly, with a growing interval and an
 * overall timeout), serializing jobs across backends when the vendor keeps
 * one report per tenant, cancelling the job at the vendor when the scan
 * fails or is cancelled, finding the CSV header behind preamble lines,
 * footers, and the two ways of getting past a row cap:
 *
 *	ALF_REPORT_WINDOWS	 split [lower, upper] into windows of at most
 *						 max_window_ms; a window whose report holds row_cap
 *						 rows may be truncated, so it is halved and asked
 *						 again, down to one second (ZIA).
 *	ALF_REPORT_WALK_BACK the file holds the newest row_cap rows, newest
 *						 first; ask again with the same start and the end at
 *						 the oldest row's second (inclusive), and drop the
 *						 rows of that second the previous file returned, as
 *						 a multiset (Resolver).
 *
 * Either way a second that alone holds row_cap rows or more cannot be
 * paged past: that is SQLSTATE 54000, never a silent loss.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_REPORT_FLOW_H
#define ALF_REPORT_FLOW_H

#include "postgres.h"

#include "vendors/vendor.h"

struct AlfHttpClient;
struct AlfHttpResponse;

typedef enum AlfReportPaging
{
	ALF_REPORT_WINDOWS,
	ALF_REPORT_WALK_BACK
} AlfReportPaging;

/* The time window of one job, epoch milliseconds, both ends inclusive. */
typedef struct AlfReportWindow
{
	int64		start_ms;		/* a whole second */
	int64		end_ms;			/* the last millisecond of a second */
} AlfReportWindow;

/* What one poll found out. */
typedef struct AlfReportPoll
{
	bool		ready;			/* the result can be downloaded */
	bool		failed;			/* the vendor says the job failed */
	const char *status;			/* the vendor's status word, or NULL */
	const char *message;		/* the vendor's error text, or NULL */
} AlfReportPoll;

/*
 * A vendor's steps.  Each runs in a short-lived memory context, except
 * download, whose response must live as long as the rows are handed out
 * (it runs in the report's context).  Steps raise errors the usual way.
 */
typedef struct AlfReportSteps
{
	const char *what;			/* in messages: "the audit log report" */
	AlfReportPaging paging;
	int64		max_window_ms;	/* WINDOWS: longest window (0: no limit) */
	int			default_row_cap;
	int			max_row_cap;	/* the vendor's own cap: row_cap may not exceed it */

	/*
	 * A key naming the vendor's report slot (e.g. the tenant), or NULL when
	 * jobs may run side by side.  Jobs with equal keys never run at the same
	 * time in any two backends of the cluster.  May be NULL.
	 */
	char	   *(*lock_key) (AlfVendorScan *vs, void *arg);

	void		(*submit) (AlfVendorScan *vs, void *arg, const AlfReportWindow *window);
	void		(*poll) (AlfVendorScan *vs, void *arg, AlfReportPoll *result);
	struct AlfHttpResponse *(*download) (AlfVendorScan *vs, void *arg);

	/*
	 * Cancel the submitted job at the vendor; may be NULL.  Called with
	 * interrupts held on the way out of an error or a query cancel: send one
	 * request through client with the given timeout and no retries (set
	 * AlfHttpRequest.no_retry and timeout_ms).  An error it raises is
	 * logged at DEBUG1 and otherwise ignored.
	 */
	void		(*cancel) (AlfVendorScan *vs, void *arg, struct AlfHttpClient *client,
						   int timeout_ms);

	/*
	 * Optional (may be NULL): the scan's first report came back empty.
	 * Return true to have the same window asked for once more after the
	 * vendor changed how it asks (Resolver: the other epoch unit);
	 * recheck_result then gets the number of that report's rows inside the
	 * window (rows outside it only show the other way is wrong too) and
	 * raises if the empty answer was wrong, else restores the first way.
	 */
	bool		(*recheck_empty) (AlfVendorScan *vs, void *arg);
	void		(*recheck_result) (AlfVendorScan *vs, void *arg,
								   const AlfReportWindow *window, int64 nrows);
} AlfReportSteps;

typedef struct AlfReportFlow AlfReportFlow;

/*
 * Options every report vendor lists in its AlfVendor.options (one shared
 * definition, so that a foreign table option validates the same whatever
 * its server's vendor; row_cap is checked against max_row_cap at scan
 * start).
 */
#define ALF_REPORT_OPTION_ROWS \
	{"row_cap", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 1, 1000000}, \
	{"report_timeout_ms", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 1000, 86400000}, \
	{"poll_interval_ms", ALF_WHERE_SERVER | ALF_WHERE_TABLE, ALF_OPTKIND_INT, 10, 600000}

/* Start a flow over vs->request's time range; allocates in vs->scan_cxt. */
extern AlfReportFlow *alf_report_begin(AlfVendorScan *vs, const AlfReportSteps *steps,
									   void *arg);

/* The vendor's next_batch: at most a few thousand rows per call. */
extern bool alf_report_next_batch(AlfReportFlow *flow, AlfBatch *batch);

/*
 * The request's time range widened to whole seconds, and the first job's
 * window (the newest), as the flow will ask for them: for describe_request.
 */
extern void alf_report_range(const AlfScanRequest *req, int64 *lower_ms, int64 *upper_ms);
extern void alf_report_first_window(const AlfReportSteps *steps, const AlfScanRequest *req,
									AlfReportWindow *window);

/* Window as "[start, end]" in UTC, for messages and EXPLAIN. */
extern char *alf_report_window_text(const AlfReportWindow *window);

#endif							/* ALF_REPORT_FLOW_H */
