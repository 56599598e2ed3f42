// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reading a config generation back from the maps into the config model,
 * by writers (under the pin dir's lock) and by readers (status, /metrics)
 * without it. Writers only ever write a generation that is neither live
 * nor the previous one, and make it live with one update of canary_gen,
 * whose stamp (the flip's time) changes with every flip: a reader that
 * reads canary_gen, then the live generation, then canary_gen again and
 * finds the same flip has read one consistent config, whatever writers
 * did meanwhile. Otherwise it reads again.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "dataplane/guard.h"
#include "dataplane/state_int.h"

#define META_BATCH 1024  /* canary_meta entries per batched read */
#define READ_TRIES 16    /* flips seen during a read before giving up */

static __u32 meta_index(__u32 gen, __u32 id)
{
	return gen * CANARY_MAX_SERVICES + id;
}

/* A version's map value, of either family (one buffer, reused). */
struct ver_buf {
	struct canary_ver v4;
	struct canary_ver6 v6;
};

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

/* The generation's version entries, read in batches when the whole
 * config is read (else looked up one by one). */
struct ver_set {
	bool loaded;
	struct kv_set v4, v6;
};

/* Version @k's entry into @buf (the family's member); 0 or -ENOENT. */
static int get_version(struct canary_state *st, const struct ver_set *vs,
		       bool v6, const struct canary_ver_key *k,
		       struct ver_buf *buf)
{
	const void *val;

	if (!vs->loaded)
		return bpf_map_lookup_elem(v6 ? st->ver6_fd : st->ver_fd, k,
					   v6 ? (void *)&buf->v6 :
						(void *)&buf->v4) ? -ENOENT : 0;
	val = kv_set_get(v6 ? &vs->v6 : &vs->v4, k);
	if (!val)
		return -ENOENT;
	if (v6)
		memcpy(&buf->v6, val, sizeof(buf->v6));
	else
		memcpy(&buf->v4, val, sizeof(buf->v4));
	return 0;
}

/* Version @k's endpoints from canary_ver or canary_ver6 into @ver. */
static void read_endpoints(struct canary_state *st, const struct ver_set *vs,
			   bool v6, const struct canary_ver_key *k,
			   struct canary_version_cfg *ver, struct ver_buf *buf)
{
	int i;

	ver->n_endpoints = 0;
	if (v6) {
		if (get_version(st, vs, true, k, buf) ||
		    buf->v6.n_endpoints > CANARY_MAX_ENDPOINTS)
			return;
		ver->n_endpoints = buf->v6.n_endpoints;
		for (i = 0; i < ver->n_endpoints; i++)
			ver->ep[i] = ep_from_map6(&buf->v6.ep[i]);
		return;
	}
	if (get_version(st, vs, false, k, buf) ||
	    buf->v4.n_endpoints > CANARY_MAX_ENDPOINTS)
		return;
	ver->n_endpoints = buf->v4.n_endpoints;
	for (i = 0; i < ver->n_endpoints; i++)
		ver->ep[i] = ep_from_map(&buf->v4.ep[i]);
}

static void read_versions(struct canary_state *st, const struct ver_set *vs,
			  __u32 id, __u32 gen, const struct canary_meta *m,
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
		read_endpoints(st, vs, m->family == CANARY_FAMILY_IPV6, &k, ver,
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

/* Service @id of generation @gen, whose canary_meta is @m, into @svc. */
static void read_service(struct canary_state *st, const struct ver_set *vs,
			 __u32 id, __u32 gen, const struct canary_meta *m,
			 struct canary_service_cfg *svc, struct ver_buf *buf)
{
	memset(svc, 0, sizeof(*svc));
	memcpy(svc->name, m->name, sizeof(svc->name));
	svc->name[sizeof(svc->name) - 1] = '\0';
	svc->vip = m->family == CANARY_FAMILY_IPV6 ? addr_v6(m->vip6) :
						     addr_v4(m->vip);
	svc->port = m->port;
	svc->n_ports = m->n_ports <= CANARY_MAX_PORTS ? m->n_ports : 0;
	memcpy(svc->ports, m->ports, sizeof(svc->ports));
	svc->proto = m->proto;
	svc->affinity = m->affinity;
	svc->snat = m->policy & 3;
	svc->local = !!(m->policy & 4);
	read_versions(st, vs, id, gen, m, svc, buf);
	read_pins(m, svc);
	guard_read_cfg(st, id, &svc->guard);
}

/*
 * Entries [@first, @first + @n) of canary_meta into @vals: batched, a
 * syscall per META_BATCH entries, or one by one where the kernel has no
 * batched lookup of arrays.
 */
static int read_metas(struct canary_state *st, __u32 first, __u32 n,
		      struct canary_meta *vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 done = 0, count, in, out, *keys, i;
	int err = 0;

	keys = calloc(META_BATCH, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	while (done < n && !err) {
		count = n - done < META_BATCH ? n - done : META_BATCH;
		in = first + done - 1; /* the batch starts after this key */
		if (bpf_map_lookup_batch(st->meta_fd, first + done ? &in : NULL,
					 &out, keys, vals + done, &count, &opts) &&
		    errno != ENOENT) {
			err = -errno;
			break;
		}
		if (!count)
			err = -EIO;
		done += count;
	}
	for (i = 0; err && err != -ENOMEM && i < n; i++) {
		in = first + i;
		if (bpf_map_lookup_elem(st->meta_fd, &in, vals + i))
			memset(vals + i, 0, sizeof(vals[i]));
	}
	free(keys);
	return 0;
}

struct canary_meta *state_gen_metas(struct canary_state *st, __u32 gen,
				    bool *used, __u32 *n_ids)
{
	struct canary_meta *m;
	__u32 id;

	*n_ids = 0;
	if (state_gen_ids(st, gen, used))
		return NULL;
	for (id = 0; id < CANARY_MAX_SERVICES; id++)
		if (used[id])
			*n_ids = id + 1;
	m = calloc(*n_ids + 1, sizeof(*m));
	if (m && *n_ids && read_metas(st, meta_index(gen, 0), *n_ids, m)) {
		free(m);
		return NULL;
	}
	return m;
}

/* What a read fills: the config with its ids, and optionally each
 * service's canary_meta flows_base (status's "since" counters). */
struct read_out {
	struct canary_config *cfg;
	__u32 *ids;
	__u64 (*base)[CANARY_MAX_VERSIONS];
	const char *only; /* one service by name, or NULL */
};

/* Whether canary_svc (or canary_svc6) of generation @gen has service @id
 * of meta entry @m: a meta entry alone may be what a killed transaction
 * left. */
static bool svc_live(struct canary_state *st, __u32 gen, __u32 id,
		     const struct canary_meta *m)
{
	struct canary_svc6_key k6 = { .proto = m->proto, .gen = gen };
	struct canary_svc_key k = { .vip = m->vip, .proto = m->proto,
				    .gen = gen };
	__be16 port = m->n_ports ? m->ports[0].port : m->port;
	struct canary_svc val;

	k.port = k6.port = port;
	memcpy(k6.vip, m->vip6, sizeof(k6.vip));
	if (bpf_map_lookup_elem(m->family == CANARY_FAMILY_IPV6 ? st->svc6_fd :
				st->svc_fd, m->family == CANARY_FAMILY_IPV6 ?
				(void *)&k6 : (void *)&k, &val))
		return false;
	return val.id == id;
}

/* Service @o->only of generation @gen: found by name among the
 * generation's canary_meta entries, read in batches from id 0 up to the
 * match (ids are given lowest first), then its versions alone. -ENOENT
 * when there is none. */
static int read_one(struct canary_state *st, __u32 gen, struct read_out *o)
{
	struct canary_meta *m = malloc(META_BATCH * sizeof(*m));
	struct ver_buf *buf = malloc(sizeof(*buf));
	struct canary_service_cfg *svc;
	const struct ver_set vs = {};
	struct canary_err err;
	__u32 first, i = 0, n = 0;
	int ret = m && buf ? -ENOENT : -ENOMEM;

	for (first = 0; ret == -ENOENT && first < CANARY_MAX_SERVICES;
	     first += n) {
		n = CANARY_MAX_SERVICES - first < META_BATCH ?
			    CANARY_MAX_SERVICES - first : META_BATCH;
		if (read_metas(st, meta_index(gen, first), n, m))
			break;
		for (i = 0; i < n; i++)
			if (m[i].in_use &&
			    !strncmp(m[i].name, o->only, sizeof(m[i].name)) &&
			    svc_live(st, gen, first + i, &m[i]))
				break;
		if (i < n)
			ret = 0;
	}
	if (!ret && !(svc = config_add_service(o->cfg, &err)))
		ret = -ENOMEM;
	if (!ret) {
		first -= n;
		read_service(st, &vs, first + i, gen, &m[i], svc, buf);
		o->ids[0] = first + i;
		if (o->base)
			memcpy(o->base[0], m[i].flows_base, sizeof(m[i].flows_base));
	}
	free(m);
	free(buf);
	return ret;
}

/* Generation @gen into @o; -ENOENT when @o->only is not there. */
static int read_gen(struct canary_state *st, __u32 gen, struct read_out *o)
{
	bool *used = calloc(CANARY_MAX_SERVICES, sizeof(*used));
	struct ver_buf *buf = malloc(sizeof(*buf));
	struct canary_service_cfg *svc;
	struct canary_meta *m = NULL;
	struct ver_set vs = {};
	struct canary_err err;
	__u32 id, n_ids = 0, n = 0;
	int ret = -ENOMEM;

	if (o->only) {
		free(used);
		free(buf);
		return read_one(st, gen, o);
	}
	/* The whole config: every version entry, one batched walk per map
	 * (a lookup each costs more than its share of a walk). */
	if (!kv_set_load(&vs.v4, st->ver_fd, sizeof(struct canary_ver_key),
			 offsetof(struct canary_ver_key, gen), gen) &&
	    !kv_set_load(&vs.v6, st->ver6_fd, sizeof(struct canary_ver_key),
			 offsetof(struct canary_ver_key, gen), gen))
		vs.loaded = true;
	if (used && buf)
		m = state_gen_metas(st, gen, used, &n_ids);
	for (id = 0; m && id < n_ids; id++)
		n += used[id] && m[id].in_use;
	if (!m || config_reserve(o->cfg, n + 1))
		goto out;
	for (ret = 0, id = 0; id < n_ids && !ret; id++) {
		if (!used[id] || !m[id].in_use)
			continue;
		svc = config_add_service(o->cfg, &err);
		if (!svc) {
			ret = -ENOMEM;
			break;
		}
		read_service(st, &vs, id, gen, &m[id], svc, buf);
		o->ids[o->cfg->n_services - 1] = id;
		if (o->base)
			memcpy(o->base[o->cfg->n_services - 1], m[id].flows_base,
			       sizeof(m[id].flows_base));
	}
out:
	kv_set_free(&vs.v4);
	kv_set_free(&vs.v6);
	free(m);
	free(used);
	free(buf);
	return ret;
}

/* The stamp of the flip that made @gs live (its monotonic time). */
static __u64 flip_stamp(const struct canary_genstate *gs)
{
	return gs->prev_until_ns - gs->grace_ns;
}

/* Reads the live generation into @o, again while a flip came between. */
static int read_live(struct canary_state *st, struct read_out *o, int *gen)
{
	struct canary_genstate a, b;
	int tries, err = -EAGAIN;

	for (tries = 0; tries < READ_TRIES; tries++) {
		config_free(o->cfg);
		err = state_genstate(st, &a);
		if (!err)
			err = read_gen(st, a.active, o);
		if (err && err != -ENOENT)
			return err;
		if (state_genstate(st, &b))
			return -EIO;
		if (a.active == b.active && flip_stamp(&a) == flip_stamp(&b)) {
			if (gen)
				*gen = a.active;
			return err;
		}
	}
	return -EAGAIN;
}

int state_read_meta(struct canary_state *st, __u32 id, struct canary_meta *m)
{
	int gen = state_active_gen(st);
	__u32 idx;

	if (gen < 0 || id >= CANARY_MAX_SERVICES)
		return -ENOENT;
	idx = meta_index(gen, id);
	return bpf_map_lookup_elem(st->meta_fd, &idx, m) ? -errno : 0;
}

int state_read_config(struct canary_state *st, struct canary_config *cfg,
		      __u32 *ids)
{
	struct read_out o = { .cfg = cfg, .ids = ids };

	return read_live(st, &o, NULL);
}

int state_read_snapshot(struct canary_state *st, struct canary_config *cfg,
			__u32 *ids, __u64 (*base)[CANARY_MAX_VERSIONS],
			const char *only, int *gen)
{
	struct read_out o = { .cfg = cfg, .ids = ids, .base = base,
			      .only = only };

	return read_live(st, &o, gen);
}
