// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Wall time and peak RSS of one command, for the control-plane benchmarks:
 * the clock starts just before fork() and stops when wait4() returns, so
 * it covers exec, dynamic linking, the command's work and its exit.
 *
 *   timeexec CMD [ARGS...]
 *
 * Prints wall_us=, maxrss_kb= (from wait4's rusage) and rc=; the command's
 * own output goes to /dev/null. Exits with the command's status.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int status, fd;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: timeexec CMD [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("wall_us=%.0f\nmaxrss_kb=%ld\nrc=%d\n",
	       (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3,
	       ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
