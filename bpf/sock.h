/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket-level load balancing for clients inside the cluster (east-west):
 * cgroup hooks translate VIP:port to the chosen endpoint when a process
 * connects (or sends a datagram), so no packet is ever rewritten and no
 * reply needs translating; getpeername() and recvmsg() show the VIP again.
 * The choice is lb_pick()'s, over the same services, weights and ramp as
 * the XDP path, hashing the socket cookie (or, under client-IP affinity,
 * the network namespace cookie: one pod's sockets go to one endpoint).
 */
#ifndef CANARY_BPF_SOCK_H
#define CANARY_BPF_SOCK_H

#include "lb.h"

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_PASS 1   /* cgroup sock_addr: let the call go on */
#define SOCK_REFUSE 0 /* the call fails (EPERM) */

static __always_inline __u8 sock_proto(const struct bpf_sock_addr *ctx)
{
	if (ctx->type == SOCK_STREAM)
		return CANARY_PROTO_TCP;
	if (ctx->type == SOCK_DGRAM)
		return CANARY_PROTO_UDP;
	return 0;
}

/* The socket's storage, made if @create. */
static __always_inline struct canary_sock *sock_state(struct bpf_sock_addr *ctx,
						      bool create)
{
	return bpf_sk_storage_get(&canary_sock, ctx->sk, 0,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/*
 * The endpoint for a socket of @ctx going to @daddr:@dport, in @ep and
 * @ep_port, remembering the choice in the socket's storage. A socket keeps
 * its endpoint for a VIP:port it used before, as long as that endpoint is
 * still in the config. Returns 1 with an endpoint, 0 when the destination
 * is no service, -1 to refuse the call: a service without any endpoint
 * (as the packet path drops).
 */
static __always_inline int sock_choose(struct bpf_sock_addr *ctx, __be32 daddr,
				       __be16 dport, __be32 *ep,
				       __be16 *ep_port)
{
	struct canary_genstate *gs = lb_genstate();
	__u32 gen = gs ? gen_of(gs->active) : 0;
	struct canary_global *g = global_stats();
	struct pkt p = { .sock = 1 };
	struct canary_flow f = {};
	struct canary_svc *svc;
	struct canary_sock *s;
	__u64 cookie;

	p.proto = sock_proto(ctx);
	p.daddr = daddr;
	p.dport = dport;
	if (!p.proto)
		return 0;
	svc = lb_service(&p, gen);
	if (!svc)
		return 0;
	s = sock_state(ctx, false);
	if (s && s->vip == p.daddr && s->vport == p.dport) {
		f.ep_addr = s->ep_addr;
		f.ep_port = s->ep_port;
		if (lb_endpoint_exists(&p, &f, gen)) {
			*ep = s->ep_addr;
			*ep_port = s->ep_port;
			return 1;
		}
	}
	cookie = svc->flags & CANARY_SVC_F_AFFINITY ? bpf_get_netns_cookie(ctx) :
						     bpf_get_socket_cookie(ctx);
	p.saddr = (__u32)cookie;
	p.sport = (__u16)(cookie >> 32);
	if (lb_pick(&p, svc, gen, &f) != LB_FLOW_NEW)
		return -1;
	s = sock_state(ctx, true);
	if (s) {
		s->vip = p.daddr;
		s->vport = p.dport;
		s->ep_addr = f.ep_addr;
		s->ep_port = f.ep_port;
		s->svc_id = f.svc_id;
		s->version = f.version;
	}
	*ep = f.ep_addr;
	*ep_port = f.ep_port;
	lb_count(f.svc_id, f.version, 0, LB_FLOW_NEW);
	GLOBAL_INC(g, sock_lb);
	return 1;
}

/* Rewrites the destination in @ctx (user_ip4/user_port) to an endpoint if
 * it is a service VIP:port. */
static __always_inline int sock_translate(struct bpf_sock_addr *ctx)
{
	__be32 ep = 0;
	__be16 ep_port = 0;
	int ret = sock_choose(ctx, ctx->user_ip4, (__be16)ctx->user_port, &ep,
			      &ep_port);

	if (ret < 0)
		return SOCK_REFUSE;
	if (ret > 0) {
		ctx->user_ip4 = ep;
		ctx->user_port = ep_port;
	}
	return SOCK_PASS;
}

/* The peer in @ctx back from the endpoint to the VIP:port it stands for. */
static __always_inline void sock_restore(struct bpf_sock_addr *ctx)
{
	struct canary_sock *s = sock_state(ctx, false);

	if (s && s->ep_addr == ctx->user_ip4 &&
	    s->ep_port == (__be16)ctx->user_port) {
		ctx->user_ip4 = s->vip;
		ctx->user_port = s->vport;
	}
}

#endif /* CANARY_BPF_SOCK_H */
