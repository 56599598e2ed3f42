/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Lookup tables built by rendezvous (highest random weight) hashing: slot s
 * of an @m-slot table holds the endpoint whose score for s is highest. A
 * score mixes the slot number with a 32-bit key hashed from the endpoint's
 * address and port (CANARY_SEED_TABLE_KEY in hrw_table.c; an IPv6 address
 * by all of its words), so the table depends only on the endpoint set, not
 * on the order the endpoints come in, and is the same on every node.
 * Removing an endpoint moves exactly the slots it held; adding one moves
 * only the slots it now wins. Each endpoint's count of slots is binomial
 * around m/n (see include/canary.h for the measured spread).
 *
 * The table format is Maglev's, which this replaces: one byte per slot,
 * an index into the endpoints as given, looked up as hash % m.
 */
#ifndef CANARY_USER_HRW_TABLE_H
#define CANARY_USER_HRW_TABLE_H

#include <linux/types.h>
#include "canary.h"
#include "core/config.h"

/* Seed of the endpoint keys. User space alone builds tables, so it lives
 * here rather than with the seeds the programs share in canary.h. */
#define CANARY_SEED_TABLE_KEY 0x74626c31u

/*
 * The table size for a version of @n endpoints (those the table holds):
 * a prime by tier of n, so that memory and build time follow the
 * endpoints. Within a tier, adding or removing one of n moves the share
 * of that endpoint alone; moving between tiers rebuilds the table at
 * another size: a reshuffle. 0 when n < 1.
 */
int hrw_table_size(int n);

/* Fills @table[0..m-1] with indexes into @ep (distinct endpoints). Returns
 * 0, -EINVAL if n < 1, n >= m or n > CANARY_MAX_ENDPOINTS. */
int hrw_table_build(const struct canary_ep_cfg *ep, int n, __u8 *table, int m);

#endif /* CANARY_USER_HRW_TABLE_H */
