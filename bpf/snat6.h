/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Source NAT for IPv6 flows: snat.h's twin over canary_snat6 and the
 * IPv6 fields of canary_node_v2. The same decision (snat: auto for
 * endpoints outside this node's IPv6 pod CIDR, always for every flow),
 * the same port range and the same allocation: ports from a hash of the
 * flow on, the first whose way back is free, this flow's own, or left by
 * a flow that is gone.
 */
#ifndef CANARY_BPF_SNAT6_H
#define CANARY_BPF_SNAT6_H

#include "snat.h"

static __always_inline bool addr6_zero(const __be32 *a)
{
	return (a[0] | a[1] | a[2] | a[3]) == 0;
}

/* Whether @a is in the network @net/@mask. */
static __always_inline bool addr6_in(const __be32 *a, const __be32 *net,
				     const __be32 *mask)
{
	return (((a[0] & mask[0]) ^ net[0]) | ((a[1] & mask[1]) ^ net[1]) |
		((a[2] & mask[2]) ^ net[2]) | ((a[3] & mask[3]) ^ net[3])) == 0;
}

/* snat_wanted() for IPv6: needs this node's IPv6 address. */
static __always_inline bool snat6_wanted(const struct canary_svc *svc,
					 const struct canary_flow6 *f,
					 const struct canary_node *n)
{
	if (!n || addr6_zero(n->address6))
		return false;
	/* Not to this node itself (see snat_wanted()). */
	if (addr6_eq(f->ep_addr, n->address6))
		return false;
	/* Nor to this node's pods (see snat_wanted()). */
	if (n->pod_len6 && addr6_in(f->ep_addr, n->pod_net6, n->pod_mask6))
		return false;
	if (svc->flags & CANARY_SVC_F_SNAT_ALL)
		return true;
	return (svc->flags & CANARY_SVC_F_SNAT) && n->pod_len6;
}

/* snat_in_use() for IPv6: the way back @old still serves a live flow. */
static __always_inline bool snat6_in_use(const struct canary_snat6 *old,
					 const struct canary_flow6 *f,
					 __be16 port, __u8 proto)
{
	struct canary_flow6_key fk = {
		.sport = old->client_port,
		.dport = old->vport,
		.proto = proto,
	};
	struct canary_flow6 *owner;

	addr6_copy(fk.saddr, old->client);
	addr6_copy(fk.daddr, old->vip);
	owner = bpf_map_lookup_elem(&canary_flow6_v2, &fk);
	return owner && (owner->flags & CANARY_FLOW_F_SNAT) &&
	       owner->snat_port == port && addr6_eq(owner->ep_addr, f->ep_addr) &&
	       owner->ep_port == f->ep_port;
}

/* Whether way back @old is the one of packet @p's flow. */
static __always_inline bool snat6_same_flow(const struct canary_snat6 *old,
					    const struct pkt *p)
{
	return addr6_eq(old->client, p->saddr6) && addr6_eq(old->vip, p->daddr6) &&
	       old->client_port == p->sport && old->vport == p->dport;
}

/* snat_alloc() for IPv6: claims a source port for new flow @f of @p.
 * Returns 0 or -1 (all tried ports in use). */
static __always_inline int snat6_alloc(const struct pkt *p,
				       struct canary_flow6 *f,
				       const struct canary_node *n)
{
	struct canary_snat6_key k = {
		.ep_port = f->ep_port,
		.proto = p->proto,
	};
	struct canary_snat6 back = {
		.client_port = p->sport,
		.vport = p->dport,
	};
	__u32 range, h, i;

	if (n->port_max < n->port_min)
		return -1;
	addr6_copy(k.ep_addr, f->ep_addr);
	addr6_copy(back.client, p->saddr6);
	addr6_copy(back.vip, p->daddr6);
	range = n->port_max - n->port_min + 1;
	h = canary_flow_hash(canary_addr6_fold(p->saddr6),
			     canary_addr6_fold(p->daddr6), p->sport, p->dport,
			     p->proto, CANARY_SEED_SNAT);
	for (i = 0; i < SNAT_TRIES; i++) {
		struct canary_snat6 *old;

		k.snat_port = bpf_htons(n->port_min + (h + i) % range);
		old = bpf_map_lookup_elem(&canary_snat6, &k);
		if (old && !snat6_same_flow(old, p) &&
		    snat6_in_use(old, f, k.snat_port, p->proto))
			continue;
		/* A port no way back held is claimed only if still free:
		 * another CPU placing a flow to the same endpoint may have
		 * taken it since the lookup, and overwriting its way back
		 * would give both flows one port. */
		if (bpf_map_update_elem(&canary_snat6, &k, &back,
					old ? BPF_EXIST : BPF_NOEXIST))
			continue;
		f->snat_port = k.snat_port;
		f->flags |= CANARY_FLOW_F_SNAT;
		return 0;
	}
	return -1;
}

/*
 * Keeps the way back of SNATed flow @f (of packet @p) on each of its
 * forward packets. The lookup marks it used, so canary_snat6's LRU, full
 * of ways back that outlived their flows, evicts those first; one evicted
 * all the same is put back. Without this, an evicted way back lost the
 * flow's replies, and its port looked free to snat6_alloc(): the next new
 * flow to that endpoint took it, and the endpoint saw two flows as one
 * (node:port -> endpoint). Returns 0, or -1 when another flow holds the
 * port now: this flow's packets must not be mixed into that one.
 */
static __always_inline int snat6_keep(const struct pkt *p,
				      const struct canary_flow6 *f)
{
	struct canary_snat6_key k = {
		.ep_port = f->ep_port,
		.snat_port = f->snat_port,
		.proto = p->proto,
	};
	struct canary_snat6 back = {
		.client_port = p->sport,
		.vport = p->dport,
	};
	struct canary_snat6 *old;

	addr6_copy(k.ep_addr, f->ep_addr);
	old = bpf_map_lookup_elem(&canary_snat6, &k);
	if (old)
		return snat6_same_flow(old, p) ? 0 : -1;
	addr6_copy(back.client, p->saddr6);
	addr6_copy(back.vip, p->daddr6);
	/* BPF_NOEXIST: if the way back appeared since the lookup, whoever
	 * put it there keeps it; go on only if that was this flow (its
	 * packet on another CPU). */
	if (!bpf_map_update_elem(&canary_snat6, &k, &back, BPF_NOEXIST))
		return 0;
	old = bpf_map_lookup_elem(&canary_snat6, &k);
	return old && snat6_same_flow(old, p) ? 0 : -1;
}

/* snat_lookup() for IPv6: the way back for what endpoint @ep:@ep_port
 * sends to this node's @snat_port, or NULL. */
static __always_inline struct canary_snat6 *
snat6_lookup(const __be32 *ep, __be16 ep_port, __be16 snat_port, __u8 proto)
{
	struct canary_snat6_key k = {
		.ep_port = ep_port,
		.snat_port = snat_port,
		.proto = proto,
	};

	addr6_copy(k.ep_addr, ep);
	return bpf_map_lookup_elem(&canary_snat6, &k);
}

/* The way back for a reply @p addressed to this node, or NULL. */
static __always_inline struct canary_snat6 *snat6_back(const struct pkt *p,
						       const struct canary_node *n)
{
	if (!n || addr6_zero(n->address6) || !addr6_eq(p->daddr6, n->address6))
		return NULL;
	return snat6_lookup(p->saddr6, p->sport, p->dport, p->proto);
}

#endif /* CANARY_BPF_SNAT6_H */
