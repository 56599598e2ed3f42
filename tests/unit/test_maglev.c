// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Maglev table population: user/core/maglev.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "core/maglev.h"
#include "harness.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define M 4093 /* a small prime: the algorithm is the same at any size */
#define M_REAL CANARY_RING_SIZE /* what write_ring() builds */

static __u8 ring_a[M_REAL], ring_b[M_REAL];

/* Endpoints 10.244.x.y:5050, sorted as the callers pass them. */
static void make_eps(struct canary_ep_cfg *ep, int n)
{
	int i;

	memset(ep, 0, n * sizeof(*ep));
	for (i = 0; i < n; i++) {
		ep[i].addr = addr_v4(htonl(0x0af40000 + i + 1));
		ep[i].port = htons(5050);
	}
}

/* Slots owned by each endpoint; false if a slot holds no valid index. */
static bool count_slots(const __u8 *ring, int m, int n, int *cnt)
{
	int i;

	memset(cnt, 0, n * sizeof(*cnt));
	for (i = 0; i < m; i++) {
		if (ring[i] >= n)
			return false;
		cnt[ring[i]]++;
	}
	return true;
}

/* Maglev's turn-taking fill gives each endpoint floor(m/n) or
 * ceil(m/n) slots: max - min <= 1. */
static void check_balance(int n, int m)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
	int cnt[CANARY_MAX_ENDPOINTS], i, lo = m, hi = 0;

	make_eps(ep, n);
	ASSERT_EQ(maglev_build(ep, n, ring_a, m), 0, "maglev_build(ep, n, ring_a, m)");
	ASSERT_TRUE_FMT(count_slots(ring_a, m, n, cnt), "n=%d: a slot holds no endpoint",
			n);
	for (i = 0; i < n; i++) {
		lo = cnt[i] < lo ? cnt[i] : lo;
		hi = cnt[i] > hi ? cnt[i] : hi;
	}
	ASSERT_TRUE_FMT(lo == m / n && hi <= m / n + 1,
			"n=%d, m=%d: slots per endpoint %d..%d, want %d..%d", n, m, lo,
			hi, m / n, m / n + 1);
}

static void test_balance(void)
{
	static const int ns[] = { 1, 2, 3, 10, 64, 100, CANARY_MAX_ENDPOINTS };
	unsigned int i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		check_balance(ns[i], M);
		check_balance(ns[i], M_REAL);
	}
}

static void test_three_exact(void)
{
	struct canary_ep_cfg ep[3];
	int cnt[3], i;

	make_eps(ep, 3);
	ASSERT_EQ(maglev_build(ep, 3, ring_a, M), 0, "maglev_build(ep, 3, ring_a, M)");
	ASSERT_TRUE(count_slots(ring_a, M, 3, cnt), "invalid slot");
	for (i = 0; i < 3; i++)
		ASSERT_TRUE_FMT(cnt[i] == 1364 || cnt[i] == 1365, "endpoint %d owns %d", i,
				cnt[i]);
	ASSERT_EQ(cnt[0] + cnt[1] + cnt[2], M, "cnt[0] + cnt[1] + cnt[2]");
}

static void test_deterministic(void)
{
	struct canary_ep_cfg ep[10];

	make_eps(ep, 10);
	ASSERT_EQ(maglev_build(ep, 10, ring_a, M), 0, "maglev_build(ep, 10, ring_a, M)");
	memset(ring_b, 0x5a, sizeof(ring_b));
	ASSERT_EQ(maglev_build(ep, 10, ring_b, M), 0, "maglev_build(ep, 10, ring_b, M)");
	ASSERT_TRUE(!memcmp(ring_a, ring_b, M), "rings differ");
	/* A different port is a different endpoint: a different ring. */
	ep[0].port = htons(5051);
	ASSERT_EQ(maglev_build(ep, 10, ring_b, M), 0, "maglev_build(ep, 10, ring_b, M)");
	ASSERT_TRUE(memcmp(ring_a, ring_b, M), "port ignored");
}

/*
 * Slots of an @m-slot table whose owner (by address: indexes shift when
 * the set changes) differs between endpoint sets @a and @b, as a percentage
 * of @m. A flow lands on a slot by a uniform hash, so this is the expected
 * share of new flows that change endpoint.
 */
static double moved_pct(const struct canary_ep_cfg *a, int na,
			const struct canary_ep_cfg *b, int nb, int m)
{
	int s, moved = 0;

	ASSERT_EQ(maglev_build(a, na, ring_a, m), 0, "maglev_build(a, na, ring_a, m)");
	ASSERT_EQ(maglev_build(b, nb, ring_b, m), 0, "maglev_build(b, nb, ring_b, m)");
	for (s = 0; s < m; s++)
		moved += a[ring_a[s]].addr.v4 != b[ring_b[s]].addr.v4;
	return moved * 100.0 / m;
}

/*
 * Issue 3's bound at the real table size: with n endpoints after an
 * addition or before a removal, at most 1/n + 1 point of the flows move.
 * Removal: endpoint @r of 10.244.0.1..n goes. Addition: 10.245.0.1 (sorted
 * last) joins 10.244.0.1..n-1. Returns the excess over 1/n, in points.
 */
static double check_bound(int n, int r, bool add, int m)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS], other[CANARY_MAX_ENDPOINTS];
	double pct;
	int s, k = 0;

	make_eps(ep, n);
	if (add) {
		memcpy(other, ep, (n - 1) * sizeof(*ep));
		other[n - 1] = ep[0];
		other[n - 1].addr = addr_v4(htonl(0x0af50001));
		pct = n > 1 ? moved_pct(ep, n - 1, other, n, m) : 100;
	} else {
		for (s = 0; s < n; s++)
			if (s != r)
				other[k++] = ep[s];
		pct = n > 1 ? moved_pct(ep, n, other, n - 1, m) : 100;
	}
	ASSERT_TRUE_FMT(pct <= 100.0 / n + 1,
			"n=%d, %s %d: %.2f%% of slots moved, bound %.2f%%", n,
			add ? "adding to" : "removing", add ? n - 1 : r, pct,
			100.0 / n + 1);
	return pct - 100.0 / n;
}

/* Every n from 1 to CANARY_MAX_ENDPOINTS, both ways; the removed endpoint
 * moves through the sorted order. Prints the largest excess. At the
 * largest size, and at the size maglev_table_size() gives n endpoints
 * where n and n - 1 share it (between tiers the table is rebuilt at
 * another size: a reshuffle, counted). */
static void test_disruption(void)
{
	double ex, worst_rm = 0, worst_add = 0, tier_rm = 0, tier_add = 0;
	int n, m, changes = 0;

	for (n = 1; n <= CANARY_MAX_ENDPOINTS; n++) {
		ex = check_bound(n, n * 5 / 8, false, M_REAL);
		worst_rm = ex > worst_rm ? ex : worst_rm;
		ex = check_bound(n, 0, true, M_REAL);
		worst_add = ex > worst_add ? ex : worst_add;
		m = maglev_table_size(n);
		if (n > 1 && m != maglev_table_size(n - 1)) {
			changes++;
			continue;
		}
		ex = check_bound(n, n * 5 / 8, false, m);
		tier_rm = ex > tier_rm ? ex : tier_rm;
		ex = check_bound(n, 0, true, m);
		tier_add = ex > tier_add ? ex : tier_add;
	}
	printf("  largest excess over 1/n, n = 1..%d: removal %.2f, addition "
	       "%.2f point at %d slots; %.2f, %.2f within tiers (%d tier "
	       "changes)\n", CANARY_MAX_ENDPOINTS, worst_rm, worst_add, M_REAL,
	       tier_rm, tier_add, changes);
}

/* The tiers: sizes grow with n, are prime, fill most of their last 4 KiB
 * chunk, end at CANARY_RING_SIZE, and each gives every endpoint its
 * share of slots give or take one. */
static void test_tiers(void)
{
	int n, m, prev = 0, d;

	ASSERT_EQ(maglev_table_size(0), 0, "no endpoints, no table");
	for (n = 1; n <= CANARY_MAX_ENDPOINTS; n++) {
		m = maglev_table_size(n);
		ASSERT_TRUE_FMT(m >= prev, "n=%d: %d slots after %d", n, m, prev);
		for (d = 2; d * d <= m; d++)
			if (m % d == 0)
				break;
		ASSERT_TRUE_FMT(d * d > m, "n=%d: %d slots is not prime", n, m);
		ASSERT_TRUE_FMT(m % CANARY_RING_CHUNK > CANARY_RING_CHUNK - 16,
				"n=%d: %d slots leave most of a chunk empty", n, m);
		if (m != prev)
			check_balance(n, m);
		prev = m;
	}
	ASSERT_EQ(prev, CANARY_RING_SIZE, "the largest tier");
}

/* A removed endpoint keeps none of its slots. */
static void test_removed_gone(void)
{
	struct canary_ep_cfg ep[10], less[9];
	int s, k = 0;

	make_eps(ep, 10);
	for (s = 0; s < 10; s++)
		if (s != 4)
			less[k++] = ep[s];
	ASSERT_EQ(maglev_build(ep, 10, ring_a, M), 0, "maglev_build(ep, 10, ring_a, M)");
	ASSERT_EQ(maglev_build(less, 9, ring_b, M), 0, "maglev_build(less, 9, ring_b, M)");
	for (s = 0; s < M; s++)
		if (ring_a[s] == 4)
			ASSERT_TRUE_FMT(less[ring_b[s]].addr.v4 != ep[4].addr.v4,
					"slot %d kept", s);
}

/* The address word the permutation hashes: the IPv4 address itself, or
 * the four words of an IPv6 address XORed (the documented fold). */
static __u32 ref_word(const struct canary_addr *a)
{
	if (a->af == AF_INET6)
		return a->v6[0] ^ a->v6[1] ^ a->v6[2] ^ a->v6[3];
	return a->v4;
}

/* Pseudocode 1 of the Maglev paper, written out plainly with the whole
 * permutation table and the documented offset/skip hashes. */
static void reference_ring(const struct canary_ep_cfg *ep, int n, __u8 *ring)
{
	static __u32 perm[10][M];
	int next[10] = {}, i, j, filled = 0;
	__u32 off, skip, c;

	for (i = 0; i < n; i++) {
		off = canary_jhash_3words(ref_word(&ep[i].addr), ep[i].port, 0,
					  CANARY_SEED_MAGLEV_OFF) % M;
		skip = canary_jhash_3words(ref_word(&ep[i].addr), ep[i].port, 0,
					   CANARY_SEED_MAGLEV_SKIP) % (M - 1) + 1;
		for (j = 0; j < M; j++)
			perm[i][j] = (off + (__u64)j * skip) % M;
	}
	memset(ring, 0xff, M);
	for (;;) {
		for (i = 0; i < n; i++) {
			do {
				c = perm[i][next[i]++];
			} while (ring[c] != 0xff);
			ring[c] = i;
			if (++filled == M)
				return;
		}
	}
}

static void test_matches_reference(void)
{
	struct canary_ep_cfg ep[10];
	int n;

	for (n = 1; n <= 10; n += 3) {
		make_eps(ep, n);
		ASSERT_EQ(maglev_build(ep, n, ring_a, M), 0, "maglev_build(ep, n, ring_a, M)");
		reference_ring(ep, n, ring_b);
		ASSERT_TRUE_FMT(!memcmp(ring_a, ring_b, M),
				"n=%d: ring differs from the reference", n);
	}
}

/* IPv6 endpoints 2001:db8:0:X::Y, sorted: the permutation takes the
 * folded address, so the table is the reference's over those words. */
static void make_eps6(struct canary_ep_cfg *ep, int n)
{
	int i;

	memset(ep, 0, n * sizeof(*ep));
	for (i = 0; i < n; i++) {
		ep[i].addr.af = AF_INET6;
		ep[i].addr.v6[0] = htonl(0x20010db8);
		ep[i].addr.v6[1] = htonl(i / 3);
		ep[i].addr.v6[3] = htonl(i + 1);
		ep[i].port = htons(8080);
	}
}

static void test_v6_matches_reference(void)
{
	struct canary_ep_cfg ep[10];
	int n, cnt[10], i, lo = M, hi = 0;

	for (n = 1; n <= 10; n += 3) {
		make_eps6(ep, n);
		ASSERT_EQ(maglev_build(ep, n, ring_a, M), 0, "maglev_build(ep, n, ring_a, M)");
		reference_ring(ep, n, ring_b);
		ASSERT_TRUE_FMT(!memcmp(ring_a, ring_b, M),
				"n=%d: IPv6 ring differs from the reference", n);
	}
	ASSERT_TRUE(count_slots(ring_a, M, 10, cnt), "invalid slot");
	for (i = 0; i < 10; i++) {
		lo = cnt[i] < lo ? cnt[i] : lo;
		hi = cnt[i] > hi ? cnt[i] : hi;
	}
	ASSERT_TRUE_FMT(hi - lo <= 1, "IPv6 slots per endpoint %d..%d", lo, hi);
}

static void test_bad_args(void)
{
	struct canary_ep_cfg ep[3];

	make_eps(ep, 3);
	ASSERT_EQ(maglev_build(ep, 0, ring_a, M), -EINVAL, "maglev_build(ep, 0, ring_a, M)");
	ASSERT_EQ(maglev_build(ep, -1, ring_a, M), -EINVAL, "maglev_build(ep, -1, ring_a, M)");
	ASSERT_EQ(maglev_build(ep, 3, ring_a, 3), -EINVAL, "maglev_build(ep, 3, ring_a, 3)");
	ASSERT_EQ(maglev_build(ep, 3, ring_a, 2), -EINVAL, "maglev_build(ep, 3, ring_a, 2)");
	/* 0xff marks an empty slot while building */
	ASSERT_EQ(maglev_build(ep, 255, ring_a, M), -EINVAL, "maglev_build(ep, 255, ring_a, M)");
	/* Smallest legal table: n = m - 1, every slot filled. */
	ASSERT_EQ(maglev_build(ep, 2, ring_a, 3), 0, "maglev_build(ep, 2, ring_a, 3)");
	ASSERT_TRUE(ring_a[0] < 2 && ring_a[1] < 2 && ring_a[2] < 2, "bad slot");
}

int main(void)
{
	RUN_TEST(test_balance);
	RUN_TEST(test_three_exact);
	RUN_TEST(test_deterministic);
	RUN_TEST(test_disruption);
	RUN_TEST(test_tiers);
	RUN_TEST(test_removed_gone);
	RUN_TEST(test_matches_reference);
	RUN_TEST(test_v6_matches_reference);
	RUN_TEST(test_bad_args);
	return test__summary();
}
