/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The assertions of every C test, unit and BPF (after the kernel selftests'
 * test_progs.h). Each ASSERT_* checks one thing; when it fails it marks the
 * running test failed (test__fail(), see harness.h) and prints one line
 * "  file:line: what: <the expression and its values>" on stderr. Each
 * returns whether the check held, so a caller can `goto cleanup`.
 *
 * @what names the check. It is a plain string, never a format, and is only
 * evaluated when the check fails, so it may be a buffer the code under test
 * filled (an error message). ASSERT_TRUE_FMT takes a printf format instead,
 * for a failure that needs values the expression does not show.
 */
#ifndef CANARY_TEST_ASSERTS_H
#define CANARY_TEST_ASSERTS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Marks the running test (or subtest) failed; defined by harness.c, or by
 * a program that borrows the helpers of tests/lib (bench/bench.c). */
void test__fail(void);

#define __ASSERT_FAILED(fmt, ...)                                          \
	do {                                                               \
		test__fail();                                              \
		fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__,  \
			##__VA_ARGS__);                                    \
	} while (0)

#define ASSERT_TRUE(cond, what)                                            \
	({                                                                 \
		bool __ok = (cond);                                        \
		if (!__ok)                                                 \
			__ASSERT_FAILED("%s: '%s' is false", (what), #cond); \
		__ok;                                                      \
	})

/* ASSERT_TRUE with a printf message; its arguments are evaluated only when
 * the check fails. */
#define ASSERT_TRUE_FMT(cond, fmt, ...)                                    \
	({                                                                 \
		bool __ok = (cond);                                        \
		if (!__ok)                                                 \
			__ASSERT_FAILED(fmt ": '%s' is false", ##__VA_ARGS__, \
					#cond);                            \
		__ok;                                                      \
	})

#define ASSERT_EQ(actual, expected, what)                                  \
	({                                                                 \
		long long __a = (long long)(actual);                       \
		long long __e = (long long)(expected);                     \
		bool __ok = __a == __e;                                    \
		if (!__ok)                                                 \
			__ASSERT_FAILED("%s: got %lld, want %lld", (what), \
					__a, __e);                         \
		__ok;                                                      \
	})

#define ASSERT_LE(actual, bound, what)                                     \
	({                                                                 \
		double __a = (double)(actual), __b = (double)(bound);      \
		bool __ok = __a <= __b;                                    \
		if (!__ok)                                                 \
			__ASSERT_FAILED("%s: %g > %g", (what), __a, __b);  \
		__ok;                                                      \
	})

/* A call that returns 0 or a negative errno. */
#define ASSERT_OK(err, what) ASSERT_EQ((err), 0, (what))

#define ASSERT_MEM_EQ(a, b, len, what)                                     \
	({                                                                 \
		bool __ok = memcmp((a), (b), (len)) == 0;                  \
		if (!__ok)                                                 \
			__ASSERT_FAILED("%s: bytes differ", (what));       \
		__ok;                                                      \
	})

#define ASSERT_STR_CONTAINS(hay, needle, what)                             \
	({                                                                 \
		const char *__h = (hay), *__n = (needle);                  \
		bool __ok = __h && __n && strstr(__h, __n);                \
		if (!__ok)                                                 \
			__ASSERT_FAILED("%s: '%s' lacks '%s'", (what),     \
					__h ? __h : "(null)",              \
					__n ? __n : "(null)");             \
		__ok;                                                      \
	})

#endif /* CANARY_TEST_ASSERTS_H */
