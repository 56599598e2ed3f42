/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kubernetes Events about the objects the agent serves (core/v1 Event,
 * POST /api/v1/namespaces/NS/events): what it changed and what it
 * refused, where `kubectl describe trafficsplit` shows it. Sent by a
 * thread of their own from a bounded queue, so a slow or failing API
 * server never holds up the data plane; failures are logged and counted,
 * never fatal.
 */
#ifndef CANARY_USER_KUBE_EVENTS_H
#define CANARY_USER_KUBE_EVENTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <json-c/json.h>
#include "kube/kube_objects.h"
#include "kube/kubeconfig.h"
#include "core/names.h"

#define KUBE_EVENTS_QUEUE 4096     /* objects with Events waiting; more
				    * are dropped (counted, logged once per
				    * KUBE_EVENTS_WARN_S) */
#define KUBE_EVENTS_RATE 50        /* Events sent per second at most, */
#define KUBE_EVENTS_BURST 100      /* after a burst of this many */
#define KUBE_EVENTS_WARN_S 10      /* one "dropped" line per this long */
#define KUBE_EVENT_MSG_LEN 1024    /* events.k8s.io bounds a note to 1 kB */
#define KUBE_EVENT_COMPONENT "canary-bpf"

/* One Event to send: about @kind @ns/@name (with @uid, @api_version). */
struct kube_event {
	char kind[16];                 /* "TrafficSplit", "TCPRoute", ... */
	char api_version[48];
	char ns[KUBE_NS_LEN];
	char name[KUBE_OBJ_LEN];
	char uid[KUBE_UID_LEN];
	bool warning;                  /* type Warning, else Normal */
	char reason[32];               /* UpperCamelCase: WeightsChanged... */
	char message[KUBE_EVENT_MSG_LEN];
	int count;                     /* occurrences it stands for (0: 1) */
};

struct kube_events {
	const struct kube_config *kc;
	char node[KUBE_OBJ_LEN];       /* reportingInstance and source.host */
	pthread_mutex_t lock;          /* guards q to dropped_at */
	pthread_cond_t cond;
	struct kube_event *q;          /* ring of KUBE_EVENTS_QUEUE */
	int *count;                    /* per slot: Events coalesced into it */
	char **keys;                   /* per slot: its object and reason */
	struct names ix;               /* keys -> slot, for coalescing */
	int head, n;
	unsigned long dropped;         /* since the last "dropped" line */
	long dropped_at;               /* CLOCK_MONOTONIC s of that line */
	atomic_ulong sent;             /* created (HTTP 201) */
	atomic_ulong failed;           /* refused, unreachable or dropped */
	pthread_t thread;
	bool started;
};

/* Starts the sender for @node (may be "" when unknown). Returns 0 or a
 * negative errno. */
int kube_events_start(struct kube_events *e, const struct kube_config *kc,
		      const char *node);
/* Queues @ev; never blocks. An Event about an object (and reason) that
 * already has one waiting joins it: one Event whose message lists both
 * and whose count says how many. A queue full of other objects drops it
 * (counted as failed). */
void kube_events_post(struct kube_events *e, const struct kube_event *ev);
/* Events waiting to be sent (coalesced ones count once). */
int kube_events_queued(struct kube_events *e);
/* Joins the sender once kube_stop is set; Events still queued are
 * dropped. */
void kube_events_stop(struct kube_events *e);

/*
 * The core/v1 Event object for @ev reported by @node at @now, named
 * "<object>.<@now in hex ns>" as client-go's recorder names them.
 * Returns a new json_object (caller puts it), or NULL.
 */
json_object *kube_event_json(const struct kube_event *ev, const char *node,
			     const struct timespec *now);

#endif /* CANARY_USER_KUBE_EVENTS_H */
