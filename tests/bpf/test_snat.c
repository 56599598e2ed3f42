// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Source NAT to endpoints on other nodes, the way back, the SNAT modes,
 * port exhaustion, and externalTrafficPolicy: Local. */
#include <arpa/inet.h>
#include <stdio.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"

#define NODE "10.1.0.1"
#define LOCAL_EP "10.244.1.11"
#define REMOTE_EP "10.244.2.21"

static void snat_config(struct canary_config *cfg, int v2_pct, __u8 snat,
			bool local)
{
	struct canary_service_cfg *s;

	config_free(cfg);
	config_init(cfg);
	cfg->node = (struct canary_node_cfg){ .set = true, .address = ip4(NODE),
					      .pod_net = ip4("10.244.1.0"),
					      .pod_len = 24, .port_min = 40000,
					      .port_max = 40009 };
	s = config_add_service(cfg, NULL);
	snprintf(s->name, sizeof(s->name), "svc");
	s->vip = addr_v4(ip4("10.96.0.10"));
	s->port = htons(5000);
	s->proto = IPPROTO_TCP;
	s->snat = snat;
	s->local = local;
	s->n_versions = 2;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	snprintf(s->v[1].name, sizeof(s->v[1].name), "v2");
	s->v[0].weight_bps = (100 - v2_pct) * 100;
	s->v[1].weight_bps = v2_pct * 100;
	s->v[0].n_endpoints = s->v[1].n_endpoints = 1;
	s->v[0].ep[0] = (struct canary_ep_cfg){ addr_v4(ip4(LOCAL_EP)), htons(5050), 0 };
	s->v[1].ep[0] = (struct canary_ep_cfg){ addr_v4(ip4(REMOTE_EP)), htons(5050), 0 };
}

static struct pkt_spec syn(__u16 sport)
{
	return (struct pkt_spec){ .proto = IPPROTO_TCP, .saddr = ip4("10.0.0.2"),
				  .daddr = ip4("10.96.0.10"), .sport = sport,
				  .dport = 5000 };
}

static void remote_and_back(struct test_env *env, struct canary_config *cfg)
{
	struct pkt_spec s = syn(41000), r;
	struct pkt_view v, b;

	test__start_subtest("remote_endpoint_is_snated");
	snat_config(cfg, 100, CANARY_SNAT_AUTO, false);
	if (!ASSERT_OK(env_apply(env, cfg), "apply"))
		return;
	ASSERT_EQ(env_run_spec(env->xdp_fd, &s, &v), XDP_PASS, "verdict");
	ASSERT_EQ(v.daddr, ip4(REMOTE_EP), "to the remote endpoint");
	ASSERT_EQ(v.saddr, ip4(NODE), "from this node");
	ASSERT_TRUE(v.sport >= 40000 && v.sport <= 40009, "from a SNAT port");
	ASSERT_TRUE(v.ip_csum_ok && v.l4_csum_ok, "checksums");

	test__start_subtest("reply_translated_back");
	r = (struct pkt_spec){ .proto = IPPROTO_TCP, .saddr = ip4(REMOTE_EP),
			       .daddr = ip4(NODE), .sport = 5050,
			       .dport = v.sport, .tcp_flags = 0x12 };
	ASSERT_EQ(env_run_spec(env->xdp_fd, &r, &b), XDP_PASS, "verdict");
	ASSERT_EQ(b.saddr, ip4("10.96.0.10"), "from the VIP");
	ASSERT_EQ(b.sport, 5000, "from the service port");
	ASSERT_EQ(b.daddr, ip4("10.0.0.2"), "to the client");
	ASSERT_EQ(b.dport, 41000, "to the client port");
	ASSERT_TRUE(b.ip_csum_ok && b.l4_csum_ok, "checksums");
	ASSERT_EQ(env_global(env).snat_replies, 1, "snat_replies counter");

	test__start_subtest("established_snat_flow_keeps_port");
	s.tcp_flags = 0x10;
	env_run_spec(env->xdp_fd, &s, &b);
	ASSERT_EQ(b.sport, v.sport, "same SNAT port");

	/* The flow table is lost (flows clear, eviction): the flow is placed
	 * again and must leave from the same port, or the endpoint would
	 * answer a stranger's segment with a reset. */
	test__start_subtest("snat_port_kept_after_flow_table_loss");
	if (ASSERT_OK(env_clear_flows(env), "clear")) {
		env_run_spec(env->xdp_fd, &s, &b);
		ASSERT_EQ(b.saddr, ip4(NODE), "still SNATed");
		ASSERT_EQ(b.sport, v.sport, "same SNAT port");
	}
}

static void modes(struct test_env *env, struct canary_config *cfg)
{
	struct pkt_spec s;
	struct pkt_view v;

	test__start_subtest("local_endpoint_not_snated");
	snat_config(cfg, 0, CANARY_SNAT_AUTO, false);
	s = syn(42000);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		env_run_spec(env->xdp_fd, &s, &v);
		ASSERT_EQ(v.daddr, ip4(LOCAL_EP), "local endpoint");
		ASSERT_EQ(v.saddr, ip4("10.0.0.2"), "client address kept");
	}
	/* always: every endpoint but this node's own pods, whose replies to
	 * node:port would never reach a program that translates them. */
	test__start_subtest("snat_always_local_endpoint_kept");
	snat_config(cfg, 0, CANARY_SNAT_ALWAYS, false);
	s = syn(42001);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		env_run_spec(env->xdp_fd, &s, &v);
		ASSERT_EQ(v.daddr, ip4(LOCAL_EP), "local endpoint");
		ASSERT_EQ(v.saddr, ip4("10.0.0.2"), "client address kept");
	}
	test__start_subtest("snat_always_without_pod_cidr");
	snat_config(cfg, 0, CANARY_SNAT_ALWAYS, false);
	cfg->node.pod_net = 0;
	cfg->node.pod_len = 0; /* no pod is known to be local */
	s = syn(42004);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		env_run_spec(env->xdp_fd, &s, &v);
		ASSERT_EQ(v.saddr, ip4(NODE), "SNATed");
	}
	test__start_subtest("snat_auto_without_pod_cidr");
	cfg->svc[0].snat = CANARY_SNAT_AUTO;
	s = syn(42005);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		env_run_spec(env->xdp_fd, &s, &v);
		ASSERT_EQ(v.saddr, ip4("10.0.0.2"), "not SNATed: no endpoint known remote");
	}
	test__start_subtest("snat_never");
	snat_config(cfg, 100, CANARY_SNAT_NEVER, false);
	s = syn(42002);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		env_run_spec(env->xdp_fd, &s, &v);
		ASSERT_EQ(v.daddr, ip4(REMOTE_EP), "remote endpoint");
		ASSERT_EQ(v.saddr, ip4("10.0.0.2"), "client address kept");
	}
	test__start_subtest("traffic_policy_local");
	snat_config(cfg, 100, CANARY_SNAT_AUTO, true);
	s = syn(42003);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		env_run_spec(env->xdp_fd, &s, &v);
		ASSERT_EQ(v.daddr, ip4(LOCAL_EP), "only this node's endpoint");
		ASSERT_EQ(v.saddr, ip4("10.0.0.2"), "client address kept");
	}
}

/* A Local service's table leaves other nodes' pods out: when the service
 * stops being Local with the same endpoints, the table is built again,
 * not copied from the active generation (where it was Local). */
static void local_then_cluster(struct test_env *env, struct canary_config *cfg)
{
	struct canary_ep_cfg remote = { addr_v4(ip4("10.244.2.22")),
					htons(5050), 0 };
	struct pkt_spec s;
	struct pkt_view v;
	int i, to_remote = 0;

	test__start_subtest("local_then_cluster_table");
	snat_config(cfg, 0, CANARY_SNAT_NEVER, true);
	cfg->svc[0].v[0].ep[cfg->svc[0].v[0].n_endpoints++] = remote;
	if (!ASSERT_OK(env_apply(env, cfg), "apply local"))
		return;
	cfg->svc[0].local = false;
	if (!ASSERT_OK(env_apply(env, cfg), "apply cluster") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	for (i = 0; i < 64; i++) {
		s = syn(44000 + i);
		env_run_spec(env->xdp_fd, &s, &v);
		to_remote += v.daddr == remote.addr.v4;
	}
	ASSERT_TRUE(to_remote > 0 && to_remote < 64,
		    "new flows on both endpoints");
}

/* Ten SNAT ports to one endpoint and 40 new flows: at most ten get a
 * port, each a different one; the others are dropped, never sent with a
 * port already in use. Once those flows are gone, their ports serve new
 * ones. */
static void exhaustion(struct test_env *env, struct canary_config *cfg)
{
	bool used[10] = {};
	struct pkt_spec s;
	struct pkt_view v;
	int i, ok = 0, dropped = 0, reused = 0, ret;

	test__start_subtest("ports_exhausted_drops_not_reuses");
	snat_config(cfg, 100, CANARY_SNAT_AUTO, false);
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	for (i = 0; i < 40; i++) {
		s = syn(43000 + i);
		ret = env_run_spec(env->xdp_fd, &s, &v);
		dropped += ret == XDP_DROP;
		if (ret != XDP_PASS || v.saddr != ip4(NODE) || v.sport < 40000 ||
		    v.sport > 40009)
			continue;
		reused += used[v.sport - 40000];
		used[v.sport - 40000] = true;
		ok++;
	}
	printf("  %d of 40 flows got one of 10 SNAT ports, %d dropped\n", ok,
	       dropped);
	ASSERT_EQ(reused, 0, "a SNAT port given twice");
	ASSERT_EQ(ok + dropped, 40, "every flow SNATed or dropped");
	ASSERT_TRUE(ok >= 8 && ok <= 10, "the ports were used");
	ASSERT_EQ(env_global(env).snat_full, dropped, "snat_full counter");

	test__start_subtest("ports_of_gone_flows_reused");
	if (!ASSERT_OK(env_clear_flows(env), "flows gone"))
		return;
	for (i = 0, ok = 0; i < 10; i++) {
		s = syn(44000 + i);
		ok += env_run_spec(env->xdp_fd, &s, &v) == XDP_PASS &&
		      v.saddr == ip4(NODE);
	}
	ASSERT_TRUE(ok >= 8, "new flows got the freed ports");
}

/* Where a reply from the remote endpoint to this node's @snat_port goes:
 * the client port it is translated to, 0 if it is not. */
static __u16 back_to(struct test_env *env, __u16 snat_port)
{
	struct pkt_spec r = { .proto = IPPROTO_TCP, .saddr = ip4(REMOTE_EP),
			      .daddr = ip4(NODE), .sport = 5050,
			      .dport = snat_port, .tcp_flags = 0x10 };
	struct pkt_view b;

	if (env_run_spec(env->xdp_fd, &r, &b) != XDP_PASS ||
	    b.daddr != ip4("10.0.0.2"))
		return 0;
	return b.dport;
}

/*
 * One SNAT port, flow A holding it, and A's way back evicted (the LRU of
 * canary_snat, full of ways back that outlived their flows, takes
 * whichever it likes). Whichever comes first, A's next packet or a new
 * flow B to the same endpoint, the port serves one flow only: A's packet
 * puts its way back again and B finds no port (dropped); or B takes the
 * free port, and A's packets are dropped rather than mixed into B's
 * flow. The replies go to the flow that holds the port.
 */
static void evicted_way_back(struct test_env *env, struct canary_config *cfg)
{
	struct pkt_spec a = syn(47000), b = syn(47001);
	struct canary_global g0;
	struct pkt_view v;

	snat_config(cfg, 100, CANARY_SNAT_AUTO, false);
	cfg->node.port_max = cfg->node.port_min;
	test__start_subtest("evicted_way_back_put_back_by_its_flow");
	if (!ASSERT_OK(env_apply(env, cfg), "apply one SNAT port") ||
	    !ASSERT_OK(env_clear_flows(env), "clear flows") ||
	    !ASSERT_OK(env_clear_snat(env), "clear ways back") ||
	    !ASSERT_EQ(env_run_spec(env->xdp_fd, &a, &v), XDP_PASS, "A opens") ||
	    !ASSERT_EQ(v.sport, 40000, "A's port"))
		return;
	ASSERT_OK(env_clear_snat(env), "A's way back evicted");
	a.tcp_flags = 0x10;
	ASSERT_EQ(env_run_spec(env->xdp_fd, &a, &v), XDP_PASS, "A goes on");
	ASSERT_TRUE(v.saddr == ip4(NODE) && v.sport == 40000, "from its port");
	g0 = env_global(env);
	ASSERT_EQ(env_run_spec(env->xdp_fd, &b, &v), XDP_DROP, "B finds no port");
	ASSERT_EQ(env_global(env).snat_full - g0.snat_full, 1, "snat_full counter");
	ASSERT_EQ(back_to(env, 40000), 47000, "the reply goes to A");

	test__start_subtest("evicted_way_back_taken_drops_its_flow");
	ASSERT_OK(env_clear_snat(env), "A's way back evicted");
	b.tcp_flags = 0;
	ASSERT_EQ(env_run_spec(env->xdp_fd, &b, &v), XDP_PASS, "B opens");
	ASSERT_TRUE(v.saddr == ip4(NODE) && v.sport == 40000, "B has the port");
	g0 = env_global(env);
	ASSERT_EQ(env_run_spec(env->xdp_fd, &a, &v), XDP_DROP,
		  "A's packet not into B's flow");
	ASSERT_EQ(env_run_spec(env->tc_in_fd, &a, &v), 2 /* TC_ACT_SHOT */,
		  "nor through tc");
	ASSERT_EQ(env_global(env).snat_full - g0.snat_full, 2, "snat_full counter");
	ASSERT_EQ(back_to(env, 40000), 47001, "the reply goes to B");
}

void test_snat(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	remote_and_back(&env, &cfg);
	local_then_cluster(&env, &cfg);
	modes(&env, &cfg);
	exhaustion(&env, &cfg);
	evicted_way_back(&env, &cfg);
	env_teardown(&env);
out:
	config_free(&cfg);
}
