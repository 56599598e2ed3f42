// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Maglev table population: user/maglev.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "maglev.h"
#include "unit.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define M 4093 /* the former fixed table size; any prime works */

static __u8 ring_a[M], ring_b[M];

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
static bool count_slots(const __u8 *ring, int n, int *cnt)
{
	int i;

	memset(cnt, 0, n * sizeof(*cnt));
	for (i = 0; i < M; i++) {
		if (ring[i] >= n)
			return false;
		cnt[ring[i]]++;
	}
	return true;
}

/* Maglev's turn-taking fill gives each endpoint floor(M/n) or
 * ceil(M/n) slots: max - min <= 1. */
static void check_balance(int n)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
	int cnt[CANARY_MAX_ENDPOINTS], i, lo = M, hi = 0;

	make_eps(ep, n);
	CHECK_EQ(maglev_build(ep, n, ring_a, M), 0);
	CHECK(count_slots(ring_a, n, cnt), "n=%d: a slot holds no endpoint", n);
	for (i = 0; i < n; i++) {
		lo = cnt[i] < lo ? cnt[i] : lo;
		hi = cnt[i] > hi ? cnt[i] : hi;
	}
	CHECK(lo == M / n && hi <= M / n + 1,
	      "n=%d: slots per endpoint %d..%d, want %d..%d", n, lo, hi, M / n,
	      M / n + 1);
}

static void test_balance(void)
{
	check_balance(1);
	check_balance(2);
	check_balance(3);
	check_balance(10);
	check_balance(100);
	check_balance(CANARY_MAX_ENDPOINTS);
}

static void test_three_exact(void)
{
	struct canary_ep_cfg ep[3];
	int cnt[3], i;

	make_eps(ep, 3);
	CHECK_EQ(maglev_build(ep, 3, ring_a, M), 0);
	CHECK(count_slots(ring_a, 3, cnt), "invalid slot");
	for (i = 0; i < 3; i++)
		CHECK(cnt[i] == 1364 || cnt[i] == 1365, "endpoint %d owns %d", i,
		      cnt[i]);
	CHECK_EQ(cnt[0] + cnt[1] + cnt[2], M);
}

static void test_deterministic(void)
{
	struct canary_ep_cfg ep[10];

	make_eps(ep, 10);
	CHECK_EQ(maglev_build(ep, 10, ring_a, M), 0);
	memset(ring_b, 0x5a, sizeof(ring_b));
	CHECK_EQ(maglev_build(ep, 10, ring_b, M), 0);
	CHECK(!memcmp(ring_a, ring_b, sizeof(ring_a)), "rings differ");
	/* A different port is a different endpoint: a different ring. */
	ep[0].port = htons(5051);
	CHECK_EQ(maglev_build(ep, 10, ring_b, M), 0);
	CHECK(memcmp(ring_a, ring_b, sizeof(ring_a)), "port ignored");
}

/* Slot owner by identity: the address, as indexes shift on removal. */
static __be32 owner(const struct canary_ep_cfg *ep, const __u8 *ring, int s)
{
	return ep[ring[s]].addr.v4;
}

/*
 * Removes endpoint @r of @n: every slot it owned goes elsewhere, and of
 * the other slots at most @max_pct percent change owner. Maglev promises
 * "few", not a bound; the limits below are measured values (about 1 % at
 * n = 10, 3 % at n = 80 with 4093 slots) with headroom, as a regression
 * guard.
 */
static void check_removal(int n, int r, double max_pct)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS], less[CANARY_MAX_ENDPOINTS];
	int s, k = 0, moved = 0;

	make_eps(ep, n);
	for (s = 0; s < n; s++)
		if (s != r)
			less[k++] = ep[s];
	CHECK_EQ(maglev_build(ep, n, ring_a, M), 0);
	CHECK_EQ(maglev_build(less, n - 1, ring_b, M), 0);
	for (s = 0; s < M; s++) {
		if (ring_a[s] == r) {
			CHECK(owner(less, ring_b, s) != ep[r].addr.v4, "slot %d kept", s);
			continue;
		}
		moved += owner(ep, ring_a, s) != owner(less, ring_b, s);
	}
	CHECK(moved * 100.0 / M <= max_pct,
	      "n=%d, removing %d moved %d of %d other slots (%.2f%% > %.1f%%)",
	      n, r, moved, M, moved * 100.0 / M, max_pct);
}

static void test_disruption(void)
{
	int r;

	for (r = 0; r < 10; r++)
		check_removal(10, r, 2.0);
	for (r = 0; r < 3; r++)
		check_removal(3, r, 1.0);
	check_removal(80, 0, 5.0);
	check_removal(80, 40, 5.0);
	check_removal(80, 79, 5.0);
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
	memset(ring, 0xff, M * sizeof(*ring));
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
		CHECK_EQ(maglev_build(ep, n, ring_a, M), 0);
		reference_ring(ep, n, ring_b);
		CHECK(!memcmp(ring_a, ring_b, sizeof(ring_a)),
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
		CHECK_EQ(maglev_build(ep, n, ring_a, M), 0);
		reference_ring(ep, n, ring_b);
		CHECK(!memcmp(ring_a, ring_b, sizeof(ring_a)),
		      "n=%d: IPv6 ring differs from the reference", n);
	}
	CHECK(count_slots(ring_a, 10, cnt), "invalid slot");
	for (i = 0; i < 10; i++) {
		lo = cnt[i] < lo ? cnt[i] : lo;
		hi = cnt[i] > hi ? cnt[i] : hi;
	}
	CHECK(hi - lo <= 1, "IPv6 slots per endpoint %d..%d", lo, hi);
}

static void test_bad_args(void)
{
	struct canary_ep_cfg ep[3];

	make_eps(ep, 3);
	CHECK_EQ(maglev_build(ep, 0, ring_a, M), -EINVAL);
	CHECK_EQ(maglev_build(ep, -1, ring_a, M), -EINVAL);
	CHECK_EQ(maglev_build(ep, 3, ring_a, 3), -EINVAL);
	CHECK_EQ(maglev_build(ep, 3, ring_a, 2), -EINVAL);
	/* Smallest legal table: n = m - 1, every slot filled. */
	CHECK_EQ(maglev_build(ep, 2, ring_a, 3), 0);
	CHECK(ring_a[0] < 2 && ring_a[1] < 2 && ring_a[2] < 2, "bad slot");
}

int main(void)
{
	RUN(test_balance);
	RUN(test_three_exact);
	RUN(test_deterministic);
	RUN(test_disruption);
	RUN(test_matches_reference);
	RUN(test_v6_matches_reference);
	RUN(test_bad_args);
	return UNIT_DONE();
}
