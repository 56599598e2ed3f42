/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Where results and errors go: plain text for people, or JSON (-j). In
 * JSON mode an error is {"error": "..."} on stdout and a successful action
 * prints null (bpftool's convention). */
#ifndef CANARY_USER_OUTPUT_H
#define CANARY_USER_OUTPUT_H

#include <stdbool.h>

extern bool json_output;
extern bool json_pretty;

/* Reports an error: "canary-bpf: error: ..." on stderr, or JSON. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports that an action succeeded: a line on stdout unless JSON, where
 * it prints null. */
void p_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* CANARY_USER_OUTPUT_H */
