// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Lookup tables by rendezvous hashing: each slot to its top-scoring endpoint. */
#include <errno.h>
#include <stdbool.h>

#include "core/addr.h"
#include "core/hrw_table.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

/* An endpoint's key: address (every word of an IPv6 one) and port, raw
 * network-order words, hashed with the seed plus @round (see keys_init). */
static __u32 ep_key(const struct canary_ep_cfg *ep, __u32 round)
{
	const struct canary_addr *a = &ep->addr;
	__u32 seed = CANARY_SEED_TABLE_KEY + round;

	if (!addr_is_v6(a))
		return canary_jhash_3words(a->v4, ep->port, 0, seed);
	return canary_jhash_3words(canary_jhash_3words(a->v6[0], a->v6[1],
						       a->v6[2], seed),
				   a->v6[3], ep->port, seed);
}

/* Slots are scored in blocks of this many: the block's best scores stay
 * in L1 while every endpoint goes over it, and a fixed trip count, a
 * multiple of every vector width, lets -O2 vectorise the loops. */
#define BLOCK 1024

/*
 * The score of the endpoint keyed @key for slot @j of a block: lowbias32
 * (Chris Wellons' 32-bit integer hash, a bijection) of the key XOR the
 * slot's pair spread by the golden ratio (@spread[j], pair * 0x9e3779b9,
 * one multiply per slot for all endpoints; blocks start at even slots).
 * Being a bijection, two distinct keys never tie on a slot, so the winner
 * does not depend on the endpoints' order. The odd slot of a pair takes the complement (antithetic pairs): the
 * highest score of the pair's even slot, the lowest of its odd one. Both
 * are rankings fixed per slot, so removing an endpoint still moves only
 * its slots; and the two slots of a pair always go to two endpoints, so
 * each share varies less than with independent slots (with two
 * endpoints, each has exactly half).
 */
static inline __u32 block_score(__u32 key, const __u32 *spread, __u32 j)
{
	__u32 x = key ^ spread[j];

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x ^ (0u - (j & 1));
}

/* The block's slots to endpoint @idx (the first one looked at). */
static inline void block_first(__u32 key, __u32 idx, const __u32 *spread,
			       __u32 *top, __u32 *own)
{
	__u32 j;

	for (j = 0; j < BLOCK; j++) {
		top[j] = block_score(key, spread, j);
		own[j] = idx;
	}
}

/* Endpoint @idx takes each slot of the block where it scores above the
 * best so far: branch-free, so it vectorises. */
static inline void block_claim(__u32 key, __u32 idx, const __u32 *spread,
			       __u32 *top, __u32 *own)
{
	__u32 j, sc, win;

	for (j = 0; j < BLOCK; j++) {
		sc = block_score(key, spread, j);
		win = sc > top[j];
		top[j] = win ? sc : top[j];
		own[j] = win ? idx : own[j];
	}
}

/*
 * Nearly all of a build is here. x86-64's baseline (SSE2) has no 32-bit
 * vector multiply: a CPU with AVX2 runs a copy built for it, 8 slots per
 * step, one with SSE4.1 a copy with 4 (each about 4 and 2 times faster
 * than the baseline), picked once at load time. Every copy computes the
 * same scores.
 */
#if defined(__x86_64__)
#define BUILD_CLONES \
	__attribute__((target_clones("avx2", "sse4.1", "default")))
#else
#define BUILD_CLONES
#endif

/* @own[j]: the endpoint (index into @key) of slot @b + j; @n >= 1. */
BUILD_CLONES
static void block_fill(const __u32 *key, int n, __u32 b, __u32 *own)
{
	__u32 top[BLOCK], spread[BLOCK], j;
	int i;

	for (j = 0; j < BLOCK; j++)
		spread[j] = ((b + j) >> 1) * 0x9e3779b9u;
	block_first(key[0], 0, spread, top, own);
	for (i = 1; i < n; i++)
		block_claim(key[i], i, spread, top, own);
}

static int ep_cmp(const struct canary_ep_cfg *x, const struct canary_ep_cfg *y)
{
	int c = addr_cmp(&x->addr, &y->addr);

	return c ? c : (int)ntohs(x->port) - (int)ntohs(y->port);
}

/* Whether @key is among the first @n of @key_of[@order[]]. */
static bool key_taken(__u32 key, const __u32 *key_of, const int *order, int n)
{
	int j;

	for (j = 0; j < n; j++)
		if (key_of[order[j]] == key)
			return true;
	return false;
}

/* @order: 0..n-1 sorted by the endpoints' address and port. */
static void order_by_addr(const struct canary_ep_cfg *ep, int n, int *order)
{
	int i, j, t;

	for (i = 0; i < n; i++) {
		t = i;
		for (j = i; j > 0 && ep_cmp(&ep[order[j - 1]], &ep[t]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
}

/*
 * One key per endpoint, all distinct (equal keys would tie on every slot).
 * Two endpoints' first keys collide with probability 2^-32; then, in
 * order of address and port, each endpoint takes its next round's key
 * until it differs from those of the endpoints before it. So the keys
 * depend on the set, not on the order of @ep.
 */
static void keys_init(const struct canary_ep_cfg *ep, int n, __u32 *key)
{
	int order[CANARY_MAX_ENDPOINTS], i, k;
	__u32 round;
	bool dup = false;

	for (i = 0; i < n; i++) {
		key[i] = ep_key(&ep[i], 0);
		order[i] = i;
		dup = dup || key_taken(key[i], key, order, i);
	}
	if (!dup)
		return;
	order_by_addr(ep, n, order);
	for (i = 1; i < n; i++) {
		k = order[i];
		for (round = 1; key_taken(key[k], key, order, i); round++)
			key[k] = ep_key(&ep[k], round);
	}
}

/* Up to .n endpoints: .m slots, a prime just under a whole number of
 * 4 KiB chunks (canary_ring_v2 entries). Measured in include/canary.h.
 * No tier below 24,571 slots: a share of fewer slots strays from 1/n by
 * more than the disruption bound allows (up to 1.6 points at n = 4 with
 * 4,093 slots, 0.96 at n = 5 with 16,381, over random address sets);
 * only a Local service's version of few pods has a table that small. */
static const struct {
	int n, m;
} tiers[] = {
	{ 32, 24571 },   /* 6 chunks */
	{ 64, 36857 },   /* 9 chunks */
	{ CANARY_MAX_ENDPOINTS, CANARY_RING_SIZE }, /* 12 chunks */
};

int hrw_table_size(int n)
{
	size_t i;

	if (n < 1)
		return 0;
	for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]) - 1; i++)
		if (n <= tiers[i].n)
			return tiers[i].m;
	return CANARY_RING_SIZE;
}

int hrw_table_build(const struct canary_ep_cfg *ep, int n, __u8 *table, int m)
{
	__u32 key[CANARY_MAX_ENDPOINTS], own[BLOCK], b, j, len;

	if (n < 1 || n >= m || n > CANARY_MAX_ENDPOINTS)
		return -EINVAL;
	keys_init(ep, n, key);
	for (b = 0; b < (__u32)m; b += BLOCK) {
		block_fill(key, n, b, own);
		len = m - b < BLOCK ? m - b : BLOCK;
		for (j = 0; j < len; j++)
			table[b + j] = own[j];
	}
	return 0;
}
