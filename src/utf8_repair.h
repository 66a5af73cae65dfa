/*
 * utf8_repair.h - make vendor bytes valid UTF-8 text without losing a record.
 *
 * A vendor body may carry one poisoned record: a NUL byte, an invalid UTF-8
 * sequence, or (in JSON) a \u0000 escape, a lone surrogate escape or a raw
 * control character inside a string.  Rejecting the body would make the
 * whole page or report, and so a whole time window, unreadable; instead each
 * such spot is replaced by U+FFFD (REPLACEMENT CHARACTER) and counted, so
 * the caller can warn and read the other records unchanged.
 *
 * Pure C99, no PostgreSQL headers, no allocation: the caller provides the
 * output buffer.
 */
#ifndef ALF_UTF8_REPAIR_H
#define ALF_UTF8_REPAIR_H

#include <stddef.h>

/* Output never exceeds this many bytes for len input bytes. */
#define ALF_UTF8_REPAIR_MAX(len) ((len) * 3)

/*
 * Copy in[0..len) to out, replacing every NUL byte and every byte that does
 * not start a valid UTF-8 sequence by U+FFFD (EF BF BD).  With json set, the
 * input is taken as JSON text: inside string literals a raw control
 * character becomes U+FFFD and a \u0000 escape or an unpaired surrogate
 * escape becomes \uFFFD; everything outside strings is only checked as
 * UTF-8.  Returns the output length (out is not NUL-terminated); *nrepaired
 * (if not NULL) receives the number of replacements.  With out NULL, only
 * counts: call so first to size the buffer (it holds at most
 * ALF_UTF8_REPAIR_MAX(len) bytes).
 */
extern size_t alf_utf8_repair(const char *in, size_t len, char *out, int json,
							  int *nrepaired);

/* Number of bytes of the valid UTF-8 character at s[0..len), or 0. */
extern int	alf_utf8_char_len(const unsigned char *s, size_t len);

#endif							/* ALF_UTF8_REPAIR_H */
