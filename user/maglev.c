// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Maglev lookup-table population (Eisenbud et al., NSDI 2016, Pseudocode 1). */
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define SLOT_EMPTY 0xffff

/* An endpoint's walk over the table: slot k is (offset + k * skip) % m. */
struct maglev_perm {
	__u32 offset;
	__u32 skip;
	__u32 next;
};

/* Address and port go in as raw network-order words, like the flow hash;
 * an IPv6 address as its 32-bit fold, so IPv4 tables stay as they were. */
static void perm_init(struct maglev_perm *p, const struct canary_ep_cfg *ep,
		      int m)
{
	__be32 a = addr_hash_word(&ep->addr);

	p->offset = canary_jhash_3words(a, ep->port, 0,
					CANARY_SEED_MAGLEV_OFF) % m;
	p->skip = canary_jhash_3words(a, ep->port, 0,
				      CANARY_SEED_MAGLEV_SKIP) % (m - 1) + 1;
	p->next = 0;
}

/* Next empty slot on @p's walk; one exists as long as the table is not full,
 * and m prime makes every walk visit every slot. */
static __u32 perm_claim(struct maglev_perm *p, const __u16 *ring, int m)
{
	__u32 c;

	do {
		c = (__u32)(((__u64)p->skip * p->next + p->offset) % m);
		p->next++;
	} while (ring[c] != SLOT_EMPTY);
	return c;
}

int maglev_build(const struct canary_ep_cfg *ep, int n, __u16 *ring, int m)
{
	struct maglev_perm *perm;
	int i, filled = 0;

	if (n < 1 || n >= m || n >= SLOT_EMPTY)
		return -EINVAL;
	perm = calloc(n, sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		perm_init(&perm[i], &ep[i], m);
	for (i = 0; i < m; i++)
		ring[i] = SLOT_EMPTY;
	/* Endpoints take turns, one slot each, so counts differ by <= 1. */
	while (filled < m) {
		for (i = 0; i < n && filled < m; i++) {
			ring[perm_claim(&perm[i], ring, m)] = i;
			filled++;
		}
	}
	free(perm);
	return 0;
}

