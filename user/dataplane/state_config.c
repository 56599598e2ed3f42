// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A config generation in the pinned maps: writing a whole config into an
 * inactive one (services, versions, lookup tables, pins), touching only
 * what differs. Reading one back is state_read.c, the transaction around
 * it state_txn.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/hrw_table.h"
#include "core/names.h"
#include "dataplane/state_int.h"
#include "dataplane/guard.h"
#include "dataplane/progs_abi.h"

static __u32 meta_index(__u32 gen, __u32 id)
{
	return gen * CANARY_MAX_SERVICES + id;
}

/* A version's map value, of either family (one buffer, reused). */
struct ver_buf {
	struct canary_ver v4;
	struct canary_ver6 v6;
};

/*
 * The canary_svc_v2 (IPv4) or canary_svc6_v2 (IPv6) key of @svc's @port,
 * in @k. Returns the map's fd.
 */
int state_svc_key(struct canary_state *st, const struct canary_service_cfg *svc,
		  __be16 port, union svc_key *k)
{
	memset(k, 0, sizeof(*k));
	if (config_is_v6(svc)) {
		memcpy(k->v6.vip, svc->vip.v6, sizeof(k->v6.vip));
		k->v6.port = port;
		k->v6.proto = svc->proto;
		return st->svc6_fd;
	}
	k->v4.vip = svc->vip.v4;
	k->v4.port = port;
	k->v4.proto = svc->proto;
	return st->svc_fd;
}

static struct canary_endpoint ep_to_map(const struct canary_ep_cfg *e)
{
	return (struct canary_endpoint){ .addr = e->addr.v4, .port = e->port,
					 .flags = e->flags };
}

static struct canary_endpoint6 ep_to_map6(const struct canary_ep_cfg *e)
{
	struct canary_endpoint6 r = { .port = e->port, .flags = e->flags };

	memcpy(r.addr, e->addr.v6, sizeof(r.addr));
	return r;
}

/* Assigns service ids: a service keeps the id it had (by name); a new one
 * gets the lowest free id, and its counters start from zero. Returns 0, or
 * -ENOSPC when the old and new services together need too many ids. */
int state_assign_ids(const struct canary_config *old, const __u32 *old_ids,
		     const struct canary_config *cfg, __u32 *ids, bool *fresh)
{
	static bool used[CANARY_MAX_SERVICES];
	struct names ix;
	int i, j;
	__u32 next = 0;

	names_init(&ix);
	for (j = 0; j < old->n_services; j++)
		if (names_put(&ix, old->svc[j].name, j)) {
			names_free(&ix);
			return -ENOMEM;
		}
	memset(used, 0, sizeof(used));
	for (j = 0; j < old->n_services; j++)
		used[old_ids[j]] = true;
	for (i = 0; i < cfg->n_services; i++) {
		j = names_get(&ix, cfg->svc[i].name);
		fresh[i] = j < 0;
		if (j >= 0)
			ids[i] = old_ids[j];
	}
	names_free(&ix);
	for (i = 0; i < cfg->n_services; i++) {
		if (!fresh[i])
			continue;
		while (next < CANARY_MAX_SERVICES && used[next])
			next++;
		if (next == CANARY_MAX_SERVICES)
			return -ENOSPC;
		ids[i] = next;
		used[next] = true;
	}
	return 0;
}

int state_zero_stats(struct canary_state *st, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct canary_vstats *zero;
	__u32 v, idx;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (v = 0; v < CANARY_MAX_VERSIONS && !err && st->stats_fd >= 0; v++) {
		idx = id * CANARY_MAX_VERSIONS + v;
		if (bpf_map_update_elem(st->stats_fd, &idx, zero, BPF_ANY))
			err = -errno;
	}
	/* connection outcomes: no entry reads as zero */
	for (v = 0; v < CANARY_MAX_VERSIONS && st->health_fd >= 0; v++) {
		idx = id * CANARY_MAX_VERSIONS + v;
		if (bpf_map_delete_elem(st->health_fd, &idx) && errno != ENOENT)
			err = err ? err : -errno;
	}
	/* per-CPU __u64 pin counters fit in the same zeroed buffer */
	for (v = 0; v < CANARY_MAX_PINS && !err && st->pinstat_fd >= 0; v++) {
		idx = id * CANARY_MAX_PINS + v;
		if (bpf_map_update_elem(st->pinstat_fd, &idx, zero, BPF_ANY))
			err = -errno;
	}
	free(zero);
	return err;
}

/* Chunks of a table of @m slots. */
static __u16 ring_chunks(__u32 m)
{
	return (m + CANARY_RING_CHUNK - 1) / CANARY_RING_CHUNK;
}

/* Copies version @v's table chunks (@m slots) from generation @from to
 * @gen. */
static int copy_ring(struct canary_state *st, __u32 id, int v, __u32 from,
		     __u32 gen, __u32 m)
{
	struct canary_ring_key src = { .svc_id = id, .version = v, .gen = from };
	struct canary_ring_key dst = { .svc_id = id, .version = v, .gen = gen };
	static struct canary_ring chunk;
	__u16 c;

	for (c = 0; c < ring_chunks(m); c++) {
		src.chunk = dst.chunk = c;
		if (bpf_map_lookup_elem(st->ring_fd, &src, &chunk) ||
		    bpf_map_update_elem(st->ring_fd, &dst, &chunk, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Set while programs of a build before rendezvous picks are attached. */
static bool tables_always;

/*
 * The lookup table size of a version of @n_endpoints entries, @n_taking
 * of them in its table: 0 (no table, rendezvous) up to CANARY_HRW_MAX
 * entries unless @local (a Local service's table leaves out other
 * nodes' pods, which ep[] does not mark), else by tier.
 */
static __u32 table_size(int n_endpoints, int n_taking, bool local)
{
	if (!local && n_endpoints <= CANARY_HRW_MAX && !tables_always)
		return 0;
	return hrw_table_size(n_taking);
}

/*
 * Every version keeps its table while an older build's programs are
 * attached (they read a version without one as having no endpoint).
 * Asked again when the last answer is a second old: a long-running
 * agent sees an attach, a transaction of 10,000 services asks once.
 */
static void ask_programs(struct canary_state *st)
{
	static __u64 asked_ns;
	struct timespec ts;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (asked_ns && now - asked_ns < 1000000000ull)
		return;
	asked_ns = now;
	tables_always = !progs_pick_by_rendezvous(st->pin_dir);
}

/*
 * Whether a version entry (@v4 or @v6, by @is_v6) lists exactly the
 * endpoints of @buf (addresses, ports, flags, order), with all of those
 * not draining in its table (a Local service's table leaves out other
 * nodes' pods), at the size this build gives that many. Its table is the one
 * write_ring() would build for a service that is not Local: a table
 * depends only on its endpoints. @n_taking: endpoints not draining.
 */
static bool same_endpoints(bool is_v6, const struct canary_ver *v4,
			   const struct canary_ver6 *v6,
			   const struct ver_buf *buf, int n_taking)
{
	__u32 m = table_size(buf->v4.n_endpoints, n_taking, false);

	if (is_v6)
		return v6->ring_size == m &&
		       v6->n_active == n_taking &&
		       v6->n_endpoints == buf->v6.n_endpoints &&
		       !memcmp(v6->ep, buf->v6.ep,
			       v6->n_endpoints * sizeof(v6->ep[0]));
	return v4->ring_size == m &&
	       v4->n_active == n_taking &&
	       v4->n_endpoints == buf->v4.n_endpoints &&
	       !memcmp(v4->ep, buf->v4.ep, v4->n_endpoints * sizeof(v4->ep[0]));
}

/* Whether endpoint @a is in the pod CIDR of its family of node @n (as
 * the maps hold it); false when the node has none of that family. */
static bool node_has_pod(const struct canary_node *n, const struct canary_addr *a)
{
	int i;

	if (!addr_is_v6(a))
		return n->pod_net && (a->v4 & n->pod_mask) == n->pod_net;
	if (!n->pod_len6)
		return false;
	for (i = 0; i < 4; i++)
		if ((a->v6[i] & n->pod_mask6[i]) != n->pod_net6[i])
			return false;
	return true;
}

/*
 * The lookup table of version @v over its endpoints that take new flows
 * (@ver, sorted), written as canary_ring_v2 chunks of generation @gen;
 * none for a version that picks by rendezvous (table_size() 0). Slots
 * hold indexes into the full ep[] (draining endpoints included), so a
 * draining endpoint keeps its place for status and its flows keep their
 * entries. The ring is shared by both families. With @copy_from >= 0,
 * that generation holds this very table: it is copied, not built (or,
 * being @gen, left where it is). Sets
 * *@n_active and *@ring_size for the version's map value.
 */
static int write_ring(struct canary_state *st, __u32 id, __u32 gen, int v,
		      const struct canary_version_cfg *ver,
		      const struct canary_node *only, int copy_from,
		      __u16 *n_active, __u32 *ring_size)
{
	struct canary_ring_key k = { .svc_id = id, .version = v, .gen = gen };
	struct canary_ep_cfg active[CANARY_MAX_ENDPOINTS];
	__u8 map[CANARY_MAX_ENDPOINTS];
	struct canary_ring chunk;
	__u8 *table;
	__u32 m, s, len;
	int i, n = 0, err;

	for (i = 0; i < ver->n_endpoints; i++) {
		if (ver->ep[i].flags & CANARY_EP_F_DRAINING)
			continue;
		/* externalTrafficPolicy: Local: this node's pods */
		if (only && !node_has_pod(only, &ver->ep[i].addr))
			continue;
		active[n] = ver->ep[i];
		active[n].flags = 0; /* the keys hash address and port */
		map[n++] = i;
	}
	*n_active = n;
	*ring_size = 0;
	m = table_size(ver->n_endpoints, n, only != NULL);
	if (!n || !m)
		return 0;
	if (copy_from == (int)gen) {
		*ring_size = m;
		return 0;
	}
	if (copy_from >= 0 && !copy_ring(st, id, v, copy_from, gen, m)) {
		*ring_size = m;
		return 0;
	}
	table = malloc(m * sizeof(*table));
	if (!table)
		return -ENOMEM;
	err = hrw_table_build(active, n, table, m);
	if (n < ver->n_endpoints) /* else map[] is the identity */
		for (s = 0; s < m; s++)
			table[s] = map[table[s]];
	for (s = 0; s < m && !err; s += CANARY_RING_CHUNK) {
		len = m - s < CANARY_RING_CHUNK ? m - s : CANARY_RING_CHUNK;
		memcpy(chunk.slot, table + s, len);
		memset(chunk.slot + len, 0, CANARY_RING_CHUNK - len);
		if (s + CANARY_RING_CHUNK >= m)
			chunk.slot[CANARY_RING_CHUNK - 1] = CANARY_RING_BUILD;
		k.chunk = s / CANARY_RING_CHUNK;
		if (bpf_map_update_elem(st->ring_fd, &k, &chunk, BPF_ANY))
			err = -errno;
	}
	free(table);
	*ring_size = err ? 0 : m;
	return err;
}

/* Pin @p (index @i) of a service into canary_pins or canary_pins6. */
static int write_pin(struct canary_state *st, __be32 scope,
		     const struct canary_pin_cfg *p, const struct canary_pin *val)
{
	struct canary_pin6_key k6 = { .prefixlen = 32 + p->prefixlen,
				      .scope = scope };
	struct canary_pin_key k = { .prefixlen = 32 + p->prefixlen,
				    .scope = scope, .addr = p->addr.v4 };

	if (addr_is_v6(&p->addr)) {
		memcpy(k6.addr, p->addr.v6, sizeof(k6.addr));
		return bpf_map_update_elem(st->pins6_fd, &k6, val, BPF_ANY) ?
			       -errno : 0;
	}
	return bpf_map_update_elem(st->pins_fd, &k, val, BPF_ANY) ? -errno : 0;
}

/*
 * For externalTrafficPolicy: Local, endpoints outside this node's pod
 * CIDR take no new flows here (the client address is kept and the reply
 * leaves from this node): for the effective weights they count as
 * draining, and the rings leave them out.
 */
static void keep_local_endpoints(const struct canary_node *n,
				 struct canary_service_cfg *svc)
{
	int v, e;

	for (v = 0; v < svc->n_versions; v++)
		for (e = 0; e < svc->v[v].n_endpoints; e++)
			if (!node_has_pod(n, &svc->v[v].ep[e].addr))
				svc->v[v].ep[e].flags |= CANARY_EP_F_DRAINING;
}

/* The data plane decides per flow, with the node's address of the flow's
 * family: without one (an IPv6 service on a node without address6), no
 * SNAT. */
static __u8 snat_flags(const struct canary_service_cfg *svc)
{
	if (svc->local || svc->snat == CANARY_SNAT_NEVER)
		return 0;
	return svc->snat == CANARY_SNAT_ALWAYS ? CANARY_SVC_F_SNAT_ALL :
						 CANARY_SVC_F_SNAT;
}

/* The service key fields of canary_meta: family, VIP, port, protocol. */
static void meta_key(const struct canary_service_cfg *svc, struct canary_meta *m)
{
	m->proto = svc->proto;
	m->port = svc->port;
	if (config_is_v6(svc)) {
		m->family = CANARY_FAMILY_IPV6;
		memcpy(m->vip6, svc->vip.v6, sizeof(m->vip6));
	} else {
		m->family = CANARY_FAMILY_IPV4;
		m->vip = svc->vip.v4;
	}
}

/* Sum over CPUs of one version's new-flow counter. */
static __u64 version_flows(struct canary_state *st, __u32 id, int v)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u32 idx = id * CANARY_MAX_VERSIONS + v;
	struct canary_vstats *vals;
	__u64 sum = 0;

	if (ncpu < 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (vals && bpf_map_lookup_elem(st->stats_fd, &idx, vals) == 0)
		for (c = 0; c < ncpu; c++)
			sum += vals[c].new_flows;
	free(vals);
	return sum;
}


/*
 * What config slot @slot of service @id holds before it is rewritten:
 * its canary_meta entry and version entries, so that only what differs
 * is written and what the new config no longer has is deleted.
 */
struct slot_old {
	struct canary_meta meta;
	bool v6[CANARY_MAX_VERSIONS];   /* with has: the entry's family */
	bool has[CANARY_MAX_VERSIONS];  /* a version entry is there */
	bool written[CANARY_MAX_VERSIONS]; /* rewritten or found equal */
	__u16 keep_chunks[CANARY_MAX_VERSIONS]; /* table chunks still used */
	union {
		struct canary_ver v4;
		struct canary_ver6 v6;
	} ver[CANARY_MAX_VERSIONS];
};

/* Version @v of slot @slot of service @id, of family @v6, into @o. */
static void load_slot_version(struct canary_state *st, __u32 id, __u32 slot,
			      int v, bool v6, struct slot_old *o)
{
	struct canary_ver_key k = { .svc_id = id, .version = v, .gen = slot };

	if (o->has[v])
		return;
	o->has[v] = !bpf_map_lookup_elem(v6 ? st->ver6_fd : st->ver_fd, &k,
					  &o->ver[v]);
	o->v6[v] = v6;
}

/* Slot @slot of service @id into @o: the versions its meta entry names,
 * or with none (a slot never written, or a transaction killed half way)
 * whatever version entries are there. */
static int load_slot(struct canary_state *st, __u32 id, __u32 slot,
		     struct slot_old *o)
{
	__u32 idx = meta_index(slot, id);
	int v;

	memset(o, 0, sizeof(*o));
	if (bpf_map_lookup_elem(st->meta_fd, &idx, &o->meta)) {
		if (errno != ENOENT)
			return -errno;
		memset(&o->meta, 0, sizeof(o->meta)); /* a slot never written */
	}
	for (v = 0; v < CANARY_MAX_VERSIONS; v++) {
		if (o->meta.in_use) {
			if (v < o->meta.n_versions)
				load_slot_version(st, id, slot, v,
						  o->meta.family ==
							  CANARY_FAMILY_IPV6, o);
			continue;
		}
		load_slot_version(st, id, slot, v, false, o);
		load_slot_version(st, id, slot, v, true, o);
	}
	return 0;
}

static __u32 old_ring_size(const struct slot_old *o, int v)
{
	return o->v6[v] ? o->ver[v].v6.ring_size : o->ver[v].v4.ring_size;
}

/* Deletes the client pins @o's meta entry names (scope @scope). */
static int drop_old_pins(struct canary_state *st, __be32 scope,
			 const struct slot_old *o)
{
	const struct canary_meta *m = &o->meta;
	struct canary_pin_key k = { .scope = scope };
	struct canary_pin6_key k6 = { .scope = scope };
	int i, fd;
	void *key;

	for (i = 0; m->in_use && i < m->n_pins && i < CANARY_MAX_PINS; i++) {
		if (m->family == CANARY_FAMILY_IPV6) {
			k6.prefixlen = 32 + m->pins[i].prefixlen;
			memcpy(k6.addr, m->pin6[i], sizeof(k6.addr));
			fd = st->pins6_fd;
			key = &k6;
		} else {
			k.prefixlen = 32 + m->pins[i].prefixlen;
			k.addr = m->pins[i].addr;
			fd = st->pins_fd;
			key = &k;
		}
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Deletes what slot @slot of service @id held (@o) and the rewrite did
 * not reuse: version entries not written, table chunks past those kept. */
static int drop_slot_rest(struct canary_state *st, __u32 id, __u32 slot,
			  const struct slot_old *o)
{
	struct canary_ring_key rk = { .svc_id = id, .gen = slot };
	struct canary_ver_key vk = { .svc_id = id, .gen = slot };
	int v, c;

	for (v = 0; v < CANARY_MAX_VERSIONS; v++) {
		if (!o->has[v])
			continue;
		rk.version = vk.version = v;
		for (c = o->keep_chunks[v]; c < ring_chunks(old_ring_size(o, v));
		     c++) {
			rk.chunk = c;
			if (bpf_map_delete_elem(st->ring_fd, &rk) && errno != ENOENT)
				return -errno;
		}
		if (!o->written[v] &&
		    bpf_map_delete_elem(o->v6[v] ? st->ver6_fd : st->ver_fd, &vk) &&
		    errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Whether the version entry @v4 / @v6 (by @v6) of generation @gen has no
 * table or one that carries this build's tag (CANARY_RING_BUILD, in its
 * last chunk): an older build's Maglev table is rebuilt, not kept,
 * whenever its service is written. */
static bool table_current(struct canary_state *st, __u32 id, int v, __u32 gen,
			  const struct canary_ver *v4,
			  const struct canary_ver6 *ver6, bool v6)
{
	__u32 m = v6 ? ver6->ring_size : v4->ring_size;
	struct canary_ring_key k = { .svc_id = id, .version = v, .gen = gen,
				     .chunk = ring_chunks(m) - 1 };
	static struct canary_ring chunk;

	return !m || (!bpf_map_lookup_elem(st->ring_fd, &k, &chunk) &&
		      chunk.slot[CANARY_RING_CHUNK - 1] == CANARY_RING_BUILD);
}

/*
 * Where version @v of service @id, about to be written to slot @slot
 * with the endpoints of @buf, takes its lookup table from: @slot itself
 * when its old table there is the same (@o), else the live slot @live
 * when its table there is, else -1 (build it). A table depends only on
 * its endpoints, so a weight change copies or keeps every table.
 */
static int table_source(struct canary_state *st, __u32 id, int v, bool v6,
			const struct ver_buf *buf, int n_taking, __u32 slot,
			int live, struct slot_old *o)
{
	struct canary_ver_key k = { .svc_id = id, .version = v };
	static struct ver_buf cur;

	if (o->has[v] && o->v6[v] == v6 &&
	    same_endpoints(v6, &o->ver[v].v4, &o->ver[v].v6, buf, n_taking) &&
	    table_current(st, id, v, slot, &o->ver[v].v4, &o->ver[v].v6, v6))
		return slot;
	if (live < 0)
		return -1;
	k.gen = live;
	if (bpf_map_lookup_elem(v6 ? st->ver6_fd : st->ver_fd, &k,
				v6 ? (void *)&cur.v6 : (void *)&cur.v4))
		return -1;
	return same_endpoints(v6, &cur.v4, &cur.v6, buf, n_taking) &&
	       table_current(st, id, v, live, &cur.v4, &cur.v6, v6) ? live : -1;
}

/* Version @v of @svc into canary_ver or canary_ver6 of slot @slot, with
 * its table; @orig_ver keeps the endpoints a Local service leaves out. */
static int write_version(struct canary_state *st, __u32 id, __u32 slot,
			 int live, int v, const struct canary_service_cfg *svc,
			 struct canary_version_cfg *ver,
			 const struct canary_node *only, struct ver_buf *buf,
			 struct slot_old *o)
{
	struct canary_ver_key k = { .svc_id = id, .version = v, .gen = slot };
	bool v6 = config_is_v6(svc), same_family = o->has[v] && o->v6[v] == v6;
	int i, err, from, n_taking = 0;
	__u32 size;

	ask_programs(st);
	memset(buf, 0, sizeof(*buf));
	config_sort_endpoints(ver);
	buf->v4.n_endpoints = buf->v6.n_endpoints = ver->n_endpoints;
	for (i = 0; i < ver->n_endpoints; i++) {
		if (v6)
			buf->v6.ep[i] = ep_to_map6(&ver->ep[i]);
		else
			buf->v4.ep[i] = ep_to_map(&ver->ep[i]);
		n_taking += !(ver->ep[i].flags & CANARY_EP_F_DRAINING);
	}
	from = only ? -1 :
		      table_source(st, id, v, v6, buf, n_taking, slot, live, o);
	if (v6)
		err = write_ring(st, id, slot, v, ver, only, from,
				 &buf->v6.n_active, &buf->v6.ring_size);
	else
		err = write_ring(st, id, slot, v, ver, only, from,
				 &buf->v4.n_active, &buf->v4.ring_size);
	if (err)
		return err;
	/* The chunks the new table wrote over (or kept) must stay. */
	size = v6 ? buf->v6.ring_size : buf->v4.ring_size;
	if (o->has[v])
		o->keep_chunks[v] = ring_chunks(size);
	if (same_family) {
		o->written[v] = true;
		if (!memcmp(&o->ver[v], v6 ? (void *)&buf->v6 : (void *)&buf->v4,
			    v6 ? sizeof(buf->v6) : sizeof(buf->v4)))
			return 0;
	}
	if (v6)
		err = bpf_map_update_elem(st->ver6_fd, &k, &buf->v6, BPF_ANY);
	else
		err = bpf_map_update_elem(st->ver_fd, &k, &buf->v4, BPF_ANY);
	return err ? -errno : 0;
}

/* The service's client pins into canary_pins or canary_pins6 (slot
 * @slot) and @m. */
static int write_pins(struct canary_state *st, __u32 id, __u32 slot,
		      const struct canary_service_cfg *svc,
		      struct canary_meta *m)
{
	__be32 scope = htonl(id * CANARY_GENERATIONS + slot);
	struct canary_pin val = {};
	int i, err;

	m->n_pins = svc->n_pins;
	for (i = 0; i < svc->n_pins; i++) {
		const struct canary_pin_cfg *p = &svc->pins[i];

		val.version = config_find_version(svc, p->version);
		val.index = i;
		if (addr_is_v6(&p->addr))
			memcpy(m->pin6[i], p->addr.v6, sizeof(m->pin6[i]));
		else
			m->pins[i].addr = p->addr.v4;
		m->pins[i].prefixlen = p->prefixlen;
		m->pins[i].version = val.version;
		err = write_pin(st, scope, p, &val);
		if (err)
			return err;
	}
	return 0;
}

/* The header (canary_svc, target port aside) of @svc as written. */
static void svc_header(const struct canary_service_cfg *svc, __u32 id,
		       bool shared, struct canary_svc *h)
{
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->n_versions = svc->n_versions;
	config_effective_cum(svc, h->cum_bps);
	h->flags = (svc->affinity == CANARY_AFFINITY_CLIENT_IP ?
			    CANARY_SVC_F_AFFINITY : 0) |
		   (svc->n_pins ? CANARY_SVC_F_PINS : 0) | snat_flags(svc) |
		   (shared ? CANARY_SVC_F_SHARED : 0) |
		   (svc->guard.on ? CANARY_SVC_F_GUARD : 0);
}

/*
 * Where status starts counting a version's share: carried over from the
 * live slot's meta entry while the effective weights stay (@live: its
 * header, NULL for a new service), reset to the current counters when
 * they change.
 */
static void flows_base(struct canary_state *st, __u32 id,
		       const struct canary_svc_slots *live,
		       const struct canary_svc *h, __u64 *base)
{
	struct canary_meta m;
	__u32 idx;
	int v;

	memset(base, 0, sizeof(__u64) * CANARY_MAX_VERSIONS);
	if (!live)
		return;
	idx = meta_index(live->slot, id);
	if (live->live.n_versions == h->n_versions &&
	    !memcmp(live->live.cum_bps, h->cum_bps,
		    sizeof(__u16) * h->n_versions) &&
	    !bpf_map_lookup_elem(st->meta_fd, &idx, &m) && m.in_use) {
		memcpy(base, m.flows_base, sizeof(m.flows_base));
		return;
	}
	for (v = 0; v < h->n_versions; v++)
		base[v] = version_flows(st, id, v);
}

int state_write_slot(struct canary_state *st, __u32 id, __u32 slot,
		     const struct canary_svc_slots *live,
		     struct canary_service_cfg *orig,
		     const struct canary_node *node, bool shared,
		     struct canary_svc *h)
{
	static struct canary_service_cfg local;
	static struct slot_old o;
	static struct ver_buf buf;
	struct canary_service_cfg *svc = orig;
	const struct canary_node *only = NULL;
	struct canary_meta m = { .in_use = 1, .n_versions = orig->n_versions };
	__u32 idx = meta_index(slot, id);
	int v, err, from_live = live ? (int)live->slot : -1;

	if (orig->local) {
		only = node;
		local = *orig;
		keep_local_endpoints(node, &local);
		svc = &local;
	}
	svc_header(svc, id, shared, h);
	err = load_slot(st, id, slot, &o);
	if (!err)
		err = drop_old_pins(st, htonl(id * CANARY_GENERATIONS + slot), &o);
	meta_key(svc, &m);
	m.affinity = svc->affinity;
	m.policy = orig->snat | (orig->local ? 4 : 0);
	if (!err)
		err = write_pins(st, id, slot, svc, &m);
	flows_base(st, id, live, h, m.flows_base);
	snprintf(m.name, sizeof(m.name), "%s", svc->name);
	for (v = 0; v < svc->n_versions && !err; v++) {
		err = write_version(st, id, slot, from_live, v, svc, &orig->v[v],
				    only, &buf, &o);
		m.weight_bps[v] = svc->v[v].weight_bps;
		snprintf(m.vname[v], sizeof(m.vname[v]), "%s", svc->v[v].name);
	}
	m.n_ports = svc->n_ports;
	memcpy(m.ports, svc->ports, sizeof(m.ports));
	if (!err)
		err = drop_slot_rest(st, id, slot, &o);
	if (!err && memcmp(&o.meta, &m, sizeof(m)) &&
	    bpf_map_update_elem(st->meta_fd, &idx, &m, BPF_ANY))
		err = -errno;
	return err;
}

int state_clear_slot(struct canary_state *st, __u32 id, __u32 slot)
{
	static struct slot_old o;
	__u32 idx = meta_index(slot, id);
	int err;

	err = load_slot(st, id, slot, &o);
	if (!err)
		err = drop_old_pins(st, htonl(id * CANARY_GENERATIONS + slot), &o);
	if (!err)
		err = drop_slot_rest(st, id, slot, &o);
	if (!err && bpf_map_delete_elem(st->meta_fd, &idx) && errno != ENOENT)
		err = -errno;
	return err;
}

/* @name NUL-padded into canary_names' key @key. */
static void name_key(const char *name, char *key)
{
	memset(key, 0, CANARY_NAME_LEN);
	snprintf(key, CANARY_NAME_LEN, "%s", name);
}

int state_put_name(struct canary_state *st, const struct canary_service_cfg *svc,
		   __u32 id)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	struct canary_name n = { .id = id, .proto = svc->proto };
	char key[CANARY_NAME_LEN];

	if (st->names_fd < 0)
		return 0;
	config_ports(svc, ports);
	n.port = ports[0].port;
	if (config_is_v6(svc)) {
		n.family = CANARY_FAMILY_IPV6;
		memcpy(n.vip, svc->vip.v6, sizeof(n.vip));
	} else {
		n.family = CANARY_FAMILY_IPV4;
		n.vip[0] = svc->vip.v4;
	}
	name_key(svc->name, key);
	return bpf_map_update_elem(st->names_fd, key, &n, BPF_ANY) ? -errno : 0;
}

int state_drop_name(struct canary_state *st, const char *name, __u32 id)
{
	char key[CANARY_NAME_LEN];
	struct canary_name n;

	if (st->names_fd < 0)
		return 0;
	name_key(name, key);
	if (bpf_map_lookup_elem(st->names_fd, key, &n) || n.id != id)
		return 0;
	return bpf_map_delete_elem(st->names_fd, key) && errno != ENOENT ?
		       -errno : 0;
}

int state_find_name(struct canary_state *st, const char *name,
		    struct canary_name *n)
{
	char key[CANARY_NAME_LEN];

	if (st->names_fd < 0)
		return -ENOENT;
	name_key(name, key);
	return bpf_map_lookup_elem(st->names_fd, key, n) ? -ENOENT : 0;
}
