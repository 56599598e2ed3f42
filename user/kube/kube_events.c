// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kubernetes Events from a queue and a sender thread (see kube_events.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube_client.h"
#include "kube/kube_events.h"
#include "util/log.h"

#define EVENT_TIMEOUT_S 10   /* one POST */

static void add_str(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

json_object *kube_event_json(const struct kube_event *ev, const char *node,
			     const struct timespec *now)
{
	json_object *o = json_object_new_object();
	json_object *meta = json_object_new_object();
	json_object *obj = json_object_new_object();
	json_object *src = json_object_new_object();
	char name[KUBE_OBJ_LEN], ts[32];
	struct tm tm;

	if (!o || !meta || !obj || !src) {
		json_object_put(o), json_object_put(meta);
		json_object_put(obj), json_object_put(src);
		return NULL;
	}
	/* A DNS subdomain of at most 253 characters: 236 + '.' + 16. */
	snprintf(name, sizeof(name), "%.236s.%016llx", ev->name,
		 (unsigned long long)now->tv_sec * 1000000000ull + now->tv_nsec);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now->tv_sec, &tm));
	add_str(o, "apiVersion", "v1");
	add_str(o, "kind", "Event");
	add_str(meta, "name", name);
	add_str(meta, "namespace", ev->ns);
	json_object_object_add(o, "metadata", meta);
	add_str(obj, "apiVersion", ev->api_version);
	add_str(obj, "kind", ev->kind);
	add_str(obj, "namespace", ev->ns);
	add_str(obj, "name", ev->name);
	if (ev->uid[0])
		add_str(obj, "uid", ev->uid);
	json_object_object_add(o, "involvedObject", obj);
	add_str(o, "type", ev->warning ? "Warning" : "Normal");
	add_str(o, "reason", ev->reason);
	add_str(o, "message", ev->message);
	add_str(src, "component", KUBE_EVENT_COMPONENT);
	if (node[0])
		add_str(src, "host", node);
	json_object_object_add(o, "source", src);
	add_str(o, "firstTimestamp", ts);
	add_str(o, "lastTimestamp", ts);
	json_object_object_add(o, "count",
			       json_object_new_int(ev->count > 1 ? ev->count : 1));
	add_str(o, "reportingComponent", KUBE_EVENT_COMPONENT);
	add_str(o, "reportingInstance", node);
	return o;
}

/* POSTs @ev; returns 0 when the API server created it. */
static int send_event(struct kube_events *e, const struct kube_event *ev)
{
	struct timespec now;
	struct canary_err err;
	struct kube_resp r;
	json_object *o;
	char path[160];
	int ret;

	clock_gettime(CLOCK_REALTIME, &now);
	o = kube_event_json(ev, e->node, &now);
	if (!o)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ev->ns);
	ret = kube_request(e->kc, "POST", path,
			   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			   "application/json", EVENT_TIMEOUT_S, &r, &err);
	json_object_put(o);
	if (ret) {
		if (ret != -EINTR)
			pr_warn("agent: event %s for %s %s/%s not sent: %s\n", ev->reason,
				ev->kind, ev->ns, ev->name, err.msg);
		return ret;
	}
	if (r.status < 200 || r.status >= 300) {
		pr_warn("agent: event %s for %s %s/%s refused: HTTP %ld %s\n",
			ev->reason, ev->kind, ev->ns, ev->name, r.status,
			kube_status_message(&r));
		ret = -EIO;
	}
	json_object_put(r.body);
	return ret;
}

static long mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Takes the oldest queued Event into @ev; false when kube_stop came. */
static bool next_event(struct kube_events *e, struct kube_event *ev)
{
	struct timespec ts;

	pthread_mutex_lock(&e->lock);
	while (!e->n && !kube_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	}
	if (e->n && !kube_stop) {
		*ev = e->q[e->head];
		ev->count = e->count[e->head];
		names_del(&e->ix, e->keys[e->head]);
		e->head = (e->head + 1) % KUBE_EVENTS_QUEUE;
		e->n--;
	}
	pthread_mutex_unlock(&e->lock);
	return !kube_stop;
}

/* A token bucket: KUBE_EVENTS_BURST at once, then KUBE_EVENTS_RATE a
 * second, so that thousands of changes at once (a first sync) reach the
 * API server as a steady trickle. */
static void rate_limit(double *tokens, struct timespec *last)
{
	struct timespec now;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (now.tv_sec - last->tv_sec) + (now.tv_nsec - last->tv_nsec) / 1e9;
	*last = now;
	*tokens += dt * KUBE_EVENTS_RATE;
	if (*tokens > KUBE_EVENTS_BURST)
		*tokens = KUBE_EVENTS_BURST;
	if (*tokens < 1) {
		kube_sleep_ms((long)((1 - *tokens) * 1000 / KUBE_EVENTS_RATE) + 1);
		clock_gettime(CLOCK_MONOTONIC, last);
		*tokens = 1;
	}
	*tokens -= 1;
}

static void *events_main(void *arg)
{
	struct kube_events *e = arg;
	struct kube_event *ev = malloc(sizeof(*ev));
	double tokens = KUBE_EVENTS_BURST;
	struct timespec last;

	clock_gettime(CLOCK_MONOTONIC, &last);
	while (ev && next_event(e, ev)) {
		rate_limit(&tokens, &last);
		if (send_event(e, ev))
			e->failed++;
		else
			e->sent++;
	}
	free(ev);
	return NULL;
}

static void events_free(struct kube_events *e)
{
	int i;

	for (i = 0; e->keys && i < KUBE_EVENTS_QUEUE; i++)
		free(e->keys[i]);
	free(e->keys);
	free(e->count);
	free(e->q);
	names_free(&e->ix);
	e->keys = NULL;
	e->count = NULL;
	e->q = NULL;
}

int kube_events_start(struct kube_events *e, const struct kube_config *kc,
		      const char *node)
{
	pthread_condattr_t ca;
	int ret, i;

	e->kc = kc;
	snprintf(e->node, sizeof(e->node), "%s", node ? node : "");
	names_init(&e->ix);
	e->q = calloc(KUBE_EVENTS_QUEUE, sizeof(*e->q));
	e->count = calloc(KUBE_EVENTS_QUEUE, sizeof(*e->count));
	e->keys = calloc(KUBE_EVENTS_QUEUE, sizeof(*e->keys));
	for (i = 0; e->keys && i < KUBE_EVENTS_QUEUE; i++)
		if (!(e->keys[i] = malloc(KUBE_NS_LEN + KUBE_OBJ_LEN + 64)))
			break;
	if (!e->q || !e->count || !e->keys || i < KUBE_EVENTS_QUEUE) {
		events_free(e);
		return -ENOMEM;
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&e->thread, NULL, events_main, e);
	e->started = !ret;
	return ret;
}

/* Joins @ev into the queued Event @q about the same object: both
 * messages while they fit, else the newer one. */
static void coalesce(struct kube_event *q, int *count,
		     const struct kube_event *ev)
{
	size_t n = strlen(q->message), m = strlen(ev->message);

	if (n + 2 + m < sizeof(q->message))
		snprintf(q->message + n, sizeof(q->message) - n, "; %s",
			 ev->message);
	else
		snprintf(q->message, sizeof(q->message), "%s", ev->message);
	(*count)++;
}

/* Counts a dropped Event; one line per KUBE_EVENTS_WARN_S says how many. */
static void note_dropped(struct kube_events *e, const struct kube_event *ev)
{
	long now = mono_s();

	e->failed++;
	e->dropped++;
	if (e->dropped_at && now - e->dropped_at < KUBE_EVENTS_WARN_S)
		return;
	pr_warn("agent: event queue full (%d objects waiting): %lu Event(s) "
		"dropped, the latest %s for %s/%s\n", KUBE_EVENTS_QUEUE,
		e->dropped, ev->reason, ev->ns, ev->name);
	e->dropped = 0;
	e->dropped_at = now;
}

void kube_events_post(struct kube_events *e, const struct kube_event *ev)
{
	char key[KUBE_NS_LEN + KUBE_OBJ_LEN + 64];
	int slot;

	if (!e->started)
		return;
	snprintf(key, sizeof(key), "%s/%s/%s/%s/%d", ev->kind, ev->ns,
		 ev->name, ev->reason, ev->warning);
	pthread_mutex_lock(&e->lock);
	slot = names_get(&e->ix, key);
	if (slot >= 0) {
		coalesce(&e->q[slot], &e->count[slot], ev);
	} else if (e->n < KUBE_EVENTS_QUEUE) {
		slot = (e->head + e->n) % KUBE_EVENTS_QUEUE;
		e->q[slot] = *ev;
		e->count[slot] = 1;
		snprintf(e->keys[slot], KUBE_NS_LEN + KUBE_OBJ_LEN + 64, "%s", key);
		if (names_put(&e->ix, e->keys[slot], slot) == 0) {
			e->n++;
			pthread_cond_signal(&e->cond);
		} else {
			note_dropped(e, ev);
		}
	} else {
		note_dropped(e, ev);
	}
	pthread_mutex_unlock(&e->lock);
}

int kube_events_queued(struct kube_events *e)
{
	int n;

	if (!e->started)
		return 0;
	pthread_mutex_lock(&e->lock);
	n = e->n;
	pthread_mutex_unlock(&e->lock);
	return n;
}

void kube_events_stop(struct kube_events *e)
{
	if (!e->q)
		return;
	if (e->started)
		pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	events_free(e);
	e->started = false;
}
