/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small per-CPU cache in front of bpf_fib_lookup() for XDP forwarding.
 *
 * The helper was about a quarter of an established flow's cost (26 of
 * 115 ns in BPF_PROG_TEST_RUN here), and every packet of a flow asks it
 * the same question. Each CPU keeps FIB_CACHE_SLOTS direct-mapped slots:
 * the lookup's inputs (family, protocol, ingress device, TOS / flow label,
 * source, destination) and what it found (egress device, MACs, MTU, or
 * that it found nothing usable).
 *
 * Staleness bound: a slot serves for FIB_CACHE_NS after the lookup that
 * filled it, measured on the coarse clock, which lags the real one by at
 * most a tick: a change of route or neighbour (a pod's new MAC) is seen by
 * every packet from FIB_CACHE_NS plus one tick (at most 10 ms) after it.
 * 100 ms is far below what a route change takes to matter elsewhere (the
 * kernel keeps a STALE neighbour in use for seconds; a TCP retransmission
 * waits 200 ms at least), and refreshes each slot at most 10 times a
 * second. Not cached, so never stale:
 * - whether the egress device still takes our frames: canary_tx is asked
 *   per packet, and the kernel drops a deleted device from it, so a
 *   vanished device sends the next packet up the kernel's path (XDP_PASS),
 *   not into a black hole;
 * - the bridge port behind a MAC (canary_port), asked per packet;
 * - a frame larger than the cached MTU: the helper itself is asked, and
 *   says FRAG_NEEDED.
 * A failed lookup is cached as "leave it to the kernel" (XDP_PASS): a
 * route that appears is used by XDP within the bound, and meanwhile the
 * kernel forwards, as it did before the route was known.
 */
#ifndef CANARY_BPF_FIB_H
#define CANARY_BPF_FIB_H

#include "maps.h"

#define FIB_CACHE_NS (100 * 1000 * 1000ull) /* slot lifetime, see above */

/* Which slot caches @fib's question: destination and source folded to a
 * word each, mixed with a multiplicative hash. */
static __always_inline __u32 fib_cache_index(const struct bpf_fib_lookup *fib)
{
	__u32 d = fib->ipv6_dst[0] ^ fib->ipv6_dst[1] ^ fib->ipv6_dst[2] ^
		  fib->ipv6_dst[3];
	__u32 s = fib->ipv6_src[0] ^ fib->ipv6_src[1] ^ fib->ipv6_src[2] ^
		  fib->ipv6_src[3];
	__u32 h = (d * 0x9E3779B1u) ^ s ^ fib->ifindex;

	h ^= h >> 16;
	return (h ^ (h >> 8)) & (FIB_CACHE_SLOTS - 1);
}

/* Whether slot @s holds the answer to @fib's question (words 0 and 2..11
 * of the lookup; word 1 holds the ports, always 0, and the length, which
 * only the MTU check reads). */
static __always_inline bool fib_cache_match(const struct fib_cache_slot *s,
					    const struct bpf_fib_lookup *fib)
{
	const __u32 *in = (const __u32 *)fib;
	int i;

	if (s->in[0] != in[0])
		return false;
	for (i = 2; i < FIB_CACHE_KEY_WORDS; i++)
		if (s->in[i] != in[i])
			return false;
	return true;
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
	const __u32 *in = (const __u32 *)fib;
	__u32 idx = fib_cache_index(fib);
	struct fib_cache_slot *s = bpf_map_lookup_elem(&canary_fibc, &idx);
	__u64 now = bpf_ktime_get_coarse_ns();
	int ret, i;

	if (!s)
		return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (now < s->expires_ns && fib_cache_match(s, fib)) {
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
	s->expires_ns = 0;
	for (i = 0; i < FIB_CACHE_KEY_WORDS; i++)
		s->in[i] = in[i];
	ret = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (ret == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return ret; /* about this frame's length, not the route */
	s->ok = ret == BPF_FIB_LKUP_RET_SUCCESS;
	if (s->ok) {
		s->mtu = fib->mtu_result;
		s->ifindex = fib->ifindex;
		__builtin_memcpy(s->smac, fib->smac, ETH_ALEN);
		__builtin_memcpy(s->dmac, fib->dmac, ETH_ALEN);
	}
	s->expires_ns = now + FIB_CACHE_NS;
	return ret;
}

#endif /* CANARY_BPF_FIB_H */
