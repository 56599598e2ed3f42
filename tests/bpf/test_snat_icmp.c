// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ICMP errors about source-NATed flows, both ways, on XDP and tc ingress:
 *   - from the far side (endpoint, its node, a router between): addressed
 *     to this node, quoting node:snat_port -> endpoint; must come out to
 *     the client quoting exactly the client's own packet (client:cport ->
 *     VIP:vport, byte for byte: addresses, ports, IPv4 and L4 checksums),
 *     from the VIP whoever sent it (the far side is hidden, see
 *     icmp_snat_to_client());
 *   - from the client's side: addressed to the VIP, quoting VIP:vport ->
 *     client; must come out to the endpoint, from this node, quoting
 *     exactly the endpoint's own packet (endpoint -> node:snat_port).
 * Outer IPv4 and ICMP checksums are verified on every frame, the icmp
 * counter counts each translation, and errors about nothing of ours pass
 * byte-identical. tc egress must leave translated errors alone. Mutated
 * copies of the cases come out unchanged or as ICMP errors whose valid
 * checksums stayed valid.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "fuzz.h"
#include "pkt.h"
#include "snat.h"

#define TC_ACT_UNSPEC (-1)
#define NODE "10.1.0.1"
#define EP "10.244.2.21"
#define CLIENT "10.0.0.2"
#define VIP "10.96.0.10"
#define ROUTER_B "10.1.0.254"  /* between this node and the endpoint's */
#define ROUTER_C "10.0.0.254"  /* on the client's side */
#define ETH 14
#define IPH 20

enum flow_id { F_TCP, F_UDP, F_UDP_NOCSUM, F_COUNT };

static struct snat_flow flows[F_COUNT];

static void add_service(struct canary_config *cfg, const char *name,
			__u16 port, __u8 proto, __u16 ep_port)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = addr_v4(ip4(VIP));
	s->port = htons(port);
	s->proto = proto;
	s->snat = CANARY_SNAT_AUTO;
	s->n_versions = 1;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	s->v[0].weight_bps = CANARY_BPS_TOTAL;
	s->v[0].n_endpoints = 1;
	s->v[0].ep[0] = (struct canary_ep_cfg){ addr_v4(ip4(EP)), htons(ep_port), 0 };
}

/* This node 10.1.0.1 with pods in 10.244.1.0/24; the endpoints of both
 * services live on another node, so every flow is SNATed. */
static void snat_icmp_config(struct canary_config *cfg)
{
	cfg->node = (struct canary_node_cfg){ .set = true, .address = ip4(NODE),
					      .pod_net = ip4("10.244.1.0"),
					      .pod_len = 24, .port_min = 40000,
					      .port_max = 40009 };
	add_service(cfg, "tcp", 5000, IPPROTO_TCP, 5050);
	add_service(cfg, "udp", 5001, IPPROTO_UDP, 5999);
}

/* Opens flow @id through XDP and runs its reply back through it. */
static bool open_flow(struct test_env *env, enum flow_id id)
{
	static const struct pkt_spec specs[F_COUNT] = {
		[F_TCP] = { .proto = IPPROTO_TCP, .sport = 41000, .dport = 5000 },
		[F_UDP] = { .proto = IPPROTO_UDP, .sport = 41001, .dport = 5001,
			    .payload = 24 },
		[F_UDP_NOCSUM] = { .proto = IPPROTO_UDP, .sport = 41002,
				   .dport = 5001, .payload = 24,
				   .udp_no_csum = true },
	};
	struct snat_flow *fl = &flows[id];
	struct pkt_spec s = specs[id], r;
	struct pkt_view f, v;

	s.saddr = ip4(CLIENT);
	s.daddr = ip4(VIP);
	fl->client_len = pkt_build(&s, fl->client_pkt);
	if (!ASSERT_EQ(env_run(env->xdp_fd, fl->client_pkt, fl->client_len,
			       fl->fwd, &fl->fwd_len), XDP_PASS, "forward"))
		return false;
	f = pkt_parse(fl->fwd, fl->fwd_len);
	if (!ASSERT_TRUE(f.ok && f.saddr == ip4(NODE) && f.daddr == ip4(EP),
			 "forward SNATed to the endpoint"))
		return false;
	r = s;
	r.saddr = ip4(EP);
	r.daddr = ip4(NODE);
	r.sport = f.dport;
	r.dport = f.sport;
	r.tcp_flags = 0x12;
	fl->ep_reply_len = pkt_build(&r, fl->ep_reply);
	if (!ASSERT_EQ(env_run(env->xdp_fd, fl->ep_reply, fl->ep_reply_len,
			       fl->reply, &fl->reply_len), XDP_PASS, "reply"))
		return false;
	v = pkt_parse(fl->reply, fl->reply_len);
	return ASSERT_TRUE(v.saddr == ip4(VIP) && v.daddr == ip4(CLIENT),
			   "reply translated back");
}

/*
 * One crafted error: @src sends (@type, @code) to @dst quoting @qlen
 * bytes (0: all) of flow @flow's packet @dir ('f' what left this node
 * for the endpoint, 'r' the reply as the client got it). After
 * translation it must come from @want_src, go to @want_dst and quote the
 * same bytes of the packet @dir names on the other side ('f': the
 * client's, 'r': the endpoint's); @want_src 0: untouched.
 */
struct icmp_case {
	const char *name;
	enum flow_id flow;
	char dir;
	const char *src, *dst;
	__u8 type, code;
	__u32 qlen;
	const char *want_src, *want_dst;
};

static const struct icmp_case cases[] = {
	/* The far side, to the client. */
	{ "endpoint_port_unreachable_udp", F_UDP, 'f', EP, NODE, 3, 3, 0,
	  VIP, CLIENT },
	{ "endpoint_port_unreachable_udp_28_bytes", F_UDP, 'f', EP, NODE, 3, 3,
	  IPH + 8, VIP, CLIENT },
	{ "endpoint_unreachable_udp_no_checksum", F_UDP_NOCSUM, 'f', EP, NODE,
	  3, 3, 0, VIP, CLIENT },
	{ "router_frag_needed_tcp_to_client", F_TCP, 'f', ROUTER_B, NODE, 3, 4,
	  0, VIP, CLIENT },
	{ "router_frag_needed_tcp_no_l4_checksum", F_TCP, 'f', ROUTER_B, NODE,
	  3, 4, IPH + 8, VIP, CLIENT },
	{ "router_time_exceeded_tcp_to_client", F_TCP, 'f', "10.2.0.254", NODE,
	  11, 0, IPH + 8, VIP, CLIENT },
	{ "endpoint_node_host_unreachable", F_TCP, 'f', "10.2.0.1", NODE, 3, 1,
	  0, VIP, CLIENT },
	/* The client's side, to the endpoint. */
	{ "router_frag_needed_tcp_to_endpoint", F_TCP, 'r', ROUTER_C, VIP, 3, 4,
	  0, NODE, EP },
	{ "router_frag_needed_tcp_to_endpoint_no_l4_checksum", F_TCP, 'r',
	  ROUTER_C, VIP, 3, 4, IPH + 8, NODE, EP },
	{ "client_port_unreachable_udp_to_endpoint", F_UDP, 'r', CLIENT, VIP, 3,
	  3, 0, NODE, EP },
	{ "client_unreachable_udp_no_checksum", F_UDP_NOCSUM, 'r', CLIENT, VIP,
	  3, 3, 0, NODE, EP },
	{ "router_time_exceeded_udp_to_endpoint", F_UDP, 'r', ROUTER_C, VIP, 11,
	  0, IPH + 8, NODE, EP },
};

/* Checks one translated error @out (of @olen bytes) against case @arg. */
static void check_translated(const void *arg, const __u8 *in, __u32 len,
			     const __u8 *out, __u32 olen)
{
	const struct icmp_case *c = arg;
	struct snat_quote q = snat_quote(&flows[c->flow], c->dir, c->qlen);
	struct icmp_view v = pkt_parse_icmp(out, olen);

	if (!ASSERT_EQ(olen, len, "length") || !ASSERT_TRUE(v.ok, "ICMP"))
		return;
	ASSERT_EQ(v.saddr, ip4(c->want_src), "outer source");
	ASSERT_EQ(v.daddr, ip4(c->want_dst), "outer destination");
	ASSERT_TRUE(v.ip_csum_ok, "outer IPv4 checksum");
	ASSERT_TRUE(v.icmp_csum_ok, "ICMP checksum");
	ASSERT_TRUE(v.q_ip_csum_ok, "quoted IPv4 checksum");
	if (!c->qlen)
		ASSERT_TRUE(v.q_l4_whole && v.q_l4_csum_ok, "quoted L4 checksum");
	/* The quote is now the other side's own packet, checksums and all. */
	ASSERT_MEM_EQ(out + ETH + IPH + 8, q.want + ETH, q.len, "quoted packet");
	ASSERT_MEM_EQ(out + ETH + IPH, in + ETH + IPH, 2, "ICMP type and code");
	ASSERT_MEM_EQ(out + ETH + IPH + 4, in + ETH + IPH + 4, 4,
		      "ICMP MTU / unused word");
}

static void run_case(struct test_env *env, const struct icmp_case *c)
{
	struct snat_quote q = snat_quote(&flows[c->flow], c->dir, c->qlen);
	static __u8 in[PKT_MAX];
	__u32 len;

	test__start_subtest(c->name);
	len = pkt_build_icmp(ip4(c->src), ip4(c->dst), c->type, c->code,
			     q.quoted, q.len, in);
	snat_icmp_run(env, in, len, check_translated, c);
}

/* Errors that quote nothing of ours must pass byte-identical. */
static void untouched(struct test_env *env, const char *name,
		      const void *in, __u32 len)
{
	static __u8 out[PKT_MAX];
	struct canary_global g0 = env_global(env);
	__u32 olen = 0;

	test__start_subtest(name);
	if (ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &olen), XDP_PASS,
		      "xdp verdict"))
		ASSERT_TRUE(olen == len && !memcmp(out, in, len),
			    "xdp: bytes unchanged");
	if (ASSERT_EQ(env_run(env->tc_in_fd, in, len, out, &olen),
		      TC_ACT_UNSPEC, "tc_in verdict"))
		ASSERT_TRUE(olen == len && !memcmp(out, in, len),
			    "tc_in: bytes unchanged");
	ASSERT_EQ(env_global(env).icmp, g0.icmp, "icmp counter unchanged");
}

static void not_ours(struct test_env *env)
{
	static __u8 q[PKT_MAX], in[PKT_MAX];
	const struct snat_flow *fl = &flows[F_TCP];
	__u16 sport = pkt_parse(fl->fwd, fl->fwd_len).sport;
	__u32 len;

	/* A SNAT port this flow does not have. */
	memcpy(q, fl->fwd, fl->fwd_len);
	*(__be16 *)(q + ETH + IPH) = htons(40000 + (sport - 40000 + 1) % 10);
	len = pkt_build_icmp(ip4(EP), ip4(NODE), 3, 3, q, IPH + 8, in);
	untouched(env, "unknown_snat_port_untouched", in, len);

	/* The endpoint's other port. */
	memcpy(q, fl->fwd, fl->fwd_len);
	*(__be16 *)(q + ETH + IPH + 2) = htons(5051);
	len = pkt_build_icmp(ip4(EP), ip4(NODE), 3, 3, q, IPH + 8, in);
	untouched(env, "other_endpoint_port_untouched", in, len);

	/* The right ports, but a packet another host sent (quoted source not
	 * this node), though the error is addressed here. */
	memcpy(q, fl->fwd, fl->fwd_len);
	*(__be32 *)(q + ETH + 12) = ip4("10.1.0.7");
	len = pkt_build_icmp(ip4(EP), ip4(NODE), 3, 3, q, IPH + 8, in);
	untouched(env, "quote_not_from_this_node_untouched", in, len);

	/* UDP quoting our TCP flow's ports. */
	memcpy(q, fl->fwd, fl->fwd_len);
	q[ETH + 9] = IPPROTO_UDP;
	len = pkt_build_icmp(ip4(EP), ip4(NODE), 3, 3, q, IPH + 8, in);
	untouched(env, "other_protocol_untouched", in, len);

	/* Too short to hold the quoted ports. */
	len = pkt_build_icmp(ip4(EP), ip4(NODE), 3, 4, fl->fwd, IPH + 2, in);
	untouched(env, "quote_without_ports_untouched", in, len);
}

#define MUTATIONS 20000 /* mutated errors, each through XDP and tc */

/* Fixes the outer IPv4 and ICMP checksums of @buf, where they fit. */
static void fix_csums(__u8 *buf, __u32 len)
{
	__u8 *ip = buf + ETH, *ic;
	__u32 ihl = (ip[0] & 0xf) * 4, tot = ip[2] << 8 | ip[3];

	if (ihl < IPH || ETH + ihl > len)
		return;
	ip[10] = ip[11] = 0;
	*(__be16 *)(ip + 10) = htons(pkt_csum(ip, ihl));
	ic = ip + ihl;
	if (tot < ihl + 4 || ETH + tot > len)
		return;
	ic[2] = ic[3] = 0;
	*(__be16 *)(ic + 2) = htons(pkt_csum(ic, tot - ihl));
}

/* Whether the quoted IPv4 header of ICMP error @buf has a right checksum. */
static bool quoted_ip_ok(const __u8 *buf, __u32 len)
{
	const __u8 *q = buf + ETH + (buf[ETH] & 0xf) * 4 + 8;
	__u32 qihl;

	if (q >= buf + len)
		return false;
	qihl = (q[0] & 0xf) * 4;
	return q + qihl <= buf + len && pkt_csum(q, qihl) == 0;
}

static void mutated(struct test_env *env)
{
	static __u8 in[PKT_MAX], out[PKT_MAX];
	const int fds[2] = { env->xdp_fd, env->tc_in_fd };
	const int pass[2] = { XDP_PASS, TC_ACT_UNSPEC };
	struct fuzz_rng rng = { .s = 0x5eed1c3bULL };
	unsigned long bad = 0, changed = 0;
	int i, k, m;

	test__start_subtest("mutated_errors_stay_valid");
	for (i = 0; i < MUTATIONS; i++) {
		const struct icmp_case *c =
			&cases[fuzz_below(&rng, sizeof(cases) / sizeof(cases[0]))];
		struct snat_quote q = snat_quote(&flows[c->flow], c->dir, c->qlen);
		__u32 len = pkt_build_icmp(ip4(c->src), ip4(c->dst), c->type,
					   c->code, q.quoted, q.len, in), olen = 0;
		struct fuzz_view vin, vout;

		for (m = 1 + fuzz_below(&rng, 3); m > 0; m--)
			in[ETH + fuzz_below(&rng, len - ETH)] ^=
				1 << fuzz_below(&rng, 8);
		if (fuzz_below(&rng, 4) == 0)
			len -= fuzz_below(&rng, len - ETH - IPH);
		if (fuzz_below(&rng, 2))
			fix_csums(in, len);
		vin = fuzz_parse(in, len);
		for (k = 0; k < 2; k++) {
			int ret = env_run(fds[k], in, len, out, &olen);

			if (ret == ENV_RUN_FAILED)
				continue;
			if (ret != pass[k]) {
				bad++;
				continue;
			}
			if (olen == len && !memcmp(out, in, len))
				continue;
			changed++;
			vout = fuzz_parse(out, olen);
			if (olen != len || !vout.icmp_err ||
			    (vin.ip_csum_ok && !vout.ip_csum_ok) ||
			    (vin.icmp_csum_ok && !vout.icmp_csum_ok) ||
			    (quoted_ip_ok(in, len) && !quoted_ip_ok(out, olen))) {
				if (bad++ < 3)
					fprintf(stderr, "  mutation %d (%s) on %s "
						"broke the error\n", i, c->name,
						k ? "tc_in" : "xdp");
			}
		}
	}
	printf("  %d mutated errors: %lu translated runs\n", MUTATIONS, changed);
	ASSERT_EQ(bad, 0, "broken or wrongly passed frames");
	ASSERT_TRUE(changed > MUTATIONS / 10, "mutations still translated");
}

void test_snat_icmp(void)
{
	struct canary_config cfg;
	struct test_env env;
	size_t i;
	int id;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	snat_icmp_config(&cfg);
	test__start_subtest("setup_snated_flows");
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
		goto teardown;
	for (id = 0; id < F_COUNT; id++)
		if (!open_flow(&env, id))
			goto teardown;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&env, &cases[i]);
	not_ours(&env);
	mutated(&env);
teardown:
	env_teardown(&env);
out:
	config_free(&cfg);
}
