/*
 * fuzz_timeparse.c - src/timeparse.c on arbitrary text.
 *
 * Properties, besides memory safety:
 * - a parsed calendar time has fields in range and a terminated zone name;
 * - whatever converts to an epoch formats as ISO 8601 (for years
 *   0..9999) and that text parses back to the same instant, at every
 *   precision (truncated to it);
 * - the writers never overrun a small buffer and take any epoch value
 *   (the first 8 input bytes, as an integer);
 * - surrounding white space changes nothing; a text that parses in lower
 *   case parses as written, to the same instant.
 *
 * Written against what both the liberal reader and the ISO/epoch fast path
 * (branch h-time) offer: no zone-name fields.
 */
#include "fuzz.h"

#include "timeparse.h"

static const long long unit_usec[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};

static long long
floor_to(long long v, long long unit)
{
	long long	q = v / unit;

	if (v % unit != 0 && v < 0)
		q--;
	return q * unit;
}

static void
check_writers(long long epoch_usec)
{
	char		buf[40];
	char		tiny[12];
	int			digits;

	for (digits = 0; digits <= 6; digits++)
	{
		int			len = alf_format_iso_utc(epoch_usec, digits, buf, sizeof(buf));
		AlfParsedTime back;
		long long	usec;

		FUZZ_CHECK(alf_format_iso_utc(epoch_usec, digits, tiny, sizeof(tiny)) == -1);
		if (len < 0)
			continue;
		FUZZ_CHECK((size_t) len == strlen(buf) && len == 20 + (digits ? digits + 1 : 0));
		if (!alf_parse_time(buf, &back))
		{
			FUZZ_CHECK(strncmp(buf, "0000-", 5) == 0);	/* year 0 may be refused */
			continue;
		}
		FUZZ_CHECK(alf_time_to_epoch_usec(&back, &usec));
		FUZZ_CHECK(usec == floor_to(epoch_usec, unit_usec[digits]));
	}
	FUZZ_CHECK(alf_format_iso_utc(epoch_usec, 7, buf, sizeof(buf)) == -1);
	FUZZ_CHECK(alf_format_iso_utc(epoch_usec, -1, buf, sizeof(buf)) == -1);
	if (alf_format_date_utc(epoch_usec, buf, sizeof(buf)) >= 0)
		FUZZ_CHECK(strlen(buf) == 10);
	FUZZ_CHECK(alf_format_date_utc(epoch_usec, tiny, 10) == -1);
}

/* Same outcome and instant as t (from the original text)? */
static void
check_same(const char *variant, int ok, const AlfParsedTime *t)
{
	AlfParsedTime v;
	long long	a,
				b;

	FUZZ_CHECK(alf_parse_time(variant, &v) == ok);
	if (!ok)
		return;
	FUZZ_CHECK(v.tz_kind == t->tz_kind && v.is_epoch == t->is_epoch);
	FUZZ_CHECK(alf_time_to_epoch_usec(t, &a) == alf_time_to_epoch_usec(&v, &b));
	if (alf_time_to_epoch_usec(t, &a) && alf_time_to_epoch_usec(&v, &b))
		FUZZ_CHECK(a == b);
}

static void
check_variants(const char *s, int ok, const AlfParsedTime *t)
{
	size_t		n = strlen(s);
	char	   *v = malloc(n + 5);
	size_t		i;

	FUZZ_CHECK(v != NULL);
	snprintf(v, n + 5, " \t%s\n", s);
	check_same(v, ok, t);
	/* Letters are read ignoring case, with exceptions (an abbreviation after
	 * an offset must be upper case: "+0000 UTC", not "+0000 utc").  So only:
	 * whatever parses in lower case parses as written, to the same instant. */
	for (i = 0; i <= n; i++)
		v[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char) (s[i] - 'A' + 'a') : s[i];
	{
		AlfParsedTime lower;

		if (alf_parse_time(v, &lower))
			check_same(s, 1, &lower);
	}
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = fuzz_strndup(data, size);
	AlfParsedTime t;
	long long	usec;

	int			ok = alf_parse_time(s, &t);

	check_variants(s, ok, &t);
	if (ok)
	{
		FUZZ_CHECK(t.usec >= 0 && t.usec <= 999999);
		if (!t.is_epoch)
		{
			FUZZ_CHECK(t.year >= 0 && t.year <= 9999);
			FUZZ_CHECK(t.month >= 1 && t.month <= 12);
			FUZZ_CHECK(t.day >= 1 && t.day <= 31);
			FUZZ_CHECK(t.hour >= 0 && t.hour <= 23);
			FUZZ_CHECK(t.minute >= 0 && t.minute <= 59);
			FUZZ_CHECK(t.second >= 0 && t.second <= 60);
		}
		/* only a named zone (which the server resolves) has no instant here */
		if (alf_time_to_epoch_usec(&t, &usec))
			check_writers(usec);
		else
			FUZZ_CHECK(!t.is_epoch && t.tz_kind != ALF_TZ_NONE && t.tz_kind != ALF_TZ_OFFSET);
	}
	else
	{
		/* a failed parse leaves *out zeroed */
		static const AlfParsedTime zero;

		FUZZ_CHECK(memcmp(&t, &zero, sizeof(t)) == 0);
	}

	if (size >= 8)
	{
		long long	raw;

		memcpy(&raw, data, sizeof(raw));
		check_writers(raw);
		(void) alf_days_from_civil((int) (raw % 400000), 1 + (int) ((unsigned long long) raw % 12),
								   (int) (raw >> 40) % 32);
	}
	free(s);
	return 0;
}
