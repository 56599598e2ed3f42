// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A test's own network namespace on one CPU; see netns.h. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "netns.h"

bool netns_enter(struct test_netns *ns)
{
	cpu_set_t one;

	ns->orig = -1;
	ns->pinned = false;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(ns->cpus), &ns->cpus), "affinity"))
		return false;
	ns->pinned = true;
	if (!ASSERT_OK(sched_setaffinity(0, sizeof(one), &one), "one CPU"))
		return false;
	ns->orig = open("/proc/self/ns/net", O_RDONLY);
	return ASSERT_TRUE(ns->orig >= 0, "save netns") &&
	       ASSERT_OK(unshare(CLONE_NEWNET), "own netns");
}

void netns_leave(struct test_netns *ns)
{
	if (ns->pinned)
		sched_setaffinity(0, sizeof(ns->cpus), &ns->cpus);
	if (ns->orig >= 0) {
		/* Leaving the namespace deletes it and its devices. */
		ASSERT_OK(setns(ns->orig, CLONE_NEWNET), "restore netns");
		close(ns->orig);
	}
	ns->orig = -1;
	ns->pinned = false;
}

bool sys(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret)
		fprintf(stderr, "  command failed (%d): %s\n", ret, cmd);
	return ret == 0;
}
