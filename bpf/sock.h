/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Socket-level load balancing for clients inside the cluster (east-west):
 * cgroup hooks translate VIP:port to the chosen endpoint when a process
 * connects (or sends a datagram), so no packet is ever rewritten and no
 * reply needs translating; getpeername() and recvmsg() show the VIP again.
 * The choice is lb_pick()'s, over the same services, weights and ramp as
 * the XDP path, hashing the socket cookie (or, under client-IP affinity,
 * the network namespace cookie: one pod's sockets go to one endpoint).
 * Both families: connect4/sendmsg4 and connect6/sendmsg6 for AF_INET6
 * sockets, each socket's choices in canary_sock or canary_sock6.
 */
#ifndef CANARY_BPF_SOCK_H
#define CANARY_BPF_SOCK_H

#include "common.h"
#include "family.h"
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

union lb_sock {
	struct canary_sock v4;
	struct canary_sock6 v6;
};

/* The socket's storage for services of the family, made if @create. */
static __always_inline union lb_sock *sock_state(struct bpf_sock_addr *ctx,
						 bool create, bool is6)
{
	return bpf_sk_storage_get(FAM_MAP(is6, canary_sock, canary_sock6),
				  ctx->sk, 0,
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
static __always_inline int sock_choose(struct bpf_sock_addr *ctx,
				       const __be32 *daddr, __be16 dport,
				       __be32 *ep, __be16 *ep_port, bool is6)
{
	struct canary_genstate *gs = lb_genstate();
	__u32 gen = gs ? gen_of(gs->active) : 0;
	struct canary_global *g = global_stats();
	struct pkt p = { .sock = 1, .v6 = is6 };
	union lb_flow f = {};
	struct canary_svc_slots *e;
	struct canary_svc *svc;
	union lb_sock *s;
	__u64 cookie;

	p.proto = sock_proto(ctx);
	addr_copy(p.daddr6, daddr, is6);
	p.dport = dport;
	if (!p.proto)
		return 0;
	e = lb_service(&p, is6);
	if (!e)
		return 0;
	svc = &e->live;
	s = sock_state(ctx, false, is6);
	if (s && addr_eq(FAM_ADDR(s, is6, vip), p.daddr6, is6) &&
	    FAM_VAL(s, is6, vport) == p.dport) {
		addr_copy(FAM_ADDR(&f, is6, ep_addr), FAM_ADDR(s, is6, ep_addr),
			  is6);
		FAM_VAL(&f, is6, ep_port) = FAM_VAL(s, is6, ep_port);
		if (lb_endpoint_exists(&p, &f, gen, is6)) {
			addr_copy(ep, FAM_ADDR(s, is6, ep_addr), is6);
			*ep_port = FAM_VAL(s, is6, ep_port);
			return 1;
		}
	}
	cookie = svc->flags & CANARY_SVC_F_AFFINITY ? bpf_get_netns_cookie(ctx) :
						     bpf_get_socket_cookie(ctx);
	/* The cookie stands in for the client address:port in the hashes. */
	p.saddr6[0] = (__u32)cookie;
	p.sport = (__u16)(cookie >> 32);
	if (lb_pick(&p, svc, gen_of(e->slot), &f, is6) != LB_FLOW_NEW)
		return -1;
	s = sock_state(ctx, true, is6);
	if (s) {
		addr_copy(FAM_ADDR(s, is6, vip), p.daddr6, is6);
		FAM_VAL(s, is6, vport) = p.dport;
		addr_copy(FAM_ADDR(s, is6, ep_addr), FAM_ADDR(&f, is6, ep_addr),
			  is6);
		FAM_VAL(s, is6, ep_port) = FAM_VAL(&f, is6, ep_port);
		FAM_VAL(s, is6, svc_id) = FAM_VAL(&f, is6, svc_id);
		FAM_VAL(s, is6, version) = FAM_VAL(&f, is6, version);
	}
	addr_copy(ep, FAM_ADDR(&f, is6, ep_addr), is6);
	*ep_port = FAM_VAL(&f, is6, ep_port);
	lb_count(FAM_VAL(&f, is6, svc_id), FAM_VAL(&f, is6, version), 0,
		 LB_FLOW_NEW);
	GLOBAL_INC(g, sock_lb);
	return 1;
}

/*
 * The VIP:port a socket's peer @addr:*@port stands for, into @addr and
 * @port, when the socket's storage of the family says @addr:*@port is the
 * endpoint it put there. Returns whether it did.
 */
static __always_inline bool sock_peer_vip(struct bpf_sock_addr *ctx,
					  __be32 *addr, __be16 *port, bool is6)
{
	union lb_sock *s = sock_state(ctx, false, is6);

	if (!s || !addr_eq(FAM_ADDR(s, is6, ep_addr), addr, is6) ||
	    FAM_VAL(s, is6, ep_port) != *port)
		return false;
	addr_copy(addr, FAM_ADDR(s, is6, vip), is6);
	*port = FAM_VAL(s, is6, vport);
	return true;
}

/* connect4/sendmsg4: the destination in @ctx (user_ip4/user_port) to an
 * endpoint if it is a service VIP:port. */
static __always_inline int sock_translate(struct bpf_sock_addr *ctx)
{
	__be32 daddr[1] = { ctx->user_ip4 }, ep[1] = {};
	__be16 ep_port = 0;
	int ret = sock_choose(ctx, daddr, (__be16)ctx->user_port, ep, &ep_port,
			      false);

	if (ret < 0)
		return SOCK_REFUSE;
	if (ret > 0) {
		ctx->user_ip4 = ep[0];
		ctx->user_port = ep_port;
	}
	return SOCK_PASS;
}

/* recvmsg4/getpeername4: the peer in @ctx back from the endpoint to the
 * VIP:port it stands for. */
static __always_inline void sock_restore(struct bpf_sock_addr *ctx)
{
	__be32 a[1] = { ctx->user_ip4 };
	__be16 port = (__be16)ctx->user_port;

	if (sock_peer_vip(ctx, a, &port, false)) {
		ctx->user_ip4 = a[0];
		ctx->user_port = port;
	}
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

/*
 * connect6/sendmsg6: the destination in @ctx to an endpoint if it is a
 * service VIP:port of either family. A dual-stack application that
 * reaches an IPv4 service through an IPv4-mapped address
 * (::ffff:10.96.0.10) goes through the IPv4 services and keeps the mapped
 * form.
 */
static __always_inline int sock6_translate(struct bpf_sock_addr *ctx)
{
	__be16 dport = (__be16)ctx->user_port, ep_port = 0;
	__be32 a[4], ep[4] = {};
	int ret;

	sock6_user_ip(ctx, a);
	if (addr6_v4mapped(a))
		ret = sock_choose(ctx, &a[3], dport, &ep[3], &ep_port, false);
	else
		ret = sock_choose(ctx, a, dport, ep, &ep_port, true);
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
	__be32 a[4];
	bool done;

	sock6_user_ip(ctx, a);
	if (addr6_v4mapped(a))
		done = sock_peer_vip(ctx, &a[3], &port, false);
	else
		done = sock_peer_vip(ctx, a, &port, true);
	if (done) {
		sock6_set_user_ip(ctx, a);
		ctx->user_port = port;
	}
}

/*
 * Connection health of balanced TCP sockets: the kernel tells a sockops
 * program what became of a connect() (bpf/health.h counts the rest from
 * packets). The socket's choice (canary_sock or canary_sock6) names the
 * service and version; canary_sockhs keeps the handshake's state.
 */
#define TCP_STATE_SYN_SENT 2 /* BPF_TCP_SYN_SENT */
#define TCP_STATE_ESTABLISHED 1
#define TCP_STATE_CLOSE 7

/* The service and version socket-level balancing chose for @sk. */
static __always_inline bool sock_choice(struct bpf_sock *sk, __u32 *svc_id,
					__u32 *v)
{
	struct canary_sock *s4;
	struct canary_sock6 *s6;

	s4 = bpf_sk_storage_get(&canary_sock, sk, 0, 0);
	if (s4) {
		*svc_id = s4->svc_id;
		*v = s4->version;
		return true;
	}
	s6 = bpf_sk_storage_get(&canary_sock6, sk, 0, 0);
	if (!s6)
		return false;
	*svc_id = s6->svc_id;
	*v = s6->version;
	return true;
}

/* The SYN is about to go: a new connection; ask for the callbacks that
 * tell its fate. */
static __always_inline void sock_health_connect(struct bpf_sock_ops *skops)
{
	struct canary_hs *e;
	struct bpf_sock *sk = skops->sk;
	__u32 svc_id, v;

	if (!sk || !sock_choice(sk, &svc_id, &v))
		return;
	e = bpf_sk_storage_get(&canary_sockhs, sk, 0,
			       BPF_SK_STORAGE_GET_F_CREATE);
	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->svc_id = svc_id;
	e->version = v;
	e->state = CANARY_HS_SYN;
	health_count_new(svc_id, v, e->ts_ns);
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
				  BPF_SOCK_OPS_STATE_CB_FLAG |
				  BPF_SOCK_OPS_RTO_CB_FLAG);
}

/* Established, a SYN retransmitted, or a state change of a socket whose
 * connect() sock_health_connect() saw. */
static __always_inline void sock_health_event(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct canary_hs *e;
	__u64 now;

	if (!sk)
		return;
	e = bpf_sk_storage_get(&canary_sockhs, sk, 0, 0);
	if (!e)
		return;
	now = bpf_ktime_get_ns();
	if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB) {
		health_answered(e, now);
	} else if (skops->op == BPF_SOCK_OPS_RTO_CB) {
		if (skops->state == TCP_STATE_SYN_SENT)
			health_unanswered(e, now);
	} else if (skops->op == BPF_SOCK_OPS_STATE_CB &&
		   skops->args[1] == TCP_STATE_CLOSE) {
		/* Straight from SYN_SENT or ESTABLISHED to CLOSE: a reset (a
		 * graceful close goes through FIN_WAIT or CLOSE_WAIT). */
		if (skops->args[0] == TCP_STATE_SYN_SENT ||
		    skops->args[0] == TCP_STATE_ESTABLISHED)
			health_reset(e, now);
		bpf_sk_storage_delete(&canary_sockhs, sk);
	}
}

#endif /* CANARY_BPF_SOCK_H */
