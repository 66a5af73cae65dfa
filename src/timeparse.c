/*
 * timeparse.c - liberal timestamp reader and strict ISO 8601 writer.
 *
 * The reader is a hand-written recursive-descent scanner rather than a
 * list of strptime() patterns: the formats share pieces (date, time,
 * meridiem, zone, comment) that appear in different orders, and one
 * scanner with optional parts covers them without combinatorial blow-up.
 * Every reader function either consumes what it recognises and returns
 * non-zero, or leaves the cursor where it was and returns 0, so callers
 * can try alternatives without saving state themselves.
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

/* Cursor over the trimmed input; end is exclusive. */
typedef struct AlfCursor
{
	const char *p;
	const char *end;
} AlfCursor;

static const char *const alf_month_names[12] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december"
};

static const char *const alf_weekday_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday"
};

/* ---------- character and cursor helpers ---------- */

static int
alf_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
alf_is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int
alf_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		ch == '\f' || ch == '\v';
}

static char
alf_ascii_lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char) (ch - 'A' + 'a') : ch;
}

/* Characters allowed in a zone name after its first letter:
 * "America/Port-au-Prince", "Etc/GMT+8", "EST5EDT". */
static int
alf_is_zone_name_char(char ch)
{
	return alf_is_alpha(ch) || alf_is_digit(ch) ||
		ch == '_' || ch == '/' || ch == '+' || ch == '-';
}

/* Character 'ahead' positions past the cursor, or NUL past the end. */
static char
alf_peek(const AlfCursor *c, size_t ahead)
{
	return ((size_t) (c->end - c->p) > ahead) ? c->p[ahead] : '\0';
}

static int
alf_at_end(const AlfCursor *c)
{
	return c->p >= c->end;
}

static size_t
alf_count_digits(const AlfCursor *c)
{
	size_t		n = 0;

	while (c->p + n < c->end && alf_is_digit(c->p[n]))
		n++;
	return n;
}

static size_t
alf_count_letters(const AlfCursor *c)
{
	size_t		n = 0;

	while (c->p + n < c->end && alf_is_alpha(c->p[n]))
		n++;
	return n;
}

/* Skips white space; returns how many characters were skipped. */
static size_t
alf_skip_spaces(AlfCursor *c)
{
	const char *start = c->p;

	while (c->p < c->end && alf_is_space(*c->p))
		c->p++;
	return (size_t) (c->p - start);
}

static int
alf_accept_char(AlfCursor *c, char ch)
{
	if (alf_at_end(c) || *c->p != ch)
		return 0;
	c->p++;
	return 1;
}

/*
 * Reads an unsigned decimal field whose whole digit run is min..max digits
 * long (max <= 9, so no overflow).  A longer run is rejected rather than
 * split, so "123:00" is not read as hour 12.
 */
static int
alf_read_field(AlfCursor *c, size_t min_digits, size_t max_digits, int *value)
{
	size_t		n = alf_count_digits(c);
	size_t		i;
	int			v = 0;

	if (n < min_digits || n > max_digits)
		return 0;
	for (i = 0; i < n; i++)
		v = v * 10 + (c->p[i] - '0');
	c->p += n;
	*value = v;
	return 1;
}

/* Case-insensitive: is w[0..n) exactly the lower-case literal lit? */
static int
alf_word_is(const char *w, size_t n, const char *lit)
{
	size_t		i = 0;

	/* Walks lit, never past its NUL: n may exceed its length. */
	for (; *lit != '\0'; lit++, i++)
		if (i >= n || alf_ascii_lower(w[i]) != *lit)
			return 0;
	return i == n;
}

/* Case-insensitive: is w[0..n) a prefix of the lower-case literal lit? */
static int
alf_word_is_prefix_of(const char *w, size_t n, const char *lit)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || alf_ascii_lower(w[i]) != lit[i])
			return 0;
	return 1;
}

/* Month number 1..12 for a full name, 3-letter abbreviation or "Sept"; else 0. */
static int
alf_month_from_word(const char *w, size_t n)
{
	int			i;

	for (i = 0; i < 12; i++)
	{
		if (alf_word_is(w, n, alf_month_names[i]))
			return i + 1;
		if (n == 3 && alf_word_is_prefix_of(w, n, alf_month_names[i]))
			return i + 1;
	}
	if (alf_word_is(w, n, "sept"))
		return 9;
	return 0;
}

static int
alf_is_weekday_word(const char *w, size_t n)
{
	int			i;

	for (i = 0; i < 7; i++)
	{
		if (alf_word_is(w, n, alf_weekday_names[i]))
			return 1;
		if (n == 3 && alf_word_is_prefix_of(w, n, alf_weekday_names[i]))
			return 1;
	}
	return alf_word_is(w, n, "tues") || alf_word_is(w, n, "thur") ||
		alf_word_is(w, n, "thurs");
}

/* Words that have a meaning of their own here and so cannot be zone names. */
static int
alf_is_reserved_word(const char *w, size_t n)
{
	return alf_month_from_word(w, n) != 0 || alf_is_weekday_word(w, n) ||
		alf_word_is(w, n, "am") || alf_word_is(w, n, "pm") ||
		alf_word_is(w, n, "at") || alf_word_is(w, n, "t");
}

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

/* Breaks an epoch into UTC calendar fields (used for epoch inputs). */
static void
alf_fill_fields_from_epoch(AlfParsedTime *t)
{
	long long	usec_of_sec,
				sec_of_day;
	long long	secs = alf_floor_divmod(t->epoch_usec, ALF_USEC_PER_SEC, &usec_of_sec);
	long long	days = alf_floor_divmod(secs, ALF_SEC_PER_DAY, &sec_of_day);

	alf_civil_from_days(days, &t->year, &t->month, &t->day);
	t->hour = (int) (sec_of_day / 3600);
	t->minute = (int) (sec_of_day / 60 % 60);
	t->second = (int) (sec_of_day % 60);
	t->usec = (int) usec_of_sec;
	t->tz_kind = ALF_TZ_OFFSET;
	t->tz_offset_sec = 0;
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
	alf_fill_fields_from_epoch(t);
	return 1;
}

/*
 * Microsoft JSON dates: "/Date(1700000000000)/", "\/Date(-5000+0100)\/".
 * The number is always UTC milliseconds; the optional offset only says
 * which zone the producer was in, so it is ignored.
 */
static int
alf_parse_ms_json_date(const char *b, const char *e, AlfParsedTime *t)
{
	AlfCursor	c;
	int			negative = 0;
	unsigned long long ms = 0;
	int			ignored;
	size_t		n;

	c.p = b;
	c.end = e;
	alf_accept_char(&c, '\\');
	if (!alf_accept_char(&c, '/'))
		return 0;
	n = alf_count_letters(&c);
	if (!alf_word_is(c.p, n, "date"))
		return 0;
	c.p += n;
	if (!alf_accept_char(&c, '('))
		return 0;
	if (alf_accept_char(&c, '-'))
		negative = 1;
	n = alf_count_digits(&c);
	if (n == 0 || n > 15)		/* 15 digits of ms is far past year 9999 and cannot overflow */
		return 0;
	while (n-- > 0)
		ms = ms * 10 + (unsigned long long) (*c.p++ - '0');
	if (alf_peek(&c, 0) == '+' || alf_peek(&c, 0) == '-')
	{
		c.p++;
		if (!alf_read_field(&c, 4, 4, &ignored))
			return 0;
	}
	if (!alf_accept_char(&c, ')'))
		return 0;
	alf_accept_char(&c, '\\');
	if (!alf_accept_char(&c, '/') || !alf_at_end(&c))
		return 0;

	t->is_epoch = 1;
	t->epoch_usec = (negative ? -1 : 1) * (long long) ms * 1000;
	alf_fill_fields_from_epoch(t);
	return 1;
}

/* ---------- zones ---------- */

/*
 * Reads a signed offset at the cursor: "+05", "+0530", "+05:30", and when
 * min_hour_digits is 1 (after "GMT"/"UTC") also "+5" and "+5:30".
 */
static int
alf_read_offset(AlfCursor *c, size_t min_hour_digits, int *offset_sec)
{
	AlfCursor	save = *c;
	int			sign;
	int			hours = 0,
				minutes = 0;
	size_t		n;

	if (alf_accept_char(c, '+'))
		sign = 1;
	else if (alf_accept_char(c, '-'))
		sign = -1;
	else
		return 0;

	n = alf_count_digits(c);
	if (n == 4)
	{
		hours = (c->p[0] - '0') * 10 + (c->p[1] - '0');
		minutes = (c->p[2] - '0') * 10 + (c->p[3] - '0');
		c->p += 4;
	}
	else if (n >= min_hour_digits && n <= 2)
	{
		alf_read_field(c, 1, 2, &hours);
		if (alf_peek(c, 0) == ':')
		{
			c->p++;
			if (!alf_read_field(c, 2, 2, &minutes))
			{
				*c = save;
				return 0;
			}
		}
	}
	else
	{
		*c = save;
		return 0;
	}
	if (hours > ALF_MAX_OFFSET_HOURS || minutes > 59)
	{
		*c = save;
		return 0;
	}
	*offset_sec = sign * (hours * 3600 + minutes * 60);
	return 1;
}

/*
 * Consumes a Go-style zone abbreviation ("PST", "CEST", "UTC"): 2..5
 * upper-case letters ending the word.  Upper case only, so ordinary words
 * after an offset still count as trailing junk.
 */
static int
alf_skip_go_abbreviation(AlfCursor *c)
{
	size_t		n = alf_count_letters(c);
	size_t		i;

	if (n < 2 || n > 5 || alf_is_zone_name_char(alf_peek(c, n)))
		return 0;
	for (i = 0; i < n; i++)
		if (c->p[i] < 'A' || c->p[i] > 'Z')
			return 0;
	c->p += n;
	return 1;
}

/*
 * Reads a zone: numeric offset, Z/UTC/GMT/UT (optionally with an offset
 * glued on, as in JavaScript's "GMT+0530"), or, if allow_name, a name that
 * is passed through for PostgreSQL to resolve.  Callers allow names only
 * after white space, so "10:00:00Zjunk" is junk rather than a zone.
 * "Etc/GMT+8" stays a name: its POSIX sign is the opposite of what
 * "GMT+8" means to humans.
 */
static int
alf_read_zone(AlfCursor *c, AlfParsedTime *t, int allow_name)
{
	char		first = alf_peek(c, 0);
	size_t		letters,
				len;
	int			offset;

	if (first == '+' || first == '-')
	{
		AlfCursor	after;

		if (!alf_read_offset(c, 2, &offset))
			return 0;
		t->tz_kind = ALF_TZ_OFFSET;
		t->tz_offset_sec = offset;

		/* Go's time.String() appends the abbreviation: "-0800 PST".  The
		 * offset is exact, so the abbreviation is skipped. */
		after = *c;
		if (alf_skip_spaces(&after) > 0 && alf_skip_go_abbreviation(&after))
			*c = after;
		return 1;
	}
	if (!alf_is_alpha(first))
		return 0;

	letters = alf_count_letters(c);
	if (alf_word_is(c->p, letters, "z") || alf_word_is(c->p, letters, "utc") ||
		alf_word_is(c->p, letters, "gmt") || alf_word_is(c->p, letters, "ut"))
	{
		AlfCursor	after;
		char		next;

		after.p = c->p + letters;
		after.end = c->end;
		next = alf_peek(&after, 0);
		if ((next == '+' || next == '-') && alf_is_digit(alf_peek(&after, 1)))
		{
			if (!alf_read_offset(&after, 1, &offset))
				return 0;
			*c = after;
			t->tz_kind = ALF_TZ_OFFSET;
			t->tz_offset_sec = offset;
			return 1;
		}
		if (!alf_is_zone_name_char(next))
		{
			c->p = after.p;
			t->tz_kind = ALF_TZ_OFFSET;
			t->tz_offset_sec = 0;
			return 1;
		}
		/* e.g. "UTC/Something": fall through and treat as a name */
	}

	if (!allow_name)
		return 0;
	len = letters;
	while (c->p + len < c->end && alf_is_zone_name_char(c->p[len]))
		len++;
	/* Single letters (military zones) are far likelier to be junk. */
	if (len < 2 || len >= sizeof(t->tz_name))
		return 0;
	if (len == letters && alf_is_reserved_word(c->p, letters))
		return 0;
	memcpy(t->tz_name, c->p, len);
	t->tz_name[len] = '\0';
	t->tz_kind = ALF_TZ_NAME;
	c->p += len;
	return 1;
}

/*
 * Java's ZonedDateTime.toString() and RFC 9557 append bracketed suffixes:
 * "2026-11-23T10:00+05:30[Asia/Kolkata]", "...Z[UTC]", "...[u-ca=iso8601]".
 * A written offset is exact and wins; with no zone before it, a bracketed
 * zone name becomes the zone.  Returns 0 only for an unclosed or malformed
 * bracket.
 */
static int
alf_read_bracketed_zone(AlfCursor *c, AlfParsedTime *t)
{
	while (alf_accept_char(c, '['))
	{
		const char *name;
		size_t		len = 0;

		alf_accept_char(c, '!');	/* RFC 9557 "critical" flag */
		name = c->p;
		while (c->p + len < c->end && c->p[len] != ']' && c->p[len] != '[')
			len++;
		if (len == 0 || c->p + len >= c->end || c->p[len] != ']')
			return 0;
		c->p += len + 1;
		if (memchr(name, '=', len) != NULL)
			continue;			/* extension tag such as u-ca=... */
		if (!alf_is_alpha(name[0]) || len >= sizeof(t->tz_name))
			return 0;
		if (t->tz_kind == ALF_TZ_NONE)
		{
			size_t		i;

			for (i = 0; i < len; i++)
				if (!alf_is_zone_name_char(name[i]))
					return 0;
			memcpy(t->tz_name, name, len);
			t->tz_name[len] = '\0';
			t->tz_kind = ALF_TZ_NAME;
		}
	}
	return 1;
}

/* ---------- time of day ---------- */

/* Reads AM/PM ("am", "PM", "a.m.", "p.m"); *is_pm receives which. */
static int
alf_read_meridiem(AlfCursor *c, int *is_pm)
{
	char		first = alf_ascii_lower(alf_peek(c, 0));
	size_t		letters = alf_count_letters(c);

	if (first != 'a' && first != 'p')
		return 0;
	if (letters == 2 && alf_ascii_lower(c->p[1]) == 'm')
	{
		c->p += 2;
		*is_pm = (first == 'p');
		return 1;
	}
	if (letters == 1 && alf_peek(c, 1) == '.' &&
		alf_ascii_lower(alf_peek(c, 2)) == 'm' && !alf_is_alpha(alf_peek(c, 3)))
	{
		c->p += 3;
		alf_accept_char(c, '.');
		*is_pm = (first == 'p');
		return 1;
	}
	return 0;
}

/* Reads 1..n fraction digits after the decimal mark into t->usec. */
static void
alf_read_fraction_digits(AlfCursor *c, AlfParsedTime *t)
{
	int			usec = 0;
	int			kept = 0;

	while (!alf_at_end(c) && alf_is_digit(*c->p))
	{
		if (kept < 6)
		{
			usec = usec * 10 + (*c->p - '0');
			kept++;
		}
		c->p++;
	}
	while (kept++ < 6)
		usec *= 10;
	t->usec = usec;
}

/* Reads "H:MM", "HH:MM:SS", "HH:MM:SS.fffffffff" (',' also a decimal mark). */
static int
alf_read_clock(AlfCursor *c, AlfParsedTime *t)
{
	AlfCursor	save = *c;

	if (!alf_read_field(c, 1, 2, &t->hour) || !alf_accept_char(c, ':') ||
		!alf_read_field(c, 2, 2, &t->minute))
	{
		*c = save;
		return 0;
	}
	if (alf_peek(c, 0) == ':' && alf_is_digit(alf_peek(c, 1)))
	{
		c->p++;
		if (!alf_read_field(c, 2, 2, &t->second))
		{
			*c = save;
			return 0;
		}
		if ((alf_peek(c, 0) == '.' || alf_peek(c, 0) == ',') &&
			alf_is_digit(alf_peek(c, 1)))
		{
			c->p++;
			alf_read_fraction_digits(c, t);
		}
	}
	return 1;
}

/* ---------- dates ---------- */

/* Reads a month name or abbreviation, with an optional trailing '.'. */
static int
alf_read_month_word(AlfCursor *c, int *month)
{
	size_t		n = alf_count_letters(c);
	int			m = alf_month_from_word(c->p, n);

	if (n == 0 || m == 0)
		return 0;
	c->p += n;
	alf_accept_char(c, '.');
	*month = m;
	return 1;
}

/* Skips an English ordinal suffix after a day number: "23rd". */
static void
alf_skip_ordinal_suffix(AlfCursor *c)
{
	size_t		n = alf_count_letters(c);

	if (n == 2 && (alf_word_is(c->p, n, "st") || alf_word_is(c->p, n, "nd") ||
				   alf_word_is(c->p, n, "rd") || alf_word_is(c->p, n, "th")))
		c->p += 2;
}

/* Date separators between numeric fields (space is handled separately). */
static int
alf_is_date_sep(char ch)
{
	return ch == '-' || ch == '/' || ch == '.';
}

/*
 * Date starting with a number: "2026-11-23", "2026/11/23", "11/23/2026",
 * "23/11/2026", "23.11.2026", "23-Nov-2026", "23 Nov 2026".
 * Numeric day/month order: '.' means day.month (European); otherwise
 * month/day (US) unless the first field cannot be a month.
 */
static int
alf_read_numeric_first_date(AlfCursor *c, AlfParsedTime *t)
{
	AlfCursor	save = *c;
	size_t		nd = alf_count_digits(c);
	int			first = 0,
				second = 0,
				month = 0;
	char		sep;

	if (nd == 4)
	{
		alf_read_field(c, 4, 4, &t->year);
		sep = alf_peek(c, 0);
		if (!alf_is_date_sep(sep))
			goto fail;
		c->p++;
		if (!alf_read_field(c, 1, 2, &t->month) || !alf_accept_char(c, sep) ||
			!alf_read_field(c, 1, 2, &t->day))
			goto fail;
		return 1;
	}
	if (nd < 1 || nd > 2)
		return 0;

	alf_read_field(c, 1, 2, &first);
	sep = alf_peek(c, 0);
	if (alf_is_date_sep(sep))
		c->p++;
	else if (alf_skip_spaces(c) > 0)
		sep = ' ';
	else
		goto fail;

	if (alf_read_month_word(c, &month))
	{
		/* day month-name year */
		if (sep == ' ' ? alf_skip_spaces(c) == 0 : !alf_accept_char(c, sep))
			goto fail;
		if (!alf_read_field(c, 4, 4, &t->year))
			goto fail;
		t->day = first;
		t->month = month;
		return 1;
	}
	if (sep == ' ' || !alf_read_field(c, 1, 2, &second) ||
		!alf_accept_char(c, sep) || !alf_read_field(c, 4, 4, &t->year))
		goto fail;
	if (sep == '.' || first > 12)
	{
		t->day = first;
		t->month = second;
	}
	else
	{
		t->month = first;
		t->day = second;
	}
	return 1;

fail:
	*c = save;
	return 0;
}

/*
 * Date starting with a month name: "Nov 23, 2026", "November 23rd 2026",
 * "Jan 04 2020 ..." (JavaScript) or "Nov 23 10:00:00 ... 2026" (ctime, where
 * the year comes after the time: *year_pending is set and the caller reads
 * it later).
 */
static int
alf_read_month_first_date(AlfCursor *c, AlfParsedTime *t, int *year_pending)
{
	AlfCursor	save = *c;
	size_t		nd;

	*year_pending = 0;
	if (!alf_read_month_word(c, &t->month))
		return 0;
	if (alf_skip_spaces(c) == 0 || !alf_read_field(c, 1, 2, &t->day))
		goto fail;
	alf_skip_ordinal_suffix(c);
	if (alf_peek(c, 0) == ',')
	{
		c->p++;
		alf_skip_spaces(c);
		if (!alf_read_field(c, 4, 4, &t->year))
			goto fail;
		return 1;
	}
	if (alf_skip_spaces(c) == 0)
		goto fail;
	nd = alf_count_digits(c);
	if (nd == 4 && alf_peek(c, 4) != ':')
	{
		alf_read_field(c, 4, 4, &t->year);
		return 1;
	}
	*year_pending = 1;			/* ctime: the time comes first */
	return 1;

fail:
	*c = save;
	return 0;
}

/* Skips an optional leading weekday: "Mon, ", "Monday ", "Tue.". */
static int
alf_skip_weekday(AlfCursor *c)
{
	AlfCursor	save = *c;
	size_t		n = alf_count_letters(c);

	if (n == 0 || !alf_is_weekday_word(c->p, n))
		return 1;				/* nothing to skip is fine */
	c->p += n;
	alf_accept_char(c, '.');
	if (alf_skip_spaces(c) > 0)
	{
		if (alf_accept_char(c, ','))
			alf_skip_spaces(c);
		return 1;
	}
	if (alf_accept_char(c, ','))
	{
		alf_skip_spaces(c);
		return 1;
	}
	*c = save;
	return 0;					/* "MonNov" or "Mon23" */
}

/*
 * Skips what separates the date from the time: 'T', ':' (Apache's
 * "23/Nov/2026:10:00:00"), or white space with an optional ',' and/or
 * "at".
 */
static int
alf_skip_date_time_separator(AlfCursor *c)
{
	AlfCursor	save = *c;
	char		ch = alf_peek(c, 0);
	int			seen = 0;
	size_t		n;

	if ((ch == 'T' || ch == 't' || ch == ':') && alf_is_digit(alf_peek(c, 1)))
	{
		c->p++;
		return 1;
	}
	if (alf_skip_spaces(c) > 0)
		seen = 1;
	if (alf_accept_char(c, ','))
	{
		seen = 1;
		alf_skip_spaces(c);
	}
	n = alf_count_letters(c);
	if (n == 2 && alf_word_is(c->p, n, "at"))
	{
		c->p += 2;
		if (alf_skip_spaces(c) == 0)
		{
			*c = save;
			return 0;
		}
		seen = 1;
	}
	if (!seen)
		*c = save;
	return seen;
}

/* ISO 8601 basic format: "20261123T100000Z", "20261123T1000",
 * "...T100000.5+0530".  The caller has checked for 8 digits and a 'T'. */
static int
alf_parse_compact_iso(AlfCursor *c, AlfParsedTime *t)
{
	const char *p = c->p;
	size_t		nd;

	t->year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	t->month = (p[4] - '0') * 10 + (p[5] - '0');
	t->day = (p[6] - '0') * 10 + (p[7] - '0');
	c->p += 9;					/* digits and the 'T' */
	nd = alf_count_digits(c);
	if (nd != 4 && nd != 6)
		return 0;
	p = c->p;
	t->hour = (p[0] - '0') * 10 + (p[1] - '0');
	t->minute = (p[2] - '0') * 10 + (p[3] - '0');
	if (nd == 6)
		t->second = (p[4] - '0') * 10 + (p[5] - '0');
	c->p += nd;
	if (nd == 6 && (alf_peek(c, 0) == '.' || alf_peek(c, 0) == ',') &&
		alf_is_digit(alf_peek(c, 1)))
	{
		c->p++;
		alf_read_fraction_digits(c, t);
	}
	alf_read_zone(c, t, 0);
	return alf_at_end(c);
}

/* Range checks shared by every calendar form. */
static int
alf_fields_valid(const AlfParsedTime *t)
{
	return t->year >= 0 && t->year <= 9999 &&
		t->month >= 1 && t->month <= 12 &&
		t->day >= 1 && t->day <= alf_days_in_month(t->year, t->month) &&
		t->hour >= 0 && t->hour <= 23 &&
		t->minute >= 0 && t->minute <= 59 &&
		t->second >= 0 && t->second <= 60 &&
		t->usec >= 0 && t->usec <= 999999;
}

/*
 * Everything that is not an epoch:
 *   [weekday] date [sep clock [am/pm] [zone] [[bracketed zone]] [year] [(comment)]]
 * where year appears late only in ctime-like strings.
 */
static int
alf_parse_calendar(AlfCursor *c, AlfParsedTime *t)
{
	int			year_pending = 0;
	int			is_pm;
	AlfCursor	save;

	if (alf_count_digits(c) == 8 && (alf_peek(c, 8) == 'T' || alf_peek(c, 8) == 't'))
		return alf_parse_compact_iso(c, t) && alf_fields_valid(t);

	if (!alf_skip_weekday(c))
		return 0;
	if (alf_is_digit(alf_peek(c, 0)))
	{
		if (!alf_read_numeric_first_date(c, t))
			return 0;
	}
	else if (!alf_read_month_first_date(c, t, &year_pending))
		return 0;

	if (alf_at_end(c))
		return !year_pending && alf_fields_valid(t);	/* date only: midnight */

	if (!year_pending && !alf_skip_date_time_separator(c))
		return 0;
	if (!alf_read_clock(c, t))
		return 0;

	save = *c;
	alf_skip_spaces(c);
	if (alf_read_meridiem(c, &is_pm))
	{
		/* PostgreSQL's rule: hours 0..12 allowed; 12 AM is midnight. */
		if (t->hour > 12)
			return 0;
		if (!is_pm && t->hour == 12)
			t->hour = 0;
		else if (is_pm && t->hour != 12)
			t->hour += 12;
	}
	else
		*c = save;

	save = *c;
	if (!alf_read_zone(c, t, alf_skip_spaces(c) > 0))
		*c = save;
	if (!alf_read_bracketed_zone(c, t))
		return 0;

	if (year_pending)
	{
		if (alf_skip_spaces(c) == 0 || !alf_read_field(c, 4, 4, &t->year))
			return 0;
	}

	/* JavaScript's Date.toString() ends with "(India Standard Time)". */
	save = *c;
	alf_skip_spaces(c);
	if (alf_accept_char(c, '('))
	{
		while (!alf_at_end(c) && *c->p != ')' && *c->p != '(')
			c->p++;
		if (!alf_accept_char(c, ')'))
			return 0;
	}
	else
		*c = save;

	alf_skip_spaces(c);
	return alf_at_end(c) && alf_fields_valid(t);
}

int
alf_parse_time(const char *s, AlfParsedTime *out)
{
	AlfParsedTime t;
	AlfCursor	c;
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
	/* JSON and CSV producers sometimes leave the quotes on. */
	if (e - b >= 2 && (*b == '"' || *b == '\'') && e[-1] == *b)
	{
		b++;
		e--;
		while (b < e && alf_is_space(*b))
			b++;
		while (e > b && alf_is_space(e[-1]))
			e--;
	}
	if (b == e)
		return 0;

	memset(&t, 0, sizeof(t));
	if (alf_parse_epoch(b, e, &t) || alf_parse_ms_json_date(b, e, &t))
	{
		*out = t;
		return 1;
	}

	memset(&t, 0, sizeof(t));
	c.p = b;
	c.end = e;
	if (!alf_parse_calendar(&c, &t))
		return 0;
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
	if (t->tz_kind == ALF_TZ_NAME)
		return 0;
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
