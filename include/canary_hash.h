/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow hashes, shared by the BPF programs and user space so tests and
 * tools can predict the data plane's choice. Bob Jenkins' lookup3 as in the
 * kernel's <linux/jhash.h>; the seeds are fixed in canary.h, so every node
 * picks the same version and endpoint for the same flow and config.
 *
 * The includer provides __u32/__be16/__be32 and a definition of
 * CANARY_INLINE (BPF: static __always_inline; user space: static inline).
 */
#ifndef CANARY_HASH_H
#define CANARY_HASH_H

#define CANARY_ROL32(w, s) (((w) << (s)) | ((w) >> (32 - (s))))

#define CANARY_JHASH_FINAL(a, b, c)                  \
	do {                                         \
		c ^= b; c -= CANARY_ROL32(b, 14);    \
		a ^= c; a -= CANARY_ROL32(c, 11);    \
		b ^= a; b -= CANARY_ROL32(a, 25);    \
		c ^= b; c -= CANARY_ROL32(b, 16);    \
		a ^= c; a -= CANARY_ROL32(c, 4);     \
		b ^= a; b -= CANARY_ROL32(a, 14);    \
		c ^= b; c -= CANARY_ROL32(b, 24);    \
	} while (0)

#define CANARY_JHASH_INITVAL 0xdeadbeefu

/* jhash_3words() of the kernel: hashes three 32-bit words with a seed. */
CANARY_INLINE __u32 canary_jhash_3words(__u32 a, __u32 b, __u32 c, __u32 seed)
{
	a += CANARY_JHASH_INITVAL + (3u << 2) + seed;
	b += CANARY_JHASH_INITVAL + (3u << 2) + seed;
	c += CANARY_JHASH_INITVAL + (3u << 2) + seed;
	CANARY_JHASH_FINAL(a, b, c);
	return c;
}

/*
 * Hash of a flow's forward 5-tuple (addresses and ports in network order,
 * taken as raw words). @seed picks an independent hash: CANARY_SEED_VERSION
 * for the version pick, CANARY_SEED_ENDPOINT for the endpoint pick.
 */
CANARY_INLINE __u32 canary_flow_hash(__be32 saddr, __be32 daddr, __be16 sport,
				     __be16 dport, __u8 proto, __u32 seed)
{
	__u32 ports = ((__u32)(__u16)sport << 16) | (__u16)dport;

	return canary_jhash_3words((__u32)saddr, (__u32)daddr, ports,
				   seed ^ proto);
}

/* The canary_vips bit of IPv4 address @vip (raw network-order word):
 * a multiplicative hash's top 16 bits. */
CANARY_INLINE __u32 canary_vip_bit(__be32 vip)
{
	return ((__u32)vip * 0x9E3779B1u) >> 16;
}

/*
 * An IPv6 address folded to the 32 bits the flow hash takes (the words
 * XORed, as the kernel's ipv6_addr_hash() does), so an IPv6 flow hashes
 * through canary_flow_hash() like an IPv4 one.
 */
CANARY_INLINE __be32 canary_addr6_fold(const __be32 *a)
{
	return a[0] ^ a[1] ^ a[2] ^ a[3];
}

/*
 * Version pick: the first version whose cumulative weight (basis points)
 * lies above the flow's bucket. The last version's range is at the top, so
 * raising its weight only ever adds flows to it (a monotone ramp).
 * Returns the version index, or n when every weight is zero.
 */
CANARY_INLINE __u32 canary_pick_version(__u32 hash, const __u16 *cum_bps,
					__u32 n)
{
	__u32 bucket = hash % CANARY_BPS_TOTAL;
	__u32 i;

	for (i = 0; i < CANARY_MAX_VERSIONS; i++) {
		if (i >= n)
			break;
		if (bucket < cum_bps[i])
			return i;
	}
	return n;
}

/*
 * Rendezvous (highest random weight) score of endpoint @addr:@port (raw
 * network-order words; an IPv6 address folded by canary_addr6_fold())
 * for a flow whose endpoint hash (CANARY_SEED_ENDPOINT) is @hash.
 */
CANARY_INLINE __u32 canary_hrw_score(__u32 hash, __be32 addr, __be16 port)
{
	return canary_jhash_3words(hash, (__u32)addr, (__u32)(__u16)port,
				   CANARY_SEED_HRW);
}

/*
 * Endpoint pick of a version without a lookup table (at most
 * CANARY_HRW_MAX entries, see canary.h): of the first @n entries of @ep
 * (addresses as canary_hrw_score() takes them), the one not draining with
 * the highest score, the lower index on a tie. Removing an endpoint moves
 * only its own flows; an added one takes the flows it now scores highest
 * for, about 1/(n+1). Returns the index, or CANARY_MAX_ENDPOINTS when
 * none takes new flows.
 */
CANARY_INLINE __u32 canary_hrw_pick(__u32 hash, const struct canary_endpoint *ep,
				    __u32 n)
{
	__u32 i, s, best = CANARY_MAX_ENDPOINTS, top = 0;

	for (i = 0; i < CANARY_HRW_MAX; i++) {
		if (i >= n)
			break;
		if (ep[i].flags & CANARY_EP_F_DRAINING)
			continue;
		s = canary_hrw_score(hash, ep[i].addr, ep[i].port);
		if (best == CANARY_MAX_ENDPOINTS || s > top) {
			best = i;
			top = s;
		}
	}
	return best;
}

/* canary_hrw_pick() over IPv6 entries, each address folded. */
CANARY_INLINE __u32 canary_hrw_pick6(__u32 hash,
				     const struct canary_endpoint6 *ep, __u32 n)
{
	__u32 i, s, best = CANARY_MAX_ENDPOINTS, top = 0;

	for (i = 0; i < CANARY_HRW_MAX; i++) {
		if (i >= n)
			break;
		if (ep[i].flags & CANARY_EP_F_DRAINING)
			continue;
		s = canary_hrw_score(hash, canary_addr6_fold(ep[i].addr),
				     ep[i].port);
		if (best == CANARY_MAX_ENDPOINTS || s > top) {
			best = i;
			top = s;
		}
	}
	return best;
}

#endif /* CANARY_HASH_H */
