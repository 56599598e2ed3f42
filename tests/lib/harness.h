/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The counting shared by the C test programs (tests/unit/test_*, and the
 * BPF runner tests/bpf/runner.c). A test is a function run by
 * test__run(). It may open subtests with test__start_subtest(); each
 * subtest then gets one line, else the test gets one line for itself:
 *   PASS name[/subtest]
 *   FAIL name[/subtest]           (an ASSERT_* failed, see asserts.h)
 *   SKIP name[/subtest]: reason   (test__skip(): a kernel feature is missing)
 * test__summary() prints "N passed, N failed, N skipped" and returns the
 * exit status. scripts/run-tests.sh counts the lines.
 */
#ifndef CANARY_TEST_HARNESS_H
#define CANARY_TEST_HARNESS_H

#include "asserts.h"

/* Runs test @fn under @name and prints its line(s). */
void test__run(const char *name, void (*fn)(void));
#define RUN_TEST(fn) test__run(#fn, fn)

/* Ends the open subtest, if any, and opens subtest @name. */
void test__start_subtest(const char *name);

/*
 * Marks the running (sub)test skipped because this kernel lacks a feature it
 * needs; @reason says which, and is printed. Only for a missing kernel
 * feature that a probe found (see probe.h), never to hide a failure: an
 * assertion that failed before or after still makes it FAIL, and an empty
 * or NULL @reason is itself a failure. The caller returns after it.
 */
void test__skip(const char *reason);

/* Ends the last test; prints the totals. Returns 1 if anything failed. */
int test__summary(void);

#endif /* CANARY_TEST_HARNESS_H */
