/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Source NAT for endpoints on other nodes (kube-proxy's default for
 * externalTrafficPolicy: Cluster). A client reaches this node, the chosen
 * endpoint lives on another: without help its reply would leave that node
 * straight to the client, from an address the client never talked to. So
 * the flow leaves here from this node's address and a port allocated for
 * it, and the reply, which comes back here, is translated back to
 * VIP:port -> client. Endpoints in this node's pod CIDR need no SNAT.
 */
#ifndef CANARY_BPF_SNAT_H
#define CANARY_BPF_SNAT_H

#include "maps.h"
#include "parse.h"

#define CANARY_SEED_SNAT 0x534e4154u /* the first SNAT port tried */
#define SNAT_TRIES 8                 /* ports tried before giving up */

static __always_inline struct canary_node *snat_node(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&canary_node_v2, &zero);
}

/* Whether flow @f of service @svc leaves with this node's address. */
static __always_inline bool snat_wanted(const struct canary_svc *svc,
					const struct canary_flow *f,
					const struct canary_node *n)
{
	if (!n || !n->address)
		return false;
	/* An endpoint at this node's own address (a hostNetwork pod) is
	 * answered by this node's stack: its reply to node:port would be
	 * delivered right here, never seen by the program that translates
	 * it back. Unchanged, its reply goes to the client through tc
	 * egress, like a local pod's. */
	if (f->ep_addr == n->address)
		return false;
	/* Nor to this node's pods, even with snat: always: their replies
	 * to node:port come in through their veths, where no program of
	 * ours runs, and would be delivered to this node's stack. They
	 * reach the client unchanged through tc egress instead. */
	if (n->pod_mask && (f->ep_addr & n->pod_mask) == n->pod_net)
		return false;
	if (svc->flags & CANARY_SVC_F_SNAT_ALL)
		return true;
	/* auto: every endpoint outside the pod CIDR, so none without one */
	return (svc->flags & CANARY_SVC_F_SNAT) && n->pod_mask;
}

/* The way back of flow @f to its endpoint through this node's @port. */
static __always_inline struct canary_snat_key snat_key(const struct pkt *p,
							const struct canary_flow *f,
							__be16 port)
{
	return (struct canary_snat_key){
		.ep_addr = f->ep_addr,
		.ep_port = f->ep_port,
		.snat_port = port,
		.proto = p->proto,
	};
}

/* Where a reply of packet @p's flow must go back to. */
static __always_inline struct canary_snat snat_way_of(const struct pkt *p)
{
	return (struct canary_snat){
		.client = p->saddr,
		.client_port = p->sport,
		.vip = p->daddr,
		.vport = p->dport,
	};
}

/* Whether way back @old is the one of packet @p's flow. */
static __always_inline bool snat_same_flow(const struct canary_snat *old,
					   const struct pkt *p)
{
	return old->client == p->saddr && old->vip == p->daddr &&
	       old->client_port == p->sport && old->vport == p->dport;
}

/*
 * Whether the way back @old (for port @port to @f's endpoint) still
 * serves a live flow: its flow entry exists and uses that port. A way
 * back whose flow was evicted or cleared is free to take.
 */
static __always_inline bool snat_in_use(const struct canary_snat *old,
					const struct canary_flow *f,
					__be16 port, __u8 proto)
{
	struct canary_flow_key fk = {
		.saddr = old->client,
		.daddr = old->vip,
		.sport = old->client_port,
		.dport = old->vport,
		.proto = proto,
	};
	struct canary_flow *owner = bpf_map_lookup_elem(&canary_flow, &fk);

	return owner && (owner->flags & CANARY_FLOW_F_SNAT) &&
	       owner->snat_port == port && owner->ep_addr == f->ep_addr &&
	       owner->ep_port == f->ep_port;
}

/*
 * Claims a source port for new flow @f of packet @p: ports from a hash of
 * the flow on, the first whose way back (endpoint, port) is free, already
 * this flow's (its entry was evicted or cleared: it keeps its port, so the
 * connection goes on), or left by a flow that is gone. Returns 0 or -1
 * (all tried ports in use).
 */
static __always_inline int snat_alloc(const struct pkt *p,
				      struct canary_flow *f,
				      const struct canary_node *n)
{
	struct canary_snat_key k = snat_key(p, f, 0);
	struct canary_snat back = snat_way_of(p);
	__u32 range, h, i;

	if (n->port_max < n->port_min)
		return -1;
	range = n->port_max - n->port_min + 1;
	h = canary_flow_hash(p->saddr, p->daddr, p->sport, p->dport, p->proto,
			     CANARY_SEED_SNAT);
	for (i = 0; i < SNAT_TRIES; i++) {
		struct canary_snat *old;

		k.snat_port = bpf_htons(n->port_min + (h + i) % range);
		old = bpf_map_lookup_elem(&canary_snat, &k);
		if (old && !snat_same_flow(old, p) &&
		    snat_in_use(old, f, k.snat_port, p->proto))
			continue;
		/* A port no way back held is claimed only if still free:
		 * another CPU placing a flow to the same endpoint may have
		 * taken it since the lookup, and overwriting its way back
		 * would give both flows one port. */
		if (bpf_map_update_elem(&canary_snat, &k, &back,
					old ? BPF_EXIST : BPF_NOEXIST))
			continue;
		f->snat_port = k.snat_port;
		f->flags |= CANARY_FLOW_F_SNAT;
		return 0;
	}
	return -1;
}

/*
 * Keeps the way back of SNATed flow @f (packet @p) in canary_snat: that
 * LRU map, full of ways back of finished flows, may have evicted it
 * while the flow lived, and then the flow's replies are lost and its
 * port looks free to the next flow to the same endpoint. Put back if
 * missing; 0, or -1 when another flow holds the port now (the packet
 * must not be mixed into that flow). Only SNATed flows pay the lookup.
 */
static __always_inline int snat_keep(const struct pkt *p,
				     const struct canary_flow *f)
{
	struct canary_snat_key k = snat_key(p, f, f->snat_port);
	struct canary_snat back = snat_way_of(p);
	struct canary_snat *old = bpf_map_lookup_elem(&canary_snat, &k);

	if (old)
		return snat_same_flow(old, p) ? 0 : -1;
	/* BPF_NOEXIST: if the way back appeared since the lookup, whoever
	 * put it there keeps it; go on only if that was this flow. */
	if (!bpf_map_update_elem(&canary_snat, &k, &back, BPF_NOEXIST))
		return 0;
	old = bpf_map_lookup_elem(&canary_snat, &k);
	return old && snat_same_flow(old, p) ? 0 : -1;
}

/* The way back for what endpoint @ep:@ep_port sends to this node's
 * @snat_port, or NULL. */
static __always_inline struct canary_snat *snat_lookup(__be32 ep, __be16 ep_port,
						       __be16 snat_port,
						       __u8 proto)
{
	struct canary_snat_key k = {
		.ep_addr = ep,
		.ep_port = ep_port,
		.snat_port = snat_port,
		.proto = proto,
	};

	return bpf_map_lookup_elem(&canary_snat, &k);
}

/* The way back for a reply @p addressed to this node, or NULL. */
static __always_inline struct canary_snat *snat_back(const struct pkt *p,
						     const struct canary_node *n)
{
	if (!n || !n->address || p->daddr != n->address)
		return NULL;
	return snat_lookup(p->saddr, p->sport, p->dport, p->proto);
}

#endif /* CANARY_BPF_SNAT_H */
