/*
 * zia_obfuscate.c - the ZIA legacy login's API key obfuscation.
 */
#include "zia_obfuscate.h"

#include <string.h>

int
alf_zia_obfuscate_key(const char *api_key, const char *timestamp, char *out, size_t outlen)
{
	size_t		klen;
	size_t		tlen;
	const char *n;
	long		value = 0;
	long		r;
	char		rdigits[7];
	int			i;

	if (out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if (outlen <= ALF_ZIA_OBFUSCATED_LEN || api_key == NULL || timestamp == NULL)
		return -1;
	klen = strlen(api_key);
	tlen = strlen(timestamp);
	if (klen < 12 || tlen < 6)
		return -1;
	for (i = 0; i < (int) tlen; i++)
		if (timestamp[i] < '0' || timestamp[i] > '9')
			return -1;
	n = timestamp + tlen - 6;
	for (i = 0; i < 6; i++)
		value = value * 10 + (n[i] - '0');
	r = value >> 1;
	for (i = 5; i >= 0; i--)
	{
		rdigits[i] = (char) ('0' + r % 10);
		r /= 10;
	}
	rdigits[6] = '\0';
	for (i = 0; i < 6; i++)
		out[i] = api_key[n[i] - '0'];
	for (i = 0; i < 6; i++)
		out[6 + i] = api_key[rdigits[i] - '0' + 2];
	out[12] = '\0';
	return 0;
}
