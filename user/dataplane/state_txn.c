// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A config transaction: read the active config, edit and validate it,
 * write it to the inactive generation (state_config.c), flip to it, then
 * settle (wait for readers of the retired generation, drop dead flows).
 * The active generation is never written (see include/canary.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/bridge.h"
#include "util/log.h"
#include "core/names.h"
#include "dataplane/state_int.h"
#include "dataplane/guard.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

/* canary_txn's entry; all zero when the map is missing or unreadable. */
static struct canary_txn read_txn(struct canary_state *st)
{
	struct canary_txn t = {};
	__u32 zero = 0;

	if (st->txn_fd < 0 || bpf_map_lookup_elem(st->txn_fd, &zero, &t))
		memset(&t, 0, sizeof(t));
	return t;
}

static int write_txn(struct canary_state *st, const struct canary_txn *t)
{
	__u32 zero = 0;

	if (st->txn_fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(st->txn_fd, &zero, t, BPF_ANY) ? -errno : 0;
}

/*
 * Before writing generation @gen: *@clean tells whether it holds exactly
 * what a finished transaction wrote; it is then marked unclean until the
 * flip to it, so that a transaction that dies half way leaves it for a
 * full walk.
 */
int state_begin_gen(struct canary_state *st, __u32 gen, bool *clean)
{
	struct canary_txn t = read_txn(st);

	*clean = t.clean_gens & (1u << gen);
	if (!*clean)
		return 0;
	t.clean_gens &= ~(1u << gen);
	return write_txn(st, &t);
}

/* The generation to write: neither the active one nor the previous one,
 * which mid-flow packets may still be placed by during its grace. */
static __u32 target_gen(struct canary_state *st)
{
	struct canary_genstate gs;
	__u32 g;

	if (state_genstate(st, &gs))
		return 1;
	for (g = 0; g < CANARY_GENERATIONS; g++)
		if (g != gs.active && g != gs.prev)
			return g;
	return (gs.active + 1) % CANARY_GENERATIONS;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Makes @gen active; the one it replaces becomes the previous generation
 * for the grace period (@grace_s, or as before, or the default). */
static int flip(struct canary_state *st, __u32 gen, int grace_s, __u64 now)
{
	struct canary_genstate cur = {}, gs = { .active = gen };
	__u32 zero = 0;

	if (state_genstate(st, &cur))
		memset(&cur, 0, sizeof(cur));
	gs.prev = cur.active;
	if (grace_s != CANARY_GRACE_KEEP)
		gs.grace_ns = grace_s * 1000000000ull;
	else if (cur.prev_until_ns) /* configured before */
		gs.grace_ns = cur.grace_ns;
	else
		gs.grace_ns = CANARY_GRACE_DEFAULT_S * 1000000000ull;
	gs.prev_until_ns = now + gs.grace_ns;
	return bpf_map_update_elem(st->gen_fd, &zero, &gs, BPF_ANY) ? -errno : 0;
}

/*
 * Waits until every BPF program that may still be reading the generation we
 * just left has finished: an update of a map-in-map makes the kernel call
 * synchronize_rcu() before returning (maybe_wait_bpf_programs()). After
 * this, the next change may rewrite that generation safely.
 */
static int wait_for_readers(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer, err = 0;
	__u32 zero = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 1, &opts);
	if (outer < 0 || bpf_map_update_elem(outer, &zero, &inner, BPF_ANY))
		err = -errno;
	if (outer >= 0)
		close(outer);
	close(inner);
	return err;
}

/* The stamp of the last flip (CLOCK_MONOTONIC), 0 if none. */
static __u64 last_flip_ns(struct canary_state *st)
{
	struct canary_genstate gs;

	if (state_genstate(st, &gs) || !gs.prev_until_ns)
		return 0;
	return gs.prev_until_ns - gs.grace_ns;
}

/*
 * Whether a program may still read the generation the next change
 * rewrites (the one the last flip retired). Not when the process that
 * flipped has since waited for an RCU grace period (canary_txn), nor
 * when the flip was more than a second ago: a packet reads the maps for
 * microseconds.
 */
static bool readers_may_remain(struct canary_state *st)
{
	__u64 flip = last_flip_ns(st);

	if (!flip || monotonic_ns() >= flip + 1000000000ull)
		return false;
	return read_txn(st).quiet_flip_ns != flip;
}

/*
 * After the flip to @gen: @gen is clean (it holds exactly this config);
 * then waits for the programs still reading the generation the flip
 * retired and records that, so that the next change need not wait before
 * it writes. The new config is already live: a failure here only costs
 * the next change a wait or a walk.
 */
static void settle_flip(struct canary_state *st, __u32 gen)
{
	struct canary_txn t = read_txn(st);

	t.clean_gens |= 1u << gen;
	if (write_txn(st, &t) || wait_for_readers())
		return;
	t.quiet_flip_ns = last_flip_ns(st);
	write_txn(st, &t);
}

/*
 * Writes generation @gen's canary_vips bitmap (the VIPs of @cfg's
 * services, IPv6 ones folded) for the flip at @flip_ns. Without the map (programs of an
 * older build) there is nothing to write.
 */
static int write_vips(struct canary_state *st, const struct canary_config *cfg,
		      __u32 gen, __u64 flip_ns)
{
	struct canary_vips *v;
	__u32 bit;
	int i, err = 0;

	if (state_open_vips(st))
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < cfg->n_services; i++) {
		bit = canary_vip_bit(addr_hash_word(&cfg->svc[i].vip));
		v->bits[bit / 64] |= 1ull << (bit % 64);
	}
	v->valid = CANARY_VIPS_VALID;
	v->flip_ns = flip_ns;
	if (bpf_map_update_elem(st->vips_fd, &gen, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}

static int commit(struct canary_state *st, const struct canary_config *old,
		  const __u32 *old_ids, struct canary_config *cfg)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	bool *fresh = calloc(CANARY_MAX_SERVICES, sizeof(*fresh));
	__u32 gen = target_gen(st);
	struct canary_node node;
	int i, err = -ENOMEM;
	__u64 now;

	if (!ids || !fresh)
		goto out;
	/* Packets read the generation we rewrite until the last flip: until
	 * then it was the previous one, or the active one before that. */
	if (readers_may_remain(st) && (err = wait_for_readers()))
		goto out;
	err = state_assign_ids(old, old_ids, cfg, ids, fresh);
	if (err)
		goto out;
	for (i = 0, err = 0; i < cfg->n_services && !err; i++)
		if (fresh[i])
			err = state_zero_stats(st, ids[i]);
	/* A Local service's endpoints are those of the node section being
	 * applied, not of the one it replaces. */
	if (cfg->node.set)
		state_node_of(&cfg->node, &node);
	else
		state_node_get(st, &node);
	if (!err)
		err = state_write_config(st, cfg, ids, fresh, gen, &node);
	/* A bitmap that failed to be written is one for an older flip:
	 * the programs ignore it and look every packet up. */
	now = monotonic_ns();
	if (!err && write_vips(st, cfg, gen, now))
		pr_warn("Couldn't write the VIP bitmap: packets to no service "
			"take the slower path\n");
	/* Not versioned: only once the new generation is complete. */
	if (!err && cfg->node.set)
		err = state_node_write(st, &cfg->node);
	/* Not versioned either; canary_svc's flag says whether to look. */
	if (!err)
		err = guard_write(st, old, cfg, ids, fresh);
	if (!err)
		err = state_write_timeouts(st, &cfg->timeouts);
	if (!err)
		err = flip(st, gen, cfg->grace_s, now);
	if (!err)
		settle_flip(st, gen);
	/* The new config is live: a failed clean-up is worth a warning only. */
	if (!err && state_gc_flows(st, cfg))
		pr_warn("Couldn't drop the flows of removed endpoints: they "
			"go on until evicted\n");
out:
	free(ids);
	free(fresh);
	return err;
}

/* Whether @b asks for exactly what @a runs (services matched by name) and
 * for the node section the maps hold. */
static bool config_same(struct canary_state *st, const struct canary_config *a,
			const struct canary_config *b)
{
	struct canary_node want, have;
	struct canary_genstate gs;
	struct names ix;
	bool same = true;
	int i, j;

	if (a->n_services != b->n_services)
		return false;
	if (b->grace_s != CANARY_GRACE_KEEP &&
	    (state_genstate(st, &gs) ||
	     gs.grace_ns != b->grace_s * 1000000000ull))
		return false;
	if (state_timeouts_differ(st, &b->timeouts))
		return false;
	if (b->node.set) {
		state_node_of(&b->node, &want);
		state_node_get(st, &have);
		if (memcmp(&want, &have, sizeof(want)))
			return false;
	}
	names_init(&ix);
	for (i = 0; i < a->n_services && same; i++)
		same = !names_put(&ix, a->svc[i].name, i);
	for (i = 0; i < b->n_services && same; i++) {
		j = names_get(&ix, b->svc[i].name);
		same = j >= 0 && config_service_same(&a->svc[j], &b->svc[i]);
	}
	names_free(&ix);
	return same;
}

/* config_check_node() against the node the maps hold, for a config
 * that brings no node section of its own. */
static int check_running_node(struct canary_state *st,
			      const struct canary_config *cfg,
			      struct canary_err *err)
{
	struct canary_node_cfg node;

	state_read_node(st, &node);
	return config_check_node(cfg, &node, err);
}

/* A guard needs canary_guard, which a pin dir from an older build lacks
 * until attach loads this one: -ENOENT naming the service. */
static int check_guard_map(struct canary_state *st,
			   const struct canary_config *cfg,
			   struct canary_err *err)
{
	int i;

	for (i = 0; i < cfg->n_services && st->svcguard_fd < 0; i++)
		if (cfg->svc[i].guard.on) {
			cerr_set(err, "service '%s' has a guard, which needs the "
				 "map %s: run 'canary-bpf attach' with this "
				 "build first", cfg->svc[i].name,
				 CANARY_MAP_SVCGUARD);
			return -ENOENT;
		}
	return 0;
}

int state_transaction(struct canary_state *st, config_edit_fn edit, void *arg,
		      struct canary_err *err)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct canary_config old;
	int ret;

	cerr_clear(err);
	config_init(&old);
	if (!ids || state_read_config(st, &old, ids)) {
		cerr_set(err, "Couldn't read the running config under '%s'",
			 st->pin_dir);
		ret = EXIT_FAIL;
	} else {
		ret = state_transaction_on(st, &old, ids, edit, arg, err);
	}
	config_free(&old);
	free(ids);
	return ret;
}

int state_transaction_on(struct canary_state *st,
			 const struct canary_config *old, const __u32 *old_ids,
			 config_edit_fn edit, void *arg, struct canary_err *err)
{
	struct canary_config cfg;
	int ret = EXIT_FAIL, e;

	cerr_clear(err);
	if (config_copy(&cfg, old)) {
		cerr_set(err, "Couldn't copy the running config: out of memory");
		return EXIT_FAIL;
	}
	e = edit(&cfg, arg, err);
	if (!e)
		e = config_validate(&cfg, err);
	if (!e && !cfg.node.set)
		e = check_running_node(st, &cfg, err);
	if (!e && (cfg.timeouts.set || cfg.timeouts.syn_rate) &&
	    st->flowcfg_fd < 0) {
		cerr_set(err, "timeouts, flood_guard: the programs under '%s' "
			 "predate them; attach this build first", st->pin_dir);
		goto out;
	}
	if (!e)
		e = check_guard_map(st, &cfg, err);
	if (e) {
		if (cerr_unset(err))
			cerr_set(err, "%s", strerror(-e));
		ret = e == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (config_same(st, old, &cfg)) {
		/* Nothing to do, and the previous generation (and its grace
		 * period) must stay the config before the last real change. */
		pr_info("config unchanged\n");
		ret = EXIT_OK;
		goto out;
	}
	e = commit(st, old, old_ids, &cfg);
	if (e == -ENOSPC) {
		/* The old services keep their ids until the change is live. */
		cerr_set(err, "too many services: the running and the new "
			 "config together need more than %d service ids; remove "
			 "some services first", CANARY_MAX_SERVICES);
		ret = EXIT_USAGE;
		goto out;
	}
	if (e) {
		cerr_set(err, "Couldn't write the new config under '%s': %s",
			 st->pin_dir, strerror(-e));
		goto out;
	}
	ret = EXIT_OK;
out:
	/* Endpoints may have come or gone (and a no-op apply is a way to
	 * ask): the bridge FDB copy follows, failing only the fast path. */
	if (ret == EXIT_OK)
		bridge_sync(st);
	config_free(&cfg);
	return ret;
}
