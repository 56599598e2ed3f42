/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's read-only HTTP endpoint (libmicrohttpd): /metrics in the
 * Prometheus text format (per service and version: packets, bytes, new
 * flows, weights, endpoints; node counters; the agent's reconciles,
 * errors, watch restarts and sync age), /healthz (200 while the process
 * serves) and /readyz (200 once the first full sync is applied).
 */
#ifndef CANARY_USER_METRICS_H
#define CANARY_USER_METRICS_H

#include "agent/agent.h"

struct metrics_server;

/* Serves on @addrs ("IP:PORT[,IP:PORT...]", IPv4, up to 4: e.g. the pod
 * IP for Prometheus and 127.0.0.1 for the probes). Returns the server, or
 * NULL with a message in @err naming the address. */
struct metrics_server *metrics_start(const char *addrs, struct agent *a,
				     struct canary_err *err);
void metrics_stop(struct metrics_server *m);

/* Writes the /metrics page for @a (maps read from its pin dir) to @f.
 * Returns 0, or a negative errno when the maps could not be read (the
 * agent's own metrics are written all the same). */
int metrics_write(FILE *f, struct agent *a);

#endif /* CANARY_USER_METRICS_H */
