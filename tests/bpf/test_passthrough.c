// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Anything that is not for a service leaves every program byte-identical,
 * truncated and garbled frames included. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"

#define TC_ACT_UNSPEC (-1)

enum mangle {
	M_NONE,
	M_TRUNCATE,   /* cut the frame to .cut bytes */
	M_IHL4,       /* IPv4 header length below the minimum */
	M_VERSION6,   /* IP version 6 behind an IPv4 ethertype */
	M_ETHERTYPE,  /* set the ethertype to .ethertype */
};

struct pass_case {
	const char *desc;
	struct pkt_spec spec;
	enum mangle mangle;
	int cut;
	__u16 ethertype;
	bool fragment_counter; /* counted as a fragment, not as passed */
	/* BPF_PROG_TEST_RUN refuses to build an skb from an IPv4 frame too
	 * short for an IPv4 header, so such frames only go through XDP. */
	bool xdp_only;
};

/* The case table overrides VIP_TCP's defaults field by field. */
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define VIP_TCP(...)                                                   \
	{ .proto = IPPROTO_TCP, .saddr = 0x0200000a /* 10.0.0.2 */,    \
	  .daddr = 0x0a00600a /* 10.96.0.10 */, .sport = 40000,        \
	  .dport = 5000, __VA_ARGS__ }

static const struct pass_case cases[] = {
	{ "other_destination", VIP_TCP(.daddr = 0x0b00600a) },
	{ "vip_other_port", VIP_TCP(.dport = 5001) },
	{ "vip_udp_on_tcp_service", VIP_TCP(.proto = IPPROTO_UDP) },
	{ "vip_icmp", VIP_TCP(.proto = IPPROTO_ICMP, .payload = 8) },
	{ "ethernet_header_only", VIP_TCP(), M_TRUNCATE, 14, .xdp_only = true },
	{ "truncated_in_ipv4", VIP_TCP(), M_TRUNCATE, 14 + 12, .xdp_only = true },
	{ "truncated_in_tcp", VIP_TCP(), M_TRUNCATE, 14 + 20 + 10 },
	{ "truncated_in_ip_options", VIP_TCP(.ip_opts = 40), M_TRUNCATE,
	  14 + 40 },
	{ "ihl_below_minimum", VIP_TCP(), M_IHL4 },
	{ "ip_version_6_in_ipv4_frame", VIP_TCP(), M_VERSION6 },
	{ "arp", VIP_TCP(), M_ETHERTYPE, 0, 0x0806 },
	{ "ipv6_ethertype", VIP_TCP(), M_ETHERTYPE, 0, 0x86dd },
	{ "non_first_fragment", VIP_TCP(.frag_off = 185), M_NONE, 0, 0, true },
};

static __u32 build_case(const struct pass_case *c, __u8 *buf)
{
	__u32 len = pkt_build(&c->spec, buf);

	switch (c->mangle) {
	case M_TRUNCATE:
		return c->cut;
	case M_IHL4:
		buf[14] = 0x44;
		break;
	case M_VERSION6:
		buf[14] = 0x65;
		break;
	case M_ETHERTYPE:
		*(__be16 *)(buf + 12) = htons(c->ethertype);
		break;
	default:
		break;
	}
	return len;
}

/* Runs one case through @fd; the frame must come back untouched. */
static void run_case(const struct pass_case *c, int fd, int want_ret,
		     const char *prog)
{
	static __u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len = build_case(c, in), out_len = 0;
	int ret = env_run(fd, in, len, out, &out_len);

	if (!ASSERT_EQ(ret, want_ret, prog))
		return;
	if (ASSERT_EQ(out_len, len, "length unchanged"))
		ASSERT_MEM_EQ(out, in, len, "bytes unchanged");
}

void test_passthrough(void)
{
	struct canary_global before, after;
	struct canary_config cfg;
	struct test_env env;
	size_t i;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
		goto out;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pass_case *c = &cases[i];

		test__start_subtest(c->desc);
		before = env_global(&env);
		run_case(c, env.xdp_fd, XDP_PASS, "xdp verdict");
		if (!c->xdp_only) {
			run_case(c, env.tc_in_fd, TC_ACT_UNSPEC, "tc ingress verdict");
			run_case(c, env.tc_out_fd, TC_ACT_UNSPEC, "tc egress verdict");
		}
		after = env_global(&env);
		ASSERT_EQ(after.translated, before.translated, "nothing translated");
		if (c->fragment_counter)
			ASSERT_EQ(after.fragments, before.fragments + 2,
				  "fragments counter (xdp and tc ingress)");
		else
			ASSERT_EQ(after.passed,
				  before.passed + (c->xdp_only ? 1 : 2),
				  "passed counter (xdp and tc ingress)");
	}
	ASSERT_EQ(env_count_flows(&env), 0, "no flow recorded");
out:
	env_teardown(&env);
	config_free(&cfg);
}
