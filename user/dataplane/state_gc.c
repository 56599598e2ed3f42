// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * After a change is live: dropping the flow entries whose endpoint (or
 * service) the new config removed. After a transaction was killed:
 * sweeping the config entries of service ids no service has.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "util/log.h"
#include "dataplane/state_int.h"

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

/* Whether flow @r still has its service and endpoint; with @scoped, a
 * flow of a service port not in @idx (another service's) is kept. */
static bool flow_still_valid(const struct flow_ref *r,
			     const struct svc_port *idx, size_t n, bool scoped)
{
	struct svc_port probe = { .vip = r->vip, .port = r->dport,
				  .proto = r->proto };
	const struct svc_port *hit = bsearch(&probe, idx, n, sizeof(*idx),
					     svc_port_cmp);
	const struct canary_service_cfg *svc;
	const struct canary_ep_cfg *ep;
	int v, e;

	if (!hit)
		return scoped;
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

/* A flow table of one family: canary_flow_v3 or canary_flow6_v3. */
struct flow_map {
	int fd;
	size_t key_size;   /* struct canary_flow_key or canary_flow6_key */
	void (*ref)(const void *key, const void *val, struct flow_ref *r);
};

/* The keys in @fm of flows no longer valid under @idx, in *@dead
 * (malloc'd, @key_size each); returns how many, or -ENOMEM. */
static long dead_flows(struct canary_state *st, const struct flow_map *fm,
		       const struct svc_port *idx, size_t n_idx, bool scoped,
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
		if (flow_still_valid(&r, idx, n_idx, scoped))
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
			const struct svc_port *idx, size_t n_idx, bool scoped)
{
	unsigned char *dead;
	long n_dead = dead_flows(st, fm, idx, n_idx, scoped, &dead), i, n = 0;

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
static int gc_flows(struct canary_state *st, const struct canary_config *cfg,
		    bool scoped)
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
		n = gc_flow_map(st, &maps[i], idx, n_idx, scoped);
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

int state_gc_flows(struct canary_state *st, const struct canary_config *cfg)
{
	return gc_flows(st, cfg, false);
}

int state_gc_flows_of(struct canary_state *st, const struct canary_config *cfg)
{
	return gc_flows(st, cfg, true);
}

/* Marks in @live the ids of map @fd's service entries (keys of @ks
 * bytes, the reserved zero byte at @zero_off). */
static int mark_live(int fd, size_t ks, size_t zero_off, bool *live)
{
	struct canary_svc_slots *vals;
	size_t n, i;
	void *keys;
	int err;

	err = state_gen_entries(fd, ks, zero_off, 0, &keys, (void **)&vals, &n);
	for (i = 0; !err && i < n; i++)
		if (vals[i].live.id < CANARY_MAX_SERVICES)
			live[vals[i].live.id] = true;
	if (!err) {
		free(keys);
		free(vals);
	}
	return err;
}

/* How a config map's keys name their service. */
enum key_kind {
	KEY_ID,    /* canary_ver_key, canary_ring_key: the id first */
	KEY_SCOPE, /* the pins: the id in the scope */
	KEY_META,  /* canary_meta_v3: slot * MAX_SERVICES + id */
};

static __u32 key_id(const unsigned char *k, enum key_kind kind)
{
	__u32 v;

	if (kind == KEY_SCOPE) {
		memcpy(&v, k + offsetof(struct canary_pin_key, scope), sizeof(v));
		return ntohl(v) / CANARY_GENERATIONS;
	}
	memcpy(&v, k, sizeof(v));
	return kind == KEY_META ? v % CANARY_MAX_SERVICES : v;
}

/* Deletes the entries of config map @fd (keys of @ks bytes) whose service
 * id is not @live; returns how many, or -errno. A deletion restarts the
 * walk (a trie, or a hash whose bucket emptied, may lose its place). */
static long sweep_map(int fd, size_t ks, enum key_kind kind, const bool *live)
{
	unsigned char key[sizeof(struct canary_pin6_key)], next[sizeof(key)];
	unsigned char *prev = NULL;
	__u32 id;
	long n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ks);
		prev = key;
		id = key_id(key, kind);
		if (id < CANARY_MAX_SERVICES && live[id])
			continue;
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return -errno;
		n++;
		prev = NULL;
	}
	return n;
}

int state_sweep(struct canary_state *st)
{
	bool *live = calloc(CANARY_MAX_SERVICES, sizeof(*live));
	const struct { int fd; size_t ks; enum key_kind kind; } maps[] = {
		{ st->ver_fd, sizeof(struct canary_ver_key), KEY_ID },
		{ st->ver6_fd, sizeof(struct canary_ver_key), KEY_ID },
		{ st->ring_fd, sizeof(struct canary_ring_key), KEY_ID },
		{ st->pins_fd, sizeof(struct canary_pin_key), KEY_SCOPE },
		{ st->pins6_fd, sizeof(struct canary_pin6_key), KEY_SCOPE },
		{ st->meta_fd, sizeof(__u32), KEY_META },
	};
	long n, total = 0;
	size_t i;
	int err;

	if (!live)
		return -ENOMEM;
	err = mark_live(st->svc_fd, sizeof(struct canary_svc_key),
			offsetof(struct canary_svc_key, reserved), live);
	if (!err)
		err = mark_live(st->svc6_fd, sizeof(struct canary_svc6_key),
				offsetof(struct canary_svc6_key, reserved), live);
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]) && !err; i++) {
		n = sweep_map(maps[i].fd, maps[i].ks, maps[i].kind, live);
		err = n < 0 ? (int)n : 0;
		total += n > 0 ? n : 0;
	}
	if (!err && total)
		pr_info("swept %ld config entries an interrupted change left\n",
			total);
	free(live);
	return err;
}
