// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "util/log.h"

static enum log_level cur_level = LOG_WARN;
static int libbpf_silent;

void log_set_level(enum log_level level)
{
	cur_level = level;
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf warnings show at -v, its info at -vv, its debug never. */
	enum log_level ours = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;

	if (libbpf_silent || level == LIBBPF_DEBUG || ours > cur_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

void log_silence_libbpf(int silent)
{
	libbpf_silent = silent;
}
