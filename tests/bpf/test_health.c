// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Connection health (bpf/health.h): every counter on crafted SYN, SYN-ACK,
 * RST, FIN and ICMP sequences through XDP and tc egress, IPv4 and IPv6;
 * and the guard's arithmetic: the threshold, the minimum, the window's
 * roll-over, re-arming, a refusing canary shed within its minimum, and a
 * healthy one (1 % failures) never shed over 100,000 connections.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"
#include "pkt6.h"
#include "canary.skel.h"
#include "dataplane/guard.h"

#define TC_ACT_UNSPEC (-1)
#define SYN 0x02
#define RST 0x04
#define FIN 0x01
#define ACK 0x10
#define CLIENT4 "10.0.0.2"
#define CLIENT6 "2001:db8:c::2"
#define VIP6 "2001:db8::10"

/* One client connection as the tests drive it. */
struct conn {
	bool v6;
	__u8 proto;
	__be32 client[4];
	__be32 vip[4];
	__u16 sport, dport;      /* host order */
	__be32 ep[4];            /* where XDP sent its first packet */
	__u16 ep_port;
	__u8 fwd[PKT_MAX];       /* that packet as translated */
	__u32 fwd_len;
};

static struct conn conn4(__u8 proto, __u32 client, __u16 sport)
{
	struct conn c = { .proto = proto, .sport = sport, .dport = 5000 };

	c.client[0] = htonl(client);
	c.vip[0] = ip4("10.96.0.10");
	return c;
}

static struct conn conn6(__u8 proto, __u16 sport)
{
	struct conn c = { .v6 = true, .proto = proto, .sport = sport,
			  .dport = 80 };

	ip6(CLIENT6, c.client);
	ip6(VIP6, c.vip);
	return c;
}

/* Builds a frame from @src:@sport to @dst:@dport of @c's family. */
static size_t frame(const struct conn *c, const __be32 *src, __u16 sport,
		    const __be32 *dst, __u16 dport, __u8 flags, void *buf)
{
	struct pkt6_spec s6 = { .proto = c->proto, .sport = sport,
				.dport = dport, .tcp_flags = flags };
	struct pkt_spec s4 = { .proto = c->proto, .saddr = src[0],
			       .daddr = dst[0], .sport = sport, .dport = dport,
			       .tcp_flags = flags };

	if (!c->v6)
		return pkt_build(&s4, buf);
	memcpy(s6.saddr, src, 16);
	memcpy(s6.daddr, dst, 16);
	return pkt6_build(&s6, buf);
}

/* The client's packet with @flags through XDP; notes the endpoint. */
static bool client_pkt(struct test_env *env, struct conn *c, __u8 flags)
{
	__u8 in[PKT_MAX];
	size_t len = frame(c, c->client, c->sport, c->vip, c->dport, flags, in);
	struct pkt6_view v6;
	struct pkt_view v4;

	if (!ASSERT_EQ(env_run(env->xdp_fd, in, len, c->fwd, &c->fwd_len),
		       XDP_PASS, "client packet translated"))
		return false;
	if (c->v6) {
		v6 = pkt6_parse(c->fwd, c->fwd_len);
		memcpy(c->ep, v6.daddr, 16);
		c->ep_port = v6.dport;
		return ASSERT_TRUE(v6.ok, "parses");
	}
	v4 = pkt_parse(c->fwd, c->fwd_len);
	c->ep[0] = v4.daddr;
	c->ep_port = v4.dport;
	return ASSERT_TRUE(v4.ok, "parses");
}

/* The endpoint's packet with @flags back to the client, through tc. */
static bool endpoint_pkt(struct test_env *env, struct conn *c, __u8 flags)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	size_t len = frame(c, c->ep, c->ep_port, c->client, c->sport, flags, in);
	__u32 olen;

	return ASSERT_EQ(env_run(env->tc_out_fd, in, len, out, &olen),
			 TC_ACT_UNSPEC, "endpoint packet");
}

/* The endpoint's port unreachable about the client's packet. */
static bool endpoint_unreachable(struct test_env *env, struct conn *c)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 olen;
	size_t len = c->v6 ?
		pkt6_build_icmp(c->ep, c->client, 1, 4, 0, c->fwd, 48, in) :
		pkt_build_icmp(c->ep[0], c->client[0], 3, 3, c->fwd, 28, in);

	return ASSERT_EQ(env_run(env->tc_out_fd, in, len, out, &olen),
			 TC_ACT_UNSPEC, "icmp");
}

/* @c's flow key into @k4 or @k6; returns the one of its family. */
static void *flow_key_of(const struct conn *c, struct canary_flow_key *k4,
			 struct canary_flow6_key *k6)
{
	*k6 = (struct canary_flow6_key){ .sport = htons(c->sport),
					 .dport = htons(c->dport),
					 .proto = c->proto };
	*k4 = (struct canary_flow_key){ .saddr = c->client[0],
					.daddr = c->vip[0],
					.sport = htons(c->sport),
					.dport = htons(c->dport),
					.proto = c->proto };
	memcpy(k6->saddr, c->client, 16);
	memcpy(k6->daddr, c->vip, 16);
	return c->v6 ? (void *)k6 : (void *)k4;
}

/* The flow table of @c's family. */
static int flow_fd(struct test_env *env, const struct conn *c)
{
	return bpf_map__fd(c->v6 ? env->skel->maps.canary_flow6_v3 :
				   env->skel->maps.canary_flow_v3);
}

/* Makes the handshake in @c's flow entry @ms older, as if that much time
 * passed (rounded up to whole stamp units). */
static bool hs_age(struct test_env *env, const struct conn *c, __u64 ms)
{
	__u32 units = (ms * 1000000ull + (1u << CANARY_HS_STAMP_SHIFT) - 1) >>
		      CANARY_HS_STAMP_SHIFT;
	struct canary_flow6_key k6;
	struct canary_flow_key k4;
	void *k = flow_key_of(c, &k4, &k6);
	union {
		struct canary_flow v4;
		struct canary_flow6 v6;
	} f;
	int fd = flow_fd(env, c);

	if (!ASSERT_OK(bpf_map_lookup_elem(fd, k, &f), "flow entry"))
		return false;
	if (c->v6)
		f.v6.hs_stamp -= units;
	else
		f.v4.hs_stamp -= units;
	return ASSERT_OK(bpf_map_update_elem(fd, k, &f, BPF_EXIST), "aged");
}

/* The handshake state in @c's flow entry: a canary_hs.state, -1 for
 * none, -2 for no entry. */
static int hs_state(struct test_env *env, const struct conn *c)
{
	struct canary_flow6_key k6;
	struct canary_flow_key k4;
	void *k = flow_key_of(c, &k4, &k6);
	union {
		struct canary_flow v4;
		struct canary_flow6 v6;
	} f;
	__u8 flags;

	if (bpf_map_lookup_elem(flow_fd(env, c), k, &f))
		return -2;
	flags = c->v6 ? f.v6.flags : f.v4.flags;
	return ((flags & CANARY_FLOW_HS_MASK) >> CANARY_FLOW_HS_SHIFT) - 1;
}

static struct canary_addr a6(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

/* prod-service (IPv4, id 0) and six (IPv6, id 1), each all on v2 at
 * @v2_bps, @proto; @guard on both. */
static int apply(struct test_env *env, __u16 v2_bps, __u8 proto,
		 const struct canary_guard_cfg *guard)
{
	struct canary_config cfg;
	struct canary_service_cfg *s;
	int v, ret;

	config_init(&cfg);
	env_seed_config(&cfg, v2_bps, proto);
	s = config_add_service(&cfg, NULL);
	snprintf(s->name, sizeof(s->name), "six");
	s->vip = a6(VIP6);
	s->port = htons(80);
	s->proto = proto;
	s->n_versions = 2;
	for (v = 0; v < 2; v++) {
		snprintf(s->v[v].name, sizeof(s->v[v].name), "v%d", v + 1);
		s->v[v].weight_bps = v ? v2_bps : CANARY_BPS_TOTAL - v2_bps;
		s->v[v].n_endpoints = 1;
		s->v[v].ep[0] = (struct canary_ep_cfg){
			a6(v ? "2001:db8:1::21" : "2001:db8:1::11"), htons(8080), 0 };
	}
	if (guard)
		cfg.svc[0].guard = cfg.svc[1].guard = *guard;
	ret = env_apply(env, &cfg);
	config_free(&cfg);
	return ret;
}

/* Service ids of prod-service and six: the first two ids. */
#define ID4 0
#define ID6 1

static void counters(struct test_env *env, bool v6)
{
	__u32 id = v6 ? ID6 : ID4;
	struct canary_health h0 = env_health(env, id, 1), h;
	struct conn c;
	__u64 sum = 0;
	int b;

	test__start_subtest(v6 ? "handshake_timed_v6" : "handshake_timed_v4");
	c = v6 ? conn6(IPPROTO_TCP, 30001) : conn4(IPPROTO_TCP, 0x0a000002, 30001);
	if (client_pkt(env, &c, SYN) &&
	    ASSERT_EQ(hs_state(env, &c), CANARY_HS_SYN, "SYN in flow entry") &&
	    endpoint_pkt(env, &c, SYN | ACK)) {
		ASSERT_EQ(hs_state(env, &c), CANARY_HS_OPEN, "open");
		h = env_health(env, id, 1);
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "new connection");
		ASSERT_EQ(h.handshakes - h0.handshakes, 1, "handshake timed");
		for (b = 0; b < CANARY_HS_BUCKETS; b++)
			sum += h.hs_bucket[b] - h0.hs_bucket[b];
		ASSERT_EQ(sum, 1, "one bucket");
		ASSERT_EQ(h.refused + h.reset_early + h.unanswered, 0, "no failure");
		/* a retransmitted SYN-ACK and the client's ACK change nothing */
		endpoint_pkt(env, &c, SYN | ACK);
		client_pkt(env, &c, ACK);
		h0 = h;
		h = env_health(env, id, 1);
		ASSERT_TRUE(!memcmp(&h, &h0, sizeof(h)), "established: unchanged");
	}

	test__start_subtest(v6 ? "reset_early_v6" : "reset_early_v4");
	h0 = env_health(env, id, 1);
	if (endpoint_pkt(env, &c, RST | ACK)) {
		ASSERT_EQ(env_health(env, id, 1).reset_early - h0.reset_early, 1,
			  "RST after the SYN-ACK");
		ASSERT_EQ(hs_state(env, &c), -1, "no longer followed");
	}
	/* The same 5-tuple again (a reused client port): a new connection,
	 * its entry's handshake started anew, and timed again. */
	h0 = env_health(env, id, 1);
	if (client_pkt(env, &c, SYN) &&
	    ASSERT_EQ(hs_state(env, &c), CANARY_HS_SYN, "followed again") &&
	    endpoint_pkt(env, &c, SYN | ACK)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "reused: new one");
		ASSERT_EQ(h.handshakes - h0.handshakes, 1, "reused: timed");
	}
	h0 = env_health(env, id, 1);
	if (endpoint_pkt(env, &c, RST | ACK))
		ASSERT_EQ(env_health(env, id, 1).reset_early - h0.reset_early, 1,
			  "reused: RST after the SYN-ACK");
	/* A RST after a FIN (an ordinary close) is no failure. */
	c.sport++;
	if (client_pkt(env, &c, SYN) && endpoint_pkt(env, &c, SYN | ACK) &&
	    endpoint_pkt(env, &c, FIN | ACK) && endpoint_pkt(env, &c, RST))
		ASSERT_EQ(env_health(env, id, 1).reset_early - h0.reset_early, 1,
			  "no second reset_early");
	/* Nor one after the early window. */
	c.sport++;
	if (client_pkt(env, &c, SYN) && endpoint_pkt(env, &c, SYN | ACK) &&
	    hs_age(env, &c, CANARY_EARLY_RESET_MS + 1) &&
	    endpoint_pkt(env, &c, RST))
		ASSERT_EQ(env_health(env, id, 1).reset_early - h0.reset_early, 1,
			  "late RST not counted");

	test__start_subtest(v6 ? "refused_v6" : "refused_v4");
	h0 = env_health(env, id, 1);
	c.sport++;
	if (client_pkt(env, &c, SYN) && endpoint_pkt(env, &c, RST | ACK)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.refused - h0.refused, 1, "RST to the SYN");
		ASSERT_EQ(h.handshakes - h0.handshakes, 0, "no handshake");
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "a new connection");
	}

	test__start_subtest(v6 ? "unanswered_v6" : "unanswered_v4");
	h0 = env_health(env, id, 1);
	c.sport++;
	/* The same SYN again soon: neither new nor unanswered. */
	if (client_pkt(env, &c, SYN) && client_pkt(env, &c, SYN)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "one connection");
		ASSERT_EQ(h.unanswered - h0.unanswered, 0, "not yet unanswered");
	}
	/* Past the timeout, the retransmission: unanswered, once. */
	if (hs_age(env, &c, CANARY_SYN_TIMEOUT_MS) && client_pkt(env, &c, SYN) &&
	    client_pkt(env, &c, SYN)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.unanswered - h0.unanswered, 1, "unanswered once");
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "still one connection");
	}
	/* Answered at last: timed (long), and no refusal after. */
	if (hs_age(env, &c, 2000) && endpoint_pkt(env, &c, SYN | ACK)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.handshakes - h0.handshakes, 1, "late handshake timed");
		ASSERT_TRUE_FMT(h.hs_bucket[21] - h0.hs_bucket[21] == 1,
				"2 s in bucket 21 (2^21 us)");
	}
}

static void udp_refused(struct test_env *env, bool v6)
{
	__u32 id = v6 ? ID6 : ID4;
	struct canary_health h0, h;
	struct conn c;

	test__start_subtest(v6 ? "udp_unreachable_v6" : "udp_unreachable_v4");
	if (!ASSERT_OK(apply(env, 10000, IPPROTO_UDP, NULL), "apply udp"))
		return;
	h0 = env_health(env, id, 1);
	c = v6 ? conn6(IPPROTO_UDP, 31001) : conn4(IPPROTO_UDP, 0x0a000002, 31001);
	if (client_pkt(env, &c, 0) && client_pkt(env, &c, 0) &&
	    endpoint_unreachable(env, &c)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "one new flow");
		ASSERT_EQ(h.refused - h0.refused, 1, "port unreachable: refused");
	}
}

static struct canary_svc_guard guard_entry(struct test_env *env, __u32 id)
{
	struct canary_svc_guard g = {};

	guard_read(&env->st, id, &g);
	return g;
}

/* Opens @n connections of prod-service from client port @sport on; their
 * endpoints in @c. */
static bool open_n(struct test_env *env, struct conn *c, int n, __u16 sport)
{
	int i;

	for (i = 0; i < n; i++) {
		c[i] = conn4(IPPROTO_TCP, 0x0a000002, sport + i);
		if (!client_pkt(env, &c[i], SYN))
			return false;
	}
	return true;
}

static bool is_v2(const struct conn *c)
{
	return c->ep[0] == ip4("10.244.1.21");
}

/* Threshold: 5 of 10 failed is not over 50 %, the 6th is. */
static void guard_threshold(struct test_env *env)
{
	struct canary_guard_cfg gc = { true, 5000, 10, 60 };
	struct canary_svc_guard g;
	struct conn c[12];
	int i;

	test__start_subtest("guard_threshold");
	if (!ASSERT_OK(apply(env, 10000, IPPROTO_TCP, &gc), "apply") ||
	    !ASSERT_OK(guard_rearm(&env->st, ID4), "rearm") ||
	    !open_n(env, c, 10, 32000))
		return;
	for (i = 0; i < 5; i++)
		endpoint_pkt(env, &c[i], RST | ACK);
	g = guard_entry(env, ID4);
	ASSERT_EQ(g.v[1].conns, 10, "window conns");
	ASSERT_EQ(g.v[1].failed, 5, "window failed");
	ASSERT_EQ(g.v[1].shed_ns, 0, "50 % is not over 50 %");
	endpoint_pkt(env, &c[5], RST | ACK);
	g = guard_entry(env, ID4);
	ASSERT_TRUE(g.v[1].shed_ns != 0, "60 % sheds");
	ASSERT_EQ(g.v[1].shed_conns, 10, "shed_conns");
	ASSERT_EQ(g.v[1].shed_failed, 6, "shed_failed");
	ASSERT_EQ(g.sheds, 1, "sheds");
	/* New connections go to v1 from the next one on... */
	if (open_n(env, &c[10], 2, 32100))
		ASSERT_TRUE(!is_v2(&c[10]) && !is_v2(&c[11]), "new ones on v1");
	/* ...established ones keep v2. */
	if (client_pkt(env, &c[7], ACK))
		ASSERT_TRUE(is_v2(&c[7]), "established stays on v2");

	test__start_subtest("guard_rearm");
	if (ASSERT_OK(guard_rearm(&env->st, ID4), "rearm") &&
	    open_n(env, c, 1, 32200))
		ASSERT_TRUE(is_v2(&c[0]), "v2 takes new connections again");
	g = guard_entry(env, ID4);
	ASSERT_TRUE(g.v[1].shed_ns == 0 && g.sheds == 1, "armed, sheds kept");
}

/* Minimum: 10 of 10 failing sheds nothing under min_flows 20. */
static void guard_minimum(struct test_env *env)
{
	struct canary_guard_cfg gc = { true, 500, 20, 60 };
	struct conn c[20];
	int i;

	test__start_subtest("guard_minimum");
	if (!ASSERT_OK(apply(env, 10000, IPPROTO_TCP, &gc), "apply") ||
	    !ASSERT_OK(guard_rearm(&env->st, ID4), "rearm") ||
	    !open_n(env, c, 10, 33000))
		return;
	for (i = 0; i < 10; i++)
		endpoint_pkt(env, &c[i], RST | ACK);
	ASSERT_EQ(guard_entry(env, ID4).v[1].shed_ns, 0, "10 < min_flows");
	if (!open_n(env, &c[10], 10, 33100))
		return;
	for (i = 10; i < 19; i++)
		endpoint_pkt(env, &c[i], SYN | ACK);
	ASSERT_EQ(guard_entry(env, ID4).v[1].shed_ns, 0, "answered: no failure");
	endpoint_pkt(env, &c[19], RST | ACK);
	ASSERT_TRUE(guard_entry(env, ID4).v[1].shed_ns != 0,
		    "11 of 20 failed: shed");
}

/* Window roll-over: a window that is over starts again from zero. */
static void guard_window(struct test_env *env)
{
	struct canary_guard_cfg gc = { true, 5000, 10, 1 };
	struct canary_svc_guard g;
	struct conn c[20];
	__u32 id = ID4;
	int i;

	test__start_subtest("guard_window_rollover");
	if (!ASSERT_OK(apply(env, 10000, IPPROTO_TCP, &gc), "apply") ||
	    !ASSERT_OK(guard_rearm(&env->st, ID4), "rearm") ||
	    !open_n(env, c, 10, 34000))
		return;
	for (i = 0; i < 5; i++)
		endpoint_pkt(env, &c[i], RST | ACK);
	/* Two seconds later (the window is one): the next failure starts
	 * a new window holding it alone. */
	g = guard_entry(env, ID4);
	g.v[1].win_start_ns -= 2000000000ull;
	if (!ASSERT_OK(bpf_map_update_elem(env->st.svcguard_fd, &id, &g, BPF_EXIST),
		       "age the window"))
		return;
	endpoint_pkt(env, &c[5], RST | ACK);
	g = guard_entry(env, ID4);
	ASSERT_EQ(g.v[1].conns, 0, "new window: conns");
	ASSERT_EQ(g.v[1].failed, 1, "new window: failed");
	ASSERT_EQ(g.v[1].shed_ns, 0, "6 of 10 over two windows: no shed");
	if (!open_n(env, &c[10], 10, 34100))
		return;
	for (i = 10; i < 14; i++)
		endpoint_pkt(env, &c[i], RST | ACK);
	ASSERT_EQ(guard_entry(env, ID4).v[1].shed_ns, 0, "5 of 10: not yet");
	endpoint_pkt(env, &c[14], RST | ACK);
	ASSERT_TRUE(guard_entry(env, ID4).v[1].shed_ns != 0, "6 of 10: shed");
}

/* The guard of the IPv6 service, shed by RSTs of IPv6 connections. */
static void guard_v6(struct test_env *env)
{
	struct canary_guard_cfg gc = { true, 500, 10, 60 };
	struct conn c;
	int i;

	test__start_subtest("guard_shed_v6");
	if (!ASSERT_OK(apply(env, 10000, IPPROTO_TCP, &gc), "apply") ||
	    !ASSERT_OK(guard_rearm(&env->st, ID6), "rearm"))
		return;
	for (i = 0; i < 11; i++) {
		c = conn6(IPPROTO_TCP, 35000 + i);
		if (!client_pkt(env, &c, SYN) || !endpoint_pkt(env, &c, RST | ACK))
			return;
	}
	ASSERT_TRUE(guard_entry(env, ID6).v[1].shed_ns != 0, "shed");
	c = conn6(IPPROTO_TCP, 35100);
	if (client_pkt(env, &c, SYN))
		ASSERT_EQ(c.ep[3], htonl(0x11), "to v1 (2001:db8:1::11)");
}

/*
 * The target: v2 at 25 % refusing every connection, 2,000 fresh
 * connections; at most 150 fail before the shed and none after it.
 */
static void guard_refusing(struct test_env *env)
{
	struct canary_guard_cfg gc = { true, 500, 50, 10 };
	int i, failed = 0, after = 0;
	bool shed = false;
	struct conn c;

	test__start_subtest("guard_refusing_canary_2000");
	if (!ASSERT_OK(apply(env, 2500, IPPROTO_TCP, &gc), "apply") ||
	    !ASSERT_OK(guard_rearm(&env->st, ID4), "rearm") ||
	    !ASSERT_OK(env_clear_flows(env), "clear flows"))
		return;
	for (i = 0; i < 2000; i++) {
		c = conn4(IPPROTO_TCP, 0x0a020000 + i / 40000, 20000 + i % 40000);
		if (!client_pkt(env, &c, SYN))
			return;
		if (is_v2(&c)) {
			failed++;
			after += shed;
			endpoint_pkt(env, &c, RST | ACK);
		} else {
			endpoint_pkt(env, &c, SYN | ACK);
		}
		shed = shed || guard_entry(env, ID4).v[1].shed_ns;
	}
	ASSERT_TRUE(shed, "shed");
	ASSERT_LE(failed, 150, "failed before the shed");
	ASSERT_EQ(after, 0, "failed after the shed");
	printf("  refusing canary: %d of 2000 connections failed, all before "
	       "the shed\n", failed);
}

/* A healthy canary, 1 % of its connections refused, 100,000 connections
 * at 25 %: never shed. */
static void guard_healthy(struct test_env *env)
{
	struct canary_guard_cfg gc = { true, 500, 50, 10 };
	struct canary_health h0 = env_health(env, ID4, 1), h;
	__u32 sheds = guard_entry(env, ID4).sheds;
	int i, v2 = 0;
	struct conn c;

	test__start_subtest("guard_healthy_100000");
	if (!ASSERT_OK(apply(env, 2500, IPPROTO_TCP, &gc), "apply") ||
	    !ASSERT_OK(guard_rearm(&env->st, ID4), "rearm"))
		return;
	for (i = 0; i < 100000; i++) {
		c = conn4(IPPROTO_TCP, 0x0a030000 + i / 40000, 20000 + i % 40000);
		if (!client_pkt(env, &c, SYN))
			return;
		v2 += is_v2(&c);
		endpoint_pkt(env, &c, i % 100 == 99 ? RST | ACK : SYN | ACK);
	}
	h = env_health(env, ID4, 1);
	ASSERT_EQ(guard_entry(env, ID4).v[1].shed_ns, 0, "never shed");
	ASSERT_EQ(guard_entry(env, ID4).sheds, sheds, "no shed counted");
	ASSERT_EQ(h.new_conns - h0.new_conns, v2, "v2's new connections");
	ASSERT_TRUE_FMT(v2 > 24000 && v2 < 26000, "v2 took %d", v2);
	printf("  healthy canary: %d connections on v2, %llu refused, 0 sheds\n",
	       v2, (unsigned long long)(h.refused - h0.refused));
}

/* far: 10.96.0.30:5000/@proto, all on v2 at 10.244.2.21:5050, on another
 * node: source-NATed from 10.1.0.1, its replies come back through XDP. */
static int apply_far(struct test_env *env, __u8 proto)
{
	struct canary_config cfg;
	struct canary_service_cfg *s;
	int ret;

	config_init(&cfg);
	cfg.node = (struct canary_node_cfg){ .set = true, .address = ip4("10.1.0.1"),
					     .pod_net = ip4("10.244.1.0"),
					     .pod_len = 24, .port_min = 40000,
					     .port_max = 40099 };
	s = config_add_service(&cfg, NULL);
	snprintf(s->name, sizeof(s->name), "far");
	s->vip = addr_v4(ip4("10.96.0.30"));
	s->port = htons(5000);
	s->proto = proto;
	s->n_versions = 2;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	snprintf(s->v[1].name, sizeof(s->v[1].name), "v2");
	s->v[1].weight_bps = CANARY_BPS_TOTAL;
	s->v[0].n_endpoints = s->v[1].n_endpoints = 1;
	s->v[0].ep[0] = (struct canary_ep_cfg){ addr_v4(ip4("10.244.1.11")), htons(5050), 0 };
	s->v[1].ep[0] = (struct canary_ep_cfg){ addr_v4(ip4("10.244.2.21")), htons(5050), 0 };
	ret = env_apply(env, &cfg);
	config_free(&cfg);
	return ret;
}

/* The reply of a source-NATed flow comes back to this node, through XDP. */
static bool snat_reply(struct test_env *env, struct conn *c, __u8 flags)
{
	struct pkt_view v = pkt_parse(c->fwd, c->fwd_len);
	struct pkt_spec r = { .proto = c->proto, .saddr = v.daddr,
			      .daddr = v.saddr, .sport = v.dport,
			      .dport = v.sport, .tcp_flags = flags };
	struct pkt_view out;

	return ASSERT_TRUE(v.ok && v.saddr == ip4("10.1.0.1"), "SNATed") &&
	       ASSERT_EQ(env_run_spec(env->xdp_fd, &r, &out), XDP_PASS, "reply") &&
	       ASSERT_EQ(out.daddr, c->client[0], "back to the client");
}

static void snat_counters(struct test_env *env)
{
	struct canary_health h0, h;
	__u8 in[PKT_MAX], out[PKT_MAX];
	struct conn c;
	__u32 olen;
	int id;

	test__start_subtest("snat_handshake_and_refused");
	if (!ASSERT_OK(apply_far(env, IPPROTO_TCP), "apply") ||
	    !ASSERT_TRUE((id = env_svc_id(env, "far")) >= 0, "far's id"))
		return;
	h0 = env_health(env, id, 1);
	c = conn4(IPPROTO_TCP, 0x0a000002, 36000);
	c.vip[0] = ip4("10.96.0.30");
	if (client_pkt(env, &c, SYN) && snat_reply(env, &c, SYN | ACK)) {
		h = env_health(env, id, 1);
		ASSERT_EQ(h.new_conns - h0.new_conns, 1, "new connection");
		ASSERT_EQ(h.handshakes - h0.handshakes, 1, "handshake timed");
	}
	c.sport++;
	if (client_pkt(env, &c, SYN) && snat_reply(env, &c, RST | ACK))
		ASSERT_EQ(env_health(env, id, 1).refused - h0.refused, 1, "refused");

	test__start_subtest("snat_udp_unreachable_far_side");
	if (!ASSERT_OK(apply_far(env, IPPROTO_UDP), "apply udp"))
		return;
	h0 = env_health(env, id, 1);
	c = conn4(IPPROTO_UDP, 0x0a000002, 36100);
	c.vip[0] = ip4("10.96.0.30");
	if (!client_pkt(env, &c, 0))
		return;
	/* The remote endpoint's port unreachable, to this node's address. */
	olen = pkt_build_icmp(ip4("10.244.2.21"), ip4("10.1.0.1"), 3, 3, c.fwd,
			      28, in);
	ASSERT_EQ(env_run(env->xdp_fd, in, olen, out, &olen), XDP_PASS, "icmp");
	h = env_health(env, id, 1);
	ASSERT_EQ(h.new_conns - h0.new_conns, 1, "one new flow");
	ASSERT_EQ(h.refused - h0.refused, 1, "refused");
}

void test_health(void)
{
	struct test_env env;

	if (env_setup(&env))
		goto out;
	if (!ASSERT_OK(apply(&env, 10000, IPPROTO_TCP, NULL), "apply"))
		goto out;
	counters(&env, false);
	counters(&env, true);
	udp_refused(&env, false);
	udp_refused(&env, true);
	guard_threshold(&env);
	guard_minimum(&env);
	guard_window(&env);
	guard_v6(&env);
	guard_refusing(&env);
	guard_healthy(&env);
	snat_counters(&env);
out:
	env_teardown(&env);
}
