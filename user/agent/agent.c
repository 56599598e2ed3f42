// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's cache, its watches and the reconcile loop (see agent.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_plan.h"
#include "dataplane/fastpath.h"
#include "kube/kube_client.h"
#include "util/log.h"

#define DEBOUNCE_MS 100    /* changes arriving this close are one batch */
#define REFRESH_S 30       /* re-check the maps against the cache */
#define RETRY_S 1          /* after a failed pass */

static const char *const split_paths[] = {
	"/apis/split.smi-spec.io/v1alpha4/trafficsplits",
	"/apis/split.smi-spec.io/v1alpha3/trafficsplits",
	"/apis/split.smi-spec.io/v1alpha2/trafficsplits",
	"/apis/split.smi-spec.io/v1alpha1/trafficsplits",
	NULL,
};
static const char *const service_paths[] = { "/api/v1/services", NULL };
static const char *const slice_paths[] = {
	"/apis/discovery.k8s.io/v1/endpointslices", NULL,
};
/* Gateway API: optional CRDs; a 404 lists as none. */
static const char *const gateway_paths[] = {
	"/apis/gateway.networking.k8s.io/v1/gateways",
	"/apis/gateway.networking.k8s.io/v1beta1/gateways",
	"/apis/gateway.networking.k8s.io/v1alpha2/gateways", NULL,
};
static const char *const tcproute_paths[] = {
	"/apis/gateway.networking.k8s.io/v1alpha2/tcproutes", NULL,
};
static const char *const udproute_paths[] = {
	"/apis/gateway.networking.k8s.io/v1alpha2/udproutes", NULL,
};
static const char *const node_paths[] = { "/api/v1/nodes", NULL };

void alog(const char *fmt, ...)
{
	char ts[32], msg[4096];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	fprintf(stderr, "%s agent: %s\n", ts, msg);
}

static long mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

long agent_sync_age(const struct agent *a)
{
	long last = a->cnt.last_sync;

	return a->cnt.ready ? mono_s() - last : -1;
}

/* FQDN slices (and any other addressType) carry no addresses to
 * translate to: one line per slice. */
static void note_slice(const struct kube_store *s, const struct kube_obj *obj)
{
	if (obj->kind == KUBE_SLICE && !obj->slice.af &&
	    !kube_store_find(s, obj->ns, obj->name))
		alog("endpointslice %s/%s: addressType is neither IPv4 nor IPv6: "
		     "ignored", obj->ns, obj->name);
}

static void mark_dirty(struct agent *a)
{
	a->dirty = true;
	pthread_cond_signal(&a->cond);
}

/*
 * The keys of what a relist of @kind changes into a->changed: objects
 * new or at another resourceVersion, and those gone. True when there
 * are any (or when @kind was never listed).
 */
static bool relist_changes(struct agent *a, enum kube_kind kind,
			   struct kube_obj **objs, int n)
{
	const struct kube_store *s = &a->store[kind];
	char key[KUBE_NS_LEN + KUBE_OBJ_LEN + 2];
	bool *kept, any = !a->listed[kind];
	int i, j;

	kept = calloc(s->n + 1, sizeof(*kept));
	if (!kept) {
		a->changed.all = true;
		return true;
	}
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s/%s", objs[i]->ns, objs[i]->name);
		j = names_get(&s->ix, key);
		if (j >= 0)
			kept[j] = true;
		if (j >= 0 && objs[i]->rv[0] && !strcmp(s->objs[j]->rv, objs[i]->rv))
			continue;
		dirty_add_obj(&a->changed, objs[i]);
		any = true;
	}
	for (j = 0; j < s->n; j++) {
		if (kept[j])
			continue;
		dirty_add_obj(&a->changed, s->objs[j]);
		any = true;
	}
	free(kept);
	return any;
}

static void on_replace(void *arg, enum kube_kind kind, struct kube_obj **objs, int n)
{
	struct agent *a = arg;
	int i;

	pthread_mutex_lock(&a->lock);
	if (!relist_changes(a, kind, objs, n)) {
		/* Nothing changed: no pass for it. */
		for (i = 0; i < n; i++)
			kube_obj_free(objs[i]);
		pthread_mutex_unlock(&a->lock);
		return;
	}
	kube_store_clear(&a->store[kind]);
	for (i = 0; i < n; i++) {
		note_slice(&a->store[kind], objs[i]);
		if (kube_store_put(&a->store[kind], objs[i], NULL))
			kube_obj_free(objs[i]);
	}
	a->listed[kind] = true;
	mark_dirty(a);
	pthread_mutex_unlock(&a->lock);
}

static void on_update(void *arg, struct kube_obj *obj, bool deleted)
{
	struct agent *a = arg;
	struct kube_store *s = &a->store[obj->kind];

	pthread_mutex_lock(&a->lock);
	if (deleted) {
		kube_store_del(s, obj->ns, obj->name, &a->changed);
		kube_obj_free(obj);
	} else {
		note_slice(s, obj);
		if (kube_store_put(s, obj, &a->changed))
			kube_obj_free(obj);
	}
	mark_dirty(a);
	pthread_mutex_unlock(&a->lock);
}

static void on_restart(void *arg, enum kube_kind kind, const char *why)
{
	struct agent *a = arg;

	a->cnt.restarts[kind]++;
	pr_info("agent: watch %s restarted: %s\n", kube_kind_names[kind], why);
}

static const struct kube_watch_ops watch_ops = {
	.replace = on_replace,
	.update = on_update,
	.restarted = on_restart,
};

int agent_init(struct agent *a, const struct kube_config *kc,
	       const char *pin_dir, const char *node, long resync_s)
{
	static const char *const *paths[KUBE_KINDS] = {
		[KUBE_SPLIT] = split_paths, [KUBE_SERVICE] = service_paths,
		[KUBE_SLICE] = slice_paths, [KUBE_GATEWAY] = gateway_paths,
		[KUBE_TCPROUTE] = tcproute_paths, [KUBE_UDPROUTE] = udproute_paths,
		[KUBE_NODE] = node_paths,
	};
	pthread_condattr_t ca;
	int k;

	memset(a, 0, sizeof(*a));
	a->kc = kc;
	a->resync_s = resync_s;
	snprintf(a->pin_dir, sizeof(a->pin_dir), "%s", pin_dir);
	snprintf(a->node, sizeof(a->node), "%s", node ? node : "");
	/* Node names are DNS subdomains: nothing to escape in a query. */
	snprintf(a->node_query, sizeof(a->node_query),
		 "fieldSelector=metadata.name%%3D%s", a->node);
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &ca);
	pthread_condattr_destroy(&ca);
	for (k = 0; k < KUBE_KINDS; k++) {
		a->watch[k].kind = k;
		a->watch[k].what = kube_kind_names[k];
		a->watch[k].paths = paths[k];
		a->watch[k].kc = kc;
		a->watch[k].resync_s = resync_s;
		a->watch[k].ops = &watch_ops;
		a->watch[k].arg = a;
	}
	/* Only our own Node, and none when we do not know our name. */
	a->watch[KUBE_NODE].query = a->node_query;
	if (!a->node[0])
		a->watch[KUBE_NODE].paths = NULL;
	return 0;
}

/* Waits (200 ms at most) for a reason to reconcile; true if there is. */
static bool wait_work(struct agent *a, long refresh_at, long retry_at)
{
	struct timespec ts;
	bool all = true, go;
	int k;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 200 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->lock);
	if (!a->dirty)
		pthread_cond_timedwait(&a->cond, &a->lock, &ts);
	for (k = 0; k < KUBE_KINDS; k++)
		all = all && a->listed[k];
	go = all && ((a->dirty && !retry_at) || mono_s() >= refresh_at ||
		     (retry_at && mono_s() >= retry_at));
	pthread_mutex_unlock(&a->lock);
	return go;
}

static double ts_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A pass over every owner: plan under the lock, write without it. */
static int full_pass(struct agent *a)
{
	struct agent_plan plan;
	int ret;

	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&a->lock);
	ret = agent_plan_build(a->store, a->node, &plan);
	pthread_mutex_unlock(&a->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pr_info("agent: full pass: plan %.1f ms\n", ts_ms(&t0, &t1));
	if (!ret)
		ret = agent_apply(a, &plan);
	agent_plan_free(&plan);
	return ret;
}

/* Splits cache key @key ("K/ns/name") into its parts; false if it is
 * not one. */
static bool parse_key(const char *key, int *kind, char *ns, char *name)
{
	const char *s1 = strchr(key, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;

	if (!s2 || s2 - s1 - 1 >= KUBE_NS_LEN || strlen(s2 + 1) >= KUBE_OBJ_LEN)
		return false;
	*kind = atoi(key);
	memcpy(ns, s1 + 1, s2 - s1 - 1);
	ns[s2 - s1 - 1] = '\0';
	strcpy(name, s2 + 1);
	return true;
}

/* Plans the owners keyed in @owners that exist, into @p; those that do
 * not go to @gone. Under a->lock. */
static int plan_owners(struct agent *a, const struct dirty_set *owners,
		       struct agent_plan *p, char **gone, int *n_gone)
{
	char ns[KUBE_NS_LEN], name[KUBE_OBJ_LEN];
	const struct kube_obj *o;
	int i, kind, ret;

	ret = agent_plan_begin(a->store, a->node, owners->n, p);
	for (i = 0; i < owners->n && !ret; i++) {
		if (!parse_key(owners->keys[i], &kind, ns, name) ||
		    kind < 0 || kind >= KUBE_KINDS)
			continue;
		o = kube_store_find(&a->store[kind], ns, name);
		if (o)
			ret = agent_plan_owner(p, o);
		else
			gone[(*n_gone)++] = owners->keys[i];
	}
	return ret;
}

/* A pass over the owners that what changed (@d) concerns; 1 when a full
 * pass is due instead. */
static int changes_pass(struct agent *a, const struct dirty_set *d)
{
	struct dirty_set owners = {};
	struct agent_plan plan = {};
	char **gone = NULL;
	int n_gone = 0, ret;

	struct timespec t0, t1, t2;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	pthread_mutex_lock(&a->lock);
	ret = agent_dirty_owners(a, d, &owners);
	if (!ret) {
		gone = calloc(owners.n + 1, sizeof(*gone));
		ret = gone ? plan_owners(a, &owners, &plan, gone, &n_gone) :
			     -ENOMEM;
	}
	pthread_mutex_unlock(&a->lock);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	if (!ret)
		ret = agent_apply_changes(a, &plan, gone, n_gone);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t2);
	pr_info("agent: %d changed keys, %d owners (%d gone): plan CPU %.2f ms, "
		"pass CPU %.2f ms\n", d->n, owners.n, n_gone, ts_ms(&t0, &t1),
		ts_ms(&t0, &t2));
	agent_plan_free(&plan);
	free(gone);
	dirty_free(&owners);
	return ret;
}

/*
 * One pass. What changed in the cache since the last one decides which
 * owners are planned again and written; a full pass (every owner, the
 * running config compared with all of it) comes first, after one that
 * failed, when this node's Node changed, and when someone else changed
 * the maps. A pass no object asked for (the periodic re-check, the
 * links thread) plans nothing unless the maps changed under us.
 */
static int reconcile(struct agent *a)
{
	struct dirty_set d;
	int ret;

	pthread_mutex_lock(&a->lock);
	a->dirty = false;
	d = a->changed; /* taken over: the watches start a new one */
	memset(&a->changed, 0, sizeof(a->changed));
	pthread_mutex_unlock(&a->lock);
	ret = 0;
	if (!dirty_any(&d)) {
		ret = agent_refresh(a);
		d.all = ret > 0;
	}
	if (ret >= 0 && dirty_any(&d)) {
		ret = d.all || !a->synced ? 1 : changes_pass(a, &d);
		if (ret == 1)
			ret = full_pass(a);
		a->cnt.reconciles++;
	}
	dirty_free(&d);
	return ret;
}

/*
 * The links thread: a pod's veth coming, going or starting to take XDP
 * frames, or a bridge learning a pod's MAC, marks the cache dirty, so the
 * next pass (DEBOUNCE_MS later) refreshes the fast path (bridge_sync())
 * instead of waiting for REFRESH_S.
 */
static void *links_main(void *arg)
{
	struct agent *a = arg;
	struct fastpath_monitor m;
	int ret;

	if (fastpath_monitor_open(&m)) {
		alog("no netlink events: the fast path follows pods every %d s",
		     REFRESH_S);
		return NULL;
	}
	while (!kube_stop) {
		ret = fastpath_monitor_wait(&m, 500);
		if (ret < 0)
			kube_sleep_ms(1000);
		if (ret <= 0)
			continue;
		pthread_mutex_lock(&a->lock);
		a->dirty = true;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
	}
	fastpath_monitor_close(&m);
	return NULL;
}

int agent_run(struct agent *a)
{
	long refresh_at = 0, retry_at = 0;
	int k, started, ret = 0;

	if (kube_events_start(&a->events, a->kc, a->node))
		pr_warn("agent: no Events: could not start their sender\n");
	for (started = 0; started < KUBE_KINDS && !ret; started++)
		ret = kube_watch_start(&a->watch[started]);
	a->links_on = !ret && !pthread_create(&a->links, NULL, links_main, a);
	while (!ret && !kube_stop) {
		if (a->cnt.ready)
			agent_guard_poll(a);
		if (!wait_work(a, refresh_at, retry_at))
			continue;
		kube_sleep_ms(DEBOUNCE_MS);
		if (kube_stop)
			break;
		if (reconcile(a)) {
			a->cnt.errors++;
			retry_at = mono_s() + RETRY_S;
			pthread_mutex_lock(&a->lock);
			a->dirty = true; /* the retry is a full pass */
			a->changed.all = true;
			pthread_mutex_unlock(&a->lock);
			continue;
		}
		retry_at = 0;
		refresh_at = mono_s() + REFRESH_S;
		a->cnt.last_sync = mono_s();
		if (!a->cnt.ready)
			alog("first full sync applied: ready");
		a->cnt.ready = true;
	}
	kube_stop = 1;
	if (a->links_on)
		pthread_join(a->links, NULL);
	for (k = 0; k < started - (ret ? 1 : 0); k++)
		kube_watch_join(&a->watch[k]);
	kube_events_stop(&a->events);
	return ret;
}

void agent_free(struct agent *a)
{
	int k;

	for (k = 0; k < KUBE_KINDS; k++)
		kube_store_free(&a->store[k]);
	dirty_free(&a->changed);
	agent_mem_free(a);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
}
