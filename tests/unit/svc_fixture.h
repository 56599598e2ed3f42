/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A service to start from, for the unit tests of the config model and of
 * set-weight (test_config.c, test_weights.c).
 */
#ifndef CANARY_TEST_SVC_FIXTURE_H
#define CANARY_TEST_SVC_FIXTURE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

/* @s made service @name on 10.96.0.@id:5000/tcp with versions v1..vN;
 * version i gets weight @w[i] percent and @eps[i] endpoints
 * 10.244.@id.(10i+e+1):5050. */
static inline void svc_fill(struct canary_service_cfg *s, const char *name,
			    int id, int n, const int *w, const int *eps)
{
	int i, e;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = addr_v4(htonl(0x0a600000 | id));
	s->port = htons(5000);
	s->proto = CANARY_PROTO_TCP;
	s->n_versions = n;
	for (i = 0; i < n; i++) {
		snprintf(s->v[i].name, sizeof(s->v[i].name), "v%d", i + 1);
		s->v[i].weight_bps = w[i] * 100;
		s->v[i].n_endpoints = eps[i];
		for (e = 0; e < eps[i]; e++) {
			s->v[i].ep[e].addr = addr_v4(htonl(0x0af40000 | id << 8 |
						   (10 * i + e + 1)));
			s->v[i].ep[e].port = htons(5050);
		}
	}
}

#endif /* CANARY_TEST_SVC_FIXTURE_H */
