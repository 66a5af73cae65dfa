/*
 * timeparse.h - liberal timestamp reader and strict ISO 8601 writer.
 *
 * Audit-log vendors write timestamps in many shapes (RFC 3339, RFC 1123,
 * US and European dates, JavaScript Date strings, Unix epochs in seconds,
 * milliseconds or microseconds...).  This unit turns any reasonable variant
 * into calendar fields plus a zone, and writes the canonical UTC form that
 * vendor APIs expect in query parameters.
 *
 * Pure C99: no PostgreSQL headers, no allocation, no longjmp.  Named time
 * zones ("PST", "America/Los_Angeles") are reported, not resolved: the FDW
 * resolves them with PostgreSQL's time zone database.
 */
#ifndef ALF_TIMEPARSE_H
#define ALF_TIMEPARSE_H

#include <stddef.h>

typedef enum AlfTzKind
{
	ALF_TZ_NONE,				/* no zone written: caller decides (usually UTC) */
	ALF_TZ_OFFSET,				/* numeric offset, or Z / UTC / GMT (offset 0) */
	ALF_TZ_NAME					/* abbreviation or IANA name, see tz_name */
} AlfTzKind;

typedef struct AlfParsedTime
{
	int			year,
				month,
				day,
				hour,
				minute,
				second;			/* calendar fields as written (24-hour clock) */
	int			usec;			/* 0..999999; digits past the 6th are dropped */
	AlfTzKind	tz_kind;
	int			tz_offset_sec;	/* ALF_TZ_OFFSET: seconds east of UTC */
	char		tz_name[64];	/* ALF_TZ_NAME: the name exactly as written */
	int			is_epoch;		/* input was a bare number (or /Date(ms)/) */
	long long	epoch_usec;		/* when is_epoch: microseconds since 1970 UTC */
} AlfParsedTime;

/*
 * Parses one timestamp.  Returns 1 and fills *out on success, 0 if s is not
 * a timestamp (garbage, trailing junk, out-of-range field); *out is zeroed
 * on failure.  Leading/trailing white space and one pair of surrounding
 * quotes are ignored; words are case-insensitive.
 *
 * A named zone after the time (not Z/UTC/GMT/UT or an offset) is copied to
 * tz_name as written; so is a Java/RFC 9557 "[Area/City]" suffix when no
 * offset precedes it.  A trailing "(comment)" (JavaScript Date) is ignored.
 *
 * Bare numbers are Unix epochs scaled by magnitude: below 1e11 seconds,
 * below 1e14 milliseconds, below 1e17 microseconds, otherwise nanoseconds.
 * For epochs the calendar fields are also filled in (UTC, tz_kind OFFSET 0).
 */
extern int	alf_parse_time(const char *s, AlfParsedTime *out);

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (negative before 1970).  Needs m in 1..12; d is not range-checked. */
extern long long alf_days_from_civil(int y, int m, int d);

/*
 * Converts to microseconds since 1970-01-01 UTC.  ALF_TZ_NONE is taken as
 * UTC.  Returns 1 on success; 0 for ALF_TZ_NAME (the caller must resolve
 * the zone) or for fields out of range.
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
