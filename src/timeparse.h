/*
 * timeparse.h - fast path for vendor timestamps, and the ISO 8601 writer.
 *
 * JSON vendors send RFC 3339 / ISO 8601 times or bare Unix epochs; this
 * unit reads exactly those shapes without the server, so a scan of a
 * million rows does not pay for PostgreSQL's general datetime input.
 * Everything else (RFC 1123, US dates, month names, zone names...) is left
 * to the server's own reader by the caller (timeconv.c).  Every input this
 * unit accepts, PostgreSQL's timestamptz input reads to the same instant.
 *
 * It also writes the canonical UTC form vendor APIs expect in query
 * parameters.
 *
 * Pure C99: no PostgreSQL headers, no allocation, no longjmp.
 */
#ifndef ALF_TIMEPARSE_H
#define ALF_TIMEPARSE_H

#include <stddef.h>

typedef enum AlfTzKind
{
	ALF_TZ_NONE,				/* no zone written: caller decides (usually UTC) */
	ALF_TZ_OFFSET				/* numeric offset or Z */
} AlfTzKind;

typedef struct AlfParsedTime
{
	int			year,
				month,
				day,
				hour,
				minute,
				second;			/* calendar fields as written (not for epochs) */
	int			usec;			/* 0..999999 */
	AlfTzKind	tz_kind;
	int			tz_offset_sec;	/* ALF_TZ_OFFSET: seconds east of UTC */
	int			is_epoch;		/* input was a bare number */
	long long	epoch_usec;		/* when is_epoch: microseconds since 1970 UTC */
} AlfParsedTime;

/*
 * Reads one timestamp of the fast-path shapes.  Returns 1 and fills *out,
 * or 0 (with *out zeroed) for anything else: the caller then asks the
 * server, which may still read it.  Leading and trailing white space is
 * ignored.
 *
 *   YYYY-MM-DD[(T| )HH:MM[:SS[.f]][Z|(+|-)HH[[:]MM]]]
 *	   year 0001..9999, at most 6 fraction digits, offset at most 15:59
 *   [+-]digits[.digits]
 *	   a Unix epoch scaled by magnitude: below 1e11 seconds, below 1e14
 *	   milliseconds, below 1e17 microseconds, otherwise nanoseconds;
 *	   sub-microsecond digits are dropped
 */
extern int	alf_parse_time(const char *s, AlfParsedTime *out);

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (negative before 1970).  Needs m in 1..12; d is not range-checked. */
extern long long alf_days_from_civil(int y, int m, int d);

/*
 * Converts to microseconds since 1970-01-01 UTC.  ALF_TZ_NONE is taken as
 * UTC.  Returns 1 on success, 0 for fields out of range.
 */
extern int	alf_time_to_epoch_usec(const AlfParsedTime *t, long long *out);

/*
 * Writes "YYYY-MM-DDTHH:MM:SS[.f]Z" with frac_digits (0..6) fractional
 * digits, truncating toward minus infinity.  Returns the length written
 * (excluding the NUL) or -1 if buf is too small, frac_digits is out of
 * range, or the year is outside 0..9999.
 */
extern int	alf_format_iso_utc(long long epoch_usec, int frac_digits,
							   char *buf, size_t buflen);

/* Writes the UTC date "YYYY-MM-DD"; same return convention as above. */
extern int	alf_format_date_utc(long long epoch_usec, char *buf, size_t buflen);

#endif							/* ALF_TIMEPARSE_H */
