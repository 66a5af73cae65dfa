/*
 * timeparse.c - fast path for vendor timestamps, and the ISO 8601 writer.
 *
 * Reads only RFC 3339 / ISO 8601 extended format and bare epochs, the
 * shapes JSON vendors send; timeconv.c hands anything else to the
 * server's datetime input.  The accepted ISO subset is deliberately narrow
 * (two-digit fields, at most six fraction digits, hours 0..23, seconds
 * 0..59) so that every value read here is read to the same instant by
 * PostgreSQL's timestamptz input; edge cases (24:00, leap seconds, long
 * fractions that PostgreSQL rounds) go to the server.
 *
 * Only ASCII is examined, by hand, so the result never depends on the
 * C locale the backend happens to run with.
 */
#include "timeparse.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ALF_USEC_PER_SEC	1000000LL
#define ALF_SEC_PER_DAY		86400LL
#define ALF_MAX_OFFSET_HOURS 15		/* same bound as PostgreSQL */

static int
alf_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
alf_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		ch == '\f' || ch == '\v';
}

/* Floor division and matching non-negative remainder, for b > 0; never
 * overflows, even for LLONG_MIN. */
static long long
alf_floor_divmod(long long a, long long b, long long *rem)
{
	long long	q = a / b;
	long long	r = a % b;

	if (r < 0)
	{
		r += b;
		q--;
	}
	*rem = r;
	return q;
}

/* ---------- calendar arithmetic ---------- */

static int
alf_is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
alf_days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && alf_is_leap_year(y))
		return 29;
	return days[m - 1];
}

/*
 * Howard Hinnant's days_from_civil: exact for the whole proleptic Gregorian
 * calendar, using 400-year eras so negative years need no special casing.
 */
long long
alf_days_from_civil(int y, int m, int d)
{
	long long	yy = (long long) y - (m <= 2 ? 1 : 0);
	long long	era = (yy >= 0 ? yy : yy - 399) / 400;
	long long	yoe = yy - era * 400;	/* 0..399 */
	long long	mp = (m > 2) ? m - 3 : m + 9;	/* March-based month 0..11 */
	long long	doy = (153 * mp + 2) / 5 + d - 1;	/* 0..365 */
	long long	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */

	return era * 146097 + doe - 719468;
}

/* Inverse of alf_days_from_civil. */
static void
alf_civil_from_days(long long z, int *y, int *m, int *d)
{
	long long	era,
				doe,
				yoe,
				doy,
				mp,
				year,
				rem;

	z += 719468;
	era = alf_floor_divmod(z, 146097, &rem);
	doe = rem;					/* 0..146096 */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	year = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (year + (*m <= 2 ? 1 : 0));
}

/* ---------- epoch numbers ---------- */

/*
 * Bare number: [+-]digits[.digits].  The unit is guessed from the integer
 * part's magnitude because vendors rarely say which one they use and the
 * ranges do not overlap for any date between 1973 and 5138.
 */
static int
alf_parse_epoch(const char *b, const char *e, AlfParsedTime *t)
{
	const char *p = b;
	const char *frac = NULL;
	size_t		frac_len = 0;
	int			negative = 0;
	unsigned long long whole = 0;
	long long	unit_usec;
	long long	magnitude;
	size_t		frac_keep,
				i;
	long long	frac_usec = 0;

	if (p < e && (*p == '+' || *p == '-'))
	{
		negative = (*p == '-');
		p++;
	}
	if (p >= e || !alf_is_digit(*p))
		return 0;
	while (p < e && alf_is_digit(*p))
	{
		if (whole > (unsigned long long) LLONG_MAX / 10)
			return 0;
		whole = whole * 10 + (unsigned long long) (*p - '0');
		if (whole > (unsigned long long) LLONG_MAX)
			return 0;
		p++;
	}
	if (p < e && *p == '.')
	{
		p++;
		frac = p;
		while (p < e && alf_is_digit(*p))
			p++;
		frac_len = (size_t) (p - frac);
		if (frac_len == 0)
			return 0;
	}
	if (p != e)
		return 0;

	if (whole < 100000000000ULL)
	{
		unit_usec = ALF_USEC_PER_SEC;
		frac_keep = 6;
	}
	else if (whole < 100000000000000ULL)
	{
		unit_usec = 1000;
		frac_keep = 3;
	}
	else if (whole < 100000000000000000ULL)
	{
		unit_usec = 1;
		frac_keep = 0;
	}
	else
	{
		unit_usec = 0;			/* nanoseconds: divide instead */
		frac_keep = 0;
	}

	/* Sub-microsecond digits are dropped (toward zero). */
	for (i = 0; i < frac_keep; i++)
		frac_usec = frac_usec * 10 + (i < frac_len ? frac[i] - '0' : 0);

	if (unit_usec == 0)
		magnitude = (long long) (whole / 1000);
	else
		magnitude = (long long) whole * unit_usec + frac_usec;	/* < 1e17 */

	t->is_epoch = 1;
	t->epoch_usec = negative ? -magnitude : magnitude;
	return 1;
}

/* ---------- ISO 8601 ---------- */

/* Reads exactly n digits at *p (n <= 4) and advances; 0 if not there. */
static int
alf_fixed_digits(const char **p, const char *e, int n, int *value)
{
	int			v = 0;
	int			i;

	if (e - *p < n)
		return 0;
	for (i = 0; i < n; i++)
	{
		if (!alf_is_digit((*p)[i]))
			return 0;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*value = v;
	return 1;
}

/* "Z", "+HH", "+HHMM", "+HH:MM" (or '-') ending at e. */
static int
alf_parse_zone(const char *p, const char *e, AlfParsedTime *t)
{
	int			sign,
				hours,
				minutes = 0;

	if (p == e)
		return 1;				/* no zone: ALF_TZ_NONE */
	if (*p == 'Z')
	{
		t->tz_kind = ALF_TZ_OFFSET;
		return p + 1 == e;
	}
	if (*p != '+' && *p != '-')
		return 0;
	sign = *p++ == '-' ? -1 : 1;
	if (!alf_fixed_digits(&p, e, 2, &hours))
		return 0;
	if (p < e && *p == ':')
		p++;
	if (p < e && !alf_fixed_digits(&p, e, 2, &minutes))
		return 0;
	if (p != e || hours > ALF_MAX_OFFSET_HOURS || minutes > 59)
		return 0;
	t->tz_kind = ALF_TZ_OFFSET;
	t->tz_offset_sec = sign * (hours * 3600 + minutes * 60);
	return 1;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.f]][zone]] over [p, e). */
static int
alf_parse_iso(const char *p, const char *e, AlfParsedTime *t)
{
	if (!alf_fixed_digits(&p, e, 4, &t->year) || p == e || *p++ != '-' ||
		!alf_fixed_digits(&p, e, 2, &t->month) || p == e || *p++ != '-' ||
		!alf_fixed_digits(&p, e, 2, &t->day))
		return 0;
	if (t->year < 1 || t->month < 1 || t->month > 12 || t->day < 1 ||
		t->day > alf_days_in_month(t->year, t->month))
		return 0;
	if (p == e)
		return 1;				/* a date alone: midnight */
	if (*p != 'T' && *p != ' ')
		return 0;
	p++;
	if (!alf_fixed_digits(&p, e, 2, &t->hour) || p == e || *p++ != ':' ||
		!alf_fixed_digits(&p, e, 2, &t->minute))
		return 0;
	if (p < e && *p == ':')
	{
		p++;
		if (!alf_fixed_digits(&p, e, 2, &t->second))
			return 0;
		if (p < e && *p == '.')
		{
			int			digits = 0;

			for (p++; p < e && alf_is_digit(*p); p++, digits++)
			{
				if (digits == 6)
					return 0;	/* PostgreSQL rounds these: let it */
				t->usec = t->usec * 10 + (*p - '0');
			}
			if (digits == 0)
				return 0;
			for (; digits < 6; digits++)
				t->usec *= 10;
		}
	}
	if (t->hour > 23 || t->minute > 59 || t->second > 59)
		return 0;
	return alf_parse_zone(p, e, t);
}

int
alf_parse_time(const char *s, AlfParsedTime *out)
{
	AlfParsedTime t;
	const char *b,
			   *e;

	if (out == NULL)
		return 0;
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return 0;

	b = s;
	e = s + strlen(s);
	while (b < e && alf_is_space(*b))
		b++;
	while (e > b && alf_is_space(e[-1]))
		e--;
	if (b == e)
		return 0;

	memset(&t, 0, sizeof(t));
	if (!alf_parse_epoch(b, e, &t))
	{
		memset(&t, 0, sizeof(t));
		if (!alf_parse_iso(b, e, &t))
			return 0;
	}
	*out = t;
	return 1;
}

/* ---------- conversion and output ---------- */

int
alf_time_to_epoch_usec(const AlfParsedTime *t, long long *out)
{
	long long	secs;

	if (t == NULL || out == NULL)
		return 0;
	if (t->is_epoch)
	{
		*out = t->epoch_usec;
		return 1;
	}
	/* Bounds keep the arithmetic below far from overflow. */
	if (t->year < -200000 || t->year > 200000 || t->month < 1 || t->month > 12 ||
		t->day < 1 || t->day > 31 || t->hour < 0 || t->hour > 23 ||
		t->minute < 0 || t->minute > 59 || t->second < 0 || t->second > 60 ||
		t->usec < 0 || t->usec > 999999)
		return 0;
	if (t->tz_kind == ALF_TZ_OFFSET &&
		(t->tz_offset_sec < -86400 || t->tz_offset_sec > 86400))
		return 0;

	secs = alf_days_from_civil(t->year, t->month, t->day) * ALF_SEC_PER_DAY +
		t->hour * 3600LL + t->minute * 60LL + t->second;
	if (t->tz_kind == ALF_TZ_OFFSET)
		secs -= t->tz_offset_sec;
	*out = secs * ALF_USEC_PER_SEC + t->usec;
	return 1;
}

/* Splits an epoch into UTC calendar fields; 0 if the year is not 0..9999. */
static int
alf_split_utc(long long epoch_usec, int *y, int *mo, int *d, int *h, int *mi,
			  int *s, long long *usec)
{
	long long	sec_of_day;
	long long	secs = alf_floor_divmod(epoch_usec, ALF_USEC_PER_SEC, usec);
	long long	days = alf_floor_divmod(secs, ALF_SEC_PER_DAY, &sec_of_day);

	alf_civil_from_days(days, y, mo, d);
	if (*y < 0 || *y > 9999)
		return 0;
	*h = (int) (sec_of_day / 3600);
	*mi = (int) (sec_of_day / 60 % 60);
	*s = (int) (sec_of_day % 60);
	return 1;
}

int
alf_format_iso_utc(long long epoch_usec, int frac_digits, char *buf, size_t buflen)
{
	int			y,
				mo,
				d,
				h,
				mi,
				s,
				len,
				i;
	long long	usec,
				frac;

	if (buf == NULL || frac_digits < 0 || frac_digits > 6)
		return -1;
	if (!alf_split_utc(epoch_usec, &y, &mo, &d, &h, &mi, &s, &usec))
		return -1;
	if (frac_digits == 0)
		len = snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
					   y, mo, d, h, mi, s);
	else
	{
		frac = usec;			/* non-negative, so dividing truncates toward -inf */
		for (i = frac_digits; i < 6; i++)
			frac /= 10;
		len = snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%0*lldZ",
					   y, mo, d, h, mi, s, frac_digits, frac);
	}
	if (len < 0 || (size_t) len >= buflen)
		return -1;
	return len;
}

int
alf_format_date_utc(long long epoch_usec, char *buf, size_t buflen)
{
	int			y,
				mo,
				d,
				h,
				mi,
				s,
				len;
	long long	usec;

	if (buf == NULL)
		return -1;
	if (!alf_split_utc(epoch_usec, &y, &mo, &d, &h, &mi, &s, &usec))
		return -1;
	len = snprintf(buf, buflen, "%04d-%02d-%02d", y, mo, d);
	if (len < 0 || (size_t) len >= buflen)
		return -1;
	return len;
}
