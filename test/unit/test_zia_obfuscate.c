/*
 * test_zia_obfuscate.c - unit tests for src/vendors/zia_obfuscate.c.
 *
 * Expected values were computed with a separate Python transcription of
 * vendors.md section 1.2 item 5, not with the code under test.
 */
#include "vendors/zia_obfuscate.h"
#include "unit.h"

static void
check_key(const char *key, const char *timestamp, const char *expected)
{
	char		out[ALF_ZIA_OBFUSCATED_LEN + 1];

	UNIT_SET_CONTEXT(timestamp);
	UNIT_CHECK_INT(alf_zia_obfuscate_key(key, timestamp, out, sizeof(out)), 0);
	UNIT_CHECK_STR(out, expected);
	UNIT_SET_CONTEXT("");
}

static void
check_rejected(const char *key, const char *timestamp, size_t outlen)
{
	char		out[32];

	out[0] = 'x';
	UNIT_CHECK_INT(alf_zia_obfuscate_key(key, timestamp, out, outlen), -1);
	if (outlen > 0)
		UNIT_CHECK_STR(out, "");
}

int
main(void)
{
	check_key("ZiaTestKey2026xyz", "1795428000000", "ZZZZZZaaaaaa");
	check_key("abcdefghijklmnop", "1234567890123", "ijabcdgghcid");
	check_key("0123456789ABCDEF", "000000", "000000222222");
	check_key("0123456789AB", "999999", "9999996BBBBB");	/* highest index: key[11] */
	check_key("0123456789AB", "1700000123456", "12345628394A");

	check_rejected("0123456789A", "1700000123456", 32);	/* key of 11 characters */
	check_rejected("0123456789AB", "12345", 32);	/* too few digits */
	check_rejected("0123456789AB", "17000001234x6", 32);	/* not a number */
	check_rejected("0123456789AB", "1700000123456", 12);	/* no room for the NUL */
	check_rejected(NULL, "1700000123456", 32);
	check_rejected("0123456789AB", NULL, 32);
	return UNIT_FINISH("test_zia_obfuscate");
}
