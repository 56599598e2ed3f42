/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service lookup and endpoint selection for IPv6: the twins of lb.h's
 * lb_service/lb_pinned/lb_version/lb_pick/lb_flow/lb_place over the IPv6 maps
 * (cilium keeps lb4_ and lb6_ twins the same way, so IPv4 keys and
 * hashing stay small). What does not depend on the address family is
 * shared with lb.h: the version pick, the Maglev ring, the grace rule and
 * the counters. Source NAT is snat6.h's.
 */
#ifndef CANARY_BPF_LB6_H
#define CANARY_BPF_LB6_H

#include "lb.h"
#include "snat6.h"

static __always_inline struct canary_svc *lb6_service(const struct pkt *p,
						      __u32 gen)
{
	struct canary_svc6_key key = {
		.port = p->dport,
		.proto = p->proto,
		.gen = gen,
	};

	addr6_copy(key.vip, p->daddr6);
	return bpf_map_lookup_elem(&canary_svc6, &key);
}

static __always_inline __u32 lb6_pinned(const struct pkt *p,
					const struct canary_svc *svc,
					__u32 gen, __u8 *index)
{
	struct canary_pin6_key k = {
		.prefixlen = 32 + 128,
		.scope = bpf_htonl(svc->id * CANARY_GENERATIONS + gen),
	};
	struct canary_pin *pin;

	if (!(svc->flags & CANARY_SVC_F_PINS) || p->sock)
		return CANARY_MAX_VERSIONS;
	addr6_copy(k.addr, p->saddr6);
	pin = bpf_map_lookup_elem(&canary_pins6, &k);
	if (!pin)
		return CANARY_MAX_VERSIONS;
	*index = pin->index;
	return pin->version;
}

static __always_inline struct canary_ver6 *lb6_version(__u32 svc_id, __u32 v,
						       __u32 gen)
{
	struct canary_ver_key vk = { .svc_id = svc_id, .version = v,
				     .gen = gen };
	struct canary_ver6 *ver;

	if (v >= CANARY_MAX_VERSIONS)
		return NULL;
	ver = bpf_map_lookup_elem(&canary_ver6, &vk);
	return ver && ver->n_active ? ver : NULL;
}

/* lb_pick() for IPv6: the addresses enter the hashes folded. */
static __always_inline int lb6_pick_at(const struct pkt *p,
				       const struct canary_svc *svc, __u32 gen,
				       struct canary_flow6 *out, struct lb_slot *at)
{
	__be32 saddr = canary_addr6_fold(p->saddr6);
	__be32 daddr = canary_addr6_fold(p->daddr6);
	__be16 sport = p->sport, dport = p->dport;
	struct canary_ver6 *ver = NULL;
	__u8 pin_index = 0;
	__u32 h, v, idx;

	if (svc->flags & CANARY_SVC_F_AFFINITY)
		sport = dport = 0;
	v = lb6_pinned(p, svc, gen, &pin_index);
	if (v < CANARY_MAX_VERSIONS)
		ver = lb6_version(svc->id, v, gen);
	if (ver) {
		lb_count_pin(svc->id, pin_index);
	} else {
		h = canary_flow_hash(saddr, daddr, sport, dport, p->proto,
				     CANARY_SEED_VERSION);
		v = canary_pick_version(h, svc->cum_bps, svc->n_versions);
		ver = lb6_version(svc->id, v, gen);
		if (!ver)
			return LB_NO_ENDPOINT;
	}
	at->hash = canary_flow_hash(saddr, daddr, sport, dport, p->proto,
				    CANARY_SEED_ENDPOINT);
	idx = lb_ring_index(svc->id, v, gen, ver->ring_size, ver->n_endpoints,
			    at->hash);
	if (idx >= CANARY_MAX_ENDPOINTS)
		return LB_NO_ENDPOINT;
	addr6_copy(out->ep_addr, ver->ep[idx].addr);
	out->ep_port = svc->target_port ? svc->target_port : ver->ep[idx].port;
	out->version = v;
	out->svc_id = svc->id;
	at->idx = idx;
	return LB_FLOW_NEW;
}

static __always_inline int lb6_pick(const struct pkt *p,
				    const struct canary_svc *svc, __u32 gen,
				    struct canary_flow6 *out)
{
	struct lb_slot at;

	return lb6_pick_at(p, svc, gen, out, &at);
}

static __always_inline bool lb6_endpoint_exists(const struct pkt *p,
						const struct canary_flow6 *f,
						__u32 gen)
{
	struct canary_backend6_key bk = {
		.port = f->ep_port,
		.proto = p->proto,
		.gen = gen,
	};

	addr6_copy(bk.addr, f->ep_addr);
	return bpf_map_lookup_elem(&canary_backend6, &bk) != NULL;
}

static __always_inline void lb6_flow_key(const struct pkt *p,
					 struct canary_flow6_key *fk)
{
	addr6_copy(fk->saddr, p->saddr6);
	addr6_copy(fk->daddr, p->daddr6);
	fk->sport = p->sport;
	fk->dport = p->dport;
	fk->proto = p->proto;
}

/* lb_backend_flow() for IPv6. */
static __always_inline const struct canary_backend6_svc *
lb6_backend_flow(const struct canary_backend6 *be, const __be32 *client,
		 __be16 cport, __u8 proto, const __be32 *ep, __be16 ep_port,
		 const __be32 *skip_vip, __be16 skip_port)
{
	struct canary_flow6_key fk = {
		.sport = cport,
		.proto = proto,
	};
	struct canary_flow6 *f;
	int i;

	addr6_copy(fk.saddr, client);
	for (i = 0; i < CANARY_BACKEND_SVCS; i++) {
		if (i >= be->n)
			break;
		if (skip_vip && addr6_eq(be->svc[i].vip, skip_vip) &&
		    be->svc[i].port == skip_port)
			continue;
		addr6_copy(fk.daddr, be->svc[i].vip);
		fk.dport = be->svc[i].port;
		f = bpf_map_lookup_elem(&canary_flow6_v2, &fk);
		if (f && !(f->flags & CANARY_FLOW_F_SNAT) &&
		    addr6_eq(f->ep_addr, ep) && f->ep_port == ep_port)
			return &be->svc[i];
	}
	return NULL;
}

/* lb_clashes() for IPv6. */
static __always_inline bool lb6_clashes(const struct pkt *p,
					const struct canary_flow6 *f,
					__u32 gen, bool *known)
{
	struct canary_backend6_key bk = {
		.port = f->ep_port,
		.proto = p->proto,
		.gen = gen,
	};
	struct canary_backend6 *be;

	addr6_copy(bk.addr, f->ep_addr);
	be = bpf_map_lookup_elem(&canary_backend6, &bk);
	*known = be != NULL;
	return be && lb6_backend_flow(be, p->saddr6, p->sport, p->proto,
				      f->ep_addr, f->ep_port, p->daddr6,
				      p->dport);
}

/* lb_avoid_clash() for IPv6. */
static __always_inline void lb6_avoid_clash(const struct pkt *p,
					    const struct canary_svc *svc,
					    const struct canary_svc *psvc,
					    __u32 pgen, __u32 gen,
					    const struct canary_node *node,
					    const struct lb_slot *at,
					    struct canary_flow6 *out)
{
	struct canary_flow6 c = *out;
	struct canary_ver6 *ver;
	bool known;
	__u32 k, j;

	if (!(svc->flags & CANARY_SVC_F_SHARED) || snat6_wanted(svc, out, node) ||
	    !lb6_clashes(p, out, gen, &known))
		return;
	ver = lb6_version(out->svc_id, out->version, pgen);
	if (!ver)
		return;
	for (k = 1; k <= CANARY_CLASH_TRIES; k++) {
		j = lb_ring_index(out->svc_id, out->version, pgen,
				  ver->ring_size, ver->n_endpoints, at->hash + k);
		if (j < CANARY_MAX_ENDPOINTS && j != at->idx)
			break;
	}
	if (k > CANARY_CLASH_TRIES)
		return;
	asm volatile("%0 &= %1" : "+r"(j) : "i"(CANARY_MAX_ENDPOINTS - 1));
	addr6_copy(c.ep_addr, ver->ep[j].addr);
	c.ep_port = psvc->target_port ? psvc->target_port : ver->ep[j].port;
	if (snat6_wanted(svc, &c, node) ||
	    (!lb6_clashes(p, &c, gen, &known) && known))
		*out = c;
}

/* lb_flow() for IPv6. */
static __always_inline bool lb6_flow(const struct pkt *p,
				     struct canary_flow6 *out)
{
	struct canary_flow6_key fk = {};
	struct canary_flow6 *f;

	lb6_flow_key(p, &fk);
	f = bpf_map_lookup_elem(&canary_flow6_v2, &fk);
	if (!f)
		return false;
	*out = *f;
	return true;
}

/* lb_place() for IPv6. */
static __always_inline int lb6_place(const struct pkt *p,
				     const struct canary_svc *svc, __u32 gen,
				     const struct canary_genstate *gs,
				     const struct canary_node *node,
				     struct canary_global *g,
				     struct canary_flow6 *out)
{
	const struct canary_svc *psvc = svc;
	struct canary_flow6_key fk = {};
	struct canary_svc *prev_svc;
	int ret = LB_NO_ENDPOINT;
	struct lb_slot at = {};
	__u32 pgen = gen;

	lb6_flow_key(p, &fk);
	if (lb_use_prev(p, gs, gen)) {
		prev_svc = lb6_service(p, gen_of(gs->prev));
		if (prev_svc) {
			ret = lb6_pick_at(p, prev_svc, gen_of(gs->prev), out,
					  &at);
			psvc = prev_svc;
			pgen = gen_of(gs->prev);
		}
		if (ret == LB_FLOW_NEW && !lb6_endpoint_exists(p, out, gen))
			ret = LB_NO_ENDPOINT;
		if (ret == LB_FLOW_NEW)
			GLOBAL_INC(g, grace);
	}
	if (ret != LB_FLOW_NEW) {
		psvc = svc;
		pgen = gen;
		ret = lb6_pick_at(p, svc, gen, out, &at);
	}
	if (ret != LB_FLOW_NEW)
		return ret;
	lb6_avoid_clash(p, svc, psvc, pgen, gen, node, &at, out);
	if (snat6_wanted(svc, out, node) && snat6_alloc(p, out, node)) {
		GLOBAL_INC(g, snat_full);
		return LB_NO_ENDPOINT;
	}
	if (out->flags & CANARY_FLOW_F_SNAT)
		GLOBAL_INC(g, snat);
	if (bpf_map_update_elem(&canary_flow6_v2, &fk, out, BPF_ANY))
		return LB_ERROR;
	GLOBAL_INC(g, flow_inserts);
	return LB_FLOW_NEW;
}

#endif /* CANARY_BPF_LB6_H */
