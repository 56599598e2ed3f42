// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * canary-bpf data plane.
 *
 *   canary_xdp     XDP ingress on a node interface: packets to a service
 *                  VIP:port are rewritten to the endpoint their flow maps to.
 *   canary_tc_in   the same on tc ingress (attach --mode tc).
 *   canary_tc_fwd  tc ingress next to canary_xdp: forwards what XDP
 *                  translated but could not send itself.
 *   canary_tc_out  tc egress on the same interface: replies from endpoints
 *                  get the VIP:port back as their source.
 */
#include "common.h"
#include "ctx.h"
#include "parse.h"
#include "csum.h"
#include "maps.h"
#include "family.h"
#include "lb.h"
#include "snat.h"
#include "icmp.h"
#include "icmp6.h"
#include "sock.h"
#include "fib.h"
#include "fwd.h"

#define IPV6_FLOWINFO_MASK bpf_htonl(0x0FFFFFFF)
#define TC_ACT_UNSPEC (-1) /* tcx: next program, or the kernel's default */
#define TC_ACT_SHOT 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ip_decrease_ttl() of the kernel: TTL down by one, checksum adjusted. */
static __always_inline void ip_decrease_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__u16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

/*
 * The bridge port to send to when the FIB resolved @a->ifindex to a
 * bridge: the port that user space found @a->dmac behind (canary_port),
 * or 0.
 */
static __always_inline __u32 bridge_port(const struct fib_answer *a)
{
	struct canary_port_key k = { .ifindex = a->ifindex };
	struct canary_port *port;

	__builtin_memcpy(k.mac, a->dmac, ETH_ALEN);
	port = bpf_map_lookup_elem(&canary_port, &k);
	return port ? port->ifindex : 0;
}

/*
 * Sends a translated frame on by itself when the kernel's FIB knows the
 * next hop (@q, filled in by the caller for its family) and the egress
 * device was listed as taking XDP frames (attach --redirect-dev, the
 * ingress device itself included), or is a bridge whose port for the
 * next hop's MAC is listed (attach --bridge); otherwise leaves it to the
 * kernel's forwarding path (XDP_PASS), which resolves neighbours, runs
 * netfilter and handles VLAN devices. @hop points at the TTL / hop limit,
 * which goes down by one (with the IPv4 checksum if @iph). A frame passed
 * for want of a device that takes XDP frames leaves canary_tc_fwd a note
 * (bpf/fwd.h) when @dport is not 0: the frame's ports are @sport -> @dport.
 */
static __always_inline enum verdict xdp_fib_send(struct xdp_md *ctx,
						 struct fib_question *q,
						 struct iphdr *iph, __u8 *hop,
						 __be16 sport, __be16 dport,
						 struct canary_global *g)
{
	struct ethhdr *eth = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	/* Zeroed although filled on success: without it clang 14 read
	 * a.ifindex on a path it could not prove filled, from a register the
	 * verifier then refused to spill ("invalid size of register spill"). */
	struct fib_answer a = {};
	__u32 ifindex;

	q->iif = ctx->ingress_ifindex;
	if ((void *)(eth + 1) > data_end ||
	    fib_lookup_cached(ctx, q, &a) != BPF_FIB_LKUP_RET_SUCCESS)
		goto pass;
	ifindex = a.ifindex;
	/* Only onto a listed device, the ingress one too: a veth, say, drops
	 * XDP frames its peer cannot take. Back out of the ingress device by
	 * a redirect too, not XDP_TX: veth's XDP_TX wakes the peer's NAPI
	 * only when the peer has an XDP program (veth_xdp_flush()), so a
	 * peer with GRO alone never drains them and, its ring full, drops
	 * the rest; the redirect's flush (ndo_xdp_xmit, XDP_XMIT_FLUSH)
	 * always wakes it. A device leaving canary_tx since the lookup: the
	 * kernel's path, frame unchanged, rather than a silent drop. */
	if (bpf_map_lookup_elem(&canary_tx, &ifindex)) {
		if (bpf_redirect_map(&canary_tx, ifindex, XDP_PASS) != XDP_REDIRECT)
			goto pass;
	} else {
		/* Redirect before rewriting: a port no longer in canary_tx
		 * (the kernel drops a deleted veth from it by itself) then
		 * falls back to the kernel with the frame unchanged. */
		ifindex = bridge_port(&a);
		if (!ifindex && dport && a.ifindex != q->iif)
			fwd_note_leave(q, sport, dport, &a);
		if (!ifindex ||
		    bpf_redirect_map(&canary_tx, ifindex, XDP_PASS) != XDP_REDIRECT)
			goto pass;
	}
	if (iph)
		ip_decrease_ttl(iph);
	else
		(*hop)--;
	/* Past a bridge, the source MAC is the bridge's: the pod's gateway. */
	__builtin_memcpy(eth->h_dest, a.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, a.smac, ETH_ALEN);
	GLOBAL_INC(g, redirected);
	return V_REDIRECT;
pass:
	GLOBAL_INC(g, fib_fallback);
	return V_PASS;
}

/* xdp_fib_send() for a frame of the family now addressed to @dst; a
 * @dport not 0 is its new destination port, and asks for tc's note. */
static __always_inline enum verdict xdp_forward(struct xdp_md *ctx,
						const struct pkt *p,
						const __be32 *dst,
						__be16 dport,
						struct canary_global *g,
						bool is6)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct iphdr *iph = (void *)(eth + 1);
	struct fib_question q;

	if (p->vlan || (is6 ? (void *)(ip6 + 1) > data_end || ip6->hop_limit <= 1 :
			      (void *)(iph + 1) > data_end || iph->ttl <= 1)) {
		GLOBAL_INC(g, fib_fallback);
		return V_PASS;
	}
	q.proto = p->proto;
	q.tot_len = p->tot_len;
	if (is6) {
		q.family = AF_INET6;
		q.flowinfo = *(__be32 *)ip6 & IPV6_FLOWINFO_MASK;
		addr6_copy(q.src, p->saddr6);
		addr6_copy(q.dst, dst);
		return xdp_fib_send(ctx, &q, NULL, &ip6->hop_limit, p->sport,
				    dport, g);
	}
	q.family = AF_INET;
	q.tos = iph->tos;
	q.src[0] = p->saddr;
	q.dst[0] = dst[0];
	return xdp_fib_send(ctx, &q, iph, NULL, p->sport, dport, g);
}

/*
 * An ICMP error about one of our replies, from the client's side (the
 * client, or a router that needs fragmentation), is addressed to the VIP
 * and quotes VIP:port -> client: point it and its quote at the endpoint.
 *
 * A source-NATed endpoint knows its peer only as @node:snat_port, so the
 * quote's destination becomes that, and the error comes from @node: the
 * client and the routers on its side are hidden behind the SNAT and may
 * not be reachable from the endpoint's node, and an endpoint (or a policy
 * in front of it) has no reason to take an error from an address it never
 * talked to. Netfilter's NAT does the same to ICMP errors of masqueraded
 * connections. The endpoint's node must accept its own address as a
 * source on the way in when the kernel forwards it (accept_local), as for
 * the source-NATed packets themselves.
 *
 * Fills in @to; returns 0, or -1 when @e is about none of our replies.
 */
static __always_inline int icmp_to_endpoint(const struct icmp_quote *e,
					    __be32 node, struct icmp_nat *to)
{
	struct canary_flow_key fk = {
		.saddr = e->in.daddr,
		.daddr = e->in.saddr,
		.sport = e->in.dport,
		.dport = e->in.sport,
		.proto = e->in.proto,
	};
	struct canary_flow *f = bpf_map_lookup_elem(&canary_flow_v3, &fk);

	if (!f || (f->flags & CANARY_FLOW_F_SNAT && !node))
		return -1;
	to->q_saddr = f->ep_addr;
	to->q_sport = f->ep_port;
	to->daddr = f->ep_addr;
	if (f->flags & CANARY_FLOW_F_SNAT) {
		to->q_daddr = node;
		to->q_dport = f->snat_port;
		to->saddr = node;
	}
	return 0;
}

/*
 * An ICMP error from the far side of a source-NATed flow (the endpoint,
 * its node, or a router between) is addressed to this node and quotes
 * @node:snat_port -> endpoint: make it the error the client would have
 * got from a VIP without SNAT. The quote becomes client -> VIP:port and
 * the destination the client. This is what makes path-MTU discovery work
 * through a SNATed flow.
 *
 * The sender becomes the VIP whoever it was, unlike egress_icmp(), which
 * keeps a router: the far side of the SNAT is hidden from the client, as
 * the client's side is from the endpoint, and a router there is often on
 * the way to the client too (this node's gateway), where an error sent
 * on from its own address is a martian it drops. Netfilter's NAT does
 * the same. The price: a traceroute through the VIP shows the VIP for
 * the hops past this node.
 *
 * Fills in @to; returns 0, or -1 when @e is about no SNATed flow of ours.
 */
static __always_inline int icmp_snat_to_client(const struct icmp_quote *e,
					       __be32 node, struct icmp_nat *to)
{
	union lb_snat *back;

	if (!node || e->in.saddr != node)
		return -1;
	back = snat_lookup(&e->in.daddr, e->in.dport, e->in.sport, e->in.proto,
			   false);
	if (!back)
		return -1;
	to->q_saddr = back->v4.client;
	to->q_sport = back->v4.client_port;
	to->q_daddr = back->v4.vip;
	to->q_dport = back->v4.vport;
	to->daddr = back->v4.client;
	to->saddr = back->v4.vip;
	return 0;
}

/*
 * An ICMP error (its header at @off in @ctx) about UDP flow @client:@cport
 * -> @vip:@vport, on its way to the client: a destination unreachable
 * other than fragmentation needed is the endpoint refusing the flow
 * (bpf/health.h). @proto is the quoted packet's.
 */
static __always_inline void icmp_health(void *ctx, enum ctx_kind kind,
					__u16 off, __u8 proto,
					const __be32 *client, __be16 cport,
					const __be32 *vip, __be16 vport,
					bool is6)
{
	void *end = ctx_data_end(ctx, kind);
	__u8 *ic;

	/* The parser found the ICMP header within its first 256 bytes; the
	 * verifier needs that bound to let the access below through (a
	 * variable offset up to 0xffff leaves the packet range unknown). */
	if (proto != CANARY_PROTO_UDP || off > 255)
		return;
	ic = ctx_data(ctx, kind) + (off & 0xff);
	if ((void *)(ic + 2) > end)
		return;
	if (is6 ? ic[0] != ICMPV6_DEST_UNREACH :
		  ic[0] != ICMP_DEST_UNREACH || ic[1] == 4 /* frag. needed */)
		return;
	health_unreachable(client, cport, vip, vport, is6);
}

/*
 * ICMP errors coming in about our flows: addressed to the sender of the
 * quoted packet, which is the VIP (a reply) or this node (a SNATed
 * packet). Translated ones go on through the kernel (XDP_PASS, as every
 * ICMP error here): errors are rare and rate limited, and the kernel's
 * forwarding resolves neighbours and runs netfilter for them.
 */
static __always_inline void ingress_icmp(void *ctx, enum ctx_kind kind,
					 const struct canary_node *n,
					 struct canary_global *g)
{
	__be32 node = n ? n->address : 0;
	struct icmp_quote e = {};
	struct icmp_nat to;

	if (parse_icmp_err(ctx_data(ctx, kind), ctx_data_end(ctx, kind), &e) ||
	    e.daddr != e.in.saddr)
		return;
	icmp_nat_init(&to, &e);
	if (icmp_to_endpoint(&e, node, &to)) {
		if (icmp_snat_to_client(&e, node, &to))
			return;
		/* from the far side of a SNATed flow, to its client */
		icmp_health(ctx, kind, e.icmp_off, e.in.proto, &to.q_saddr,
			    to.q_sport, &to.q_daddr, to.q_dport, false);
	}
	if (icmp_rewrite(ctx, kind, &e, &to)) {
		GLOBAL_INC(g, errors);
		return;
	}
	GLOBAL_INC(g, icmp);
}

__noinline int parse_ipv6_xdp(struct xdp_md *ctx, struct pkt *p)
{
	if (!p)
		return PARSE_OTHER;
	return parse_ipv6(ctx_data(ctx, CTX_XDP), ctx_data_end(ctx, CTX_XDP), p);
}

__noinline int parse_ipv6_skb(struct __sk_buff *skb, struct pkt *p)
{
	if (!p)
		return PARSE_OTHER;
	return parse_ipv6(ctx_data(skb, CTX_SKB), ctx_data_end(skb, CTX_SKB), p);
}

/*
 * icmp_to_endpoint() for ICMPv6: an error quoting VIP:port -> client,
 * sent to the VIP, is pointed at the endpoint; for a source-NATed flow
 * it quotes @n's address6:snat_port -> endpoint and comes from @n, for
 * the reasons icmp_to_endpoint() gives. Fills in @to; returns 0, or -1
 * when @e is about none of our replies.
 */
static __always_inline int icmp6_to_endpoint(const struct icmp6_quote *e,
					     const struct canary_node *n,
					     struct icmp6_nat *to)
{
	struct canary_flow6_key fk = {
		.sport = e->in.dport,
		.dport = e->in.sport,
		.proto = e->in.proto,
	};
	struct canary_flow6 *f;
	bool snat;

	addr6_copy(fk.saddr, e->in.daddr6);
	addr6_copy(fk.daddr, e->in.saddr6);
	f = bpf_map_lookup_elem(&canary_flow6_v3, &fk);
	if (!f)
		return -1;
	snat = f->flags & CANARY_FLOW_F_SNAT;
	if (snat && (!n || addr_zero(n->address6, true)))
		return -1;
	addr6_copy(to->q_saddr, f->ep_addr);
	to->q_sport = f->ep_port;
	addr6_copy(to->daddr, f->ep_addr);
	if (snat && n) {
		addr6_copy(to->q_daddr, n->address6);
		to->q_dport = f->snat_port;
		addr6_copy(to->saddr, n->address6);
	}
	return 0;
}

/*
 * icmp_snat_to_client() for ICMPv6: an error from the far side of a
 * source-NATed flow, quoting @n's address6:snat_port -> endpoint, becomes
 * the error the client would have got from the VIP (packet too big: path
 * MTU discovery through the SNAT). Fills in @to; returns 0, or -1 when
 * @e is about no SNATed flow of ours.
 */
static __always_inline int icmp6_snat_to_client(const struct icmp6_quote *e,
						const struct canary_node *n,
						struct icmp6_nat *to)
{
	union lb_snat *back;

	if (!n || addr_zero(n->address6, true) ||
	    !addr6_eq(e->in.saddr6, n->address6))
		return -1;
	back = snat_lookup(e->in.daddr6, e->in.dport, e->in.sport, e->in.proto,
			   true);
	if (!back)
		return -1;
	addr6_copy(to->q_saddr, back->v6.client);
	to->q_sport = back->v6.client_port;
	addr6_copy(to->q_daddr, back->v6.vip);
	to->q_dport = back->v6.vport;
	addr6_copy(to->daddr, back->v6.client);
	addr6_copy(to->saddr, back->v6.vip);
	return 0;
}

/* ingress_icmp() for ICMPv6: errors addressed to the sender of the quoted
 * packet, the VIP (a reply) or this node (a SNATed packet). */
static __always_inline void ingress_icmp6(void *ctx, enum ctx_kind kind)
{
	struct canary_global *g = global_stats();
	struct canary_node *n = snat_node();
	struct icmp6_scratch *sc = icmp6_scratch();

	if (!sc)
		return;
	__builtin_memset(&sc->e, 0, sizeof(sc->e));
	if (parse_icmp6_err(ctx_data(ctx, kind), ctx_data_end(ctx, kind), &sc->e) ||
	    !addr6_eq(sc->e.daddr, sc->e.in.saddr6))
		return;
	icmp6_nat_init(&sc->to, &sc->e);
	if (icmp6_to_endpoint(&sc->e, n, &sc->to)) {
		if (icmp6_snat_to_client(&sc->e, n, &sc->to))
			return;
		/* from the far side of a SNATed flow, to its client */
		icmp_health(ctx, kind, sc->e.icmp_off, sc->e.in.proto,
			    sc->to.q_saddr, sc->to.q_sport, sc->to.q_daddr,
			    sc->to.q_dport, true);
	}
	if (icmp6_rewrite(ctx, kind, &sc->e, &sc->to)) {
		GLOBAL_INC(g, errors);
		return;
	}
	GLOBAL_INC(g, icmp);
}

/*
 * The reply of a source-NATed flow, back at this node: endpoint ->
 * node:port (@back says whose) becomes VIP:port -> client, and goes on to
 * the client.
 */
static __always_inline enum verdict ingress_snat_reply(void *ctx,
							enum ctx_kind kind,
							struct pkt *p,
							const union lb_snat *back,
							struct canary_global *g,
							bool is6)
{
	union lb_snat way;

	/* One read of the way back: another CPU may rewrite the LRU entry
	 * between the two rewrites, which must agree on one flow. */
	if (is6)
		way.v6 = back->v6;
	else
		way.v4 = back->v4;
	if (rewrite_tuple(ctx, kind, p, false, FAM_ADDR(&way, is6, client),
			  FAM_VAL(&way, is6, client_port), is6) ||
	    rewrite_tuple(ctx, kind, p, true, FAM_ADDR(&way, is6, vip),
			  FAM_VAL(&way, is6, vport), is6)) {
		GLOBAL_INC(g, errors);
		return V_PASS;
	}
	GLOBAL_INC(g, snat_replies);
	health_reply_of(p, FAM_ADDR(&way, is6, client),
			FAM_VAL(&way, is6, client_port), FAM_ADDR(&way, is6, vip),
			FAM_VAL(&way, is6, vport), is6);
	addr_copy(p->saddr6, FAM_ADDR(&way, is6, vip), is6);
	if (kind == CTX_XDP)
		return xdp_forward(ctx, p, FAM_ADDR(&way, is6, client), 0, g,
				   is6);
	return V_PASS;
}

/* What a packet whose flow found no endpoint (or no flow-table room)
 * becomes, counted. */
static __always_inline enum verdict ingress_no_flow(int ret,
						    struct canary_global *g)
{
	if (ret == LB_NO_ENDPOINT)
		GLOBAL_INC(g, no_endpoint);
	else
		GLOBAL_INC(g, errors);
	/* Like kube-proxy's reject: a VIP without endpoints must not leak
	 * towards the default route. */
	return ret == LB_NO_ENDPOINT ? V_DROP : V_PASS;
}

/*
 * A packet of a source-NATed flow that has no SNAT source to leave from:
 * this node has no address of the flow's family (the node section lost
 * it), or another flow holds its port now (snat_keep()). Dropped,
 * as MASQUERADE drops what it has no source address for, and counted
 * like a new flow that found no SNAT port (snat_full, no_endpoint).
 * Rewriting it would send it from the all-zero address, or into the
 * other flow; sending it unSNATed would show the endpoint a peer it never
 * talked to, and its reply would bypass this node. The flow entry stays:
 * if the address comes back, the flow goes on with its port, and its way
 * back is still there.
 */
static __always_inline enum verdict ingress_snat_drop(struct canary_global *g)
{
	GLOBAL_INC(g, snat_full);
	return ingress_no_flow(LB_NO_ENDPOINT, g);
}

/* The ingress path for a TCP/UDP packet @p of the family @is6. */
static __always_inline enum verdict ingress_l4(void *ctx, enum ctx_kind kind,
					       struct pkt *p, __u32 gen,
					       const struct canary_genstate *gs,
					       const struct canary_node *node,
					       struct canary_global *g,
					       bool is6)
{
	struct canary_svc_slots *svc = NULL;
	union lb_flow f = {};
	union lb_snat *back;
	__be32 snat_src[4];
	bool snat, hit = false, recorded, again;
	int ret;

	if (lb_maybe_vip(gs, addr_hashed(p->daddr6, is6), gen)) {
		hit = lb_flow(p, &f, is6);
		if (!hit)
			svc = lb_service(p, is6);
	}
	if (!svc && !hit) {
		back = snat_back(p, node, is6);
		if (back)
			return ingress_snat_reply(ctx, kind, p, back, g, is6);
		GLOBAL_INC(g, passed);
		return V_PASS;
	}
	ret = hit ? LB_FLOW_HIT : lb_place(p, svc, gen, node, g, &f, is6);
	if (ret == LB_NO_ENDPOINT || ret == LB_ERROR)
		return ingress_no_flow(ret, g);
	recorded = ret != LB_FLOW_UNRECORDED;
	again = ret == LB_FLOW_AGAIN;
	if (!recorded || again)
		ret = LB_FLOW_NEW;
	/* A connection opening (bpf/health.h): a client's SYN, or a new
	 * UDP flow; an established packet pays this one test. */
	if (p->proto == CANARY_PROTO_TCP ?
		    (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN :
		    ret == LB_FLOW_NEW)
		health_new(FAM_VAL(&f, is6, svc_id), FAM_VAL(&f, is6, version),
			   recorded, again,
			   svc && (svc->live.flags & CANARY_SVC_F_GUARD));
	/* Only SNATed flows pay for the address check. */
	snat = FAM_VAL(&f, is6, flags) & CANARY_FLOW_F_SNAT;
	if (snat) {
		/* One read of the address, checked and then used: user space
		 * may rewrite the node entry under us. */
		if (!node)
			return ingress_snat_drop(g);
		addr_copy(snat_src, node_addr(node, is6), is6);
		if (addr_zero(snat_src, is6) || snat_keep(p, &f, is6))
			return ingress_snat_drop(g);
	}
	if (rewrite_tuple(ctx, kind, p, false, FAM_ADDR(&f, is6, ep_addr),
			  FAM_VAL(&f, is6, ep_port), is6) ||
	    (snat && rewrite_tuple(ctx, kind, p, true, snat_src,
				   FAM_VAL(&f, is6, snat_port), is6))) {
		GLOBAL_INC(g, errors);
		return V_PASS;
	}
	lb_count(FAM_VAL(&f, is6, svc_id), FAM_VAL(&f, is6, version),
		 ctx_len(ctx, kind), ret);
	GLOBAL_INC(g, translated);
	if (snat)
		addr_copy(p->saddr6, snat_src, is6); /* what the FIB must see */
	if (kind == CTX_XDP)
		return xdp_forward(ctx, p, FAM_ADDR(&f, is6, ep_addr),
				   snat ? 0 : FAM_VAL(&f, is6, ep_port), g, is6);
	GLOBAL_INC(g, fib_fallback);
	return V_PASS;
}

/* The ingress path, written once for XDP and tc and both families. */
static __always_inline enum verdict ingress(void *ctx, enum ctx_kind kind)
{
	struct canary_global *g = global_stats();
	struct canary_genstate *gs = lb_genstate();
	__u32 gen = gs ? gen_of(gs->active) : 0;
	struct canary_node *node = snat_node();
	struct pkt p = {};
	int ret;

	ctx_pull(ctx, kind, PARSE_MAX_HDR);
	ret = parse_ctx(ctx, kind, &p);
	if (ret == PARSE_OK && p.v6)
		return ingress_l4(ctx, kind, &p, gen, gs, node, g, true);
	if (ret == PARSE_OK)
		return ingress_l4(ctx, kind, &p, gen, gs, node, g, false);
	if (ret == PARSE_FRAGMENT)
		GLOBAL_INC(g, fragments);
	else
		GLOBAL_INC(g, passed);
	if (ret == PARSE_OTHER) {
		/* the quoted header lies past PARSE_MAX_HDR */
		ctx_pull(ctx, kind, PARSE_MAX_HDR + 8 + 60 + 8);
		if (p.v6)
			ingress_icmp6(ctx, kind);
		else
			ingress_icmp(ctx, kind, node, g);
	}
	return V_PASS;
}

SEC("xdp")
int canary_xdp(struct xdp_md *ctx)
{
	switch (ingress(ctx, CTX_XDP)) {
	case V_REDIRECT:
		return XDP_REDIRECT;
	case V_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

SEC("tc")
int canary_tc_in(struct __sk_buff *skb)
{
	return ingress(skb, CTX_SKB) == V_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

/*
 * The VIP:port a reply from an endpoint must carry, in generation @gen, or
 * NULL when @p is not a reply of a translated flow: the endpoint's
 * services (canary_backend) name the candidate forward flows, and only
 * one that went to this very endpoint without source NAT counts
 * (lb_backend_flow()).
 */
static __always_inline const union lb_backend_svc *
reply_origin_gen(const struct pkt *p, __u32 gen, bool is6)
{
	union lb_backend *be;

	be = lb_backend_find(p->saddr6, p->sport, p->proto, gen, is6);
	if (!be)
		return NULL;
	return lb_backend_flow(be, p->daddr6, p->dport, p->proto, p->saddr6,
			       p->sport, NULL, 0, p->tcp_flags, is6);
}

/*
 * reply_origin_gen() of the live generation, then of the previous one: a
 * flow may outlive its endpoint's place in the config (draining, grace).
 */
static __always_inline const union lb_backend_svc *
reply_origin(const struct pkt *p, bool is6)
{
	struct canary_genstate *gs = lb_genstate();
	const union lb_backend_svc *orig;

	if (!gs)
		return NULL;
	orig = reply_origin_gen(p, gen_of(gs->active), is6);
	if (!orig && gs->prev != gs->active)
		orig = reply_origin_gen(p, gen_of(gs->prev), is6);
	return orig;
}

/* Whether the automatic fast path is on: user space's key {0,
 * ff:ff:ff:ff:ff:ff} in canary_port (user/dataplane/fastpath.h). */
static __always_inline bool fwd_enabled(void)
{
	struct canary_port_key k = { .ifindex = 0 };

	__builtin_memset(k.mac, 0xff, ETH_ALEN);
	return bpf_map_lookup_elem(&canary_port, &k) != NULL;
}

/* Whether @ifindex is a veth whose peer lives in another namespace (a
 * pod's): user space's key {ifindex, ff:ff:ff:ff:ff:fe} in canary_port
 * (user/dataplane/fastpath.h). bpf_redirect_peer() drops what it cannot
 * hand to such a peer, so it is used only where this says so. */
static __always_inline bool fwd_peer(__u32 ifindex)
{
	struct canary_port_key k = { .ifindex = ifindex };

	__builtin_memset(k.mac, 0xff, ETH_ALEN);
	k.mac[5] = 0xfe;
	return bpf_map_lookup_elem(&canary_port, &k) != NULL;
}

/*
 * Asks the FIB (fresh: this is the path of packets XDP left no note for)
 * where @skb goes; fills @a. Returns 0, or -1 when the kernel's path must
 * take it (not IP, no route or neighbour, too big, back out of the
 * ingress device).
 */
static __always_inline int tc_fwd_lookup(struct __sk_buff *skb,
					 struct fib_answer *a)
{
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = (void *)(long)skb->data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct iphdr *iph = (void *)(eth + 1);
	struct bpf_fib_lookup fib = {};
	int i;

	if ((void *)(ip6 + 1) > end && (void *)(iph + 1) > end)
		return -1;
	fib.ifindex = skb->ingress_ifindex;
	if (eth->h_proto == ETH_P_IPV6_BE && (void *)(ip6 + 1) <= end) {
		fib.family = AF_INET6;
		fib.flowinfo = *(__be32 *)ip6 & IPV6_FLOWINFO_MASK;
		fib.l4_protocol = ip6->nexthdr;
		for (i = 0; i < 4; i++) {
			fib.ipv6_src[i] = ip6->saddr.in6_u.u6_addr32[i];
			fib.ipv6_dst[i] = ip6->daddr.in6_u.u6_addr32[i];
		}
	} else if (eth->h_proto == ETH_P_IP_BE && (void *)(iph + 1) <= end) {
		fib.family = AF_INET;
		fib.tos = iph->tos;
		fib.l4_protocol = iph->protocol;
		fib.ipv4_src = iph->saddr;
		fib.ipv4_dst = iph->daddr;
	} else {
		return -1;
	}
	/* tot_len 0: the helper checks the MTU against the skb (GSO too) */
	if (bpf_fib_lookup(skb, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS ||
	    fib.ifindex == skb->ingress_ifindex)
		return -1;
	a->ifindex = fib.ifindex;
	__builtin_memcpy(a->smac, fib.smac, ETH_ALEN);
	__builtin_memcpy(a->dmac, fib.dmac, ETH_ALEN);
	return 0;
}

/*
 * Whether @p (client -> endpoint) is a packet XDP translated: its reply
 * (endpoint -> client) would be one of a flow that went to this very
 * endpoint without source NAT (reply_origin()). The slow path, for a
 * packet XDP left no note for (bpf/fwd.h).
 */
static __always_inline bool fwd_translated(const struct pkt *p)
{
	struct pkt r = {};

	addr6_copy(r.saddr6, p->daddr6);
	addr6_copy(r.daddr6, p->saddr6);
	r.sport = p->dport;
	r.dport = p->sport;
	r.proto = p->proto;
	return reply_origin(&r, p->v6) != NULL;
}

/*
 * Where a packet XDP translated and passed goes: by XDP's note, else by
 * the slow path (the flow found again, the FIB asked afresh). Fills @a;
 * returns 0, or -1 for a packet that is none of ours to forward.
 */
static __always_inline int tc_fwd_where(struct __sk_buff *skb,
					const struct pkt *p,
					struct fib_answer *a)
{
	__u32 mtu_len = 0;

	if (fwd_note_take(p, a))
		/* The device is still there and this skb fits its MTU:
		 * the note's answer may be up to FIB_CACHE_MS old. */
		return bpf_check_mtu(skb, a->ifindex, &mtu_len, 0, 0) ? -1 : 0;
	if (!fwd_translated(p))
		return -1;
	return tc_fwd_lookup(skb, a);
}

/*
 * tc ingress next to XDP (native or generic): a packet XDP translated but
 * could not send itself (its next hop takes no XDP frames: a pod without
 * GRO or an XDP program) leaves for the FIB's device, MACs and TTL set as
 * the kernel's forwarding would, past the node's IP stack and netfilter:
 * into the pod's namespace by bpf_redirect_peer() when the device is a
 * pod's veth, else by bpf_redirect() (a bridge forwards it on to the
 * port). Everything else goes on unchanged.
 */
SEC("tc")
int canary_tc_fwd(struct __sk_buff *skb)
{
	struct canary_global *g;
	struct fib_answer a;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6;
	struct pkt p = {};
	void *end;

	/* One lookup first: with the automatic set off (--fast-path
	 * listed) every packet leaves here, before the pull, the parse,
	 * the note, the flow walk and the FIB lookup. */
	if (!fwd_enabled())
		return TC_ACT_UNSPEC;
	ctx_pull(skb, CTX_SKB, PARSE_MAX_HDR);
	if (parse_ctx(skb, CTX_SKB, &p) != PARSE_OK || p.vlan ||
	    tc_fwd_where(skb, &p, &a))
		return TC_ACT_UNSPEC;
	/* again after the helper calls: the verifier wants fresh bounds */
	eth = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	iph = (void *)(eth + 1);
	ip6 = (void *)(eth + 1);
	if (p.v6 ? (void *)(ip6 + 1) > end || ip6->hop_limit <= 1 :
		   (void *)(iph + 1) > end || iph->ttl <= 1)
		return TC_ACT_UNSPEC;
	if (p.v6)
		ip6->hop_limit--;
	else
		ip_decrease_ttl(iph);
	__builtin_memcpy(eth->h_dest, a.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, a.smac, ETH_ALEN);
	/* XDP counted it as left to the kernel; it is redirected after
	 * all (per-CPU counters: only their sum means anything). */
	g = global_stats();
	if (g) {
		g->fib_fallback--;
		g->redirected++;
	}
	/* A pod's veth: straight into the pod's namespace, its eth0's
	 * ingress in this softirq, without the veth's transmit, the
	 * backlog queue and a second softirq pass (Cilium's host routing). */
	if (fwd_peer(a.ifindex))
		return bpf_redirect_peer(a.ifindex, 0);
	return bpf_redirect(a.ifindex, 0);
}

/*
 * An ICMP error going to a client about its translated packet (from the
 * endpoint, or a router between us and it) quotes client -> endpoint:
 * make the quote client -> VIP:port, and the sender the VIP if it was the
 * endpoint. A subprogram, not inlined: its headers would otherwise sit in
 * canary_tc_out's frame beside the SYN-ACK match's (512 bytes at most).
 */
static __noinline void egress_icmp(struct __sk_buff *skb,
				   struct canary_global *g)
{
	const union lb_backend_svc *orig;
	struct icmp_quote e = {};
	struct icmp_nat to;
	struct pkt r = {};

	ctx_pull(skb, CTX_SKB, PARSE_MAX_HDR + 8 + 60 + 8);
	if (parse_icmp_err(ctx_data(skb, CTX_SKB), ctx_data_end(skb, CTX_SKB),
			   &e))
		return;
	/* As the endpoint's reply would look: endpoint -> client. */
	r.saddr = e.in.daddr;
	r.sport = e.in.dport;
	r.daddr = e.in.saddr;
	r.dport = e.in.sport;
	r.proto = e.in.proto;
	orig = reply_origin(&r, false);
	if (!orig)
		return;
	icmp_health(skb, CTX_SKB, e.icmp_off, r.proto, r.daddr6, r.dport,
		    FAM_ADDR(orig, false, vip), FAM_VAL(orig, false, port), false);
	icmp_nat_init(&to, &e);
	to.q_daddr = orig->v4.vip;
	to.q_dport = orig->v4.port;
	if (e.saddr == e.in.daddr)
		to.saddr = orig->v4.vip;
	if (icmp_rewrite(skb, CTX_SKB, &e, &to)) {
		GLOBAL_INC(g, errors);
		return;
	}
	GLOBAL_INC(g, icmp);
}

/* egress_icmp() for ICMPv6. */
static __noinline void egress_icmp6(struct __sk_buff *skb,
				    struct canary_global *g)
{
	const union lb_backend_svc *orig;
	struct icmp6_quote e = {};
	struct pkt r = {};
	__be32 vip[4];
	__be16 vport;

	if (parse_icmp6_err(ctx_data(skb, CTX_SKB), ctx_data_end(skb, CTX_SKB),
			    &e))
		return;
	addr6_copy(r.saddr6, e.in.daddr6);
	addr6_copy(r.daddr6, e.in.saddr6);
	r.sport = e.in.dport;
	r.dport = e.in.sport;
	r.proto = e.in.proto;
	orig = reply_origin(&r, true);
	if (!orig)
		return;
	icmp_health(skb, CTX_SKB, e.icmp_off, r.proto, r.daddr6, r.dport,
		    FAM_ADDR(orig, true, vip), FAM_VAL(orig, true, port), true);
	addr6_copy(vip, orig->v6.vip);
	vport = orig->v6.port;
	if (icmp6_rewrite_quoted(skb, CTX_SKB, &e,
				 e.in.l3_off + offsetof(struct ipv6hdr, daddr),
				 e.in.daddr6, vip, e.in.l4_off + TCP_DPORT_OFF,
				 e.in.dport, vport) ||
	    (addr6_eq(e.saddr, e.in.daddr6) &&
	     icmp6_rewrite_outer(skb, CTX_SKB, &e,
				 e.l3_off + offsetof(struct ipv6hdr, saddr),
				 e.saddr, vip))) {
		GLOBAL_INC(g, errors);
		return;
	}
	GLOBAL_INC(g, icmp);
}

/*
 * During a SYN flood (flow_flood_now()), the VIP:port of a SYN-ACK from an
 * endpoint whose SYN the flood guard forwarded without recording it: the
 * service of the endpoint (in the live generation) whose placement of the
 * client's SYN, done again, names this very endpoint. NULL if none: a
 * pod's own connection whose SYN-ACK the VIP would not have placed there
 * keeps its address. Services whose SYNs are always recorded are skipped.
 */
static __always_inline const union lb_backend_svc *
reply_by_placement_of(struct pkt *p, bool is6)
{
	struct canary_genstate *gs = lb_genstate();
	__u32 gen = gs ? gen_of(gs->active) : 0;
	const union lb_backend_svc *found = NULL;
	__be16 ep_port = p->sport, cport = p->dport;
	__u8 flags = p->tcp_flags;
	struct canary_svc_slots *svc;
	union lb_backend *be;
	struct lb_slot at;
	__be32 ep[4];
	union lb_flow f;
	int i;

	be = gs ? lb_backend_find(p->saddr6, ep_port, p->proto, gen, is6) : NULL;
	if (!be)
		return NULL;
	/* @p becomes the client's SYN to each candidate in turn (a copy
	 * would not fit the stack), and is put back at the end. */
	addr_copy(ep, p->saddr6, is6);
	addr_copy(p->saddr6, p->daddr6, is6);
	p->sport = cport;
	p->tcp_flags = TCP_FLAG_SYN;
	for (i = 0; i < CANARY_BACKEND_SVCS; i++) {
		if (i >= FAM_VAL(be, is6, n))
			break;
		addr_copy(p->daddr6, FAM_ADDR(be, is6, svc[i].vip), is6);
		p->dport = FAM_VAL(be, is6, svc[i].port);
		svc = lb_service(p, is6);
		if (!svc || (svc->live.flags & CANARY_SVC_F_SHARED) ||
		    lb_pick_counted(p, &svc->live, gen_of(svc->slot), &f, &at,
				    false, is6) != LB_FLOW_NEW)
			continue;
		if (addr_eq(FAM_ADDR(&f, is6, ep_addr), ep, is6) &&
		    FAM_VAL(&f, is6, ep_port) == ep_port) {
			found = is6 ? (const void *)&be->v6.svc[i] :
				      (const void *)&be->v4.svc[i];
			break;
		}
	}
	addr_copy(p->daddr6, p->saddr6, is6);
	addr_copy(p->saddr6, ep, is6);
	p->sport = ep_port;
	p->dport = cport;
	p->tcp_flags = flags;
	return found;
}

/*
 * reply_by_placement_of() as global functions, one per family: the
 * verifier checks each once, apart from the reply path (its loop of
 * placements would multiply the reply program's states). The VIP:port
 * found goes into @out; returns 0, or -1 when none.
 */
__noinline int reply_by_placement4(struct pkt *p,
				   struct canary_backend_svc *out)
{
	const union lb_backend_svc *o;

	if (!p || !out)
		return -1;
	o = reply_by_placement_of(p, false);
	if (!o)
		return -1;
	*out = o->v4;
	return 0;
}

__noinline int reply_by_placement6(struct pkt *p,
				   struct canary_backend6_svc *out)
{
	const union lb_backend_svc *o;

	if (!p || !out)
		return -1;
	o = reply_by_placement_of(p, true);
	if (!o)
		return -1;
	*out = o->v6;
	return 0;
}

/* A reply from an endpoint of the family @is6: the VIP:port back as its
 * source. */
static __always_inline void egress(struct __sk_buff *skb, struct pkt *p,
				   struct canary_global *g, bool is6)
{
	const union lb_backend_svc *orig = reply_origin(p, is6);
	union lb_backend_svc found;

	if (!orig && p->proto == CANARY_PROTO_TCP &&
	    (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
		    (TCP_FLAG_SYN | TCP_FLAG_ACK) &&
	    flow_flood_now() &&
	    !(is6 ? reply_by_placement6(p, &found.v6) :
		    reply_by_placement4(p, &found.v4)))
		orig = &found;

	if (!orig)
		return;
	health_reply_of(p, p->daddr6, p->dport, FAM_ADDR(orig, is6, vip),
			FAM_VAL(orig, is6, port), is6);
	if (rewrite_tuple(skb, CTX_SKB, p, true, FAM_ADDR(orig, is6, vip),
			  FAM_VAL(orig, is6, port), is6)) {
		GLOBAL_INC(g, errors);
		return;
	}
	GLOBAL_INC(g, replies);
}

/* Replies from an endpoint to a client of a translated flow: restore the
 * VIP:port the client talked to as the source. */
SEC("tc")
int canary_tc_out(struct __sk_buff *skb)
{
	struct canary_global *g = global_stats();
	struct pkt p = {};

	ctx_pull(skb, CTX_SKB, PARSE_MAX_HDR);
	if (parse_ctx(skb, CTX_SKB, &p) != PARSE_OK) {
		if (p.v6) {
			ctx_pull(skb, CTX_SKB, PARSE_MAX_HDR + 8 + 60 + 8);
			egress_icmp6(skb, g);
		} else {
			egress_icmp(skb, g);
		}
		return TC_ACT_UNSPEC;
	}
	if (p.v6)
		egress(skb, &p, g, true);
	else
		egress(skb, &p, g, false);
	return TC_ACT_UNSPEC;
}

SEC("cgroup/connect4")
int canary_connect4(struct bpf_sock_addr *ctx)
{
	return sock_translate(ctx);
}

SEC("cgroup/sendmsg4")
int canary_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_translate(ctx);
}

SEC("cgroup/recvmsg4")
int canary_recvmsg4(struct bpf_sock_addr *ctx)
{
	sock_restore(ctx);
	return SOCK_PASS;
}

SEC("cgroup/getpeername4")
int canary_getpeername4(struct bpf_sock_addr *ctx)
{
	sock_restore(ctx);
	return SOCK_PASS;
}

SEC("cgroup/connect6")
int canary_connect6(struct bpf_sock_addr *ctx)
{
	return sock6_translate(ctx);
}

SEC("cgroup/sendmsg6")
int canary_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock6_translate(ctx);
}

SEC("cgroup/recvmsg6")
int canary_recvmsg6(struct bpf_sock_addr *ctx)
{
	sock6_restore(ctx);
	return SOCK_PASS;
}

SEC("cgroup/getpeername6")
int canary_getpeername6(struct bpf_sock_addr *ctx)
{
	sock6_restore(ctx);
	return SOCK_PASS;
}

/* What became of a balanced socket's connect(), as the kernel tells it
 * (bpf/sock.h); attached with the cgroup hooks above. */
SEC("sockops")
int canary_sockops(struct bpf_sock_ops *skops)
{
	if (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB)
		sock_health_connect(skops);
	else
		sock_health_event(skops);
	return 1;
}
