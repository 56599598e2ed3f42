/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel feature probes for the BPF tests: the only grounds on which a test
 * may skip (test__skip() in harness.h). A probe skips the running (sub)test
 * when the feature is missing, with a reason naming it, and returns false;
 * the caller then returns. A probe that cannot tell fails the test instead.
 */
#ifndef CANARY_TEST_PROBE_H
#define CANARY_TEST_PROBE_H

#include <stdbool.h>
#include <linux/bpf.h>

/* Needs BPF helper @id (called @name in the reason) in programs of @type. */
bool test__require_helper(enum bpf_prog_type type, enum bpf_func_id id,
			  const char *name);

#endif /* CANARY_TEST_PROBE_H */
