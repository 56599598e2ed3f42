/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A tiny harness for the user-space unit tests. Each test file defines
 * test functions and a main() that calls RUN(fn) for each; a check that
 * fails prints where and why and marks the test failed. Output: one
 * "PASS name" or "FAIL name" line per test, then "N passed, N failed".
 */
#ifndef CANARY_UNIT_H
#define CANARY_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;
static bool unit_ok;

#define CHECK(cond, fmt, ...)                                              \
	({                                                                 \
		bool __c = (cond);                                         \
		if (!__c) {                                                \
			unit_ok = false;                                   \
			fprintf(stderr, "  %s:%d: check '%s' failed: " fmt "\n", \
				__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
		}                                                          \
		__c;                                                       \
	})

#define CHECK_EQ(a, b)                                                     \
	CHECK((long long)(a) == (long long)(b), "%lld != %lld",           \
	      (long long)(a), (long long)(b))

#define CHECK_STR_CONTAINS(hay, needle)                                    \
	CHECK(strstr((hay), (needle)) != NULL, "'%s' lacks '%s'", (hay),  \
	      (needle))

#define RUN(fn)                                                            \
	do {                                                               \
		unit_ok = true;                                            \
		fn();                                                      \
		printf("%s %s\n", unit_ok ? "PASS" : "FAIL", #fn);         \
		if (unit_ok)                                               \
			unit_passed++;                                     \
		else                                                       \
			unit_failed++;                                     \
	} while (0)

#define UNIT_DONE()                                                        \
	({                                                                 \
		printf("%d passed, %d failed\n", unit_passed, unit_failed); \
		unit_failed ? 1 : 0;                                       \
	})

#endif /* CANARY_UNIT_H */
