/*
 * fuzz.h - shared helpers of the libFuzzer targets in test/fuzz.
 *
 * A target checks properties of the code under test, not only memory
 * safety: FUZZ_CHECK aborts with the failed property, which libFuzzer
 * reports as a crash and saves the input.
 */
#ifndef ALF_FUZZ_H
#define ALF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* A NUL-terminated copy of the input (the C APIs take strings). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif							/* ALF_FUZZ_H */
