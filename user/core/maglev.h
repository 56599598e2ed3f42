/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): fills a lookup
 * table of @m slots (m prime) with endpoint indexes so that each endpoint
 * owns m/n slots give or take one, and adding or removing one endpoint moves
 * few slots. Each endpoint's permutation comes from hashing its address and
 * port (CANARY_SEED_MAGLEV_*; an IPv6 address folded by addr_hash_word()
 * first, an IPv4 one as it is), so the table depends only on the endpoint
 * set, given the endpoints in a fixed (sorted) order.
 */
#ifndef CANARY_USER_MAGLEV_H
#define CANARY_USER_MAGLEV_H

#include <linux/types.h>
#include "canary.h"
#include "core/config.h"

/*
 * The table size for a version of @n endpoints (those the table holds):
 * a prime by tier of n, so that memory and build time follow the
 * endpoints while adding or removing one of n within a tier moves at
 * most about 1/n + 1 point of the slots (see include/canary.h). Moving
 * between tiers rebuilds the table at another size: a reshuffle. 0 when
 * n < 1.
 */
int maglev_table_size(int n);

/* Fills @ring[0..m-1] with indexes into @ep. Returns 0, -EINVAL if n < 1,
 * n >= m or n >= 255, or -ENOMEM. */
int maglev_build(const struct canary_ep_cfg *ep, int n, __u8 *ring, int m);

#endif /* CANARY_USER_MAGLEV_H */
