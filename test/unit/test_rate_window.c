/*
 * test_rate_window.c - unit tests for src/rate_window.c: no 60-second
 * interval ever holds more starts than the limit, and a full window names
 * the first second at which the next start fits.
 */
#include "rate_window.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define T0 ((int64_t) 849000000)	/* any second since 2000 */

/* Takes as many starts as fit at every second of [from, to). */
static int
take_all(AlfRateWindow *w, int64_t from, int64_t to, int limit, int64_t *log, int *nlog)
{
	int			n = 0;
	int64_t		s;

	for (s = from; s < to; s++)
		while (alf_window_take(w, s, limit) < 0)
		{
			log[(*nlog)++] = s;
			n++;
		}
	return n;
}

int
main(void)
{
	AlfRateWindow w;
	int64_t    *log = malloc(sizeof(int64_t) * 100000);
	int			nlog = 0;
	int			i;
	int			j;
	int			worst = 0;

	/* an empty window takes up to the limit, then refuses */
	memset(&w, 0, sizeof(w));
	for (i = 0; i < 5; i++)
		UNIT_CHECK(alf_window_take(&w, T0, 5) == -1);
	UNIT_CHECK_INT(alf_window_count(&w, T0), 5);
	/* full: the starts of T0 leave the window at T0 + 61 */
	UNIT_CHECK_INT(alf_window_take(&w, T0, 5), T0 + 61);
	UNIT_CHECK_INT(alf_window_take(&w, T0 + 60, 5), T0 + 61);
	UNIT_CHECK_INT(alf_window_count(&w, T0 + 60), 5);
	UNIT_CHECK_INT(alf_window_count(&w, T0 + 61), 0);
	UNIT_CHECK(alf_window_take(&w, T0 + 61, 5) == -1);

	/* spread starts: the earliest second that frees enough is named */
	memset(&w, 0, sizeof(w));
	UNIT_CHECK(alf_window_take(&w, T0, 3) == -1);
	UNIT_CHECK(alf_window_take(&w, T0 + 10, 3) == -1);
	UNIT_CHECK(alf_window_take(&w, T0 + 20, 3) == -1);
	UNIT_CHECK_INT(alf_window_take(&w, T0 + 30, 3), T0 + 61);
	UNIT_CHECK(alf_window_take(&w, T0 + 61, 3) == -1);
	UNIT_CHECK_INT(alf_window_take(&w, T0 + 62, 3), T0 + 71);

	/* no limit: always taken */
	memset(&w, 0, sizeof(w));
	for (i = 0; i < 1000; i++)
		UNIT_CHECK(alf_window_take(&w, T0, 0) == -1);

	/* greedy use over 10 minutes: no 60 s interval holds more than 7 */
	memset(&w, 0, sizeof(w));
	UNIT_CHECK(take_all(&w, T0, T0 + 600, 7, log, &nlog) > 60);
	for (i = 0; i < nlog; i++)
	{
		int			in = 0;

		for (j = i; j < nlog && log[j] < log[i] + 60; j++)
			in++;
		if (in > worst)
			worst = in;
	}
	UNIT_CHECK_INT(worst, 7);

	/* a stale ring slot (a second 61 s earlier) is not counted */
	memset(&w, 0, sizeof(w));
	UNIT_CHECK(alf_window_take(&w, T0, 1) == -1);
	UNIT_CHECK(alf_window_take(&w, T0 + 61, 1) == -1);
	UNIT_CHECK_INT(alf_window_count(&w, T0 + 61), 1);

	free(log);
	/*
	 * two backends read the clock, then take the lock in the other order:
	 * a start already recorded at a later second still counts
	 */
	memset(&w, 0, sizeof(w));
	UNIT_CHECK(alf_window_take(&w, T0 + 1, 2) == -1);
	UNIT_CHECK(alf_window_take(&w, T0 + 1, 2) == -1);
	UNIT_CHECK_INT(alf_window_take(&w, T0, 2), T0 + 62);

	return UNIT_FINISH("test_rate_window");
}
