// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Config transactions over the pinned maps. The active generation is
 * never written: a change is built in full in the inactive one, then one
 * write to canary_gen makes it live (see include/canary.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/bridge.h"
#include "util/log.h"
#include "core/maglev.h"
#include "cli/output.h"
#include "dataplane/state.h"
#include "dataplane/guard.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

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
	union {
		struct canary_ver v4;
		struct canary_ver6 v6;
	} ver;
};

struct old_tables {
	struct old_table *t;
	size_t n, cap;
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

static struct canary_ep_cfg ep_from_map(const struct canary_endpoint *e)
{
	return (struct canary_ep_cfg){ .addr = addr_v4(e->addr),
				       .port = e->port, .flags = e->flags };
}

static struct canary_ep_cfg ep_from_map6(const struct canary_endpoint6 *e)
{
	return (struct canary_ep_cfg){ .addr = addr_v6(e->addr),
				       .port = e->port, .flags = e->flags };
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

/* Version @k's endpoints from canary_ver or canary_ver6 into @ver. */
static void read_endpoints(struct canary_state *st, bool v6,
			   const struct canary_ver_key *k,
			   struct canary_version_cfg *ver, struct ver_buf *buf)
{
	int i;

	ver->n_endpoints = 0;
	if (v6) {
		if (bpf_map_lookup_elem(st->ver6_fd, k, &buf->v6) ||
		    buf->v6.n_endpoints > CANARY_MAX_ENDPOINTS)
			return;
		ver->n_endpoints = buf->v6.n_endpoints;
		for (i = 0; i < ver->n_endpoints; i++)
			ver->ep[i] = ep_from_map6(&buf->v6.ep[i]);
		return;
	}
	if (bpf_map_lookup_elem(st->ver_fd, k, &buf->v4) ||
	    buf->v4.n_endpoints > CANARY_MAX_ENDPOINTS)
		return;
	ver->n_endpoints = buf->v4.n_endpoints;
	for (i = 0; i < ver->n_endpoints; i++)
		ver->ep[i] = ep_from_map(&buf->v4.ep[i]);
}

int state_read_meta(struct canary_state *st, __u32 id, struct canary_meta *m)
{
	int gen = state_active_gen(st);
	__u32 idx;

	if (gen < 0)
		return -ENOENT;
	idx = meta_index(gen, id);
	return bpf_map_lookup_elem(st->meta_fd, &idx, m) ? -errno : 0;
}

static void read_versions(struct canary_state *st, __u32 id, __u32 gen,
			  const struct canary_meta *m,
			  struct canary_service_cfg *svc, struct ver_buf *buf)
{
	int v;

	svc->n_versions = m->n_versions;
	for (v = 0; v < m->n_versions && v < CANARY_MAX_VERSIONS; v++) {
		struct canary_version_cfg *ver = &svc->v[v];
		struct canary_ver_key k = { .svc_id = id, .version = v,
					    .gen = gen };

		memcpy(ver->name, m->vname[v], sizeof(ver->name));
		ver->name[sizeof(ver->name) - 1] = '\0';
		ver->weight_bps = m->weight_bps[v];
		read_endpoints(st, m->family == CANARY_FAMILY_IPV6, &k, ver,
			       buf);
	}
}

static void read_pins(const struct canary_meta *m,
		      struct canary_service_cfg *svc)
{
	int i;

	svc->n_pins = 0;
	for (i = 0; i < m->n_pins && i < CANARY_MAX_PINS; i++) {
		struct canary_pin_cfg *p = &svc->pins[svc->n_pins];

		if (m->pins[i].version >= svc->n_versions)
			continue;
		p->addr = m->family == CANARY_FAMILY_IPV6 ?
				  addr_v6(m->pin6[i]) : addr_v4(m->pins[i].addr);
		p->prefixlen = m->pins[i].prefixlen;
		memcpy(p->version, svc->v[m->pins[i].version].name,
		       sizeof(p->version));
		svc->n_pins++;
	}
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
static int gen_ids(struct canary_state *st, __u32 gen, bool *used)
{
	memset(used, 0, CANARY_MAX_SERVICES * sizeof(*used));
	return mark_gen_ids(st->svc_fd, sizeof(struct canary_svc_key),
			    offsetof(struct canary_svc_key, gen), gen, used) ?:
	       mark_gen_ids(st->svc6_fd, sizeof(struct canary_svc6_key),
			    offsetof(struct canary_svc6_key, gen), gen, used);
}

int state_read_config(struct canary_state *st, struct canary_config *cfg,
		      __u32 *ids)
{
	static bool used[CANARY_MAX_SERVICES];
	struct ver_buf *buf = malloc(sizeof(*buf));
	int gen = state_active_gen(st);
	struct canary_service_cfg *svc;
	struct canary_err err;
	struct canary_meta m;
	__u32 id, idx;

	if (!buf || gen < 0 || gen_ids(st, gen, used)) {
		free(buf);
		return -ENOMEM;
	}
	for (id = 0; id < CANARY_MAX_SERVICES; id++) {
		if (!used[id])
			continue;
		idx = meta_index(gen, id);
		if (bpf_map_lookup_elem(st->meta_fd, &idx, &m) || !m.in_use)
			continue;
		svc = config_add_service(cfg, &err);
		if (!svc) {
			free(buf);
			return -ENOMEM;
		}
		memcpy(svc->name, m.name, sizeof(svc->name));
		svc->name[sizeof(svc->name) - 1] = '\0';
		svc->vip = m.family == CANARY_FAMILY_IPV6 ? addr_v6(m.vip6) :
							    addr_v4(m.vip);
		svc->port = m.port;
		svc->n_ports = m.n_ports <= CANARY_MAX_PORTS ? m.n_ports : 0;
		memcpy(svc->ports, m.ports, sizeof(svc->ports));
		svc->proto = m.proto;
		svc->affinity = m.affinity;
		svc->snat = m.policy & 3;
		svc->local = !!(m.policy & 4);
		read_versions(st, id, gen, &m, svc, buf);
		read_pins(&m, svc);
		guard_read_cfg(st, id, &svc->guard);
		ids[cfg->n_services - 1] = id;
	}
	free(buf);
	return 0;
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
static int assign_ids(const struct canary_config *old, const __u32 *old_ids,
		       const struct canary_config *cfg, __u32 *ids,
		       bool *fresh)
{
	static bool used[CANARY_MAX_SERVICES];
	int i, j;
	__u32 next = 0;

	memset(used, 0, sizeof(used));
	for (i = 0; i < cfg->n_services; i++) {
		fresh[i] = true;
		for (j = 0; j < old->n_services; j++) {
			if (strcmp(old->svc[j].name, cfg->svc[i].name))
				continue;
			ids[i] = old_ids[j];
			used[ids[i]] = true;
			fresh[i] = false;
		}
	}
	for (j = 0; j < old->n_services; j++)
		used[old_ids[j]] = true;
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

static int zero_stats(struct canary_state *st, __u32 id)
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
	/* per-CPU __u64 pin counters fit in the same zeroed buffer */
	for (v = 0; v < CANARY_MAX_PINS && !err; v++) {
		idx = id * CANARY_MAX_PINS + v;
		if (bpf_map_update_elem(st->pinstat_fd, &idx, zero, BPF_ANY))
			err = -errno;
	}
	free(zero);
	return err;
}

/* Copies version @v's table chunks from generation @from to @gen. */
static int copy_ring(struct canary_state *st, __u32 id, int v, __u32 from,
		     __u32 gen)
{
	struct canary_ring_key src = { .svc_id = id, .version = v, .gen = from };
	struct canary_ring_key dst = { .svc_id = id, .version = v, .gen = gen };
	static struct canary_ring chunk;
	__u16 c;

	for (c = 0; c < CANARY_RING_MAX_CHUNKS; c++) {
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
 * nodes' pods), at this build's size. Its table is then the one
 * write_ring() would build for a service that is not Local: a table
 * depends only on its endpoints. @n_taking: endpoints not draining.
 */
static bool same_endpoints(bool is_v6, const struct canary_ver *v4,
			   const struct canary_ver6 *v6,
			   const struct ver_buf *buf, int n_taking)
{
	if (is_v6)
		return v6->ring_size == CANARY_RING_SIZE &&
		       v6->n_active == n_taking &&
		       v6->n_endpoints == buf->v6.n_endpoints &&
		       !memcmp(v6->ep, buf->v6.ep,
			       v6->n_endpoints * sizeof(v6->ep[0]));
	return v4->ring_size == CANARY_RING_SIZE && v4->n_active == n_taking &&
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

static void old_table_keep(struct old_tables *old, __u32 id, int v)
{
	struct old_table *t = old_table_find(old, id, v);

	if (t)
		t->keep = true;
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
		t->keep = true;
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
	m = CANARY_RING_SIZE;
	if (copy_from == (int)gen) {
		*ring_size = m;
		return 0;
	}
	if (copy_from >= 0 && !copy_ring(st, id, v, copy_from, gen)) {
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
			 struct old_tables *old)
{
	struct canary_ver_key k = { .svc_id = id, .version = v, .gen = gen };
	bool v6 = config_is_v6(svc);
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
		old_table_keep(old, id, v);
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

/* This node as the maps have it (zero when never set). */
static void read_node(struct canary_state *st, struct canary_node *n)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->node_fd, &zero, n))
		memset(n, 0, sizeof(*n));
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
			 struct ver_buf *buf, struct old_tables *old)
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
				    old);
		if (err)
			return err;
		m.weight_bps[v] = svc->v[v].weight_bps;
		snprintf(m.vname[v], sizeof(m.vname[v]), "%s", svc->v[v].name);
	}
	m.n_ports = svc->n_ports;
	memcpy(m.ports, svc->ports, sizeof(m.ports));
	if (bpf_map_update_elem(st->meta_fd, &idx, &m, BPF_ANY))
		return -errno;
	/* One entry per service port, each with its target port. */
	n_ports = config_ports(svc, ports);
	for (v = 0; v < n_ports; v++) {
		fd = svc_key(st, svc, gen, ports[v].port, &key);
		val.target_port = ports[v].target;
		if (bpf_map_update_elem(fd, &key, &val, BPF_NOEXIST))
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
static void flows_base(struct canary_state *st, __u32 id, bool fresh,
		       const struct canary_service_cfg *svc,
		       const struct canary_node *node, __u64 *base)
{
	__u16 cum[CANARY_MAX_VERSIONS] = {};
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	static struct canary_service_cfg local;
	struct canary_svc cur;
	struct canary_meta m;
	int gen = state_active_gen(st), v, fd;
	union svc_key key;
	__u32 idx;

	memset(base, 0, sizeof(__u64) * CANARY_MAX_VERSIONS);
	if (fresh || gen < 0)
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
	fd = svc_key(st, svc, gen, ports[0].port, &key);
	idx = meta_index(gen, id);
	if (bpf_map_lookup_elem(fd, &key, &cur) == 0 &&
	    bpf_map_lookup_elem(st->meta_fd, &idx, &m) == 0 && cur.id == id &&
	    cur.n_versions == svc->n_versions &&
	    !memcmp(cur.cum_bps, cum, sizeof(__u16) * svc->n_versions)) {
		memcpy(base, m.flows_base, sizeof(m.flows_base));
		return;
	}
	for (v = 0; v < svc->n_versions; v++)
		base[v] = version_flows(st, id, v);
}

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
static int begin_gen(struct canary_state *st, __u32 gen, bool *clean)
{
	struct canary_txn t = read_txn(st);

	*clean = t.clean_gens & (1u << gen);
	if (!*clean)
		return 0;
	t.clean_gens &= ~(1u << gen);
	return write_txn(st, &t);
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
 * Deletes the version entries of the services (@used) of generation @gen,
 * a clean one, keeping them in @old (their tables stay for now, see
 * struct old_tables). They follow from each service's meta entry, so the
 * big maps are not walked (the ring map's buckets alone are 16 MiB, a few
 * ms to walk). @old comes out sorted by id, then version.
 */
static int clear_versions(struct canary_state *st, __u32 gen,
			  const bool *used, struct old_tables *old)
{
	struct canary_ver_key vk = { .gen = gen };
	struct old_table *t;
	struct canary_meta m;
	__u32 id, idx;
	int v, fd;

	for (id = 0; id < CANARY_MAX_SERVICES; id++) {
		if (!used[id])
			continue;
		idx = meta_index(gen, id);
		if (bpf_map_lookup_elem(st->meta_fd, &idx, &m))
			return -errno;
		vk.svc_id = id;
		for (v = 0; v < m.n_versions; v++) {
			vk.version = v;
			t = old_table_add(old);
			if (!t)
				return -ENOMEM;
			t->id = id;
			t->version = v;
			t->v6 = m.family == CANARY_FAMILY_IPV6;
			fd = t->v6 ? st->ver6_fd : st->ver_fd;
			if (bpf_map_lookup_elem(fd, &vk, &t->ver)) {
				old->n--; /* a version without entry has no table */
				continue;
			}
			if (bpf_map_delete_elem(fd, &vk))
				return -errno;
		}
	}
	return 0;
}

/* Deletes the tables of @old that the new config neither kept nor
 * overwrote. */
static int drop_old_tables(struct canary_state *st, __u32 gen,
			   const struct old_tables *old)
{
	struct canary_ring_key rk = { .gen = gen };
	size_t i;
	int c;

	for (i = 0; i < old->n; i++) {
		if (old->t[i].keep)
			continue;
		rk.svc_id = old->t[i].id;
		rk.version = old->t[i].version;
		for (c = 0; c < CANARY_RING_MAX_CHUNKS; c++) {
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
static int write_config(struct canary_state *st, struct canary_config *cfg,
			const __u32 *ids, const bool *fresh, __u32 gen,
			const struct canary_node *node)
{
	static bool used[CANARY_MAX_SERVICES], shared[CANARY_MAX_SERVICES];
	__u64 base[CANARY_MAX_VERSIONS];
	struct ver_buf *buf = malloc(sizeof(*buf));
	struct old_tables old = {};
	bool clean;
	int i, err;

	if (!buf)
		return -ENOMEM;
	err = gen_ids(st, gen, used); /* before its canary_svc entries go */
	if (!err)
		err = begin_gen(st, gen, &clean);
	if (!err)
		err = clear_gen(st->svc_fd, sizeof(struct canary_svc_key),
				offsetof(struct canary_svc_key, gen), gen);
	if (!err)
		err = clear_gen(st->svc6_fd, sizeof(struct canary_svc6_key),
				offsetof(struct canary_svc6_key, gen), gen);
	if (!err && clean)
		err = clear_versions(st, gen, used, &old);
	if (!err && !clean)
		err = clear_gen(st->ver_fd, sizeof(struct canary_ver_key),
				offsetof(struct canary_ver_key, gen), gen);
	if (!err && !clean)
		err = clear_gen(st->ver6_fd, sizeof(struct canary_ver_key),
				offsetof(struct canary_ver_key, gen), gen);
	if (!err && !clean)
		err = clear_gen(st->ring_fd, sizeof(struct canary_ring_key),
				offsetof(struct canary_ring_key, gen), gen);
	if (!err)
		err = clear_meta(st, gen, used);
	if (!err)
		err = clear_pins(st, gen);
	/* Endpoint entries: only those that differ from what the
	 * generation holds (user/dataplane/state_backend.c); first, for the services'
	 * CANARY_SVC_F_SHARED. */
	if (!err)
		err = state_write_backends(st, cfg, gen, shared);
	for (i = 0; i < cfg->n_services && !err; i++) {
		flows_base(st, ids[i], fresh[i], &cfg->svc[i], node, base);
		err = write_service(st, ids[i], gen, &cfg->svc[i], base, node,
				    shared[i], buf, &old);
	}
	if (!err)
		err = drop_old_tables(st, gen, &old);
	free(old.t);
	free(buf);
	return err;
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

/* One service port, for finding a flow's service quickly. */
struct svc_port {
	struct canary_addr vip;
	__be16 port;
	__be16 target;   /* 0: the endpoint's own port */
	__u8 proto;
	const struct canary_service_cfg *svc;
};

static int svc_port_cmp(const void *a, const void *b)
{
	const struct svc_port *x = a, *y = b;
	int c = addr_cmp(&x->vip, &y->vip);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (int)x->proto - (int)y->proto;
}

/* Every (vip, port, proto) of @cfg, sorted; *n gets the count. */
static struct svc_port *index_ports(const struct canary_config *cfg, size_t *n)
{
	struct svc_port *idx = calloc((size_t)cfg->n_services * CANARY_MAX_PORTS + 1,
				      sizeof(*idx));
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	int i, p, np;

	*n = 0;
	if (!idx)
		return NULL;
	for (i = 0; i < cfg->n_services; i++) {
		np = config_ports(&cfg->svc[i], ports);
		for (p = 0; p < np; p++)
			idx[(*n)++] = (struct svc_port){
				.vip = cfg->svc[i].vip, .port = ports[p].port,
				.target = ports[p].target,
				.proto = cfg->svc[i].proto, .svc = &cfg->svc[i] };
	}
	qsort(idx, *n, sizeof(*idx), svc_port_cmp);
	return idx;
}

/* What a flow entry of either family names: its service and endpoint. */
struct flow_ref {
	struct canary_addr vip;
	__be16 dport;
	__u8 proto;
	struct canary_addr ep;
	__be16 ep_port;
};

static void flow_ref4(const void *key, const void *val, struct flow_ref *r)
{
	const struct canary_flow_key *k = key;
	const struct canary_flow *f = val;

	*r = (struct flow_ref){ .vip = addr_v4(k->daddr), .dport = k->dport,
				.proto = k->proto, .ep = addr_v4(f->ep_addr),
				.ep_port = f->ep_port };
}

static void flow_ref6(const void *key, const void *val, struct flow_ref *r)
{
	const struct canary_flow6_key *k = key;
	const struct canary_flow6 *f = val;

	*r = (struct flow_ref){ .vip = addr_v6(k->daddr), .dport = k->dport,
				.proto = k->proto, .ep = addr_v6(f->ep_addr),
				.ep_port = f->ep_port };
}

/* Whether flow @r still has its service and endpoint. */
static bool flow_still_valid(const struct flow_ref *r,
			     const struct svc_port *idx, size_t n)
{
	struct svc_port probe = { .vip = r->vip, .port = r->dport,
				  .proto = r->proto };
	const struct svc_port *hit = bsearch(&probe, idx, n, sizeof(*idx),
					     svc_port_cmp);
	const struct canary_service_cfg *svc;
	const struct canary_ep_cfg *ep;
	int v, e;

	if (!hit)
		return false;
	svc = hit->svc;
	for (v = 0; v < svc->n_versions; v++) {
		for (e = 0; e < svc->v[v].n_endpoints; e++) {
			ep = &svc->v[v].ep[e];
			if (addr_eq(&ep->addr, &r->ep) &&
			    (hit->target ?: ep->port) == r->ep_port)
				return true;
		}
	}
	return false;
}

/* A flow table of one family: canary_flow or canary_flow6. */
struct flow_map {
	int fd;
	size_t key_size;   /* struct canary_flow_key or canary_flow6_key */
	void (*ref)(const void *key, const void *val, struct flow_ref *r);
};

/* The keys in @fm of flows no longer valid under @idx, in *@dead
 * (malloc'd, @key_size each); returns how many, or -ENOMEM. */
static long dead_flows(struct canary_state *st, const struct flow_map *fm,
		       const struct svc_port *idx, size_t n_idx,
		       unsigned char **dead)
{
	unsigned char key[sizeof(struct canary_flow6_key)], *prev = NULL;
	unsigned char val[sizeof(struct canary_flow6)], *more;
	size_t n_dead = 0, cap = 1024;
	__u32 steps = state_flow_walk_limit(st);
	struct flow_ref r;

	*dead = malloc(cap * fm->key_size);
	if (!*dead)
		return -ENOMEM;
	while (steps-- && bpf_map_get_next_key(fm->fd, prev, key) == 0) {
		prev = key;
		if (bpf_map_lookup_elem(fm->fd, key, val))
			continue;
		fm->ref(key, val, &r);
		if (flow_still_valid(&r, idx, n_idx))
			continue;
		if (n_dead == cap) {
			more = realloc(*dead, 2 * cap * fm->key_size);
			if (!more)
				break;
			*dead = more;
			cap *= 2;
		}
		memcpy(*dead + n_dead++ * fm->key_size, key, fm->key_size);
	}
	return n_dead;
}

/* Drops the dead flows of one flow table; returns how many or -errno. */
static long gc_flow_map(struct canary_state *st, const struct flow_map *fm,
			const struct svc_port *idx, size_t n_idx)
{
	unsigned char *dead;
	long n_dead = dead_flows(st, fm, idx, n_idx, &dead), i, n = 0;

	if (n_dead < 0)
		return n_dead;
	for (i = 0; i < n_dead; i++)
		n += bpf_map_delete_elem(fm->fd, dead + i * fm->key_size) == 0;
	state_count_deleted_flows(st, n);
	free(dead);
	return n_dead;
}

/*
 * Drops flow entries (of both families) whose endpoint was removed
 * outright (or whose service is gone): their next packet is placed again
 * instead of being sent to an endpoint that no longer exists. Draining
 * endpoints keep theirs.
 */
static int gc_flows(struct canary_state *st, const struct canary_config *cfg)
{
	const struct flow_map maps[] = {
		{ st->flow_fd, sizeof(struct canary_flow_key), flow_ref4 },
		{ st->flow6_fd, sizeof(struct canary_flow6_key), flow_ref6 },
	};
	long n, total = 0;
	struct svc_port *idx;
	size_t n_idx, i;
	int err = 0;

	idx = index_ports(cfg, &n_idx);
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]) && !err; i++) {
		n = gc_flow_map(st, &maps[i], idx, n_idx);
		if (n < 0)
			err = n;
		else
			total += n;
	}
	if (total)
		pr_info("dropped %ld flows of removed endpoints\n", total);
	free(idx);
	return err;
}

/* The netmask of an IPv6 prefix of @len bits into @mask. */
static void mask6(__u8 len, __be32 *mask)
{
	int i, bits;

	for (i = 0; i < 4; i++) {
		bits = len > 32 * i ? len - 32 * i : 0;
		mask[i] = htonl(bits >= 32 ? ~0u : bits ? ~0u << (32 - bits) : 0);
	}
}

static void node_of(const struct canary_node_cfg *c, struct canary_node *n)
{
	memset(n, 0, sizeof(*n));
	n->address = c->address;
	n->pod_net = c->pod_net;
	n->pod_mask = htonl(c->pod_len ? ~0u << (32 - c->pod_len) : 0);
	n->port_min = c->port_min;
	n->port_max = c->port_max;
	memcpy(n->address6, c->address6, sizeof(n->address6));
	memcpy(n->pod_net6, c->pod_net6, sizeof(n->pod_net6));
	n->pod_len6 = c->pod_len6;
	mask6(c->pod_len6, n->pod_mask6);
}

void state_read_node(struct canary_state *st, struct canary_node_cfg *c)
{
	static const struct canary_node zero;
	struct canary_node n;

	read_node(st, &n);
	memset(c, 0, sizeof(*c));
	c->set = memcmp(&n, &zero, sizeof(n)) != 0;
	c->address = n.address;
	c->pod_net = n.pod_net;
	c->pod_len = __builtin_popcount(n.pod_mask);
	c->port_min = n.port_min;
	c->port_max = n.port_max;
	memcpy(c->address6, n.address6, sizeof(c->address6));
	memcpy(c->pod_net6, n.pod_net6, sizeof(c->pod_net6));
	c->pod_len6 = n.pod_len6;
}

/* This node's SNAT address, pod CIDR and ports (not versioned: read by
 * new flows only, and changed rarely). */
static int write_node(struct canary_state *st, const struct canary_node_cfg *c)
{
	struct canary_node n;
	__u32 zero = 0;

	node_of(c, &n);
	return bpf_map_update_elem(st->node_fd, &zero, &n, BPF_ANY) ? -errno : 0;
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
	err = assign_ids(old, old_ids, cfg, ids, fresh);
	if (err)
		goto out;
	for (i = 0, err = 0; i < cfg->n_services && !err; i++)
		if (fresh[i])
			err = zero_stats(st, ids[i]);
	/* A Local service's endpoints are those of the node section being
	 * applied, not of the one it replaces. */
	if (cfg->node.set)
		node_of(&cfg->node, &node);
	else
		read_node(st, &node);
	if (!err)
		err = write_config(st, cfg, ids, fresh, gen, &node);
	/* A bitmap that failed to be written is one for an older flip:
	 * the programs ignore it and look every packet up. */
	now = monotonic_ns();
	if (!err && write_vips(st, cfg, gen, now))
		pr_warn("Couldn't write the VIP bitmap: packets to no service "
			"take the slower path\n");
	/* Not versioned: only once the new generation is complete. */
	if (!err && cfg->node.set)
		err = write_node(st, &cfg->node);
	/* Not versioned either; canary_svc's flag says whether to look. */
	if (!err)
		err = guard_write(st, old, cfg, ids, fresh);
	if (!err)
		err = flip(st, gen, cfg->grace_s, now);
	if (!err)
		settle_flip(st, gen);
	/* The new config is live: a failed clean-up is worth a warning only. */
	if (!err && gc_flows(st, cfg))
		pr_warn("Couldn't drop the flows of removed endpoints: they "
			"go on until evicted\n");
out:
	free(ids);
	free(fresh);
	return err;
}

/* Canonical form for comparing: endpoints sorted, unused bytes zero. */
static void canonical(const struct canary_service_cfg *in,
		      struct canary_service_cfg *out)
{
	int v;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", in->name);
	out->vip = in->vip;
	out->port = in->port;
	out->n_ports = in->n_ports;
	memcpy(out->ports, in->ports, sizeof(out->ports));
	out->proto = in->proto;
	out->affinity = in->affinity;
	out->snat = in->snat;
	out->local = in->local;
	/* field by field into zeroed memory: no padding compared */
	out->guard.on = in->guard.on;
	if (in->guard.on) {
		out->guard.max_fail_bps = in->guard.max_fail_bps;
		out->guard.min_flows = in->guard.min_flows;
		out->guard.window_s = in->guard.window_s;
	}
	out->n_versions = in->n_versions;
	for (v = 0; v < in->n_versions; v++) {
		snprintf(out->v[v].name, sizeof(out->v[v].name), "%s",
			 in->v[v].name);
		out->v[v].weight_bps = in->v[v].weight_bps;
		out->v[v].n_endpoints = in->v[v].n_endpoints;
		memcpy(out->v[v].ep, in->v[v].ep,
		       sizeof(in->v[v].ep[0]) * in->v[v].n_endpoints);
		config_sort_endpoints(&out->v[v]);
	}
	out->n_pins = in->n_pins;
	for (v = 0; v < in->n_pins; v++) {
		out->pins[v].addr = in->pins[v].addr;
		out->pins[v].prefixlen = in->pins[v].prefixlen;
		snprintf(out->pins[v].version, sizeof(out->pins[v].version),
			 "%s", in->pins[v].version);
	}
}

/* Whether @b asks for exactly what @a runs (services matched by name) and
 * for the node section the maps hold. */
static bool config_same(struct canary_state *st, const struct canary_config *a,
			const struct canary_config *b)
{
	static struct canary_service_cfg x, y;
	const struct canary_service_cfg *o;
	struct canary_node want, have;
	struct canary_genstate gs;
	int i;

	if (a->n_services != b->n_services)
		return false;
	if (b->grace_s != CANARY_GRACE_KEEP &&
	    (state_genstate(st, &gs) ||
	     gs.grace_ns != b->grace_s * 1000000000ull))
		return false;
	if (b->node.set) {
		node_of(&b->node, &want);
		read_node(st, &have);
		if (memcmp(&want, &have, sizeof(want)))
			return false;
	}
	for (i = 0; i < b->n_services; i++) {
		o = config_find((struct canary_config *)a, b->svc[i].name);
		if (!o)
			return false;
		canonical(o, &x);
		canonical(&b->svc[i], &y);
		if (memcmp(&x, &y, sizeof(x)))
			return false;
	}
	return true;
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

	for (i = 0; i < cfg->n_services && st->guard_fd < 0; i++)
		if (cfg->svc[i].guard.on) {
			cerr_set(err, "service '%s' has a guard, which needs the "
				 "map %s: run 'canary-bpf attach' with this "
				 "build first", cfg->svc[i].name,
				 CANARY_MAP_GUARD);
			return -ENOENT;
		}
	return 0;
}

int state_transaction(struct canary_state *st, config_edit_fn edit, void *arg)
{
	struct canary_config old, cfg;
	struct canary_err err = {};
	__u32 *old_ids = calloc(CANARY_MAX_SERVICES, sizeof(*old_ids));
	int ret = EXIT_FAIL, e;

	config_init(&old);
	config_init(&cfg);
	if (!old_ids || state_read_config(st, &old, old_ids) ||
	    state_read_config(st, &cfg, old_ids)) {
		p_err("Couldn't read the running config under '%s'",
		      st->pin_dir);
		goto out;
	}
	e = edit(&cfg, arg, &err);
	if (!e)
		e = config_validate(&cfg, &err);
	if (!e && !cfg.node.set)
		e = check_running_node(st, &cfg, &err);
	if (!e)
		e = check_guard_map(st, &cfg, &err);
	if (e) {
		p_err("%s", err.msg[0] ? err.msg : strerror(-e));
		ret = e == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (config_same(st, &old, &cfg)) {
		/* Nothing to do, and the previous generation (and its grace
		 * period) must stay the config before the last real change. */
		pr_info("config unchanged\n");
		ret = EXIT_OK;
		goto out;
	}
	e = commit(st, &old, old_ids, &cfg);
	if (e == -ENOSPC) {
		/* The old services keep their ids until the change is live. */
		p_err("too many services: the running and the new config "
		      "together need more than %d service ids; remove some "
		      "services first", CANARY_MAX_SERVICES);
		ret = EXIT_USAGE;
		goto out;
	}
	if (e) {
		p_err("Couldn't write the new config under '%s': %s",
		      st->pin_dir, strerror(-e));
		goto out;
	}
	ret = EXIT_OK;
out:
	/* Endpoints may have come or gone (and a no-op apply is a way to
	 * ask): the bridge FDB copy follows, failing only the fast path. */
	if (ret == EXIT_OK)
		bridge_sync(st);
	config_free(&old);
	config_free(&cfg);
	free(old_ids);
	return ret;
}
