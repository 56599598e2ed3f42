/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A snapshot of the running config and of what the data plane counted:
 * what `status` prints and the agent's /metrics serves. */
#ifndef CANARY_USER_STATS_H
#define CANARY_USER_STATS_H

#include "dataplane/state.h"

struct stats_snap {
	struct canary_config cfg;
	__u32 ids[CANARY_MAX_SERVICES];
	struct canary_vstats st[CANARY_MAX_SERVICES][CANARY_MAX_VERSIONS];
	struct canary_global global;
	struct canary_genstate gs;
	int gen;
	/* new flows of each version since its weight last changed */
	__u64 since[CANARY_MAX_SERVICES][CANARY_MAX_VERSIONS];
	__u64 pin_flows[CANARY_MAX_SERVICES][CANARY_MAX_PINS];
	/* connection outcomes (all zero before canary_health existed) */
	struct canary_health health[CANARY_MAX_SERVICES][CANARY_MAX_VERSIONS];
	struct canary_svc_guard guard[CANARY_MAX_SERVICES]; /* zero: off */
	bool has_health;      /* canary_health is pinned */
	__u64 flow_entries;   /* in canary_flow_v3 now */
	__u64 flow_evictions; /* inserted, not removed by us, gone: the LRU's */
	struct canary_timeouts_cfg timeouts; /* flow idle timeouts in effect */
	__u64 syn_skipped;    /* SYNs the flood guard left unrecorded */
};

/* Reads config, per-version counters and node counters into @d (large:
 * allocate it), with @only just the service of that name (-ENOENT when
 * there is none). Needs no lock: the config is one consistent
 * generation. @d->cfg must be released with config_free() even on
 * failure. Returns 0 or a negative errno. */
int stats_load(struct canary_state *st, struct stats_snap *d,
	       const char *only);

/* Handshake time quantile @q of version @v of service @i, microseconds
 * (0: none timed). */
double stats_hs_us(const struct stats_snap *d, int i, int v, double q);

/* New flows of service @i over all its versions. */
__u64 stats_service_flows(const struct stats_snap *d, int i);
/* The same since the service's weights last changed. */
__u64 stats_service_flows_since(const struct stats_snap *d, int i);

#endif /* CANARY_USER_STATS_H */
