// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reading the live config back from the maps into the config model, by
 * writers (under the pin dir's lock) and by readers (status, /metrics)
 * without it. Each service's canary_svc_v2 entry names its live slot and
 * the time of its last flip; writers only ever write a slot that is
 * neither live nor the previous one. A reader that reads the entries,
 * then each service's live slot, then the entries again and finds the
 * same flips has read one consistent config, whatever writers did
 * meanwhile. Otherwise it reads again.
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

/* Version entries read in batches (else looked up one by one). */
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

/* Service @id of generation @gen, whose canary_meta is @m, into @svc
 * (zeroed). */
static void read_service(struct canary_state *st, const struct ver_set *vs,
			 __u32 id, __u32 gen, const struct canary_meta *m,
			 struct canary_service_cfg *svc, struct ver_buf *buf)
{
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

/* A service as its canary_svc_v2 entries name it: its live slot. */
struct live_ref {
	__u32 id;
	__u32 slot;
	__u64 flip_ns;
};

static int ref_cmp_id(const void *a, const void *b)
{
	const struct live_ref *x = a, *y = b;

	return x->id != y->id ? (x->id < y->id ? -1 : 1) : 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct live_ref *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->slot != y->slot ? (x->slot < y->slot ? -1 : 1) :
	       x->flip_ns < y->flip_ns ? -1 : x->flip_ns > y->flip_ns;
}

/* Appends a live_ref per entry of service map @fd (keys of @ks bytes,
 * the reserved zero byte at @zero_off: every entry). */
static int refs_of(int fd, size_t ks, size_t zero_off, struct live_ref **refs,
		   size_t *n)
{
	struct canary_svc_slots *vals;
	struct live_ref *more;
	size_t m, i;
	void *keys;
	int err;

	err = state_gen_entries(fd, ks, zero_off, 0, &keys, (void **)&vals, &m);
	if (err)
		return err;
	more = realloc(*refs, (*n + m + 1) * sizeof(**refs));
	if (!more)
		err = -ENOMEM;
	else
		*refs = more;
	for (i = 0; !err && i < m; i++)
		if (vals[i].slot < CANARY_GENERATIONS &&
		    vals[i].live.id < CANARY_MAX_SERVICES)
			(*refs)[(*n)++] = (struct live_ref){
				.id = vals[i].live.id, .slot = vals[i].slot,
				.flip_ns = vals[i].flip_ns };
	free(keys);
	free(vals);
	return err;
}

/*
 * Every service's live slot, sorted by id, one per service (a multi-port
 * service has an entry per port, flipped one after the other: a reader
 * that comes between sees two slots and reads again). *@n refs, to free.
 */
static int live_refs(struct canary_state *st, struct live_ref **refs,
		     size_t *n, bool *torn)
{
	size_t i, j = 0;
	int err;

	*refs = NULL;
	*n = 0;
	*torn = false;
	err = refs_of(st->svc_fd, sizeof(struct canary_svc_key),
		      offsetof(struct canary_svc_key, reserved), refs, n);
	if (!err)
		err = refs_of(st->svc6_fd, sizeof(struct canary_svc6_key),
			      offsetof(struct canary_svc6_key, reserved), refs, n);
	if (err)
		return err;
	qsort(*refs, *n, sizeof(**refs), ref_cmp);
	for (i = 0; i < *n; i++) {
		if (j && (*refs)[j - 1].id == (*refs)[i].id) {
			*torn |= (*refs)[j - 1].slot != (*refs)[i].slot;
			continue;
		}
		(*refs)[j++] = (*refs)[i];
	}
	*n = j;
	return 0;
}

/* What a read fills: the config with its ids, and optionally each
 * service's canary_meta flows_base (status's "since" counters). With
 * @packed, the services go there instead of @cfg, each read into
 * @scratch and packed. */
struct read_out {
	struct canary_config *cfg;
	struct config_packed *packed;
	struct canary_service_cfg *scratch;
	__u32 *ids;
	__u64 (*base)[CANARY_MAX_VERSIONS];
	const char *only; /* one service by name, or NULL */
};

/* Services read into @o so far. */
static int out_count(const struct read_out *o)
{
	return o->packed ? o->packed->n : o->cfg->n_services;
}

/* Empties @o for a fresh read. */
static void out_reset(struct read_out *o)
{
	if (o->packed)
		config_packed_free(o->packed);
	else
		config_free(o->cfg);
}

/* Service @r into @o (its meta entry @m read already). */
static int read_ref(struct canary_state *st, const struct ver_set *vs,
		    const struct live_ref *r, const struct canary_meta *m,
		    struct read_out *o, struct ver_buf *buf)
{
	struct canary_service_cfg *svc = o->scratch;
	struct canary_err err;
	int i = out_count(o), ret;

	if (o->packed)
		memset(svc, 0, sizeof(*svc));
	else
		svc = config_add_service(o->cfg, &err);
	if (!svc)
		return -ENOMEM;
	read_service(st, vs, r->id, r->slot, m, svc, buf);
	if (o->packed) {
		ret = config_packed_add(o->packed, svc);
		if (ret)
			return ret;
	}
	o->ids[i] = r->id;
	if (o->base)
		memcpy(o->base[i], m->flows_base, sizeof(m->flows_base));
	return 0;
}

/* Every entry of config map @fd (its keys' byte @zero_off is always zero)
 * into @s, in batches: for reading the whole config, a walk costs less
 * than a lookup per entry. */
static int load_all(struct kv_set *s, int fd, size_t ks, size_t zero_off)
{
	return kv_set_load(s, fd, ks, zero_off, 0);
}

/* Service @r's meta entry into @m, from @ms when loaded; 0 or -ENOENT. */
static int get_meta(struct canary_state *st, const struct kv_set *ms,
		    const struct live_ref *r, struct canary_meta *m)
{
	__u32 idx = meta_index(r->slot, r->id);
	const void *val;

	if (!ms)
		return bpf_map_lookup_elem(st->meta_fd, &idx, m) ? -ENOENT : 0;
	val = kv_set_get(ms, &idx);
	if (!val)
		return -ENOENT;
	memcpy(m, val, sizeof(*m));
	return 0;
}

/* The services @refs name into @o: all, or the one named @o->only
 * (-ENOENT when there is none), found by its meta entry's name. */
static int read_refs(struct canary_state *st, const struct live_ref *refs,
		     size_t n, struct read_out *o)
{
	struct ver_buf *buf = malloc(sizeof(*buf));
	struct kv_set ms = {};
	struct ver_set vs = {};
	struct canary_meta m;
	size_t i;
	int ret = buf && (o->packed || !config_reserve(o->cfg, n + 1)) ?
			  0 : -ENOMEM;

	/* Loaded whole, the maps hand over every slot of every service.
	 * A packed read (apply -f's, beside the file's parse) looks up the
	 * live slot's entries alone: at 10,000 services those lookups cost
	 * less than copying, keeping and sorting all the entries.
	 * meta keys stay under 2^24, version keys' reserved field is 0. */
	if (!ret && !o->only && !o->packed &&
	    !load_all(&vs.v4, st->ver_fd, sizeof(struct canary_ver_key),
		      offsetof(struct canary_ver_key, reserved)) &&
	    !load_all(&vs.v6, st->ver6_fd, sizeof(struct canary_ver_key),
		      offsetof(struct canary_ver_key, reserved)) &&
	    !load_all(&ms, st->meta_fd, sizeof(__u32), 3))
		vs.loaded = true;
	for (i = 0; i < n && !ret; i++) {
		if (get_meta(st, vs.loaded ? &ms : NULL, &refs[i], &m) ||
		    !m.in_use)
			continue;
		if (o->only && strncmp(m.name, o->only, sizeof(m.name)))
			continue;
		ret = read_ref(st, &vs, &refs[i], &m, o, buf);
		if (o->only)
			break;
	}
	if (!ret && o->only && !out_count(o))
		ret = -ENOENT;
	kv_set_free(&vs.v4);
	kv_set_free(&vs.v6);
	kv_set_free(&ms);
	free(buf);
	return ret;
}

/* Service @o->only found through canary_names: its entry, live slot and
 * meta entry, checked against each other and the entry again after the
 * read (-EAGAIN: it flipped meanwhile). -ENOENT when the index does not
 * lead to it: the caller reads every service. */
static int read_named(struct canary_state *st, struct read_out *o)
{
	struct canary_svc_slots e, again;
	struct ver_buf *buf = NULL;
	const struct ver_set vs = {};
	struct canary_svc6_key k6 = {};
	struct canary_svc_key k4 = {};
	struct canary_name n;
	struct canary_meta m;
	struct live_ref r;
	__u32 idx;
	int fd, err;
	bool v6;
	void *k;

	if (state_find_name(st, o->only, &n))
		return -ENOENT;
	v6 = n.family == CANARY_FAMILY_IPV6;
	fd = v6 ? st->svc6_fd : st->svc_fd;
	k = v6 ? (void *)&k6 : (void *)&k4;
	k6.proto = k4.proto = n.proto;
	k6.port = k4.port = n.port;
	memcpy(k6.vip, n.vip, sizeof(k6.vip));
	k4.vip = n.vip[0];
	if (bpf_map_lookup_elem(fd, k, &e) || e.live.id != n.id ||
	    e.slot >= CANARY_GENERATIONS)
		return -ENOENT;
	r = (struct live_ref){ .id = n.id, .slot = e.slot, .flip_ns = e.flip_ns };
	idx = meta_index(r.slot, r.id);
	if (bpf_map_lookup_elem(st->meta_fd, &idx, &m) || !m.in_use ||
	    strncmp(m.name, o->only, sizeof(m.name)))
		return -ENOENT;
	buf = malloc(sizeof(*buf));
	err = buf && !config_reserve(o->cfg, 1) ? 0 : -ENOMEM;
	if (!err)
		err = read_ref(st, &vs, &r, &m, o, buf);
	free(buf);
	if (!err && (bpf_map_lookup_elem(fd, k, &again) ||
		     again.flip_ns != e.flip_ns || again.slot != e.slot))
		err = -EAGAIN;
	return err;
}

/* Reads the live config into @o, again while a flip came between. */
static int read_live(struct canary_state *st, struct read_out *o, int *gen)
{
	struct live_ref *a = NULL, *b = NULL;
	size_t na, nb;
	int tries, err = -EAGAIN;
	bool torn;

	for (tries = 0; o->only && tries < READ_TRIES; tries++) {
		out_reset(o);
		err = read_named(st, o);
		if (!err && gen)
			*gen = state_active_gen(st);
		if (err != -EAGAIN)
			break;
	}
	if (o->only && err != -ENOENT)
		return err;
	for (tries = 0; tries < READ_TRIES; tries++) {
		out_reset(o);
		free(a);
		free(b);
		a = b = NULL;
		err = live_refs(st, &a, &na, &torn);
		if (!err && !torn)
			err = read_refs(st, a, na, o);
		if (err && err != -ENOENT)
			break;
		if (torn || live_refs(st, &b, &nb, &torn))
			continue;
		if (na == nb && !memcmp(a, b, na * sizeof(*a))) {
			if (gen)
				*gen = state_active_gen(st);
			break;
		}
		err = -EAGAIN;
	}
	free(a);
	free(b);
	return err;
}

/* Service @id's live slot, from a list of live refs kept until the next
 * change (canary_gen's stamp moves with every transaction). */
static int live_slot(struct canary_state *st, __u32 id, __u32 *slot)
{
	static struct live_ref *refs;
	static __u64 stamp = ~0ull;
	static size_t n;
	struct canary_genstate gs = {};
	struct live_ref k = { .id = id }, *r;
	bool torn;

	state_genstate(st, &gs);
	if (!refs || stamp != gs.prev_until_ns - gs.grace_ns) {
		free(refs);
		refs = NULL;
		if (live_refs(st, &refs, &n, &torn))
			return -EIO;
		stamp = gs.prev_until_ns - gs.grace_ns;
	}
	r = n ? bsearch(&k, refs, n, sizeof(k), ref_cmp_id) : NULL;
	if (!r)
		return -ENOENT;
	*slot = r->slot;
	return 0;
}

int state_service_slot(struct canary_state *st, __u32 id)
{
	__u32 slot;

	return live_slot(st, id, &slot) ? -ENOENT : (int)slot;
}

int state_read_meta(struct canary_state *st, __u32 id, struct canary_meta *m)
{
	__u32 idx, slot;

	if (id >= CANARY_MAX_SERVICES || live_slot(st, id, &slot))
		return -ENOENT;
	idx = meta_index(slot, id);
	return bpf_map_lookup_elem(st->meta_fd, &idx, m) ? -errno : 0;
}

int state_read_config(struct canary_state *st, struct canary_config *cfg,
		      __u32 *ids)
{
	struct read_out o = { .cfg = cfg, .ids = ids };

	return read_live(st, &o, NULL);
}

int state_read_packed(struct canary_state *st, struct config_packed *packed,
		      __u32 *ids)
{
	struct read_out o = { .packed = packed, .ids = ids };
	int err;

	o.scratch = malloc(sizeof(*o.scratch));
	err = o.scratch ? read_live(st, &o, NULL) : -ENOMEM;
	free(o.scratch);
	return err;
}

int state_read_snapshot(struct canary_state *st, struct canary_config *cfg,
			__u32 *ids, __u64 (*base)[CANARY_MAX_VERSIONS],
			const char *only, int *gen)
{
	struct read_out o = { .cfg = cfg, .ids = ids, .base = base,
			      .only = only };

	return read_live(st, &o, gen);
}
