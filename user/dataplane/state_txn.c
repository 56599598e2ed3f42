// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A config transaction: read the live config, edit and validate it, then
 * for each service that changed write its config into a slot no program
 * reads (state_config.c) and flip that service alone with one update of
 * its canary_svc_v2 entry; services that did not change are not written.
 * Then settle: wait for readers of the slots the flips retired, drop dead
 * flows. A live slot is never written (see include/canary.h).
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

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Waits until every BPF program that may still be reading a slot a flip
 * just retired has finished: an update of a map-in-map makes the kernel
 * call synchronize_rcu() before returning (maybe_wait_bpf_programs()).
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

/* The grace period a change gives the previous slots: @grace_s, or as
 * configured before, or the default. */
static __u64 grace_ns_of(const struct canary_genstate *cur, int grace_s)
{
	if (grace_s != CANARY_GRACE_KEEP)
		return grace_s * 1000000000ull;
	if (cur->prev_until_ns) /* configured before */
		return cur->grace_ns;
	return CANARY_GRACE_DEFAULT_S * 1000000000ull;
}

/*
 * Records the transaction at @now in canary_gen: the grace period, and a
 * new stamp (prev_until_ns - grace_ns = @now) that readers and the agent
 * take for "the config changed", which canary_vips must carry to be
 * trusted. The generation of canary_backend and canary_vips stays; an
 * older release's previous generation is no longer asked.
 */
static int stamp_gen(struct canary_state *st, __u64 grace_ns, __u64 now)
{
	struct canary_genstate cur = {}, gs;
	__u32 zero = 0;

	if (state_genstate(st, &cur))
		memset(&cur, 0, sizeof(cur));
	gs.active = gs.prev = cur.active < CANARY_GENERATIONS ? cur.active : 0;
	gs.grace_ns = grace_ns;
	gs.prev_until_ns = now + grace_ns;
	return bpf_map_update_elem(st->gen_fd, &zero, &gs, BPF_ANY) ? -errno : 0;
}

/*
 * Writes generation @gen's canary_vips bitmap (the VIPs of @cfg's
 * services, IPv6 ones folded) for the stamp @flip_ns. Without the map
 * (programs of an older build) there is nothing to write.
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

/* What a transaction does to each service, by index in the new config
 * (and, for removed, in the old one). */
struct plan {
	__u32 *ids;
	bool *fresh, *changed, *shared, *old_shared, *has_live, *removed;
	int *old_of;                    /* index in old, or -1 */
	struct canary_svc_slots *live;  /* with has_live: its entry now */
	struct canary_svc *hdr;         /* with changed: the new header */
	__u32 *slot;                    /* with changed: the slot written */
	bool gc;                        /* flows may have lost their endpoint */
};

static int plan_alloc(struct plan *p, int n_new, int n_old)
{
	size_t n = n_new + 1, o = n_old + 1;

	p->ids = calloc(CANARY_MAX_SERVICES, sizeof(*p->ids));
	p->fresh = calloc(n, sizeof(bool));
	p->changed = calloc(n, sizeof(bool));
	p->shared = calloc(n, sizeof(bool));
	p->has_live = calloc(n, sizeof(bool));
	p->old_of = calloc(n, sizeof(int));
	p->live = calloc(n, sizeof(*p->live));
	p->hdr = calloc(n, sizeof(*p->hdr));
	p->slot = calloc(n, sizeof(*p->slot));
	p->old_shared = calloc(o, sizeof(bool));
	p->removed = calloc(o, sizeof(bool));
	return p->ids && p->fresh && p->changed && p->shared && p->has_live &&
			       p->old_of && p->live && p->hdr && p->slot &&
			       p->old_shared && p->removed ?
		       0 : -ENOMEM;
}

static void plan_free(struct plan *p)
{
	free(p->ids);
	free(p->fresh);
	free(p->changed);
	free(p->shared);
	free(p->has_live);
	free(p->old_of);
	free(p->live);
	free(p->hdr);
	free(p->slot);
	free(p->old_shared);
	free(p->removed);
}

/* Whether a flow of @o (old config of a service) may lose its endpoint
 * or its VIP:port under @n. */
static bool loses_flows(const struct canary_service_cfg *o,
			const struct canary_service_cfg *n)
{
	int v, e, w, f;
	bool found;

	if (!addr_eq(&o->vip, &n->vip) || o->port != n->port ||
	    o->proto != n->proto || o->n_ports != n->n_ports ||
	    memcmp(o->ports, n->ports, sizeof(o->ports)))
		return true;
	for (v = 0; v < o->n_versions; v++)
		for (e = 0; e < o->v[v].n_endpoints; e++) {
			found = false;
			for (w = 0; w < n->n_versions && !found; w++)
				for (f = 0; f < n->v[w].n_endpoints && !found; f++)
					found = addr_eq(&o->v[v].ep[e].addr,
							&n->v[w].ep[f].addr) &&
						o->v[v].ep[e].port ==
							n->v[w].ep[f].port;
			if (!found)
				return true;
		}
	return false;
}

/* Service @svc's canary_svc_v2 entry (by its first port) into @e when it
 * is service @id's; -ENOENT otherwise. */
static int live_entry(struct canary_state *st,
		      const struct canary_service_cfg *svc, __u32 id,
		      struct canary_svc_slots *e)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	union svc_key k;
	int fd;

	config_ports(svc, ports);
	fd = state_svc_key(st, svc, ports[0].port, &k);
	if (bpf_map_lookup_elem(fd, &k, e) || e->live.id != id ||
	    e->slot >= CANARY_GENERATIONS)
		return -ENOENT;
	return 0;
}

/* The slot a change of a service whose entry is @e writes: neither the
 * live one nor the previous one (which mid-flow packets may still be
 * placed by during its grace). */
static __u32 third_slot(const struct canary_svc_slots *e)
{
	__u32 s;

	for (s = 0; s < CANARY_GENERATIONS; s++)
		if (s != e->slot && s != e->prev_slot)
			return s;
	return (e->slot + 1) % CANARY_GENERATIONS;
}

/* Whether the node section @cfg brings differs from the one in the maps
 * (a Local service's tables follow it). */
static bool node_changes(struct canary_state *st, const struct canary_config *cfg)
{
	struct canary_node want, have;

	if (!cfg->node.set)
		return false;
	state_node_of(&cfg->node, &want);
	state_node_get(st, &have);
	return memcmp(&want, &have, sizeof(want)) != 0;
}

/* Which services changed, were added or removed, and their entries now. */
static int plan_changes(struct canary_state *st, const struct canary_config *old,
			const __u32 *old_ids, struct canary_config *cfg,
			struct plan *p)
{
	bool node_changed = node_changes(st, cfg);
	struct names ix;
	int i, j;

	names_init(&ix);
	for (j = 0; j < old->n_services; j++) {
		p->removed[j] = true;
		if (names_put(&ix, old->svc[j].name, j)) {
			names_free(&ix);
			return -ENOMEM;
		}
	}
	for (i = 0; i < cfg->n_services; i++) {
		j = names_get(&ix, cfg->svc[i].name);
		p->old_of[i] = j;
		if (j >= 0)
			p->removed[j] = false;
		p->changed[i] = j < 0 ||
				!config_service_same(&old->svc[j], &cfg->svc[i]) ||
				(cfg->svc[i].local && node_changed);
		if (j >= 0 && p->changed[i] &&
		    loses_flows(&old->svc[j], &cfg->svc[i]))
			p->gc = true;
		p->has_live[i] = j >= 0 && p->changed[i] &&
				 !live_entry(st, &old->svc[j], old_ids[j],
					     &p->live[i]);
	}
	for (j = 0; j < old->n_services; j++)
		p->gc |= p->removed[j];
	names_free(&ix);
	return 0;
}

/*
 * Whether a program may still read the slot a change of one of the
 * services about to be written retired at its last flip but one: not
 * when the transaction that flipped it since waited for an RCU grace
 * period (canary_txn), nor when that flip was more than a second ago: a
 * packet reads the maps for microseconds.
 */
static bool readers_may_remain(struct canary_state *st, const struct plan *p,
			       int n)
{
	__u64 quiet = read_txn(st).quiet_flip_ns, now = monotonic_ns();
	int i;

	for (i = 0; i < n; i++)
		if (p->changed[i] && p->has_live[i] &&
		    p->live[i].flip_ns > quiet &&
		    now < p->live[i].flip_ns + 1000000000ull)
			return true;
	return false;
}

/* Before the first slot is written: a transaction killed before it
 * settled left entries to sweep; this one is marked busy until it
 * settles. Without canary_txn (an older pin dir) neither. */
static int mark_busy(struct canary_state *st)
{
	struct canary_txn t = read_txn(st);
	int err = 0;

	if (st->txn_fd < 0)
		return 0;
	if (t.busy)
		err = state_sweep(st);
	t.busy = 1;
	return err ? err : write_txn(st, &t);
}

/* Writes each changed service into its third slot (nothing is live yet),
 * once no program may still read that slot, the transaction marked busy
 * first. */
static int write_slots(struct canary_state *st, struct canary_config *cfg,
		       const struct canary_node *node, struct plan *p)
{
	int i, err = 0;

	if (readers_may_remain(st, p, cfg->n_services))
		err = wait_for_readers();
	if (!err)
		err = mark_busy(st);
	if (err)
		return err;
	state_open_counters(st); /* an attach since the open made them */
	for (i = 0; i < cfg->n_services && !err; i++) {
		if (!p->changed[i])
			continue;
		p->slot[i] = p->has_live[i] ? third_slot(&p->live[i]) : 0;
		if (p->fresh[i])
			err = state_zero_stats(st, p->ids[i]);
		if (!err)
			err = state_write_slot(st, p->ids[i], p->slot[i],
					       p->has_live[i] ? &p->live[i] : NULL,
					       &cfg->svc[i], node, p->shared[i],
					       &p->hdr[i]);
	}
	return err;
}

/*
 * Flips service @svc (id @id) to slot @slot with header @h: one update
 * per service port, each keeping the entry's live slot as the previous
 * one (when it was this service's) until @now + @grace_ns.
 */
static int flip_service(struct canary_state *st,
			const struct canary_service_cfg *svc, __u32 id,
			__u32 slot, const struct canary_svc *h, __u64 grace_ns,
			__u64 now)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	struct canary_svc_slots cur, e;
	int n_ports, i, fd;
	union svc_key k;

	n_ports = config_ports(svc, ports);
	for (i = 0; i < n_ports; i++) {
		fd = state_svc_key(st, svc, ports[i].port, &k);
		memset(&e, 0, sizeof(e));
		e.live = *h;
		e.live.target_port = ports[i].target;
		e.slot = e.prev_slot = slot;
		if (!bpf_map_lookup_elem(fd, &k, &cur) && cur.live.id == id &&
		    cur.slot != slot && cur.slot < CANARY_GENERATIONS) {
			e.prev = cur.live;
			e.prev_slot = cur.slot;
		}
		e.prev_until_ns = now + grace_ns;
		e.flip_ns = now;
		if (bpf_map_update_elem(fd, &k, &e, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Edits the canary_svc_v2 (or _svc6_v2) entry of each port of unchanged
 * service @svc with @edit, writing back those it changed (@edit returns
 * true). Returns 0 or -errno. */
static int edit_svc_entries(struct canary_state *st,
			    const struct canary_service_cfg *svc,
			    bool (*edit)(struct canary_svc_slots *e, void *arg),
			    void *arg)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	struct canary_svc_slots e;
	int n_ports, i, fd;
	union svc_key k;

	n_ports = config_ports(svc, ports);
	for (i = 0; i < n_ports; i++) {
		fd = state_svc_key(st, svc, ports[i].port, &k);
		if (bpf_map_lookup_elem(fd, &k, &e) || !edit(&e, arg))
			continue;
		if (bpf_map_update_elem(fd, &k, &e, BPF_ANY))
			return -errno;
	}
	return 0;
}

struct shared_edit {
	__u32 id;
	bool on;
};

static bool edit_shared(struct canary_svc_slots *e, void *arg)
{
	const struct shared_edit *a = arg;

	if (e->live.id != a->id)
		return false;
	e->live.flags = a->on ? e->live.flags | CANARY_SVC_F_SHARED :
				e->live.flags & ~CANARY_SVC_F_SHARED;
	return true;
}

/* Sets or clears CANARY_SVC_F_SHARED in the live header of unchanged
 * service @svc (id @id): another service's change made or ended the
 * sharing. */
static int set_shared(struct canary_state *st,
		      const struct canary_service_cfg *svc, __u32 id, bool on)
{
	struct shared_edit a = { .id = id, .on = on };

	return edit_svc_entries(st, svc, edit_shared, &a);
}

static bool edit_grace(struct canary_svc_slots *e, void *arg)
{
	__u64 grace_ns = *(const __u64 *)arg;

	if (e->prev_slot == e->slot || e->prev_until_ns <= e->flip_ns + grace_ns)
		return false;
	e->prev_until_ns = e->flip_ns + grace_ns;
	return true;
}

/* Ends the grace of unchanged service @svc's previous slot at @grace_ns
 * after its last flip, if that is sooner: a shorter grace period applies
 * to the changes before it too (a longer one never revives a slot). */
static int regrace(struct canary_state *st,
		   const struct canary_service_cfg *svc, __u64 grace_ns)
{
	return edit_svc_entries(st, svc, edit_grace, &grace_ns);
}

/* A service key tagged with its family, for the set of keys in use. */
struct tagged_key {
	int fd;
	union svc_key k;
};

static int tagged_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tagged_key));
}

/* Every service port key of @cfg, sorted, in *@out (malloc'd). */
static long key_set(struct canary_state *st, const struct canary_config *cfg,
		    struct tagged_key **out)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	long n = 0;
	int i, j, np;

	*out = calloc((size_t)cfg->n_services * CANARY_MAX_PORTS + 1,
		      sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < cfg->n_services; i++) {
		np = config_ports(&cfg->svc[i], ports);
		for (j = 0; j < np; j++, n++)
			(*out)[n].fd = state_svc_key(st, &cfg->svc[i],
						     ports[j].port, &(*out)[n].k);
	}
	qsort(*out, n, sizeof(**out), tagged_cmp);
	return n;
}

/* Deletes the keys of old service @svc (id @id) that no service of the
 * new config has (@keep, @n_keep sorted). */
static int drop_keys(struct canary_state *st,
		     const struct canary_service_cfg *svc, __u32 id,
		     const struct tagged_key *keep, long n_keep)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	struct canary_svc_slots e;
	struct tagged_key t;
	int n_ports, i;

	n_ports = config_ports(svc, ports);
	for (i = 0; i < n_ports; i++) {
		memset(&t, 0, sizeof(t));
		t.fd = state_svc_key(st, svc, ports[i].port, &t.k);
		if (bsearch(&t, keep, n_keep, sizeof(t), tagged_cmp))
			continue;
		if (bpf_map_lookup_elem(t.fd, &t.k, &e) || e.live.id != id)
			continue;
		if (bpf_map_delete_elem(t.fd, &t.k) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Deletes the keys that removed services, and changed services that
 * moved, no longer have: before the flips, so that no VIP:port is ever
 * served by two services (a key taken over is overwritten instead). */
static int drop_old_keys(struct canary_state *st,
			 const struct canary_config *old, const __u32 *old_ids,
			 const struct canary_config *cfg, const struct plan *p)
{
	struct tagged_key *keep;
	long n_keep;
	int i, j, err = 0;
	bool any = false;

	for (j = 0; j < old->n_services; j++)
		any |= p->removed[j];
	for (i = 0; i < cfg->n_services; i++)
		any |= p->changed[i] && p->old_of[i] >= 0;
	if (!any)
		return 0;
	n_keep = key_set(st, cfg, &keep);
	if (n_keep < 0)
		return n_keep;
	for (j = 0; j < old->n_services && !err; j++)
		if (p->removed[j])
			err = drop_keys(st, &old->svc[j], old_ids[j], keep, n_keep);
	for (i = 0; i < cfg->n_services && !err; i++)
		if (p->changed[i] && p->old_of[i] >= 0)
			err = drop_keys(st, &old->svc[p->old_of[i]],
					old_ids[p->old_of[i]], keep, n_keep);
	free(keep);
	return err;
}

/* The flips: keys gone first, then each changed service, then the
 * sharing flags and (@regrace: a shorter grace period) the previous
 * slots of the others. */
static int flip_all(struct canary_state *st, const struct canary_config *old,
		    const __u32 *old_ids, const struct canary_config *cfg,
		    const struct plan *p, __u64 grace_ns, bool shorter, __u64 now)
{
	int i, j, err;

	err = drop_old_keys(st, old, old_ids, cfg, p);
	for (i = 0; i < cfg->n_services && !err; i++)
		if (p->changed[i])
			err = flip_service(st, &cfg->svc[i], p->ids[i],
					   p->slot[i], &p->hdr[i], grace_ns, now);
	for (i = 0; i < cfg->n_services && !err; i++) {
		j = p->old_of[i];
		if (!p->changed[i] && j >= 0 && p->shared[i] != p->old_shared[j])
			err = set_shared(st, &cfg->svc[i], p->ids[i],
					 p->shared[i]);
	}
	for (i = 0; i < cfg->n_services && !err && shorter; i++)
		if (!p->changed[i])
			err = regrace(st, &cfg->svc[i], grace_ns);
	return err;
}

/* Whether service @o at @n's place (its first port's key) is unmoved. */
static bool same_key(const struct canary_service_cfg *o,
		     const struct canary_service_cfg *n)
{
	struct canary_port_cfg a[CANARY_MAX_PORTS], b[CANARY_MAX_PORTS];

	config_ports(o, a);
	config_ports(n, b);
	return addr_eq(&o->vip, &n->vip) && o->proto == n->proto &&
	       a[0].port == b[0].port;
}

/* canary_names after the flips: new and moved services written, removed
 * ones deleted; every service when the map is empty (a pin dir from
 * before it). A failure costs readers speed only. */
static void write_names(struct canary_state *st, const struct canary_config *old,
			const __u32 *old_ids, const struct canary_config *cfg,
			const struct plan *p)
{
	char key[CANARY_NAME_LEN];
	bool all;
	int i, j, err = 0;

	if (st->names_fd < 0)
		return;
	all = bpf_map_get_next_key(st->names_fd, NULL, key) != 0;
	for (j = 0; j < old->n_services && !err; j++)
		if (p->removed[j])
			err = state_drop_name(st, old->svc[j].name, old_ids[j]);
	for (i = 0; i < cfg->n_services && !err; i++) {
		j = p->old_of[i];
		if (all || j < 0 ||
		    (p->changed[i] && !same_key(&old->svc[j], &cfg->svc[i])))
			err = state_put_name(st, &cfg->svc[i], p->ids[i]);
	}
	if (err)
		pr_warn("Couldn't index the services by name: %s\n",
			strerror(-err));
}

/*
 * After the flips: waits for the programs still reading the slots they
 * retired and records that (canary_txn), so that the next change need
 * not wait before it writes; then empties the slots of removed services.
 * The new config is already live: a failure here only costs the next
 * change a wait, or leaves entries no packet reads.
 */
static void settle(struct canary_state *st, const struct canary_config *old,
		   const __u32 *old_ids, const struct plan *p)
{
	struct canary_txn t = read_txn(st);
	__u64 start = monotonic_ns();
	__u32 s;
	int j;

	if (wait_for_readers())
		return;
	t.quiet_flip_ns = start;
	t.busy = 0;
	write_txn(st, &t);
	for (j = 0; j < old->n_services; j++)
		for (s = 0; p->removed[j] && s < CANARY_GENERATIONS; s++)
			if (state_clear_slot(st, old_ids[j], s))
				pr_warn("Couldn't empty the config of removed "
					"service '%s'\n", old->svc[j].name);
}

static int commit(struct canary_state *st, const struct canary_config *old,
		  const __u32 *old_ids, struct canary_config *cfg)
{
	struct canary_genstate gs = {};
	struct canary_node node;
	struct plan p = {};
	__u64 now, grace_ns;
	int err;

	err = plan_alloc(&p, cfg->n_services, old->n_services);
	if (!err)
		err = state_assign_ids(old, old_ids, cfg, p.ids, p.fresh);
	if (!err)
		err = plan_changes(st, old, old_ids, cfg, &p);
	if (err)
		goto out;
	if (state_genstate(st, &gs))
		memset(&gs, 0, sizeof(gs));
	grace_ns = grace_ns_of(&gs, cfg->grace_s);
	/* A Local service's endpoints are those of the node section being
	 * applied, not of the one it replaces. */
	if (cfg->node.set)
		state_node_of(&cfg->node, &node);
	else
		state_node_get(st, &node);
	/* Endpoint entries (in place, entry by entry) and sharing first:
	 * a header carries CANARY_SVC_F_SHARED. */
	err = state_shared_flags(old, p.old_shared);
	if (!err)
		err = state_write_backends(st, cfg, gs.active < CANARY_GENERATIONS ?
					   gs.active : 0, p.shared);
	if (!err)
		err = write_slots(st, cfg, &node, &p);
	now = monotonic_ns();
	/* A bitmap that failed to be written is one for an older stamp:
	 * the programs ignore it and look every packet up. */
	if (!err && write_vips(st, cfg, gs.active < CANARY_GENERATIONS ?
			       gs.active : 0, now))
		pr_warn("Couldn't write the VIP bitmap: packets to no service "
			"take the slower path\n");
	/* Not per service: before the flips that rely on them. */
	if (!err && cfg->node.set)
		err = state_node_write(st, &cfg->node);
	if (!err)
		err = guard_write(st, old, cfg, p.ids, p.fresh);
	if (!err)
		err = state_write_timeouts(st, &cfg->timeouts);
	if (!err)
		err = flip_all(st, old, old_ids, cfg, &p, grace_ns,
			       gs.prev_until_ns && grace_ns < gs.grace_ns, now);
	if (!err)
		write_names(st, old, old_ids, cfg, &p);
	if (!err)
		err = stamp_gen(st, grace_ns, now);
	if (!err)
		settle(st, old, old_ids, &p);
	/* The new config is live: a failed clean-up is worth a warning only. */
	if (!err && p.gc && state_gc_flows(st, cfg))
		pr_warn("Couldn't drop the flows of removed endpoints: they "
			"go on until evicted\n");
out:
	plan_free(&p);
	return err;
}

/* canary_vips' bitmap of generation @gen, its bits kept (no VIP came or
 * went), made the one for the stamp @flip_ns. */
static void restamp_vips(struct canary_state *st, __u32 gen, __u64 flip_ns)
{
	struct canary_vips *v;

	if (state_open_vips(st))
		return;
	v = malloc(sizeof(*v));
	if (v && !bpf_map_lookup_elem(st->vips_fd, &gen, v) &&
	    v->valid == CANARY_VIPS_VALID) {
		v->flip_ns = flip_ns;
		if (bpf_map_update_elem(st->vips_fd, &gen, v, BPF_ANY))
			pr_warn("Couldn't write the VIP bitmap: packets to no "
				"service take the slower path\n");
	}
	free(v);
}

/*
 * commit() for one service @cfg->svc[0] (id @id), which was @old->svc[0]
 * at the same VIP, ports and protocol: its endpoint entries are updated
 * entry by entry, its spare slot written and the service flipped; no
 * other service is read or written (but for its shared flag).
 */
static int commit_one(struct canary_state *st, const struct canary_config *old,
		      __u32 id, struct canary_config *cfg)
{
	struct canary_genstate gs = {};
	struct canary_node node;
	struct plan p = {};
	__u64 now, grace_ns;
	__u32 gen;
	int err;

	err = plan_alloc(&p, 1, 1);
	if (err)
		goto out;
	p.ids[0] = id;
	p.changed[0] = true;
	p.has_live[0] = !live_entry(st, &old->svc[0], id, &p.live[0]);
	p.gc = loses_flows(&old->svc[0], &cfg->svc[0]);
	if (state_genstate(st, &gs))
		memset(&gs, 0, sizeof(gs));
	gen = gs.active < CANARY_GENERATIONS ? gs.active : 0;
	grace_ns = grace_ns_of(&gs, cfg->grace_s);
	state_node_get(st, &node);
	err = state_backends_service(st, &old->svc[0], &cfg->svc[0], gen,
				     &p.shared[0]);
	if (!err)
		err = write_slots(st, cfg, &node, &p);
	now = monotonic_ns();
	if (!err)
		restamp_vips(st, gen, now);
	if (!err)
		err = guard_write(st, old, cfg, p.ids, p.fresh);
	if (!err)
		err = flip_service(st, &cfg->svc[0], id, p.slot[0], &p.hdr[0],
				   grace_ns, now);
	if (!err)
		err = stamp_gen(st, grace_ns, now);
	if (!err)
		settle(st, old, &id, &p);
	if (!err && p.gc && state_gc_flows_of(st, cfg))
		pr_warn("Couldn't drop the flows of removed endpoints: they "
			"go on until evicted\n");
out:
	plan_free(&p);
	return err;
}

/* Whether @a's service and @b's (one each) have the same name, VIP,
 * protocol and ports: a change commit_one() can make. */
static bool same_place(const struct canary_config *a,
		       const struct canary_config *b)
{
	const struct canary_service_cfg *x = &a->svc[0], *y = &b->svc[0];

	return a->n_services == 1 && b->n_services == 1 &&
	       !strcmp(x->name, y->name) && addr_eq(&x->vip, &y->vip) &&
	       x->port == y->port && x->proto == y->proto &&
	       x->n_ports == y->n_ports &&
	       !memcmp(x->ports, y->ports, sizeof(x->ports)) &&
	       b->grace_s == CANARY_GRACE_KEEP && !b->node.set &&
	       !b->timeouts.set && !b->timeouts.syn_rate;
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

/* Edits @cfg (service @name alone, id @id, as read into @old); returns an
 * exit code, or -EAGAIN when the edit reaches past the service (the
 * caller then runs a whole transaction). */
static int edit_one(struct canary_state *st, const struct canary_config *old,
		    __u32 id, struct canary_config *cfg, config_edit_fn edit,
		    void *arg, struct canary_err *err)
{
	int e;

	/* After a killed transaction, a whole one sweeps and resyncs the
	 * endpoint entries. */
	if (read_txn(st).busy)
		return -EAGAIN;
	e = edit(cfg, arg, err);
	if (!e)
		e = config_validate(cfg, err);
	if (!e && !same_place(old, cfg))
		return -EAGAIN;
	if (!e)
		e = check_running_node(st, cfg, err);
	if (!e)
		e = check_guard_map(st, cfg, err);
	if (e) {
		if (cerr_unset(err))
			cerr_set(err, "%s", strerror(-e));
		return e == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if (config_service_same(&old->svc[0], &cfg->svc[0])) {
		pr_info("config unchanged\n");
		return EXIT_OK;
	}
	e = commit_one(st, old, id, cfg);
	if (e)
		cerr_set(err, "Couldn't write the new config under '%s': %s",
			 st->pin_dir, strerror(-e));
	return e ? EXIT_FAIL : EXIT_OK;
}

int state_transaction_service(struct canary_state *st, const char *name,
			      config_edit_fn edit, void *arg,
			      struct canary_err *err)
{
	struct canary_config old, cfg;
	__u32 id = 0;
	int ret, e;

	cerr_clear(err);
	config_init(&old);
	config_init(&cfg);
	e = state_read_snapshot(st, &old, &id, NULL, name, NULL);
	if (e == -ENOENT) /* the edit says what is missing, as ever */
		ret = -EAGAIN;
	else if (!e && !config_copy(&cfg, &old))
		ret = edit_one(st, &old, id, &cfg, edit, arg, err);
	else {
		cerr_set(err, "Couldn't read the running config under '%s'",
			 st->pin_dir);
		ret = EXIT_FAIL;
	}
	config_free(&old);
	config_free(&cfg);
	if (ret == -EAGAIN) {
		cerr_clear(err);
		return state_transaction(st, edit, arg, err);
	}
	if (ret == EXIT_OK)
		bridge_sync(st);
	return ret;
}
