// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading the counters the data plane keeps (see stats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/stats.h"
#include "dataplane/guard.h"
#include "core/health.h"

/* Sums a per-CPU value of @size bytes made of __u64 counters. */
static int read_percpu(int fd, __u32 key, void *out, size_t size)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	size_t i, n = size / sizeof(__u64);
	__u64 *vals, *sum = out;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, size);
	if (!vals)
		return -ENOMEM;
	memset(out, 0, size);
	if (bpf_map_lookup_elem(fd, &key, vals)) {
		free(vals);
		return -errno;
	}
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < n; i++)
			sum[i] += vals[c * n + i];
	free(vals);
	return 0;
}

/* Flows since the last weight change (d->since holds the counters at
 * that change on entry), and per pin. */
static void load_service_extras(struct canary_state *st, struct stats_snap *d,
				int i)
{
	int v;

	for (v = 0; v < d->cfg.svc[i].n_versions; v++)
		d->since[i][v] = d->st[i][v].new_flows - d->since[i][v];
	for (v = 0; v < d->cfg.svc[i].n_pins; v++)
		read_percpu(st->pinstat_fd, d->ids[i] * CANARY_MAX_PINS + v,
			    &d->pin_flows[i][v], sizeof(__u64));
}

/* Connection outcomes per version and each service's guard. */
static void load_health(struct canary_state *st, struct stats_snap *d)
{
	int i, v;

	d->has_health = st->health_fd >= 0;
	for (i = 0; i < d->cfg.n_services; i++) {
		guard_read(st, d->ids[i], &d->guard[i]);
		for (v = 0; v < d->cfg.svc[i].n_versions && d->has_health; v++)
			read_percpu(st->health_fd,
				    d->ids[i] * CANARY_MAX_VERSIONS + v,
				    &d->health[i][v], sizeof(d->health[i][v]));
	}
}

double stats_hs_us(const struct stats_snap *d, int i, int v, double q)
{
	return health_percentile_us(d->health[i][v].hs_bucket,
				    CANARY_HS_BUCKETS, q);
}

/* Entries of the flow table @fd (canary_flow_v3 or canary_flow6_v3), walking
 * at most @steps keys. */
static __u64 count_flows(int fd, __u32 steps)
{
	unsigned char key[sizeof(struct canary_flow6_key)], *prev = NULL;
	__u64 n = 0;

	while (steps-- && bpf_map_get_next_key(fd, prev, key) == 0) {
		n++;
		prev = key;
	}
	return n;
}

/* How full the flow tables (both families) are and how many flows their
 * LRUs evicted. */
static void load_flow_table(struct canary_state *st, struct stats_snap *d)
{
	struct canary_ustat u = {};
	__u32 zero = 0, steps = state_flow_walk_limit(st);
	__u64 gone;

	d->flow_entries = count_flows(st->flow_fd, steps) +
			  count_flows(st->flow6_fd, steps);
	bpf_map_lookup_elem(st->ustat_fd, &zero, &u);
	gone = u.flows_deleted + d->flow_entries;
	d->flow_evictions = d->global.flow_inserts > gone ?
				    d->global.flow_inserts - gone : 0;
}

int stats_load(struct canary_state *st, struct stats_snap *d, const char *only)
{
	int i, v, ret;

	config_init(&d->cfg);
	ret = state_read_snapshot(st, &d->cfg, d->ids, d->since, only, &d->gen);
	if (ret)
		return ret;
	state_open_counters(st);
	for (i = 0; i < d->cfg.n_services; i++)
		for (v = 0; v < d->cfg.svc[i].n_versions; v++)
			read_percpu(st->stats_fd,
				    d->ids[i] * CANARY_MAX_VERSIONS + v,
				    &d->st[i][v], sizeof(d->st[i][v]));
	for (i = 0; i < d->cfg.n_services; i++)
		load_service_extras(st, d, i);
	load_health(st, d);
	state_genstate(st, &d->gs);
	state_read_timeouts(st, &d->timeouts);
	state_syn_skipped(st, &d->syn_skipped);
	ret = read_percpu(st->global_fd, 0, &d->global, sizeof(d->global));
	load_flow_table(st, d); /* after the global counters it compares with */
	return ret;
}

__u64 stats_service_flows(const struct stats_snap *d, int i)
{
	__u64 total = 0;
	int v;

	for (v = 0; v < d->cfg.svc[i].n_versions; v++)
		total += d->st[i][v].new_flows;
	return total;
}

__u64 stats_service_flows_since(const struct stats_snap *d, int i)
{
	__u64 total = 0;
	int v;

	for (v = 0; v < d->cfg.svc[i].n_versions; v++)
		total += d->since[i][v];
	return total;
}
