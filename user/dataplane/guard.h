/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The guard's map (canary_svcguard, include/canary.h): its config written
 * with a config transaction, re-arming, and its state for status, top and
 * the agent. Returns 0 or a negative errno; never prints.
 */
#ifndef CANARY_USER_GUARD_H
#define CANARY_USER_GUARD_H

#include "dataplane/state.h"
#include "core/health.h"

/* Service @id's guard config into @g (all zero: off, or no map). */
void guard_read_cfg(struct canary_state *st, __u32 id,
		    struct canary_guard_cfg *g);

/*
 * Writes the guard of each service of @cfg (ids @ids, @fresh[i] for a
 * service new to the maps) before the flip that makes @cfg live. A
 * service whose guard, versions or weights differ from its namesake in
 * @old (or that is fresh) is re-armed: the weights are an operator's
 * decision. -ENOENT when a service asks for a guard and the map is not
 * pinned (a pin dir from an older build, before attach loaded this one).
 */
int guard_write(struct canary_state *st, const struct canary_config *old,
		const struct canary_config *cfg, const __u32 *ids,
		const bool *fresh);

/* Re-arms service @id's guard: windows and sheds forgotten, config kept. */
int guard_rearm(struct canary_state *st, __u32 id);

/* guard_rearm() by service name: -ENOENT when there is no such service,
 * -ENODATA when it has no guard. */
int guard_rearm_service(struct canary_state *st, const char *name);

/* Service @id's canary_svcguard entry (zero when there is none). */
int guard_read(struct canary_state *st, __u32 id, struct canary_svc_guard *out);

/* CLOCK_MONOTONIC ns @mono as seconds since the epoch. */
double guard_wall_time(__u64 mono);

#endif /* CANARY_USER_GUARD_H */
