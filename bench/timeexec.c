// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Wall time and peak RSS of one command, for the control-plane benchmarks:
 * the clock starts just before fork() and stops when wait4() returns, so
 * it covers exec, dynamic linking, the command's work and its exit.
 *
 *   timeexec [--gen-map PATH] CMD [ARGS...]
 *
 * Prints wall_us=, maxrss_kb= (from wait4's rusage) and rc=; the command's
 * own output goes to /dev/null. Exits with the command's status.
 *
 * With --gen-map (a pinned canary_gen), also visible_us=: from the start
 * to the generation flip that made the command's change live. canary-bpf
 * stamps each flip in canary_gen (prev_until_ns - grace_ns, taken on the
 * same CLOCK_MONOTONIC just before its last writes: the VIP bitmap and the
 * flip, tens of microseconds), so this is read back
 * after the command exits; -1 when the command flipped nothing.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/types.h>
#include "canary.h"

static double us_since(const struct timespec *a, __u64 ns)
{
	return (ns - (a->tv_sec * 1000000000ull + a->tv_nsec)) / 1e3;
}

/* The stamp of the last flip in the pinned canary_gen @path, 0 if none. */
static __u64 flip_ns(const char *path)
{
	struct canary_genstate gs = {};
	__u32 zero = 0;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &gs) || !gs.prev_until_ns)
		gs.prev_until_ns = gs.grace_ns = 0;
	close(fd);
	return gs.prev_until_ns - gs.grace_ns;
}

int main(int argc, char **argv)
{
	const char *gen_map = NULL;
	struct timespec a, b;
	struct rusage ru;
	int status, fd, i = 1;
	__u64 before = 0, after;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "--gen-map")) {
		gen_map = argv[2];
		i = 3;
		before = flip_ns(gen_map);
	}
	if (argc <= i) {
		fprintf(stderr, "usage: timeexec [--gen-map PATH] CMD [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execvp(argv[i], argv + i);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("wall_us=%.0f\nmaxrss_kb=%ld\nrc=%d\n",
	       (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3,
	       ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	if (gen_map) {
		after = flip_ns(gen_map);
		if (after && after != before)
			printf("visible_us=%.0f\n", us_since(&a, after));
		else
			printf("visible_us=-1\n");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
