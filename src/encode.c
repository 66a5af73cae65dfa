/*-------------------------------------------------------------------------
 * encode.c
 *	  Base64 and base64url (RFC 4648) for auth headers and JWTs.
 *
 * Kept here rather than using common/base64.h, whose signature changed
 * across PostgreSQL releases.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "vendors/vendor.h"

static char *
alf_base64_with(const char *data, size_t len, const char *alphabet, bool pad)
{
	const unsigned char *in = (const unsigned char *) data;
	char	   *out = palloc(((len + 2) / 3) * 4 + 1);
	char	   *p = out;
	size_t		i;

	for (i = 0; i + 2 < len; i += 3)
	{
		*p++ = alphabet[in[i] >> 2];
		*p++ = alphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
		*p++ = alphabet[((in[i + 1] & 0x0f) << 2) | (in[i + 2] >> 6)];
		*p++ = alphabet[in[i + 2] & 0x3f];
	}
	if (i < len)
	{
		*p++ = alphabet[in[i] >> 2];
		if (i + 1 < len)
		{
			*p++ = alphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
			*p++ = alphabet[(in[i + 1] & 0x0f) << 2];
		}
		else
		{
			*p++ = alphabet[(in[i] & 0x03) << 4];
			if (pad)
				*p++ = '=';
		}
		if (pad)
			*p++ = '=';
	}
	*p = '\0';
	return out;
}

char *
alf_base64(const char *data, size_t len)
{
	return alf_base64_with(data, len,
						   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}

char *
alf_base64url(const char *data, size_t len)
{
	return alf_base64_with(data, len,
						   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}
