/*
 * json_page.c - a JSON scanner for pages of vendor records (see json_page.h).
 */
#include "json_page.h"

#include <string.h>

/* 1: a byte that ends a run of plain string text (quote, backslash, control) */
static const unsigned char string_stop[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
};

/* 1: a byte that matters when skipping a container (quote, brackets) */
static const unsigned char container_stop[256] = {
	['"'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
};

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at p (the opening quote): the end of it, or NULL (*msg says why). */
static const char *
check_string(const char *p, const char *end, const char **msg)
{
	p++;
	for (;;)
	{
		while (p < end && !string_stop[(unsigned char) *p])
			p++;
		if (p >= end)
		{
			*msg = "unterminated string";
			return NULL;
		}
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
		{
			*msg = "control character in a string";
			return NULL;
		}
		if (p + 1 >= end)
		{
			*msg = "unterminated string";
			return NULL;
		}
		switch (p[1])
		{
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				break;
			case 'u':
				if (end - p < 6 || hex_value(p[2]) < 0 || hex_value(p[3]) < 0 ||
					hex_value(p[4]) < 0 || hex_value(p[5]) < 0)
				{
					*msg = "invalid \\u escape";
					return NULL;
				}
				p += 6;
				break;
			default:
				*msg = "invalid escape";
				return NULL;
		}
	}
}

static const char *
check_digits(const char *p, const char *end)
{
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* A number at p: the end of it, or NULL. */
static const char *
check_number(const char *p, const char *end)
{
	if (*p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((p = check_digits(p, end)) == NULL)
		return NULL;
	if (p < end && *p == '.' && (p = check_digits(p + 1, end)) == NULL)
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		p = check_digits(p, end);
	}
	return p;
}

bool
alf_json_validate(const char *s, size_t len, size_t *erroff, const char **errmsg)
{
	const char *p = s;
	const char *end = s + len;
	const char *msg = NULL;
	const char *q;
	char		stack[ALF_JSON_MAX_DEPTH];
	int			depth = 0;

value:
	p = skip_ws(p, end);
	if (p >= end)
	{
		msg = "unexpected end of text";
		goto fail;
	}
	switch (*p)
	{
		case '{':
		case '[':
			if (depth >= ALF_JSON_MAX_DEPTH)
			{
				msg = "nesting too deep";
				goto fail;
			}
			stack[depth++] = *p;
			p = skip_ws(p + 1, end);
			if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']'))
			{
				p++;
				depth--;
				goto after_value;
			}
			if (stack[depth - 1] == '{')
				goto key;
			goto value;
		case '"':
			if ((q = check_string(p, end, &msg)) == NULL)
				goto fail;
			p = q;
			goto after_value;
		case 't':
			if (end - p < 4 || memcmp(p, "true", 4) != 0)
				break;
			p += 4;
			goto after_value;
		case 'f':
			if (end - p < 5 || memcmp(p, "false", 5) != 0)
				break;
			p += 5;
			goto after_value;
		case 'n':
			if (end - p < 4 || memcmp(p, "null", 4) != 0)
				break;
			p += 4;
			goto after_value;
		default:
			if ((*p == '-' || (*p >= '0' && *p <= '9')) && (q = check_number(p, end)) != NULL)
			{
				p = q;
				goto after_value;
			}
			break;
	}
	msg = "invalid token";
	goto fail;

key:
	if (p >= end || *p != '"')
	{
		msg = p >= end ? "unexpected end of text" : "expected a string as object key";
		goto fail;
	}
	if ((q = check_string(p, end, &msg)) == NULL)
		goto fail;
	p = skip_ws(q, end);
	if (p >= end || *p != ':')
	{
		msg = p >= end ? "unexpected end of text" : "expected ':'";
		goto fail;
	}
	p++;
	goto value;

after_value:
	p = skip_ws(p, end);
	if (depth == 0)
	{
		if (p == end)
			return true;
		msg = "end of text expected";
		goto fail;
	}
	if (p >= end)
	{
		msg = "unexpected end of text";
		goto fail;
	}
	if (*p == ',')
	{
		p = skip_ws(p + 1, end);
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (*p == (stack[depth - 1] == '{' ? '}' : ']'))
	{
		p++;
		depth--;
		goto after_value;
	}
	msg = stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'";

fail:
	*erroff = (size_t) (p - s);
	*errmsg = msg;
	return false;
}

/*
 * The end of the (validated) string at p, its opening quote.  strchr finds
 * the next quote fast; one after an odd run of backslashes is escaped.
 */
static inline const char *
skip_string(const char *p, bool *escaped)
{
	const char *start = ++p;

	for (;;)
	{
		const char *q = strchr(p, '"');
		const char *b = q;

		while (b > start && b[-1] == '\\')
			b--;
		if (b < q)
			*escaped = true;
		if (((q - b) & 1) == 0)
			return q + 1;
		p = q + 1;
	}
}

const char *
alf_json_value_at(const char *p, AlfJsonSpan *v)
{
	bool		escaped = false;
	const char *start;
	int			depth;

	while (is_ws(*p))
		p++;
	start = p;
	v->escaped = false;
	switch (*p)
	{
		case '"':
			p = skip_string(p, &escaped);
			v->kind = ALF_JSON_STRING;
			v->p = start + 1;
			v->len = (size_t) (p - start - 2);
			/* a backslash anywhere means escapes (one before the quote was seen) */
			v->escaped = escaped || memchr(v->p, '\\', v->len) != NULL;
			return p;
		case '{':
		case '[':
			v->kind = *p == '{' ? ALF_JSON_OBJECT : ALF_JSON_ARRAY;
			depth = 0;
			for (;;)
			{
				char		c;

				while (!container_stop[(unsigned char) *p])
					p++;
				c = *p;
				if (c == '"')
				{
					p = skip_string(p, &escaped);
					continue;
				}
				p++;
				if (c == '{' || c == '[')
					depth++;
				else if (--depth == 0)
					break;
			}
			break;
		case 't':
			v->kind = ALF_JSON_TRUE;
			p += 4;
			break;
		case 'f':
			v->kind = ALF_JSON_FALSE;
			p += 5;
			break;
		case 'n':
			v->kind = ALF_JSON_NULL;
			p += 4;
			break;
		default:
			v->kind = ALF_JSON_NUMBER;
			while ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' ||
				   *p == 'e' || *p == 'E')
				p++;
			break;
	}
	v->p = start;
	v->len = (size_t) (p - start);
	return p;
}

void
alf_json_iter_begin(AlfJsonIter *it, const AlfJsonSpan *v)
{
	it->p = v->p + 1;
}

bool
alf_json_object_next(AlfJsonIter *it, AlfJsonSpan *key, AlfJsonSpan *value)
{
	const char *p = it->p;

	while (is_ws(*p))
		p++;
	if (*p == '}')
	{
		it->p = p;
		return false;
	}
	if (*p == ',')
		p++;
	p = alf_json_value_at(p, key);
	while (*p != ':')
		p++;
	it->p = alf_json_value_at(p + 1, value);
	return true;
}

bool
alf_json_array_next(AlfJsonIter *it, AlfJsonSpan *value)
{
	const char *p = it->p;

	while (is_ws(*p))
		p++;
	if (*p == ']')
	{
		it->p = p;
		return false;
	}
	if (*p == ',')
		p++;
	it->p = alf_json_value_at(p, value);
	return true;
}

bool
alf_json_key_equals(const AlfJsonSpan *s, const char *t, size_t tlen)
{
	char		buf[512];

	if (!s->escaped)
		return s->len == tlen && memcmp(s->p, t, tlen) == 0;
	if (s->len > sizeof(buf) || tlen > s->len)
		return false;
	return alf_json_unescape(s, buf) == tlen && memcmp(buf, t, tlen) == 0;
}

/* c as UTF-8 at out; returns the bytes written */
static size_t
put_utf8(unsigned long c, char *out)
{
	if (c < 0x80)
	{
		out[0] = (char) c;
		return 1;
	}
	if (c < 0x800)
	{
		out[0] = (char) (0xC0 | (c >> 6));
		out[1] = (char) (0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000)
	{
		out[0] = (char) (0xE0 | (c >> 12));
		out[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		out[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (c >> 18));
	out[1] = (char) (0x80 | ((c >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((c >> 6) & 0x3F));
	out[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

static unsigned long
hex4_at(const char *p)
{
	return (unsigned long) ((hex_value(p[0]) << 12) | (hex_value(p[1]) << 8) |
							(hex_value(p[2]) << 4) | hex_value(p[3]));
}

size_t
alf_json_unescape(const AlfJsonSpan *s, char *out)
{
	const char *p = s->p;
	const char *end = s->p + s->len;
	size_t		o = 0;

	if (!s->escaped)
	{
		memcpy(out, p, s->len);
		return s->len;
	}
	while (p < end)
	{
		const char *bs = memchr(p, '\\', (size_t) (end - p));
		unsigned long c;

		if (bs == NULL)
			bs = end;
		memcpy(out + o, p, (size_t) (bs - p));
		o += (size_t) (bs - p);
		p = bs;
		if (p >= end)
			break;
		switch (p[1])
		{
			case 'b':
				out[o++] = '\b';
				break;
			case 'f':
				out[o++] = '\f';
				break;
			case 'n':
				out[o++] = '\n';
				break;
			case 'r':
				out[o++] = '\r';
				break;
			case 't':
				out[o++] = '\t';
				break;
			case 'u':
				c = hex4_at(p + 2);
				p += 6;
				if (c >= 0xD800 && c <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u')
				{
					unsigned long low = hex4_at(p + 2);

					if (low >= 0xDC00 && low <= 0xDFFF)
					{
						c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
						p += 6;
					}
				}
				/* a lone surrogate, or NUL: neither is text */
				if (c == 0 || (c >= 0xD800 && c <= 0xDFFF))
					c = 0xFFFD;
				o += put_utf8(c, out + o);
				continue;
			default:			/* '"', '\\', '/' */
				out[o++] = p[1];
				break;
		}
		p += 2;
	}
	return o;
}

size_t
alf_json_compact(const char *p, size_t len, char *out)
{
	const char *end = p + len;
	size_t		o = 0;

	while (p < end)
	{
		if (*p == '"')
		{
			bool		escaped = false;
			const char *q = skip_string(p, &escaped);

			memcpy(out + o, p, (size_t) (q - p));
			o += (size_t) (q - p);
			p = q;
			continue;
		}
		if (!is_ws(*p))
			out[o++] = *p;
		p++;
	}
	return o;
}
