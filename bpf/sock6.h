/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket-level load balancing for AF_INET6 sockets: sock.h for IPv6
 * services, through canary_sock6. A dual-stack application that reaches
 * an IPv4 service through an IPv4-mapped address (::ffff:10.96.0.10) goes
 * through the IPv4 services as sock.h would, and keeps the mapped form.
 */
#ifndef CANARY_BPF_SOCK6_H
#define CANARY_BPF_SOCK6_H

#include "lb6.h"
#include "sock.h"

static __always_inline struct canary_sock6 *
sock6_state(struct bpf_sock_addr *ctx, bool create)
{
	return bpf_sk_storage_get(&canary_sock6, ctx->sk, 0,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/* Reads the IPv6 address out of @ctx (one 32-bit load per word, the only
 * access the verifier allows). */
static __always_inline void sock6_user_ip(const struct bpf_sock_addr *ctx,
					  __be32 *a)
{
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
}

static __always_inline void sock6_set_user_ip(struct bpf_sock_addr *ctx,
					      const __be32 *a)
{
	ctx->user_ip6[0] = a[0];
	ctx->user_ip6[1] = a[1];
	ctx->user_ip6[2] = a[2];
	ctx->user_ip6[3] = a[3];
}

static __always_inline bool addr6_v4mapped(const __be32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff);
}

/* sock_choose() for an IPv6 service. */
static __always_inline int sock6_choose(struct bpf_sock_addr *ctx,
					const __be32 *daddr, __be16 dport,
					__be32 *ep, __be16 *ep_port)
{
	struct canary_genstate *gs = lb_genstate();
	__u32 gen = gs ? gen_of(gs->active) : 0;
	struct canary_global *g = global_stats();
	struct pkt p = { .sock = 1, .v6 = 1 };
	struct canary_flow6 f = {};
	struct canary_sock6 *s;
	struct canary_svc *svc;
	__u64 cookie;

	p.proto = sock_proto(ctx);
	addr6_copy(p.daddr6, daddr);
	p.dport = dport;
	if (!p.proto)
		return 0;
	svc = lb6_service(&p, gen);
	if (!svc)
		return 0;
	s = sock6_state(ctx, false);
	if (s && addr6_eq(s->vip, p.daddr6) && s->vport == p.dport) {
		addr6_copy(f.ep_addr, s->ep_addr);
		f.ep_port = s->ep_port;
		if (lb6_endpoint_exists(&p, &f, gen)) {
			addr6_copy(ep, s->ep_addr);
			*ep_port = s->ep_port;
			return 1;
		}
	}
	cookie = svc->flags & CANARY_SVC_F_AFFINITY ? bpf_get_netns_cookie(ctx) :
						     bpf_get_socket_cookie(ctx);
	p.saddr6[0] = (__u32)cookie;
	p.sport = (__u16)(cookie >> 32);
	if (lb6_pick(&p, svc, gen, &f) != LB_FLOW_NEW)
		return -1;
	s = sock6_state(ctx, true);
	if (s) {
		addr6_copy(s->vip, p.daddr6);
		s->vport = p.dport;
		addr6_copy(s->ep_addr, f.ep_addr);
		s->ep_port = f.ep_port;
		s->svc_id = f.svc_id;
		s->version = f.version;
	}
	addr6_copy(ep, f.ep_addr);
	*ep_port = f.ep_port;
	lb_count(f.svc_id, f.version, 0, LB_FLOW_NEW);
	GLOBAL_INC(g, sock_lb);
	return 1;
}

/* connect6/sendmsg6: the destination in @ctx to an endpoint if it is a
 * service VIP:port of either family. */
static __always_inline int sock6_translate(struct bpf_sock_addr *ctx)
{
	__be16 dport = (__be16)ctx->user_port, ep_port = 0;
	__be32 a[4], ep[4] = {};
	int ret;

	sock6_user_ip(ctx, a);
	if (addr6_v4mapped(a))
		ret = sock_choose(ctx, a[3], dport, &ep[3], &ep_port);
	else
		ret = sock6_choose(ctx, a, dport, ep, &ep_port);
	if (ret < 0)
		return SOCK_REFUSE;
	if (ret == 0)
		return SOCK_PASS;
	if (addr6_v4mapped(a)) {
		a[3] = ep[3];
		sock6_set_user_ip(ctx, a);
	} else {
		sock6_set_user_ip(ctx, ep);
	}
	ctx->user_port = ep_port;
	return SOCK_PASS;
}

/* recvmsg6/getpeername6: the peer back from the endpoint to the VIP. */
static __always_inline void sock6_restore(struct bpf_sock_addr *ctx)
{
	__be16 port = (__be16)ctx->user_port;
	struct canary_sock6 *s6;
	struct canary_sock *s;
	__be32 a[4];

	sock6_user_ip(ctx, a);
	if (addr6_v4mapped(a)) {
		s = sock_state(ctx, false);
		if (s && s->ep_addr == a[3] && s->ep_port == port) {
			a[3] = s->vip;
			sock6_set_user_ip(ctx, a);
			ctx->user_port = s->vport;
		}
		return;
	}
	s6 = sock6_state(ctx, false);
	if (s6 && addr6_eq(s6->ep_addr, a) && s6->ep_port == port) {
		sock6_set_user_ip(ctx, s6->vip);
		ctx->user_port = s6->vport;
	}
}

#endif /* CANARY_BPF_SOCK6_H */
