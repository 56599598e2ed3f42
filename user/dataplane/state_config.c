// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A config generation in the pinned maps: writing a whole config into an
 * inactive one (services, versions, Maglev tables, pins), touching only
 * what differs. Reading one back is state_read.c, the transaction around
 * it state_txn.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/maglev.h"
#include "core/names.h"
#include "dataplane/state_int.h"
#include "dataplane/guard.h"

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
 * The version entries of a clean target generation, read before they are
 * deleted (clear_versions()). A version that the new config lists with
 * the same endpoints finds its Maglev table already in place there (a
 * table depends only on its endpoints): it is kept, neither copied nor
 * built. The tables of the others go once the new ones are written
 * (drop_old_tables()). A weight change thus writes no table at all.
 */
struct old_table {
	__u32 id;
	__u8 version;
	bool v6;
	bool keep;  /* its table stays: kept in place, or overwritten */
	bool written; /* its version entry was rewritten or found equal */
	__u16 keep_chunks; /* with keep: chunks of the table there now */
	union {
		struct canary_ver v4;
		struct canary_ver6 v6;
	} ver;
};

struct old_tables {
	struct old_table *t;
	size_t n, cap;
};

/*
 * What a clean target generation holds, so that only what differs is
 * written (diff); a generation that is not clean is cleared first and
 * everything is written (!diff, only tables then).
 */
struct gen_old {
	bool diff;
	struct kv_set svc4, svc6;   /* its canary_svc and canary_svc6 entries */
	struct canary_meta *meta;   /* its canary_meta entries by id */
	__u32 n_ids;                /* ... for ids 0..n_ids - 1 */
	bool *used;                 /* ids it has services of */
	bool *meta_written;         /* by id: written or found equal */
	struct old_tables tables;   /* its version entries and tables */
	/* The live generation's service keys and meta entries, for
	 * flows_base() (both ways). */
	int live;                   /* its number, -1 if none */
	struct kv_set live4, live6;
	struct canary_meta *live_meta;
	__u32 live_n_ids;
	bool *live_used;
};

/* A service key of either family; zeroed, so no padding differs. */
union svc_key {
	struct canary_svc_key v4;
	struct canary_svc6_key v6;
};

/*
 * The canary_svc (IPv4) or canary_svc6 (IPv6) key of @svc's @port in
 * generation @gen, in @k. Returns the map's fd.
 */
static int svc_key(struct canary_state *st, const struct canary_service_cfg *svc,
		   __u32 gen, __be16 port, union svc_key *k)
{
	memset(k, 0, sizeof(*k));
	if (config_is_v6(svc)) {
		memcpy(k->v6.vip, svc->vip.v6, sizeof(k->v6.vip));
		k->v6.port = port;
		k->v6.proto = svc->proto;
		k->v6.gen = gen;
		return st->svc6_fd;
	}
	k->v4.vip = svc->vip.v4;
	k->v4.port = port;
	k->v4.proto = svc->proto;
	k->v4.gen = gen;
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

/* Marks in @used the ids of generation @gen in canary_svc or canary_svc6
 * (@fd), whose keys carry the generation at byte @gen_off. */
static int mark_gen_ids(int fd, size_t key_size, size_t gen_off, __u32 gen,
			bool *used)
{
	struct canary_svc *vals;
	void *keys;
	size_t n, i;
	int err;

	err = state_gen_entries(fd, key_size, gen_off, gen, &keys,
				(void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (vals[i].id < CANARY_MAX_SERVICES)
			used[vals[i].id] = true;
	free(keys);
	free(vals);
	return 0;
}

/*
 * Marks in @used the ids of the services of generation @gen, from their
 * canary_svc and canary_svc6 entries: a walk over what is configured, not
 * over every id a service could have.
 */
int state_gen_ids(struct canary_state *st, __u32 gen, bool *used)
{
	memset(used, 0, CANARY_MAX_SERVICES * sizeof(*used));
	return mark_gen_ids(st->svc_fd, sizeof(struct canary_svc_key),
			    offsetof(struct canary_svc_key, gen), gen, used) ?:
	       mark_gen_ids(st->svc6_fd, sizeof(struct canary_svc6_key),
			    offsetof(struct canary_svc6_key, gen), gen, used);
}

/* Deletes every entry of generation @gen from a config hash map whose
 * keys carry the generation at byte @gen_off. Keys are collected first:
 * deleting while walking would restart the walk. */
static int clear_gen(int fd, size_t key_size, size_t gen_off, __u32 gen)
{
	unsigned char *keys;
	size_t n, i;
	int err;

	err = state_gen_entries(fd, key_size, gen_off, gen, (void **)&keys,
				NULL, &n);
	for (i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size))
			err = -errno;
	free(keys);
	return err;
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
	for (v = 0; v < CANARY_MAX_VERSIONS && !err; v++) {
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
	for (v = 0; v < CANARY_MAX_PINS && !err; v++) {
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
	if (is_v6)
		return v6->ring_size == (__u32)maglev_table_size(n_taking) &&
		       v6->n_active == n_taking &&
		       v6->n_endpoints == buf->v6.n_endpoints &&
		       !memcmp(v6->ep, buf->v6.ep,
			       v6->n_endpoints * sizeof(v6->ep[0]));
	return v4->ring_size == (__u32)maglev_table_size(n_taking) &&
	       v4->n_active == n_taking &&
	       v4->n_endpoints == buf->v4.n_endpoints &&
	       !memcmp(v4->ep, buf->v4.ep, v4->n_endpoints * sizeof(v4->ep[0]));
}

static int old_table_cmp(const void *a, const void *b)
{
	const struct old_table *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->version - (int)y->version;
}

/* The old table of version @v of service @id in @old, if any. */
static struct old_table *old_table_find(struct old_tables *old, __u32 id,
					int v)
{
	struct old_table k = { .id = id, .version = v };

	return old->n ? bsearch(&k, old->t, old->n, sizeof(*old->t),
				old_table_cmp) : NULL;
}

/* The table of @old for @id, @v stays, as one of @m slots now. */
static void old_table_keep(struct old_tables *old, __u32 id, int v, __u32 m)
{
	struct old_table *t = old_table_find(old, id, v);

	if (t) {
		t->keep = true;
		t->keep_chunks = ring_chunks(m);
	}
}

/*
 * Where version @v of service @id, about to be written to generation @gen
 * with the endpoints of @buf, can take its Maglev table from: @gen itself
 * when its old table there is the same (@old), else the active generation
 * when its table there is, else -1 (build it). Copying beats building: a
 * weight change rewrites every version.
 */
static int table_source(struct canary_state *st, __u32 id, int v, bool v6,
			const struct ver_buf *buf, int n_taking, __u32 gen,
			struct old_tables *old)
{
	struct canary_ver_key k = { .svc_id = id, .version = v };
	static struct ver_buf cur;
	struct canary_genstate gs;
	struct old_table *t;

	t = old_table_find(old, id, v);
	if (t && t->v6 == v6 &&
	    same_endpoints(v6, &t->ver.v4, &t->ver.v6, buf, n_taking)) {
		old_table_keep(old, id, v, maglev_table_size(n_taking));
		return gen;
	}
	if (state_genstate(st, &gs))
		return -1;
	k.gen = gs.active;
	if (bpf_map_lookup_elem(v6 ? st->ver6_fd : st->ver_fd, &k,
				v6 ? (void *)&cur.v6 : (void *)&cur.v4))
		return -1;
	return same_endpoints(v6, &cur.v4, &cur.v6, buf, n_taking) ?
		       (int)gs.active : -1;
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
 * The Maglev table of version @v over its endpoints that take new flows
 * (@ver, sorted), written as canary_ring_v2 chunks of generation @gen. Slots
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
		active[n].flags = 0; /* the permutation hashes address and port */
		map[n++] = i;
	}
	*n_active = n;
	*ring_size = 0;
	if (!n)
		return 0;
	m = maglev_table_size(n);
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
	err = maglev_build(active, n, table, m);
	if (n < ver->n_endpoints) /* else map[] is the identity */
		for (s = 0; s < m; s++)
			table[s] = map[table[s]];
	for (s = 0; s < m && !err; s += CANARY_RING_CHUNK) {
		len = m - s < CANARY_RING_CHUNK ? m - s : CANARY_RING_CHUNK;
		memcpy(chunk.slot, table + s, len);
		memset(chunk.slot + len, 0, CANARY_RING_CHUNK - len);
		k.chunk = s / CANARY_RING_CHUNK;
		if (bpf_map_update_elem(st->ring_fd, &k, &chunk, BPF_ANY))
			err = -errno;
	}
	free(table);
	*ring_size = err ? 0 : m;
	return err;
}

/* Version @v of @svc into canary_ver or canary_ver6, with its ring. */
static int write_version(struct canary_state *st, __u32 id, __u32 gen, int v,
			 const struct canary_service_cfg *svc,
			 struct canary_version_cfg *ver,
			 const struct canary_node *only, struct ver_buf *buf,
			 struct gen_old *go)
{
	struct canary_ver_key k = { .svc_id = id, .version = v, .gen = gen };
	struct old_tables *old = &go->tables;
	bool v6 = config_is_v6(svc);
	struct old_table *t;
	int i, err, from, n_taking = 0;

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
	from = only ? -1 : table_source(st, id, v, v6, buf, n_taking, gen, old);
	if (v6)
		err = write_ring(st, id, gen, v, ver, only, from,
				 &buf->v6.n_active, &buf->v6.ring_size);
	else
		err = write_ring(st, id, gen, v, ver, only, from,
				 &buf->v4.n_active, &buf->v4.ring_size);
	if (err)
		return err;
	/* A table written over the old one's chunks: they must stay. */
	if (v6 ? buf->v6.ring_size : buf->v4.ring_size)
		old_table_keep(old, id, v, v6 ? buf->v6.ring_size :
					       buf->v4.ring_size);
	/* The same entry there already: nothing to write. */
	t = old_table_find(old, id, v);
	if (t && t->v6 == v6)
		t->written = true;
	if (t && t->v6 == v6 &&
	    !memcmp(v6 ? (void *)&t->ver.v6 : (void *)&t->ver.v4,
		    v6 ? (void *)&buf->v6 : (void *)&buf->v4,
		    v6 ? sizeof(buf->v6) : sizeof(buf->v4)))
		return 0;
	if (v6)
		err = bpf_map_update_elem(st->ver6_fd, &k, &buf->v6, BPF_ANY);
	else
		err = bpf_map_update_elem(st->ver_fd, &k, &buf->v4, BPF_ANY);
	return err ? -errno : 0;
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

/* The service's client pins into canary_pins or canary_pins6 (generation
 * @gen) and @m. */
static int write_pins(struct canary_state *st, __u32 id, __u32 gen,
		      const struct canary_service_cfg *svc,
		      struct canary_meta *m)
{
	__be32 scope = htonl(id * CANARY_GENERATIONS + gen);
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

/* Deletes the pins of generation @gen (all services) from canary_pins or
 * canary_pins6 (@fd): both keys start with prefixlen and scope. */
static int clear_pins_map(int fd, __u32 gen)
{
	unsigned char key[sizeof(struct canary_pin6_key)];
	unsigned char next[sizeof(key)], *prev = NULL;
	__be32 scope;
	int err = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		memcpy(&scope, key + offsetof(struct canary_pin_key, scope),
		       sizeof(scope));
		if (ntohl(scope) % CANARY_GENERATIONS != gen)
			continue;
		if (bpf_map_delete_elem(fd, key)) {
			err = -errno;
			break;
		}
		prev = NULL; /* the trie changed: walk again from the start */
	}
	return err;
}

static int clear_pins(struct canary_state *st, __u32 gen)
{
	int err = clear_pins_map(st->pins_fd, gen);

	return err ? err : clear_pins_map(st->pins6_fd, gen);
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

/* Service @orig as generation @gen; a Local one keeps the endpoints in
 * @node's pod CIDRs. */
static int write_service(struct canary_state *st, __u32 id, __u32 gen,
			 struct canary_service_cfg *orig, const __u64 *base,
			 const struct canary_node *node, bool shared,
			 struct ver_buf *buf, struct gen_old *go)
{
	static struct canary_service_cfg local;
	struct canary_service_cfg *svc = orig;
	const struct canary_node *only = NULL;
	struct canary_svc val = { .id = id, .n_versions = svc->n_versions };
	struct canary_meta m = { .in_use = 1, .n_versions = svc->n_versions };
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	__u32 idx = meta_index(gen, id);
	union svc_key key;
	int v, n_ports, fd, err;

	if (orig->local) {
		only = node;
		local = *orig;
		keep_local_endpoints(node, &local);
		svc = &local;
	}
	meta_key(svc, &m);
	config_effective_cum(svc, val.cum_bps);
	val.flags = (svc->affinity == CANARY_AFFINITY_CLIENT_IP ?
			     CANARY_SVC_F_AFFINITY : 0) |
		    (svc->n_pins ? CANARY_SVC_F_PINS : 0) | snat_flags(svc) |
		    (shared ? CANARY_SVC_F_SHARED : 0) |
		    (svc->guard.on ? CANARY_SVC_F_GUARD : 0);
	m.affinity = svc->affinity;
	m.policy = orig->snat | (orig->local ? 4 : 0);
	err = write_pins(st, id, gen, svc, &m);
	if (err)
		return err;
	memcpy(m.flows_base, base, sizeof(m.flows_base));
	snprintf(m.name, sizeof(m.name), "%s", svc->name);
	for (v = 0; v < svc->n_versions; v++) {
		err = write_version(st, id, gen, v, svc, &orig->v[v], only, buf,
				    go);
		if (err)
			return err;
		m.weight_bps[v] = svc->v[v].weight_bps;
		snprintf(m.vname[v], sizeof(m.vname[v]), "%s", svc->v[v].name);
	}
	m.n_ports = svc->n_ports;
	memcpy(m.ports, svc->ports, sizeof(m.ports));
	if (go->diff && id < go->n_ids)
		go->meta_written[id] = true;
	if (!(go->diff && id < go->n_ids &&
	      !memcmp(&go->meta[id], &m, sizeof(m))) &&
	    bpf_map_update_elem(st->meta_fd, &idx, &m, BPF_ANY))
		return -errno;
	/* One entry per service port, each with its target port. */
	n_ports = config_ports(svc, ports);
	for (v = 0; v < n_ports; v++) {
		fd = svc_key(st, svc, gen, ports[v].port, &key);
		val.target_port = ports[v].target;
		if (go->diff && kv_set_same(config_is_v6(svc) ? &go->svc6 :
					    &go->svc4, &key, &val))
			continue;
		if (bpf_map_update_elem(fd, &key, &val,
					go->diff ? BPF_ANY : BPF_NOEXIST))
			return -errno;
	}
	return 0;
}


/* Zeroes the canary_meta entries of the ids in @used, generation @gen. */
static int clear_meta(struct canary_state *st, __u32 gen, const bool *used)
{
	struct canary_meta zero = {};
	__u32 id, idx;

	for (id = 0; id < CANARY_MAX_SERVICES; id++) {
		if (!used[id])
			continue;
		idx = meta_index(gen, id);
		if (bpf_map_update_elem(st->meta_fd, &idx, &zero, BPF_ANY))
			return -errno;
	}
	return 0;
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
 * Where status starts counting a version's share: carried over while the
 * effective weights stay, reset to the current counters when they change.
 */
static void flows_base(struct canary_state *st, const struct gen_old *go,
		       __u32 id, bool fresh,
		       const struct canary_service_cfg *svc,
		       const struct canary_node *node, __u64 *base)
{
	__u16 cum[CANARY_MAX_VERSIONS] = {};
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	static struct canary_service_cfg local;
	const struct canary_svc *cur;
	union svc_key key;
	int v;

	memset(base, 0, sizeof(__u64) * CANARY_MAX_VERSIONS);
	if (fresh || go->live < 0)
		return;
	config_ports(svc, ports);
	if (svc->local) {
		/* the weights write_service() computes for it */
		local = *svc;
		keep_local_endpoints(node, &local);
		config_effective_cum(&local, cum);
	} else {
		config_effective_cum(svc, cum);
	}
	svc_key(st, svc, go->live, ports[0].port, &key);
	cur = kv_set_get(config_is_v6(svc) ? &go->live6 : &go->live4, &key);
	if (cur && id < go->live_n_ids && cur->id == id &&
	    cur->n_versions == svc->n_versions &&
	    !memcmp(cur->cum_bps, cum, sizeof(__u16) * svc->n_versions)) {
		memcpy(base, go->live_meta[id].flows_base, sizeof(base[0]) *
		       CANARY_MAX_VERSIONS);
		return;
	}
	for (v = 0; v < svc->n_versions; v++)
		base[v] = version_flows(st, id, v);
}

/* The live generation's service keys and meta entries into @go. */
static int load_live(struct canary_state *st, struct gen_old *go)
{
	int err;

	go->live = state_active_gen(st);
	if (go->live < 0)
		return 0;
	go->live_used = calloc(CANARY_MAX_SERVICES, sizeof(*go->live_used));
	if (!go->live_used)
		return -ENOMEM;
	go->live_meta = state_gen_metas(st, go->live, go->live_used,
					&go->live_n_ids);
	if (!go->live_meta)
		return -ENOMEM;
	err = kv_set_load(&go->live4, st->svc_fd, sizeof(struct canary_svc_key),
			  offsetof(struct canary_svc_key, gen), go->live);
	return err ? err : kv_set_load(&go->live6, st->svc6_fd,
				       sizeof(struct canary_svc6_key),
				       offsetof(struct canary_svc6_key, gen),
				       go->live);
}

/* Room for one more entry in @old; NULL when out of memory. */
static struct old_table *old_table_add(struct old_tables *old)
{
	struct old_table *t;

	if (old->n == old->cap) {
		old->cap = old->cap ? old->cap * 2 : 64;
		t = realloc(old->t, old->cap * sizeof(*t));
		if (!t)
			return NULL;
		old->t = t;
	}
	t = &old->t[old->n++];
	memset(t, 0, sizeof(*t));
	return t;
}

/*
 * The version entries of the services of clean generation @gen (their
 * canary_meta entries in @go) into @go->tables, sorted by id, then
 * version. They follow from each service's meta entry, so the big maps
 * are not walked (the ring map's buckets alone are 16 MiB).
 */
static int load_tables(struct canary_state *st, __u32 gen, struct gen_old *go)
{
	struct canary_ver_key vk = { .gen = gen };
	struct old_tables *old = &go->tables;
	const struct canary_meta *m;
	struct kv_set v4 = {}, v6 = {};
	struct old_table *t;
	const void *val;
	__u32 id;
	int v, err;

	/* One batched walk per map beats a lookup per version. */
	err = kv_set_load(&v4, st->ver_fd, sizeof(vk),
			  offsetof(struct canary_ver_key, gen), gen);
	if (!err)
		err = kv_set_load(&v6, st->ver6_fd, sizeof(vk),
				  offsetof(struct canary_ver_key, gen), gen);
	for (id = 0; id < go->n_ids && !err; id++) {
		if (!go->used[id])
			continue;
		m = &go->meta[id];
		vk.svc_id = id;
		for (v = 0; v < m->n_versions && v < CANARY_MAX_VERSIONS; v++) {
			vk.version = v;
			val = kv_set_get(m->family == CANARY_FAMILY_IPV6 ? &v6 : &v4,
					 &vk);
			if (!val)
				continue; /* a version without entry has no table */
			t = old_table_add(old);
			if (!t) {
				err = -ENOMEM;
				break;
			}
			t->id = id;
			t->version = v;
			t->v6 = m->family == CANARY_FAMILY_IPV6;
			memcpy(&t->ver, val, t->v6 ? sizeof(t->ver.v6) :
						    sizeof(t->ver.v4));
		}
	}
	kv_set_free(&v4);
	kv_set_free(&v6);
	return err;
}

/* What clean generation @gen holds, into @go (see struct gen_old). */
static int load_old(struct canary_state *st, __u32 gen, struct gen_old *go)
{
	int err;

	go->diff = true;
	go->used = calloc(CANARY_MAX_SERVICES, sizeof(*go->used));
	if (!go->used)
		return -ENOMEM;
	go->meta = state_gen_metas(st, gen, go->used, &go->n_ids);
	go->meta_written = calloc(go->n_ids + 1, sizeof(*go->meta_written));
	if (!go->meta || !go->meta_written)
		return -ENOMEM;
	err = kv_set_load(&go->svc4, st->svc_fd, sizeof(struct canary_svc_key),
			  offsetof(struct canary_svc_key, gen), gen);
	if (!err)
		err = kv_set_load(&go->svc6, st->svc6_fd,
				  sizeof(struct canary_svc6_key),
				  offsetof(struct canary_svc6_key, gen), gen);
	return err ? err : load_tables(st, gen, go);
}

/* After writing clean generation @gen: deletes what no service wrote,
 * its service keys, meta entries and version entries (tables follow in
 * drop_old_tables()). */
static int finish_old(struct canary_state *st, struct gen_old *go, __u32 gen)
{
	static const struct canary_meta zero;
	struct canary_ver_key vk = { .gen = gen };
	const struct old_table *t;
	__u32 id, idx;
	size_t i;
	int err;

	err = kv_set_prune(&go->svc4);
	if (!err)
		err = kv_set_prune(&go->svc6);
	for (id = 0; id < go->n_ids && !err; id++) {
		if (go->meta_written[id] || !memcmp(&go->meta[id], &zero, sizeof(zero)))
			continue;
		idx = meta_index(gen, id);
		if (bpf_map_update_elem(st->meta_fd, &idx, &zero, BPF_ANY))
			err = -errno;
	}
	for (i = 0; i < go->tables.n && !err; i++) {
		t = &go->tables.t[i];
		if (t->written)
			continue;
		vk.svc_id = t->id;
		vk.version = t->version;
		if (bpf_map_delete_elem(t->v6 ? st->ver6_fd : st->ver_fd, &vk) &&
		    errno != ENOENT)
			err = -errno;
	}
	return err;
}

static void free_old(struct gen_old *go)
{
	kv_set_free(&go->svc4);
	kv_set_free(&go->svc6);
	kv_set_free(&go->live4);
	kv_set_free(&go->live6);
	free(go->live_meta);
	free(go->live_used);
	free(go->meta);
	free(go->used);
	free(go->meta_written);
	free(go->tables.t);
}

/* Empties generation @gen (not clean: a transaction may have died while
 * writing it) by walking the config maps. */
static int clear_all(struct canary_state *st, __u32 gen)
{
	static bool used[CANARY_MAX_SERVICES];
	int err;

	err = state_gen_ids(st, gen, used); /* before its canary_svc entries go */
	if (!err)
		err = clear_gen(st->svc_fd, sizeof(struct canary_svc_key),
				offsetof(struct canary_svc_key, gen), gen);
	if (!err)
		err = clear_gen(st->svc6_fd, sizeof(struct canary_svc6_key),
				offsetof(struct canary_svc6_key, gen), gen);
	if (!err)
		err = clear_gen(st->ver_fd, sizeof(struct canary_ver_key),
				offsetof(struct canary_ver_key, gen), gen);
	if (!err)
		err = clear_gen(st->ver6_fd, sizeof(struct canary_ver_key),
				offsetof(struct canary_ver_key, gen), gen);
	if (!err)
		err = clear_gen(st->ring_fd, sizeof(struct canary_ring_key),
				offsetof(struct canary_ring_key, gen), gen);
	return err ? err : clear_meta(st, gen, used);
}

/* Deletes the tables of @old that the new config neither kept nor
 * overwrote. */
static int drop_old_tables(struct canary_state *st, __u32 gen,
			   const struct old_tables *old)
{
	struct canary_ring_key rk = { .gen = gen };
	const struct old_table *t;
	size_t i;
	int c;

	for (i = 0; i < old->n; i++) {
		t = &old->t[i];
		rk.svc_id = t->id;
		rk.version = t->version;
		/* What the new table (if any) did not overwrite. */
		for (c = t->keep ? t->keep_chunks : 0;
		     c < ring_chunks(t->v6 ? t->ver.v6.ring_size :
					    t->ver.v4.ring_size); c++) {
			rk.chunk = c;
			if (bpf_map_delete_elem(st->ring_fd, &rk) && errno != ENOENT)
				return -errno;
		}
	}
	return 0;
}

/* Writes @cfg (with service ids @ids) as generation @gen, from scratch,
 * for this node as @node (the node it will run with, which user space
 * writes only after the flip). */
int state_write_config(struct canary_state *st, struct canary_config *cfg,
		       const __u32 *ids, const bool *fresh, __u32 gen,
		       const struct canary_node *node)
{
	static bool shared[CANARY_MAX_SERVICES];
	__u64 base[CANARY_MAX_VERSIONS];
	struct ver_buf *buf = malloc(sizeof(*buf));
	struct gen_old go = {};
	bool clean;
	int i, err;

	if (!buf)
		return -ENOMEM;
	err = load_live(st, &go);
	if (!err)
		err = state_begin_gen(st, gen, &clean);
	if (!err)
		err = clean ? load_old(st, gen, &go) : clear_all(st, gen);
	if (!err)
		err = clear_pins(st, gen);
	/* Endpoint entries: only those that differ from what the
	 * generation holds (user/dataplane/state_backend.c); first, for the services'
	 * CANARY_SVC_F_SHARED. */
	if (!err)
		err = state_write_backends(st, cfg, gen, shared);
	for (i = 0; i < cfg->n_services && !err; i++) {
		flows_base(st, &go, ids[i], fresh[i], &cfg->svc[i], node, base);
		err = write_service(st, ids[i], gen, &cfg->svc[i], base, node,
				    shared[i], buf, &go);
	}
	if (!err && go.diff)
		err = finish_old(st, &go, gen);
	if (!err)
		err = drop_old_tables(st, gen, &go.tables);
	free_old(&go);
	free(buf);
	return err;
}
