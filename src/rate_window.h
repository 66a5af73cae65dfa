/*-------------------------------------------------------------------------
 * rate_window.h
 *	  A sliding one-minute window of request starts, in pure C (no server
 *	  headers), so the unit tests can drive it.
 *
 * The window keeps one counter per second for the last 61 seconds.  A
 * request may start at second s only if the counters of seconds s-60 .. s
 * add up to less than the limit; since any 60-second interval ending in
 * second s lies within those 61 seconds, no 60-second interval ever holds
 * more than `limit` starts.  The price of whole seconds: up to one
 * second's worth of the budget may stay unused.
 *-------------------------------------------------------------------------
 */
#ifndef ALF_RATE_WINDOW_H
#define ALF_RATE_WINDOW_H

#include <stdint.h>

#define ALF_WINDOW_SECONDS 61

typedef struct AlfRateWindow
{
	int64_t		sec[ALF_WINDOW_SECONDS];	/* the second a counter belongs to */
	int32_t		count[ALF_WINDOW_SECONDS];
} AlfRateWindow;

/* Starts counted against the limit at second now_sec. */
extern int	alf_window_count(const AlfRateWindow *w, int64_t now_sec);

/*
 * Record one start at second now_sec if fewer than limit are counted
 * (limit <= 0: no limit) and return -1; otherwise record nothing and
 * return the first second at which a start will fit.
 */
extern int64_t alf_window_take(AlfRateWindow *w, int64_t now_sec, int limit);

#endif							/* ALF_RATE_WINDOW_H */
