/*
 * zia_obfuscate.h - the ZIA legacy login's API key obfuscation.
 *
 * POST /api/v1/authenticatedSession does not take the API key itself but a
 * 12-character selection of it that depends on the login's timestamp
 * (vendors.md section 1.2 item 5, as in Zscaler's own SDK):
 *	 n = the last 6 digits of the millisecond timestamp,
 *	 r = n >> 1, left-padded with zeros to 6 digits,
 *	 key[d] for each digit d of n, then key[d + 2] for each digit d of r.
 *
 * Pure C99, no allocation: the unit tests drive it directly.
 */
#ifndef ALF_ZIA_OBFUSCATE_H
#define ALF_ZIA_OBFUSCATE_H

#include <stddef.h>

#define ALF_ZIA_OBFUSCATED_LEN 12

/*
 * Writes the obfuscated key and a NUL to out (at least 13 bytes).
 * timestamp is the decimal millisecond timestamp sent with the login.
 * Returns 0, or -1 (out set to "" when outlen > 0) if the key is shorter than 12
 * characters or the timestamp is not at least 6 decimal digits.
 */
extern int	alf_zia_obfuscate_key(const char *api_key, const char *timestamp,
								  char *out, size_t outlen);

#endif							/* ALF_ZIA_OBFUSCATE_H */
