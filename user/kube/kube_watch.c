// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* list+watch loop of one resource (see kube_watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube_client.h"
#include "kube/kube_watch.h"
#include "util/log.h"

#define LIST_PAGE 500          /* objects per list page */
#define LIST_TIMEOUT_S 60      /* one list request */
#define WATCH_MAX_S 300        /* server-side timeout asked for a watch */
#define WATCH_IDLE_S 90        /* no byte for this long: reconnect */
#define ABSENT_RETRY_S 30      /* resource not served: ask again after */

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

long kube_backoff_ms(int failures)
{
	long ms = 200;

	while (--failures > 0 && ms < 30000)
		ms *= 2;
	if (ms > 30000)
		ms = 30000;
	return ms / 2 + random() % (ms / 2 + 1);
}

static void free_objs(struct kube_obj **objs, int n)
{
	while (n > 0)
		kube_obj_free(objs[--n]);
	free(objs);
}

/* Decodes the items of one list page onto @objs. */
static int list_page(struct kube_watch *w, json_object *body,
		     struct kube_obj ***objs, int *n)
{
	json_object *items = NULL;
	struct canary_err err;
	struct kube_obj **grown, *o;
	size_t i, len;

	json_object_object_get_ex(body, "items", &items);
	len = items && json_object_is_type(items, json_type_array) ?
		      json_object_array_length(items) : 0;
	grown = realloc(*objs, (*n + len + 1) * sizeof(**objs));
	if (!grown)
		return -ENOMEM;
	*objs = grown;
	for (i = 0; i < len; i++) {
		o = kube_obj_decode(w->kind, json_object_array_get_idx(items, i), &err);
		if (o)
			(*objs)[(*n)++] = o;
		else
			pr_warn("agent: %s: skipping an object: %s\n", w->what, err.msg);
	}
	return 0;
}

/* The "continue" token and resourceVersion of a list response. */
static const char *list_meta(json_object *body, const char *key)
{
	json_object *meta, *v;

	if (!json_object_object_get_ex(body, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, key, &v))
		return "";
	return json_object_get_string(v);
}

/* One paged list. Returns 0, -ENOENT when the server does not serve the
 * path (404), or another negative errno. */
static int do_list(struct kube_watch *w, struct kube_obj ***objs, int *n)
{
	char path[1024], cont[512] = "";
	struct kube_resp r;
	struct canary_err err;
	int ret;

	do {
		snprintf(path, sizeof(path), "%s?limit=%d%s%s%s%s",
			 w->paths[w->path_idx], LIST_PAGE, cont[0] ? "&continue=" : "", cont,
			 w->query ? "&" : "", w->query ? w->query : "");
		ret = kube_request(w->kc, "GET", path, NULL, NULL, LIST_TIMEOUT_S,
				   &r, &err);
		if (ret) {
			pr_warn("agent: list %s: %s\n", w->what, err.msg);
			return ret;
		}
		if (r.status == 404 || r.status < 200 || r.status >= 300) {
			if (r.status != 404)
				pr_warn("agent: list %s: HTTP %ld %s\n", w->what,
					r.status, kube_status_message(&r));
			json_object_put(r.body);
			return r.status == 404 ? -ENOENT : -EIO;
		}
		ret = list_page(w, r.body, objs, n);
		snprintf(w->rv, sizeof(w->rv), "%s", list_meta(r.body, "resourceVersion"));
		snprintf(cont, sizeof(cont), "%s", list_meta(r.body, "continue"));
		json_object_put(r.body);
	} while (!ret && cont[0]);
	return ret;
}

/* Lists through the candidate paths; an absent resource lists as empty. */
static int relist(struct kube_watch *w)
{
	struct kube_obj **objs = NULL;
	int n = 0, ret;

	for (w->path_idx = 0; w->paths[w->path_idx]; w->path_idx++) {
		ret = do_list(w, &objs, &n);
		if (ret != -ENOENT)
			break;
	}
	if (ret == -ENOENT) {
		w->path_idx = 0;
		w->rv[0] = '\0';
		/* Once: an optional CRD may never be installed. */
		if (!w->absent_logged)
			pr_warn("agent: %s: not served by the API server (CRD not "
				"installed?); treating as none, asking again every %d s\n",
				w->what, ABSENT_RETRY_S);
		w->absent_logged = true;
	} else if (ret) {
		free_objs(objs, n);
		return ret;
	} else if (w->absent_logged) {
		pr_warn("agent: %s: served now\n", w->what);
		w->absent_logged = false;
	}
	w->ops->replace(w->arg, w->kind, objs, n);
	free(objs); /* the objects now belong to the cache */
	pr_info("agent: listed %d %s (resourceVersion %s)\n", n, w->what, w->rv);
	return ret == -ENOENT ? -ENOENT : 0;
}

/* One watch event. Returns non-zero to end the stream. */
static int on_event(void *arg, json_object *ev)
{
	struct kube_watch *w = arg;
	json_object *t = NULL, *o = NULL, *code;
	struct canary_err err;
	struct kube_obj *obj;
	const char *type;

	json_object_object_get_ex(ev, "type", &t);
	json_object_object_get_ex(ev, "object", &o);
	type = t ? json_object_get_string(t) : "";
	if (!strcmp(type, "ERROR")) {
		w->gone = json_object_object_get_ex(o, "code", &code) &&
			  json_object_get_int(code) == 410;
		pr_info("agent: watch %s: ERROR event%s\n", w->what,
			w->gone ? " 410 Gone: relisting" : "");
		return 1;
	}
	if (kube_resource_version(o)[0])
		snprintf(w->rv, sizeof(w->rv), "%s", kube_resource_version(o));
	if (!strcmp(type, "BOOKMARK"))
		return 0;
	obj = kube_obj_decode(w->kind, o, &err);
	if (!obj) {
		pr_warn("agent: watch %s: skipping an object: %s\n", w->what, err.msg);
		return 0;
	}
	w->ops->update(w->arg, obj, !strcmp(type, "DELETED"));
	return 0;
}

/* One watch connection, at most @secs long. Returns 0 on a normal end. */
static int do_watch(struct kube_watch *w, long secs)
{
	char path[1024];
	struct kube_resp r;
	struct canary_err err;
	int ret;

	snprintf(path, sizeof(path),
		 "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%ld%s%s",
		 w->paths[w->path_idx], w->rv, secs, w->query ? "&" : "",
		 w->query ? w->query : "");
	w->gone = false;
	ret = kube_stream(w->kc, path, WATCH_IDLE_S, on_event, w, &r, &err);
	if (!ret && (r.status < 200 || r.status >= 300)) {
		/* 404: the resource went away (or its version did): list
		 * again, which also tries the other versions. */
		w->gone = r.status == 410 || r.status == 404;
		snprintf(err.msg, sizeof(err.msg), "HTTP %ld %s", r.status,
			 kube_status_message(&r));
		ret = -EIO;
	}
	json_object_put(r.body);
	if (w->gone)
		ret = -ESTALE;
	if (ret && ret != -EINTR) {
		w->ops->restarted(w->arg, w->kind, w->gone ? "Gone: relist" : err.msg);
		if (!w->gone)
			pr_warn("agent: watch %s: %s; reconnecting\n", w->what, err.msg);
	}
	return ret;
}

/* Waits out the backoff after a failure. */
static void backoff(struct kube_watch *w)
{
	kube_sleep_ms(kube_backoff_ms(++w->failures));
}

static void *watch_main(void *arg)
{
	struct kube_watch *w = arg;
	long listed = 0, left;
	bool need_list = true;
	int ret;

	while (!kube_stop) {
		if (need_list) {
			ret = relist(w);
			if (ret == -ENOENT) {
				kube_sleep_ms(ABSENT_RETRY_S * 1000L);
				continue;
			}
			if (ret) {
				backoff(w);
				continue;
			}
			need_list = false;
			listed = now_s();
			w->failures = 0;
		}
		left = listed + w->resync_s - now_s();
		if (left <= 0) {
			need_list = true;
			continue;
		}
		ret = do_watch(w, left < WATCH_MAX_S ? left : WATCH_MAX_S);
		if (ret == -ESTALE)
			need_list = true;
		else if (ret && ret != -EINTR)
			backoff(w);
		else
			w->failures = 0;
	}
	return NULL;
}

int kube_watch_start(struct kube_watch *w)
{
	if (!w->paths) {
		w->ops->replace(w->arg, w->kind, NULL, 0);
		return 0;
	}
	return -pthread_create(&w->thread, NULL, watch_main, w);
}

void kube_watch_join(struct kube_watch *w)
{
	if (w->paths)
		pthread_join(w->thread, NULL);
}
