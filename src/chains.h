/*-------------------------------------------------------------------------
 * chains.h
 *	  A scan's time range as concurrent sub-windows, each its own vendor
 *	  flow (cursor chain), merged into one stream of batches (chains.c).
 *-------------------------------------------------------------------------
 */
#ifndef ALF_CHAINS_H
#define ALF_CHAINS_H

#include "postgres.h"

#include "vendors/vendor.h"

typedef struct AlfChains AlfChains;

/* The event time of record i of a batch; false when it has none. */
typedef bool (*AlfRecordTimeFn) (void *arg, const AlfBatch *batch, int i, TimestampTz *t);

/* One batch for the executor, with the range its rows must lie in. */
typedef struct AlfChainBatch
{
	AlfBatch	batch;			/* valid until the next alf_chains_next */
	const AlfScanRequest *asked;	/* what its flow asked the vendor for */
	AlfTimeBound lower;			/* rows kept: a sub-window of the scan's */
	AlfTimeBound upper;
	bool		time_unfiltered;	/* the flow's vs->time_unfiltered */
} AlfChainBatch;

/*
 * Start the flows of a scan.  tmpl is the scan's AlfVendorScan (vendor,
 * options, credentials, request, HTTP client), copied for each flow; every
 * allocation lives in cxt, which the caller resets to drop them all.
 */
extern AlfChains *alf_chains_begin(const AlfVendorScan *tmpl, MemoryContext cxt,
								   AlfRecordTimeFn time_fn, void *time_arg);
/* The next non-empty batch; false when every flow is done. */
extern bool alf_chains_next(AlfChains *cs, AlfChainBatch *out);
/*
 * Whether alf_chains_next would return without waiting for the vendor; only
 * once the last batch it returned has been read (this releases it).
 */
extern bool alf_chains_ready(AlfChains *cs);
/* End every flow still running (their requests in flight are abandoned). */
extern void alf_chains_end(AlfChains *cs);
/* text without any secret of any flow */
extern char *alf_chains_scrub(const AlfChains *cs, const char *text);

#endif							/* ALF_CHAINS_H */
