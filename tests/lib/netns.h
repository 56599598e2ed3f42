/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * For BPF tests that need real devices and routes (the FIB, tc's
 * forwarding): a network namespace of the test's own, entered by the
 * runner's thread and left when the test ends (which deletes it and its
 * devices), with the thread held on one CPU meanwhile, so that per-CPU
 * maps (the FIB cache, XDP's notes to tc) see every packet on the same
 * one, as the kernel runs XDP and tc for a packet.
 */
#ifndef CANARY_TEST_NETNS_H
#define CANARY_TEST_NETNS_H

#include <sched.h> /* cpu_set_t: the includer defines _GNU_SOURCE */
#include <stdbool.h>

struct test_netns {
	int orig;          /* the namespace to go back to, or -1 */
	bool pinned;       /* cpus holds the affinity to restore */
	cpu_set_t cpus;
};

/* Pins the thread to its current CPU and unshares a network namespace.
 * Asserts each step; returns false when one failed. netns_leave() undoes
 * whatever was done, in either case. */
bool netns_enter(struct test_netns *ns);
void netns_leave(struct test_netns *ns);

/* Runs the shell command printf builds from @fmt; true when it exited 0
 * (else the command and its status go to stderr). */
bool sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* CANARY_TEST_NETNS_H */
