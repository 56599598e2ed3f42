// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Lookup tables built by rendezvous hashing: user/core/hrw_table.c. Slot
 * level: a flow lands on a slot by a uniform hash, so a share of slots is
 * the expected share of new flows. Issue 3's bound: adding or removing one
 * of n endpoints moves at most 1/n + 1 point of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "core/hrw_table.h"
#include "harness.h"
#include "rnd_fixture.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define M 24571 /* the smallest tier */
#define M_REAL CANARY_RING_SIZE /* the largest tier */
#define BOUND 1.0 /* points over 1/n (issue 3) */
/* Points a share may be off 1/n, in every tier. */
#define BALANCE 1.0
#define SETS 3       /* random address sets per n, n = 17..128 */
/* The mean squared z-score of the shares over a band's random sets: about
 * (n-2)/(n-1) for a score independent per slot and endpoint (add_z2()),
 * known within a few percent from the thousands of shares. */
#define Z2_LO 0.85
#define Z2_HI 1.10
#define SETS_MANY 40 /* at n = 38, 43, 59: Maglev's worst */

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

static bool same_ep(const struct canary_ep_cfg *a, const struct canary_ep_cfg *b)
{
	return addr_eq(&a->addr, &b->addr) && a->port == b->port;
}

/* A random pod address in 10.0.0.0/8 and one of a few ports, not among
 * the first @n of @ep. */
static struct canary_ep_cfg random_ep(const struct canary_ep_cfg *ep, int n)
{
	struct canary_ep_cfg e = {};
	int i;

	for (;;) {
		e.addr = addr_v4(htonl(0x0a000000 | (rnd() & 0xffffff)));
		e.port = htons(8080 + rnd() % 3);
		for (i = 0; i < n && !same_ep(&ep[i], &e); i++)
			;
		if (i == n)
			return e;
	}
}

static void random_eps(struct canary_ep_cfg *ep, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ep[i] = random_ep(ep, i);
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

/* The largest distance, in points, of an endpoint's share of @ring's
 * slots from 1/n; asserts every slot holds an endpoint. */
static double share_dev(const __u8 *ring, int m, int n)
{
	int cnt[CANARY_MAX_ENDPOINTS], i;
	double d, worst = 0;

	if (!ASSERT_TRUE_FMT(count_slots(ring, m, n, cnt),
			     "n=%d, m=%d: a slot holds no endpoint", n, m))
		return 100;
	for (i = 0; i < n; i++) {
		d = 100.0 * cnt[i] / m - 100.0 / n;
		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
	}
	return worst;
}

/* @n endpoints (consecutive or random addresses) in @m slots: each
 * share within the bound for that size of 1/n. Returns the deviation. */
static double check_balance(const struct canary_ep_cfg *ep, int n, int m)
{
	double dev;

	ASSERT_EQ(hrw_table_build(ep, n, ring_a, m), 0, "hrw_table_build(ep, n, ring_a, m)");
	dev = share_dev(ring_a, m, n);
	ASSERT_TRUE_FMT(dev <= BALANCE,
			"n=%d, m=%d: a share is %.2f points off 1/n", n, m, dev);
	return dev;
}

static void test_balance(void)
{
	static const int ns[] = { 1, 2, 3, 10, 17, 64, 100, CANARY_MAX_ENDPOINTS };
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
	unsigned int i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		make_eps(ep, ns[i]);
		check_balance(ep, ns[i], M_REAL);
		check_balance(ep, ns[i], hrw_table_size(ns[i]));
	}
}

/* Two endpoints: a slot pair's two slots go one to each (antithetic
 * scores), so the odd table's shares are exact but for the last slot. */
static void test_two_exact(void)
{
	struct canary_ep_cfg ep[2];
	int cnt[2], s;

	for (s = 0; s < 20; s++) {
		random_eps(ep, 2);
		ASSERT_EQ(hrw_table_build(ep, 2, ring_a, M), 0, "hrw_table_build(ep, 2, ring_a, M)");
		ASSERT_TRUE(count_slots(ring_a, M, 2, cnt), "invalid slot");
		ASSERT_TRUE_FMT((cnt[0] == M / 2 || cnt[0] == M / 2 + 1) &&
					cnt[0] + cnt[1] == M,
				"slots per endpoint %d and %d", cnt[0], cnt[1]);
	}
}

/* The same endpoints in another order give the same slot -> endpoint
 * mapping (indexes follow the order); a different port another table. */
static void test_deterministic(void)
{
	struct canary_ep_cfg ep[40], rev[40];
	int i, s, diff = 0;

	random_eps(ep, 40);
	for (i = 0; i < 40; i++)
		rev[i] = ep[(i * 7 + 3) % 40]; /* 7 is prime to 40: a shuffle */
	ASSERT_EQ(hrw_table_build(ep, 40, ring_a, M_REAL), 0, "hrw_table_build(ep, 40, ring_a, M_REAL)");
	ASSERT_EQ(hrw_table_build(rev, 40, ring_b, M_REAL), 0, "hrw_table_build(rev, 40, ring_b, M_REAL)");
	for (s = 0; s < M_REAL; s++)
		diff += !same_ep(&ep[ring_a[s]], &rev[ring_b[s]]);
	ASSERT_EQ(diff, 0, "slots whose endpoint depends on the order");
	memset(ring_b, 0x5a, sizeof(ring_b));
	ASSERT_EQ(hrw_table_build(ep, 40, ring_b, M_REAL), 0, "hrw_table_build(ep, 40, ring_b, M_REAL)");
	ASSERT_TRUE(!memcmp(ring_a, ring_b, M_REAL), "tables differ");
	ep[0].port = htons(ntohs(ep[0].port) + 100);
	ASSERT_EQ(hrw_table_build(ep, 40, ring_b, M_REAL), 0, "hrw_table_build(ep, 40, ring_b, M_REAL)");
	ASSERT_TRUE(memcmp(ring_a, ring_b, M_REAL), "port ignored");
}

/* @ep less entry @r, into @less. */
static void without(const struct canary_ep_cfg *ep, int n, int r,
		    struct canary_ep_cfg *less)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (i != r)
			less[k++] = ep[i];
}

/*
 * Points of @m slots whose endpoint differs between table @ta of set @a
 * (@na) and table @tb of set @b (@nb), sets that differ by endpoint @who
 * alone, over 1/n for the larger set. Asserts that every slot that moved
 * moved off @who (a removal) or to @who (an addition), and the bound.
 */
static double check_change(const struct canary_ep_cfg *a, int na,
			   const __u8 *ta, const struct canary_ep_cfg *b,
			   int nb, const __u8 *tb,
			   const struct canary_ep_cfg *who, int m)
{
	int s, moved = 0, strays = 0, n = na > nb ? na : nb;
	const struct canary_ep_cfg *x, *y;
	double pct;

	for (s = 0; s < m; s++) {
		x = &a[ta[s]];
		y = &b[tb[s]];
		if (same_ep(x, y))
			continue;
		moved++;
		strays += !same_ep(x, who) && !same_ep(y, who);
	}
	pct = moved * 100.0 / m;
	ASSERT_EQ(strays, 0, "slots moved between endpoints that stayed");
	ASSERT_TRUE_FMT(pct <= 100.0 / n + BALANCE,
			"n=%d, m=%d, %s: %.2f%% of slots moved, bound %.2f%%", n,
			m, na > nb ? "removal" : "addition", pct,
			100.0 / n + BALANCE);
	return pct - 100.0 / n;
}

/*
 * The @n endpoints of @ep in @m slots (into ring_a): the removal of entry
 * @r_rm, and the addition of entry @r_add to the others. Their excess
 * over 1/n into *@rm and *@add (each asserted within the bound).
 */
static void check_changes(const struct canary_ep_cfg *ep, int n, int r_rm,
			  int r_add, int m, double *rm, double *add)
{
	struct canary_ep_cfg less[CANARY_MAX_ENDPOINTS];

	ASSERT_EQ(hrw_table_build(ep, n, ring_a, m), 0, "hrw_table_build(ep, n, ring_a, m)");
	without(ep, n, r_rm, less);
	ASSERT_EQ(hrw_table_build(less, n - 1, ring_b, m), 0, "hrw_table_build(less, n - 1, ring_b, m)");
	*rm = check_change(ep, n, ring_a, less, n - 1, ring_b, &ep[r_rm], m);
	without(ep, n, r_add, less);
	ASSERT_EQ(hrw_table_build(less, n - 1, ring_b, m), 0, "hrw_table_build(less, n - 1, ring_b, m)");
	*add = check_change(less, n - 1, ring_b, ep, n, ring_a, &ep[r_add], m);
}

static double max2(double a, double b)
{
	return a > b ? a : b;
}

/* Every n from 2 to CANARY_MAX_ENDPOINTS, consecutive addresses, both
 * ways, at the size hrw_table_size() gives n, where n and n - 1 share
 * it (between tiers the table is rebuilt at another size: a reshuffle,
 * counted). Prints the largest excess. */
static void test_disruption(void)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
	double rm = 0, add = 0, r, a;
	int n, m, changes = 0;

	for (n = 2; n <= CANARY_MAX_ENDPOINTS; n++) {
		m = hrw_table_size(n);
		if (m != hrw_table_size(n - 1)) {
			changes++;
			continue;
		}
		make_eps(ep, n);
		check_changes(ep, n, n * 5 / 8, n - 1, m, &r, &a);
		rm = max2(rm, r);
		add = max2(add, a);
	}
	printf("  consecutive addresses, n = 2..%d: largest excess over 1/n "
	       "removal %.2f, addition %.2f point within tiers (%d tier "
	       "changes)\n", CANARY_MAX_ENDPOINTS, rm, add, changes);
}

/* Worst figures over the random sets of one band of n. */
struct band {
	int lo, hi, sets, over; /* over: sets with a change over BOUND */
	double rm, add, dev;
	double z2;   /* sum over shares of their squared z-score */
	int shares;  /* shares summed in z2 */
};

/*
 * Adds to @b the squared distance of each share of @ring from m/n, in
 * standard deviations of a binomial share (independent slots). Their
 * mean is about 1 if each endpoint wins a slot independently with
 * chance 1/n, a little under with antithetic pairs ((n-2)/(n-1)); a
 * score that favours some keys or correlates slots makes it larger.
 */
static void add_z2(const __u8 *ring, int m, int n, struct band *b)
{
	int cnt[CANARY_MAX_ENDPOINTS], i;
	double mean = (double)m / n, var = mean * (1 - 1.0 / n);

	if (!count_slots(ring, m, n, cnt))
		return;
	for (i = 0; i < n; i++)
		b->z2 += (cnt[i] - mean) * (cnt[i] - mean) / var;
	b->shares += n;
}

/* @sets random address sets of @n endpoints in their tier: removal of
 * one, addition of another, balance; worst figures into @b. */
static void random_sets(int n, int sets, struct band *b)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
	int s, m = hrw_table_size(n);
	double rm, add;

	for (s = 0; s < sets; s++) {
		random_eps(ep, n);
		check_changes(ep, n, rnd() % n, rnd() % n, m, &rm, &add);
		b->dev = max2(b->dev, share_dev(ring_a, m, n));
		add_z2(ring_a, m, n, b);
		b->rm = max2(b->rm, rm);
		b->add = max2(b->add, add);
		b->over += rm > BOUND || add > BOUND;
		b->sets++;
	}
}

/*
 * The open defect of Maglev tables: their excess depended on the
 * addresses (2.4-2.6 points at n = 38, 43, 59 over random sets). Random
 * sets for every n of a version with a table, many at those n, in the
 * size hrw_table_size() gives n endpoints (at n = 17, 33, 65 the table
 * of n - 1 has another size in use, a reshuffle: built at n's size here
 * to check the build itself).
 */
static void test_random_sets(void)
{
	static const int many[] = { 38, 43, 59 };
	struct band b[] = { { .lo = 17, .hi = 32 }, { .lo = 33, .hi = 64 },
			    { .lo = 65, .hi = CANARY_MAX_ENDPOINTS } };
	unsigned int i, k;
	double z2;
	int n;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		for (n = b[i].lo; n <= b[i].hi; n++) {
			random_sets(n, SETS, &b[i]);
			for (k = 0; k < sizeof(many) / sizeof(many[0]); k++)
				if (n == many[k])
					random_sets(n, SETS_MANY - SETS, &b[i]);
		}
		ASSERT_EQ(b[i].over, 0, "sets over the bound");
		ASSERT_TRUE_FMT(b[i].dev <= BALANCE, "n=%d..%d: a share %.2f points "
				"off 1/n", b[i].lo, b[i].hi, b[i].dev);
		z2 = b[i].z2 / b[i].shares;
		ASSERT_TRUE_FMT(z2 > Z2_LO && z2 < Z2_HI, "n=%d..%d: shares vary "
				"%.3f times as much as binomial ones", b[i].lo,
				b[i].hi, z2);
		printf("  random addresses, n = %d..%d, %d sets: largest excess "
		       "over 1/n removal %.2f, addition %.2f point; shares "
		       "within %.2f point of 1/n, variance %.3f of a binomial "
		       "share's\n", b[i].lo, b[i].hi, b[i].sets, b[i].rm,
		       b[i].add, b[i].dev, z2);
	}
}

/*
 * Tables of at most 16 endpoints (only a Local service's version of this
 * node's pods has one): the smallest tier, 24,571 slots, keeps the bound
 * there too (Maglev's 4,093-slot tier moved up to 6 points over 1/n at
 * n = 3, rendezvous in 4,093 slots up to 1.6 at n = 4).
 */
static void test_small_tiers(void)
{
	struct band b = { .lo = 2, .hi = CANARY_HRW_MAX };
	int n;

	for (n = b.lo; n <= b.hi; n++)
		random_sets(n, 20, &b);
	ASSERT_EQ(b.over, 0, "sets over the bound");
	ASSERT_TRUE_FMT(b.dev <= BALANCE, "n=2..%d: a share %.2f points off 1/n",
			CANARY_HRW_MAX, b.dev);
	printf("  random addresses, n = 2..%d, %d sets: largest excess over 1/n "
	       "removal %.2f, addition %.2f point (%d sets over %.0f), shares "
	       "within %.2f point\n", CANARY_HRW_MAX, b.sets, b.rm, b.add,
	       b.over, BOUND, b.dev);
}

/* The tiers: sizes grow with n, are prime, fill most of their last 4 KiB
 * chunk, end at CANARY_RING_SIZE, and each keeps the balance. */
static void test_tiers(void)
{
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
	int n, m, prev = 0, d;

	ASSERT_EQ(hrw_table_size(0), 0, "no endpoints, no table");
	for (n = 1; n <= CANARY_MAX_ENDPOINTS; n++) {
		m = hrw_table_size(n);
		ASSERT_TRUE_FMT(m >= prev, "n=%d: %d slots after %d", n, m, prev);
		for (d = 2; d * d <= m; d++)
			if (m % d == 0)
				break;
		ASSERT_TRUE_FMT(d * d > m, "n=%d: %d slots is not prime", n, m);
		ASSERT_TRUE_FMT(m % CANARY_RING_CHUNK > CANARY_RING_CHUNK - 16,
				"n=%d: %d slots leave most of a chunk empty", n, m);
		if (m != prev) {
			make_eps(ep, n);
			check_balance(ep, n, m);
		}
		prev = m;
	}
	ASSERT_EQ(prev, CANARY_RING_SIZE, "the largest tier");
}

/*
 * Two endpoints whose first keys collide (found by search: 10.3.117.152
 * and 10.3.206.135, port 8080): without distinct keys they would tie on
 * every slot and one would get none. Each gets its share, whatever the
 * order, and the removal of the one later by address moves only its
 * slots. (The removal of the earlier one gives the later its first key
 * back, so its slots move too: about 1/n more, for a pair of 2^32.)
 */
static void test_key_collision(void)
{
	struct canary_ep_cfg ep[6], rev[6];
	int i, s, diff = 0;
	double rm, add;

	random_eps(ep, 6);
	ep[1].addr = addr_v4(htonl(0x0a037598));
	ep[4].addr = addr_v4(htonl(0x0a03ce87));
	ep[1].port = ep[4].port = htons(8080);
	ASSERT_EQ(canary_jhash_3words(ep[1].addr.v4, ep[1].port, 0,
				      CANARY_SEED_TABLE_KEY),
		  canary_jhash_3words(ep[4].addr.v4, ep[4].port, 0,
				      CANARY_SEED_TABLE_KEY), "first keys collide");
	check_balance(ep, 6, M_REAL);
	for (i = 0; i < 6; i++)
		rev[i] = ep[5 - i];
	ASSERT_EQ(hrw_table_build(rev, 6, ring_b, M_REAL), 0, "hrw_table_build(rev, 6, ring_b, M_REAL)");
	for (s = 0; s < M_REAL; s++)
		diff += !same_ep(&ep[ring_a[s]], &rev[ring_b[s]]);
	ASSERT_EQ(diff, 0, "slots whose endpoint depends on the order");
	check_changes(ep, 6, 4, 4, M_REAL, &rm, &add);
}

/* lowbias32 of the key XOR the slot pair times the golden ratio, the odd
 * slot of a pair complemented: the documented score, written out. */
static __u32 ref_score(__u32 key, __u32 s)
{
	__u32 x = key ^ (s / 2 * 0x9e3779b9u);

	x = (x ^ (x >> 16)) * 0x7feb352du;
	x = (x ^ (x >> 15)) * 0x846ca68bu;
	x ^= x >> 16;
	return s % 2 ? ~x : x;
}

/* The documented key: jhash of the IPv4 address and port, or of the
 * first three words of an IPv6 address, then of that, the last word
 * and the port. */
static __u32 ref_key(const struct canary_ep_cfg *ep)
{
	const __u32 *w = ep->addr.v6;
	__u32 seed = CANARY_SEED_TABLE_KEY;

	if (ep->addr.af == AF_INET)
		return canary_jhash_3words(ep->addr.v4, ep->port, 0, seed);
	return canary_jhash_3words(canary_jhash_3words(w[0], w[1], w[2], seed),
				   w[3], ep->port, seed);
}

/* Each slot to the highest score, one slot and endpoint at a time. */
static void reference_table(const struct canary_ep_cfg *ep, int n, __u8 *t,
			    int m)
{
	__u32 sc, top;
	int s, i;

	for (s = 0; s < m; s++) {
		for (i = 0, top = 0; i < n; i++) {
			sc = ref_score(ref_key(&ep[i]), s);
			if (!i || sc > top) {
				top = sc;
				t[s] = i;
			}
		}
	}
}

/* IPv6 endpoints 2001:db8:0:X::Y, sorted. */
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

static void test_matches_reference(void)
{
	struct canary_ep_cfg ep[40];
	int n;

	for (n = 1; n <= 40; n += 13) {
		make_eps(ep, n);
		ASSERT_EQ(hrw_table_build(ep, n, ring_a, M), 0, "hrw_table_build(ep, n, ring_a, M)");
		reference_table(ep, n, ring_b, M);
		ASSERT_TRUE_FMT(!memcmp(ring_a, ring_b, M),
				"n=%d: table differs from the reference", n);
		make_eps6(ep, n);
		ASSERT_EQ(hrw_table_build(ep, n, ring_a, M), 0, "hrw_table_build(ep, n, ring_a, M)");
		reference_table(ep, n, ring_b, M);
		ASSERT_TRUE_FMT(!memcmp(ring_a, ring_b, M),
				"n=%d: IPv6 table differs from the reference", n);
	}
	check_balance(ep, 40, M_REAL);
}

/* IPv6 addresses that fold (XOR of the words) to the same 32 bits are
 * distinct endpoints: the key takes every word. */
static void test_v6_fold_distinct(void)
{
	struct canary_ep_cfg ep[2];

	make_eps6(ep, 2);
	ep[1].addr.v6[3] = ep[0].addr.v6[3] ^ htonl(0x100);
	ep[1].addr.v6[2] = ep[0].addr.v6[2] ^ htonl(0x100);
	ASSERT_EQ(canary_addr6_fold(ep[0].addr.v6),
		  canary_addr6_fold(ep[1].addr.v6), "same fold");
	check_balance(ep, 2, M);
}

static void test_bad_args(void)
{
	struct canary_ep_cfg ep[3];

	make_eps(ep, 3);
	ASSERT_EQ(hrw_table_build(ep, 0, ring_a, M), -EINVAL, "hrw_table_build(ep, 0, ring_a, M)");
	ASSERT_EQ(hrw_table_build(ep, -1, ring_a, M), -EINVAL, "hrw_table_build(ep, -1, ring_a, M)");
	ASSERT_EQ(hrw_table_build(ep, 3, ring_a, 3), -EINVAL, "hrw_table_build(ep, 3, ring_a, 3)");
	ASSERT_EQ(hrw_table_build(ep, 3, ring_a, 2), -EINVAL, "hrw_table_build(ep, 3, ring_a, 2)");
	ASSERT_EQ(hrw_table_build(ep, CANARY_MAX_ENDPOINTS + 1, ring_a, M), -EINVAL,
		  "more endpoints than an index holds");
	/* Smallest legal table: n = m - 1, every slot filled. */
	memset(ring_a, 0xff, 4);
	ASSERT_EQ(hrw_table_build(ep, 2, ring_a, 3), 0, "hrw_table_build(ep, 2, ring_a, 3)");
	ASSERT_TRUE(ring_a[0] < 2 && ring_a[1] < 2 && ring_a[2] < 2, "bad slot");
	ASSERT_EQ(ring_a[3], 0xff, "wrote past the table");
}

int main(void)
{
	RUN_TEST(test_balance);
	RUN_TEST(test_two_exact);
	RUN_TEST(test_deterministic);
	RUN_TEST(test_disruption);
	RUN_TEST(test_random_sets);
	RUN_TEST(test_small_tiers);
	RUN_TEST(test_tiers);
	RUN_TEST(test_key_collision);
	RUN_TEST(test_matches_reference);
	RUN_TEST(test_v6_fold_distinct);
	RUN_TEST(test_bad_args);
	return test__summary();
}
