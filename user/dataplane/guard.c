// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* canary_svcguard: config, re-arming and state (see guard.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "core/names.h"
#include "dataplane/guard.h"

static __u64 clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts); /* CLOCK_MONOTONIC: bpf_ktime_get_ns()'s */
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

double guard_wall_time(__u64 mono)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	double real = clock_ns(CLOCK_REALTIME) / 1e9;

	return real - (now > mono ? (now - mono) / 1e9 : 0);
}

int guard_read(struct canary_state *st, __u32 id, struct canary_svc_guard *out)
{
	memset(out, 0, sizeof(*out));
	if (st->svcguard_fd < 0)
		return 0;
	return bpf_map_lookup_elem(st->svcguard_fd, &id, out) ? -errno : 0;
}

void guard_read_cfg(struct canary_state *st, __u32 id,
		    struct canary_guard_cfg *g)
{
	struct canary_svc_guard e;

	memset(g, 0, sizeof(*g));
	if (guard_read(st, id, &e) || !(e.flags & CANARY_GUARD_F_ON))
		return;
	g->on = true;
	g->max_fail_bps = e.max_fail_bps;
	g->min_flows = e.min_flows;
	g->window_s = e.window_ms / 1000;
}

/* Whether @a and @b have the same versions with the same weights. */
static bool same_weights(const struct canary_service_cfg *a,
			 const struct canary_service_cfg *b)
{
	int v;

	if (a->n_versions != b->n_versions)
		return false;
	for (v = 0; v < a->n_versions; v++)
		if (a->v[v].weight_bps != b->v[v].weight_bps ||
		    strcmp(a->v[v].name, b->v[v].name))
			return false;
	return true;
}

/* Service @svc's entry @id: its config, and re-armed when @rearm. */
static int write_one(struct canary_state *st, __u32 id,
		     const struct canary_guard_cfg *g, bool rearm)
{
	struct canary_svc_guard e;
	int err = guard_read(st, id, &e);

	if (err)
		return err;
	if (rearm) {
		memset(e.v, 0, sizeof(e.v));
		e.armed_ns = clock_ns(CLOCK_MONOTONIC);
	}
	e.flags = g->on ? CANARY_GUARD_F_ON : 0;
	e.max_fail_bps = g->on ? g->max_fail_bps : 0;
	e.min_flows = g->on ? g->min_flows : 0;
	e.window_ms = g->on ? g->window_s * 1000 : 0;
	return bpf_map_update_elem(st->svcguard_fd, &id, &e, BPF_ANY) ? -errno : 0;
}

int guard_write(struct canary_state *st, const struct canary_config *old,
		const struct canary_config *cfg, const __u32 *ids,
		const bool *fresh)
{
	const struct canary_service_cfg *svc, *was;
	struct names ix;
	int i, j, err = 0;

	/* The old services by name: a lookup each, not a scan. */
	names_init(&ix);
	for (j = 0; j < old->n_services && !err; j++)
		err = names_put(&ix, old->svc[j].name, j) ? -ENOMEM : 0;
	for (i = 0; i < cfg->n_services && !err; i++) {
		svc = &cfg->svc[i];
		j = fresh[i] ? -1 : names_get(&ix, svc->name);
		was = j < 0 ? NULL : &old->svc[j];
		if (st->svcguard_fd < 0) {
			if (svc->guard.on)
				err = -ENOENT;
			continue;
		}
		if (was && guard_cfg_equal(&was->guard, &svc->guard) &&
		    same_weights(was, svc))
			continue;
		err = write_one(st, ids[i], &svc->guard, true);
	}
	names_free(&ix);
	return err;
}

int guard_rearm(struct canary_state *st, __u32 id)
{
	struct canary_svc_guard e;
	int err;

	if (st->svcguard_fd < 0)
		return -ENOENT;
	err = guard_read(st, id, &e);
	if (err)
		return err;
	memset(e.v, 0, sizeof(e.v));
	e.armed_ns = clock_ns(CLOCK_MONOTONIC);
	return bpf_map_update_elem(st->svcguard_fd, &id, &e, BPF_ANY) ? -errno : 0;
}

int guard_rearm_service(struct canary_state *st, const char *name)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct canary_config cfg;
	int i, err = -ENOMEM;

	config_init(&cfg);
	if (ids)
		err = state_read_snapshot(st, &cfg, ids, NULL, name, NULL);
	i = err ? -1 : config_find_index(&cfg, name);
	if (!err && i < 0)
		err = -ENOENT;
	else if (!err && !cfg.svc[i].guard.on)
		err = -ENODATA;
	else if (!err)
		err = guard_rearm(st, ids[i]);
	config_free(&cfg);
	free(ids);
	return err;
}
