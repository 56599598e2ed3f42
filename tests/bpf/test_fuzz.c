// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Random and mutated frames (fuzz.c, fuzz6.c), IPv4 and IPv6, through
 * XDP, tc ingress and tc egress, with invariants checked on every one:
 *   - XDP never aborts; XDP drops and tc shoots only packets for the
 *     service without endpoints (and always do);
 *   - a packet for no service (nor a reply of a tracked flow, nor an ICMP
 *     error) comes out byte-identical;
 *   - a packet for a service comes out addressed to one of its endpoints,
 *     only the destination and checksums changed, the checksums valid if
 *     they were;
 *   - a reply of a tracked flow gets its VIP:port back the same way;
 *   - an ICMP(v6) error comes out as it was, or with valid checksums and
 *     only its addresses, ports and checksums changed; it is changed if
 *     and only if it is about a tracked flow, and then names the flow's
 *     endpoint (to the VIP) or its VIP:port (to the client).
 * CANARY_FUZZ_PACKETS sets the count (default 50,000), CANARY_FUZZ_SEED
 * the seed (default 1); a failure prints the seed and packet index.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "env.h"
#include "fuzz.h"

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
#define FUZZ_DEFAULT_PACKETS 50000
#define FUZZ_SHOW 3 /* violations printed per invariant */

enum invariant {
	I_VERDICT,
	I_IDENTICAL,
	I_CHECKSUM,
	I_DEST,
	I_REPLY,
	I_ICMP,
	I_ICMP_FLOW,
	I_KERNEL,
	I_COUNT,
};

static const char *const inv_names[I_COUNT] = {
	"verdicts_no_aborted_no_stray_drop",
	"non_service_byte_identical",
	"translated_checksums_valid",
	"translated_destination_in_endpoints",
	"replies_restore_the_vip",
	"icmp_errors_stay_valid",
	"icmp_errors_follow_tracked_flows",
	"kernel_accepts_frames",
};

struct fuzz_run {
	struct test_env *env;
	struct canary_config *cfg;
	struct fuzz_flows flows;
	__u64 seed;
	long idx;
	const __u8 *in;
	size_t len;
	unsigned long viol[I_COUNT];
	unsigned long translated, dropped, identical, replies, rejected;
	/* The same for IPv6 alone, and ICMP errors changed per family. */
	unsigned long translated6, dropped6, replies6, icmp_changed[2];
};

static void violation(struct fuzz_run *fr, enum invariant inv, const char *prog,
		      const char *fmt, ...)
{
	va_list ap;
	size_t i;

	if (fr->viol[inv]++ >= FUZZ_SHOW)
		return;
	fprintf(stderr, "  %s: seed %llu packet %ld on %s: ", inv_names[inv],
		(unsigned long long)fr->seed, fr->idx, prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  frame (%zu bytes):", fr->len);
	for (i = 0; i < fr->len && i < 96; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n    ", fr->in[i]);
	fprintf(stderr, "\n");
}

/* Whether @ca is the address @a of a frame (@v6: 16 bytes, else 4). */
static bool addr_is(const struct canary_addr *ca, bool v6, const __be32 *a)
{
	if (v6)
		return addr_is_v6(ca) && !memcmp(ca->v6, a, 16);
	return !addr_is_v6(ca) && ca->v4 == *a;
}

/* The single-port service @v is addressed to, or NULL. */
static const struct canary_service_cfg *service_of(const struct canary_config *cfg,
						   const struct fuzz_view *v)
{
	int i;

	for (i = 0; v->l4 && i < cfg->n_services; i++)
		if (addr_is(&cfg->svc[i].vip, v->v6, v->daddr6) &&
		    cfg->svc[i].port == v->dport && cfg->svc[i].proto == v->proto)
			return &cfg->svc[i];
	return NULL;
}

static bool has_endpoint(const struct canary_service_cfg *s, bool v6,
			 const __be32 *a, __be16 p)
{
	int i, j;

	for (i = 0; i < s->n_versions; i++)
		for (j = 0; j < s->v[i].n_endpoints; j++)
			if (addr_is(&s->v[i].ep[j].addr, v6, a) &&
			    s->v[i].ep[j].port == p)
				return true;
	return false;
}

static bool no_endpoints(const struct canary_service_cfg *s)
{
	int i;

	for (i = 0; i < s->n_versions; i++)
		if (s->v[i].n_endpoints)
			return false;
	return true;
}

/* Whether @out differs from the input only in the @n ranges of @allow
 * (offset, length pairs). */
static bool only_changed(const struct fuzz_run *fr, const __u8 *out,
			 const size_t (*allow)[2], int n)
{
	static __u8 mask[PKT_MAX];
	size_t i;
	int k;

	memset(mask, 0, fr->len);
	for (k = 0; k < n; k++)
		for (i = 0; i < allow[k][1] && allow[k][0] + i < fr->len; i++)
			mask[allow[k][0] + i] = 1;
	for (i = 0; i < fr->len; i++)
		if (!mask[i] && out[i] != fr->in[i])
			return false;
	return true;
}

static bool identical(const struct fuzz_run *fr, const __u8 *out, size_t olen)
{
	return olen == fr->len && !memcmp(out, fr->in, olen);
}

/* Checksums of a rewritten TCP/UDP packet: valid where the input's were,
 * and a UDP packet without checksum still without. */
static void check_csums(struct fuzz_run *fr, const char *prog,
			const struct fuzz_view *in, const struct fuzz_view *out,
			const __u8 *obuf)
{
	size_t off = out->l4_off + (out->proto == IPPROTO_TCP ? 16 : 6);
	bool udp0_in = in->proto == IPPROTO_UDP &&
		       !fr->in[off] && !fr->in[off + 1];

	if (in->ip_csum_ok && !out->ip_csum_ok)
		violation(fr, I_CHECKSUM, prog, "IPv4 checksum broken");
	if (in->l4_csum_ok && !out->l4_csum_ok)
		violation(fr, I_CHECKSUM, prog, "L4 checksum broken");
	if (udp0_in && (obuf[off] || obuf[off + 1]))
		violation(fr, I_CHECKSUM, prog, "zero UDP checksum not kept");
}

static void add_flow(struct fuzz_run *fr, const struct fuzz_view *in,
		     const struct fuzz_view *out)
{
	struct fuzz_flow6 f6 = { .cport = in->sport, .vport = in->dport,
				 .eport = out->dport, .proto = in->proto };
	struct fuzz_flow f = { .client = in->saddr, .vip = in->daddr,
			       .ep = out->daddr, .cport = in->sport,
			       .vport = in->dport, .eport = out->dport,
			       .proto = in->proto };

	if (!in->v6)
		return fuzz_flows_add(&fr->flows, &f);
	memcpy(f6.client, in->saddr6, 16);
	memcpy(f6.vip, in->daddr6, 16);
	memcpy(f6.ep, out->daddr6, 16);
	fuzz_flows_add6(&fr->flows, &f6);
}

/* A service packet with endpoints must come out translated: only the
 * destination address and port and the checksums changed (IPv4 header,
 * L4), and on XDP_TX/REDIRECT the MACs and the TTL or hop limit. */
static void check_translated(struct fuzz_run *fr, const char *prog, int ret,
			     const struct fuzz_view *in,
			     const struct canary_service_cfg *svc,
			     const __u8 *out, size_t olen)
{
	size_t csum = in->l4_off + (in->proto == IPPROTO_TCP ? 16 : 6);
	const size_t allow4[][2] = { { in->l3 + 16, 4 }, { in->l3 + 10, 2 },
				     { in->l4_off + 2, 2 }, { csum, 2 },
				     { 0, 12 }, { in->l3 + 8, 1 } };
	/* IPv6: no header checksum (an empty range in its place) */
	const size_t allow6[][2] = { { in->l3 + 24, 16 }, { in->l3 + 24, 0 },
				     { in->l4_off + 2, 2 }, { csum, 2 },
				     { 0, 12 }, { in->l3 + 7, 1 } };
	bool fwd = ret == XDP_TX || ret == XDP_REDIRECT;
	struct fuzz_view v = fuzz_parse(out, olen);

	if (olen != fr->len || !v.l4 || v.v6 != in->v6 ||
	    !only_changed(fr, out, in->v6 ? allow6 : allow4, fwd ? 6 : 4))
		return violation(fr, I_DEST, prog, "not a rewrite of the input");
	if (!has_endpoint(svc, v.v6, v.daddr6, v.dport))
		return violation(fr, I_DEST, prog, "destination %s:%u is no endpoint",
				 inet_ntop(v.v6 ? AF_INET6 : AF_INET, v.daddr6,
					   (char[INET6_ADDRSTRLEN]){ 0 },
					   INET6_ADDRSTRLEN),
				 ntohs(v.dport));
	check_csums(fr, prog, in, &v, out);
	fr->translated++;
	fr->translated6 += in->v6;
	add_flow(fr, in, &v);
}

/* Whether the tracked IPv6 flow of client @v->daddr6:@v->dport to
 * @svc's VIP:port went to @v->saddr6:@v->sport. */
static bool flow6_to(struct fuzz_run *fr, const struct fuzz_view *v,
		     const struct canary_service_cfg *svc)
{
	struct canary_flow6_key k = { .sport = v->dport, .dport = svc->port,
				      .proto = v->proto };
	struct canary_flow6 f;

	memcpy(k.saddr, v->daddr6, 16);
	memcpy(k.daddr, svc->vip.v6, 16);
	return !bpf_map_lookup_elem(fr->env->st.flow6_fd, &k, &f) &&
	       !memcmp(f.ep_addr, v->saddr6, 16) && f.ep_port == v->sport;
}

/* The service whose tracked flow @v (endpoint -> client) replies to. */
static const struct canary_service_cfg *reply_of(struct fuzz_run *fr,
						 const struct fuzz_view *v)
{
	const struct canary_config *cfg = fr->cfg;
	struct canary_flow_key k = {};
	struct canary_flow f;
	int i;

	for (i = 0; v->l4 && i < cfg->n_services; i++) {
		if (cfg->svc[i].proto != v->proto ||
		    addr_is_v6(&cfg->svc[i].vip) != v->v6 ||
		    !has_endpoint(&cfg->svc[i], v->v6, v->saddr6, v->sport))
			continue;
		if (v->v6) {
			if (flow6_to(fr, v, &cfg->svc[i]))
				return &cfg->svc[i];
			continue;
		}
		k = (struct canary_flow_key){ .saddr = v->daddr,
					      .daddr = cfg->svc[i].vip.v4,
					      .sport = v->dport,
					      .dport = cfg->svc[i].port,
					      .proto = v->proto };
		if (!bpf_map_lookup_elem(fr->env->st.flow_fd, &k, &f) &&
		    f.ep_addr == v->saddr && f.ep_port == v->sport)
			return &cfg->svc[i];
	}
	return NULL;
}

/* What an ICMP error about a tracked flow must become (bpf/canary.bpf.c
 * ingress_icmp*(), egress_icmp*()): the quoted packet's service side is
 * @addr:@port, and so is the outer address on that side if it was the
 * quoted one. */
struct icmp_want {
	bool set;
	bool egress;         /* quoted client -> endpoint, made the VIP */
	__be32 addr[4];
	__be16 port;
};

/* An error to the VIP quoting VIP:port -> client of a tracked flow not
 * source-NATed: the endpoint's address and port. */
static struct icmp_want icmp_in_want(struct fuzz_run *fr,
				     const struct fuzz_view *in)
{
	struct canary_flow6_key k6 = { .sport = in->q_dport,
				       .dport = in->q_sport, .proto = in->proto };
	struct canary_flow_key k = { .saddr = in->q_daddr, .daddr = in->q_saddr,
				     .sport = in->q_dport, .dport = in->q_sport,
				     .proto = in->proto };
	struct icmp_want w = {};
	struct canary_flow6 f6;
	struct canary_flow f;

	if (!in->icmp_err || memcmp(in->daddr6, in->q_saddr6, in->v6 ? 16 : 4))
		return w;
	memcpy(k6.saddr, in->q_daddr6, 16);
	memcpy(k6.daddr, in->q_saddr6, 16);
	if (in->v6 && !bpf_map_lookup_elem(fr->env->st.flow6_fd, &k6, &f6)) {
		w = (struct icmp_want){ .set = true, .port = f6.ep_port };
		memcpy(w.addr, f6.ep_addr, 16);
	} else if (!in->v6 && !bpf_map_lookup_elem(fr->env->st.flow_fd, &k, &f) &&
		   !(f.flags & CANARY_FLOW_F_SNAT)) {
		w = (struct icmp_want){ .set = true, .port = f.ep_port };
		w.addr[0] = f.ep_addr;
	}
	return w;
}

/* An error to a client quoting client -> endpoint of a tracked flow: the
 * VIP:port the client talked to. */
static struct icmp_want icmp_out_want(struct fuzz_run *fr,
				      const struct fuzz_view *in)
{
	struct fuzz_view r = { .l4 = in->icmp_err, .v6 = in->v6,
			       .proto = in->proto, .sport = in->q_dport,
			       .dport = in->q_sport };
	const struct canary_service_cfg *svc;
	struct icmp_want w = { .egress = true };

	memcpy(r.saddr6, in->q_daddr6, 16);
	memcpy(r.daddr6, in->q_saddr6, 16);
	svc = reply_of(fr, &r);
	if (!svc)
		return w;
	w.set = true;
	w.port = svc->port;
	memcpy(w.addr, svc->vip.v6, in->v6 ? 16 : 4);
	return w;
}

/* Whether ICMP error @v (the output for input @in) carries @w. */
static bool icmp_as_wanted(const struct fuzz_view *in,
			   const struct fuzz_view *v, const struct icmp_want *w)
{
	size_t n = in->v6 ? 16 : 4;

	if (w->egress)
		return !memcmp(v->q_daddr6, w->addr, n) && v->q_dport == w->port &&
		       !memcmp(v->saddr6, memcmp(in->saddr6, in->q_daddr6, n) ?
					  in->saddr6 : w->addr, n);
	return !memcmp(v->q_saddr6, w->addr, n) && v->q_sport == w->port &&
	       !memcmp(v->daddr6, w->addr, n);
}

/*
 * An ICMP error about a tracked flow (@w) must be translated, and no
 * other: then only the outer and quoted addresses and ports may change,
 * with the checksums (outer and quoted IPv4 headers, ICMP(v6), quoted
 * L4), and the checksums must stay valid: the ICMPv6 one over its
 * pseudo-header with the outer addresses.
 */
static void check_icmp(struct fuzz_run *fr, const char *prog,
		       const struct fuzz_view *in, const struct icmp_want *w,
		       const __u8 *out, size_t olen)
{
	size_t qcsum = in->q_l4 + (in->proto == IPPROTO_TCP ? 16 : 6);
	const size_t allow4[][2] = { { in->l3 + 10, 10 }, { in->icmp_off + 2, 2 },
				     { in->q_l3 + 10, 10 }, { in->q_l4, 4 },
				     { qcsum, 2 } };
	const size_t allow6[][2] = { { in->l3 + 8, 32 }, { in->icmp_off + 2, 2 },
				     { in->q_l3 + 8, 32 }, { in->q_l4, 4 },
				     { qcsum, 2 } };
	struct fuzz_view v = fuzz_parse(out, olen);

	if (identical(fr, out, olen)) {
		if (w->set)
			violation(fr, I_ICMP_FLOW, prog, "error about a tracked flow untouched");
		return;
	}
	if (!w->set)
		return violation(fr, I_ICMP_FLOW, prog, "error about no tracked flow changed");
	if (olen != fr->len || !v.icmp_err || v.v6 != in->v6 ||
	    !only_changed(fr, out, in->v6 ? allow6 : allow4, 5))
		return violation(fr, I_ICMP, prog, "no longer an ICMP error");
	if ((in->ip_csum_ok && !v.ip_csum_ok) ||
	    (in->icmp_csum_ok && !v.icmp_csum_ok) ||
	    (in->q_l4_csum_ok && !v.q_l4_csum_ok))
		return violation(fr, I_ICMP, prog, "checksums broken");
	if (!icmp_as_wanted(in, &v, w))
		return violation(fr, I_ICMP_FLOW, prog, "not translated to the flow");
	fr->icmp_changed[in->v6]++;
}

static bool verdict_ok(const char *prog, int ret, bool drop)
{
	if (!strcmp(prog, "tc_in"))
		return ret == (drop ? TC_ACT_SHOT : TC_ACT_UNSPEC);
	if (drop)
		return ret == XDP_DROP;
	return ret == XDP_PASS || ret == XDP_TX || ret == XDP_REDIRECT;
}

static void check_ingress(struct fuzz_run *fr, const char *prog, int ret,
			  const __u8 *out, size_t olen)
{
	struct fuzz_view in = fuzz_parse(fr->in, fr->len);
	const struct canary_service_cfg *svc = service_of(fr->cfg, &in);
	bool drop = svc && no_endpoints(svc);

	if (!verdict_ok(prog, ret, drop))
		return violation(fr, I_VERDICT, prog, "verdict %d%s", ret,
				 drop ? " (want a drop)" : "");
	if (drop) {
		fr->dropped++;
		fr->dropped6 += in.v6;
		return;
	}
	if (svc)
		return check_translated(fr, prog, ret, &in, svc, out, olen);
	if (in.icmp_err) {
		struct icmp_want w = icmp_in_want(fr, &in);

		return check_icmp(fr, prog, &in, &w, out, olen);
	}
	if (!identical(fr, out, olen))
		return violation(fr, I_IDENTICAL, prog, "frame changed");
	fr->identical++;
}

static void check_reply(struct fuzz_run *fr, const struct fuzz_view *in,
			const struct canary_service_cfg *svc, const __u8 *out,
			size_t olen)
{
	size_t csum = in->l4_off + (in->proto == IPPROTO_TCP ? 16 : 6);
	const size_t allow4[][2] = { { in->l3 + 12, 4 }, { in->l3 + 10, 2 },
				     { in->l4_off, 2 }, { csum, 2 } };
	const size_t allow6[][2] = { { in->l3 + 8, 16 }, { in->l4_off, 2 },
				     { csum, 2 } };
	struct fuzz_view v = fuzz_parse(out, olen);

	if (olen != fr->len || !v.l4 || v.v6 != in->v6 ||
	    !only_changed(fr, out, in->v6 ? allow6 : allow4, in->v6 ? 3 : 4))
		return violation(fr, I_REPLY, "tc_out", "not a rewrite of the input");
	if (!addr_is(&svc->vip, v.v6, v.saddr6) || v.sport != svc->port)
		return violation(fr, I_REPLY, "tc_out", "source is not the VIP:port");
	check_csums(fr, "tc_out", in, &v, out);
	fr->replies++;
	fr->replies6 += in->v6;
}

/* @want_reply: looked up before the run (tc_out leaves the flows alone). */
static void check_egress(struct fuzz_run *fr, int ret, const __u8 *out,
			 size_t olen, const struct canary_service_cfg *want_reply)
{
	struct fuzz_view in = fuzz_parse(fr->in, fr->len);

	if (ret != TC_ACT_UNSPEC)
		return violation(fr, I_VERDICT, "tc_out", "verdict %d", ret);
	if (want_reply)
		return check_reply(fr, &in, want_reply, out, olen);
	if (in.icmp_err) {
		struct icmp_want w = icmp_out_want(fr, &in);

		return check_icmp(fr, "tc_out", &in, &w, out, olen);
	}
	if (!identical(fr, out, olen))
		return violation(fr, I_IDENTICAL, "tc_out", "frame changed");
	fr->identical++;
}

/* Whether BPF_PROG_TEST_RUN may refuse the frame: shorter than an
 * Ethernet header, or than the IPv4/IPv6 header its ethertype announces
 * (the kernel's own checks when it builds an skb). */
static bool kernel_may_refuse(const struct fuzz_run *fr)
{
	__u16 type = fr->len >= 14 ? fr->in[12] << 8 | fr->in[13] : 0;

	return fr->len < 14 || (type == 0x0800 && fr->len < 14 + 20) ||
	       (type == 0x86dd && fr->len < 14 + 40);
}

/* Runs the frame on @fd; a refusal the kernel has no reason for is a
 * violation. Returns false when nothing ran. */
static bool run_prog(struct fuzz_run *fr, const char *prog, int fd, int *ret,
		     __u8 *out, __u32 *olen)
{
	*ret = env_run(fd, fr->in, fr->len, out, olen);
	if (*ret != ENV_RUN_FAILED)
		return true;
	if (!kernel_may_refuse(fr))
		violation(fr, I_KERNEL, prog, "BPF_PROG_TEST_RUN failed");
	fr->rejected++;
	return false;
}

static void fuzz_one(struct fuzz_run *fr)
{
	static __u8 out[PKT_MAX];
	const struct canary_service_cfg *reply;
	__u32 olen = 0;
	int ret;

	if (run_prog(fr, "xdp", fr->env->xdp_fd, &ret, out, &olen))
		check_ingress(fr, "xdp", ret, out, olen);
	if (run_prog(fr, "tc_in", fr->env->tc_in_fd, &ret, out, &olen))
		check_ingress(fr, "tc_in", ret, out, olen);
	{
		struct fuzz_view in = fuzz_parse(fr->in, fr->len);

		reply = reply_of(fr, &in);
	}
	if (run_prog(fr, "tc_out", fr->env->tc_out_fd, &ret, out, &olen))
		check_egress(fr, ret, out, olen, reply);
}

/* A service @name on @vip:@port/@proto without endpoints (yet). */
static struct canary_service_cfg *add_service(struct canary_config *cfg,
					      const char *name, const char *vip,
					      __u16 port, __u8 proto)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);

	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	addr_from_str(vip, &s->vip);
	s->port = htons(port);
	s->proto = proto;
	s->n_versions = 1;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	s->v[0].weight_bps = CANARY_BPS_TOTAL;
	return s;
}

/* The IPv6 twin of env_seed_config(): [2001:db8::10]:5000/@proto, v1 on
 * 2001:db8:1::11-13 and v2 on 2001:db8:1::21 (port 5050) at @v2_bps. */
static int add_six(struct canary_config *cfg, const char *name, __u8 proto,
		   __u16 v2_bps)
{
	static const char *const eps[] = { "2001:db8:1::11", "2001:db8:1::12",
					   "2001:db8:1::13", "2001:db8:1::21" };
	struct canary_service_cfg *s = add_service(cfg, name, "2001:db8::10",
						   5000, proto);
	int i;

	if (!s)
		return -1;
	s->n_versions = 2;
	s->v[0].weight_bps = CANARY_BPS_TOTAL - v2_bps;
	snprintf(s->v[1].name, sizeof(s->v[1].name), "v2");
	s->v[1].weight_bps = v2_bps;
	for (i = 0; i < 4; i++) {
		struct canary_version_cfg *v = &s->v[i < 3 ? 0 : 1];
		struct canary_ep_cfg *ep = &v->ep[v->n_endpoints++];

		addr_from_str(eps[i], &ep->addr);
		ep->port = htons(5050);
	}
	return 0;
}

/* prod-service (tcp) and prod-udp on 10.96.0.10:5000, and "empty" on
 * 10.96.0.11:6000/tcp with no endpoints at all; their IPv6 twins prod6,
 * prod6-udp on [2001:db8::10]:5000 and empty6 on [2001:db8::11]:6000. */
static int fuzz_config(struct test_env *env, struct canary_config *cfg)
{
	env_seed_config(cfg, 2500, IPPROTO_TCP);
	env_seed_config(cfg, 5000, IPPROTO_UDP);
	snprintf(cfg->svc[1].name, sizeof(cfg->svc[1].name), "prod-udp");
	if (!add_service(cfg, "empty", "10.96.0.11", 6000, IPPROTO_TCP) ||
	    add_six(cfg, "prod6", IPPROTO_TCP, 2500) ||
	    add_six(cfg, "prod6-udp", IPPROTO_UDP, 5000) ||
	    !add_service(cfg, "empty6", "2001:db8::11", 6000, IPPROTO_TCP))
		return -1;
	return env_apply(env, cfg);
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	return *end || v <= 0 ? def : v;
}

static void report(struct fuzz_run *fr, long n, double secs)
{
	int i;

	printf("  fuzz: %ld packets x 3 programs in %.1f s (seed %llu): "
	       "%lu translated (%lu IPv6), %lu replies (%lu IPv6), "
	       "%lu dropped (%lu IPv6), %lu identical, "
	       "%lu refused by the kernel, %lu+%lu ICMP/ICMPv6 errors translated\n",
	       n, secs, (unsigned long long)fr->seed, fr->translated,
	       fr->translated6, fr->replies, fr->replies6, fr->dropped,
	       fr->dropped6, fr->identical, fr->rejected, fr->icmp_changed[0],
	       fr->icmp_changed[1]);
	for (i = 0; i < I_COUNT; i++) {
		test__start_subtest(inv_names[i]);
		ASSERT_EQ(fr->viol[i], 0, "violations");
	}
	/* A fuzzer that never reaches a path proves nothing about it. */
	test__start_subtest("every_path_reached");
	ASSERT_TRUE(fr->translated - fr->translated6 > (unsigned long)n / 20,
		    "IPv4 translations");
	ASSERT_TRUE(fr->translated6 > (unsigned long)n / 20, "IPv6 translations");
	ASSERT_TRUE(fr->replies - fr->replies6 > 0, "IPv4 replies");
	ASSERT_TRUE(fr->replies6 > 0, "IPv6 replies");
	ASSERT_TRUE(fr->dropped - fr->dropped6 > 0, "IPv4 drops");
	ASSERT_TRUE(fr->dropped6 > 0, "IPv6 drops");
	ASSERT_TRUE(fr->identical > (unsigned long)n / 10, "pass-through");
	ASSERT_TRUE(fr->icmp_changed[0] > 0, "ICMP errors translated");
	ASSERT_TRUE(fr->icmp_changed[1] > 0, "ICMPv6 errors translated");
}

void test_fuzz(void)
{
	static __u8 in[PKT_MAX];
	static struct fuzz_run fr;
	long n = env_long("CANARY_FUZZ_PACKETS", FUZZ_DEFAULT_PACKETS);
	struct canary_config cfg;
	struct fuzz_rng rng;
	struct timespec t0, t1;
	struct test_env env;
	enum fuzz_kind kind;

	config_init(&cfg);
	test__start_subtest("setup");
	if (env_setup(&env) || !ASSERT_OK(fuzz_config(&env, &cfg), "apply"))
		goto out;
	memset(&fr, 0, sizeof(fr));
	fr.env = &env;
	fr.cfg = &cfg;
	fr.seed = env_long("CANARY_FUZZ_SEED", 1);
	fr.in = in;
	rng.s = fr.seed * 0x9E3779B97F4A7C15ULL | 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (fr.idx = 0; fr.idx < n; fr.idx++) {
		fr.len = fuzz_frame(&rng, &fr.flows, in, &kind);
		fuzz_one(&fr);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(&fr, n, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
	env_teardown(&env);
	config_free(&cfg);
}
