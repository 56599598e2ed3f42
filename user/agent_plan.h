/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * From cached Kubernetes objects to the canary-bpf services they ask for
 * (pure: no maps, no I/O). Each TrafficSplit gives, for every IPv4 VIP of
 * its root Service (cluster IPs, external IPs, LoadBalancer ingress IPs)
 * and every TCP or UDP port, one service whose versions are the backends,
 * weighted in basis points, with the ready endpoints of each backend's
 * EndpointSlices on the slice port named like the root Service port, and
 * the serving-but-terminating ones as draining endpoints.
 */
#ifndef CANARY_USER_AGENT_PLAN_H
#define CANARY_USER_AGENT_PLAN_H

#include "agent.h"

struct split_plan {
	char ns[KUBE_NS_LEN];
	char name[KUBE_OBJ_LEN];
	char bad[256];     /* why it is not applied ("" if it is): what runs
			    * for it stays as it is */
	char note[256];    /* something worth a log line, e.g. the root
			    * Service is missing or spec.matches ignored */
	int first, n;      /* its services: cfg.svc[first .. first + n) */
	int terminating;   /* serving-but-terminating endpoints (draining) */
};

struct agent_plan {
	struct canary_config cfg;  /* the "k8s.*" services wanted */
	struct split_plan *splits;
	int n_splits;
};

/* Builds @p from @store (TrafficSplits in namespace/name order). Returns
 * 0 or -ENOMEM. */
int agent_plan_build(struct kube_store *store, struct agent_plan *p);
void agent_plan_free(struct agent_plan *p);

/* Whether two services are the same config (names, address, weights,
 * endpoints); endpoints must be sorted. */
bool agent_svc_equal(const struct canary_service_cfg *a,
		     const struct canary_service_cfg *b);

#endif /* CANARY_USER_AGENT_PLAN_H */
