/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The BPF test runner's API (after the kernel selftests' test_progs.h).
 * Each tests/bpf/test_<name>.c defines void test_<name>(void), found by the
 * Makefile. A test is made of subtests: test__start_subtest("x") opens
 * one, ASSERT_* fail the current one and return false so the caller can
 * `goto cleanup`. Output: "PASS name/subtest" or "FAIL name/subtest".
 */
#ifndef CANARY_BPF_TEST_H
#define CANARY_BPF_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void test__start_subtest(const char *name);
void test__fail(void);

#define ASSERT_TRUE(cond, what)                                            \
	({                                                                 \
		bool __ok = (cond);                                        \
		if (!__ok) {                                               \
			test__fail();                                      \
			fprintf(stderr, "  %s:%d: %s: expected true\n",    \
				__FILE__, __LINE__, (what));               \
		}                                                          \
		__ok;                                                      \
	})

#define ASSERT_EQ(actual, expected, what)                                  \
	({                                                                 \
		long long __a = (long long)(actual);                       \
		long long __e = (long long)(expected);                     \
		bool __ok = __a == __e;                                    \
		if (!__ok) {                                               \
			test__fail();                                      \
			fprintf(stderr, "  %s:%d: %s: got %lld, want %lld\n", \
				__FILE__, __LINE__, (what), __a, __e);     \
		}                                                          \
		__ok;                                                      \
	})

#define ASSERT_LE(actual, bound, what)                                     \
	({                                                                 \
		double __a = (double)(actual), __b = (double)(bound);      \
		bool __ok = __a <= __b;                                    \
		if (!__ok) {                                               \
			test__fail();                                      \
			fprintf(stderr, "  %s:%d: %s: %g > %g\n", __FILE__, \
				__LINE__, (what), __a, __b);               \
		}                                                          \
		__ok;                                                      \
	})

#define ASSERT_OK(err, what) ASSERT_EQ((err), 0, (what))

#define ASSERT_MEM_EQ(a, b, len, what)                                     \
	({                                                                 \
		bool __ok = memcmp((a), (b), (len)) == 0;                  \
		if (!__ok) {                                               \
			test__fail();                                      \
			fprintf(stderr, "  %s:%d: %s: bytes differ\n",     \
				__FILE__, __LINE__, (what));               \
		}                                                          \
		__ok;                                                      \
	})

#endif /* CANARY_BPF_TEST_H */
