// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ICMP errors about translated flows are translated back, outer and
 * quoted headers and all three checksums; others pass untouched. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"

#define TC_ACT_UNSPEC (-1)
#define CLIENT "10.0.0.2"
#define VIP "10.96.0.10"

struct setup {
	struct pkt_view fwd; /* the client's SYN after translation */
	__u8 fwd_frame[PKT_MAX];
	__u32 fwd_len;
};

/* Opens a flow client:42000 -> VIP:5000 through XDP. */
static bool open_flow(struct test_env *env, struct setup *s)
{
	struct pkt_spec syn = { .proto = IPPROTO_TCP, .saddr = ip4(CLIENT),
				.daddr = ip4(VIP), .sport = 42000,
				.dport = 5000 };
	__u8 in[PKT_MAX];
	__u32 len = pkt_build(&syn, in);

	if (!ASSERT_EQ(env_run(env->xdp_fd, in, len, s->fwd_frame, &s->fwd_len),
		       XDP_PASS, "syn translated"))
		return false;
	s->fwd = pkt_parse(s->fwd_frame, s->fwd_len);
	return ASSERT_TRUE(s->fwd.ok && s->fwd.daddr != ip4(VIP), "syn parsed");
}

/* Runs an ICMP error through @fd; returns what came out. */
static struct icmp_view run_icmp(int fd, int want, __be32 src, __be32 dst,
				 __u8 code, const void *quoted, size_t qlen)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len = pkt_build_icmp(src, dst, 3, code, quoted, qlen, in), olen = 0;
	struct icmp_view bad = {};

	if (!ASSERT_EQ(env_run(fd, in, len, out, &olen), want, "verdict"))
		return bad;
	return pkt_parse_icmp(out, olen);
}

static void from_endpoint(struct test_env *env, struct setup *s)
{
	struct icmp_view v;

	/* Port unreachable from the endpoint itself, quoting 28 bytes. */
	test__start_subtest("endpoint_error_to_client");
	v = run_icmp(env->tc_out_fd, TC_ACT_UNSPEC, s->fwd.daddr, ip4(CLIENT), 3,
		     s->fwd_frame, 28);
	ASSERT_EQ(v.saddr, ip4(VIP), "outer source is the VIP");
	ASSERT_EQ(v.q_daddr, ip4(VIP), "quoted destination is the VIP");
	ASSERT_EQ(v.q_dport, 5000, "quoted destination port");
	ASSERT_EQ(v.q_saddr, ip4(CLIENT), "quoted source kept");
	ASSERT_TRUE(v.ip_csum_ok && v.icmp_csum_ok && v.q_ip_csum_ok,
		    "outer, ICMP and quoted checksums");

	/* Fragmentation needed from a router on the way, quoting the whole
	 * TCP header (its checksum is then in the quote too). */
	test__start_subtest("router_frag_needed_to_client");
	v = run_icmp(env->tc_out_fd, TC_ACT_UNSPEC, ip4("10.244.1.1"),
		     ip4(CLIENT), 4, s->fwd_frame, 40);
	ASSERT_EQ(v.saddr, ip4("10.244.1.1"), "router stays the sender");
	ASSERT_EQ(v.q_daddr, ip4(VIP), "quoted destination is the VIP");
	ASSERT_TRUE(v.ip_csum_ok && v.icmp_csum_ok && v.q_ip_csum_ok,
		    "checksums");
}

static void to_endpoint(struct test_env *env, struct setup *s)
{
	struct pkt_spec reply = { .proto = IPPROTO_TCP, .saddr = ip4(VIP),
				  .daddr = ip4(CLIENT), .sport = 5000,
				  .dport = 42000, .tcp_flags = 0x12 };
	__u8 q[PKT_MAX];
	struct icmp_view v;

	/* A router near the client cannot forward our (VIP-sourced) reply. */
	test__start_subtest("client_side_error_to_endpoint");
	pkt_build(&reply, q);
	v = run_icmp(env->xdp_fd, XDP_PASS, ip4("10.0.0.254"), ip4(VIP), 4, q,
		     40);
	ASSERT_EQ(v.daddr, s->fwd.daddr, "outer destination is the endpoint");
	ASSERT_EQ(v.q_saddr, s->fwd.daddr, "quoted source is the endpoint");
	ASSERT_EQ(v.q_sport, s->fwd.dport, "quoted source port is the target");
	ASSERT_TRUE(v.ip_csum_ok && v.icmp_csum_ok && v.q_ip_csum_ok,
		    "checksums");
	ASSERT_EQ(env_global(env).icmp, 3, "icmp counter");
}

static void unrelated(struct test_env *env, struct setup *s)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len, olen = 0;

	test__start_subtest("error_about_other_flow_untouched");
	/* Quote a flow from another client port: not in the flow table. */
	s->fwd_frame[14 + 20 + 1] ^= 0x55;
	len = pkt_build_icmp(s->fwd.daddr, ip4(CLIENT), 3, 3, s->fwd_frame, 28,
			     in);
	ASSERT_EQ(env_run(env->tc_out_fd, in, len, out, &olen), TC_ACT_UNSPEC,
		  "verdict");
	if (ASSERT_EQ(olen, len, "length"))
		ASSERT_MEM_EQ(out, in, len, "bytes unchanged");
	ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &olen), XDP_PASS, "xdp");
	ASSERT_MEM_EQ(out, in, len, "bytes unchanged by xdp");
}

void test_icmp(void)
{
	struct canary_config cfg;
	struct test_env env;
	struct setup s;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply") || !open_flow(&env, &s))
		goto teardown;
	from_endpoint(&env, &s);
	to_endpoint(&env, &s);
	unrelated(&env, &s);
teardown:
	env_teardown(&env);
out:
	config_free(&cfg);
}
