// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Two services on one VIP (ports 5070 and 5073) with the same endpoints,
 * both to target port 5070: a client that uses one source port for both
 * would make two flows the endpoint cannot tell apart (ep:5070 <->
 * client:port), and the reply path would give both one service port. A
 * new flow that would clash so goes to another endpoint of its version,
 * and each endpoint's replies get their own service port back. With one
 * endpoint there is no other: the pick stays. A source-NATed flow is no
 * clash. IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"
#include "pkt6.h"

#define TC_ACT_UNSPEC (-1)
#define TCP_ACK 0x10
#define TCP_SYNACK 0x12
#define VIP4 "10.96.0.30"
#define CLIENT4 "10.0.0.7"
#define VIP6 "2001:db8::30"
#define CLIENT6 "2001:db8:c::7"
#define PORT_A 5070
#define PORT_B 5073
#define TARGET 5070

static const char *const eps4[] = { "10.244.2.11", "10.244.2.12",
				    "10.244.2.13" };
static const char *const eps6[] = { "2001:db8:2::11", "2001:db8:2::12",
				    "2001:db8:2::13" };

static struct canary_addr addr_of(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

/* Services a (VIP:5070) and b (VIP:5073) of one family, both on the first
 * @n_eps of @eps at TARGET. */
static void clash_config(struct canary_config *cfg, const char *vip,
			 const char *const *eps, int n_eps)
{
	static const char *const names[] = { "a", "b" };
	static const __u16 ports[] = { PORT_A, PORT_B };
	int s, e;

	config_init(cfg);
	for (s = 0; s < 2; s++) {
		struct canary_service_cfg *svc = config_add_service(cfg, NULL);

		snprintf(svc->name, sizeof(svc->name), "%s", names[s]);
		svc->vip = addr_of(vip);
		svc->port = htons(ports[s]);
		svc->proto = IPPROTO_TCP;
		svc->n_versions = 1;
		snprintf(svc->v[0].name, sizeof(svc->v[0].name), "v1");
		svc->v[0].weight_bps = 10000;
		svc->v[0].n_endpoints = n_eps;
		for (e = 0; e < n_eps; e++)
			svc->v[0].ep[e] = (struct canary_ep_cfg){
				addr_of(eps[e]), htons(TARGET), 0 };
	}
}

/*
 * A client port whose flows to both services would, left alone, pick the
 * same endpoint (the user-space prediction of the plain pick), and that
 * endpoint in @ep. 0 if none in the range tried.
 */
static __u16 clashing_sport(const struct canary_config *cfg, const char *client,
			    const char *vip, struct canary_ep_cfg *ep)
{
	struct canary_addr c = addr_of(client), v = addr_of(vip);
	struct canary_ep_cfg a, b;
	__u16 sport;

	for (sport = 39120; sport < 39320; sport++) {
		if (env_predict_addr(&cfg->svc[0], &c, &v, sport, PORT_A,
				     IPPROTO_TCP, &a) < 0 ||
		    env_predict_addr(&cfg->svc[1], &c, &v, sport, PORT_B,
				     IPPROTO_TCP, &b) < 0)
			return 0;
		if (!memcmp(&a.addr, &b.addr, sizeof(a.addr))) {
			*ep = a;
			return sport;
		}
	}
	return 0;
}

/* IPv4 */

/* A packet client:@sport -> VIP:@dport through XDP; @v the result. */
static bool to_vip4(struct test_env *env, __u16 sport, __u16 dport,
		    __u8 flags, struct pkt_view *v)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ip4(CLIENT4),
			      .daddr = ip4(VIP4), .sport = sport,
			      .dport = dport, .tcp_flags = flags };

	return ASSERT_EQ(env_run_spec(env->xdp_fd, &s, v), XDP_PASS,
			 "forward verdict") &&
	       ASSERT_TRUE(v->ok && v->l4_csum_ok, "forward parses") &&
	       ASSERT_EQ(v->dport, TARGET, "target port") &&
	       ASSERT_EQ(v->sport, sport, "client port kept");
}

/* A reply @ep:TARGET -> client:@sport through tc egress must come from
 * VIP:@want. */
static bool reply4(struct test_env *env, __be32 ep, __u16 sport, __u16 want)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ep,
			      .daddr = ip4(CLIENT4), .sport = TARGET,
			      .dport = sport, .tcp_flags = TCP_SYNACK };
	struct pkt_view r;

	return ASSERT_EQ(env_run_spec(env->tc_out_fd, &s, &r), TC_ACT_UNSPEC,
			 "reply verdict") &&
	       ASSERT_EQ(r.saddr, ip4(VIP4), "reply from the VIP") &&
	       ASSERT_EQ(r.sport, want, "reply from its own service port") &&
	       ASSERT_TRUE(r.ip_csum_ok && r.l4_csum_ok, "reply checksums");
}

/* A leftover flow client:@sport -> VIP:@dport to @ep:TARGET. */
static bool put_flow4(struct test_env *env, __u16 sport, __u16 dport,
		      __be32 ep, __u8 flags)
{
	struct canary_flow_key k = { .saddr = ip4(CLIENT4), .daddr = ip4(VIP4),
				     .sport = htons(sport),
				     .dport = htons(dport),
				     .proto = IPPROTO_TCP };
	struct canary_flow f = { .ep_addr = ep, .ep_port = htons(TARGET),
				 .flags = flags, .snat_port = flags ?
				 htons(40000) : 0 };

	return ASSERT_OK(bpf_map_update_elem(env->st.flow_fd, &k, &f, BPF_ANY),
			 "leftover flow");
}

/* The live flags of service VIP4:@port. */
static __u8 svc_flags4(struct test_env *env, __u16 port)
{
	struct canary_svc_key k = { .vip = ip4(VIP4), .port = htons(port),
				    .proto = IPPROTO_TCP };
	struct canary_svc_slots v = {};

	return bpf_map_lookup_elem(env->st.svc_fd, &k, &v) ? 0xff : v.live.flags;
}

static void clash4(struct test_env *env)
{
	struct canary_ep_cfg ep;
	struct canary_config cfg;
	struct pkt_view a, b;
	__u16 sport;

	clash_config(&cfg, VIP4, eps4, 2);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply"))
		goto out;
	sport = clashing_sport(&cfg, CLIENT4, VIP4, &ep);
	if (!ASSERT_TRUE(sport, "a client port that would clash"))
		goto out;

	/* Only a service with an endpoint another service port also has is
	 * checked at all (CANARY_SVC_F_SHARED). */
	test__start_subtest("v4_shared_flag");
	ASSERT_TRUE(svc_flags4(env, PORT_A) & CANARY_SVC_F_SHARED, "a: shared");
	ASSERT_TRUE(svc_flags4(env, PORT_B) & CANARY_SVC_F_SHARED, "b: shared");
	cfg.svc[1].v[0].ep[0].port = htons(TARGET + 1);
	cfg.svc[1].v[0].ep[1].port = htons(TARGET + 1);
	if (ASSERT_OK(env_apply(env, &cfg), "apply unshared")) {
		ASSERT_EQ(svc_flags4(env, PORT_A) & CANARY_SVC_F_SHARED, 0,
			     "a: not shared");
		ASSERT_EQ(svc_flags4(env, PORT_B) & CANARY_SVC_F_SHARED, 0,
			     "b: not shared");
	}
	config_free(&cfg);
	clash_config(&cfg, VIP4, eps4, 2);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply"))
		goto out;

	test__start_subtest("v4_second_service_other_endpoint");
	env_clear_flows(env);
	if (to_vip4(env, sport, PORT_A, 0, &a) &&
	    ASSERT_EQ(a.daddr, ep.addr.v4, "first flow: the plain pick") &&
	    to_vip4(env, sport, PORT_B, 0, &b) &&
	    ASSERT_TRUE(b.daddr != a.daddr, "second flow: another endpoint")) {
		reply4(env, a.daddr, sport, PORT_A);
		reply4(env, b.daddr, sport, PORT_B);
	}
	test__start_subtest("v4_established_flows_stay");
	if (to_vip4(env, sport, PORT_A, TCP_ACK, &a) &&
	    to_vip4(env, sport, PORT_B, TCP_ACK, &b)) {
		ASSERT_EQ(a.daddr, ep.addr.v4, "first flow stays");
		ASSERT_TRUE(b.daddr != ep.addr.v4, "second flow stays");
		ASSERT_EQ(env_count_flows(env), 2, "two flow entries");
	}

	/* A finished connection's entry, still in the table. */
	test__start_subtest("v4_stale_entry");
	env_clear_flows(env);
	if (put_flow4(env, sport, PORT_A, ep.addr.v4, 0) &&
	    to_vip4(env, sport, PORT_B, 0, &b) &&
	    ASSERT_TRUE(b.daddr != ep.addr.v4, "new flow: another endpoint"))
		reply4(env, b.daddr, sport, PORT_B);

	test__start_subtest("v4_snat_entry_no_clash");
	env_clear_flows(env);
	if (put_flow4(env, sport, PORT_A, ep.addr.v4, CANARY_FLOW_F_SNAT) &&
	    to_vip4(env, sport, PORT_B, 0, &b) &&
	    ASSERT_EQ(b.daddr, ep.addr.v4, "the plain pick"))
		/* The SNATed flow's replies go to the node, never to the
		 * client: this one is b's. */
		reply4(env, b.daddr, sport, PORT_B);
	config_free(&cfg);

	/* Three endpoints: still the pick's version, any other endpoint. */
	test__start_subtest("v4_three_endpoints");
	clash_config(&cfg, VIP4, eps4, 3);
	env_clear_flows(env);
	if (ASSERT_OK(env_apply(env, &cfg), "apply") &&
	    (sport = clashing_sport(&cfg, CLIENT4, VIP4, &ep)) &&
	    to_vip4(env, sport, PORT_A, 0, &a) &&
	    to_vip4(env, sport, PORT_B, 0, &b) &&
	    ASSERT_TRUE(b.daddr != a.daddr, "second flow: another endpoint")) {
		reply4(env, a.daddr, sport, PORT_A);
		reply4(env, b.daddr, sport, PORT_B);
	}
	config_free(&cfg);

	test__start_subtest("v4_one_endpoint_keeps_pick");
	clash_config(&cfg, VIP4, eps4, 1);
	env_clear_flows(env);
	if (ASSERT_OK(env_apply(env, &cfg), "apply") &&
	    to_vip4(env, 39200, PORT_A, 0, &a) &&
	    to_vip4(env, 39200, PORT_B, 0, &b)) {
		ASSERT_EQ(a.daddr, ip4(eps4[0]), "first flow");
		ASSERT_EQ(b.daddr, ip4(eps4[0]), "second flow: nowhere else");
		ASSERT_EQ(env_count_flows(env), 2, "two flow entries");
	}

	/* traffic_policy: local with one of the two endpoints on this node:
	 * the other is no candidate, even SNATed; the pick stays. */
	test__start_subtest("v4_local_keeps_node_pod");
	config_free(&cfg);
	clash_config(&cfg, VIP4, eps4, 2);
	cfg.node = (struct canary_node_cfg){ .set = true,
					     .address = ip4("10.1.0.1"),
					     .pod_net = ip4(eps4[0]),
					     .pod_len = 32, .port_min = 40000,
					     .port_max = 40009 };
	cfg.svc[0].local = cfg.svc[1].local = true;
	env_clear_flows(env);
	if (ASSERT_OK(env_apply(env, &cfg), "apply") &&
	    to_vip4(env, 39200, PORT_A, 0, &a) &&
	    to_vip4(env, 39200, PORT_B, 0, &b)) {
		ASSERT_EQ(a.daddr, ip4(eps4[0]), "first flow: this node's pod");
		ASSERT_EQ(b.daddr, ip4(eps4[0]), "second flow: this node's pod");
		ASSERT_EQ(b.saddr, ip4(CLIENT4), "client address kept");
	}
out:
	config_free(&cfg);
}

/* IPv6 */

static bool to_vip6(struct test_env *env, __u16 sport, __u16 dport,
		    __u8 flags, struct pkt6_view *v)
{
	struct pkt6_spec s = { .proto = IPPROTO_TCP, .sport = sport,
			       .dport = dport, .tcp_flags = flags };
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 out_len = 0;
	size_t len;

	ip6(CLIENT6, s.saddr);
	ip6(VIP6, s.daddr);
	len = pkt6_build(&s, in);
	if (!ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &out_len), XDP_PASS,
		       "forward verdict"))
		return false;
	*v = pkt6_parse(out, out_len);
	return ASSERT_TRUE(v->ok && v->l4_csum_ok, "forward parses") &&
	       ASSERT_EQ(v->dport, TARGET, "target port") &&
	       ASSERT_EQ(v->sport, sport, "client port kept");
}

static bool reply6(struct test_env *env, const __be32 *ep, __u16 sport,
		   __u16 want)
{
	struct pkt6_spec s = { .proto = IPPROTO_TCP, .sport = TARGET,
			       .dport = sport, .tcp_flags = TCP_SYNACK };
	__u8 in[PKT_MAX], out[PKT_MAX];
	__be32 vip[4];
	struct pkt6_view r;
	__u32 out_len = 0;
	size_t len;

	memcpy(s.saddr, ep, sizeof(s.saddr));
	ip6(CLIENT6, s.daddr);
	ip6(VIP6, vip);
	len = pkt6_build(&s, in);
	if (!ASSERT_EQ(env_run(env->tc_out_fd, in, len, out, &out_len),
		       TC_ACT_UNSPEC, "reply verdict"))
		return false;
	r = pkt6_parse(out, out_len);
	return ASSERT_TRUE(r.ok, "reply parses") &&
	       ASSERT_TRUE(ip6_eq(r.saddr, vip), "reply from the VIP") &&
	       ASSERT_EQ(r.sport, want, "reply from its own service port") &&
	       ASSERT_TRUE(r.l4_csum_ok, "reply checksum");
}

static bool put_flow6(struct test_env *env, __u16 sport, __u16 dport,
		      const __be32 *ep, __u8 flags)
{
	struct canary_flow6_key k = { .sport = htons(sport),
				      .dport = htons(dport),
				      .proto = IPPROTO_TCP };
	struct canary_flow6 f = { .ep_port = htons(TARGET), .flags = flags,
				  .snat_port = flags ? htons(40000) : 0 };

	ip6(CLIENT6, k.saddr);
	ip6(VIP6, k.daddr);
	memcpy(f.ep_addr, ep, sizeof(f.ep_addr));
	return ASSERT_OK(bpf_map_update_elem(env->st.flow6_fd, &k, &f, BPF_ANY),
			 "leftover flow");
}

static void clash6(struct test_env *env)
{
	struct canary_ep_cfg ep;
	struct canary_config cfg;
	struct pkt6_view a, b;
	__be32 only[4];
	__u16 sport;

	clash_config(&cfg, VIP6, eps6, 2);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply"))
		goto out;
	sport = clashing_sport(&cfg, CLIENT6, VIP6, &ep);
	if (!ASSERT_TRUE(sport, "a client port that would clash"))
		goto out;

	test__start_subtest("v6_second_service_other_endpoint");
	env_clear_flows(env);
	if (to_vip6(env, sport, PORT_A, 0, &a) &&
	    ASSERT_TRUE(ip6_eq(a.daddr, ep.addr.v6), "first flow: the plain pick") &&
	    to_vip6(env, sport, PORT_B, 0, &b) &&
	    ASSERT_TRUE(!ip6_eq(b.daddr, a.daddr), "second flow: another endpoint")) {
		reply6(env, a.daddr, sport, PORT_A);
		reply6(env, b.daddr, sport, PORT_B);
	}
	test__start_subtest("v6_established_flows_stay");
	if (to_vip6(env, sport, PORT_A, TCP_ACK, &a) &&
	    to_vip6(env, sport, PORT_B, TCP_ACK, &b)) {
		ASSERT_TRUE(ip6_eq(a.daddr, ep.addr.v6), "first flow stays");
		ASSERT_TRUE(!ip6_eq(b.daddr, ep.addr.v6), "second flow stays");
		ASSERT_EQ(env_count_flows(env), 2, "two flow entries");
	}

	test__start_subtest("v6_stale_entry");
	env_clear_flows(env);
	if (put_flow6(env, sport, PORT_A, ep.addr.v6, 0) &&
	    to_vip6(env, sport, PORT_B, 0, &b) &&
	    ASSERT_TRUE(!ip6_eq(b.daddr, ep.addr.v6), "new flow: another endpoint"))
		reply6(env, b.daddr, sport, PORT_B);

	test__start_subtest("v6_snat_entry_no_clash");
	env_clear_flows(env);
	if (put_flow6(env, sport, PORT_A, ep.addr.v6, CANARY_FLOW_F_SNAT) &&
	    to_vip6(env, sport, PORT_B, 0, &b) &&
	    ASSERT_TRUE(ip6_eq(b.daddr, ep.addr.v6), "the plain pick"))
		reply6(env, b.daddr, sport, PORT_B);
	config_free(&cfg);

	test__start_subtest("v6_one_endpoint_keeps_pick");
	clash_config(&cfg, VIP6, eps6, 1);
	env_clear_flows(env);
	ip6(eps6[0], only);
	if (ASSERT_OK(env_apply(env, &cfg), "apply") &&
	    to_vip6(env, 39200, PORT_A, 0, &a) &&
	    to_vip6(env, 39200, PORT_B, 0, &b)) {
		ASSERT_TRUE(ip6_eq(a.daddr, only), "first flow");
		ASSERT_TRUE(ip6_eq(b.daddr, only), "second flow: nowhere else");
		ASSERT_EQ(env_count_flows(env), 2, "two flow entries");
	}
out:
	config_free(&cfg);
}

void test_clash(void)
{
	struct test_env env;

	if (env_setup(&env))
		return;
	clash4(&env);
	clash6(&env);
	env_teardown(&env);
}
