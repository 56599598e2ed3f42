// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Maglev lookup-table population (Eisenbud et al., NSDI 2016, Pseudocode 1). */
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/maglev.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define SLOT_EMPTY 0xff

/* An endpoint's walk over the table: step k is slot (offset + k * skip) % m.
 * @pos is the slot of the next step; @skip2..4 are 2..4 steps as one add. */
struct maglev_perm {
	__u32 pos;
	__u32 skip;
	__u32 skip2;
	__u32 skip3;
	__u32 skip4;
};

/* (a + b) % m for a, b < m: an add, not a division. */
static inline __u32 add_mod(__u32 a, __u32 b, __u32 m)
{
	return a + b >= m ? a + b - m : a + b;
}

/* Address and port go in as raw network-order words, like the flow hash;
 * an IPv6 address as its 32-bit fold, so IPv4 tables stay as they were. */
static void perm_init(struct maglev_perm *p, const struct canary_ep_cfg *ep,
		      __u32 m)
{
	__be32 a = addr_hash_word(&ep->addr);

	p->pos = canary_jhash_3words(a, ep->port, 0, CANARY_SEED_MAGLEV_OFF) % m;
	p->skip = canary_jhash_3words(a, ep->port, 0,
				      CANARY_SEED_MAGLEV_SKIP) % (m - 1) + 1;
	p->skip2 = add_mod(p->skip, p->skip, m);
	p->skip3 = add_mod(p->skip2, p->skip, m);
	p->skip4 = add_mod(p->skip3, p->skip, m);
}

/*
 * Next empty slot on @p's walk; one exists as long as the table is not full,
 * and m prime makes every walk visit every slot. Most of a build is these
 * steps (about m * ln(m) of them), so four are looked at per round: their
 * slots come from @c by independent adds and the four loads overlap.
 */
static __u32 perm_claim(struct maglev_perm *p, const __u8 *ring, __u32 m)
{
	__u32 c = p->pos, c1, c2, c3;

	for (;;) {
		c1 = add_mod(c, p->skip, m);
		c2 = add_mod(c, p->skip2, m);
		c3 = add_mod(c, p->skip3, m);
		if (ring[c] == SLOT_EMPTY) {
			p->pos = c1;
			return c;
		}
		if (ring[c1] == SLOT_EMPTY) {
			p->pos = c2;
			return c1;
		}
		if (ring[c2] == SLOT_EMPTY) {
			p->pos = c3;
			return c2;
		}
		c = add_mod(c, p->skip4, m);
		if (ring[c3] == SLOT_EMPTY) {
			p->pos = c;
			return c3;
		}
	}
}

/* Up to .n endpoints: .m slots, a prime just under a whole number of
 * 4 KiB chunks (canary_ring_v2 entries). Measured in include/canary.h. */
static const struct {
	int n, m;
} tiers[] = {
	{ 4, 4093 },     /* 1 chunk */
	{ 8, 8191 },     /* 2 chunks */
	{ 16, 16381 },   /* 4 chunks */
	{ 32, 24571 },   /* 6 chunks */
	{ 64, 36857 },   /* 9 chunks */
	{ CANARY_MAX_ENDPOINTS, CANARY_RING_SIZE }, /* 12 chunks */
};

int maglev_table_size(int n)
{
	size_t i;

	if (n < 1)
		return 0;
	for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]) - 1; i++)
		if (n <= tiers[i].n)
			return tiers[i].m;
	return CANARY_RING_SIZE;
}

int maglev_build(const struct canary_ep_cfg *ep, int n, __u8 *ring, int m)
{
	struct maglev_perm *perm;
	int i, filled;

	if (n < 1 || n >= m || n >= SLOT_EMPTY)
		return -EINVAL;
	perm = calloc(n, sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		perm_init(&perm[i], &ep[i], m);
	memset(ring, SLOT_EMPTY, m);
	/* Endpoints take turns, one slot each, so counts differ by <= 1. */
	for (filled = 0, i = 0; filled < m; filled++, i = i + 1 < n ? i + 1 : 0)
		ring[perm_claim(&perm[i], ring, m)] = i;
	free(perm);
	return 0;
}
