// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Removing or adding one endpoint of a version moves at most 1/n + 1
 * point of that version's new flows, and none of another version's
 * (100,000 synthetic flows, counted without the flow table). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/bpf.h>

#include "bpf_test.h"
#include "env.h"
#include "flows.h"

#define N_FLOWS 100000
#define N_V1 10

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

static void set_v1(struct canary_config *cfg, int n)
{
	struct canary_version_cfg *v1 = &cfg->svc[0].v[0];
	int e;

	v1->n_endpoints = n;
	for (e = 0; e < n; e++) {
		v1->ep[e].addr = addr_v4(htonl(ntohl(ip4("10.244.2.1")) + e));
		v1->ep[e].port = htons(5050);
		v1->ep[e].flags = 0;
	}
}

/* Compares two runs: share of v1 flows moved, and v2 flows moved. */
static void compare(const __be32 *a, const __be32 *b, int n_v1_before,
		    const char *what)
{
	__be32 v2 = ip4("10.244.1.21");
	int i, v1 = 0, v1_moved = 0, v2_moved = 0;
	char msg[128];

	for (i = 0; i < N_FLOWS; i++) {
		if (a[i] == v2 || b[i] == v2) {
			v2_moved += a[i] != b[i];
			continue;
		}
		v1++;
		v1_moved += a[i] != b[i];
	}
	printf("  %s: %.2f%% of v1's flows moved (bound %.2f%%), %d of v2's\n",
	       what, 100.0 * v1_moved / v1, 100.0 / n_v1_before + 1, v2_moved);
	snprintf(msg, sizeof(msg), "%s: v1 flows moved, %%", what);
	ASSERT_LE(100.0 * v1_moved / v1, 100.0 / n_v1_before + 1, msg);
	ASSERT_EQ(v2_moved, 0, "v2 flows moved");
}

void test_disruption(void)
{
	__be32 *base = calloc(N_FLOWS, sizeof(__be32));
	__be32 *other = calloc(N_FLOWS, sizeof(__be32));
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (!ASSERT_TRUE(base && other, "memory") || env_setup(&env))
		goto out;
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	set_v1(&cfg, N_V1);
	test__start_subtest("remove_one_of_10");
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply 10") ||
	    !ASSERT_OK(choices(&env, base), "flows with 10"))
		goto teardown;
	/* Drop the 5th endpoint: its slot takes the last one's. */
	cfg.svc[0].v[0].ep[4] = cfg.svc[0].v[0].ep[N_V1 - 1];
	cfg.svc[0].v[0].n_endpoints = N_V1 - 1;
	if (ASSERT_OK(env_apply(&env, &cfg), "apply 9") &&
	    ASSERT_OK(choices(&env, other), "flows with 9"))
		compare(base, other, N_V1, "remove 1 of 10");

	test__start_subtest("add_one_to_10");
	set_v1(&cfg, N_V1 + 1);
	if (ASSERT_OK(env_apply(&env, &cfg), "apply 11") &&
	    ASSERT_OK(choices(&env, other), "flows with 11"))
		compare(base, other, N_V1 + 1, "add 1 to 10");
teardown:
	env_teardown(&env);
out:
	free(base);
	free(other);
	config_free(&cfg);
}
