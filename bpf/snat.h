/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Source NAT for endpoints on other nodes (kube-proxy's default for
 * externalTrafficPolicy: Cluster). A client reaches this node, the chosen
 * endpoint lives on another: without help its reply would leave that node
 * straight to the client, from an address the client never talked to. So
 * the flow leaves here from this node's address and a port allocated for
 * it, and the reply, which comes back here, is translated back to
 * VIP:port -> client. Endpoints in this node's pod CIDR need no SNAT.
 *
 * Both families (family.h): ways back in canary_snat or canary_snat6,
 * this node's address and pod CIDR from canary_node_v2's fields of the
 * family. One port range serves both: their ways back are keyed apart.
 */
#ifndef CANARY_BPF_SNAT_H
#define CANARY_BPF_SNAT_H

#include "common.h"
#include "family.h"
#include "flowage.h"
#include "maps.h"
#include "parse.h"

#define SNAT_TRIES 8                 /* ports tried before giving up */

static __always_inline struct canary_node *snat_node(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&canary_node_v2, &zero);
}

/* This node's SNAT address of the family (all zero: none). */
static __always_inline const __be32 *node_addr(const struct canary_node *n,
					       bool is6)
{
	return is6 ? n->address6 : &n->address;
}

/* Whether flow @f of service @svc leaves with this node's address. */
static __always_inline bool snat_wanted(const struct canary_svc *svc,
					const union lb_flow *f,
					const struct canary_node *n, bool is6)
{
	const __be32 *ep = FAM_ADDR(f, is6, ep_addr);
	bool pods;

	if (!n || addr_zero(node_addr(n, is6), is6))
		return false;
	/* An endpoint at this node's own address (a hostNetwork pod) is
	 * answered by this node's stack: its reply to node:port would be
	 * delivered right here, never seen by the program that translates
	 * it back. Unchanged, its reply goes to the client through tc
	 * egress, like a local pod's. */
	if (addr_eq(ep, node_addr(n, is6), is6))
		return false;
	/* Nor to this node's pods, even with snat: always: their replies
	 * to node:port come in through their veths, where no program of
	 * ours runs, and would be delivered to this node's stack. They
	 * reach the client unchanged through tc egress instead. */
	pods = is6 ? n->pod_len6 : n->pod_mask;
	if (pods && (is6 ? addr_in(ep, n->pod_net6, n->pod_mask6, true) :
			   addr_in(ep, &n->pod_net, &n->pod_mask, false)))
		return false;
	if (svc->flags & CANARY_SVC_F_SNAT_ALL)
		return true;
	/* auto: every endpoint outside the pod CIDR, so none without one */
	return (svc->flags & CANARY_SVC_F_SNAT) && pods;
}

/* Into @k: the way back of flow @f of packet @p to its endpoint through
 * this node's @port (the family's member only). */
static __always_inline void snat_key(union lb_snat_key *k, const struct pkt *p,
				     const union lb_flow *f, __be16 port,
				     bool is6)
{
	if (is6) {
		k->v6 = (struct canary_snat6_key){
			.ep_port = f->v6.ep_port,
			.snat_port = port,
			.proto = p->proto,
		};
		addr6_copy(k->v6.ep_addr, f->v6.ep_addr);
		return;
	}
	k->v4 = (struct canary_snat_key){
		.ep_addr = f->v4.ep_addr,
		.ep_port = f->v4.ep_port,
		.snat_port = port,
		.proto = p->proto,
	};
}

/* Into @w: where a reply of packet @p's flow must go back to. */
static __always_inline void snat_way_of(union lb_snat *w, const struct pkt *p,
					bool is6)
{
	if (is6) {
		w->v6.client_port = p->sport;
		w->v6.vport = p->dport;
		addr6_copy(w->v6.client, p->saddr6);
		addr6_copy(w->v6.vip, p->daddr6);
		return;
	}
	w->v4 = (struct canary_snat){
		.client = p->saddr,
		.client_port = p->sport,
		.vip = p->daddr,
		.vport = p->dport,
	};
}

/* Whether way back @old is the one of packet @p's flow. */
static __always_inline bool snat_same_flow(const union lb_snat *old,
					   const struct pkt *p, bool is6)
{
	return addr_eq(FAM_ADDR(old, is6, client), p->saddr6, is6) &&
	       addr_eq(FAM_ADDR(old, is6, vip), p->daddr6, is6) &&
	       FAM_VAL(old, is6, client_port) == p->sport &&
	       FAM_VAL(old, is6, vport) == p->dport;
}

/*
 * Whether the way back @old (for port @port to @f's endpoint) still
 * serves a live flow: its flow entry exists and uses that port. A way
 * back whose flow was evicted or cleared is free to take.
 */
static __always_inline bool snat_in_use(const union lb_snat *old,
					const union lb_flow *f, __be16 port,
					__u8 proto, bool is6)
{
	const union lb_flow *owner;

	owner = lb_flow_find(FAM_ADDR(old, is6, client), FAM_ADDR(old, is6, vip),
			     FAM_VAL(old, is6, client_port),
			     FAM_VAL(old, is6, vport), proto, is6);
	return owner && !flow_expired(owner, proto, flow_now(), is6) &&
	       (FAM_VAL(owner, is6, flags) & CANARY_FLOW_F_SNAT) &&
	       FAM_VAL(owner, is6, snat_port) == port &&
	       addr_eq(FAM_ADDR(owner, is6, ep_addr), FAM_ADDR(f, is6, ep_addr),
		       is6) &&
	       FAM_VAL(owner, is6, ep_port) == FAM_VAL(f, is6, ep_port);
}

/* Takes @port, whose way back is already this flow's, for @f. */
static __always_inline int snat_take(union lb_flow *f, __be16 port, bool is6)
{
	FAM_VAL(f, is6, snat_port) = port;
	FAM_VAL(f, is6, flags) |= CANARY_FLOW_F_SNAT;
	return 0;
}

/*
 * Finds the port among the candidates (@h on, in a range of @range from
 * @n's port_min) whose way back to @f's endpoint is already @p's flow's:
 * a flow that lost its entry (evicted, cleared, aged out) gets that port
 * back even when an earlier candidate has come free since. 0 and @f's
 * port set, or -1.
 */
static __always_inline int snat_find_own(const struct pkt *p, union lb_flow *f,
					 const struct canary_node *n,
					 union lb_snat_key *k, __u32 h,
					 __u32 range, bool is6)
{
	void *snat_map = FAM_MAP(is6, canary_snat, canary_snat6);
	union lb_snat *old;
	__be16 port;
	__u32 i;

	for (i = 0; i < SNAT_TRIES; i++) {
		port = bpf_htons(n->port_min + (h + i) % range);
		FAM_VAL(k, is6, snat_port) = port;
		old = bpf_map_lookup_elem(snat_map, k);
		if (old && snat_same_flow(old, p, is6))
			return snat_take(f, port, is6);
	}
	return -1;
}

/*
 * Claims a source port for new flow @f of packet @p: ports from a hash of
 * the flow on. A packet that may belong to a flow that lost its entry
 * (anything but a SYN) first takes the port whose way back is already
 * this flow's, wherever it is among the candidates (snat_find_own()): it
 * keeps its port, so the connection goes on. Otherwise the first whose
 * way back (endpoint, port) is free, this flow's, or left by a flow that
 * is gone. Returns 0 or -1 (all tried ports in use).
 */
static __always_inline int snat_alloc(const struct pkt *p, union lb_flow *f,
				      const struct canary_node *n, bool is6)
{
	void *snat_map = FAM_MAP(is6, canary_snat, canary_snat6);
	union lb_snat_key k;
	union lb_snat back;
	__u32 range, h, i;

	if (n->port_max < n->port_min)
		return -1;
	snat_key(&k, p, f, 0, is6);
	snat_way_of(&back, p, is6);
	range = n->port_max - n->port_min + 1;
	h = canary_flow_hash(addr_hashed(p->saddr6, is6),
			     addr_hashed(p->daddr6, is6), p->sport, p->dport,
			     p->proto, CANARY_SEED_SNAT);
	/* A SYN opens a new connection: any free port does. */
	if (!lb_is_syn(p) && !snat_find_own(p, f, n, &k, h, range, is6))
		return 0;
	for (i = 0; i < SNAT_TRIES; i++) {
		union lb_snat *old;
		__be16 port = bpf_htons(n->port_min + (h + i) % range);

		FAM_VAL(&k, is6, snat_port) = port;
		old = bpf_map_lookup_elem(snat_map, &k);
		if (old && !snat_same_flow(old, p, is6) &&
		    snat_in_use(old, f, port, p->proto, is6))
			continue;
		/* A port no way back held is claimed only if still free:
		 * another CPU placing a flow to the same endpoint may have
		 * taken it since the lookup, and overwriting its way back
		 * would give both flows one port. */
		if (bpf_map_update_elem(snat_map, &k, &back,
					old ? BPF_EXIST : BPF_NOEXIST))
			continue;
		return snat_take(f, port, is6);
	}
	return -1;
}

/*
 * Keeps the way back of SNATed flow @f (packet @p) in canary_snat(6) on
 * each of its forward packets: that LRU map, full of ways back of
 * finished flows, may have evicted it while the flow lived, and then the
 * flow's replies are lost and its port looks free to snat_alloc() for the
 * next flow to the same endpoint, which the endpoint would then see as
 * one with this. The lookup marks it used, so the LRU evicts those of
 * finished flows first; one evicted all the same is put back. Returns 0,
 * or -1 when another flow holds the port now (the packet must not be
 * mixed into that flow). Only SNATed flows pay the lookup.
 */
static __always_inline int snat_keep(const struct pkt *p,
				     const union lb_flow *f, bool is6)
{
	void *snat_map = FAM_MAP(is6, canary_snat, canary_snat6);
	union lb_snat_key k;
	union lb_snat back;
	union lb_snat *old;

	snat_key(&k, p, f, FAM_VAL(f, is6, snat_port), is6);
	old = bpf_map_lookup_elem(snat_map, &k);
	if (old)
		return snat_same_flow(old, p, is6) ? 0 : -1;
	snat_way_of(&back, p, is6);
	/* BPF_NOEXIST: if the way back appeared since the lookup, whoever
	 * put it there keeps it; go on only if that was this flow (its
	 * packet on another CPU). */
	if (!bpf_map_update_elem(snat_map, &k, &back, BPF_NOEXIST))
		return 0;
	old = bpf_map_lookup_elem(snat_map, &k);
	return old && snat_same_flow(old, p, is6) ? 0 : -1;
}

/* The way back for what endpoint @ep:@ep_port sends to this node's
 * @snat_port, or NULL. */
static __always_inline union lb_snat *snat_lookup(const __be32 *ep,
						  __be16 ep_port,
						  __be16 snat_port, __u8 proto,
						  bool is6)
{
	if (is6) {
		struct canary_snat6_key k = {
			.ep_port = ep_port,
			.snat_port = snat_port,
			.proto = proto,
		};

		addr6_copy(k.ep_addr, ep);
		return bpf_map_lookup_elem(&canary_snat6, &k);
	}
	struct canary_snat_key k = {
		.ep_addr = ep[0],
		.ep_port = ep_port,
		.snat_port = snat_port,
		.proto = proto,
	};

	return bpf_map_lookup_elem(&canary_snat, &k);
}

/* The way back for a reply @p addressed to this node, or NULL. */
static __always_inline union lb_snat *snat_back(const struct pkt *p,
						const struct canary_node *n,
						bool is6)
{
	if (!n || addr_zero(node_addr(n, is6), is6) ||
	    !addr_eq(p->daddr6, node_addr(n, is6), is6))
		return NULL;
	return snat_lookup(p->saddr6, p->sport, p->dport, p->proto, is6);
}

#endif /* CANARY_BPF_SNAT_H */
