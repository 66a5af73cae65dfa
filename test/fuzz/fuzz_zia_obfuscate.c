/*
 * fuzz_zia_obfuscate.c - src/vendors/zia_obfuscate.c: the first input
 * byte splits the rest into API key and timestamp.
 *
 * Properties: success only for a key of 12+ characters and a timestamp of
 * 6+ digits; the result is 12 characters, each taken from the key's first
 * 12 (the selection indexes are digits 0..9 and 2..11); failure leaves "".
 */
#include "fuzz.h"

#include "vendors/zia_obfuscate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *key;
	char	   *ts;
	size_t		split;
	char		out[ALF_ZIA_OBFUSCATED_LEN + 1];
	char		small[ALF_ZIA_OBFUSCATED_LEN];
	int			rc;
	int			i;

	if (size < 1)
		return 0;
	split = data[0] % size;
	key = fuzz_strndup(data + 1, split);
	ts = fuzz_strndup(data + 1 + split, size - 1 - split);

	rc = alf_zia_obfuscate_key(key, ts, out, sizeof(out));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
	{
		FUZZ_CHECK(strlen(key) >= 12 && strlen(ts) >= 6);
		FUZZ_CHECK(strspn(ts, "0123456789") == strlen(ts));
		FUZZ_CHECK(strlen(out) == ALF_ZIA_OBFUSCATED_LEN);
		for (i = 0; i < ALF_ZIA_OBFUSCATED_LEN; i++)
			FUZZ_CHECK(memchr(key, out[i], 12) != NULL);
	}
	else
		FUZZ_CHECK(out[0] == '\0');
	FUZZ_CHECK(alf_zia_obfuscate_key(key, ts, small, sizeof(small)) == -1 && small[0] == '\0');
	free(key);
	free(ts);
	return 0;
}
