/*
 * utf8_repair.c - replace what would poison a vendor body (see utf8_repair.h).
 */
#include "utf8_repair.h"

#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD";

/*
 * Bytes that need no look, outside JSON strings (and in non-JSON text):
 * ASCII but NUL, quote and backslash; inside JSON strings also no control
 * characters.
 */
static unsigned char plain_outside[256];
static unsigned char plain_inside[256];
static int	plain_ready;

static void
plain_init(void)
{
	int			c;

	for (c = 1; c < 0x80; c++)
	{
		plain_outside[c] = c != '"' && c != '\\';
		plain_inside[c] = plain_outside[c] && c >= 0x20;
	}
	plain_ready = 1;
}

int
alf_utf8_char_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	int			n;
	int			i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F;			/* no surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;			/* nothing above U+10FFFF */
	}
	else
		return 0;
	if ((size_t) n > len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* Value of 4 hex digits at s, or -1. */
static long
hex4(const unsigned char *s)
{
	long		v = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		int			c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Bytes of the \u escape (four hex digits, or a surrogate pair of them) at in[0..len) to copy as
 * they are, or 0 if it must become \uFFFD.  Malformed escapes are copied
 * (6 bytes, or what is left) for the parser to reject.
 */
static size_t
json_u_escape(const unsigned char *in, size_t len)
{
	long		v;
	long		low;

	if (len < 6 || (v = hex4(in + 2)) < 0)
		return len < 6 ? len : 6;
	if (v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
		return 0;
	if (v < 0xD800 || v > 0xDBFF)
		return 6;
	if (len >= 12 && in[6] == '\\' && in[7] == 'u' &&
		(low = hex4(in + 8)) >= 0xDC00 && low <= 0xDFFF)
		return 12;
	return 0;
}

size_t
alf_utf8_repair(const char *input, size_t len, char *output, int json, int *nrepaired)
{
	const unsigned char *in = (const unsigned char *) input;
	unsigned char *out = (unsigned char *) output;
	size_t		i = 0;
	size_t		o = 0;
	int			n = 0;
	int			in_string = 0;

	if (!plain_ready)
		plain_init();
	while (i < len)
	{
		unsigned char c = in[i];
		int			k;

		/*
		 * Fast path (most of a body): a run of printable ASCII other than
		 * quote and backslash, plus control characters outside strings,
		 * needs no look.
		 */
		if ((in_string ? plain_inside : plain_outside)[c])
		{
			const unsigned char *plain = in_string ? plain_inside : plain_outside;
			size_t		j = i + 1;

			while (j < len && plain[in[j]])
				j++;
			if (out)
				memcpy(out + o, in + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		if (json && in_string)
		{
			if (c == '\\' && i + 1 < len && in[i + 1] == 'u')
			{
				size_t		keep = json_u_escape(in + i, len - i);

				if (keep == 0)
				{
					if (out)
						memcpy(out + o, "\\uFFFD", 6);
					o += 6;
					n++;
					/* a lone high surrogate: only its own 6 bytes */
					i += 6;
				}
				else
				{
					if (out)
						memcpy(out + o, in + i, keep);
					o += keep;
					i += keep;
				}
				continue;
			}
			if (c == '\\' && i + 1 < len && in[i + 1] < 0x80 && in[i + 1] >= 0x20)
			{
				if (out)
				{
					out[o] = c;
					out[o + 1] = in[i + 1];
				}
				o += 2;
				i += 2;
				continue;
			}
			if (c == '"')
				in_string = 0;
		}
		else if (json && c == '"')
			in_string = 1;
		/* NUL, a raw control character inside a JSON string, bad UTF-8 */
		k = (c == 0 || (in_string && c < 0x20)) ? 0 : alf_utf8_char_len(in + i, len - i);
		if (k == 0)
		{
			if (out)
				memcpy(out + o, replacement, 3);
			o += 3;
			n++;
			i++;
			continue;
		}
		if (out)
			memcpy(out + o, in + i, k);
		o += k;
		i += k;
	}
	if (nrepaired)
		*nrepaired = n;
	return o;
}
