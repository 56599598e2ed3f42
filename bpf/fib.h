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

#include "maps.h"

#define FIB_CACHE_MS 100 /* slot lifetime, see above */
#define FIB_CACHE_MIN_HZ 100 /* assumed when CONFIG_HZ is unknown */

/* The kernel's tick rate, from its config at load time; 0 if unknown. */
extern int CONFIG_HZ __kconfig __weak;

/* FIB_CACHE_MS in jiffies, rounded down: never longer than the bound. */
static __always_inline __u64 fib_cache_jiffies(void)
{
	__u64 hz = CONFIG_HZ > 0 ? CONFIG_HZ : FIB_CACHE_MIN_HZ;

	return FIB_CACHE_MS * hz / 1000;
}

/* Which slot caches @fib's question: destination and source (IPv6: folded
 * to a word each) mixed with a multiplicative hash. */
static __always_inline __u32 fib_cache_index(const struct bpf_fib_lookup *fib,
					     bool v6)
{
	__u32 d = fib->ipv6_dst[0], s = fib->ipv6_src[0], h;

	if (v6) {
		d ^= fib->ipv6_dst[1] ^ fib->ipv6_dst[2] ^ fib->ipv6_dst[3];
		s ^= fib->ipv6_src[1] ^ fib->ipv6_src[2] ^ fib->ipv6_src[3];
	}
	h = (d * 0x9E3779B1u) ^ s ^ fib->ifindex;
	h ^= h >> 16;
	return (h ^ (h >> 8)) & (FIB_CACHE_SLOTS - 1);
}

/*
 * Whether slot @s holds the answer to @fib's question. Field by field at
 * their own widths: reading the lookup back in whole words, over fields
 * just stored as bytes, stalled the CPU (store forwarding) for about as
 * long as the compare itself.
 */
static __always_inline bool fib_cache_match(const struct fib_cache_slot *s,
					    const struct bpf_fib_lookup *fib,
					    bool v6)
{
	int i;

	if (s->family != fib->family || s->proto != fib->l4_protocol ||
	    s->iif != fib->ifindex || s->dst[0] != fib->ipv6_dst[0] ||
	    s->src[0] != fib->ipv6_src[0])
		return false;
	if (!v6)
		return s->tos == fib->tos;
	if (s->flowinfo != fib->flowinfo)
		return false;
	for (i = 1; i < 4; i++)
		if (s->dst[i] != fib->ipv6_dst[i] || s->src[i] != fib->ipv6_src[i])
			return false;
	return true;
}

/* Makes slot @s hold @fib's question (before the helper overwrites it). */
static __always_inline void fib_cache_ask(struct fib_cache_slot *s,
					  const struct bpf_fib_lookup *fib)
{
	int i;

	s->family = fib->family;
	s->proto = fib->l4_protocol;
	s->iif = fib->ifindex;
	s->tos = fib->tos;
	s->flowinfo = fib->family == AF_INET6 ? fib->flowinfo : 0;
	for (i = 0; i < 4; i++) {
		s->dst[i] = fib->ipv6_dst[i];
		s->src[i] = fib->ipv6_src[i];
	}
}

/*
 * bpf_fib_lookup() for an XDP frame through this CPU's cache: @fib is
 * filled in as the helper would (egress ifindex, MACs) on success.
 * Returns a BPF_FIB_LKUP_RET_* code; a cached failure comes back as
 * BPF_FIB_LKUP_RET_NOT_FWDED, whatever the helper said (every failure
 * means XDP_PASS to the caller).
 */
static __always_inline int fib_lookup_cached(struct xdp_md *ctx,
					     struct bpf_fib_lookup *fib)
{
	bool v6 = fib->family == AF_INET6;
	__u32 idx = fib_cache_index(fib, v6);
	struct fib_cache_slot *s = bpf_map_lookup_elem(&canary_fibc, &idx);
	__u64 now = bpf_jiffies64();
	int ret;

	if (!s)
		return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (now < s->expires && fib_cache_match(s, fib, v6)) {
		if (!s->ok)
			return BPF_FIB_LKUP_RET_NOT_FWDED;
		/* Too big for the cached MTU: the helper says what to do. */
		if (fib->tot_len > s->mtu)
			return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
		fib->ifindex = s->ifindex;
		__builtin_memcpy(fib->smac, s->smac, ETH_ALEN);
		__builtin_memcpy(fib->dmac, s->dmac, ETH_ALEN);
		return BPF_FIB_LKUP_RET_SUCCESS;
	}
	/* Invalid while being rewritten: a test run preempted here by
	 * another on this CPU must not read half a slot. */
	s->expires = 0;
	fib_cache_ask(s, fib);
	ret = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
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
		s->mtu = fib->mtu_result;
		s->ifindex = fib->ifindex;
		__builtin_memcpy(s->smac, fib->smac, ETH_ALEN);
		__builtin_memcpy(s->dmac, fib->dmac, ETH_ALEN);
	}
	s->expires = now + fib_cache_jiffies();
	return ret;
}

#endif /* CANARY_BPF_FIB_H */
