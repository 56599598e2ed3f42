/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Kubernetes agent: caches TrafficSplits, Services, EndpointSlices,
 * Gateways, TCPRoutes, UDPRoutes and this node's Node, fed by one
 * list+watch thread each, and keeps the node's "k8s.*" services (and the
 * node section) equal to what they ask for (reconcile), with one Event
 * per change. Only services named with KUBE_SVC_PREFIX are touched.
 */
#ifndef CANARY_USER_AGENT_H
#define CANARY_USER_AGENT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "kube/kube_events.h"
#include "kube/kube_objects.h"
#include "kube/kube_watch.h"
#include "kube/kubeconfig.h"
#include "core/names.h"

/* Counters /metrics serves; written by the agent, read by the server. */
struct agent_counters {
	atomic_ulong reconciles;      /* reconcile passes */
	atomic_ulong changes;         /* passes that changed the maps */
	atomic_ulong errors;          /* failed passes, rejected splits */
	atomic_ulong restarts[KUBE_KINDS]; /* watch restarts per resource */
	atomic_long last_sync;        /* CLOCK_MONOTONIC s of the last good pass */
	atomic_bool ready;            /* a full sync has been applied */
};

/* Objects of one kind, by namespace/name. The agent's cache keeps
 * keys[i] = "ns/name" of objs[i] and an index of them (tests may fill
 * objs alone: the plan builds its own index). */
struct kube_store {
	struct kube_obj **objs;
	int n, cap;
	char **keys;
	struct names ix;
};

/* What the agent remembers of one TrafficSplit or route between passes. */
struct split_mem {
	char *key;                /* "kind/ns/name": its key in mem_ix */
	enum kube_kind kind;
	char ns[KUBE_NS_LEN];
	char name[KUBE_OBJ_LEN];
	char bad[256];            /* why it is not applied, "" when fine */
	char note[256];           /* last note logged for it */
	int n_names;
	char (*names)[CANARY_NAME_LEN]; /* the services it last produced */
	bool seen;                /* still exists (mark and sweep) */
};

struct agent {
	const struct kube_config *kc;
	char pin_dir[PATH_MAX];
	char node[KUBE_OBJ_LEN];  /* this node's name, "" if unknown */
	char node_query[KUBE_OBJ_LEN + 32]; /* fieldSelector for its Node */
	long resync_s;
	pthread_mutex_t lock;     /* guards store, listed, dirty */
	pthread_cond_t cond;
	struct kube_store store[KUBE_KINDS];
	bool listed[KUBE_KINDS];
	bool dirty;
	struct kube_watch watch[KUBE_KINDS];
	struct agent_counters cnt;
	struct kube_events events;
	pthread_t links;          /* follows netlink events, see agent.c */
	bool links_on;
	/* reconcile thread only */
	struct split_mem *mem;
	int n_mem, cap_mem;
	struct names mem_ix;      /* split_mem.key -> index in mem */
	struct canary_node_cfg node_applied; /* node section last written */
	__u64 flip_seen;          /* canary_gen's flip stamp after the last
				   * pass: unchanged, the maps are as that
				   * pass left them */
	/* sheds already reported: service name and shed time */
	struct guard_seen {
		char name[CANARY_NAME_LEN];
		__u64 shed_ns;
	} *guard_seen;
	int n_guard_seen;
	long guard_at;            /* CLOCK_MONOTONIC s of the next poll */
};

/* @node: this node's name (NULL or "": no Node watch, no NodePorts, no
 * node section). */
int agent_init(struct agent *a, const struct kube_config *kc,
	       const char *pin_dir, const char *node, long resync_s);
/* Starts the watches, then reconciles until kube_stop. Returns 0 or a
 * negative errno when the watches could not start. */
int agent_run(struct agent *a);
void agent_free(struct agent *a);

/* Seconds since the last successful reconcile, or -1 before the first. */
long agent_sync_age(const struct agent *a);

/* A timestamped line on stderr whatever the log level: the agent's
 * record of what it changed and refused. */
void alog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The periodic re-check when no object changed: only the bridge FDB
 * copy when the maps are as the last pass left them. Returns 1 when
 * someone else changed them (a full pass is due), 0, or -errno. */
int agent_refresh(struct agent *a);

struct agent_plan;
/* One pass over the maps: the "k8s.*" services become @p's, except those
 * of rejected splits, which stay as they run. Returns 0 or a negative
 * errno. Reconcile thread only. */
int agent_apply(struct agent *a, struct agent_plan *p);

#endif /* CANARY_USER_AGENT_H */
