/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * list+watch of one resource, the informer pattern in C: list (paged),
 * then watch from the list's resourceVersion with bookmarks; on 410 Gone
 * list again; on errors reconnect after an exponential backoff with
 * jitter (200 ms doubling to 30 s); relist every resync period. Each
 * watch runs in its own thread until kube_stop.
 */
#ifndef CANARY_USER_KUBE_WATCH_H
#define CANARY_USER_KUBE_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include "kube/kube_objects.h"
#include "kube/kubeconfig.h"

/* What a watch reports to its owner (the agent's cache). Called from the
 * watch thread; the callee locks what it shares. */
struct kube_watch_ops {
	/* A full list: the @n objects of @objs (each owned by the callee
	 * from now; the array is not) replace every object of @kind. */
	void (*replace)(void *arg, enum kube_kind kind, struct kube_obj **objs,
			int n);
	/* One object added or changed (@obj owned by the callee), or
	 * deleted (@obj only names it; still owned by the callee). */
	void (*update)(void *arg, struct kube_obj *obj, bool deleted);
	/* The watch connection was lost or refused and is being restarted. */
	void (*restarted)(void *arg, enum kube_kind kind, const char *why);
};

struct kube_watch {
	enum kube_kind kind;
	const char *what;                  /* "trafficsplits", for messages */
	const char *const *paths;          /* NULL-terminated candidates: the
					    * first the server has is used;
					    * NULL: not watched, lists as none */
	const char *query;                 /* extra list/watch parameters
					    * ("fieldSelector=..."), or NULL */
	const struct kube_config *kc;
	long resync_s;                     /* relist period */
	const struct kube_watch_ops *ops;
	void *arg;
	pthread_t thread;
	/* internal */
	int path_idx;
	char rv[64];
	bool gone;
	bool absent_logged;                /* "not served" said once */
	int failures;                      /* consecutive, for the backoff */
};

/* Starts @w's thread (or, without paths, reports an empty list at once).
 * Returns 0 or a negative errno. */
int kube_watch_start(struct kube_watch *w);
/* Waits for the thread, if one was started (after kube_stop is set). */
void kube_watch_join(struct kube_watch *w);

/* The backoff before retry number @failures (1, 2, ...): 200 ms doubling
 * up to 30 s, then a random point in its upper half. */
long kube_backoff_ms(int failures);

#endif /* CANARY_USER_KUBE_WATCH_H */
