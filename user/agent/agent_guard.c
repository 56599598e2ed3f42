// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Events when the data plane's guard sheds a canary (see agent_plan.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_plan.h"
#include "core/health.h"
#include "dataplane/guard.h"
#include "kube/kube_logic.h"

#define GUARD_POLL_S 1

static long mono_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The remembered shed time of service @name; creates the slot. */
static __u64 *seen_slot(struct agent *a, const char *name)
{
	struct guard_seen *n;
	int i;

	for (i = 0; i < a->n_guard_seen; i++)
		if (!strcmp(a->guard_seen[i].name, name))
			return &a->guard_seen[i].shed_ns;
	n = realloc(a->guard_seen, (a->n_guard_seen + 1) * sizeof(*n));
	if (!n)
		return NULL;
	a->guard_seen = n;
	n = &n[a->n_guard_seen++];
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->shed_ns = 0;
	return &n->shed_ns;
}

/* Object @ns/@name of store @s, or NULL: a scan, as a shed is rare. */
static const struct kube_obj *store_find(const struct kube_store *s,
					 const char *ns, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->objs[i]->ns, ns) && !strcmp(s->objs[i]->name, name))
			return s->objs[i];
	return NULL;
}

/* The owner of service @name as an Event needs it, from what the last
 * pass recorded and the object cache; false if unknown. */
static bool owner_of_service(struct agent *a, const char *name,
			     struct split_plan *sp)
{
	const struct kube_obj *o = NULL;
	int i, k;

	for (i = 0; i < a->n_mem && !o; i++)
		for (k = 0; k < a->mem[i].n_names; k++)
			if (!strcmp(a->mem[i].names[k], name)) {
				pthread_mutex_lock(&a->lock);
				o = store_find(&a->store[a->mem[i].kind],
					       a->mem[i].ns, a->mem[i].name);
				if (o) {
					memset(sp, 0, sizeof(*sp));
					sp->kind = o->kind;
					snprintf(sp->ns, sizeof(sp->ns), "%s", o->ns);
					snprintf(sp->name, sizeof(sp->name), "%s", o->name);
					snprintf(sp->uid, sizeof(sp->uid), "%s", o->uid);
					snprintf(sp->api_version, sizeof(sp->api_version),
						 "%s", o->kind == KUBE_SPLIT ?
						 o->split.api_version :
						 o->route.api_version);
				}
				pthread_mutex_unlock(&a->lock);
				break;
			}
	return o != NULL;
}

/* Service @svc (entry @g) shed version @v: a log line and an Event. */
static void report_shed(struct agent *a, const struct canary_service_cfg *svc,
			const struct canary_svc_guard *g)
{
	struct split_plan sp;
	char why[256], msg[400];

	guard_reason(g, svc, why, sizeof(why));
	snprintf(msg, sizeof(msg), "service %s: guard shed %s", svc->name, why);
	alog("%s", msg);
	if (owner_of_service(a, svc->name, &sp))
		agent_post_event(a, &sp, true, "GuardShed", msg);
}

static void poll_services(struct agent *a, struct canary_state *st,
			  const struct canary_config *cfg, const __u32 *ids)
{
	const struct canary_service_cfg *svc;
	struct canary_svc_guard g;
	__u64 *seen;
	int i, v;

	for (i = 0; i < cfg->n_services; i++) {
		svc = &cfg->svc[i];
		if (strncmp(svc->name, KUBE_SVC_PREFIX, strlen(KUBE_SVC_PREFIX)) ||
		    !svc->guard.on || guard_read(st, ids[i], &g))
			continue;
		seen = seen_slot(a, svc->name);
		if (!seen)
			return;
		if (guard_service_state(&g, svc->n_versions, &v) != GUARD_SHED) {
			*seen = 0;
			continue;
		}
		if (*seen != g.v[v].shed_ns)
			report_shed(a, svc, &g);
		*seen = g.v[v].shed_ns;
	}
}

void agent_guard_poll(struct agent *a)
{
	__u32 *ids;
	struct canary_config cfg;
	struct canary_state st;
	struct canary_err err;

	if (mono_now_s() < a->guard_at)
		return;
	a->guard_at = mono_now_s() + GUARD_POLL_S;
	ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	config_init(&cfg);
	if (ids && !state_open_unlocked(&st, a->pin_dir, &err)) {
		if (st.svcguard_fd >= 0 && !state_read_config(&st, &cfg, ids))
			poll_services(a, &st, &cfg, ids);
		state_close(&st);
	}
	config_free(&cfg);
	free(ids);
}
