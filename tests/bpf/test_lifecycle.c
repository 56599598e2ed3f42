// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flow lifecycle, both families: a SYN is placed by the config now,
 * whatever entry an earlier connection of its 5-tuple left (from an older
 * config, or closing), and a retransmitted SYN under the same config
 * lands where the first did; a FIN or RST from either side marks the flow
 * closing; entries age out per state (TCP open, TCP closing, UDP) and an
 * aged-out one counts as absent for the forward and the reply path, while
 * one stamped 0 (an older release's) is kept and stamped; a source-NATed
 * flow that lost its entry gets its own SNAT port back even when an
 * earlier candidate came free meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"
#include "pkt6.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define TC_ACT_UNSPEC (-1)
#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define TCP_FIN_ACK 0x11
#define TCP_RST_ACK 0x14
#define N_FLOWS 100

/* One family's addresses: the VIP, the client, the endpoints (v1: two,
 * v2: one), the node and a remote endpoint for SNAT. */
struct fam {
	bool v6;
	const char *name;
	const char *vip, *client, *ep[3], *node, *remote;
};

static const struct fam fams[2] = {
	{ false, "ipv4", "10.96.0.10", "10.0.0.2",
	  { "10.244.1.11", "10.244.1.12", "10.244.1.21" }, "10.1.0.1",
	  "10.244.2.21" },
	{ true, "ipv6", "2001:db8::10", "fd00:c::2",
	  { "fd00:244:1::11", "fd00:244:1::12", "fd00:244:1::21" },
	  "fd00:10::1", "fd00:244:2::21" },
};

static struct canary_addr addr(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

/* What came out of the program: the packet's tuple, family-blind. */
struct out {
	int verdict;
	struct canary_addr saddr, daddr;
	__u16 sport, dport;
};

/* Runs @fd on a packet @src:@sport -> @dst:@dport of @f's family. */
static struct out run(int fd, const struct fam *f, __u8 proto, const char *src,
		      __u16 sport, const char *dst, __u16 dport, __u8 flags)
{
	static __u8 in[PKT_MAX], buf[PKT_MAX];
	struct out o = {};
	__u32 len, out_len = 0;

	if (f->v6) {
		struct pkt6_spec s = { .proto = proto, .sport = sport,
				       .dport = dport, .tcp_flags = flags };
		struct pkt6_view v;

		ip6(src, s.saddr);
		ip6(dst, s.daddr);
		len = pkt6_build(&s, in);
		o.verdict = env_run(fd, in, len, buf, &out_len);
		v = pkt6_parse(buf, out_len);
		o.saddr = addr_v6(v.saddr);
		o.daddr = addr_v6(v.daddr);
		o.sport = v.sport;
		o.dport = v.dport;
		return o;
	}
	struct pkt_spec s = { .proto = proto, .saddr = ip4(src),
			      .daddr = ip4(dst), .sport = sport, .dport = dport,
			      .tcp_flags = flags };
	struct pkt_view v;

	len = pkt_build(&s, in);
	o.verdict = env_run(fd, in, len, buf, &out_len);
	v = pkt_parse(buf, out_len);
	o.saddr = addr_v4(v.saddr);
	o.daddr = addr_v4(v.daddr);
	o.sport = v.sport;
	o.dport = v.dport;
	return o;
}

/* A forward packet from the client's port @sport to the VIP. */
static struct out fwd(struct test_env *env, const struct fam *f, __u8 proto,
		      __u16 sport, __u8 flags)
{
	return run(env->xdp_fd, f, proto, f->client, sport, f->vip, 5000, flags);
}

static bool is(const struct canary_addr *a, const char *s)
{
	struct canary_addr b = addr(s);

	return addr_eq(a, &b);
}

static void add_version(struct canary_service_cfg *s, int v, const char *name,
			int pct, const char *const *eps, int n)
{
	int i;

	snprintf(s->v[v].name, sizeof(s->v[v].name), "%s", name);
	s->v[v].weight_bps = pct * 100;
	s->v[v].n_endpoints = n;
	for (i = 0; i < n; i++) {
		s->v[v].ep[i].addr = addr(eps[i]);
		s->v[v].ep[i].port = htons(5050);
	}
}

/* TCP and UDP services on each family's VIP:5000, v1 on two endpoints of
 * this node, v2 on one, v2 at @v2_pct; grace @grace_s; the node section
 * (SNAT ports 40000-40009). */
static void lc_config(struct canary_config *cfg, int v2_pct, int grace_s)
{
	__u8 protos[2] = { IPPROTO_TCP, IPPROTO_UDP };
	struct canary_service_cfg *s;
	int i, p;

	config_free(cfg);
	config_init(cfg);
	cfg->grace_s = grace_s;
	cfg->node = (struct canary_node_cfg){ .set = true,
					      .address = ip4(fams[0].node),
					      .pod_net = ip4("10.244.1.0"),
					      .pod_len = 24, .port_min = 40000,
					      .port_max = 40009, .pod_len6 = 64 };
	ip6(fams[1].node, cfg->node.address6);
	ip6("fd00:244:1::", cfg->node.pod_net6);
	for (i = 0; i < 2; i++) {
		for (p = 0; p < 2; p++) {
			s = config_add_service(cfg, NULL);
			snprintf(s->name, sizeof(s->name), "%s-%s", fams[i].name,
				 p ? "udp" : "tcp");
			s->vip = addr(fams[i].vip);
			s->port = htons(5000);
			s->proto = protos[p];
			s->n_versions = 2;
			add_version(s, 0, "v1", 100 - v2_pct, fams[i].ep, 2);
			add_version(s, 1, "v2", v2_pct, fams[i].ep + 2, 1);
		}
	}
}

static int lc_apply(struct test_env *env, struct canary_config *cfg,
		    int v2_pct, int grace_s)
{
	struct canary_timeouts_cfg t = cfg->timeouts;

	lc_config(cfg, v2_pct, grace_s);
	cfg->timeouts = t;
	return env_apply(env, cfg);
}

/* How many of @n flows (client ports @base + i) reach v2's endpoint. */
static int on_v2(struct test_env *env, const struct fam *f, __u8 proto,
		 __u16 base, int n, __u8 flags)
{
	struct out o;
	int i, hits = 0;

	for (i = 0; i < n; i++) {
		o = fwd(env, f, proto, base + i, flags);
		hits += o.verdict == XDP_PASS && is(&o.daddr, f->ep[2]);
	}
	return hits;
}

/* A flow entry of either family. */
union flow_val {
	struct canary_flow v4;
	struct canary_flow6 v6;
};

static void flow_key(const struct fam *f, __u8 proto, __u16 sport,
		     __u16 dport, void *k4, void *k6)
{
	struct canary_flow_key *a = k4;
	struct canary_flow6_key *b = k6;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->saddr = ip4(f->v6 ? "0.0.0.0" : f->client);
	a->daddr = ip4(f->v6 ? "0.0.0.0" : f->vip);
	a->sport = b->sport = htons(sport);
	a->dport = b->dport = htons(dport);
	a->proto = b->proto = proto;
	if (f->v6) {
		ip6(f->client, b->saddr);
		ip6(f->vip, b->daddr);
	}
}

/* The flow entry of client port @sport (@proto) into @v; 0 or -errno. */
static int flow_get(struct test_env *env, const struct fam *f, __u8 proto,
		    __u16 sport, union flow_val *v)
{
	struct canary_flow_key k4;
	struct canary_flow6_key k6;

	flow_key(f, proto, sport, 5000, &k4, &k6);
	if (f->v6)
		return bpf_map_lookup_elem(env->st.flow6_fd, &k6, &v->v6) ? -errno : 0;
	return bpf_map_lookup_elem(env->st.flow_fd, &k4, &v->v4) ? -errno : 0;
}

static int flow_put(struct test_env *env, const struct fam *f, __u8 proto,
		    __u16 sport, const union flow_val *v)
{
	struct canary_flow_key k4;
	struct canary_flow6_key k6;

	flow_key(f, proto, sport, 5000, &k4, &k6);
	if (f->v6)
		return bpf_map_update_elem(env->st.flow6_fd, &k6, &v->v6,
					   BPF_EXIST) ? -errno : 0;
	return bpf_map_update_elem(env->st.flow_fd, &k4, &v->v4, BPF_EXIST) ?
		       -errno : 0;
}

static int flow_del(struct test_env *env, const struct fam *f, __u8 proto,
		    __u16 sport, __u16 dport)
{
	struct canary_flow_key k4;
	struct canary_flow6_key k6;

	flow_key(f, proto, sport, dport, &k4, &k6);
	if (f->v6)
		return bpf_map_delete_elem(env->st.flow6_fd, &k6) ? -errno : 0;
	return bpf_map_delete_elem(env->st.flow_fd, &k4) ? -errno : 0;
}

static __u8 *val_flags(const struct fam *f, union flow_val *v)
{
	return f->v6 ? &v->v6.flags : &v->v4.flags;
}

static __u16 *val_seen(const struct fam *f, union flow_val *v)
{
	return f->v6 ? &v->v6.seen : &v->v4.seen;
}

/* canary_stamp() of now on the programs' flow clock (canary_clock). */
static __u16 stamp_now(struct test_env *env)
{
	__u64 ns = 0;

	ASSERT_OK(state_flow_clock(&env->st, &ns), "flow clock published");
	return canary_stamp(ns);
}

/* Makes flow @sport's entry look idle for @units stamp units (or stamps
 * it 0 when @units < 0: as an older release wrote it). */
static bool age_flow(struct test_env *env, const struct fam *f, __u8 proto,
		     __u16 sport, int units)
{
	union flow_val v;
	__u16 s;

	if (!ASSERT_OK(flow_get(env, f, proto, sport, &v), "entry there"))
		return false;
	s = units < 0 ? 0 : (__u16)(stamp_now(env) - units);
	*val_seen(f, &v) = units >= 0 && !s ? 1 : s;
	return ASSERT_OK(flow_put(env, f, proto, sport, &v), "entry aged");
}

/* SYNs from ports whose entries an older config made follow the new
 * weights; established ACKs keep their endpoints. */
static void syn_on_old_entry(struct test_env *env, struct canary_config *cfg,
			     const struct fam *f)
{
	__u16 syn_base = 10000, ack_base = 11000;

	test__start_subtest(f->v6 ? "syn_on_entry_of_older_config_ipv6" :
				    "syn_on_entry_of_older_config_ipv4");
	if (!ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply v2=0") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	ASSERT_EQ(on_v2(env, f, IPPROTO_TCP, syn_base, N_FLOWS, TCP_SYN), 0,
		  "opened on v1");
	ASSERT_EQ(on_v2(env, f, IPPROTO_TCP, ack_base, N_FLOWS, TCP_SYN), 0,
		  "held flows opened on v1");
	if (!ASSERT_OK(lc_apply(env, cfg, 100, 60), "apply v2=100"))
		return;
	ASSERT_EQ(on_v2(env, f, IPPROTO_TCP, syn_base, N_FLOWS, TCP_SYN), N_FLOWS,
		  "SYNs from the same ports all on v2");
	ASSERT_EQ(on_v2(env, f, IPPROTO_TCP, syn_base, N_FLOWS, TCP_ACK), N_FLOWS,
		  "and their next packets stay there");
	ASSERT_EQ(on_v2(env, f, IPPROTO_TCP, ack_base, N_FLOWS, TCP_ACK), 0,
		  "established flows keep their v1 endpoints");
}

/* Under one config, a retransmitted SYN lands where the first did. */
static void syn_retransmitted(struct test_env *env, struct canary_config *cfg,
			      const struct fam *f)
{
	struct canary_addr first[N_FLOWS];
	int i, same = 0;
	struct out o;

	test__start_subtest(f->v6 ? "syn_retransmission_same_endpoint_ipv6" :
				    "syn_retransmission_same_endpoint_ipv4");
	if (!ASSERT_OK(lc_apply(env, cfg, 50, 60), "apply 50/50"))
		return;
	for (i = 0; i < N_FLOWS; i++)
		first[i] = fwd(env, f, IPPROTO_TCP, 12000 + i, TCP_SYN).daddr;
	for (i = 0; i < N_FLOWS; i++) {
		o = fwd(env, f, IPPROTO_TCP, 12000 + i, TCP_SYN);
		same += addr_eq(&o.daddr, &first[i]);
	}
	ASSERT_EQ(same, N_FLOWS, "every retransmitted SYN on its endpoint");
}

/* A client's FIN marks the flow closing; it keeps its endpoint until a
 * SYN from the same port opens a new connection, placed by the config. */
static void fin_then_syn(struct test_env *env, struct canary_config *cfg,
			 const struct fam *f)
{
	union flow_val v;
	struct out o;

	test__start_subtest(f->v6 ? "fin_marks_closing_syn_replaces_ipv6" :
				    "fin_marks_closing_syn_replaces_ipv4");
	if (!ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply v2=0"))
		return;
	fwd(env, f, IPPROTO_TCP, 13000, TCP_SYN);
	if (!ASSERT_OK(flow_get(env, f, IPPROTO_TCP, 13000, &v), "entry") ||
	    !ASSERT_EQ(*val_flags(f, &v) & CANARY_FLOW_F_CLOSING, 0, "open") ||
	    !ASSERT_TRUE(*val_seen(f, &v) != 0, "stamped"))
		return;
	fwd(env, f, IPPROTO_TCP, 13000, TCP_FIN_ACK);
	if (!ASSERT_OK(flow_get(env, f, IPPROTO_TCP, 13000, &v), "entry") ||
	    !ASSERT_TRUE(*val_flags(f, &v) & CANARY_FLOW_F_CLOSING,
			 "FIN: closing"))
		return;
	if (!ASSERT_OK(lc_apply(env, cfg, 100, 60), "apply v2=100"))
		return;
	o = fwd(env, f, IPPROTO_TCP, 13000, TCP_ACK);
	ASSERT_TRUE(!is(&o.daddr, f->ep[2]), "the closing flow's ACK stays on v1");
	o = fwd(env, f, IPPROTO_TCP, 13000, TCP_SYN);
	ASSERT_TRUE(is(&o.daddr, f->ep[2]), "a SYN on the closing entry: v2");
	if (ASSERT_OK(flow_get(env, f, IPPROTO_TCP, 13000, &v), "entry"))
		ASSERT_EQ(*val_flags(f, &v) & CANARY_FLOW_F_CLOSING, 0,
			  "the new connection's entry is open");
}

/* The endpoint's RST, through the reply path, marks the flow closing. */
static void rst_from_endpoint(struct test_env *env, struct canary_config *cfg,
			      const struct fam *f)
{
	char ep[CANARY_ADDR_STRLEN];
	union flow_val v;
	struct out o;

	test__start_subtest(f->v6 ? "endpoint_rst_marks_closing_ipv6" :
				    "endpoint_rst_marks_closing_ipv4");
	if (!ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply v2=0"))
		return;
	o = fwd(env, f, IPPROTO_TCP, 14000, TCP_SYN);
	addr_str(&o.daddr, ep, sizeof(ep));
	o = run(env->tc_out_fd, f, IPPROTO_TCP, ep, 5050, f->client, 14000,
		TCP_RST_ACK);
	ASSERT_EQ(o.verdict, TC_ACT_UNSPEC, "verdict");
	ASSERT_TRUE(is(&o.saddr, f->vip) && o.sport == 5000,
		    "the RST comes from the VIP");
	if (ASSERT_OK(flow_get(env, f, IPPROTO_TCP, 14000, &v), "entry"))
		ASSERT_TRUE(*val_flags(f, &v) & CANARY_FLOW_F_CLOSING,
			    "RST from the endpoint: closing");
}

/* One flow of the expiry table: its protocol, whether it was closed, how
 * long it looks idle (stamp units), and whether that is past the
 * timeouts {tcp: 60, tcp_closing: 10, udp: 30}. */
struct aged {
	const char *what;
	__u8 proto;
	bool fin;
	int units;
	bool expired;
};

static const struct aged ages[] = {
	{ "tcp open idle 39-47 s: kept", IPPROTO_TCP, false, 10, false },
	{ "tcp open idle 64-73 s: gone", IPPROTO_TCP, false, 16, true },
	{ "tcp closing idle 4-13 s: kept", IPPROTO_TCP, true, 2, false },
	{ "tcp closing idle 17-26 s: gone", IPPROTO_TCP, true, 5, true },
	{ "udp idle 21-30 s: kept", IPPROTO_UDP, false, 6, false },
	{ "udp idle 34-43 s: gone", IPPROTO_UDP, false, 9, true },
	{ "entry stamped 0 by an older release: kept", IPPROTO_TCP, false, -1,
	  false },
};

/*
 * Entries aged per state, then v2 0 -> 100 with no grace period: an
 * expired flow's next packet is placed by the weights now (v2), a live
 * one keeps its v1 endpoint; the reply path translates the replies of
 * live flows only. An entry stamped 0 is kept and gets a stamp.
 */
static void expiry(struct test_env *env, struct canary_config *cfg,
		   const struct fam *f)
{
	char ep[CANARY_ADDR_STRLEN];
	struct canary_addr e;
	union flow_val v;
	struct out o;
	__u16 port;
	size_t i;

	test__start_subtest(f->v6 ? "expiry_per_state_ipv6" : "expiry_per_state_ipv4");
	cfg->timeouts = (struct canary_timeouts_cfg){ .set = true, .tcp_s = 60,
						      .tcp_closing_s = 10,
						      .udp_s = 30 };
	if (!ASSERT_OK(lc_apply(env, cfg, 0, 0), "apply v2=0, timeouts"))
		return;
	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		port = 15000 + i;
		o = fwd(env, f, ages[i].proto, port, TCP_SYN);
		if (ages[i].fin)
			fwd(env, f, ages[i].proto, port, TCP_FIN_ACK);
		if (!ASSERT_TRUE(!is(&o.daddr, f->ep[2]), "opened on v1") ||
		    !age_flow(env, f, ages[i].proto, port, ages[i].units))
			return;
	}
	if (!ASSERT_OK(lc_apply(env, cfg, 100, 0), "apply v2=100"))
		return;
	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		port = 15000 + i;
		if (!ASSERT_OK(flow_get(env, f, ages[i].proto, port, &v), "entry"))
			return;
		e = f->v6 ? addr_v6(v.v6.ep_addr) : addr_v4(v.v4.ep_addr);
		addr_str(&e, ep, sizeof(ep));
		o = run(env->tc_out_fd, f, ages[i].proto, ep, 5050, f->client,
			port, TCP_ACK);
		printf("  %s: %s\n", f->name, ages[i].what);
		ASSERT_EQ(is(&o.saddr, f->vip), !ages[i].expired,
			  "reply translated only while the flow lives");
		o = fwd(env, f, ages[i].proto, port, TCP_ACK);
		ASSERT_EQ(is(&o.daddr, f->ep[2]), ages[i].expired,
			  "expired: placed anew on v2; live: kept on v1");
	}
	if (ASSERT_OK(flow_get(env, f, IPPROTO_TCP, 15006, &v), "entry"))
		ASSERT_TRUE(*val_seen(f, &v) != 0, "stamp-0 entry stamped");
	cfg->timeouts.set = false;
}

/* A service to a remote endpoint (SNAT) on each family's VIP:6000. */
static void snat_config(struct canary_config *cfg)
{
	struct canary_service_cfg *s;
	int i;

	lc_config(cfg, 0, 60);
	for (i = 0; i < 2; i++) {
		s = config_add_service(cfg, NULL);
		snprintf(s->name, sizeof(s->name), "%s-snat", fams[i].name);
		s->vip = addr(fams[i].vip);
		s->port = htons(6000);
		s->proto = IPPROTO_TCP;
		s->snat = CANARY_SNAT_ALWAYS;
		s->n_versions = 1;
		add_version(s, 0, "v1", 100, &fams[i].remote, 1);
	}
}

/* The first SNAT port flow @sport -> VIP:6000 tries (snat_alloc()). */
static __u16 first_port(const struct fam *f, __u16 sport)
{
	struct canary_addr c = addr(f->client), v = addr(f->vip);
	__u32 h = canary_flow_hash(addr_hash_word(&c), addr_hash_word(&v),
				   htons(sport), htons(6000), IPPROTO_TCP,
				   CANARY_SEED_SNAT);

	return 40000 + h % 10;
}

static struct out to_snat(struct test_env *env, const struct fam *f,
			  __u16 sport, __u8 flags)
{
	return run(env->xdp_fd, f, IPPROTO_TCP, f->client, sport, f->vip, 6000,
		   flags);
}

/*
 * Flow B took its second candidate port because flow A held its first.
 * A ends (its entry goes; its way back stays, owned by nobody) and B's
 * entry is lost: B's next packet gets B's own port back, not the first
 * candidate that came free.
 */
static void snat_port_kept(struct test_env *env, struct canary_config *cfg,
			   const struct fam *f)
{
	__u16 a = 16000, b, pa, pb;
	struct out o;

	test__start_subtest(f->v6 ? "snat_port_after_lost_entry_ipv6" :
				    "snat_port_after_lost_entry_ipv4");
	snat_config(cfg);
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(env_clear_flows(env), "clear flows") ||
	    !ASSERT_OK(env_clear_snat(env), "clear ways back"))
		return;
	for (b = a + 1; b < a + 1000 && first_port(f, b) != first_port(f, a); b++)
		;
	o = to_snat(env, f, a, TCP_SYN);
	pa = o.sport;
	if (!ASSERT_TRUE(is(&o.saddr, f->node), "A SNATed") ||
	    !ASSERT_EQ(pa, first_port(f, a), "A on its first candidate"))
		return;
	o = to_snat(env, f, b, TCP_SYN);
	pb = o.sport;
	if (!ASSERT_EQ(pb, 40000 + (first_port(f, b) - 40000 + 1) % 10,
		       "B on its second candidate: A holds the first"))
		return;
	if (!ASSERT_OK(flow_del(env, f, IPPROTO_TCP, a, 6000), "A ends") ||
	    !ASSERT_OK(flow_del(env, f, IPPROTO_TCP, b, 6000), "B loses its entry"))
		return;
	o = to_snat(env, f, b, TCP_ACK);
	ASSERT_EQ(o.sport, pb, "B keeps its SNAT port");
	o = to_snat(env, f, b, TCP_ACK);
	ASSERT_EQ(o.sport, pb, "and keeps it");
}

/* Sends a SYN from client port @sport; true when it left no entry. */
static bool syn_unrecorded(struct test_env *env, const struct fam *f,
			   __u16 sport, struct canary_addr *ep)
{
	union flow_val v;

	*ep = fwd(env, f, IPPROTO_TCP, sport, TCP_SYN).daddr;
	return flow_get(env, f, IPPROTO_TCP, sport, &v) == -ENOENT;
}

/* A reply from endpoint @ep:5050 to the client's port @cport with
 * @flags: whether it left translated (from the VIP). */
static bool reply_translated(struct test_env *env, const struct fam *f,
			     const struct canary_addr *ep, __u16 cport,
			     __u8 flags)
{
	char e[CANARY_ADDR_STRLEN];
	struct out o;

	addr_str(ep, e, sizeof(e));
	o = run(env->tc_out_fd, f, IPPROTO_TCP, e, 5050, f->client, cport, flags);
	return is(&o.saddr, f->vip) && o.sport == 5000;
}

/*
 * The SYN flood guard at one SYN a second: SYNs past it are forwarded to
 * their placement but leave no entry; their SYN-ACKs are matched by
 * placement and translated, other replies of theirs are not, nor a
 * SYN-ACK the placement would not have sent there; the client's ACK
 * records the flow.
 */
static void flood_guard(struct test_env *env, struct canary_config *cfg,
			const struct fam *f)
{
	struct canary_addr ep[20], other = addr(f->ep[2]);
	__u64 skipped = 0;
	int i, unrecorded = 0, synack = 0, ack = 0;

	test__start_subtest(f->v6 ? "flood_guard_ipv6" : "flood_guard_ipv4");
	/* No previous config in its grace period: a packet without entry
	 * is placed by the current one, as its SYN was. */
	if (!ASSERT_OK(lc_apply(env, cfg, 0, 0), "apply v2=0, no grace"))
		return;
	cfg->timeouts.syn_rate = 1;
	if (!ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply flood_guard: 1") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	for (i = 0; i < 20; i++)
		unrecorded += syn_unrecorded(env, f, 17000 + i, &ep[i]);
	ASSERT_TRUE(unrecorded >= 18, "SYNs past the rate leave no entry");
	ASSERT_OK(state_syn_skipped(&env->st, &skipped), "guard counter");
	ASSERT_TRUE(skipped >= 18, "counted as not recorded");
	for (i = 0; i < 20; i++) {
		synack += reply_translated(env, f, &ep[i], 17000 + i, 0x12);
		ack += reply_translated(env, f, &ep[i], 17000 + i, TCP_ACK);
	}
	ASSERT_EQ(synack, 20, "every SYN-ACK translated");
	ASSERT_EQ(ack, 20 - unrecorded, "other replies only of recorded flows");
	ASSERT_TRUE(!reply_translated(env, f, &other, 17000, 0x12),
		    "a SYN-ACK from an endpoint the SYN did not go to: kept");
	for (i = 0; i < 20; i++)
		fwd(env, f, IPPROTO_TCP, 17000 + i, TCP_ACK);
	for (i = 0, ack = 0; i < 20; i++)
		ack += reply_translated(env, f, &ep[i], 17000 + i, TCP_ACK);
	ASSERT_EQ(ack, 20, "the client's ACK recorded every flow");
	/* Back to the default for the tests after this one. */
	cfg->timeouts.syn_rate = CANARY_SYN_RATE_DEFAULT;
	ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply the default rate");
}

/* New connections counted for service @id, both versions. */
static __u64 new_conns(struct test_env *env, int id, __u64 *v2)
{
	__u64 n1 = env_health(env, id, 0).new_conns;

	*v2 = env_health(env, id, 1).new_conns;
	return n1 + *v2;
}

/*
 * Connection health during a flood: SYNs past the guard's rate are
 * counted 1 in 16 per CPU with a weight of 16 (bpf/health.h), so the
 * count stays within 15 per CPU of the SYNs sent, the recorded ones
 * counted one by one, and both versions get their share.
 */
static void flood_health(struct test_env *env, struct canary_config *cfg,
			 const struct fam *f)
{
	char name[32];
	__u64 n0, n, v2_0, v2;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	__u64 slack;
	int i, id, sent = 640;

	test__start_subtest(f->v6 ? "flood_guard_health_ipv6" :
				    "flood_guard_health_ipv4");
	snprintf(name, sizeof(name), "%s-tcp", f->name);
	cfg->timeouts.syn_rate = 1;
	if (!ASSERT_OK(lc_apply(env, cfg, 50, 60), "apply v2=50, rate 1") ||
	    !ASSERT_TRUE((id = env_svc_id(env, name)) >= 0, "service id"))
		return;
	n0 = new_conns(env, id, &v2_0);
	for (i = 0; i < sent; i++)
		fwd(env, f, IPPROTO_TCP, 30000 + i, TCP_SYN);
	n = new_conns(env, id, &v2) - n0;
	slack = 15 * (__u64)(ncpu > 0 ? ncpu : 1);
	ASSERT_TRUE_FMT(n + slack >= (__u64)sent && n <= (__u64)sent + slack,
			"%llu counted for %d SYNs", (unsigned long long)n, sent);
	ASSERT_TRUE_FMT(v2 - v2_0 >= 16 && v2 - v2_0 + 16 <= n,
			"v2 counted %llu of %llu",
			(unsigned long long)(v2 - v2_0), (unsigned long long)n);
	cfg->timeouts.syn_rate = CANARY_SYN_RATE_DEFAULT;
	ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply the default rate");
}

/*
 * What an unrecorded SYN gives up: SYNs at v2=25 past the guard, then
 * v2=50; the connections' next packets (ACKs) land where their SYNs went
 * within the grace period (placed by the config they started under),
 * and after it as often as the two configs agree.
 */
static void flood_stickiness(struct test_env *env, struct canary_config *cfg,
			     const struct fam *f, int grace_s)
{
	static struct canary_addr ep[2000];
	static bool unrec[2000];
	int i, n = 2000, un = 0, same = 0, agree = 0;
	struct canary_service_cfg before;
	struct canary_ep_cfg e1, e2;
	struct canary_addr c = addr(f->client), v = addr(f->vip);
	struct out o;

	cfg->timeouts.syn_rate = 1;
	if (!ASSERT_OK(lc_apply(env, cfg, 25, grace_s), "apply v2=25") ||
	    !ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	before = cfg->svc[f->v6 ? 2 : 0];
	for (i = 0; i < n; i++)
		unrec[i] = syn_unrecorded(env, f, 20000 + i, &ep[i]);
	if (!ASSERT_OK(lc_apply(env, cfg, 50, grace_s), "apply v2=50"))
		return;
	for (i = 0; i < n; i++) {
		o = fwd(env, f, IPPROTO_TCP, 20000 + i, TCP_ACK);
		if (!unrec[i])
			continue;
		un++;
		same += addr_eq(&o.daddr, &ep[i]);
		env_predict_addr(&before, &c, &v, 20000 + i, 5000, IPPROTO_TCP, &e1);
		env_predict_addr(&cfg->svc[f->v6 ? 2 : 0], &c, &v, 20000 + i, 5000,
				 IPPROTO_TCP, &e2);
		agree += addr_eq(&e1.addr, &e2.addr);
	}
	printf("  %s, grace %d s: %.1f%% of %d unrecorded connections kept their "
	       "endpoint after v2 25 -> 50 (the configs agree on %.1f%%)\n",
	       f->name, grace_s, 100.0 * same / un, un, 100.0 * agree / un);
	ASSERT_TRUE(un > n * 9 / 10, "most SYNs unrecorded");
	ASSERT_EQ(same, grace_s ? un : agree,
		  grace_s ? "all kept within the grace period" :
			    "after it, those the configs agree on");
	/* Back to the default for the tests after this one. */
	cfg->timeouts.syn_rate = CANARY_SYN_RATE_DEFAULT;
	ASSERT_OK(lc_apply(env, cfg, 0, 60), "apply the default rate");
}

void test_lifecycle(void)
{
	struct canary_config cfg;
	struct test_env env;
	int i;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	for (i = 0; i < 2; i++) {
		syn_on_old_entry(&env, &cfg, &fams[i]);
		syn_retransmitted(&env, &cfg, &fams[i]);
		fin_then_syn(&env, &cfg, &fams[i]);
		rst_from_endpoint(&env, &cfg, &fams[i]);
		expiry(&env, &cfg, &fams[i]);
		snat_port_kept(&env, &cfg, &fams[i]);
		flood_guard(&env, &cfg, &fams[i]);
		flood_health(&env, &cfg, &fams[i]);
		test__start_subtest(i ? "flood_guard_stickiness_ipv6" :
					"flood_guard_stickiness_ipv4");
		flood_stickiness(&env, &cfg, &fams[i], 60);
		flood_stickiness(&env, &cfg, &fams[i], 0);
	}
out:
	env_teardown(&env);
	config_free(&cfg);
}
