/*-------------------------------------------------------------------------
 * chains.c
 *	  Latency hiding: a scan's time range run as concurrent sub-windows,
 *	  each its own vendor flow (its own cursor chain), merged into one
 *	  stream of batches.
 *
 * A cursor chain is sequential by nature (the next cursor is known only
 * when a page arrives), so prefetch alone hides processing, not latency.
 * Flows over disjoint sub-windows are independent: their requests are in
 * flight together on the scan's one HTTP client (up to `concurrency`).
 *
 * Splitting policy.  The first flow covers the whole range and its first
 * page is a probe: a range that fits in one page costs exactly one
 * request (or the vendor's own end-of-data request).  When the probe page
 * is full and more pages exist, the range is split:
 *   - ORDER BY pushed (the vendor returns pages in time order): the probe
 *     page covers the range from one end to its last record's time (the
 *     edge); its rows before the edge are kept, and the rest of the range,
 *     from the edge on, is split into windows of about ALF_CHAIN_PAGES
 *     pages (the probe tells the density), run in order, up to
 *     `concurrency` at a time, each buffering at most ALF_CHAIN_PAGES
 *     parsed pages, so output stays in order and memory bounded;
 *   - otherwise the probe page is dropped (its order is not known, so it
 *     says nothing about where the rest starts) and the whole range is
 *     split into `concurrency` equal windows, whose pages are taken from
 *     whichever flow has one ready.
 * No split without a lower bound from the query (the split would be a
 * guess over all of history), under a LIMIT, with concurrency 1, or for a
 * flow without a time filter (a lookup by id).  Window boundaries are
 * whole milliseconds; every window's rows are checked against its own
 * half-open range, so a record exactly on a boundary, however many share
 * its time, comes from exactly one window (the vendors' own bounds are
 * widened and of unknown inclusivity).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "chains.h"
#include "http.h"

#define ALF_CHAIN_PAGES			4	/* parsed pages buffered per flow, in order */
#define ALF_CHAIN_MAX_WINDOWS	64

typedef struct AlfChainPage
{
	AlfBatch	batch;
	MemoryContext cxt;			/* holds the batch; NULL: none */
} AlfChainPage;

typedef struct AlfChain
{
	AlfVendorScan vs;
	AlfScanRequest req;			/* asked of the vendor */
	AlfTimeBound lower;			/* rows kept */
	AlfTimeBound upper;
	MemoryContext cxt;			/* the flow's scan_cxt and pages */
	bool		begun;
	bool		finished;		/* the vendor has no more pages */
	bool		retired;		/* ended, its memory released */
	AlfChainPage pages[ALF_CHAIN_PAGES];	/* ring of parsed pages */
	int			head;
	int			npages;
} AlfChain;

struct AlfChains
{
	const AlfVendorScan *tmpl;
	MemoryContext cxt;
	AlfRecordTimeFn time_fn;
	void	   *time_arg;
	int			concurrency;
	bool		ordered;		/* ORDER BY pushed: output window by window */
	bool		probing;		/* chains[0] covers the range, not split yet */
	AlfChain  **chains;			/* in output order (ordered) */
	int			nchains;
	int			first;			/* chains before it are all retired */
	int			nstarted;		/* chains begun so far */
	int			rr;				/* round robin among ready flows */
	AlfChainPage out;			/* the batch the executor is reading */
};

static AlfChain *
alf_chain_new(AlfChains *cs, AlfTimeBound lower, AlfTimeBound upper)
{
	AlfChain   *c = MemoryContextAllocZero(cs->cxt, sizeof(AlfChain));

	c->req = *cs->tmpl->request;
	c->req.lower = lower;
	c->req.upper = upper;
	c->lower = lower;
	c->upper = upper;
	return c;
}

static void
alf_chain_begin(AlfChains *cs, AlfChain *c)
{
	MemoryContext old;

	c->cxt = AllocSetContextCreate(cs->cxt, "auditlog_fdw flow", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(c->cxt);
	c->vs = *cs->tmpl;
	c->vs.request = &c->req;
	c->vs.scan_cxt = c->cxt;
	c->vs.batch_cxt = c->cxt;
	c->vs.state = NULL;
	c->vs.next_pending = NULL;
	c->vs.probe = false;
	c->vs.secrets = list_copy(cs->tmpl->secrets);
	c->begun = true;
	cs->tmpl->vendor->begin_scan(&c->vs);
	MemoryContextSwitchTo(old);
}

/* Take the flow's next page (waiting for it) into its ring. */
static void
alf_chain_pull(AlfChains *cs, AlfChain *c)
{
	AlfChainPage *p = &c->pages[(c->head + c->npages) % ALF_CHAIN_PAGES];
	MemoryContext old;
	bool		more;

	Assert(c->begun && !c->finished && c->npages < ALF_CHAIN_PAGES);
	memset(&p->batch, 0, sizeof(p->batch));
	p->cxt = AllocSetContextCreate(c->cxt, "auditlog_fdw batch", ALLOCSET_DEFAULT_SIZES);
	c->vs.batch_cxt = p->cxt;
	old = MemoryContextSwitchTo(p->cxt);
	more = cs->tmpl->vendor->next_batch(&c->vs, &p->batch);
	MemoryContextSwitchTo(old);
	if (!more)
	{
		c->finished = true;
		c->vs.next_pending = NULL;
	}
	if (p->batch.nrecords > 0)
		c->npages++;
	else
	{
		MemoryContextDelete(p->cxt);
		p->cxt = NULL;
	}
}

/* End a flow: the vendor abandons what it has in flight; memory goes. */
static void
alf_chain_retire(AlfChains *cs, AlfChain *c)
{
	if (c->begun && !c->retired)
	{
		if (cs->tmpl->vendor->end_scan && c->vs.state)
			cs->tmpl->vendor->end_scan(&c->vs);
		c->vs.state = NULL;
		c->vs.next_pending = NULL;
		MemoryContextDelete(c->cxt);
		c->cxt = NULL;
		c->npages = 0;
	}
	c->retired = true;
}

static bool
alf_chain_live(const AlfChain *c)
{
	return c->begun && !c->retired;
}

/* Whether the range may be split at all (see the header comment). */
static bool
alf_chains_may_split(const AlfChains *cs, const AlfChain *c0)
{
	const AlfScanRequest *req = cs->tmpl->request;

	return cs->tmpl->vendor->split_windows && cs->concurrency >= 2 &&
		!(req->limit_hint > 0) && !c0->vs.time_unfiltered &&
		req->lower.from_query &&
		!TIMESTAMP_NOT_FINITE(req->lower.value) && !TIMESTAMP_NOT_FINITE(req->upper.value) &&
		req->upper.value - req->lower.value >= 2 * USECS_PER_SEC;
}

AlfChains *
alf_chains_begin(const AlfVendorScan *tmpl, MemoryContext cxt,
				 AlfRecordTimeFn time_fn, void *time_arg)
{
	AlfChains  *cs = MemoryContextAllocZero(cxt, sizeof(AlfChains));
	AlfChain   *c0;

	cs->tmpl = tmpl;
	cs->cxt = cxt;
	cs->time_fn = time_fn;
	cs->time_arg = time_arg;
	cs->concurrency = Max(tmpl->concurrency, 1);
	cs->ordered = tmpl->request->sort != ALF_SORT_NONE;
	c0 = alf_chain_new(cs, tmpl->request->lower, tmpl->request->upper);
	cs->chains = MemoryContextAlloc(cxt, sizeof(AlfChain *));
	cs->chains[0] = c0;
	cs->nchains = 1;
	cs->nstarted = 1;
	alf_chain_begin(cs, c0);
	/* the vendor knows only after begin_scan whether it filters by time */
	cs->probing = alf_chains_may_split(cs, c0);
	c0->vs.probe = cs->probing;
	return cs;
}

/*
 * A window boundary: whole milliseconds (the finest any vendor's time
 * filter can say), rounded down.
 */
static TimestampTz
alf_chains_boundary(TimestampTz lo, TimestampTz hi, int i, int n)
{
	TimestampTz t = lo + (TimestampTz) ((double) (hi - lo) * i / n);

	t -= t % 1000;				/* TimestampTz counts from 2000: whole ms */
	return t;
}

/*
 * Split [lower, upper] into up to n windows, appended after the chains
 * there are, in output order (descending for a DESC sort).
 */
static void
alf_chains_add_windows(AlfChains *cs, AlfTimeBound lower, AlfTimeBound upper, int n)
{
	AlfChain  **w = palloc(sizeof(AlfChain *) * n);
	int			nw = 0;
	AlfTimeBound lo = lower;
	int			i;

	for (i = 1; i <= n; i++)
	{
		AlfTimeBound hi;

		if (i < n)
		{
			hi.value = alf_chains_boundary(lower.value, upper.value, i, n);
			hi.inclusive = false;
			hi.from_query = true;
			hi.display = NULL;
			if (hi.value <= lo.value || hi.value >= upper.value)
				continue;		/* too narrow for another window */
		}
		else
			hi = upper;
		w[nw++] = alf_chain_new(cs, lo, hi);
		lo = hi;
		lo.inclusive = true;
	}
	cs->chains = repalloc(cs->chains, sizeof(AlfChain *) * (cs->nchains + nw));
	for (i = 0; i < nw; i++)
		cs->chains[cs->nchains + i] =
			cs->tmpl->request->sort == ALF_SORT_DESC ? w[nw - 1 - i] : w[i];
	cs->nchains += nw;
	pfree(w);
}

/*
 * The probe page has come, and more pages exist: split the range.
 * chains[0] ends here (it never prefetched the second page).
 */
static void
alf_chains_split(AlfChains *cs, AlfChain *c0)
{
	const AlfScanRequest *req = cs->tmpl->request;
	AlfTimeBound lower = req->lower;
	AlfTimeBound upper = req->upper;
	int			n = cs->concurrency;
	MemoryContext old = MemoryContextSwitchTo(cs->cxt);

	if (cs->ordered && c0->npages == 1)
	{
		const AlfBatch *b = &c0->pages[c0->head].batch;
		TimestampTz tmin = 0,
					tmax = 0;
		int			ntimes = 0;
		int			i;

		for (i = 0; i < b->nrecords; i++)
		{
			TimestampTz t;

			if (!cs->time_fn(cs->time_arg, b, i, &t))
				continue;
			if (ntimes++ == 0 || t < tmin)
				tmin = t;
			if (ntimes == 1 || t > tmax)
				tmax = t;
		}
		if (ntimes > 0)
		{
			TimestampTz edge = req->sort == ALF_SORT_ASC ? tmax : tmin;
			double		rest;
			double		pages;

			/* the probe keeps its rows before the edge; the rest from it on */
			if (req->sort == ALF_SORT_ASC)
			{
				c0->upper.value = edge;
				c0->upper.inclusive = false;
				lower.value = edge;
				lower.inclusive = true;
				rest = (double) (upper.value - edge);
			}
			else
			{
				c0->lower.value = edge;
				c0->lower.inclusive = false;
				upper.value = edge;
				upper.inclusive = true;
				rest = (double) (edge - lower.value);
			}
			/* the probe page spans tmax - tmin: so does each page, about */
			pages = rest / (double) Max(tmax - tmin, USECS_PER_SEC) + 1;
			n = (int) Min(pages / ALF_CHAIN_PAGES + 1, (double) ALF_CHAIN_MAX_WINDOWS);
			c0->finished = true;
		}
	}
	if (!c0->finished)
	{
		/* the probe's rows say nothing of the rest: the flows read them again */
		alf_chain_retire(cs, c0);
	}
	alf_chains_add_windows(cs, lower, upper, Max(n, 1));
	ereport(DEBUG1,
			(errmsg_internal("auditlog_fdw: %s range split into %d windows, %s",
							 cs->tmpl->vendor->display_name, cs->nchains - 1,
							 cs->ordered ? "in order" : "unordered")));
	MemoryContextSwitchTo(old);
}

static void
alf_chains_retire_done(AlfChains *cs)
{
	int			i;

	for (i = cs->first; i < cs->nstarted; i++)
	{
		AlfChain   *c = cs->chains[i];

		if (c->retired)
			continue;
		if (!(c->finished && c->npages == 0))
		{
			if (cs->ordered)
				break;			/* in order: only leading flows end */
			continue;
		}
		alf_chain_retire(cs, c);
	}
	while (cs->first < cs->nstarted && cs->chains[cs->first]->retired)
		cs->first++;
}

static void
alf_chains_start_more(AlfChains *cs)
{
	int			live = 0;
	int			i;

	for (i = cs->first; i < cs->nstarted; i++)
		if (alf_chain_live(cs->chains[i]))
			live++;
	while (live < cs->concurrency && cs->nstarted < cs->nchains)
	{
		alf_chain_begin(cs, cs->chains[cs->nstarted++]);
		live++;
	}
}

/*
 * Whether the flow waits on a request and has room for its page: in order,
 * up to ALF_CHAIN_PAGES (the flows after the current one read ahead);
 * unordered, one (the executor takes pages from any flow anyway).
 */
static bool
alf_chain_waiting(const AlfChains *cs, const AlfChain *c)
{
	return alf_chain_live(c) && !c->finished && c->vs.next_pending != NULL &&
		c->npages < (cs->ordered ? ALF_CHAIN_PAGES : 1);
}

/* Take the pages that have arrived, without waiting (but a 1 ms poll). */
static void
alf_chains_pump(AlfChains *cs)
{
	int			i;
	bool		polled = false;

	for (i = cs->first; i < cs->nstarted; i++)
	{
		AlfChain   *c = cs->chains[i];

		if (!alf_chain_waiting(cs, c))
			continue;
		if (!polled && !alf_http_pending_done(c->vs.next_pending))
		{
			alf_http_poll(cs->tmpl->http);
			polled = true;
		}
		if (alf_http_pending_done(c->vs.next_pending))
			alf_chain_pull(cs, c);
	}
}

static bool
alf_chains_pop(AlfChains *cs, AlfChain *c, AlfChainBatch *out)
{
	cs->out = c->pages[c->head];
	c->pages[c->head].cxt = NULL;
	c->head = (c->head + 1) % ALF_CHAIN_PAGES;
	c->npages--;
	out->batch = cs->out.batch;
	out->asked = &c->req;
	out->lower = c->lower;
	out->upper = c->upper;
	out->time_unfiltered = c->vs.time_unfiltered;
	return true;
}

/* Unordered: the next flow with a page ready, round robin; or NULL. */
static AlfChain *
alf_chains_next_ready(AlfChains *cs)
{
	int			span = cs->nstarted - cs->first;
	int			k;

	for (k = 0; k < span; k++)
	{
		AlfChain   *c = cs->chains[cs->first + (cs->rr + k) % span];

		if (alf_chain_live(c) && c->npages > 0)
		{
			cs->rr = (cs->rr + k + 1) % span;
			return c;
		}
	}
	return NULL;
}

/*
 * Unordered and nothing ready: wait until some flow's page arrives, or,
 * when a flow does not say what it waits on, take its page directly.
 */
static void
alf_chains_wait(AlfChains *cs)
{
	AlfHttpPending **pendings = palloc(sizeof(AlfHttpPending *) * (cs->nstarted - cs->first));
	int			n = 0;
	int			i;

	for (i = cs->first; i < cs->nstarted; i++)
	{
		AlfChain   *c = cs->chains[i];

		if (!alf_chain_live(c) || c->finished)
			continue;
		if (c->vs.next_pending == NULL)
		{
			alf_chain_pull(cs, c);
			pfree(pendings);
			return;
		}
		pendings[n++] = c->vs.next_pending;
	}
	if (n > 0)
		alf_http_wait_any(cs->tmpl->http, pendings, n);
	pfree(pendings);
}

static void
alf_chains_release_out(AlfChains *cs)
{
	if (cs->out.cxt)
		MemoryContextDelete(cs->out.cxt);
	cs->out.cxt = NULL;
	memset(&cs->out.batch, 0, sizeof(cs->out.batch));
}

bool
alf_chains_next(AlfChains *cs, AlfChainBatch *out)
{
	alf_chains_release_out(cs);
	for (;;)
	{
		AlfChain   *c;

		CHECK_FOR_INTERRUPTS();
		if (cs->probing)
		{
			c = cs->chains[0];
			cs->probing = false;
			alf_chain_pull(cs, c);
			/* a short page is (about) the end: no split for the rest of it */
			if (!c->finished && c->npages == 1 &&
				c->pages[c->head].batch.nrecords >= cs->tmpl->request->page_size)
				alf_chains_split(cs, c);
			else
				c->vs.probe = false;
			continue;
		}
		alf_chains_retire_done(cs);
		alf_chains_start_more(cs);
		if (cs->first >= cs->nchains)
			return false;
		alf_chains_pump(cs);
		if (cs->ordered)
		{
			c = cs->chains[cs->first];
			if (c->npages > 0)
				return alf_chains_pop(cs, c, out);
			if (!c->finished)
				alf_chain_pull(cs, c);	/* waits for its own page */
			continue;
		}
		c = alf_chains_next_ready(cs);
		if (c)
			return alf_chains_pop(cs, c, out);
		alf_chains_wait(cs);
	}
}

/*
 * Could alf_chains_next return without waiting for the vendor?  Asked only
 * once the batch from the last alf_chains_next has been read (it is
 * released here, as alf_chains_next would).  Takes the
 * pages that have arrived (no wait) and answers for the flow(s) the next
 * call would read: asynchronous Append asks this before pulling.  A flow
 * that does not say what it waits on counts as ready: its request is only
 * made inside next_batch, which then waits there once.
 */
bool
alf_chains_ready(AlfChains *cs)
{
	int			i;

	/* the executor has read the current batch; its flow may now retire */
	alf_chains_release_out(cs);

	if (cs->probing)
	{
		AlfHttpPending *probe = cs->chains[0]->vs.next_pending;

		if (probe == NULL || alf_http_pending_done(probe))
			return true;
		alf_http_poll(cs->tmpl->http);
		return alf_http_pending_done(probe);
	}
	alf_chains_retire_done(cs);
	alf_chains_start_more(cs);
	if (cs->first >= cs->nchains)
		return true;
	alf_chains_pump(cs);
	for (i = cs->first; i < cs->nstarted; i++)
	{
		AlfChain   *c = cs->chains[i];

		if (!alf_chain_live(c))
			continue;
		if (c->npages > 0 || c->finished || c->vs.next_pending == NULL)
			return true;
		if (cs->ordered)
			return false;		/* only the leading flow counts */
	}
	return false;
}

void
alf_chains_end(AlfChains *cs)
{
	int			i;

	if (cs == NULL)
		return;
	alf_chains_release_out(cs);
	for (i = cs->first; i < cs->nstarted; i++)
		alf_chain_retire(cs, cs->chains[i]);
}

char *
alf_chains_scrub(const AlfChains *cs, const char *text)
{
	char	   *s = alf_scrub_secrets(cs->tmpl, text);
	int			i;

	for (i = cs->first; i < cs->nstarted; i++)
		if (alf_chain_live(cs->chains[i]) && cs->chains[i]->vs.secrets)
			s = alf_scrub_secrets(&cs->chains[i]->vs, s);
	return s;
}
