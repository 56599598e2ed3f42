/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared bits of the libFuzzer targets (tests/fuzz/fuzz_*.c). Each target
 * feeds its input to one user-space parser under ASan and UBSan and checks
 * the parser's contract: FUZZ_CHECK aborts, so libFuzzer saves the input.
 */
#ifndef CANARY_FUZZ_H
#define CANARY_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check '%s' failed\n",      \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/* A NUL-terminated heap copy of @size bytes at @data (an exact-size
 * allocation, so ASan sees any read past the string). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* CANARY_FUZZ_H */
