// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Moving the weight moves only the flows that must move, only towards the
 * canary, and never an established flow. */
#include <stdio.h>
#include <stdlib.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "flows.h"

#define N_FLOWS 100000
#define N_STICKY 2000

static int set_v2(struct test_env *env, struct canary_config *cfg, int pct)
{
	env_seed_v2(cfg, pct);
	return env_apply(env, cfg);
}

/* The endpoint of each of @n new flows (the flow table emptied first, so
 * each is a fresh choice). */
static int new_flow_choices(struct test_env *env, __be32 *dst, int n)
{
	struct pkt_spec s;
	struct pkt_view v;
	int i;

	if (env_clear_flows(env))
		return -1;
	for (i = 0; i < n; i++) {
		s = synth_flow(200, i, IPPROTO_TCP);
		if (env_run_spec(env->xdp_fd, &s, &v) != XDP_PASS || !v.ok)
			return -1;
		dst[i] = v.daddr;
	}
	return 0;
}

static void ramp_without_flow_table(struct test_env *env,
				    struct canary_config *cfg)
{
	__be32 *at25 = calloc(N_FLOWS, sizeof(__be32));
	__be32 *at50 = calloc(N_FLOWS, sizeof(__be32));
	__be32 v2 = ip4("10.244.1.21");
	int i, moved = 0, v2_lost = 0;

	test__start_subtest("25_to_50_moves_only_what_must");
	if (!ASSERT_TRUE(at25 && at50, "memory") ||
	    !ASSERT_OK(set_v2(env, cfg, 25), "v2=25") ||
	    !ASSERT_OK(new_flow_choices(env, at25, N_FLOWS), "flows at 25") ||
	    !ASSERT_OK(set_v2(env, cfg, 50), "v2=50") ||
	    !ASSERT_OK(new_flow_choices(env, at50, N_FLOWS), "flows at 50"))
		goto out;
	for (i = 0; i < N_FLOWS; i++) {
		moved += at25[i] != at50[i];
		v2_lost += at25[i] == v2 && at50[i] != v2;
	}
	printf("  v2 25%% -> 50%%: %.2f%% of %d flows reassigned\n",
	       100.0 * moved / N_FLOWS, N_FLOWS);
	ASSERT_LE(100.0 * moved / N_FLOWS, 25.5,
		  "reassigned flows, % of all (25 pt must move)");
	test__start_subtest("ramp_is_monotone");
	ASSERT_EQ(v2_lost, 0, "flows that left v2 when its weight rose");
	for (i = 0; i < N_FLOWS; i++)
		if (at25[i] != at50[i] &&
		    !ASSERT_EQ(at50[i], v2, "a moved flow moved to v2"))
			break;
out:
	free(at25);
	free(at50);
}

/* Established flows keep their endpoint through v2 = 0 -> 50 -> 100. */
static void established_flows_stay(struct test_env *env,
				   struct canary_config *cfg)
{
	static const int steps[] = { 50, 100 };
	__be32 *first = calloc(N_STICKY, sizeof(__be32));
	__be32 *now = calloc(N_STICKY, sizeof(__be32));
	struct pkt_spec s;
	struct pkt_view v;
	size_t k;
	int i;

	test__start_subtest("established_flows_keep_endpoint");
	if (!ASSERT_TRUE(first && now, "memory") ||
	    !ASSERT_OK(set_v2(env, cfg, 0), "v2=0") ||
	    !ASSERT_OK(new_flow_choices(env, first, N_STICKY), "flows at 0"))
		goto out;
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		if (!ASSERT_OK(set_v2(env, cfg, steps[k]), "set v2"))
			goto out;
		for (i = 0; i < N_STICKY; i++) {
			s = synth_flow(200, i, IPPROTO_TCP);
			s.tcp_flags = 0x10; /* ACK: mid-connection */
			env_run_spec(env->xdp_fd, &s, &v);
			now[i] = v.daddr;
		}
		ASSERT_MEM_EQ(now, first, N_STICKY * sizeof(__be32),
			      "every established flow on its first endpoint");
	}
	test__start_subtest("new_flows_follow_new_weight");
	s = synth_flow(201, 1, IPPROTO_TCP);
	env_run_spec(env->xdp_fd, &s, &v);
	for (i = 0; i < 1000; i++) {
		s = synth_flow(201, i, IPPROTO_TCP);
		env_run_spec(env->xdp_fd, &s, &v);
		if (!ASSERT_EQ(v.daddr, ip4("10.244.1.21"), "new flow at v2=100"))
			break;
	}
out:
	free(first);
	free(now);
}

void test_ramp(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 0, IPPROTO_TCP);
	ramp_without_flow_table(&env, &cfg);
	established_flows_stay(&env, &cfg);
out:
	env_teardown(&env);
	config_free(&cfg);
}
