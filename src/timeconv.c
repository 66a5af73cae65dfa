/*-------------------------------------------------------------------------
 * timeconv.c
 *	  Vendor timestamps to TimestampTz and back.
 *
 * A vendor time is read the way PostgreSQL's own timestamptz input reads
 * it, with two differences that make the result independent of the
 * session: a time without a zone is in default_zone (ZIA reports use the
 * admin's zone, an option; else UTC) rather than the session's TimeZone,
 * and numeric dates are always month/day/year (PostgreSQL's default
 * DateStyle order) whatever the session's DateStyle.  Zone abbreviations
 * are resolved by the session's timezone_abbreviations, as PostgreSQL
 * does.  ISO 8601 and bare epochs, what JSON vendors send, take a pure-C
 * fast path (timeparse.c); everything else goes to the server's
 * ParseDateTime/DecodeDateTime.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "compat.h"
#include "timeparse.h"

PG_FUNCTION_INFO_V1(alf_read_vendor_time);

#define ALF_EPOCH_SHIFT_USEC \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

int64
alf_timestamptz_to_epoch_usec(TimestampTz t)
{
	return t + ALF_EPOCH_SHIFT_USEC;
}

TimestampTz
alf_epoch_usec_to_timestamptz(int64 usec)
{
	return usec - ALF_EPOCH_SHIFT_USEC;
}

TimestampTz
alf_epoch_ms_to_timestamptz(int64 ms)
{
	return alf_epoch_usec_to_timestamptz(ms * 1000);
}

bool
alf_epoch_ms_to_timestamptz_checked(int64 ms, TimestampTz *result)
{
	int64		usec;

	if (pg_mul_s64_overflow(ms, 1000, &usec) ||
		pg_sub_s64_overflow(usec, ALF_EPOCH_SHIFT_USEC, result))
		return false;
	return IS_VALID_TIMESTAMP(*result);
}

/* A fast-path result; zone NULL means UTC. */
static bool
alf_fast_to_timestamptz(const AlfParsedTime *p, pg_tz *zone, TimestampTz *result)
{
	long long	usec;

	if (p->is_epoch || p->tz_kind == ALF_TZ_OFFSET || zone == NULL)
	{
		if (!alf_time_to_epoch_usec(p, &usec))
			return false;
		*result = alf_epoch_usec_to_timestamptz(usec);
	}
	else
	{
		/* wall-clock time in zone: the same steps as timestamptz_in */
		struct pg_tm tm;
		int			tz;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = p->year;
		tm.tm_mon = p->month;
		tm.tm_mday = p->day;
		tm.tm_hour = p->hour;
		tm.tm_min = p->minute;
		tm.tm_sec = p->second;
		tz = DetermineTimeZoneOffset(&tm, zone);
		if (tm2timestamp(&tm, p->usec, &tz, result) != 0)
			return false;
	}
	return IS_VALID_TIMESTAMP(*result);
}

/*
 * Words PostgreSQL reads relative to the current time: a vendor record
 * saying "today" does not say when its event happened.
 */
static bool
alf_is_relative_word(const char *field)
{
	return strcmp(field, "now") == 0 || strcmp(field, "today") == 0 ||
		strcmp(field, "tomorrow") == 0 || strcmp(field, "yesterday") == 0;
}

/*
 * A letters-first field that DecodeDateTime may take for a zone name
 * ("america/new_york", "etc/gmt+8"), rather than a date ("dec-01-2026").
 */
static bool
alf_is_zone_like(const char *field)
{
	const char *c = field;

	if (!isalpha((unsigned char) *c))
		return false;
	while (isalpha((unsigned char) *c))
		c++;
	return !((*c == '-' || *c == '/' || *c == '.') && isdigit((unsigned char) c[1]));
}

/*
 * The server's datetime input, pinned to MDY order and to zone for times
 * without one.  False for anything timestamptz input would reject, and for
 * the special values (now, today, epoch, infinity...).
 */
static bool
alf_server_to_timestamptz(const char *text, pg_tz *zone, TimestampTz *result)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			i;
	pg_tz	   *saved_zone = session_timezone;
	int			saved_order = DateOrder;
	volatile bool ok = false;

	if (ParseDateTime(text, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0)
		return false;
	for (i = 0; i < nf; i++)
	{
		if ((ftype[i] == DTK_STRING || ftype[i] == DTK_SPECIAL) &&
			alf_is_relative_word(field[i]))
			return false;
		/* PG 15 and older raise an error for an unknown name like "foo/bar" */
		if (ftype[i] == DTK_DATE && alf_is_zone_like(field[i]) &&
			pg_tzset(field[i]) == NULL)
			return false;
	}

	session_timezone = zone;
	DateOrder = DATEORDER_MDY;
	PG_TRY();
	{
		struct pg_tm tm;
		fsec_t		fsec;
		int			dtype;
		int			tz;

		if (alf_decode_date_time(field, ftype, nf, &dtype, &tm, &fsec, &tz) == 0 &&
			dtype == DTK_DATE &&
			tm2timestamp(&tm, fsec, &tz, result) == 0 &&
			IS_VALID_TIMESTAMP(*result))
			ok = true;
	}
	PG_FINALLY();
	{
		session_timezone = saved_zone;
		DateOrder = saved_order;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Reads a vendor time (see the file comment); default_zone NULL means UTC.
 * False if it is not a time, or default_zone is unknown; never throws for
 * bad input.
 */
bool
alf_text_to_timestamptz(const char *text, const char *default_zone, TimestampTz *result)
{
	AlfParsedTime p;
	pg_tz	   *zone = NULL;

	if (default_zone != NULL && pg_strcasecmp(default_zone, "UTC") != 0)
	{
		zone = pg_tzset(default_zone);
		if (zone == NULL)
			return false;
	}
	if (alf_parse_time(text, &p))
		return alf_fast_to_timestamptz(&p, zone, result);
	if (zone == NULL)
	{
		static pg_tz *utc = NULL;	/* pg_tzset's entries live as long as the backend */

		if (utc == NULL)
			utc = pg_tzset("UTC");
		zone = utc;
	}
	return alf_server_to_timestamptz(text, zone, result);
}

/*
 * A bare number, [+-]digits[.digits] with white space around, as
 * milliseconds since 1970 (sub-microsecond digits dropped).  False if text
 * is not such a number; *in_range false if it is one beyond timestamptz.
 */
static bool
alf_ms_number(const char *text, TimestampTz *result, bool *in_range)
{
	const char *p = text;
	char	   *end;
	int64		ms;
	int64		usec_frac = 0;
	int			digits;
	bool		negative;

	while (isspace((unsigned char) *p))
		p++;
	negative = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char) *p))
		return false;
	errno = 0;
	ms = strtoi64(p, &end, 10);
	*in_range = errno == 0;
	p = end;
	if (*p == '.')
	{
		for (p++, digits = 0; isdigit((unsigned char) *p); p++, digits++)
			if (digits < 3)
				usec_frac = usec_frac * 10 + (*p - '0');
		if (digits == 0)
			return false;
		for (; digits < 3; digits++)
			usec_frac *= 10;
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		return false;
	if (*in_range)
		*in_range = alf_epoch_ms_to_timestamptz_checked(negative ? -ms : ms, result);
	if (*in_range)
	{
		*result += negative ? -usec_frac : usec_frac;
		*in_range = IS_VALID_TIMESTAMP(*result);
	}
	return true;
}

/*
 * Reads a time from a field the vendor documents as epoch milliseconds: a
 * bare number is milliseconds; any other text is read by
 * alf_text_to_timestamptz (so "2026-10-01" is that day, not 2026 ms).
 * *as_ms says which reading was used.
 */
bool
alf_ms_text_to_timestamptz(const char *text, const char *default_zone,
						   TimestampTz *result, bool *as_ms)
{
	bool		in_range;

	*as_ms = alf_ms_number(text, result, &in_range);
	if (*as_ms)
		return in_range;
	return alf_text_to_timestamptz(text, default_zone, result);
}

/*
 * auditlog_fdw.read_vendor_time(value text, zone text DEFAULT 'UTC',
 * epoch_ms boolean DEFAULT false): how a scan reads value, zone standing
 * for report_time_zone, epoch_ms for a field documented as milliseconds.
 */
Datum
alf_read_vendor_time(PG_FUNCTION_ARGS)
{
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *zone = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		epoch_ms = PG_GETARG_BOOL(2);
	bool		as_ms = false;
	TimestampTz result;
	bool		ok;

	if (pg_tzset(zone) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", zone)));
	if (epoch_ms)
		ok = alf_ms_text_to_timestamptz(value, zone, &result, &as_ms);
	else
		ok = alf_text_to_timestamptz(value, zone, &result);
	if (!ok)
		ereport(ERROR,
				(errcode(as_ms ? ERRCODE_DATETIME_VALUE_OUT_OF_RANGE : ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid vendor time \"%s\"", value),
				 as_ms ? errdetail("Read as milliseconds since 1970, it is outside the range of timestamp with time zone.") : 0));
	PG_RETURN_TIMESTAMPTZ(result);
}
