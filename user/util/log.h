/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Logging to stderr by level; -v raises it. libbpf's own messages are
 * routed here one level lower (after xdp-tools' lib/util/logging.c). */
#ifndef CANARY_USER_LOG_H
#define CANARY_USER_LOG_H

enum log_level {
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

void log_set_level(enum log_level level);
void log_print(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Installs the libbpf print callback. */
void log_setup_libbpf(void);
/* Silences libbpf while probing something that is expected to fail. */
void log_silence_libbpf(int silent);

#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

/* Exit codes: the documented table. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#endif /* CANARY_USER_LOG_H */
