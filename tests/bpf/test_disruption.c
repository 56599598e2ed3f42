// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Issue 3: removing or adding one endpoint of a version moves at most
 * 1/n + 1 point of that version's new flows (n endpoints before a removal,
 * after an addition), and none of another version's. 100,000 synthetic
 * flows through the real program, counted without the flow table, at
 * several n up to CANARY_MAX_ENDPOINTS. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "flows.h"
#include "core/hrw_table.h"

#define N_FLOWS 100000
#define V2_BPS 1000 /* v2 takes 10 %: v1 keeps 90,000 flows to measure */

static int choices(struct test_env *env, __be32 *dst)
{
	struct pkt_spec s;
	struct pkt_view v;
	int i;

	if (env_clear_flows(env))
		return -1;
	for (i = 0; i < N_FLOWS; i++) {
		s = synth_flow(120, i, IPPROTO_TCP);
		if (env_run_spec(env->xdp_fd, &s, &v) != XDP_PASS || !v.ok)
			return -1;
		dst[i] = v.daddr;
	}
	return 0;
}

/* v1's endpoints: 10.244.2.1 onwards, @n of them without the one at
 * @skip (-1: none), then @extra if not 0. */
static void set_v1(struct canary_config *cfg, int n, int skip, __be32 extra)
{
	struct canary_version_cfg *v1 = &cfg->svc[0].v[0];
	int e, k = 0;

	for (e = 0; e < n; e++) {
		if (e == skip)
			continue;
		v1->ep[k].addr = addr_v4(htonl(ntohl(ip4("10.244.2.1")) + e));
		v1->ep[k].port = htons(5050);
		v1->ep[k++].flags = 0;
	}
	if (extra) {
		v1->ep[k].addr = addr_v4(extra);
		v1->ep[k].port = htons(5050);
		v1->ep[k++].flags = 0;
	}
	v1->n_endpoints = k;
}

/* Compares two runs: share of v1 flows moved against 1/@n + 1 point, and
 * v2 flows moved (none may). */
static void compare(const __be32 *a, const __be32 *b, int n, const char *what)
{
	__be32 v2 = ip4("10.244.1.21");
	int i, v1 = 0, v1_moved = 0, v2_moved = 0;
	double pct;
	char msg[128];

	for (i = 0; i < N_FLOWS; i++) {
		if (a[i] == v2 || b[i] == v2) {
			v2_moved += a[i] != b[i];
			continue;
		}
		v1++;
		v1_moved += a[i] != b[i];
	}
	pct = 100.0 * v1_moved / (v1 ? v1 : 1);
	printf("  %s: %.2f%% of v1's %d flows moved, 1/n %+.2f point "
	       "(bound 1/n + 1), %d of v2's\n", what, pct, v1, pct - 100.0 / n,
	       v2_moved);
	snprintf(msg, sizeof(msg), "%s: v1 flows moved, %%", what);
	ASSERT_LE(pct, 100.0 / n + 1, msg);
	ASSERT_EQ(v2_moved, 0, "v2 flows moved");
}

/* With @n endpoints: remove the middle one (n -> n-1), then add one that
 * sorts first, so every index shifts (n-1 -> n). */
static void check_n(struct test_env *env, struct canary_config *cfg, int n,
		    __be32 *base, __be32 *less, __be32 *more)
{
	char what[64];

	set_v1(cfg, n, -1, 0);
	if (!ASSERT_OK(env_apply(env, cfg), "apply n") ||
	    !ASSERT_OK(choices(env, base), "flows with n"))
		return;
	set_v1(cfg, n, n / 2, 0);
	if (!ASSERT_OK(env_apply(env, cfg), "apply n-1") ||
	    !ASSERT_OK(choices(env, less), "flows with n-1"))
		return;
	snprintf(what, sizeof(what), "remove 1 of %d", n);
	compare(base, less, n, what);
	set_v1(cfg, n, n / 2, ip4("10.244.1.200"));
	if (!ASSERT_OK(env_apply(env, cfg), "apply n-1 + 1") ||
	    !ASSERT_OK(choices(env, more), "flows with n-1 + 1"))
		return;
	snprintf(what, sizeof(what), "add 1 to %d", n - 1);
	compare(less, more, n, what);
}

/* Version @v's table of @m slots in config slot @gen of service 0, from
 * canary_ring_v2. */
static int read_table(struct test_env *env, int v, __u32 gen, __u8 *table,
		      int m)
{
	struct canary_ring_key k = { .version = v, .gen = gen };
	static struct canary_ring chunk;

	for (k.chunk = 0; k.chunk * CANARY_RING_CHUNK < m; k.chunk++) {
		if (bpf_map_lookup_elem(env->st.ring_fd, &k, &chunk))
			return -1;
		memcpy(table + k.chunk * CANARY_RING_CHUNK, chunk.slot,
		       CANARY_RING_CHUNK);
	}
	return 0;
}

/* A weight change copies v1's table from the live slot (its
 * endpoints did not change): the copy is the table hrw_table_build() gives
 * for those endpoints, and so is the one built when one of them drains. */
static void check_copied(struct test_env *env, struct canary_config *cfg)
{
	static __u8 want[CANARY_RING_MAX_CHUNKS * CANARY_RING_CHUNK];
	static __u8 got[CANARY_RING_MAX_CHUNKS * CANARY_RING_CHUNK];
	struct canary_version_cfg *v1 = &cfg->svc[0].v[0];
	int gen, m = hrw_table_size(30);

	set_v1(cfg, 30, -1, 0); /* sorted already: ep[] indexes are slots' */
	if (!ASSERT_OK(env_apply(env, cfg), "apply 30") ||
	    !ASSERT_OK(hrw_table_build(v1->ep, 30, want, m),
		       "build"))
		return;
	cfg->svc[0].v[1].weight_bps = 2 * V2_BPS;
	v1->weight_bps = CANARY_BPS_TOTAL - 2 * V2_BPS;
	if (!ASSERT_OK(env_apply(env, cfg), "apply new weights"))
		return;
	gen = state_service_slot(&env->st, 0);
	if (ASSERT_OK(read_table(env, 0, gen, got, m), "read copied table"))
		ASSERT_TRUE(!memcmp(got, want, m),
			    "copied table is the built one");
	/* 10.244.2.1 drains: the others' table, their indexes one up */
	v1->ep[0].flags = CANARY_EP_F_DRAINING;
	if (!ASSERT_OK(env_apply(env, cfg), "apply draining") ||
	    !ASSERT_OK(hrw_table_build(v1->ep + 1, 29, want, m),
		       "build 29"))
		return;
	gen = state_service_slot(&env->st, 0);
	if (!ASSERT_OK(read_table(env, 0, gen, got, m), "read rebuilt table"))
		return;
	for (gen = 0; gen < m; gen++)
		if (got[gen] != want[gen] + 1)
			break;
	ASSERT_EQ(gen, m, "slots matching the rebuilt table");
	v1->ep[0].flags = 0;
	cfg->svc[0].v[1].weight_bps = V2_BPS;
	v1->weight_bps = CANARY_BPS_TOTAL - V2_BPS;
}

/* Every chunk of version @v's table of @m slots in config slot @gen of
 * service 0 to endpoint 0, the last chunk's build tag set to @tag. */
static int overwrite_table(struct test_env *env, int v, __u32 gen, int m,
			   __u8 tag)
{
	struct canary_ring_key k = { .version = v, .gen = gen };
	static struct canary_ring chunk;

	memset(&chunk, 0, sizeof(chunk));
	for (k.chunk = 0; k.chunk * CANARY_RING_CHUNK < m; k.chunk++) {
		if ((k.chunk + 1) * CANARY_RING_CHUNK >= m)
			chunk.slot[CANARY_RING_CHUNK - 1] = tag;
		if (bpf_map_update_elem(env->st.ring_fd, &k, &chunk, BPF_ANY))
			return -1;
	}
	return 0;
}

/* v1's tables (30 endpoints) in every config slot made all endpoint 0,
 * tagged @tag, then a weight change: whether the written slot's table is
 * the built one (else the overwritten one, kept or copied). */
static bool rebuilt_after(struct test_env *env, struct canary_config *cfg,
			  __u8 tag, const __u8 *want, __u8 *got, int m)
{
	__u16 *w = &cfg->svc[0].v[1].weight_bps;

	__u32 gen;

	for (gen = 0; gen < CANARY_GENERATIONS; gen++)
		if (overwrite_table(env, 0, gen, m, tag))
			return false;
	*w = *w == V2_BPS ? 2 * V2_BPS : V2_BPS;
	cfg->svc[0].v[0].weight_bps = CANARY_BPS_TOTAL - *w;
	if (env_apply(env, cfg) ||
	    read_table(env, 0, state_service_slot(&env->st, 0), got, m))
		return false;
	return !memcmp(got, want, m);
}

/* A table is reused (kept or copied) only with this build's tag in its
 * last chunk: an older build's (Maglev) table, without it, is rebuilt by
 * the next change of its service, a weight change included. */
static void check_build_tag(struct test_env *env, struct canary_config *cfg)
{
	static __u8 want[CANARY_RING_MAX_CHUNKS * CANARY_RING_CHUNK];
	static __u8 got[CANARY_RING_MAX_CHUNKS * CANARY_RING_CHUNK];
	int m = hrw_table_size(30);

	set_v1(cfg, 30, -1, 0);
	if (!ASSERT_OK(env_apply(env, cfg), "apply 30") ||
	    !ASSERT_OK(hrw_table_build(cfg->svc[0].v[0].ep, 30, want, m),
		       "build"))
		return;
	ASSERT_TRUE(!rebuilt_after(env, cfg, CANARY_RING_BUILD, want, got, m),
		    "a tagged table is kept or copied as it is");
	ASSERT_EQ(got[m / 2], 0, "the copy is the overwritten table");
	ASSERT_TRUE(rebuilt_after(env, cfg, 0, want, got, m),
		    "an untagged table is rebuilt");
	cfg->svc[0].v[1].weight_bps = V2_BPS;
	cfg->svc[0].v[0].weight_bps = CANARY_BPS_TOTAL - V2_BPS;
}

void test_disruption(void)
{
	static const int sizes[] = { 10, 30, 64, 100, CANARY_MAX_ENDPOINTS };
	__be32 *base = calloc(N_FLOWS, sizeof(__be32));
	__be32 *less = calloc(N_FLOWS, sizeof(__be32));
	__be32 *more = calloc(N_FLOWS, sizeof(__be32));
	struct canary_config cfg;
	struct test_env env;
	char name[32];
	unsigned int i;

	config_init(&cfg);
	if (!ASSERT_TRUE(base && less && more, "memory") || env_setup(&env))
		goto out;
	env_seed_config(&cfg, V2_BPS, IPPROTO_TCP);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), "endpoints_%d", sizes[i]);
		test__start_subtest(name);
		check_n(&env, &cfg, sizes[i], base, less, more);
	}
	test__start_subtest("table_copied");
	check_copied(&env, &cfg);
	test__start_subtest("untagged_table_rebuilt");
	check_build_tag(&env, &cfg);
	env_teardown(&env);
out:
	free(base);
	free(less);
	free(more);
	config_free(&cfg);
}
