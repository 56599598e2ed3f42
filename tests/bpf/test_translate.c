// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A packet to the VIP comes out addressed to the endpoint its flow maps to,
 * with valid checksums, through XDP and tc alike; replies get the VIP back. */
#include <arpa/inet.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"

#define TC_ACT_UNSPEC (-1)

static struct pkt_spec to_vip(__u8 proto, __u16 sport)
{
	struct pkt_spec s = {
		.proto = proto,
		.saddr = ip4("10.0.0.2"),
		.daddr = ip4("10.96.0.10"),
		.sport = sport,
		.dport = 5000,
		.payload = 32,
	};
	return s;
}

/* Runs @s through @fd and checks it became the predicted endpoint. */
static bool check_translated(struct test_env *env, struct canary_config *cfg,
			     int fd, int want_ret, const struct pkt_spec *s,
			     struct pkt_view *v)
{
	struct canary_endpoint ep;
	int ret = env_run_spec(fd, s, v);

	(void)env;
	if (env_predict(&cfg->svc[0], s->saddr, s->daddr, s->sport, s->dport,
			s->proto, &ep) < 0)
		return ASSERT_TRUE(false, "prediction");
	return ASSERT_EQ(ret, want_ret, "verdict") &&
	       ASSERT_TRUE(v->ok, "output parses") &&
	       ASSERT_EQ(v->daddr, ep.addr, "destination is the endpoint") &&
	       ASSERT_EQ(v->dport, ntohs(ep.port), "target port") &&
	       ASSERT_EQ(v->saddr, s->saddr, "source kept") &&
	       ASSERT_EQ(v->sport, s->sport, "source port kept") &&
	       ASSERT_TRUE(v->ip_csum_ok, "IPv4 checksum") &&
	       ASSERT_TRUE(v->l4_csum_ok, "L4 checksum");
}

static void tcp_and_udp(struct test_env *env)
{
	struct canary_config cfg;
	struct pkt_spec s;
	struct pkt_view v;

	test__start_subtest("tcp_syn");
	config_init(&cfg);
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply"))
		goto out;
	s = to_vip(IPPROTO_TCP, 40000);
	s.payload = 0;
	check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v);
	ASSERT_EQ(env_global(env).translated, 1, "translated counter");

	test__start_subtest("tcp_options");
	s = to_vip(IPPROTO_TCP, 40001);
	s.tcp_opts = 12;
	check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v);

	test__start_subtest("ip_options");
	s = to_vip(IPPROTO_TCP, 40002);
	s.ip_opts = 8;
	check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v);

	test__start_subtest("vlan_tagged");
	s = to_vip(IPPROTO_TCP, 40003);
	s.vlan = true;
	if (check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v))
		ASSERT_TRUE(v.vlan, "tag kept");

	test__start_subtest("udp");
	config_free(&cfg);
	config_init(&cfg);
	env_seed_config(&cfg, 5000, IPPROTO_UDP);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply udp"))
		goto out;
	s = to_vip(IPPROTO_UDP, 41000);
	check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v);

	test__start_subtest("udp_zero_checksum_stays_zero");
	s = to_vip(IPPROTO_UDP, 41001);
	s.udp_no_csum = true;
	if (check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v))
		ASSERT_EQ(v.l4_csum, 0, "UDP checksum still zero");

	test__start_subtest("tc_ingress_udp");
	s = to_vip(IPPROTO_UDP, 41002);
	check_translated(env, &cfg, env->tc_in_fd, TC_ACT_UNSPEC, &s, &v);
out:
	config_free(&cfg);
}

/* The same flow keeps its endpoint, and the choice is deterministic: with
 * the flow table cleared, and on a second "node" (another pin dir). */
static void same_flow(struct test_env *env)
{
	struct test_env node2;
	struct canary_config cfg;
	struct pkt_view a, b, c, d;
	struct pkt_spec s;
	int i;

	test__start_subtest("same_flow_same_endpoint");
	config_init(&cfg);
	env_seed_config(&cfg, 5000, IPPROTO_TCP);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply") || env_setup(&node2))
		goto out;
	if (!ASSERT_OK(env_apply(&node2, &cfg), "apply on node 2"))
		goto out2;
	for (i = 0; i < 2000; i++) {
		s = to_vip(IPPROTO_TCP, 10000 + i);
		s.saddr = htonl(ntohl(ip4("10.1.0.0")) + i * 7);
		env_run_spec(env->xdp_fd, &s, &a);
		env_run_spec(env->xdp_fd, &s, &b); /* flow-table hit */
		env_run_spec(node2.xdp_fd, &s, &d);
		if (!ASSERT_TRUE(a.daddr == b.daddr && a.daddr == d.daddr,
				 "same endpoint: hit, and on node 2"))
			break;
	}
	ASSERT_OK(env_clear_flows(env), "clear flows");
	s = to_vip(IPPROTO_TCP, 10000);
	s.saddr = ip4("10.1.0.0");
	env_run_spec(env->xdp_fd, &s, &a);
	ASSERT_OK(env_clear_flows(env), "clear flows");
	env_run_spec(env->xdp_fd, &s, &c);
	ASSERT_EQ(a.daddr, c.daddr, "same endpoint after the table was cleared");
out2:
	env_teardown(&node2);
out:
	config_free(&cfg);
}

/* The reply program restores VIP:port as the source of replies. */
static void replies(struct test_env *env)
{
	struct canary_config cfg;
	struct pkt_spec s, r;
	struct pkt_view v, rv;

	test__start_subtest("reply_restores_vip");
	config_init(&cfg);
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	if (!ASSERT_OK(env_apply(env, &cfg), "apply"))
		goto out;
	s = to_vip(IPPROTO_TCP, 42000);
	if (!check_translated(env, &cfg, env->xdp_fd, XDP_PASS, &s, &v))
		goto out;
	r = (struct pkt_spec){ .proto = IPPROTO_TCP, .saddr = v.daddr,
			       .daddr = s.saddr, .sport = v.dport,
			       .dport = s.sport, .tcp_flags = 0x12,
			       .payload = 100 };
	ASSERT_EQ(env_run_spec(env->tc_out_fd, &r, &rv), TC_ACT_UNSPEC, "verdict");
	ASSERT_EQ(rv.saddr, ip4("10.96.0.10"), "source is the VIP");
	ASSERT_EQ(rv.sport, 5000, "source port is the service port");
	ASSERT_EQ(rv.daddr, s.saddr, "destination is the client");
	ASSERT_TRUE(rv.ip_csum_ok && rv.l4_csum_ok, "checksums");
	ASSERT_EQ(env_global(env).replies, 1, "replies counter");

	test__start_subtest("reply_of_unknown_flow_untouched");
	r.dport = s.sport + 1;
	env_run_spec(env->tc_out_fd, &r, &rv);
	ASSERT_EQ(rv.saddr, v.daddr, "source unchanged");
	ASSERT_EQ(rv.sport, v.dport, "source port unchanged");
out:
	config_free(&cfg);
}

void test_translate(void)
{
	struct test_env env;

	if (env_setup(&env))
		goto out;
	tcp_and_udp(&env);
	same_flow(&env);
	replies(&env);
out:
	env_teardown(&env);
}
