// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A version without endpoints gives its share away instead of
 * black-holing it; a service without any endpoint drops; a removed service
 * is no longer translated. */
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "flows.h"

static int count_to(struct test_env *env, __be32 addr, int n, int *dropped)
{
	struct pkt_spec s;
	struct pkt_view v;
	int i, hits = 0, ret;

	*dropped = 0;
	for (i = 0; i < n; i++) {
		s = synth_flow(50, i, IPPROTO_TCP);
		ret = env_run_spec(env->xdp_fd, &s, &v);
		*dropped += ret == XDP_DROP;
		hits += ret == XDP_PASS && v.daddr == addr;
	}
	return hits;
}

void test_endpoints(void)
{
	struct canary_config cfg;
	struct test_env env;
	int dropped;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 2500, IPPROTO_TCP);

	test__start_subtest("empty_version_gives_share_away");
	cfg.svc[0].v[1].n_endpoints = 0; /* the canary's pods are gone */
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
		goto out;
	ASSERT_EQ(count_to(&env, ip4("10.244.1.21"), 2000, &dropped), 0,
		  "flows to the empty version");
	ASSERT_EQ(dropped, 0, "dropped flows");

	test__start_subtest("no_endpoint_at_all_drops");
	cfg.svc[0].v[0].n_endpoints = 0;
	ASSERT_OK(env_clear_flows(&env), "clear flows");
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
		goto out;
	count_to(&env, 0, 100, &dropped);
	ASSERT_EQ(dropped, 100, "dropped, not leaked to the default route");
	ASSERT_EQ(env_global(&env).no_endpoint, 100, "no_endpoint counter");

	/* Established flows are looked up before their service (lb_flow()):
	 * the change that removes the service must take its flows along. */
	test__start_subtest("removed_service_takes_its_flows");
	config_free(&cfg);
	config_init(&cfg);
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply") ||
	    !ASSERT_EQ(count_to(&env, ip4("10.96.0.10"), 100, &dropped), 0,
		       "100 flows translated"))
		goto out;
	/* Another service stays on the VIP (another port), so its packets
	 * are not told apart by the VIP bitmap. */
	cfg.svc[0].port = htons(5001);
	snprintf(cfg.svc[0].name, sizeof(cfg.svc[0].name), "other-port");
	ASSERT_OK(env_apply(&env, &cfg), "apply without the service");
	ASSERT_EQ(count_to(&env, ip4("10.96.0.10"), 100, &dropped), 100,
		  "their packets pass untranslated");
	config_free(&cfg);
	config_init(&cfg);
	ASSERT_OK(env_apply(&env, &cfg), "apply empty config");

	test__start_subtest("removed_service_passes");
	ASSERT_OK(env_clear_flows(&env), "clear flows");
	ASSERT_EQ(count_to(&env, ip4("10.96.0.10"), 100, &dropped), 100,
		  "packets to the VIP pass untranslated");
out:
	env_teardown(&env);
	config_free(&cfg);
}
