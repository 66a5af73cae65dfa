/*
 * test_timeparse.c - unit tests for src/timeparse.c.
 *
 * Expected epoch values were computed independently with Python's
 * datetime module (datetime(..., tzinfo=...) - 1970-01-01 UTC, in
 * microseconds), not with the code under test.  Calendar arithmetic is
 * additionally cross-checked against a naive day-by-day walk.
 */
#include "timeparse.h"
#include "unit.h"

#include <string.h>

/* A timestamp that converts to an exact instant. */
typedef struct InstantCase
{
	const char *input;
	long long	expected_usec;	/* UTC; ALF_TZ_NONE inputs read as UTC */
	AlfTzKind	kind;
	int			offset_sec;		/* checked when kind is ALF_TZ_OFFSET */
} InstantCase;

/* 2026-11-23 10:00:00 UTC, the instant most cases describe. */
#define BASE_USEC 1795428000000000LL

static const InstantCase instant_cases[] = {
	/* RFC 3339 / ISO 8601 extended format, what JSON vendors send */
	{"2026-11-23T10:00:00Z", BASE_USEC, ALF_TZ_OFFSET, 0},
	{"2026-11-23 10:00:00", BASE_USEC, ALF_TZ_NONE, 0},
	{"2026-11-23T10:00:00", BASE_USEC, ALF_TZ_NONE, 0},
	{"2026-11-23T10:00Z", BASE_USEC, ALF_TZ_OFFSET, 0},
	{"2026-11-23 10:00", BASE_USEC, ALF_TZ_NONE, 0},
	{"2026-11-23T10:00:00.5Z", BASE_USEC + 500000, ALF_TZ_OFFSET, 0},
	{"2026-11-23T10:00:00.515Z", BASE_USEC + 515000, ALF_TZ_OFFSET, 0},
	{"2026-11-23T10:00:00.123456Z", BASE_USEC + 123456, ALF_TZ_OFFSET, 0},
	{"2026-11-23T10:00:00.000001Z", BASE_USEC + 1, ALF_TZ_OFFSET, 0},
	{"2026-11-23T10:00:00+05:30", 1795408200000000LL, ALF_TZ_OFFSET, 19800},
	{"2026-11-23T10:00:00+0530", 1795408200000000LL, ALF_TZ_OFFSET, 19800},
	{"2026-11-23T10:00:00-0800", 1795456800000000LL, ALF_TZ_OFFSET, -28800},
	{"2026-11-23T10:00:00-08:00", 1795456800000000LL, ALF_TZ_OFFSET, -28800},
	{"2026-11-23T10:00:00+05", 1795410000000000LL, ALF_TZ_OFFSET, 18000},
	{"2026-11-23T10:00:00.25+05", 1795410000250000LL, ALF_TZ_OFFSET, 18000},
	{"2026-11-23T10:00+15:59", 1795370460000000LL, ALF_TZ_OFFSET, 57540},
	{"2026-11-23 10:00:00+00", BASE_USEC, ALF_TZ_OFFSET, 0},	/* PostgreSQL's own output */
	{"2026-11-23", 1795392000000000LL, ALF_TZ_NONE, 0},
	{"  \t2026-11-23T10:00:00Z \n", BASE_USEC, ALF_TZ_OFFSET, 0},

	/* calendar edges */
	{"2000-02-29T00:00:00Z", 951782400000000LL, ALF_TZ_OFFSET, 0},
	{"2000-02-29T23:59:59.999999Z", 951868799999999LL, ALF_TZ_OFFSET, 0},
	{"1600-02-29 12:00:00", -11670955200000000LL, ALF_TZ_NONE, 0},
	{"2400-02-29", 13574563200000000LL, ALF_TZ_NONE, 0},
	{"1970-01-01T00:00:00Z", 0, ALF_TZ_OFFSET, 0},
	{"1969-12-31T23:59:59.5Z", -500000, ALF_TZ_OFFSET, 0},
	{"2026-12-31T23:30:00-01:00", 1798763400000000LL, ALF_TZ_OFFSET, -3600},	/* next year in UTC */
	{"0001-01-01T00:00:00Z", -62135596800000000LL, ALF_TZ_OFFSET, 0},
	{"9999-12-31T23:59:59.999999Z", 253402300799999999LL, ALF_TZ_OFFSET, 0},
};

/* A bare epoch number. */
typedef struct EpochCase
{
	const char *input;
	long long	expected_usec;
} EpochCase;

static const EpochCase epoch_cases[] = {
	{"1700000000", 1700000000000000LL},	/* 10 digits: seconds */
	{"1700000000.5", 1700000000500000LL},
	{"1.123456789", 1123456LL},	/* sub-microsecond digits dropped */
	{"1700000000123", 1700000000123000LL},	/* 13 digits: milliseconds */
	{"1700000000123.456", 1700000000123456LL},
	{"1700000000123456", 1700000000123456LL},	/* 16 digits: microseconds */
	{"1700000000123456789", 1700000000123456LL},	/* 19 digits: nanoseconds */
	{" 1700000000 ", 1700000000000000LL},
	{"+1700000000", 1700000000000000LL},
	{"0", 0},
	{"-1.5", -1500000LL},
	{"99999999999", 99999999999000000LL},	/* just below 1e11: seconds */
	{"100000000000", 100000000000000LL},	/* 1e11: milliseconds */
	{"99999999999999", 99999999999999000LL},	/* just below 1e14: ms */
	{"100000000000000", 100000000000000LL},	/* 1e14: microseconds */
};

/*
 * Not for the fast path.  Many are times PostgreSQL reads (the caller then
 * asks it): other layouts, zone names, and edges where only it knows the
 * answer (24:00, leap seconds, rounding of a 7th fraction digit).
 */
static const char *const rejected_inputs[] = {
	"", "   ", "abc", "now", "epoch", "-", "+", "1.", ".5", "1e9", "0x10", "12abc",
	"--5", "1.2.3", "9223372036854775808", "\"1700000000\"", "\"2026-11-23\"",
	"2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2026-04-31",
	"2026-02-29", "1900-02-29", "2100-02-29", "0000-01-01", "99999-01-01",
	"2026-11-23T24:00:00", "2026-11-23T10:60:00", "2026-11-23T10:00:61",
	"2016-12-31T23:59:60Z", "2026-11-23T10:00:00.1234567Z",
	"2026-11-23T1:0:00", "2026-11-23T10", "2026-11-23T", "2026-11-23T10:00:00.Z",
	"2026-11-23t10:00:00z", "2026-11-23T10:00:00,5Z", "2026-1-23", "2026/11/23",
	"2026-11-23T10:00:00Zjunk", "2026-11-23T10:00:00Z junk", "2026-11-23 junk",
	"2026-11-23T10:00:00+16:00", "2026-11-23T10:00:00+05:60", "2026-11-23T10:00:00+05:3",
	"2026-11-23T10:00:00+5", "2026-11-23T10:00:00 +05:30", "2026-11-23Z",
	"2026-11-23 10:00:00 UTC", "2026-11-23 10:00:00 PST", "2026-11-23 10:00:00 Asia/Kolkata",
	"2026-11-23T10:00:00+05:30[Asia/Kolkata]", "20261123T100000Z",
	"Mon, 23 Nov 2026 10:00:00 GMT", "11/23/2026 10:00:00 PM", "23 Nov 2026 10:00:00, UTC",
	"Nov 23, 2026 10:00:00 AM PST", "Sat Jan 04 2020 22:36:52 GMT+0530 (India Standard Time)",
	"/Date(1700000000000)/", "10:00:00",
};

static long long
epoch_of(const char *input, int *ok)
{
	AlfParsedTime t;
	long long	usec = 0;

	*ok = alf_parse_time(input, &t) && alf_time_to_epoch_usec(&t, &usec);
	return usec;
}

static void
test_instant_cases(void)
{
	size_t		i;

	for (i = 0; i < sizeof(instant_cases) / sizeof(instant_cases[0]); i++)
	{
		const InstantCase *tc = &instant_cases[i];
		AlfParsedTime t;
		long long	usec = 0;

		UNIT_SET_CONTEXT(tc->input);
		UNIT_CHECK_INT(alf_parse_time(tc->input, &t), 1);
		UNIT_CHECK_INT(t.tz_kind, tc->kind);
		UNIT_CHECK_INT(t.is_epoch, 0);
		if (tc->kind == ALF_TZ_OFFSET)
			UNIT_CHECK_INT(t.tz_offset_sec, tc->offset_sec);
		UNIT_CHECK_INT(alf_time_to_epoch_usec(&t, &usec), 1);
		UNIT_CHECK_INT(usec, tc->expected_usec);
	}
	UNIT_SET_CONTEXT("");
}

static void
test_epoch_cases(void)
{
	size_t		i;

	for (i = 0; i < sizeof(epoch_cases) / sizeof(epoch_cases[0]); i++)
	{
		const EpochCase *tc = &epoch_cases[i];
		AlfParsedTime t;
		long long	usec = 0;

		UNIT_SET_CONTEXT(tc->input);
		UNIT_CHECK_INT(alf_parse_time(tc->input, &t), 1);
		UNIT_CHECK_INT(t.is_epoch, 1);
		UNIT_CHECK_INT(t.epoch_usec, tc->expected_usec);
		UNIT_CHECK_INT(alf_time_to_epoch_usec(&t, &usec), 1);
		UNIT_CHECK_INT(usec, tc->expected_usec);
	}
	UNIT_SET_CONTEXT("");
}

static void
test_rejections(void)
{
	size_t		i;

	for (i = 0; i < sizeof(rejected_inputs) / sizeof(rejected_inputs[0]); i++)
	{
		AlfParsedTime t;

		UNIT_SET_CONTEXT(rejected_inputs[i]);
		UNIT_CHECK_INT(alf_parse_time(rejected_inputs[i], &t), 0);
	}
	UNIT_SET_CONTEXT("");
	UNIT_CHECK_INT(alf_parse_time(NULL, NULL), 0);
	{
		AlfParsedTime t;

		UNIT_CHECK_INT(alf_parse_time(NULL, &t), 0);
	}
}

/* Fields are reported as written, not shifted to UTC. */
static void
test_fields_as_written(void)
{
	AlfParsedTime t;

	UNIT_CHECK_INT(alf_parse_time("2026-11-23T10:20:30.515-08:00", &t), 1);
	UNIT_CHECK_INT(t.year, 2026);
	UNIT_CHECK_INT(t.month, 11);
	UNIT_CHECK_INT(t.day, 23);
	UNIT_CHECK_INT(t.hour, 10);
	UNIT_CHECK_INT(t.minute, 20);
	UNIT_CHECK_INT(t.second, 30);
	UNIT_CHECK_INT(t.usec, 515000);
	UNIT_CHECK_INT(t.tz_offset_sec, -28800);

	/* Epochs give the instant only. */
	UNIT_CHECK_INT(alf_parse_time("1700000000.25", &t), 1);
	UNIT_CHECK_INT(t.is_epoch, 1);
	UNIT_CHECK_INT(t.epoch_usec, 1700000000250000LL);

	/* A failed parse leaves the output zeroed. */
	UNIT_CHECK_INT(alf_parse_time("2026-11-23T10:00:00+05:30 junk", &t), 0);
	UNIT_CHECK_INT(t.year, 0);
	UNIT_CHECK_INT(t.tz_kind, ALF_TZ_NONE);
}

static int
naive_is_leap(int y)
{
	if (y % 400 == 0)
		return 1;
	if (y % 100 == 0)
		return 0;
	return y % 4 == 0;
}

/* alf_days_from_civil against counting day by day from 1970-01-01. */
static void
test_days_from_civil(void)
{
	static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long long	day_number;
	long long	mismatches;
	int			y,
				m,
				d;

	UNIT_CHECK_INT(alf_days_from_civil(1970, 1, 1), 0);
	UNIT_CHECK_INT(alf_days_from_civil(1969, 12, 31), -1);
	UNIT_CHECK_INT(alf_days_from_civil(2000, 3, 1), 11017);
	UNIT_CHECK_INT(alf_days_from_civil(1, 1, 1), -719162);
	UNIT_CHECK_INT(alf_days_from_civil(0, 3, 1), -719468);

	/* forward from 1970 to 2500 */
	day_number = 0;
	mismatches = 0;
	for (y = 1970; y <= 2500; y++)
		for (m = 1; m <= 12; m++)
		{
			int			dim = month_days[m - 1] + (m == 2 && naive_is_leap(y));

			for (d = 1; d <= dim; d++)
			{
				if (alf_days_from_civil(y, m, d) != day_number)
					mismatches++;
				day_number++;
			}
		}
	UNIT_CHECK_INT(mismatches, 0);

	/* backward from 1969-12-31 to 0001-01-01 */
	day_number = -1;
	mismatches = 0;
	for (y = 1969; y >= 1; y--)
		for (m = 12; m >= 1; m--)
		{
			int			dim = month_days[m - 1] + (m == 2 && naive_is_leap(y));

			for (d = dim; d >= 1; d--)
			{
				if (alf_days_from_civil(y, m, d) != day_number)
					mismatches++;
				day_number--;
			}
		}
	UNIT_CHECK_INT(mismatches, 0);
}

static void
test_format(void)
{
	char		buf[64];
	char		small[21];

	UNIT_CHECK_INT(alf_format_iso_utc(0, 0, buf, sizeof(buf)), 20);
	UNIT_CHECK_STR(buf, "1970-01-01T00:00:00Z");
	UNIT_CHECK_INT(alf_format_iso_utc(BASE_USEC, 0, buf, sizeof(buf)), 20);
	UNIT_CHECK_STR(buf, "2026-11-23T10:00:00Z");
	UNIT_CHECK_INT(alf_format_iso_utc(1700000000123456LL, 0, buf, sizeof(buf)), 20);
	UNIT_CHECK_STR(buf, "2023-11-14T22:13:20Z");
	UNIT_CHECK_INT(alf_format_iso_utc(1700000000123456LL, 3, buf, sizeof(buf)), 24);
	UNIT_CHECK_STR(buf, "2023-11-14T22:13:20.123Z");
	UNIT_CHECK_INT(alf_format_iso_utc(1700000000123456LL, 6, buf, sizeof(buf)), 27);
	UNIT_CHECK_STR(buf, "2023-11-14T22:13:20.123456Z");
	UNIT_CHECK_INT(alf_format_iso_utc(1700000000999999LL, 3, buf, sizeof(buf)), 24);
	UNIT_CHECK_STR(buf, "2023-11-14T22:13:20.999Z");	/* truncated, not rounded */
	UNIT_CHECK_INT(alf_format_iso_utc(1700000000000000LL, 3, buf, sizeof(buf)), 24);
	UNIT_CHECK_STR(buf, "2023-11-14T22:13:20.000Z");

	/* before 1970: truncation goes toward minus infinity */
	UNIT_CHECK_INT(alf_format_iso_utc(-1, 6, buf, sizeof(buf)), 27);
	UNIT_CHECK_STR(buf, "1969-12-31T23:59:59.999999Z");
	UNIT_CHECK_INT(alf_format_iso_utc(-1, 3, buf, sizeof(buf)), 24);
	UNIT_CHECK_STR(buf, "1969-12-31T23:59:59.999Z");
	UNIT_CHECK_INT(alf_format_iso_utc(-1, 0, buf, sizeof(buf)), 20);
	UNIT_CHECK_STR(buf, "1969-12-31T23:59:59Z");
	UNIT_CHECK_INT(alf_format_iso_utc(-1500000, 3, buf, sizeof(buf)), 24);
	UNIT_CHECK_STR(buf, "1969-12-31T23:59:58.500Z");
	UNIT_CHECK_INT(alf_format_iso_utc(951782400000000LL, 0, buf, sizeof(buf)), 20);
	UNIT_CHECK_STR(buf, "2000-02-29T00:00:00Z");

	/* range limits */
	UNIT_CHECK_INT(alf_format_iso_utc(-62167219200000000LL, 0, buf, sizeof(buf)), 20);
	UNIT_CHECK_STR(buf, "0000-01-01T00:00:00Z");
	UNIT_CHECK_INT(alf_format_iso_utc(-62167219200000001LL, 0, buf, sizeof(buf)), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(253402300799999999LL, 6, buf, sizeof(buf)), 27);
	UNIT_CHECK_STR(buf, "9999-12-31T23:59:59.999999Z");
	UNIT_CHECK_INT(alf_format_iso_utc(253402300800000000LL, 0, buf, sizeof(buf)), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(9223372036854775807LL, 0, buf, sizeof(buf)), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(-9223372036854775807LL - 1, 0, buf, sizeof(buf)), -1);

	/* bad arguments and buffer sizes */
	UNIT_CHECK_INT(alf_format_iso_utc(0, 7, buf, sizeof(buf)), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(0, -1, buf, sizeof(buf)), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(0, 0, NULL, 0), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(0, 0, small, sizeof(small)), 20);	/* exact fit */
	UNIT_CHECK_STR(small, "1970-01-01T00:00:00Z");
	UNIT_CHECK_INT(alf_format_iso_utc(0, 0, small, sizeof(small) - 1), -1);
	UNIT_CHECK_INT(alf_format_iso_utc(0, 3, small, sizeof(small)), -1);

	UNIT_CHECK_INT(alf_format_date_utc(BASE_USEC, buf, sizeof(buf)), 10);
	UNIT_CHECK_STR(buf, "2026-11-23");
	UNIT_CHECK_INT(alf_format_date_utc(-1, buf, sizeof(buf)), 10);
	UNIT_CHECK_STR(buf, "1969-12-31");
	UNIT_CHECK_INT(alf_format_date_utc(BASE_USEC, buf, 10), -1);
	UNIT_CHECK_INT(alf_format_date_utc(BASE_USEC, buf, 11), 10);
}

/* format -> parse returns the same instant over years 1..9999. */
static void
test_round_trip(void)
{
	unsigned long long state = 0x9E3779B97F4A7C15ULL;
	long long	lo = -62135596800000000LL;	/* 0001-01-01 */
	long long	span = 253402300799999999LL - lo;
	int			mismatches = 0;
	int			i;

	for (i = 0; i < 20000; i++)
	{
		long long	usec,
					back;
		char		buf[40];
		int			ok;

		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		usec = lo + (long long) ((state >> 1) % (unsigned long long) span);
		if (alf_format_iso_utc(usec, 6, buf, sizeof(buf)) != 27)
		{
			mismatches++;
			continue;
		}
		back = epoch_of(buf, &ok);
		if (!ok || back != usec)
			mismatches++;
	}
	UNIT_CHECK_INT(mismatches, 0);
}

/* alf_time_to_epoch_usec refuses nonsense built by hand. */
static void
test_to_epoch_bounds(void)
{
	AlfParsedTime t;
	long long	usec = 0;

	memset(&t, 0, sizeof(t));
	t.year = 2026;
	t.month = 13;
	t.day = 1;
	UNIT_CHECK_INT(alf_time_to_epoch_usec(&t, &usec), 0);
	t.month = 1;
	t.year = 2000000000;
	UNIT_CHECK_INT(alf_time_to_epoch_usec(&t, &usec), 0);
	t.year = 2026;
	t.usec = 1000000;
	UNIT_CHECK_INT(alf_time_to_epoch_usec(&t, &usec), 0);
	t.usec = 0;
	UNIT_CHECK_INT(alf_time_to_epoch_usec(&t, &usec), 1);
	UNIT_CHECK_INT(usec, 1767225600000000LL);	/* 2026-01-01 UTC */
	UNIT_CHECK_INT(alf_time_to_epoch_usec(NULL, &usec), 0);
}

int
main(void)
{
	test_instant_cases();
	test_epoch_cases();
	test_rejections();
	test_fields_as_written();
	test_days_from_civil();
	test_format();
	test_round_trip();
	test_to_epoch_bounds();
	return UNIT_FINISH("test_timeparse");
}
