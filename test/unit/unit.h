/*
 * unit.h - tiny assertion macros for the pure-C unit tests.
 *
 * Each check counts as one pass or one failure; failures print where and
 * what, and the test keeps going so one run shows every broken case.
 * UNIT_FINISH prints "RESULT <passed> <failed>" for the Makefile to add up
 * and returns the exit status for main.
 */
#ifndef ALF_UNIT_H
#define ALF_UNIT_H

#include <stdio.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

/* Extra context printed with each failure (e.g. the input under test). */
static const char *unit_context = "";

static inline void
unit_record(int ok, const char *file, int line, const char *what)
{
	if (ok)
		unit_passed++;
	else
	{
		unit_failed++;
		fprintf(stderr, "%s:%d: FAILED: %s%s%s%s\n", file, line, what,
				unit_context[0] ? "  [input: " : "", unit_context,
				unit_context[0] ? "]" : "");
	}
}

static inline void
unit_record_ll(long long actual, long long expected, const char *file, int line,
			   const char *what)
{
	unit_record(actual == expected, file, line, what);
	if (actual != expected)
		fprintf(stderr, "    expected %lld, got %lld\n", expected, actual);
}

static inline void
unit_record_str(const char *actual, const char *expected, const char *file,
				int line, const char *what)
{
	int			ok = (actual != NULL && expected != NULL) ?
		strcmp(actual, expected) == 0 : actual == expected;

	unit_record(ok, file, line, what);
	if (!ok)
		fprintf(stderr, "    expected \"%s\", got \"%s\"\n",
				expected ? expected : "(null)", actual ? actual : "(null)");
}

#define UNIT_CHECK(cond) \
	unit_record((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define UNIT_CHECK_INT(actual, expected) \
	unit_record_ll((long long) (actual), (long long) (expected), __FILE__, __LINE__, \
				   #actual " == " #expected)
#define UNIT_CHECK_STR(actual, expected) \
	unit_record_str((actual), (expected), __FILE__, __LINE__, \
					#actual " == " #expected)
#define UNIT_SET_CONTEXT(text) (unit_context = (text))

#define UNIT_FINISH(name) \
	(printf("%s: %d passed, %d failed\nRESULT %d %d\n", (name), unit_passed, \
			unit_failed, unit_passed, unit_failed), \
	 fflush(stdout), unit_failed ? 1 : 0)

#endif							/* ALF_UNIT_H */
