// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A fake test program for tests/lib/test_harness.sh: each test below ends
 * in a known state, so the lines and totals harness.c prints, and what
 * scripts/run-tests.sh counts from them, can be checked. Never run by
 * run-tests.sh directly: half of these tests fail on purpose.
 * With "probe" as argument it also runs the kernel probes (root needed).
 */
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "probe.h"

static void pass(void)
{
	ASSERT_EQ(1 + 1, 2, "sum");
}

static void fail(void)
{
	ASSERT_EQ(1 + 1, 3, "sum");
}

static void skip(void)
{
	test__skip("the kernel lacks a feature");
}

static void skip_no_reason(void)
{
	test__skip("");
}

static void skip_after_fail(void)
{
	ASSERT_TRUE(false, "a failure");
	test__skip("hides the failure");
}

static void fail_after_skip(void)
{
	test__skip("the kernel lacks a feature");
	ASSERT_TRUE(false, "a failure");
}

/* subs/a passes, subs/b skips, subs/c fails. */
static void subs(void)
{
	test__start_subtest("a");
	test__start_subtest("b");
	test__skip("no helper");
	test__start_subtest("c");
	ASSERT_STR_CONTAINS("abc", "x", "needle");
}

/* Far past the last helper id (211 in Linux 6.18; the set is frozen). */
#define NO_SUCH_HELPER 4096

/* probes/present passes, probes/absent skips. */
static void probes(void)
{
	test__start_subtest("present");
	ASSERT_TRUE(test__require_helper(BPF_PROG_TYPE_XDP,
					 BPF_FUNC_map_lookup_elem,
					 "bpf_map_lookup_elem"),
		    "map_lookup_elem in XDP");
	test__start_subtest("absent");
	test__require_helper(BPF_PROG_TYPE_XDP, NO_SUCH_HELPER, "none");
}

int main(int argc, char **argv)
{
	RUN_TEST(pass);
	RUN_TEST(fail);
	RUN_TEST(skip);
	RUN_TEST(skip_no_reason);
	RUN_TEST(skip_after_fail);
	RUN_TEST(fail_after_skip);
	RUN_TEST(subs);
	if (argc > 1 && !strcmp(argv[1], "probe"))
		RUN_TEST(probes);
	return test__summary();
}
