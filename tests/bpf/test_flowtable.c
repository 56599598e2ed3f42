// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A full flow table: three times its size in distinct new flows, and new
 * flows keep splitting within 1 point of the weights once it is full,
 * every one translated. An evicted flow's next packet is placed anew: to
 * the same endpoint while the config is unchanged, and by the previous
 * config during the grace period when it is a mid-connection TCP packet.
 * The size is set at load time (attach --flow-entries), and a pinned table
 * of another size is refused.
 */
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "canary.skel.h"
#include "harness.h"
#include "env.h"
#include "dataplane/stats.h"
#include "flows.h"
#include "dataplane/loader.h"

#define SMALL_TABLE 4096

static __u32 table_size(struct test_env *env)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(env->st.flow_fd, &info, &len))
		return 0;
	return info.max_entries;
}

/*
 * Sends @n new flows of family @fam; counts, over those after the first
 * @warm (the table full by then), the share that went to v2 in @share.
 * Returns false if a packet was not translated.
 */
static bool fill(struct test_env *env, __u32 fam, int n, int warm,
		 double *share)
{
	__be32 vip = ip4("10.96.0.10"), v2 = ip4("10.244.1.21");
	struct pkt_spec s;
	struct pkt_view v;
	int i, hits = 0;

	for (i = 0; i < n; i++) {
		s = synth_flow(fam, i, IPPROTO_TCP);
		if (env_run_spec(env->xdp_fd, &s, &v) != XDP_PASS || !v.ok ||
		    v.daddr == vip)
			return ASSERT_TRUE(false, "every new flow translated");
		hits += i >= warm && v.daddr == v2;
	}
	*share = 100.0 * hits / (n - warm);
	return true;
}

static void check_split(struct test_env *env, __u32 fam, int n, int warm)
{
	double share;
	int flows;

	if (!fill(env, fam, n, warm, &share))
		return;
	flows = env_count_flows(env);
	printf("  table of %u: %d new flows, v2 took %.2f%% of the %d after "
	       "the first %d; %d flows tracked at the end\n", table_size(env),
	       n, share, n - warm, warm, flows);
	ASSERT_LE(share > 25 ? share - 25 : 25 - share, 1.0,
		  "v2 within 1 pt of 25 % with the table full");
	ASSERT_LE(flows, table_size(env), "table never over its size");
	ASSERT_EQ(env_global(env).errors, 0, "no failed flow insert");
}

/* Flow 0 of @fam was evicted; its next ACK goes where the hash says. */
static void evicted_placed_anew(struct test_env *env, struct canary_config *cfg,
				__u32 fam)
{
	struct pkt_spec s = synth_flow(fam, 0, IPPROTO_TCP);
	struct canary_flow_key k = { .saddr = s.saddr, .daddr = s.daddr,
				     .sport = htons(s.sport),
				     .dport = htons(s.dport),
				     .proto = IPPROTO_TCP };
	struct canary_endpoint ep;
	struct canary_flow f;
	struct pkt_view v;

	test__start_subtest("evicted_flow_placed_anew");
	if (!ASSERT_TRUE(bpf_map_lookup_elem(env->st.flow_fd, &k, &f),
			 "the first flow was evicted"))
		return;
	s.tcp_flags = 0x10; /* ACK: mid-connection */
	env_predict(&cfg->svc[0], s.saddr, s.daddr, s.sport, s.dport,
		    IPPROTO_TCP, &ep);
	ASSERT_EQ(env_run_spec(env->xdp_fd, &s, &v), XDP_PASS, "verdict");
	ASSERT_EQ(v.daddr, ep.addr, "same endpoint as the hash chose");
	ASSERT_OK(bpf_map_lookup_elem(env->st.flow_fd, &k, &f), "entry back");
}

/*
 * After a weight change, an evicted flow's mid-connection packet is
 * placed by the previous config (grace period), a SYN by the new one:
 * finds a flow the two configs place differently, evicts it (flows
 * cleared) and sends both.
 */
static void evicted_in_grace(struct test_env *env, struct canary_config *cfg)
{
	struct canary_config next = *cfg;
	struct canary_endpoint old_ep, new_ep;
	struct canary_service_cfg svc = cfg->svc[0];
	struct pkt_spec s;
	struct pkt_view v;
	__u64 grace = env_global(env).grace;
	int i;

	test__start_subtest("evicted_mid_connection_uses_grace");
	svc.v[0].weight_bps = 1000;
	svc.v[1].weight_bps = 9000;
	for (i = 0; i < 1000; i++) {
		s = synth_flow(7, i, IPPROTO_TCP);
		env_predict(&cfg->svc[0], s.saddr, s.daddr, s.sport, s.dport,
			    IPPROTO_TCP, &old_ep);
		env_predict(&svc, s.saddr, s.daddr, s.sport, s.dport,
			    IPPROTO_TCP, &new_ep);
		if (old_ep.addr != new_ep.addr)
			break;
	}
	next.svc = &svc;
	if (!ASSERT_TRUE(i < 1000, "a flow the configs place apart") ||
	    !ASSERT_OK(env_apply(env, &next), "weights to 90 %") ||
	    !ASSERT_OK(env_clear_flows(env), "flows evicted"))
		return;
	s.tcp_flags = 0x10;
	env_run_spec(env->xdp_fd, &s, &v);
	ASSERT_EQ(v.daddr, old_ep.addr, "ACK: the endpoint it started on");
	ASSERT_EQ(env_global(env).grace, grace + 1, "grace counter");
	s.sport += 1; /* a new connection */
	env_predict(&svc, s.saddr, s.daddr, s.sport, s.dport, IPPROTO_TCP,
		    &new_ep);
	s.tcp_flags = 0x02;
	env_run_spec(env->xdp_fd, &s, &v);
	ASSERT_EQ(v.daddr, new_ep.addr, "SYN: placed by the new weights");
}

/* What status reports: every flow inserted is in the table or was
 * evicted by the LRU (nothing was removed by canary-bpf here). */
static void evictions_counted(struct test_env *env, __u64 flows, __u64 size)
{
	struct stats_snap *d = calloc(1, sizeof(*d));

	test__start_subtest("evictions_counted");
	if (!ASSERT_TRUE(d != NULL, "memory") ||
	    !ASSERT_OK(stats_load(&env->st, d, NULL), "stats"))
		goto out;
	printf("  %llu flows inserted, %llu in the table, %llu evicted\n",
	       (unsigned long long)d->global.flow_inserts,
	       (unsigned long long)d->flow_entries,
	       (unsigned long long)d->flow_evictions);
	ASSERT_EQ(d->global.flow_inserts, flows, "every new flow inserted");
	ASSERT_LE(d->flow_entries, size, "table within its size");
	ASSERT_EQ(d->flow_evictions, flows - d->flow_entries, "evictions");
out:
	if (d)
		config_free(&d->cfg);
	free(d);
}

/* --flow-entries: a smaller table, and a pinned one of another size
 * refused. */
static void configured_size(struct canary_config *cfg)
{
	struct canary_bpf *skel = NULL;
	struct canary_err err = {};
	struct test_env env;

	test__start_subtest("configured_size_full_split_within_1pt");
	loader_set_flow_entries(SMALL_TABLE);
	if (env_setup(&env))
		goto out;
	if (ASSERT_EQ(table_size(&env), SMALL_TABLE, "table size") &&
	    ASSERT_OK(env_apply(&env, cfg), "apply")) {
		check_split(&env, 3, 10 * SMALL_TABLE, SMALL_TABLE);
		evictions_counted(&env, 10 * SMALL_TABLE, SMALL_TABLE);
	}

	test__start_subtest("pinned_size_mismatch_refused");
	loader_set_flow_entries(2 * SMALL_TABLE);
	ASSERT_EQ(loader_load(env.pin_dir, &skel, &err), -EEXIST, "load refused");
	ASSERT_TRUE(strstr(err.msg, "--flow-entries") != NULL,
		    "the reason is returned, naming --flow-entries");
	if (skel)
		loader_close(skel);
	loader_set_flow_entries(0);
	ASSERT_OK(loader_load(env.pin_dir, &skel, &err),
		  "no size asked: pinned one kept");
	if (skel)
		loader_close(skel);
out:
	loader_set_flow_entries(0);
	env_teardown(&env);
}

void test_flowtable(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	test__start_subtest("default_size_full_split_within_1pt");
	if (env_setup(&env))
		goto out;
	if (ASSERT_EQ(table_size(&env), CANARY_FLOW_ENTRIES, "default size") &&
	    ASSERT_OK(env_apply(&env, &cfg), "apply")) {
		check_split(&env, 2, 3 * CANARY_FLOW_ENTRIES, CANARY_FLOW_ENTRIES);
		evicted_placed_anew(&env, &cfg, 2);
		evicted_in_grace(&env, &cfg);
	}
	env_teardown(&env);
	configured_size(&cfg);
out:
	config_free(&cfg);
}
