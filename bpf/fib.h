/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small per-CPU cache in front of bpf_fib_lookup() for XDP forwarding.
 *
 * With a route and a resolved neighbour the helper costs about 50 ns per
 * packet here (a hit, 10), a third of an established flow, and every
 * packet of a flow asks it the same question. Each CPU keeps FIB_CACHE_SLOTS direct-mapped slots:
 * the lookup's inputs (family, protocol, ingress device, TOS / flow label,
 * source, destination) and what it found (egress device, MACs, MTU, or
 * that it found nothing usable).
 *
 * Staleness bound: a slot serves for FIB_CACHE_MS after the lookup that
 * filled it, counted in jiffies (bpf_jiffies64() is a plain load once
 * JITed; a clock helper call cost 12 ns here, half of what the cache
 * saves), so up to one tick later: a change of route or neighbour (a
 * pod's new MAC) is seen by every packet from FIB_CACHE_MS plus one tick
 * (at most 10 ms) after it. Where the kernel's HZ cannot be read, HZ=100
 * is assumed, which only shortens the lifetime on a faster tick. 100 ms is
 * far below what a route change takes to matter elsewhere (the kernel
 * keeps a STALE neighbour in use for seconds; a TCP retransmission waits
 * 200 ms at least), and refreshes each slot at most 10 times a second.
 * Not cached, so never stale:
 * - whether the egress device still takes our frames: canary_tx is asked
 *   per packet, and the kernel drops a deleted device from it, so a
 *   vanished device sends the next packet up the kernel's path (XDP_PASS),
 *   not into a black hole;
 * - the bridge port behind a MAC (canary_port), asked per packet;
 * - a frame larger than the cached MTU: the helper itself is asked, and
 *   says FRAG_NEEDED.
 * A failed lookup is cached as "leave it to the kernel" (XDP_PASS): a
 * route that appears is used by XDP within the bound, and meanwhile the
 * kernel forwards, as it did before the route was known. Not a neighbour
 * that is not resolved yet (see fib_lookup_cached()).
 */
#ifndef CANARY_BPF_FIB_H
#define CANARY_BPF_FIB_H

#include "common.h"
#include "maps.h"

#define FIB_CACHE_MS 100 /* slot lifetime, see above */
#define FIB_CACHE_MIN_HZ 100 /* assumed when CONFIG_HZ is unknown */

/* The kernel's tick rate, from its config at load time; 0 if unknown
 * (also declared by flowage.h). */
extern int CONFIG_HZ __kconfig __weak;

/* FIB_CACHE_MS in jiffies, rounded down: never longer than the bound. */
static __always_inline __u64 fib_cache_jiffies(void)
{
	__u64 hz = CONFIG_HZ > 0 ? CONFIG_HZ : FIB_CACHE_MIN_HZ;

	return FIB_CACHE_MS * hz / 1000;
}

/*
 * What XDP asks the FIB about a frame it forwards. Only the cache's inputs:
 * a struct bpf_fib_lookup (64 bytes, zeroed) is built only when the
 * kernel is asked, not for every packet a slot answers. An IPv4 question
 * fills src[0] and dst[0] only.
 */
struct fib_question {
	__u32 src[4];
	__u32 dst[4];
	__u32 iif;       /* ingress device */
	__be32 flowinfo; /* IPv6 flow label */
	__u16 tot_len;   /* the frame's L3 length, against the route's MTU */
	__u8 family;     /* AF_INET or AF_INET6 */
	__u8 proto;      /* L4 protocol */
	__u8 tos;        /* IPv4 TOS */
};

/* Which slot caches @q: destination and source (IPv6: folded to a word
 * each) mixed with a multiplicative hash. */
static __always_inline __u32 fib_cache_index(const struct fib_question *q,
					     bool v6)
{
	__u32 d = q->dst[0], s = q->src[0], h;

	if (v6) {
		d ^= q->dst[1] ^ q->dst[2] ^ q->dst[3];
		s ^= q->src[1] ^ q->src[2] ^ q->src[3];
	}
	h = (d * 0x9E3779B1u) ^ s ^ q->iif;
	h ^= h >> 16;
	return (h ^ (h >> 8)) & (FIB_CACHE_SLOTS - 1);
}

/* Whether slot @s holds the answer to @q. */
static __always_inline bool fib_cache_match(const struct fib_cache_slot *s,
					    const struct fib_question *q,
					    bool v6)
{
	int i;

	if (s->family != q->family || s->proto != q->proto ||
	    s->iif != q->iif || s->dst[0] != q->dst[0] ||
	    s->src[0] != q->src[0])
		return false;
	if (!v6)
		return s->tos == q->tos;
	if (s->flowinfo != q->flowinfo)
		return false;
	for (i = 1; i < 4; i++)
		if (s->dst[i] != q->dst[i] || s->src[i] != q->src[i])
			return false;
	return true;
}

/* Makes slot @s hold @q (its answer follows). */
static __always_inline void fib_cache_ask(struct fib_cache_slot *s,
					  const struct fib_question *q, bool v6)
{
	int i;

	s->family = q->family;
	s->proto = q->proto;
	s->iif = q->iif;
	s->tos = v6 ? 0 : q->tos;
	s->flowinfo = v6 ? q->flowinfo : 0;
	s->src[0] = q->src[0];
	s->dst[0] = q->dst[0];
	for (i = 1; i < 4; i++) {
		s->src[i] = v6 ? q->src[i] : 0;
		s->dst[i] = v6 ? q->dst[i] : 0;
	}
}

/*
 * bpf_fib_lookup() itself for @q: on success @a holds the egress device
 * and MACs, and *@mtu the route's MTU. Returns a BPF_FIB_LKUP_RET_* code.
 */
static __always_inline int fib_ask_kernel(struct xdp_md *ctx,
					  const struct fib_question *q, bool v6,
					  struct fib_answer *a, __u16 *mtu)
{
	struct bpf_fib_lookup fib = {};
	int ret, i;

	/* Field by field: clang 14 dropped .family from a designated
	 * initializer of this struct (it has anonymous unions), and the
	 * helper then failed every lookup with -EAFNOSUPPORT. */
	fib.family = q->family;
	fib.l4_protocol = q->proto;
	fib.tot_len = q->tot_len;
	fib.ifindex = q->iif;
	if (v6) {
		fib.flowinfo = q->flowinfo;
		for (i = 0; i < 4; i++) {
			fib.ipv6_src[i] = q->src[i];
			fib.ipv6_dst[i] = q->dst[i];
		}
	} else {
		fib.tos = q->tos;
		fib.ipv4_src = q->src[0];
		fib.ipv4_dst = q->dst[0];
	}
	ret = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (ret == BPF_FIB_LKUP_RET_SUCCESS) {
		a->ifindex = fib.ifindex;
		__builtin_memcpy(a->smac, fib.smac, ETH_ALEN);
		__builtin_memcpy(a->dmac, fib.dmac, ETH_ALEN);
		*mtu = fib.mtu_result;
	}
	return ret;
}

/*
 * The FIB's answer to @q through this CPU's cache: on success @a holds the
 * egress device and MACs. Returns a BPF_FIB_LKUP_RET_* code; a cached
 * failure comes back as BPF_FIB_LKUP_RET_NOT_FWDED, whatever the helper
 * said (every failure means XDP_PASS to the caller).
 */
static __always_inline int fib_lookup_cached(struct xdp_md *ctx,
					     const struct fib_question *q,
					     struct fib_answer *a)
{
	bool v6 = q->family == AF_INET6;
	__u32 idx = fib_cache_index(q, v6);
	struct fib_cache_slot *s = bpf_map_lookup_elem(&canary_fibc, &idx);
	__u64 now = bpf_jiffies64();
	__u16 mtu = 0;
	int ret;

	if (!s)
		return fib_ask_kernel(ctx, q, v6, a, &mtu);
	if (now < s->expires && fib_cache_match(s, q, v6)) {
		if (!s->ok)
			return BPF_FIB_LKUP_RET_NOT_FWDED;
		/* Too big for the cached MTU: the helper says what to do. */
		if (q->tot_len > s->mtu)
			return fib_ask_kernel(ctx, q, v6, a, &mtu);
		*a = s->ans;
		return BPF_FIB_LKUP_RET_SUCCESS;
	}
	/* Invalid while being rewritten: a test run preempted here by
	 * another on this CPU must not read half a slot. */
	s->expires = 0;
	fib_cache_ask(s, q, v6);
	ret = fib_ask_kernel(ctx, q, v6, a, &mtu);
	/* Not cached (the slot stays invalid): a frame too long is about
	 * this frame, not the route; a neighbour not resolved yet is being
	 * resolved by the kernel this very moment, since it takes the frame,
	 * and the flow's next packets should find it, not 100 ms of the
	 * kernel's path. */
	if (ret == BPF_FIB_LKUP_RET_FRAG_NEEDED ||
	    ret == BPF_FIB_LKUP_RET_NO_NEIGH)
		return ret;
	s->ok = ret == BPF_FIB_LKUP_RET_SUCCESS;
	if (s->ok) {
		s->mtu = mtu;
		s->ans = *a;
	}
	s->expires = now + fib_cache_jiffies();
	return ret;
}

#endif /* CANARY_BPF_FIB_H */
