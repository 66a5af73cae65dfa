/*-------------------------------------------------------------------------
 * timeconv.c
 *	  Vendor timestamps to TimestampTz and back, using PostgreSQL's own
 *	  time zone database for zone names.
 *
 * timeparse.c reads the text (pure C); this file supplies what needs the
 * server: zone names and the local-time-to-UTC rules of pg_tz.  A time
 * without a zone is in default_zone (ZIA reports use the admin's zone, an
 * option), or UTC.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "auditlog_fdw.h"
#include "timeparse.h"

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

/*
 * Common zone abbreviations vendors print (pg_tzset knows full names such
 * as America/Los_Angeles, but not "PST").  Seconds east of UTC.
 */
static const struct
{
	const char *abbrev;
	int			offset;
}			alf_zone_abbrevs[] =
{
	{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0},
	{"PST", -8 * 3600}, {"PDT", -7 * 3600},
	{"MST", -7 * 3600}, {"MDT", -6 * 3600},
	{"CST", -6 * 3600}, {"CDT", -5 * 3600},
	{"EST", -5 * 3600}, {"EDT", -4 * 3600},
	{"AKST", -9 * 3600}, {"AKDT", -8 * 3600},
	{"HST", -10 * 3600},
	{"WET", 0}, {"WEST", 3600}, {"BST", 3600},
	{"CET", 3600}, {"CEST", 2 * 3600},
	{"EET", 2 * 3600}, {"EEST", 3 * 3600},
	{"IST", 5 * 3600 + 1800},	/* India, as vendors in India print it */
	{"SGT", 8 * 3600}, {"HKT", 8 * 3600},
	{"JST", 9 * 3600}, {"KST", 9 * 3600},
	{"AEST", 10 * 3600}, {"AEDT", 11 * 3600},
	{"NZST", 12 * 3600}, {"NZDT", 13 * 3600},
};

static bool
alf_abbrev_offset(const char *name, int *offset)
{
	int			i;

	for (i = 0; i < (int) lengthof(alf_zone_abbrevs); i++)
		if (pg_strcasecmp(name, alf_zone_abbrevs[i].abbrev) == 0)
		{
			*offset = alf_zone_abbrevs[i].offset;
			return true;
		}
	return false;
}

/* Local wall-clock time in zone to TimestampTz. */
static bool
alf_local_to_timestamptz(const AlfParsedTime *p, pg_tz *zone, TimestampTz *result)
{
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
	return tm2timestamp(&tm, p->usec, &tz, result) == 0;
}

/*
 * Parse text in any format timeparse.c knows.  False if it is not a
 * timestamp or names an unknown zone; never throws for bad input.
 */
bool
alf_text_to_timestamptz(const char *text, const char *default_zone, TimestampTz *result)
{
	AlfParsedTime p;
	long long	usec;
	const char *zone_name;
	int			offset;
	pg_tz	   *zone;

	if (!alf_parse_time(text, &p))
		return false;
	if (p.is_epoch)
	{
		*result = alf_epoch_usec_to_timestamptz(p.epoch_usec);
		return true;
	}
	if (p.tz_kind == ALF_TZ_NAME && alf_abbrev_offset(p.tz_name, &offset))
	{
		p.tz_kind = ALF_TZ_OFFSET;
		p.tz_offset_sec = offset;
	}
	if (p.tz_kind == ALF_TZ_OFFSET)
	{
		if (!alf_time_to_epoch_usec(&p, &usec))
			return false;
		*result = alf_epoch_usec_to_timestamptz(usec);
		return true;
	}
	zone_name = p.tz_kind == ALF_TZ_NAME ? p.tz_name : default_zone;
	if (zone_name == NULL || pg_strcasecmp(zone_name, "UTC") == 0)
	{
		p.tz_kind = ALF_TZ_OFFSET;
		p.tz_offset_sec = 0;
		if (!alf_time_to_epoch_usec(&p, &usec))
			return false;
		*result = alf_epoch_usec_to_timestamptz(usec);
		return true;
	}
	zone = pg_tzset(zone_name);
	if (zone == NULL)
		return false;
	return alf_local_to_timestamptz(&p, zone, result);
}
