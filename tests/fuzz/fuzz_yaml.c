// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The `apply -f` loader (user/core/config_yaml.c) on arbitrary files. A file
 * it accepts must be a valid config; one it refuses gets a message. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "core/config_yaml.h"
#include "fuzz.h"

/* The input as a file: a memfd, reached by its /proc path. */
static const char *as_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz.yaml", 0);
		FUZZ_CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = as_file(data, size);
	struct canary_config cfg;
	struct canary_err err = { .msg = "" };
	int ret;

	config_init(&cfg);
	ret = yaml_load_config(path, &cfg, &err);
	if (ret == 0) {
		FUZZ_CHECK(config_validate(&cfg, &err) == 0);
	} else {
		FUZZ_CHECK(ret < 0);
		FUZZ_CHECK(cfg.n_services == 0);
		/* "FILE:LINE:COLUMN: reason" */
		FUZZ_CHECK(!strncmp(err.msg, path, strlen(path)));
	}
	config_free(&cfg);
	return 0;
}
