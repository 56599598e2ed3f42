// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Client pins, session affinity, draining, removed endpoints, and the
 * previous generation's grace period for mid-connection packets. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "flows.h"

#define V2_EP "10.244.1.21"

static void add_pin(struct canary_service_cfg *svc, const char *net, int len,
		    const char *version)
{
	struct canary_pin_cfg *p = &svc->pins[svc->n_pins++];

	p->addr = addr_v4(ip4(net));
	p->prefixlen = len;
	snprintf(p->version, sizeof(p->version), "%s", version);
}

/* How many of @n flows from clients @base + i (port 40000) reach @ep. */
static int flows_from(struct test_env *env, const char *base, int n,
		      __be32 ep, __u8 tcp_flags)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .daddr = ip4("10.96.0.10"),
			      .dport = 5000, .sport = 40000,
			      .tcp_flags = tcp_flags };
	struct pkt_view v;
	int i, hits = 0;

	for (i = 0; i < n; i++) {
		s.saddr = htonl(ntohl(ip4(base)) + i);
		if (env_run_spec(env->xdp_fd, &s, &v) == XDP_PASS && v.ok)
			hits += v.daddr == ep;
	}
	return hits;
}

static __u64 pin_flows(struct test_env *env, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 vals[256] = {}, sum = 0;

	if (ncpu > 256 || bpf_map_lookup_elem(env->st.pinstat_fd, &idx, vals))
		return 0;
	for (c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

static void pins(struct test_env *env, struct canary_config *cfg)
{
	__be32 v2 = ip4(V2_EP);

	test__start_subtest("pin_24_to_v2_beside_default_to_v1");
	env_seed_v2(cfg, 50);
	add_pin(&cfg->svc[0], "0.0.0.0", 0, "v1");
	add_pin(&cfg->svc[0], "10.50.1.0", 24, "v2");
	if (!ASSERT_OK(env_apply(env, cfg), "apply pins"))
		return;
	ASSERT_EQ(flows_from(env, "10.50.1.0", 200, v2, 0), 200,
		  "clients in 10.50.1.0/24 all on v2");
	ASSERT_EQ(flows_from(env, "10.50.2.0", 200, v2, 0), 0,
		  "everybody else on v1 despite v2=50");
	ASSERT_EQ(pin_flows(env, 1), 200, "flows counted on the /24 pin");
	ASSERT_EQ(pin_flows(env, 0), 200, "flows counted on the /0 pin");
	ASSERT_EQ(env_global(env).pinned, 400,
		  "node-wide pinned counter: both pins' flows");

	test__start_subtest("pinned_version_without_endpoints_falls_back");
	cfg->svc[0].n_pins = 0;
	add_pin(&cfg->svc[0], "10.50.3.0", 24, "v2");
	cfg->svc[0].v[1].n_endpoints = 0;
	if (ASSERT_OK(env_apply(env, cfg), "apply"))
		ASSERT_EQ(flows_from(env, "10.50.3.0", 100, v2, 0), 0,
			  "no flow to the empty pinned version");
	cfg->svc[0].v[1].n_endpoints = 1;
	cfg->svc[0].n_pins = 0;
}

static void affinity(struct test_env *env, struct canary_config *cfg)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .daddr = ip4("10.96.0.10"),
			      .dport = 5000 };
	__be32 v2 = ip4(V2_EP), first = 0;
	struct pkt_view v;
	int c, port, moved = 0, on_v2 = 0;

	test__start_subtest("client_ip_affinity");
	env_seed_v2(cfg, 25);
	cfg->svc[0].affinity = CANARY_AFFINITY_CLIENT_IP;
	if (!ASSERT_OK(env_apply(env, cfg), "apply affinity"))
		return;
	for (c = 0; c < 4000; c++) {
		s.saddr = htonl(ntohl(ip4("10.60.0.0")) + c);
		for (port = 0; port < 5; port++) {
			s.sport = 30000 + port * 7;
			env_run_spec(env->xdp_fd, &s, &v);
			if (port == 0)
				first = v.daddr;
			moved += v.daddr != first;
		}
		on_v2 += first == v2;
	}
	ASSERT_EQ(moved, 0, "connections of one client on one endpoint");
	ASSERT_LE(on_v2 > 1000 ? on_v2 - 1000 : 1000 - on_v2, 80,
		  "clients on v2 near 25 % of 4000 (2 pt)");
	cfg->svc[0].affinity = CANARY_AFFINITY_NONE;
}

/* v1's 10.244.1.11 drains: no new flows, its established ones stay. */
static void draining(struct test_env *env, struct canary_config *cfg)
{
	__be32 drained = ip4("10.244.1.11");
	int before, after;

	test__start_subtest("draining_endpoint_keeps_flows_takes_no_new");
	env_seed_v2(cfg, 0);
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	before = flows_from(env, "10.70.0.0", 600, drained, 0);
	ASSERT_TRUE(before > 100, "some flows on the endpoint before");
	cfg->svc[0].v[0].ep[0].flags = CANARY_EP_F_DRAINING;
	if (!ASSERT_OK(env_apply(env, cfg), "apply draining"))
		return;
	after = flows_from(env, "10.70.0.0", 600, drained, 0x10);
	ASSERT_EQ(after, before, "established flows still on it");
	ASSERT_EQ(flows_from(env, "10.71.0.0", 600, drained, 0), 0,
		  "no new flow on it");
	cfg->svc[0].v[0].ep[0].flags = 0;
}

/* v1's 10.244.1.12 is removed: its flow entries go, and their next
 * packets are placed again, even within the grace period. */
static void removal(struct test_env *env, struct canary_config *cfg)
{
	__be32 gone = ip4("10.244.1.12");
	struct canary_version_cfg *v1 = &cfg->svc[0].v[0];
	int on_gone, n_before;

	test__start_subtest("removed_endpoint_flows_dropped_and_replaced");
	cfg->grace_s = 60;
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	on_gone = flows_from(env, "10.80.0.0", 600, gone, 0);
	n_before = env_count_flows(env);
	ASSERT_TRUE(on_gone > 100, "flows on the endpoint before");
	v1->ep[1] = v1->ep[2];
	v1->n_endpoints = 2;
	if (!ASSERT_OK(env_apply(env, cfg), "apply without it"))
		return;
	ASSERT_EQ(env_count_flows(env), n_before - on_gone,
		  "exactly its flows left the table");
	ASSERT_EQ(flows_from(env, "10.80.0.0", 600, gone, 0x10), 0,
		  "no packet goes to the removed endpoint");
	cfg->grace_s = CANARY_GRACE_KEEP;
}

/* After v2 0 -> 100 with the flow table lost, mid-connection packets
 * still reach their v1 endpoints while SYNs follow the new weights; once
 * the grace period is over, the current config places them. */
static void grace(struct test_env *env, struct canary_config *cfg)
{
	__be32 v2 = ip4(V2_EP);

	test__start_subtest("grace_keeps_established_after_table_loss");
	env_seed_v2(cfg, 0);
	cfg->grace_s = 60;
	if (!ASSERT_OK(env_apply(env, cfg), "apply v2=0") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	ASSERT_EQ(flows_from(env, "10.90.0.0", 500, v2, 0), 0, "opened on v1");
	env_seed_v2(cfg, 100);
	if (!ASSERT_OK(env_apply(env, cfg), "apply v2=100") ||
	    !ASSERT_OK(env_clear_flows(env), "lose the flow table"))
		return;
	ASSERT_EQ(flows_from(env, "10.90.0.0", 500, v2, 0x10), 0,
		  "mid-connection packets still on v1");
	ASSERT_TRUE(env_global(env).grace >= 500, "grace counter");
	ASSERT_EQ(flows_from(env, "10.91.0.0", 500, v2, 0), 500,
		  "new connections on v2");

	test__start_subtest("after_grace_current_config_places");
	cfg->grace_s = 0;
	if (!ASSERT_OK(env_apply(env, cfg), "apply grace 0") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	ASSERT_EQ(flows_from(env, "10.90.0.0", 500, v2, 0x10), 500,
		  "mid-connection packets placed by the current config");
	cfg->grace_s = CANARY_GRACE_KEEP;
}

void test_steering(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 0, IPPROTO_TCP);
	pins(&env, &cfg);
	affinity(&env, &cfg);
	draining(&env, &cfg);
	removal(&env, &cfg);
	grace(&env, &cfg);
out:
	env_teardown(&env);
	config_free(&cfg);
}
