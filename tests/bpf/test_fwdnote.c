// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP's notes to canary_tc_fwd (bpf/fwd.h): a packet XDP translated and
 * passed (its next hop, veth fnp, takes no XDP frames) is forwarded by tc
 * on XDP's note alone, even with its flow gone since (what proves the
 * note was used: the slow path would not find the flow); a note serves
 * one packet, only the packet of its 5-tuple, not past its tick, not
 * once another packet took its slot in between, and not into a device
 * deleted since. Without a note tc still finds the flow itself (the slow
 * path), and a packet for no service is left alone. IPv4 and IPv6. In a
 * network namespace of its own: ingress device fnin, the pods' routes
 * over veth fnp.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "env.h"
#include "netns.h"
#include "pkt.h"
#include "pkt6.h"
#include "canary.skel.h"

#define TC_REDIRECT 7 /* TC_ACT_REDIRECT */
#define TC_UNSPEC (-1)
/* bpf/maps.h's FWD_NOTE_BITS and bpf/fwd.h's index, to make two packets
 * share a slot. */
#define NOTE_BITS 10
#define NOTE_MULT 0x9E3779B1u
/* Past FWD_NOTE_TICKS (one jiffy) at any HZ from 100 up. */
#define STALE_MS 30

static const __u8 MAC_P[6] = { 0x02, 0, 0, 0, 0x0f, 0x01 };

struct fwd_case {
	struct test_env *env;
	int tc_fd;
	bool v6;
};

static bool topology(void)
{
	return sys("sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1") &&
	       sys("ip link add fnin type veth peer name fnin_p && "
		   "ip link set fnin up && ip link set fnin_p up") &&
	       sys("ip link add fnp type veth peer name fnp_p && "
		   "ip link set fnp up && ip link set fnp_p up") &&
	       sys("ip route add 10.244.1.0/24 dev fnp && "
		   "ip -6 route add 2001:db8:1::/64 dev fnp") &&
	       sys("for i in 11 12 13 21; do "
		   "ip neigh replace 10.244.1.$i lladdr 02:00:00:00:0f:01 dev fnp nud permanent && "
		   "ip neigh replace 2001:db8:1::$i lladdr 02:00:00:00:0f:01 dev fnp nud permanent "
		   "|| exit 1; done");
}

static struct canary_addr a6(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

/* [2001:db8::10]:80/udp on 2001:db8:1::11 and ::21, port 8080. */
static void six_config(struct canary_config *cfg)
{
	static const char *const eps[] = { "2001:db8:1::11", "2001:db8:1::21" };
	struct canary_service_cfg *s = config_add_service(cfg, NULL);
	int v;

	snprintf(s->name, sizeof(s->name), "six");
	s->vip = a6("2001:db8::10");
	s->port = htons(80);
	s->proto = IPPROTO_UDP;
	s->n_versions = 2;
	for (v = 0; v < 2; v++) {
		snprintf(s->v[v].name, sizeof(s->v[v].name), "v%d", v + 1);
		s->v[v].weight_bps = 5000;
		s->v[v].n_endpoints = 1;
		s->v[v].ep[0] = (struct canary_ep_cfg){ a6(eps[v]), htons(8080), 0 };
	}
}

/* A UDP frame from the client's port @sport to the VIP (@to_vip) or,
 * as XDP would have translated it, to @ep:@eport. */
static __u32 frame(bool v6, __u16 sport, const char *ep, __u16 eport,
		   __u8 *buf)
{
	struct pkt_spec s = { .proto = IPPROTO_UDP, .saddr = ip4("10.0.0.2"),
			      .daddr = ip4("10.96.0.10"), .sport = sport,
			      .dport = 5000, .payload = 16 };
	struct pkt6_spec s6 = { .proto = IPPROTO_UDP, .sport = sport,
				.dport = 80, .payload = 16 };

	if (!v6) {
		if (ep) {
			s.daddr = ip4(ep);
			s.dport = eport;
		}
		return pkt_build(&s, buf);
	}
	ip6("2001:db8:c::2", s6.saddr);
	ip6(ep ? ep : "2001:db8::10", s6.daddr);
	if (ep)
		s6.dport = eport;
	return pkt6_build(&s6, buf);
}

/* One packet through XDP on fnin; @out gets the frame it passed on. */
static int run_xdp(struct fwd_case *c, const __u8 *in, __u32 len, __u8 *out,
		   __u32 *out_len)
{
	struct xdp_md ctx = { .data_end = len,
			      .ingress_ifindex = if_nametoindex("fnin") };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = PKT_MAX,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(c->env->xdp_fd, &opts))
		return ENV_RUN_FAILED;
	*out_len = opts.data_size_out;
	return opts.retval;
}

/* The frame XDP passed, through canary_tc_fwd on fnin's tc ingress. */
static int run_tc(struct fwd_case *c, const __u8 *in, __u32 len, __u8 *out)
{
	struct __sk_buff ctx = { .ifindex = if_nametoindex("fnin"),
				 .ingress_ifindex = if_nametoindex("fnin") };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = PKT_MAX,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(c->tc_fd, &opts))
		return ENV_RUN_FAILED;
	return opts.retval;
}

/* Client port @sport's packet through XDP: passed, translated; its frame
 * into @fr (@len). */
static bool xdp_passes(struct fwd_case *c, __u16 sport, __u8 *fr, __u32 *len)
{
	__u8 in[PKT_MAX];
	__u32 n = frame(c->v6, sport, NULL, 0, in);

	return ASSERT_EQ(run_xdp(c, in, n, fr, len), XDP_PASS, "XDP passes it") &&
	       ASSERT_TRUE(memcmp(in, fr, n), "XDP translated it");
}

/* tc forwarded @fr: redirected, to fnp's neighbour, TTL down by one. */
static bool tc_forwards(struct fwd_case *c, const __u8 *fr, __u32 len,
			const char *what)
{
	__u8 out[PKT_MAX];
	int hop = c->v6 ? 14 + 7 : 14 + 8;

	return ASSERT_EQ(run_tc(c, fr, len, out), TC_REDIRECT, what) &&
	       ASSERT_MEM_EQ(out, MAC_P, 6, "to the pod's MAC") &&
	       ASSERT_EQ(out[hop], fr[hop] - 1, "TTL / hop limit down by one");
}

static bool tc_leaves(struct fwd_case *c, const __u8 *fr, __u32 len,
		      const char *what)
{
	__u8 out[PKT_MAX];

	return ASSERT_EQ(run_tc(c, fr, len, out), TC_UNSPEC, what);
}

/* bpf/fwd.h's slot of the IPv4 packet 10.0.0.2:@sport -> @dst:@dport. */
static __u32 note_index(__be32 dst, __u16 sport, __u16 dport)
{
	__u32 h = (ip4("10.0.0.2") * NOTE_MULT) ^ dst ^
		  ((__u32)htons(sport) << 16 | htons(dport));

	return (h * NOTE_MULT) >> (32 - NOTE_BITS);
}

/* Whether client port @port's packet to any seed endpoint at @dport
 * would take slot @want. */
static bool may_collide(__u16 port, __u16 dport, __u32 want)
{
	static const char *const eps[] = { "10.244.1.11", "10.244.1.12",
					   "10.244.1.13", "10.244.1.21" };
	int i;

	for (i = 0; i < 4; i++)
		if (note_index(ip4(eps[i]), port, dport) == want)
			return true;
	return false;
}

/* The translated frame's destination and port (IPv4). */
static void fr_dst(const __u8 *fr, __be32 *dst, __u16 *dport)
{
	memcpy(dst, fr + 14 + 16, 4);
	*dport = ntohs(*(__be16 *)(fr + 14 + 20 + 2));
}

static void note_cases(struct fwd_case *c)
{
	__u8 a[PKT_MAX], b[PKT_MAX], other[PKT_MAX];
	__u32 alen, blen, olen;

	test__start_subtest(c->v6 ? "note_used_v6" : "note_used");
	if (!xdp_passes(c, 41000, a, &alen) ||
	    !ASSERT_OK(env_clear_flows(c->env), "flows gone") ||
	    !tc_forwards(c, a, alen, "forwarded on the note alone"))
		return;

	test__start_subtest(c->v6 ? "note_serves_once_v6" : "note_serves_once");
	tc_leaves(c, a, alen, "second skb, no note, no flow: kernel");

	test__start_subtest(c->v6 ? "stale_note_unused_v6" : "stale_note_unused");
	if (!xdp_passes(c, 41001, a, &alen))
		return;
	usleep(STALE_MS * 1000);
	if (!ASSERT_OK(env_clear_flows(c->env), "flows gone"))
		return;
	tc_leaves(c, a, alen, "note past its tick: kernel");

	test__start_subtest(c->v6 ? "slow_path_without_note_v6" : "slow_path_without_note");
	if (!xdp_passes(c, 41002, a, &alen))
		return;
	usleep(STALE_MS * 1000);
	tc_forwards(c, a, alen, "flow found again, FIB asked");

	test__start_subtest(c->v6 ? "other_packet_no_note_v6" : "other_packet_no_note");
	if (!xdp_passes(c, 41003, a, &alen))
		return;
	/* the same client and endpoint, another port: for no service */
	olen = frame(c->v6, 41003, c->v6 ? "2001:db8:1::11" : "10.244.1.11", 5051,
		     other);
	tc_leaves(c, other, olen, "not for a service: kernel");
	if (!ASSERT_EQ(run_xdp(c, other, olen, b, &blen), XDP_PASS, "XDP passes it"))
		return;
	tc_leaves(c, b, blen, "XDP left no note: kernel");
	tc_forwards(c, a, alen, "the noted packet still is");
	(void)blen;
}

/* Another packet's note in the slot between XDP and tc (IPv4). */
static void overwritten_case(struct fwd_case *c)
{
	__u8 a[PKT_MAX], b[PKT_MAX];
	__u32 alen, blen, want;
	__u16 port, dport, bport, sport = 42000;
	__be32 dst;

	test__start_subtest("overwritten_note_unused");
	if (!xdp_passes(c, sport, a, &alen))
		return;
	fr_dst(a, &dst, &dport);
	want = note_index(dst, sport, dport);
	/* A client port whose packet, translated to any endpoint, lands in
	 * the same slot; XDP then says which endpoint it got. */
	for (port = sport + 1; port < 65000; port++) {
		if (!may_collide(port, dport, want))
			continue;
		if (!xdp_passes(c, port, b, &blen))
			return;
		fr_dst(b, &dst, &bport);
		if (note_index(dst, port, bport) == want)
			break;
	}
	if (!ASSERT_TRUE(port < 65000, "a colliding client port") ||
	    !ASSERT_OK(env_clear_flows(c->env), "flows gone"))
		return;
	tc_leaves(c, a, alen, "slot holds the other packet's note: kernel");
	tc_forwards(c, b, blen, "the other packet's note serves it");
}

/* The note's device (bytes 48..51 of a struct fwd_note: ans.ifindex) in
 * this CPU's slot @idx set to @ifindex. */
static bool note_set_dev(struct fwd_case *c, __u32 idx, __u32 ifindex)
{
	int fd = bpf_map__fd(c->env->skel->maps.canary_fwdnote);
	int ncpu = libbpf_num_possible_cpus(), cpu = sched_getcpu();
	__u8 *vals = calloc(ncpu, 64);
	bool ok;

	ok = ASSERT_TRUE(vals && cpu >= 0 && cpu < ncpu, "per-CPU values") &&
	     ASSERT_OK(bpf_map_lookup_elem(fd, &idx, vals), "note read") &&
	     ASSERT_TRUE(vals[cpu * 64 + 40], "a note there (stamp)");
	if (ok) {
		memcpy(vals + cpu * 64 + 48, &ifindex, 4);
		ok = ASSERT_OK(bpf_map_update_elem(fd, &idx, vals, BPF_ANY),
			       "note written");
	}
	free(vals);
	return ok;
}

/* A note naming a device that is gone (deleted since XDP's FIB cache
 * learned it): tc asks bpf_check_mtu() and leaves the packet to the
 * kernel rather than redirect it into nothing. */
static void deleted_case(struct fwd_case *c)
{
	__u8 a[PKT_MAX];
	__u32 alen;
	__u16 dport;
	__be32 dst;

	test__start_subtest("deleted_device_not_used");
	if (!xdp_passes(c, 43000, a, &alen))
		return;
	fr_dst(a, &dst, &dport);
	if (!note_set_dev(c, note_index(dst, 43000, dport), 0x7ffffff0))
		return;
	tc_leaves(c, a, alen, "device gone: kernel, not a black hole");
}

static bool fwd_on(struct test_env *env)
{
	struct canary_port_key k = { .ifindex = 0 };
	struct canary_port v = { .ifindex = 0 };

	memset(k.mac, 0xff, sizeof(k.mac));
	return ASSERT_OK(bpf_map_update_elem(env->st.port_fd, &k, &v, BPF_ANY),
			 "automatic mode on");
}

void test_fwdnote(void)
{
	struct canary_config cfg;
	struct test_env env;
	struct fwd_case c = { .env = &env };
	struct test_netns ns;

	test__start_subtest("setup");
	config_init(&cfg);
	/* Notes are per CPU: XDP and tc on the same one, as in the kernel. */
	if (!netns_enter(&ns) || !ASSERT_TRUE(topology(), "topology") ||
	    env_setup(&env))
		goto out;
	c.tc_fd = bpf_program__fd(env.skel->progs.canary_tc_fwd);
	env_seed_config(&cfg, 2500, IPPROTO_UDP);
	six_config(&cfg);
	if (ASSERT_OK(env_apply(&env, &cfg), "apply") && fwd_on(&env)) {
		note_cases(&c);
		c.v6 = true;
		note_cases(&c);
		c.v6 = false;
		overwritten_case(&c);
		deleted_case(&c);
	}
	env_teardown(&env);
out:
	netns_leave(&ns);
	config_free(&cfg);
}
