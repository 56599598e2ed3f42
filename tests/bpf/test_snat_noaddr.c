// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A SNATed flow whose node loses the address of its family (the node
 * section's address or address6 removed): its packets are dropped and
 * counted (snat_full, no_endpoint), never sent from the all-zero address,
 * through XDP and tc, IPv4 and IPv6; new flows then go unSNATed, with the
 * client address; and when the address comes back the flow goes on from
 * the port it had. An endpoint at the node's own address (a hostNetwork
 * pod) is never SNATed: its reply would be delivered locally, never
 * translated back.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"
#include "pkt6.h"

#define TC_ACT_SHOT 2
#define NODE "10.1.0.1"
#define NODE6 "fd00:10::1"
#define CLIENT "10.0.0.2"
#define CLIENT6 "fd00:c::2"
#define REMOTE_EP "10.244.2.21"
#define REMOTE_EP6 "fd00:244:2::21"

/* Flows of one family, seen the same way for both. */
struct seen {
	int verdict;
	bool ok;          /* parsed as TCP */
	bool from_node;   /* source: the node's address of the family */
	bool from_client; /* source: the client */
	bool zero_src;    /* source: the all-zero address */
	bool to_remote;   /* destination: the remote endpoint */
	bool to_node;     /* destination: the node's address of the family */
	bool csum_ok;
	__u16 sport;
};

static struct canary_addr a6(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

/* A dual-stack node (both addresses, both pod CIDRs), less @drop4's or
 * @drop6's address and pod CIDR; a TCP service of each family sending
 * every flow to a pod on another node. */
static void noaddr_config(struct canary_config *cfg, bool drop4, bool drop6)
{
	struct canary_service_cfg *s;
	int i;

	config_free(cfg);
	config_init(cfg);
	cfg->node = (struct canary_node_cfg){ .set = true, .port_min = 40000,
					      .port_max = 40009 };
	if (!drop4) {
		cfg->node.address = ip4(NODE);
		cfg->node.pod_net = ip4("10.244.1.0");
		cfg->node.pod_len = 24;
	}
	if (!drop6) {
		ip6(NODE6, cfg->node.address6);
		ip6("fd00:244:1::", cfg->node.pod_net6);
		cfg->node.pod_len6 = 64;
	}
	for (i = 0; i < 2; i++) {
		s = config_add_service(cfg, NULL);
		snprintf(s->name, sizeof(s->name), i ? "six" : "four");
		s->vip = i ? a6("2001:db8::10") : addr_v4(ip4("10.96.0.10"));
		s->port = htons(5000);
		s->proto = IPPROTO_TCP;
		s->snat = CANARY_SNAT_AUTO;
		s->n_versions = 1;
		snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
		s->v[0].weight_bps = 10000;
		s->v[0].n_endpoints = 1;
		s->v[0].ep[0] = (struct canary_ep_cfg){
			i ? a6(REMOTE_EP6) : addr_v4(ip4(REMOTE_EP)), htons(5050), 0 };
	}
}

/* One TCP packet from client port @cport to the VIP of family @v6
 * through @fd. */
static struct seen send_tcp(int fd, bool v6, __u16 cport, __u8 flags)
{
	static __u8 in[PKT_MAX], out[PKT_MAX];
	struct seen r = {};
	__u32 len, out_len = 0;
	__be32 node6[4], ep6[4], client6[4];

	if (!v6) {
		struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ip4(CLIENT),
				      .daddr = ip4("10.96.0.10"), .sport = cport,
				      .dport = 5000, .tcp_flags = flags };
		struct pkt_view v;

		len = pkt_build(&s, in);
		r.verdict = env_run(fd, in, len, out, &out_len);
		v = pkt_parse(out, out_len);
		r.ok = v.ok;
		r.from_node = v.saddr == ip4(NODE);
		r.from_client = v.saddr == ip4(CLIENT);
		r.zero_src = v.saddr == 0;
		r.to_remote = v.daddr == ip4(REMOTE_EP);
		r.to_node = v.daddr == ip4(NODE);
		r.csum_ok = v.ip_csum_ok && v.l4_csum_ok;
		r.sport = v.sport;
		return r;
	}
	struct pkt6_spec s = { .proto = IPPROTO_TCP, .sport = cport, .dport = 5000,
			       .tcp_flags = flags, .payload = 24 };
	struct pkt6_view v;
	static const __be32 zero6[4];

	ip6(CLIENT6, s.saddr);
	ip6("2001:db8::10", s.daddr);
	len = pkt6_build(&s, in);
	r.verdict = env_run(fd, in, len, out, &out_len);
	v = pkt6_parse(out, out_len);
	ip6(NODE6, node6);
	ip6(REMOTE_EP6, ep6);
	ip6(CLIENT6, client6);
	r.ok = v.ok;
	r.from_node = ip6_eq(v.saddr, node6);
	r.from_client = ip6_eq(v.saddr, client6);
	r.zero_src = ip6_eq(v.saddr, zero6);
	r.to_remote = ip6_eq(v.daddr, ep6);
	r.to_node = ip6_eq(v.daddr, node6);
	r.csum_ok = v.l4_csum_ok;
	r.sport = v.sport;
	return r;
}

/* Family @v6 through program @fd (@pass, @drop: its verdicts). */
static void family(struct test_env *env, struct canary_config *cfg, bool v6,
		   int fd, int pass, int drop, const char *prog, __u16 cport)
{
	const char *fam = v6 ? "ipv6" : "ipv4";
	struct canary_global g0, g1;
	struct seen first, r;
	char name[96];

	snprintf(name, sizeof(name), "%s_%s_snated_flow_opened", prog, fam);
	test__start_subtest(name);
	noaddr_config(cfg, false, false);
	if (!ASSERT_OK(env_apply(env, cfg), "apply dual-stack node"))
		return;
	first = send_tcp(fd, v6, cport, 0);
	if (!ASSERT_EQ(first.verdict, pass, "verdict") ||
	    !ASSERT_TRUE(first.ok && first.from_node && first.to_remote,
			 "SNATed to the remote pod"))
		return;

	snprintf(name, sizeof(name), "%s_%s_snated_flow_dropped_without_address",
		 prog, fam);
	test__start_subtest(name);
	noaddr_config(cfg, !v6, v6);
	if (!ASSERT_OK(env_apply(env, cfg), "apply node without the address"))
		return;
	g0 = env_global(env);
	r = send_tcp(fd, v6, cport, 0x10);
	ASSERT_EQ(r.verdict, drop, "verdict");
	ASSERT_TRUE(!r.zero_src, "never from the all-zero address");
	g1 = env_global(env);
	ASSERT_EQ(g1.snat_full - g0.snat_full, 1, "snat_full counter");
	ASSERT_EQ(g1.no_endpoint - g0.no_endpoint, 1, "no_endpoint counter");
	ASSERT_EQ(g1.translated - g0.translated, 0, "translated counter");

	snprintf(name, sizeof(name), "%s_%s_new_flow_not_snated_without_address",
		 prog, fam);
	test__start_subtest(name);
	r = send_tcp(fd, v6, cport + 1, 0);
	ASSERT_EQ(r.verdict, pass, "verdict");
	ASSERT_TRUE(r.ok && r.from_client && r.to_remote && r.csum_ok,
		    "to the remote pod from the client");
	ASSERT_EQ(env_global(env).snat - g1.snat, 0, "snat counter");

	snprintf(name, sizeof(name), "%s_%s_snated_flow_back_with_address",
		 prog, fam);
	test__start_subtest(name);
	noaddr_config(cfg, false, false);
	if (!ASSERT_OK(env_apply(env, cfg), "apply the address again"))
		return;
	r = send_tcp(fd, v6, cport, 0x10);
	ASSERT_EQ(r.verdict, pass, "verdict");
	ASSERT_TRUE(r.ok && r.from_node && r.to_remote && r.csum_ok,
		    "SNATed to the remote pod");
	ASSERT_EQ(r.sport, first.sport, "the same SNAT port");
}

/* Services whose only endpoint is the node's own address, SNAT @mode:
 * new flows of both families keep the client address. */
static void endpoint_at_node(struct test_env *env, struct canary_config *cfg,
			     __u8 mode, const char *name)
{
	struct seen r;
	int v6;

	test__start_subtest(name);
	noaddr_config(cfg, false, false);
	cfg->svc[0].v[0].ep[0].addr = addr_v4(ip4(NODE));
	cfg->svc[1].v[0].ep[0].addr = a6(NODE6);
	cfg->svc[0].snat = cfg->svc[1].snat = mode;
	if (!ASSERT_OK(env_apply(env, cfg), "apply"))
		return;
	for (v6 = 0; v6 < 2; v6++) {
		r = send_tcp(env->xdp_fd, v6, 46200 + v6 + 10 * mode, 0);
		ASSERT_EQ(r.verdict, XDP_PASS, "verdict");
		ASSERT_TRUE(r.ok && r.to_node && r.from_client && r.csum_ok,
			    v6 ? "IPv6: to the node from the client" :
				 "IPv4: to the node from the client");
	}
}

void test_snat_noaddr(void)
{
	struct canary_config cfg;
	struct test_env env;
	int v6;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	for (v6 = 0; v6 < 2; v6++) {
		family(&env, &cfg, v6, env.xdp_fd, XDP_PASS, XDP_DROP, "xdp",
		       46000 + 10 * v6);
		family(&env, &cfg, v6, env.tc_in_fd, -1, TC_ACT_SHOT, "tc",
		       46100 + 10 * v6);
	}
	endpoint_at_node(&env, &cfg, CANARY_SNAT_AUTO,
			 "endpoint_at_node_address_not_snated_auto");
	endpoint_at_node(&env, &cfg, CANARY_SNAT_ALWAYS,
			 "endpoint_at_node_address_not_snated_always");
	env_teardown(&env);
out:
	config_free(&cfg);
}
