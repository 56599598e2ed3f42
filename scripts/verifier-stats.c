// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loads every program of a BPF object with the verifier's statistics log
 * (log level 4, BPF_LOG_STATS) and prints one line per program: processed
 * instructions, peak and total states, verified_insns, xlated and jited
 * bytes. Built and run by scripts/verifier-stats.sh, which gives it a
 * private bpffs for the object's pinned maps.
 *
 *   verifier-stats OBJECT PIN_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1 << 20)

/* The value after @key in the verifier's stats line, or -1. */
static long stat_of(const char *log, const char *key)
{
	const char *s = strstr(log, key);

	return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_program *prog;
	struct bpf_object *obj;
	char *logs[64] = {};
	int n = 0, i, err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJECT PIN_DIR\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet);
	opts.pin_root_path = argv[2];
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		fprintf(stderr, "Couldn't open '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (n == 64)
			break;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			return 1;
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		bpf_program__set_log_level(prog, 4);
		n++;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "Couldn't load '%s': %s\n", argv[1], strerror(-err));
		return 1;
	}
	printf("%-22s %9s %8s %8s %9s %8s %8s\n", "program", "insns", "states",
	       "peak", "verified", "xlated", "jited");
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (i == n)
			break;
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			return 1;
		printf("%-22s %9ld %8ld %8ld %9u %8u %8u\n", bpf_program__name(prog),
		       stat_of(logs[i], "processed "),
		       stat_of(logs[i], "total_states "),
		       stat_of(logs[i], "peak_states "), info.verified_insns,
		       info.xlated_prog_len, info.jited_prog_len);
		i++;
	}
	bpf_object__close(obj);
	return 0;
}
