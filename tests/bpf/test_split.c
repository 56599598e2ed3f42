// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Over 100,000 new flows the canary's share stays within 0.5 percentage
 * points of its weight, at every weight a rollout uses. */
#include <stdio.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "flows.h"

#define N_FLOWS 100000

/* Share of @n new flows (family @fam) that reached the v2 endpoint, in %. */
static double v2_share(struct test_env *env, __u32 fam, int n)
{
	__be32 v2 = ip4("10.244.1.21");
	struct pkt_spec s;
	struct pkt_view v;
	int i, hits = 0;

	for (i = 0; i < n; i++) {
		s = synth_flow(fam, i, IPPROTO_TCP);
		if (env_run_spec(env->xdp_fd, &s, &v) != XDP_PASS || !v.ok)
			return -1;
		hits += v.daddr == v2;
	}
	return 100.0 * hits / n;
}

void test_split(void)
{
	static const double weights[] = { 1, 10, 25, 50, 90, 99 };
	struct canary_config cfg;
	struct test_env env;
	char name[32];
	size_t i;
	double got;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 0, IPPROTO_TCP);
	for (i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		snprintf(name, sizeof(name), "v2_at_%g_pct", weights[i]);
		test__start_subtest(name);
		cfg.svc[0].v[1].weight_bps = weights[i] * 100;
		cfg.svc[0].v[0].weight_bps = 10000 - weights[i] * 100;
		if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
			continue;
		got = v2_share(&env, i + 1, N_FLOWS);
		printf("  v2 weight %g%%: %.2f%% of %d new flows\n", weights[i],
		       got, N_FLOWS);
		ASSERT_TRUE(got >= 0, "every flow translated");
		ASSERT_LE(got > weights[i] ? got - weights[i] : weights[i] - got,
			  0.5, "share within 0.5 pt of the weight");
	}
	test__start_subtest("counters_match");
	{
		struct canary_vstats a = env_vstats(&env, 0, 0);
		struct canary_vstats b = env_vstats(&env, 0, 1);

		ASSERT_EQ(a.new_flows + b.new_flows, 6 * N_FLOWS,
			  "new flows counted per version");
		ASSERT_EQ(a.packets + b.packets, 6 * N_FLOWS, "packets counted");
	}
out:
	env_teardown(&env);
	config_free(&cfg);
}
