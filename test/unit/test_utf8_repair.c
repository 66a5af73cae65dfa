/*
 * test_utf8_repair.c - unit tests for src/utf8_repair.c.
 */
#include "utf8_repair.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define FFFD "\xEF\xBF\xBD"

/* Repairs in[0..len) and checks the output and the replacement count. */
static void
check(const char *in, size_t len, int json, const char *want, int want_n)
{
	char	   *out = malloc(ALF_UTF8_REPAIR_MAX(len) + 1);
	int			n = -1;
	int			counted = -1;
	size_t		olen = alf_utf8_repair(in, len, out, json, &n);
	size_t		sized = alf_utf8_repair(in, len, NULL, json, &counted);

	out[olen] = '\0';
	unit_context = want;
	UNIT_CHECK(olen == strlen(want));
	UNIT_CHECK(memcmp(out, want, olen) == 0);
	UNIT_CHECK(n == want_n);
	UNIT_CHECK(sized == olen && counted == n);
	unit_context = "";
	free(out);
}

#define CHECK(lit, json, want, n) check(lit, sizeof(lit) - 1, json, want, n)

int
main(void)
{
	/* valid text is unchanged */
	CHECK("", 0, "", 0);
	CHECK("plain ascii", 0, "plain ascii", 0);
	CHECK("Jos\xC3\xA9 M\xC3\xBCller \xE6\x9D\x8E \xF0\x9F\x98\x80", 0,
		  "Jos\xC3\xA9 M\xC3\xBCller \xE6\x9D\x8E \xF0\x9F\x98\x80", 0);
	CHECK(FFFD, 0, FFFD, 0);
	/* NUL bytes and each invalid byte become U+FFFD */
	CHECK("a\0b", 0, "a" FFFD "b", 1);
	CHECK("Jos\xE9", 0, "Jos" FFFD, 1);
	CHECK("\xFF\xFE", 0, FFFD FFFD, 2);
	CHECK("\xC3", 0, FFFD, 1);	/* truncated sequence */
	CHECK("\xC0\xAF", 0, FFFD FFFD, 2);	/* overlong */
	CHECK("\xE0\x80\xAF", 0, FFFD FFFD FFFD, 3);	/* overlong */
	CHECK("\xED\xA0\x80", 0, FFFD FFFD FFFD, 3);	/* UTF-8 surrogate */
	CHECK("\xF4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD, 4);	/* above U+10FFFF */
	CHECK("\xF5", 0, FFFD, 1);
	/* without json, escapes and control characters are text */
	CHECK("a\\u0000b\n", 0, "a\\u0000b\n", 0);

	/* JSON: \u0000 and lone surrogates in strings become \uFFFD */
	CHECK("{\"a\":\"x\\u0000y\"}", 1, "{\"a\":\"x\\uFFFDy\"}", 1);
	CHECK("[\"\\ud800\"]", 1, "[\"\\uFFFD\"]", 1);
	CHECK("[\"\\udc00x\"]", 1, "[\"\\uFFFDx\"]", 1);
	CHECK("[\"\\ud83d\\ude00\"]", 1, "[\"\\ud83d\\ude00\"]", 0);	/* a pair stays */
	CHECK("[\"\\ud83dx\"]", 1, "[\"\\uFFFDx\"]", 1);
	CHECK("[\"\\u00e9\\n\\\"\"]", 1, "[\"\\u00e9\\n\\\"\"]", 0);
	/* an escaped backslash before u0000 is not an escape */
	CHECK("[\"\\\\u0000\"]", 1, "[\"\\\\u0000\"]", 0);
	/* raw control characters inside strings, not outside */
	CHECK("{\n\t\"a\":\"x\ty\x01\"\r\n}", 1, "{\n\t\"a\":\"x" FFFD "y" FFFD "\"\r\n}", 2);
	CHECK("[\"a\0b\"]", 1, "[\"a" FFFD "b\"]", 1);
	CHECK("[\"Jos\xE9\"]", 1, "[\"Jos" FFFD "\"]", 1);
	/* a string ends at an unescaped quote only */
	CHECK("[\"a\\\"\x01\",\"\x02\"]", 1, "[\"a\\\"" FFFD "\",\"" FFFD "\"]", 2);
	/* malformed escapes are left for the parser to reject */
	CHECK("[\"\\uZZZZ\"]", 1, "[\"\\uZZZZ\"]", 0);
	CHECK("[\"\\u00", 1, "[\"\\u00", 0);
	return UNIT_FINISH("test_utf8_repair");
}
