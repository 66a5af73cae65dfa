/*-------------------------------------------------------------------------
 * rate_window.c
 *	  The per-second counters behind max_requests_per_minute (see
 *	  rate_window.h).  Pure C: rate_budget.c adds locking and waiting.
 *-------------------------------------------------------------------------
 */
#include "rate_window.h"

/* a second's slot in the ring; seconds are never negative here */
static int
alf_window_slot(int64_t sec)
{
	return (int) (sec % ALF_WINDOW_SECONDS);
}

int
alf_window_count(const AlfRateWindow *w, int64_t now_sec)
{
	int			n = 0;
	int			i;

	for (i = 0; i < ALF_WINDOW_SECONDS; i++)
		if (w->count[i] > 0 && w->sec[i] <= now_sec &&
			w->sec[i] > now_sec - ALF_WINDOW_SECONDS)
			n += w->count[i];
	return n;
}

int64_t
alf_window_take(AlfRateWindow *w, int64_t now_sec, int limit)
{
	int			n;
	int			slot;
	int64_t		s;
	int			i;

	/*
	 * Backends read the clock before they take the lock, so a start may
	 * already be recorded at a later second than ours: count from there,
	 * or that start would fall outside our window and one too many pass.
	 */
	for (i = 0; i < ALF_WINDOW_SECONDS; i++)
		if (w->count[i] > 0 && w->sec[i] > now_sec)
			now_sec = w->sec[i];
	n = alf_window_count(w, now_sec);
	slot = alf_window_slot(now_sec);

	if (limit <= 0 || n < limit)
	{
		if (w->sec[slot] != now_sec)
		{
			w->sec[slot] = now_sec;
			w->count[slot] = 0;
		}
		w->count[slot]++;
		return -1;
	}
	/* let the oldest seconds drop out until one more start fits */
	for (s = now_sec - ALF_WINDOW_SECONDS + 1; s <= now_sec; s++)
	{
		int			i = alf_window_slot(s);

		if (w->sec[i] == s)
			n -= w->count[i];
		if (n < limit)
			return s + ALF_WINDOW_SECONDS;
	}
	return now_sec + ALF_WINDOW_SECONDS;	/* not reached: n < limit by now */
}
