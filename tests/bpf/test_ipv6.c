// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The IPv6 packet path: a packet to an IPv6 VIP comes out addressed to the
 * endpoint its flow maps to (the one user space predicts from the shared
 * hash and Maglev table), with a valid L4 checksum, through XDP and tc,
 * past extension headers; replies and ICMPv6 errors get the VIP back;
 * what is not for a service (neighbour discovery, later fragments) passes
 * untouched; pins and weights split IPv6 clients as they split IPv4 ones.
 */
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "env.h"
#include "pkt6.h"

#define TC_ACT_UNSPEC (-1)
#define VIP6 "2001:db8::10"
#define CLIENT6 "2001:db8:c::2"
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_DEST_UNREACH 1

static struct canary_addr a6(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

static void add_version(struct canary_service_cfg *s, int v, const char *name,
			__u16 bps, const char *const *eps, int n)
{
	int i;

	snprintf(s->v[v].name, sizeof(s->v[v].name), "%s", name);
	s->v[v].weight_bps = bps;
	s->v[v].n_endpoints = n;
	for (i = 0; i < n; i++)
		s->v[v].ep[i] = (struct canary_ep_cfg){ a6(eps[i]), htons(8080), 0 };
}

/* six: [2001:db8::10]:80/@proto, v1 on three pods, v2 on one at @v2_bps;
 * optionally 2001:db8:c::/64 pinned to v2. */
static void six_config(struct canary_config *cfg, __u8 proto, __u16 v2_bps,
		       bool pin)
{
	static const char *const v1[] = { "2001:db8:1::11", "2001:db8:1::12",
					  "2001:db8:1::13" };
	static const char *const v2[] = { "2001:db8:1::21" };
	struct canary_service_cfg *s = config_add_service(cfg, NULL);

	snprintf(s->name, sizeof(s->name), "six");
	s->vip = a6(VIP6);
	s->port = htons(80);
	s->proto = proto;
	s->n_versions = 2;
	add_version(s, 0, "v1", 10000 - v2_bps, v1, 3);
	add_version(s, 1, "v2", v2_bps, v2, 1);
	if (pin) {
		s->n_pins = 1;
		s->pins[0].addr = a6("2001:db8:c::");
		s->pins[0].prefixlen = 64;
		snprintf(s->pins[0].version, sizeof(s->pins[0].version), "v2");
	}
}

static struct pkt6_spec to_vip6(__u8 proto, __u16 sport)
{
	struct pkt6_spec s = { .proto = proto, .sport = sport, .dport = 80,
			       .payload = 32 };

	ip6(CLIENT6, s.saddr);
	ip6(VIP6, s.daddr);
	return s;
}

static int run6(int fd, const struct pkt6_spec *s, void *out, __u32 *out_len)
{
	__u8 in[PKT_MAX];
	size_t len = pkt6_build(s, in);

	return env_run(fd, in, len, out, out_len);
}

/* Runs @s through @fd and checks it became the predicted endpoint. */
static bool check_translated(const struct canary_config *cfg, int fd,
			     int want_ret, const struct pkt6_spec *s)
{
	struct canary_addr src = addr_v6(s->saddr), dst = addr_v6(s->daddr);
	__u8 out[PKT_MAX];
	struct canary_ep_cfg ep;
	struct pkt6_view v;
	__u32 out_len;
	int ret = run6(fd, s, out, &out_len);

	if (!ASSERT_TRUE(env_predict_addr(&cfg->svc[0], &src, &dst, s->sport,
					  s->dport, s->proto, &ep) >= 0,
			 "prediction"))
		return false;
	v = pkt6_parse(out, out_len);
	return ASSERT_EQ(ret, want_ret, "verdict") &&
	       ASSERT_TRUE(v.ok, "output parses") &&
	       ASSERT_TRUE(ip6_eq(v.daddr, ep.addr.v6), "destination is the endpoint") &&
	       ASSERT_EQ(v.dport, ntohs(ep.port), "target port") &&
	       ASSERT_TRUE(ip6_eq(v.saddr, s->saddr), "source kept") &&
	       ASSERT_EQ(v.sport, s->sport, "source port kept") &&
	       ASSERT_TRUE(v.l4_csum_ok, "L4 checksum");
}

static int apply_six(struct test_env *env, __u8 proto, __u16 v2_bps, bool pin,
		     struct canary_config *cfg)
{
	config_init(cfg);
	six_config(cfg, proto, v2_bps, pin);
	return env_apply(env, cfg);
}

static void translate(struct test_env *env)
{
	struct pkt6_spec s = to_vip6(IPPROTO_TCP, 40000);
	struct canary_config cfg;

	test__start_subtest("xdp_tcp_syn");
	if (ASSERT_OK(apply_six(env, IPPROTO_TCP, 2500, false, &cfg), "apply"))
		check_translated(&cfg, env->xdp_fd, XDP_PASS, &s);
	test__start_subtest("xdp_established_same_endpoint");
	s.tcp_flags = 0x10; /* ACK */
	if (check_translated(&cfg, env->xdp_fd, XDP_PASS, &s))
		ASSERT_EQ(env_count_flows(env), 1, "one flow entry");
	test__start_subtest("tc_ingress_tcp");
	s = to_vip6(IPPROTO_TCP, 40001);
	check_translated(&cfg, env->tc_in_fd, TC_ACT_UNSPEC, &s);
	test__start_subtest("vlan_tagged");
	s = to_vip6(IPPROTO_TCP, 40002);
	s.vlan = true;
	check_translated(&cfg, env->xdp_fd, XDP_PASS, &s);
	config_free(&cfg);

	test__start_subtest("xdp_udp");
	if (ASSERT_OK(apply_six(env, IPPROTO_UDP, 2500, false, &cfg), "apply")) {
		s = to_vip6(IPPROTO_UDP, 5353);
		check_translated(&cfg, env->xdp_fd, XDP_PASS, &s);
		s = to_vip6(IPPROTO_UDP, 5354);
		check_translated(&cfg, env->tc_in_fd, TC_ACT_UNSPEC, &s);
	}
	config_free(&cfg);
}

#ifndef BPF_F_TEST_SKB_CHECKSUM_COMPLETE
#define BPF_F_TEST_SKB_CHECKSUM_COMPLETE (1U << 2)
#endif

/* Runs @in through tc program @fd as a CHECKSUM_COMPLETE skb; the
 * program's return value, or ENV_RUN_FAILED (the kernel's verdict on the
 * checksum included). */
static int run_csum_complete(int fd, const void *in, __u32 len)
{
	__u8 out[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1,
		    .flags = BPF_F_TEST_SKB_CHECKSUM_COMPLETE);

	if (bpf_prog_test_run_opts(fd, &opts))
		return ENV_RUN_FAILED;
	return opts.retval;
}

/* Hop-by-hop and destination options, and the first fragment, are
 * skipped to the ports; a later fragment has none and passes. */
static void extension_headers(struct test_env *env)
{
	struct pkt6_spec s = to_vip6(IPPROTO_UDP, 6000);
	struct canary_config cfg;
	struct canary_global before, after;
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 out_len;
	size_t len;
	int ret;

	if (!ASSERT_OK(apply_six(env, IPPROTO_UDP, 2500, false, &cfg), "apply"))
		goto out;
	test__start_subtest("hop_by_hop_and_dest_opts");
	s.ext[0] = 0;
	s.ext[1] = 60;
	s.n_ext = 2;
	check_translated(&cfg, env->xdp_fd, XDP_PASS, &s);
	test__start_subtest("tc_three_ext_headers");
	s = to_vip6(IPPROTO_UDP, 6001);
	s.ext[0] = 0;
	s.ext[1] = 60;
	s.ext[2] = 60;
	s.n_ext = 3;
	check_translated(&cfg, env->tc_in_fd, TC_ACT_UNSPEC, &s);
	/* As many headers as the parser skips (PARSE_IPV6_MAX_EXT): it used
	 * to give up after skipping the last one, ports in sight. */
	test__start_subtest("four_ext_headers");
	s = to_vip6(IPPROTO_UDP, 6003);
	s.ext[0] = 0;
	s.ext[1] = 60;
	s.ext[2] = 44;
	s.ext[3] = 60;
	s.n_ext = 4;
	check_translated(&cfg, env->xdp_fd, XDP_PASS, &s);
	s.sport = 6004;
	check_translated(&cfg, env->tc_in_fd, TC_ACT_UNSPEC, &s);
	test__start_subtest("routing_header_with_segments_left_passes");
	/* daddr is then the next segment, not the destination. */
	s = to_vip6(IPPROTO_UDP, 6003);
	s.ext[0] = 43; /* pkt6_build: type 1, segments left 4 */
	s.n_ext = 1;
	len = pkt6_build(&s, in);
	ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &out_len), XDP_PASS, "verdict");
	ASSERT_TRUE(out_len == len && !memcmp(in, out, len), "frame unchanged");
	test__start_subtest("tc_checksum_complete_skb");
	/* No IPv6 header checksum absorbs the address change: the skb's
	 * complete checksum must follow it, or the kernel reports a bad
	 * hardware checksum (test_run: -EBADMSG). */
	s = to_vip6(IPPROTO_UDP, 6004);
	len = pkt6_build(&s, in);
	ASSERT_EQ(run_csum_complete(env->tc_in_fd, in, len), TC_ACT_UNSPEC,
		  "tc_in on a CHECKSUM_COMPLETE skb");
	test__start_subtest("first_fragment");
	s = to_vip6(IPPROTO_UDP, 6002);
	s.ext[0] = 44;
	s.n_ext = 1;
	check_translated(&cfg, env->xdp_fd, XDP_PASS, &s);
	test__start_subtest("later_fragment_passes_counted");
	s.frag_off = 185;
	len = pkt6_build(&s, in);
	before = env_global(env);
	ret = env_run(env->xdp_fd, in, len, out, &out_len);
	after = env_global(env);
	ASSERT_EQ(ret, XDP_PASS, "verdict");
	ASSERT_TRUE(out_len == len && !memcmp(in, out, len), "frame unchanged");
	ASSERT_EQ(after.fragments - before.fragments, 1, "fragments counter");
out:
	config_free(&cfg);
}

/* Neighbour discovery to the VIP, and traffic to other ports, pass. */
static void passthrough(struct test_env *env)
{
	struct pkt6_spec s = to_vip6(IPPROTO_ICMPV6, 0);
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct canary_config cfg;
	__u32 out_len;
	size_t len;

	if (!ASSERT_OK(apply_six(env, IPPROTO_TCP, 2500, false, &cfg), "apply"))
		goto out;
	test__start_subtest("neighbour_solicitation_untouched");
	s.icmp_type = 135;
	len = pkt6_build(&s, in);
	ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &out_len), XDP_PASS, "verdict");
	ASSERT_TRUE(out_len == len && !memcmp(in, out, len), "frame unchanged");
	test__start_subtest("other_port_untouched");
	s = to_vip6(IPPROTO_TCP, 40000);
	s.dport = 81;
	len = pkt6_build(&s, in);
	ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &out_len), XDP_PASS, "verdict");
	ASSERT_TRUE(out_len == len && !memcmp(in, out, len), "frame unchanged");
	test__start_subtest("ipv4_vip_word_is_not_ipv6");
	/* An IPv4 service on 32 bits of the IPv6 VIP must not match. */
	s = to_vip6(IPPROTO_TCP, 40000);
	s.daddr[0] = s.daddr[3] = htonl(0x0a60000a);
	len = pkt6_build(&s, in);
	ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &out_len), XDP_PASS, "verdict");
	ASSERT_TRUE(out_len == len && !memcmp(in, out, len), "frame unchanged");
out:
	config_free(&cfg);
}

/* The forward packet of @s through XDP; its endpoint in @ep. */
static bool forward(struct test_env *env, const struct pkt6_spec *s,
		    struct pkt6_view *fw)
{
	__u8 out[PKT_MAX];
	__u32 out_len;

	if (!ASSERT_EQ(run6(env->xdp_fd, s, out, &out_len), XDP_PASS, "forward"))
		return false;
	*fw = pkt6_parse(out, out_len);
	return ASSERT_TRUE(fw->ok, "forward parses");
}

static void replies(struct test_env *env)
{
	struct pkt6_spec s = to_vip6(IPPROTO_TCP, 41000), r = {};
	struct canary_config cfg;
	struct pkt6_view fw, rv;
	__u8 out[PKT_MAX];
	__u32 out_len;
	__be32 vip[4];

	ip6(VIP6, vip);
	if (!ASSERT_OK(apply_six(env, IPPROTO_TCP, 5000, false, &cfg), "apply") ||
	    !forward(env, &s, &fw))
		goto out;
	test__start_subtest("reply_restores_vip");
	r.proto = IPPROTO_TCP;
	memcpy(r.saddr, fw.daddr, 16);
	memcpy(r.daddr, s.saddr, 16);
	r.sport = fw.dport;
	r.dport = s.sport;
	r.tcp_flags = 0x12;
	ASSERT_EQ(run6(env->tc_out_fd, &r, out, &out_len), TC_ACT_UNSPEC, "verdict");
	rv = pkt6_parse(out, out_len);
	ASSERT_TRUE(rv.ok && ip6_eq(rv.saddr, vip), "source is the VIP");
	ASSERT_EQ(rv.sport, 80, "source port is the service port");
	ASSERT_TRUE(ip6_eq(rv.daddr, s.saddr) && rv.dport == s.sport, "to the client");
	ASSERT_TRUE(rv.l4_csum_ok, "L4 checksum");
	test__start_subtest("reply_of_unknown_flow_untouched");
	r.dport = s.sport + 1;
	ASSERT_EQ(run6(env->tc_out_fd, &r, out, &out_len), TC_ACT_UNSPEC, "verdict");
	rv = pkt6_parse(out, out_len);
	ASSERT_TRUE(rv.ok && ip6_eq(rv.saddr, fw.daddr), "source still the pod");
out:
	config_free(&cfg);
}

/* ICMPv6 errors: packet too big from the client's side about a reply
 * (to the VIP) reaches the endpoint; unreachable from the endpoint about
 * a forward packet reaches the client about the VIP. */
static void icmp6_errors(struct test_env *env)
{
	struct pkt6_spec s = to_vip6(IPPROTO_UDP, 42000), r = {};
	__u8 q[PKT_MAX], in[PKT_MAX], out[PKT_MAX];
	struct canary_global before, after;
	struct canary_config cfg;
	struct pkt6_view fw;
	struct icmp6_view iv;
	__u32 out_len;
	size_t qlen, len;
	__be32 vip[4];

	ip6(VIP6, vip);
	if (!ASSERT_OK(apply_six(env, IPPROTO_UDP, 5000, false, &cfg), "apply") ||
	    !forward(env, &s, &fw))
		goto out;
	test__start_subtest("packet_too_big_to_vip_goes_to_endpoint");
	/* The reply as the client saw it: VIP:80 -> client. */
	r.proto = IPPROTO_UDP;
	memcpy(r.saddr, vip, 16);
	memcpy(r.daddr, s.saddr, 16);
	r.sport = 80;
	r.dport = s.sport;
	r.payload = 40;
	qlen = pkt6_build(&r, q) - 14;
	len = pkt6_build_icmp(s.saddr, vip, ICMPV6_PKT_TOOBIG, 0, 1280, q, qlen, in);
	before = env_global(env);
	ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &out_len), XDP_PASS, "verdict");
	after = env_global(env);
	iv = pkt6_parse_icmp(out, out_len);
	ASSERT_TRUE(iv.ok && ip6_eq(iv.daddr, fw.daddr), "outer destination is the endpoint");
	ASSERT_TRUE(ip6_eq(iv.q_saddr, fw.daddr) && iv.q_sport == fw.dport,
		    "quote from the endpoint");
	ASSERT_TRUE(iv.icmp_csum_ok, "ICMPv6 checksum");
	ASSERT_TRUE(iv.q_l4_csum_ok, "quoted UDP checksum");
	ASSERT_EQ(after.icmp - before.icmp, 1, "icmp counter");
	test__start_subtest("unreachable_from_endpoint_shows_vip");
	/* The forward packet as the endpoint got it, quoted by the endpoint. */
	r = s;
	memcpy(r.daddr, fw.daddr, 16);
	r.dport = fw.dport;
	qlen = pkt6_build(&r, q) - 14;
	len = pkt6_build_icmp(fw.daddr, s.saddr, ICMPV6_DEST_UNREACH, 4, 0, q,
			      qlen, in);
	ASSERT_EQ(env_run(env->tc_out_fd, in, len, out, &out_len), TC_ACT_UNSPEC,
		  "verdict");
	iv = pkt6_parse_icmp(out, out_len);
	ASSERT_TRUE(iv.ok && ip6_eq(iv.saddr, vip), "outer source is the VIP");
	ASSERT_TRUE(ip6_eq(iv.q_daddr, vip) && iv.q_dport == 80, "quote to the VIP");
	ASSERT_TRUE(iv.icmp_csum_ok, "ICMPv6 checksum");
	ASSERT_TRUE(iv.q_l4_csum_ok, "quoted UDP checksum");
out:
	config_free(&cfg);
}

/* Weights and pins split IPv6 clients: 20,000 flows at 25 %, and a
 * pinned /64 going to v2 at 0 %. */
static void split(struct test_env *env)
{
	struct canary_config cfg;
	__u8 out[PKT_MAX];
	struct pkt6_view v;
	struct pkt6_spec s;
	__be32 v2[4];
	__u32 out_len;
	int i, n = 20000, to_v2 = 0, pinned = 0;

	ip6("2001:db8:1::21", v2);
	test__start_subtest("split_25_percent");
	if (!ASSERT_OK(apply_six(env, IPPROTO_UDP, 2500, false, &cfg), "apply"))
		goto out;
	for (i = 0; i < n; i++) {
		s = to_vip6(IPPROTO_UDP, 1024 + i % 50000);
		s.saddr[3] = htonl(0x1000 + i / 50000 * 7 + i);
		s.payload = 0;
		if (run6(env->xdp_fd, &s, out, &out_len) != XDP_PASS)
			break;
		v = pkt6_parse(out, out_len);
		to_v2 += v.ok && ip6_eq(v.daddr, v2);
	}
	ASSERT_EQ(i, n, "every packet passed");
	ASSERT_LE(abs(to_v2 * 10000 / n - 2500), 100, "v2 share within 1 point of 25 %");
	config_free(&cfg);

	test__start_subtest("pinned_prefix_goes_to_v2_at_0");
	env_clear_flows(env);
	if (!ASSERT_OK(apply_six(env, IPPROTO_UDP, 0, true, &cfg), "apply"))
		goto out;
	for (i = 0; i < 200; i++) {
		s = to_vip6(IPPROTO_UDP, 2000 + i);
		s.saddr[3] = htonl(i + 1); /* inside 2001:db8:c::/64 */
		run6(env->xdp_fd, &s, out, &out_len);
		v = pkt6_parse(out, out_len);
		pinned += v.ok && ip6_eq(v.daddr, v2);
		s.saddr[1] ^= htonl(1); /* outside it: weight 0 */
		s.sport += 1000;
		run6(env->xdp_fd, &s, out, &out_len);
		v = pkt6_parse(out, out_len);
		pinned -= v.ok && ip6_eq(v.daddr, v2);
	}
	ASSERT_EQ(pinned, 200, "pinned clients all on v2, others none");
out:
	config_free(&cfg);
}

void test_ipv6(void)
{
	struct test_env env;

	if (env_setup(&env))
		goto out;
	translate(&env);
	extension_headers(&env);
	passthrough(&env);
	replies(&env);
	icmp6_errors(&env);
	split(&env);
out:
	env_teardown(&env);
}
