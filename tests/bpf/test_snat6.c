// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPv6 source NAT (test_snat.c's twin): a flow to an endpoint outside
 * this node's IPv6 pod CIDR leaves from the node's IPv6 address and a
 * SNAT port, with a valid TCP/UDP checksum (pseudo-header), through XDP
 * and tc; the reply coming back to that address and port becomes VIP ->
 * client; the modes (auto, always, never) and traffic_policy: local; port
 * exhaustion drops rather than reuses; a way back the LRU evicted is put
 * back by its flow's next packet, and a port serves one live flow only
 * whichever comes first. ICMPv6 errors about SNATed flows
 * are translated both ways (destination unreachable, packet too big,
 * time exceeded): from the far side to the client, quoting exactly the
 * client's own packet, from the VIP; from the client's side to the
 * endpoint, quoting exactly the endpoint's own packet, from this node.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt6.h"
#include "snat.h"

#define TC_ACT_UNSPEC (-1)
#define NODE6 "fd00:10::1"
#define CLIENT6 "fd00:c::2"
#define VIP6 "2001:db8::10"
#define LOCAL_EP6 "fd00:244:1::11"
#define REMOTE_EP6 "fd00:244:2::21"
#define ROUTER_B6 "fd00:20::fe" /* between this node and the endpoint's */
#define ROUTER_C6 "fd00:c::fe"  /* on the client's side */
#define ETH 14
#define IP6H 40

static struct canary_addr a6(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

static bool is6(const __be32 *a, const char *s)
{
	__be32 b[4];

	ip6(s, b);
	return ip6_eq(a, b);
}

/* Node fd00:10::1 with pods in fd00:244:1::/64 (and its IPv4 twin), ten
 * SNAT ports; service [2001:db8::10]:5000 (and :5001 UDP) with v1 on
 * this node and v2 on another, v2 at @v2_pct. */
static void snat6_config(struct canary_config *cfg, int v2_pct, __u8 snat,
			 bool local)
{
	__u8 protos[2] = { IPPROTO_TCP, IPPROTO_UDP };
	struct canary_service_cfg *s;
	int i;

	config_free(cfg);
	config_init(cfg);
	cfg->node = (struct canary_node_cfg){ .set = true, .address = ip4("10.1.0.1"),
					      .pod_net = ip4("10.244.1.0"),
					      .pod_len = 24, .port_min = 40000,
					      .port_max = 40009, .pod_len6 = 64 };
	ip6(NODE6, cfg->node.address6);
	ip6("fd00:244:1::", cfg->node.pod_net6);
	for (i = 0; i < 2; i++) {
		s = config_add_service(cfg, NULL);
		snprintf(s->name, sizeof(s->name), "six%d", i);
		s->vip = a6(VIP6);
		s->port = htons(5000 + i);
		s->proto = protos[i];
		s->snat = snat;
		s->local = local;
		s->n_versions = 2;
		snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
		snprintf(s->v[1].name, sizeof(s->v[1].name), "v2");
		s->v[0].weight_bps = (100 - v2_pct) * 100;
		s->v[1].weight_bps = v2_pct * 100;
		s->v[0].n_endpoints = s->v[1].n_endpoints = 1;
		s->v[0].ep[0] = (struct canary_ep_cfg){ a6(LOCAL_EP6), htons(5050), 0 };
		s->v[1].ep[0] = (struct canary_ep_cfg){ a6(REMOTE_EP6), htons(5050), 0 };
	}
}

static struct pkt6_spec to_vip(__u8 proto, __u16 sport)
{
	struct pkt6_spec s = { .proto = proto, .sport = sport,
			       .dport = proto == IPPROTO_TCP ? 5000 : 5001,
			       .payload = 24 };

	ip6(CLIENT6, s.saddr);
	ip6(VIP6, s.daddr);
	return s;
}

/* Builds @s, runs it through @fd, parses the result into @v. */
static int run6(int fd, const struct pkt6_spec *s, struct pkt6_view *v)
{
	static __u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len = pkt6_build(s, in), out_len = 0;
	int ret = env_run(fd, in, len, out, &out_len);

	*v = pkt6_parse(out, out_len);
	return ret;
}

/* A new flow to the remote endpoint leaves SNATed, its reply comes back
 * as from the VIP, through program @fd (verdict @pass). */
static void remote_and_back(struct test_env *env, int fd, int pass, __u8 proto,
			    __u16 cport, const char *how)
{
	struct pkt6_spec s = to_vip(proto, cport), r;
	struct canary_global g0 = env_global(env);
	struct pkt6_view v, b;
	char name[64];

	snprintf(name, sizeof(name), "%s_%s_snated_and_back", how,
		 proto == IPPROTO_TCP ? "tcp" : "udp");
	test__start_subtest(name);
	ASSERT_EQ(run6(fd, &s, &v), pass, "forward verdict");
	if (!ASSERT_TRUE(v.ok, "forward parses"))
		return;
	ASSERT_TRUE(is6(v.daddr, REMOTE_EP6), "to the remote endpoint");
	ASSERT_EQ(v.dport, 5050, "target port");
	ASSERT_TRUE(is6(v.saddr, NODE6), "from this node's IPv6 address");
	ASSERT_TRUE(v.sport >= 40000 && v.sport <= 40009, "from a SNAT port");
	ASSERT_TRUE(v.l4_csum_ok, "L4 checksum (pseudo-header)");
	r = s;
	memcpy(r.saddr, v.daddr, 16);
	memcpy(r.daddr, v.saddr, 16);
	r.sport = v.dport;
	r.dport = v.sport;
	r.tcp_flags = 0x12;
	ASSERT_EQ(run6(fd, &r, &b), pass, "reply verdict");
	ASSERT_TRUE(is6(b.saddr, VIP6), "reply from the VIP");
	ASSERT_EQ(b.sport, s.dport, "from the service port");
	ASSERT_TRUE(is6(b.daddr, CLIENT6), "to the client");
	ASSERT_EQ(b.dport, cport, "to the client port");
	ASSERT_TRUE(b.l4_csum_ok, "reply L4 checksum");
	ASSERT_EQ(env_global(env).snat - g0.snat, 1, "snat counter");
	ASSERT_EQ(env_global(env).snat_replies - g0.snat_replies, 1,
		  "snat_replies counter");
}

static void translation(struct test_env *env, struct canary_config *cfg)
{
	struct pkt6_spec s = to_vip(IPPROTO_TCP, 41000);
	struct pkt6_view v, b;

	snat6_config(cfg, 100, CANARY_SNAT_AUTO, false);
	test__start_subtest("apply_snat6");
	if (!ASSERT_OK(env_apply(env, cfg), "apply"))
		return;
	remote_and_back(env, env->xdp_fd, XDP_PASS, IPPROTO_TCP, 41000, "xdp");
	remote_and_back(env, env->xdp_fd, XDP_PASS, IPPROTO_UDP, 41001, "xdp");
	remote_and_back(env, env->tc_in_fd, TC_ACT_UNSPEC, IPPROTO_TCP, 41002, "tc");
	remote_and_back(env, env->tc_in_fd, TC_ACT_UNSPEC, IPPROTO_UDP, 41003, "tc");

	test__start_subtest("established_snat6_flow_keeps_port");
	run6(env->xdp_fd, &s, &v);
	s.tcp_flags = 0x10;
	run6(env->xdp_fd, &s, &b);
	ASSERT_EQ(b.sport, v.sport, "same SNAT port");
	test__start_subtest("snat6_port_kept_after_flow_table_loss");
	if (ASSERT_OK(env_clear_flows(env), "clear")) {
		s.tcp_flags = 0;
		run6(env->xdp_fd, &s, &b);
		ASSERT_TRUE(is6(b.saddr, NODE6), "still SNATed");
		ASSERT_EQ(b.sport, v.sport, "same SNAT port");
	}
	test__start_subtest("reply_of_unknown_port_untouched");
	s = to_vip(IPPROTO_TCP, 41000);
	ip6(REMOTE_EP6, s.saddr);
	ip6(NODE6, s.daddr);
	s.sport = 5050;
	s.dport = 40000 + (v.sport - 40000 + 1) % 10;
	ASSERT_EQ(run6(env->xdp_fd, &s, &b), XDP_PASS, "verdict");
	ASSERT_TRUE(is6(b.saddr, REMOTE_EP6) && is6(b.daddr, NODE6) &&
		    b.dport == s.dport, "unchanged");
}

/* @n new TCP flows from client ports @cport on; counts those that went
 * to the local endpoint, were SNATed, were dropped. */
static void flows(struct test_env *env, int n, __u16 cport, int *local,
		  int *snated, int *dropped)
{
	struct pkt6_spec s;
	struct pkt6_view v;
	int i, ret;

	*local = *snated = *dropped = 0;
	for (i = 0; i < n; i++) {
		s = to_vip(IPPROTO_TCP, cport + i);
		ret = run6(env->xdp_fd, &s, &v);
		*dropped += ret == XDP_DROP;
		if (ret != XDP_PASS || !v.ok)
			continue;
		*local += is6(v.daddr, LOCAL_EP6);
		*snated += is6(v.saddr, NODE6);
	}
}

static void modes(struct test_env *env, struct canary_config *cfg)
{
	struct canary_global g0;
	int local, snated, dropped;

	test__start_subtest("snat6_auto_local_endpoint_not_snated");
	snat6_config(cfg, 0, CANARY_SNAT_AUTO, false);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		flows(env, 20, 42000, &local, &snated, &dropped);
		ASSERT_TRUE(local == 20 && snated == 0, "local, client address kept");
	}
	test__start_subtest("snat6_always_local_endpoint_kept");
	snat6_config(cfg, 0, CANARY_SNAT_ALWAYS, false);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		flows(env, 5, 42100, &local, &snated, &dropped);
		ASSERT_TRUE(local == 5 && snated == 0, "local, client address kept");
	}
	test__start_subtest("snat6_always_remote");
	snat6_config(cfg, 100, CANARY_SNAT_ALWAYS, false);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		flows(env, 5, 42150, &local, &snated, &dropped);
		ASSERT_TRUE(local == 0 && snated == 5, "remote, SNATed");
	}
	test__start_subtest("snat6_never");
	snat6_config(cfg, 100, CANARY_SNAT_NEVER, false);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		flows(env, 5, 42200, &local, &snated, &dropped);
		ASSERT_TRUE(local == 0 && snated == 0 && dropped == 0,
			    "remote, client address kept");
	}
	/* Half the weight on the remote pod: Local sends every flow to the
	 * local one, unSNATed. */
	test__start_subtest("traffic_policy_local6_only_local_endpoints");
	snat6_config(cfg, 50, CANARY_SNAT_AUTO, true);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		flows(env, 200, 42300, &local, &snated, &dropped);
		printf("  Local: %d of 200 flows to the local pod, %d SNATed\n",
		       local, snated);
		ASSERT_TRUE(local == 200 && snated == 0, "all local, client kept");
	}
	/* Only remote pods: Local has nowhere to send, dropped and counted
	 * (as IPv4). */
	test__start_subtest("traffic_policy_local6_without_local_endpoint_drops");
	snat6_config(cfg, 50, CANARY_SNAT_AUTO, true);
	cfg->svc[0].v[0].ep[0].addr = a6("fd00:244:3::31");
	g0 = env_global(env);
	if (ASSERT_OK(env_apply(env, cfg), "apply")) {
		flows(env, 10, 42600, &local, &snated, &dropped);
		ASSERT_EQ(dropped, 10, "dropped");
		ASSERT_EQ(env_global(env).no_endpoint - g0.no_endpoint, 10,
			  "no_endpoint counter");
	}
}

/* Local and the node section that gives it an IPv6 pod CIDR come in the
 * same apply: the endpoints are chosen by the node being applied, not by
 * the one the maps held before (none with IPv6 here). */
static void local_with_new_node(struct test_env *env, struct canary_config *cfg)
{
	int local, snated, dropped;

	test__start_subtest("local6_with_its_node_in_the_same_apply");
	snat6_config(cfg, 50, CANARY_SNAT_AUTO, false);
	memset(cfg->node.address6, 0, sizeof(cfg->node.address6));
	memset(cfg->node.pod_net6, 0, sizeof(cfg->node.pod_net6));
	cfg->node.pod_len6 = 0;
	if (!ASSERT_OK(env_apply(env, cfg), "apply IPv4-only node"))
		return;
	snat6_config(cfg, 50, CANARY_SNAT_AUTO, true);
	if (ASSERT_OK(env_apply(env, cfg), "apply Local with address6, pod_cidr6")) {
		flows(env, 50, 42700, &local, &snated, &dropped);
		ASSERT_TRUE(local == 50 && dropped == 0, "all to the local pod");
	}
}

/* Ten SNAT ports to one endpoint and 40 new flows: each flow gets a port
 * nobody holds, or is dropped; the ports of flows that are gone serve new
 * ones. */
static void exhaustion(struct test_env *env, struct canary_config *cfg)
{
	bool used[10] = {};
	struct canary_global g0;
	struct pkt6_spec s;
	struct pkt6_view v;
	int i, ok = 0, dropped = 0, reused = 0, ret;

	test__start_subtest("snat6_ports_exhausted_drops_not_reuses");
	snat6_config(cfg, 100, CANARY_SNAT_AUTO, false);
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	g0 = env_global(env);
	for (i = 0; i < 40; i++) {
		s = to_vip(IPPROTO_TCP, 43000 + i);
		ret = run6(env->xdp_fd, &s, &v);
		dropped += ret == XDP_DROP;
		if (ret != XDP_PASS || !is6(v.saddr, NODE6) || v.sport < 40000 ||
		    v.sport > 40009)
			continue;
		reused += used[v.sport - 40000];
		used[v.sport - 40000] = true;
		ok++;
	}
	printf("  %d of 40 IPv6 flows got one of 10 SNAT ports, %d dropped\n",
	       ok, dropped);
	ASSERT_EQ(reused, 0, "a SNAT port given twice");
	ASSERT_EQ(ok + dropped, 40, "every flow SNATed or dropped");
	ASSERT_TRUE(ok >= 8 && ok <= 10, "the ports were used");
	ASSERT_EQ(env_global(env).snat_full - g0.snat_full, dropped,
		  "snat_full counter");

	test__start_subtest("snat6_ports_of_gone_flows_reused");
	if (!ASSERT_OK(env_clear_flows(env), "flows gone"))
		return;
	for (i = 0, ok = 0; i < 10; i++) {
		s = to_vip(IPPROTO_TCP, 44000 + i);
		ok += run6(env->xdp_fd, &s, &v) == XDP_PASS && is6(v.saddr, NODE6);
	}
	ASSERT_TRUE(ok >= 8, "new flows got the freed ports");
}

static struct snat_flow fl6[2]; /* TCP, UDP */

static bool open_flow(struct test_env *env, int i)
{
	struct snat_flow *f = &fl6[i];
	struct pkt6_spec s = to_vip(i ? IPPROTO_UDP : IPPROTO_TCP, 45000 + i), r;
	struct pkt6_view v;

	f->client_len = pkt6_build(&s, f->client_pkt);
	if (!ASSERT_EQ(env_run(env->xdp_fd, f->client_pkt, f->client_len, f->fwd,
			       &f->fwd_len), XDP_PASS, "forward"))
		return false;
	v = pkt6_parse(f->fwd, f->fwd_len);
	if (!ASSERT_TRUE(v.ok && is6(v.saddr, NODE6) && is6(v.daddr, REMOTE_EP6),
			 "forward SNATed"))
		return false;
	r = s;
	memcpy(r.saddr, v.daddr, 16);
	memcpy(r.daddr, v.saddr, 16);
	r.sport = v.dport;
	r.dport = v.sport;
	r.tcp_flags = 0x12;
	f->ep_reply_len = pkt6_build(&r, f->ep_reply);
	if (!ASSERT_EQ(env_run(env->xdp_fd, f->ep_reply, f->ep_reply_len,
			       f->reply, &f->reply_len), XDP_PASS, "reply"))
		return false;
	v = pkt6_parse(f->reply, f->reply_len);
	return ASSERT_TRUE(is6(v.saddr, VIP6) && is6(v.daddr, CLIENT6),
			   "reply translated back");
}

/* One crafted error: @src sends (@type, @code, @info) to @dst quoting
 * @qlen bytes (0: all) of flow @flow's packet @dir ('f': what left this
 * node, 'r': the reply as the client got it); it must come from
 * @want_src to @want_dst quoting the same bytes of the other side's own
 * packet ('f': the client's, 'r': the endpoint's). */
struct icmp6_case {
	const char *name;
	int flow;
	char dir;
	const char *src, *dst;
	__u8 type, code;
	__u32 info, qlen;
	const char *want_src, *want_dst;
};

static const struct icmp6_case cases[] = {
	/* The far side, to the client. */
	{ "endpoint_port_unreachable_udp6", 1, 'f', REMOTE_EP6, NODE6, 1, 4, 0, 0,
	  VIP6, CLIENT6 },
	{ "router_packet_too_big_tcp6_to_client", 0, 'f', ROUTER_B6, NODE6, 2, 0,
	  1280, 0, VIP6, CLIENT6 },
	{ "router_packet_too_big_tcp6_short_quote", 0, 'f', ROUTER_B6, NODE6, 2, 0,
	  1280, IP6H + 8, VIP6, CLIENT6 },
	{ "router_time_exceeded_udp6_to_client", 1, 'f', ROUTER_B6, NODE6, 3, 0, 0,
	  0, VIP6, CLIENT6 },
	/* The client's side, to the endpoint. */
	{ "router_packet_too_big_tcp6_to_endpoint", 0, 'r', ROUTER_C6, VIP6, 2, 0,
	  1280, 0, NODE6, REMOTE_EP6 },
	{ "client_port_unreachable_udp6_to_endpoint", 1, 'r', CLIENT6, VIP6, 1, 4,
	  0, 0, NODE6, REMOTE_EP6 },
	{ "router_packet_too_big_udp6_short_quote_to_endpoint", 1, 'r', ROUTER_C6,
	  VIP6, 2, 0, 1280, IP6H + 8, NODE6, REMOTE_EP6 },
};

static void check_error(const void *arg, const __u8 *in, __u32 len,
			const __u8 *out, __u32 olen)
{
	const struct icmp6_case *c = arg;
	struct snat_quote q = snat_quote(&fl6[c->flow], c->dir, c->qlen);
	struct icmp6_view v = pkt6_parse_icmp(out, olen);

	if (!ASSERT_EQ(olen, len, "length") || !ASSERT_TRUE(v.ok, "ICMPv6"))
		return;
	ASSERT_TRUE(is6(v.saddr, c->want_src), "outer source");
	ASSERT_TRUE(is6(v.daddr, c->want_dst), "outer destination");
	ASSERT_TRUE(v.icmp_csum_ok, "ICMPv6 checksum");
	if (!c->qlen)
		ASSERT_TRUE(v.q_l4_csum_ok, "quoted L4 checksum");
	ASSERT_MEM_EQ(out + ETH + IP6H + 8, q.want + ETH, q.len, "quoted packet");
	ASSERT_MEM_EQ(out + ETH + IP6H, in + ETH + IP6H, 2, "type and code");
	ASSERT_MEM_EQ(out + ETH + IP6H + 4, in + ETH + IP6H + 4, 4, "MTU word");
}

static void run_case(struct test_env *env, const struct icmp6_case *c)
{
	struct snat_quote q = snat_quote(&fl6[c->flow], c->dir, c->qlen);
	static __u8 in[PKT_MAX];
	__be32 src[4], dst[4];
	__u32 len;

	test__start_subtest(c->name);
	ip6(c->src, src);
	ip6(c->dst, dst);
	len = pkt6_build_icmp(src, dst, c->type, c->code, c->info, q.quoted,
			      q.len, in);
	snat_icmp_run(env, in, len, check_error, c);
}

/* Errors quoting nothing of ours pass byte-identical. */
static void not_ours(struct test_env *env)
{
	static __u8 q[PKT_MAX], in[PKT_MAX], out[PKT_MAX];
	const struct snat_flow *f = &fl6[0];
	struct canary_global g0 = env_global(env);
	__be32 src[4], dst[4];
	__u16 port;
	__u32 len, olen = 0;

	test__start_subtest("icmp6_unknown_snat_port_untouched");
	memcpy(q, f->fwd, f->fwd_len);
	port = ntohs(*(__be16 *)(q + ETH + IP6H));
	*(__be16 *)(q + ETH + IP6H) = htons(40000 + (port - 40000 + 1) % 10);
	ip6(REMOTE_EP6, src);
	ip6(NODE6, dst);
	len = pkt6_build_icmp(src, dst, 1, 4, 0, q, f->fwd_len - ETH, in);
	if (ASSERT_EQ(env_run(env->xdp_fd, in, len, out, &olen), XDP_PASS,
		      "verdict"))
		ASSERT_TRUE(olen == len && !memcmp(out, in, len), "bytes unchanged");
	ASSERT_EQ(env_global(env).icmp, g0.icmp, "icmp counter unchanged");
}

/* The endpoint's reply to this node's SNAT port @snat_port, through XDP:
 * the client port it went back to, 0 if not translated. */
static __u16 back_to(struct test_env *env, __u16 snat_port)
{
	struct pkt6_spec r = to_vip(IPPROTO_TCP, 0);
	struct pkt6_view b;

	ip6(REMOTE_EP6, r.saddr);
	ip6(NODE6, r.daddr);
	r.sport = 5050;
	r.dport = snat_port;
	r.tcp_flags = 0x10;
	if (run6(env->xdp_fd, &r, &b) != XDP_PASS || !is6(b.daddr, CLIENT6))
		return 0;
	return b.dport;
}

/*
 * One SNAT port, flow A holding it, and A's way back evicted (the LRU
 * of canary_snat6, full of ways back that outlived their flows, takes
 * whichever it likes). Whichever comes first, A's next packet or a new
 * flow B to the same endpoint, the port serves one flow only: A's packet
 * puts its way back again, and B finds no port (dropped); or B takes the
 * free port, and A's packets are dropped rather than mixed into B's
 * flow. The replies go to the flow that holds the port.
 */
static void evicted_way_back(struct test_env *env, struct canary_config *cfg)
{
	struct pkt6_spec a = to_vip(IPPROTO_TCP, 47000), b = to_vip(IPPROTO_TCP, 47001);
	struct canary_global g0;
	struct pkt6_view v;

	snat6_config(cfg, 100, CANARY_SNAT_AUTO, false);
	cfg->node.port_max = cfg->node.port_min;
	test__start_subtest("evicted_way_back6_put_back_by_its_flow");
	if (!ASSERT_OK(env_apply(env, cfg), "apply one SNAT port") ||
	    !ASSERT_OK(env_clear_flows(env), "clear flows") ||
	    !ASSERT_OK(env_clear_snat(env), "clear ways back") ||
	    !ASSERT_EQ(run6(env->xdp_fd, &a, &v), XDP_PASS, "A opens") ||
	    !ASSERT_EQ(v.sport, 40000, "A's port"))
		return;
	ASSERT_OK(env_clear_snat(env), "A's way back evicted");
	a.tcp_flags = 0x10;
	ASSERT_EQ(run6(env->xdp_fd, &a, &v), XDP_PASS, "A goes on");
	ASSERT_TRUE(is6(v.saddr, NODE6) && v.sport == 40000, "from its port");
	g0 = env_global(env);
	ASSERT_EQ(run6(env->xdp_fd, &b, &v), XDP_DROP, "B finds no port");
	ASSERT_EQ(env_global(env).snat_full - g0.snat_full, 1, "snat_full counter");
	ASSERT_EQ(back_to(env, 40000), 47000, "the reply goes to A");

	test__start_subtest("evicted_way_back6_taken_drops_its_flow");
	ASSERT_OK(env_clear_snat(env), "A's way back evicted");
	b.tcp_flags = 0;
	ASSERT_EQ(run6(env->xdp_fd, &b, &v), XDP_PASS, "B opens");
	ASSERT_TRUE(is6(v.saddr, NODE6) && v.sport == 40000, "B has the port");
	g0 = env_global(env);
	ASSERT_EQ(run6(env->xdp_fd, &a, &v), XDP_DROP, "A's packet not into B's flow");
	ASSERT_EQ(run6(env->tc_in_fd, &a, &v), 2 /* TC_ACT_SHOT */, "nor through tc");
	ASSERT_EQ(env_global(env).snat_full - g0.snat_full, 2, "snat_full counter");
	ASSERT_EQ(back_to(env, 40000), 47001, "the reply goes to B");
}

static void icmp6_errors(struct test_env *env, struct canary_config *cfg)
{
	size_t i;

	snat6_config(cfg, 100, CANARY_SNAT_AUTO, false);
	test__start_subtest("setup_snated_flows6");
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(env_clear_flows(env), "clear") || !open_flow(env, 0) ||
	    !open_flow(env, 1))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(env, &cases[i]);
	not_ours(env);
}

void test_snat6(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	translation(&env, &cfg);
	modes(&env, &cfg);
	local_with_new_node(&env, &cfg);
	exhaustion(&env, &cfg);
	evicted_way_back(&env, &cfg);
	env_teardown(&env);
	/* Fresh maps: the ways back left by the flows above (the LRU keeps
	 * them) would make errors about their ports ours. */
	if (env_setup(&env))
		goto out;
	icmp6_errors(&env, &cfg);
	env_teardown(&env);
out:
	config_free(&cfg);
}
