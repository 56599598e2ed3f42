// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The endpoint entries of a config generation (canary_backend and
 * canary_backend6: which services an endpoint serves, so that the reply
 * path can restore the VIP), and reading a generation's entries of any
 * config hash map.
 *
 * A transaction builds a generation's endpoint entries in memory and
 * writes only those that differ from what the generation holds: a
 * generation being rewritten held the config of two changes ago, and a
 * weight change leaves every endpoint entry as it was.
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "util/log.h"
#include "dataplane/state.h"
#include "dataplane/state_int.h"

#define GEN_BATCH 4096       /* entries per BPF_MAP_LOOKUP_BATCH, at most */
#define GEN_BATCH_BYTES (4 << 20) /* values per batch, at most */
#define GEN_BATCH_VALUE 4096 /* larger values: walk key by key */

/* Grows the packed array *@buf of @size-byte items to room for @want. */
static int grow(void **buf, size_t *cap, size_t want, size_t size)
{
	void *p;

	if (want <= *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	if (*cap < want)
		*cap = want;
	p = realloc(*buf, *cap * size);
	if (!p)
		return -ENOMEM;
	*buf = p;
	return 0;
}

/* What state_gen_entries() hands back, as it grows. */
struct gen_out {
	void **keys, **vals; /* vals NULL: keys only */
	size_t *n, kcap, vcap, ks, vs;
};

static int out_add(struct gen_out *o, const void *key, const void *val)
{
	if (grow(o->keys, &o->kcap, *o->n + 1, o->ks) ||
	    (o->vals && grow(o->vals, &o->vcap, *o->n + 1, o->vs)))
		return -ENOMEM;
	memcpy((unsigned char *)*o->keys + *o->n * o->ks, key, o->ks);
	if (o->vals)
		memcpy((unsigned char *)*o->vals + *o->n * o->vs, val, o->vs);
	(*o->n)++;
	return 0;
}

/* The batched read; -EAGAIN when the map wants a walk instead (a bucket
 * longer than a batch, say). */
static int read_batched(int fd, size_t gen_off, __u32 gen, struct gen_out *o)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 batch = GEN_BATCH_BYTES / o->vs < GEN_BATCH ?
			      GEN_BATCH_BYTES / o->vs : GEN_BATCH;
	unsigned char *kb = malloc((size_t)batch * o->ks);
	unsigned char *vb = malloc((size_t)batch * o->vs);
	void *prev = NULL;
	__u32 count, i;
	__u64 token;
	int err = kb && vb ? 0 : -ENOMEM, r;

	for (; !err; prev = &token) {
		count = batch;
		r = bpf_map_lookup_batch(fd, prev, &token, kb, vb, &count, &opts);
		if (r && errno != ENOENT) {
			err = -EAGAIN;
			break;
		}
		for (i = 0; i < count && !err; i++)
			if (kb[i * o->ks + gen_off] == gen)
				err = out_add(o, kb + i * o->ks, vb + i * o->vs);
		if (r)
			break;
	}
	free(kb);
	free(vb);
	return err;
}

/* Key by key: no value is copied unless asked for. */
static int read_walked(int fd, size_t gen_off, __u32 gen, struct gen_out *o)
{
	unsigned char next[64], last[64], *val = o->vals ? malloc(o->vs) : NULL;
	void *prev = NULL;
	int err = !o->vals || val ? 0 : -ENOMEM;

	for (; !err && bpf_map_get_next_key(fd, prev, next) == 0; prev = last) {
		memcpy(last, next, o->ks);
		if (next[gen_off] != gen)
			continue;
		/* Gone meanwhile only if not ours: we hold the lock. */
		if (val && bpf_map_lookup_elem(fd, next, val))
			continue;
		err = out_add(o, next, val);
	}
	free(val);
	return err;
}

int state_gen_entries(int fd, size_t key_size, size_t gen_off, __u32 gen,
		      void **keys, void **vals, size_t *n)
{
	struct gen_out o = { .keys = keys, .vals = vals, .n = n, .ks = key_size };
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	int err = -EAGAIN;

	*keys = NULL;
	if (vals)
		*vals = NULL;
	*n = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return -errno;
	if (key_size > 64 || info.key_size != key_size)
		return -EINVAL;
	o.vs = info.value_size;
	if (info.value_size <= GEN_BATCH_VALUE)
		err = read_batched(fd, gen_off, gen, &o);
	if (err == -EAGAIN) {
		*n = 0;
		err = read_walked(fd, gen_off, gen, &o);
	}
	if (err) {
		free(*keys);
		*keys = NULL;
		if (vals) {
			free(*vals);
			*vals = NULL;
		}
		*n = 0;
	}
	return err;
}

/* One endpoint entry of either family, keys and values zero-padded so
 * that equal entries compare equal byte for byte. */
struct be_entry {
	union {
		struct canary_backend_key v4;
		struct canary_backend6_key v6;
	} k;
	union {
		struct canary_backend v4;
		struct canary_backend6 v6;
	} val;
};

/* One (endpoint, service port) pair; @seq keeps the config's order of a
 * value's services through the sort. */
struct be_pair {
	struct be_entry e; /* the key and, in val.svc[0], the service */
	size_t seq;
	const char *svc_name;
	int svc; /* index in the config */
};

struct be_pairs {
	struct be_pair *p;
	size_t n, cap;
};

static size_t be_key_size(bool v6)
{
	return v6 ? sizeof(struct canary_backend6_key) :
		    sizeof(struct canary_backend_key);
}

static size_t be_val_size(bool v6)
{
	return v6 ? sizeof(struct canary_backend6) :
		    sizeof(struct canary_backend);
}

/* By key (@key_size bytes), then in config order. */
static int pair_cmp(const void *a, const void *b, void *key_size)
{
	const struct be_pair *x = a, *y = b;
	int c = memcmp(&x->e.k, &y->e.k, *(size_t *)key_size);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The pairs of every service of family @v6 in @cfg, for generation @gen. */
static int collect_pairs(const struct canary_config *cfg, bool v6, __u32 gen,
			 struct be_pairs *out)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	const struct canary_service_cfg *svc;
	const struct canary_ep_cfg *ep;
	struct be_pair *q;
	int i, v, e, p, n_ports;

	for (i = 0; i < cfg->n_services; i++) {
		svc = &cfg->svc[i];
		if (config_is_v6(svc) != v6)
			continue;
		n_ports = config_ports(svc, ports);
		for (v = 0; v < svc->n_versions; v++) {
			for (e = 0; e < svc->v[v].n_endpoints; e++) {
				ep = &svc->v[v].ep[e];
				for (p = 0; p < n_ports; p++) {
					if (grow((void **)&out->p, &out->cap,
						 out->n + 1, sizeof(*out->p)))
						return -ENOMEM;
					q = &out->p[out->n];
					memset(q, 0, sizeof(*q));
					q->seq = out->n++;
					q->svc_name = svc->name;
					q->svc = i;
					if (v6) {
						memcpy(q->e.k.v6.addr, ep->addr.v6,
						       sizeof(q->e.k.v6.addr));
						q->e.k.v6.port = ports[p].target ?: ep->port;
						q->e.k.v6.proto = svc->proto;
						q->e.k.v6.gen = gen;
						memcpy(q->e.val.v6.svc[0].vip, svc->vip.v6,
						       sizeof(q->e.val.v6.svc[0].vip));
						q->e.val.v6.svc[0].port = ports[p].port;
					} else {
						q->e.k.v4.addr = ep->addr.v4;
						q->e.k.v4.port = ports[p].target ?: ep->port;
						q->e.k.v4.proto = svc->proto;
						q->e.k.v4.gen = gen;
						q->e.val.v4.svc[0].vip = svc->vip.v4;
						q->e.val.v4.svc[0].port = ports[p].port;
					}
				}
			}
		}
	}
	return 0;
}

/* Sorted @pairs grouped into entries, in place at the start of @pairs;
 * @shared[i] set for each service i whose endpoint's entry has another
 * service port. Returns how many entries. */
static size_t group_pairs(struct be_pairs *pairs, bool v6, bool *shared)
{
	size_t i, n = 0, ks = be_key_size(v6);
	struct be_entry *cur = NULL;
	int first = 0; /* the service of cur's first pair */
	__u32 *cnt;

	for (i = 0; i < pairs->n; i++) {
		struct be_pair *q = &pairs->p[i];

		if (!cur || memcmp(&cur->k, &q->e.k, ks)) {
			first = q->svc;
			cur = &pairs->p[n++].e;
			if (cur != &q->e)
				*cur = q->e;
			cnt = v6 ? &cur->val.v6.n : &cur->val.v4.n;
			*cnt = 1;
			continue;
		}
		shared[first] = shared[q->svc] = true;
		cnt = v6 ? &cur->val.v6.n : &cur->val.v4.n;
		if (*cnt == CANARY_BACKEND_SVCS) {
			pr_warn("an endpoint of '%s' serves more than %d service "
				"ports: its replies there are not translated\n",
				q->svc_name, CANARY_BACKEND_SVCS);
			continue;
		}
		if (v6)
			cur->val.v6.svc[*cnt] = q->e.val.v6.svc[0];
		else
			cur->val.v4.svc[*cnt] = q->e.val.v4.svc[0];
		(*cnt)++;
	}
	return n;
}

/*
 * Makes map @fd's entries of generation @gen those of @cfg's services of
 * family @v6: an entry that already holds the right value is left alone,
 * the others are written, and the generation's entries that no service
 * needs any more are deleted.
 */
static int sync_family(int fd, const struct canary_config *cfg, bool v6,
		       __u32 gen, bool *shared)
{
	size_t ks = be_key_size(v6), n_new, i;
	size_t gen_off = v6 ? offsetof(struct canary_backend6_key, gen) :
			      offsetof(struct canary_backend_key, gen);
	struct be_pairs pairs = {};
	struct kv_set old = {};
	int err;

	err = collect_pairs(cfg, v6, gen, &pairs);
	if (err)
		goto out;
	qsort_r(pairs.p, pairs.n, sizeof(*pairs.p), pair_cmp, &ks);
	n_new = group_pairs(&pairs, v6, shared);
	err = kv_set_load(&old, fd, ks, gen_off, gen);
	for (i = 0; i < n_new && !err; i++) {
		const struct be_entry *e = &pairs.p[i].e;

		if (!kv_set_same(&old, &e->k, &e->val) &&
		    bpf_map_update_elem(fd, &e->k, &e->val, BPF_ANY))
			err = -errno;
	}
	if (!err)
		err = kv_set_prune(&old);
out:
	free(pairs.p);
	kv_set_free(&old);
	return err;
}

int state_write_backends(struct canary_state *st,
			 const struct canary_config *cfg, __u32 gen,
			 bool *shared)
{
	int err;

	memset(shared, 0, cfg->n_services * sizeof(*shared));
	err = sync_family(st->backend_fd, cfg, false, gen, shared);
	return err ? err : sync_family(st->backend6_fd, cfg, true, gen, shared);
}

/* Marks in @shared (one per service of @cfg) the services of family @v6
 * that share an endpoint with another service port. */
static int shared_family(const struct canary_config *cfg, bool v6, bool *shared)
{
	size_t ks = be_key_size(v6);
	struct be_pairs pairs = {};
	int err;

	err = collect_pairs(cfg, v6, 0, &pairs);
	if (!err) {
		qsort_r(pairs.p, pairs.n, sizeof(*pairs.p), pair_cmp, &ks);
		group_pairs(&pairs, v6, shared);
	}
	free(pairs.p);
	return err;
}

int state_shared_flags(const struct canary_config *cfg, bool *shared)
{
	int err;

	memset(shared, 0, cfg->n_services * sizeof(*shared));
	err = shared_family(cfg, false, shared);
	return err ? err : shared_family(cfg, true, shared);
}

/* Sizes of one family's backend entry parts. */
static size_t be_item_size(bool v6)
{
	return v6 ? sizeof(struct canary_backend6_svc) :
		    sizeof(struct canary_backend_svc);
}

/* The items (services) of entry @val, of family @v6. */
static unsigned char *be_items(void *val, bool v6, __u32 **n)
{
	if (v6) {
		*n = &((struct canary_backend6 *)val)->n;
		return (unsigned char *)((struct canary_backend6 *)val)->svc;
	}
	*n = &((struct canary_backend *)val)->n;
	return (unsigned char *)((struct canary_backend *)val)->svc;
}

/* Whether backend item @it (VIP then port) is one of @svc's ports. */
static bool item_is(const unsigned char *it, bool v6,
		    const struct canary_service_cfg *svc,
		    const struct canary_port_cfg *ports, int np)
{
	size_t alen = v6 ? 16 : 4;
	__be16 port;
	int p;

	if (memcmp(it, v6 ? (const void *)svc->vip.v6 : (const void *)&svc->vip.v4,
		   alen))
		return false;
	memcpy(&port, it + alen, sizeof(port));
	for (p = 0; p < np; p++)
		if (ports[p].port == port)
			return true;
	return false;
}

/* Sets CANARY_SVC_F_SHARED in the live header of the service port that
 * backend item @it (protocol @proto) names, unless it has it. */
static int mark_shared(struct canary_state *st, const unsigned char *it,
		       bool v6, __u8 proto)
{
	struct canary_svc6_key k6 = { .proto = proto };
	struct canary_svc_key k4 = { .proto = proto };
	struct canary_svc_slots e;
	int fd = v6 ? st->svc6_fd : st->svc_fd;
	void *k = v6 ? (void *)&k6 : (void *)&k4;

	if (v6) {
		memcpy(k6.vip, it, 16);
		memcpy(&k6.port, it + 16, 2);
	} else {
		memcpy(&k4.vip, it, 4);
		memcpy(&k4.port, it + 4, 2);
	}
	if (bpf_map_lookup_elem(fd, k, &e) || (e.live.flags & CANARY_SVC_F_SHARED))
		return 0;
	e.live.flags |= CANARY_SVC_F_SHARED;
	return bpf_map_update_elem(fd, k, &e, BPF_ANY) ? -errno : 0;
}

/*
 * Endpoint entry @k (generation @gen) made right for @svc: its items of
 * @svc's ports replaced by those of @want (@n_want pairs with this key,
 * possibly none); the others' stay. Marks *@shared when another service
 * port is there too, and that one's service shared.
 */
static int be_entry_fix(struct canary_state *st, int fd, bool v6,
			const struct be_entry *k,
			const struct canary_service_cfg *svc,
			const struct be_pair *want, size_t n_want, bool *shared)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	size_t is = be_item_size(v6), i, vs = be_val_size(v6);
	union { struct canary_backend v4; struct canary_backend6 v6; } cur, nv;
	unsigned char *ci, *ni;
	__u32 *cn, *nn, j;
	int np = config_ports(svc, ports), err = 0;
	__u8 proto = v6 ? k->k.v6.proto : k->k.v4.proto;

	memset(&cur, 0, sizeof(cur));
	memset(&nv, 0, sizeof(nv));
	bpf_map_lookup_elem(fd, &k->k, &cur); /* none: an empty one */
	ci = be_items(&cur, v6, &cn);
	ni = be_items(&nv, v6, &nn);
	for (j = 0; j < *cn && j < CANARY_BACKEND_SVCS; j++) {
		if (item_is(ci + j * is, v6, svc, ports, np))
			continue;
		memcpy(ni + (*nn)++ * is, ci + j * is, is);
		*shared = true;
		err = err ?: mark_shared(st, ci + j * is, v6, proto);
	}
	for (i = 0; i < n_want; i++) {
		if (*nn == CANARY_BACKEND_SVCS) {
			pr_warn("an endpoint of '%s' serves more than %d service "
				"ports: its replies there are not translated\n",
				svc->name, CANARY_BACKEND_SVCS);
			break;
		}
		memcpy(ni + (*nn)++ * is,
		       v6 ? (const void *)want[i].e.val.v6.svc :
			    (const void *)want[i].e.val.v4.svc, is);
	}
	if (err || !memcmp(&cur, &nv, vs))
		return err;
	if (!*nn)
		return bpf_map_delete_elem(fd, &k->k) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, &k->k, &nv, BPF_ANY) ? -errno : 0;
}

int state_backends_service(struct canary_state *st,
			   const struct canary_service_cfg *old,
			   const struct canary_service_cfg *svc, __u32 gen,
			   bool *shared)
{
	struct canary_config one = { .n_services = 1 };
	bool v6 = config_is_v6(svc);
	size_t ks = be_key_size(v6), i, j;
	struct be_pairs a = {}, b = {};
	int fd = v6 ? st->backend6_fd : st->backend_fd, err;
	bool left = false; /* endpoints it left: not its sharing */

	*shared = false;
	one.svc = (struct canary_service_cfg *)old;
	err = collect_pairs(&one, v6, gen, &a);
	one.svc = (struct canary_service_cfg *)svc;
	if (!err)
		err = collect_pairs(&one, v6, gen, &b);
	if (!err) {
		qsort_r(a.p, a.n, sizeof(*a.p), pair_cmp, &ks);
		qsort_r(b.p, b.n, sizeof(*b.p), pair_cmp, &ks);
	}
	/* Each key of the new pairs, then each old key the new ones lack. */
	for (i = 0; !err && i < b.n; i = j) {
		for (j = i; j < b.n && !memcmp(&b.p[j].e.k, &b.p[i].e.k, ks); j++)
			;
		err = be_entry_fix(st, fd, v6, &b.p[i].e, svc, b.p + i, j - i,
				   shared);
	}
	for (i = 0; !err && i < a.n; i++) {
		if (i && !memcmp(&a.p[i].e.k, &a.p[i - 1].e.k, ks))
			continue;
		if (state_find_rec(b.p, b.n, sizeof(*b.p), ks, &a.p[i].e.k) >= 0)
			continue;
		err = be_entry_fix(st, fd, v6, &a.p[i].e, svc, NULL, 0, &left);
	}
	free(a.p);
	free(b.p);
	return err;
}
