/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The random address sets of the endpoint-pick tests (test_hrw.c,
 * test_hrw_table.c): xorshift64 from a fixed seed, so every run checks
 * the same sets.
 */
#ifndef CANARY_TEST_RND_FIXTURE_H
#define CANARY_TEST_RND_FIXTURE_H

#include <linux/types.h>

static __u64 rng = 0x9e3779b97f4a7c15ull;

static __u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 16);
}

#endif /* CANARY_TEST_RND_FIXTURE_H */
