// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Result lines and totals of the C test programs; see harness.h. */
#include <stdio.h>

#include "harness.h"

enum result { R_PASS, R_FAIL, R_SKIP };

static const char *cur_test = "setup";
static char cur_name[256]; /* "test" or "test/subtest" */
static char skip_reason[256];
static bool unit_open; /* a test or subtest awaits its line */
static bool in_subtest;
static enum result result;
static int n_pass, n_fail, n_skip;

/* Prints the line of the open test or subtest. */
static void end_unit(void)
{
	if (!unit_open)
		return;
	unit_open = false;
	switch (result) {
	case R_PASS:
		printf("PASS %s\n", cur_name);
		n_pass++;
		break;
	case R_FAIL:
		printf("FAIL %s\n", cur_name);
		n_fail++;
		break;
	case R_SKIP:
		printf("SKIP %s: %s\n", cur_name, skip_reason);
		n_skip++;
		break;
	}
	fflush(stdout);
}

static void open_unit(const char *sub)
{
	end_unit();
	if (sub)
		snprintf(cur_name, sizeof(cur_name), "%s/%s", cur_test, sub);
	else
		snprintf(cur_name, sizeof(cur_name), "%s", cur_test);
	in_subtest = sub != NULL;
	unit_open = true;
	result = R_PASS;
}

void test__run(const char *name, void (*fn)(void))
{
	end_unit();
	cur_test = name;
	open_unit(NULL);
	fn();
	end_unit();
	cur_test = "teardown";
}

/* A test that opens subtests has one line per subtest; the work before
 * the first one only gets a line of its own if it failed or skipped. */
void test__start_subtest(const char *name)
{
	if (unit_open && !in_subtest && result == R_PASS)
		unit_open = false;
	open_unit(name);
}

void test__fail(void)
{
	if (!unit_open)
		open_unit(NULL);
	result = R_FAIL;
}

void test__skip(const char *reason)
{
	if (!unit_open)
		open_unit(NULL);
	if (!reason || !*reason) {
		fprintf(stderr, "  %s: skipped without a reason\n", cur_name);
		result = R_FAIL;
		return;
	}
	if (result == R_FAIL) {
		fprintf(stderr, "  %s: not skipped (%s): it failed already\n",
			cur_name, reason);
		return;
	}
	snprintf(skip_reason, sizeof(skip_reason), "%s", reason);
	result = R_SKIP;
}

int test__summary(void)
{
	end_unit();
	printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
