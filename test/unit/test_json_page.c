/*
 * test_json_page.c - unit tests for src/json_page.c.
 */
#include "json_page.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static int
valid(const char *s)
{
	size_t		off = 0;
	const char *msg = NULL;
	int			ok = alf_json_validate(s, strlen(s), &off, &msg);

	if (!ok && msg == NULL)
		return -1;				/* a failure must say why */
	return ok;
}

/* The members of the object text s as "key=kind:text;" lines. */
static void
members(const char *s, char *out)
{
	AlfJsonSpan obj,
				key,
				val;
	AlfJsonIter it;
	char		buf[256];

	out[0] = '\0';
	alf_json_value_at(s, &obj);
	alf_json_iter_begin(&it, &obj);
	while (alf_json_object_next(&it, &key, &val))
	{
		size_t		n = alf_json_unescape(&key, buf);

		buf[n] = '\0';
		strcat(out, buf);
		sprintf(out + strlen(out), "=%d:", (int) val.kind);
		n = val.kind == ALF_JSON_STRING ? alf_json_unescape(&val, buf) : val.len;
		if (val.kind != ALF_JSON_STRING)
			memcpy(buf, val.p, n);
		buf[n] = '\0';
		strcat(out, buf);
		strcat(out, ";");
	}
}

static void
unescaped(const char *json_string, const char *want)
{
	AlfJsonSpan v;
	char		buf[256];
	size_t		n;

	alf_json_value_at(json_string, &v);
	n = alf_json_unescape(&v, buf);
	buf[n] = '\0';
	unit_context = json_string;
	UNIT_CHECK(v.kind == ALF_JSON_STRING);
	UNIT_CHECK(n <= v.len);
	UNIT_CHECK_STR(buf, want);
	unit_context = "";
}

int
main(void)
{
	char		out[1024];
	AlfJsonSpan v,
				key;
	AlfJsonIter it;
	int			n;
	size_t		len;
	const char *rec = "{ \"audit_logs\" : [ {\"id\":1}, [2], \"x\", null ], \"meta\":{\"has_more\":false} }";

	/* valid documents */
	UNIT_CHECK_INT(valid("{}"), 1);
	UNIT_CHECK_INT(valid(" [ ] "), 1);
	UNIT_CHECK_INT(valid("0"), 1);
	UNIT_CHECK_INT(valid("-0.5e+10"), 1);
	UNIT_CHECK_INT(valid("\"a\\u00e9\\n\\\"\""), 1);
	UNIT_CHECK_INT(valid("{\"a\":[1,{\"b\":null}],\"c\":true,\"d\":false}"), 1);
	UNIT_CHECK_INT(valid(rec), 1);

	/* invalid ones, each with a reason */
	UNIT_CHECK_INT(valid(""), 0);
	UNIT_CHECK_INT(valid("   "), 0);
	UNIT_CHECK_INT(valid("{"), 0);
	UNIT_CHECK_INT(valid("{\"a\"}"), 0);
	UNIT_CHECK_INT(valid("{\"a\":}"), 0);
	UNIT_CHECK_INT(valid("{\"a\":1,}"), 0);
	UNIT_CHECK_INT(valid("[1,]"), 0);
	UNIT_CHECK_INT(valid("[1 2]"), 0);
	UNIT_CHECK_INT(valid("{a:1}"), 0);
	UNIT_CHECK_INT(valid("01"), 0);
	UNIT_CHECK_INT(valid("1."), 0);
	UNIT_CHECK_INT(valid("1e"), 0);
	UNIT_CHECK_INT(valid("-"), 0);
	UNIT_CHECK_INT(valid("tru"), 0);
	UNIT_CHECK_INT(valid("nul"), 0);
	UNIT_CHECK_INT(valid("\"abc"), 0);
	UNIT_CHECK_INT(valid("\"a\\x\""), 0);
	UNIT_CHECK_INT(valid("\"a\\u12\""), 0);
	UNIT_CHECK_INT(valid("\"a\tb\""), 0);
	UNIT_CHECK_INT(valid("{} {}"), 0);
	UNIT_CHECK_INT(valid("[}"), 0);
	UNIT_CHECK_INT(valid("{]"), 0);

	/* nesting: up to the limit, not beyond */
	{
		char	   *deep = malloc(2 * ALF_JSON_MAX_DEPTH + 3);
		int			i;

		for (i = 0; i < ALF_JSON_MAX_DEPTH; i++)
		{
			deep[i] = '[';
			deep[2 * ALF_JSON_MAX_DEPTH - 1 - i] = ']';
		}
		deep[2 * ALF_JSON_MAX_DEPTH] = '\0';
		UNIT_CHECK_INT(valid(deep), 1);
		memmove(deep + 1, deep, 2 * ALF_JSON_MAX_DEPTH + 1);
		deep[0] = '[';
		strcat(deep, "]");
		UNIT_CHECK_INT(valid(deep), 0);
		free(deep);
	}

	/* the error offset points at the offending byte */
	{
		size_t		off = 0;
		const char *msg = NULL;

		UNIT_CHECK(!alf_json_validate("[1, x]", 6, &off, &msg));
		UNIT_CHECK_INT(off, 4);
		UNIT_CHECK_STR(msg, "invalid token");
	}

	/* walking a page: envelope members, then the record array */
	members(rec, out);
	UNIT_CHECK_STR(out, "audit_logs=7:[ {\"id\":1}, [2], \"x\", null ];meta=6:{\"has_more\":false};");
	alf_json_value_at(rec, &v);
	alf_json_iter_begin(&it, &v);
	UNIT_CHECK(alf_json_object_next(&it, &key, &v));
	UNIT_CHECK(alf_json_key_equals(&key, "audit_logs", 10));
	UNIT_CHECK(!alf_json_key_equals(&key, "audit_log", 9));
	alf_json_iter_begin(&it, &v);
	n = 0;
	{
		AlfJsonSpan e;
		int			kinds[4] = {ALF_JSON_OBJECT, ALF_JSON_ARRAY, ALF_JSON_STRING, ALF_JSON_NULL};

		while (alf_json_array_next(&it, &e))
		{
			if (n < 4)
				UNIT_CHECK_INT(e.kind, kinds[n]);
			n++;
		}
		UNIT_CHECK(!alf_json_array_next(&it, &e));	/* stays at the end */
	}
	UNIT_CHECK_INT(n, 4);

	/* nested containers and strings holding brackets are skipped whole */
	members("{\"a\":{\"x\":[1,\"]}\",{}]},\"b\" : \"}\\\"\" ,\"c\":-1.5e3}", out);
	UNIT_CHECK_STR(out, "a=6:{\"x\":[1,\"]}\",{}]};b=1:}\";c=2:-1.5e3;");
	members("{}", out);
	UNIT_CHECK_STR(out, "");
	members("{\"t\":true,\"f\":false,\"n\":null}", out);
	UNIT_CHECK_STR(out, "t=3:true;f=4:false;n=5:null;");

	/* escaped keys compare by their text */
	alf_json_value_at("\"ac\\u0074ion\"", &key);
	UNIT_CHECK(key.escaped);
	UNIT_CHECK(alf_json_key_equals(&key, "action", 6));
	UNIT_CHECK(!alf_json_key_equals(&key, "actio", 5));

	/* de-escaping */
	unescaped("\"plain\"", "plain");
	unescaped("\"\"", "");
	unescaped("\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d");
	unescaped("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t");
	unescaped("\"\\u00e9\\u00E9\"", "\xC3\xA9\xC3\xA9");
	unescaped("\"\\u20ac\"", "\xE2\x82\xAC");
	unescaped("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80");
	unescaped("\"\\ud83d\"", "\xEF\xBF\xBD");
	unescaped("\"\\ude00x\"", "\xEF\xBF\xBDx");
	unescaped("\"\\ud83dx\"", "\xEF\xBF\xBDx");
	unescaped("\"\\u0000\"", "\xEF\xBF\xBD");
	unescaped("\"x\\u0041y\"", "xAy");

	/* compacting keeps strings as they are */
	{
		const char *s = "{ \"a b\" : [ 1 , \" x \\\" y \" ],\n\t\"c\":{ } }";

		len = alf_json_compact(s, strlen(s), out);
		out[len] = '\0';
		UNIT_CHECK_STR(out, "{\"a b\":[1,\" x \\\" y \"],\"c\":{}}");
	}

	return UNIT_FINISH("test_json_page");
}
