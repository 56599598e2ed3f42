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
				o = kube_store_find(&a->store[a->mem[i].kind],
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

/* Learns the ids of the guarded services from the running config (after
 * a pass that added some); 0 or -errno. */
static int learn_ids(struct agent *a, struct canary_state *st)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct canary_config cfg;
	struct guarded *g;
	int i, j, ret = -ENOMEM;

	config_init(&cfg);
	if (ids)
		ret = state_read_config(st, &cfg, ids);
	for (i = 0; !ret && i < cfg.n_services; i++) {
		j = names_get(&a->guarded_ix, cfg.svc[i].name);
		if (j < 0)
			continue;
		g = &a->guarded[j];
		g->id = ids[i];
		g->id_known = true;
	}
	config_free(&cfg);
	free(ids);
	return ret;
}

/* Guarded service @g's shed, if new: a log line and an Event. */
static void poll_one(struct agent *a, struct canary_state *st,
		     struct guarded *g)
{
	struct canary_service_cfg *svc;
	struct canary_svc_guard gd;
	int v;

	if (!g->id_known || guard_read(st, g->id, &gd))
		return;
	if (guard_service_state(&gd, g->n_versions, &v) != GUARD_SHED) {
		g->shed_ns = 0;
		return;
	}
	if (g->shed_ns == gd.v[v].shed_ns)
		return;
	g->shed_ns = gd.v[v].shed_ns;
	svc = malloc(sizeof(*svc));
	if (svc && !config_service_unpack(g->packed, g->packed_len, svc))
		report_shed(a, svc, &gd);
	free(svc);
}

/* Reads only the guards of our services that have one: nothing at all
 * when none has. */
void agent_guard_poll(struct agent *a)
{
	struct canary_state st;
	struct canary_err err;
	int i;

	if (!a->n_guarded || mono_now_s() < a->guard_at)
		return;
	a->guard_at = mono_now_s() + GUARD_POLL_S;
	if (state_open_unlocked(&st, a->pin_dir, &err)) {
		state_close(&st);
		return;
	}
	for (i = 0; i < a->n_guarded && st.svcguard_fd >= 0; i++)
		if (!a->guarded[i].id_known) {
			learn_ids(a, &st);
			break;
		}
	for (i = 0; i < a->n_guarded && st.svcguard_fd >= 0; i++)
		poll_one(a, &st, &a->guarded[i]);
	state_close(&st);
}
