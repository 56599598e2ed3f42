// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The rendezvous endpoint pick (canary_hrw_pick() in canary_hash.h) of
 * versions of at most CANARY_HRW_MAX endpoints, over random endpoint
 * address sets: balance and the disruption bound of issue 3 (removing or
 * adding one of n endpoints moves at most 1/n + 1 point of the version's
 * new flows). Larger versions' tables, built by the same rule per slot:
 * tests/unit/test_hrw_table.c.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <linux/types.h>

#include "canary.h"

#include "harness.h"
#include "rnd_fixture.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define SETS 20      /* random endpoint address sets per n */
#define FLOWS 50000  /* flow hashes per set */
#define BOUND 1.0    /* points over 1/n (issue 3) */
#define BALANCE 1.0  /* points an endpoint's share may be off 1/n */

static int cmp_ep(const void *a, const void *b)
{
	const struct canary_endpoint *x = a, *y = b;
	__u32 ax = ntohl(x->addr), ay = ntohl(y->addr);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return (int)ntohs(x->port) - (int)ntohs(y->port);
}

/* @n distinct random pod addresses in 10.0.0.0/8, one of a few ports,
 * sorted as user space writes them. */
static void random_eps(struct canary_endpoint *ep, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		ep[i].addr = htonl(0x0a000000 | (rnd() & 0xffffff));
		ep[i].port = htons(8080 + rnd() % 3);
		ep[i].flags = 0;
		for (j = 0; j < i; j++)
			if (ep[j].addr == ep[i].addr)
				i--; /* drawn again */
	}
	qsort(ep, n, sizeof(ep[0]), cmp_ep);
}

/* The endpoint hash of test flow @i: client 172.16.x.y:port to a VIP. */
static __u32 flow(int i)
{
	return canary_flow_hash(htonl(0xac100000 + i / 7), htonl(0x0a60000a),
				htons(20000 + i % 40000), htons(80),
				CANARY_PROTO_TCP, CANARY_SEED_ENDPOINT);
}

/* @ep less entry @r, into @less. */
static void without(const struct canary_endpoint *ep, int n, int r,
		    struct canary_endpoint *less)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (i != r)
			less[k++] = ep[i];
}

/*
 * Removal of entry @r of @n: only flows of @r move, and they are at most
 * 1/n + BOUND points. Returns the points over 1/n.
 */
static double check_removal(const struct canary_endpoint *ep, int n, int r)
{
	struct canary_endpoint less[CANARY_HRW_MAX];
	int i, moved = 0, strays = 0;
	__u32 a, b, h;

	without(ep, n, r, less);
	for (i = 0; i < FLOWS; i++) {
		h = flow(i);
		a = canary_hrw_pick(h, ep, n);
		b = canary_hrw_pick(h, less, n - 1);
		b += b >= (__u32)r; /* back to an index of @ep */
		moved += a != b;
		strays += a != b && a != (__u32)r;
	}
	ASSERT_EQ(strays, 0, "flows moved off an endpoint that stayed");
	return 100.0 * moved / FLOWS - 100.0 / n;
}

/* Addition of entry @r to the other @n - 1: only flows to @r move, at
 * most 1/n + BOUND points. Returns the points over 1/n. */
static double check_addition(const struct canary_endpoint *ep, int n, int r)
{
	struct canary_endpoint less[CANARY_HRW_MAX];
	int i, moved = 0, strays = 0;
	__u32 a, b, h;

	without(ep, n, r, less);
	for (i = 0; i < FLOWS; i++) {
		h = flow(i);
		a = canary_hrw_pick(h, less, n - 1);
		a += a >= (__u32)r;
		b = canary_hrw_pick(h, ep, n);
		moved += a != b;
		strays += a != b && b != (__u32)r;
	}
	ASSERT_EQ(strays, 0, "flows moved to an endpoint that was there");
	return 100.0 * moved / FLOWS - 100.0 / n;
}

/* Each endpoint's share of the flows is within BALANCE points of 1/n.
 * Returns the largest deviation. */
static double check_balance(const struct canary_endpoint *ep, int n)
{
	int cnt[CANARY_HRW_MAX] = {}, i;
	double worst = 0, d;

	for (i = 0; i < FLOWS; i++)
		cnt[canary_hrw_pick(flow(i), ep, n)]++;
	for (i = 0; i < n; i++) {
		d = 100.0 * cnt[i] / FLOWS - 100.0 / n;
		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
	}
	ASSERT_TRUE_FMT(worst <= BALANCE, "n=%d: a share is %.2f points off 1/n",
			n, worst);
	return worst;
}

static void test_bound_and_balance(void)
{
	struct canary_endpoint ep[CANARY_HRW_MAX];
	double rm = 0, add = 0, bal = 0, ex;
	int n, s;

	for (n = 2; n <= CANARY_HRW_MAX; n++) {
		for (s = 0; s < SETS; s++) {
			random_eps(ep, n);
			ex = check_removal(ep, n, rnd() % n);
			ASSERT_TRUE_FMT(ex <= BOUND, "n=%d: removal moves %.2f "
					"points over 1/n", n, ex);
			rm = ex > rm ? ex : rm;
			ex = check_addition(ep, n, rnd() % n);
			ASSERT_TRUE_FMT(ex <= BOUND, "n=%d: addition moves %.2f "
					"points over 1/n", n, ex);
			add = ex > add ? ex : add;
			ex = check_balance(ep, n);
			bal = ex > bal ? ex : bal;
		}
	}
	printf("  rendezvous, n = 2..%d, %d random sets of %d flows each: "
	       "largest excess over 1/n removal %.2f, addition %.2f point; "
	       "shares within %.2f point of 1/n\n", CANARY_HRW_MAX, SETS, FLOWS,
	       rm, add, bal);
}

/* A draining entry takes no new flows and the others' flows stay: the
 * same picks as without it. */
static void test_draining(void)
{
	struct canary_endpoint ep[8], less[7];
	int i, diff = 0;
	__u32 a, b;

	random_eps(ep, 8);
	without(ep, 8, 3, less);
	ep[3].flags = CANARY_EP_F_DRAINING;
	for (i = 0; i < FLOWS; i++) {
		a = canary_hrw_pick(flow(i), ep, 8);
		b = canary_hrw_pick(flow(i), less, 7);
		diff += a != b + (b >= 3);
	}
	ASSERT_EQ(diff, 0, "picks that differ from the set without it");
	for (i = 0; i < 8; i++)
		ep[i].flags = CANARY_EP_F_DRAINING;
	ASSERT_EQ(canary_hrw_pick(flow(0), ep, 8), CANARY_MAX_ENDPOINTS,
		  "all draining: none");
	ASSERT_EQ(canary_hrw_pick(flow(0), ep, 0), CANARY_MAX_ENDPOINTS,
		  "no entries: none");
}

/* An IPv6 entry scores as its folded address, so user space can predict
 * IPv6 picks through canary_hrw_pick(). */
static void test_v6_fold(void)
{
	struct canary_endpoint6 e6[5] = {};
	struct canary_endpoint e4[5] = {};
	int i, j, diff = 0;

	for (i = 0; i < 5; i++) {
		for (j = 0; j < 4; j++)
			e6[i].addr[j] = rnd();
		e6[i].port = e4[i].port = htons(8080);
		e4[i].addr = canary_addr6_fold(e6[i].addr);
	}
	for (i = 0; i < 1000; i++)
		diff += canary_hrw_pick6(flow(i), e6, 5) !=
			canary_hrw_pick(flow(i), e4, 5);
	ASSERT_EQ(diff, 0, "IPv6 picks that differ from the folded ones");
}

int main(void)
{
	RUN_TEST(test_bound_and_balance);
	RUN_TEST(test_draining);
	RUN_TEST(test_v6_fold);
	return test__summary();
}
