/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP errors about translated flows (destination unreachable, including
 * fragmentation needed, and time exceeded). They quote the packet that
 * caused them, as it was when it caused them: a client's packet after
 * translation (dst endpoint), or an endpoint's reply before the client got
 * it (src VIP). The quoted header and the outer address are translated
 * back so the sender of the quoted packet recognises its own flow: path
 * MTU discovery and connection errors work through the VIP.
 *
 * Checksums nest: the ICMP checksum covers the quoted IPv4 header and its
 * checksum, and the quoted L4 header and its checksum. Every change is
 * made with its checksum deltas computed in registers and then stored, the
 * same way for XDP and tc.
 */
#ifndef CANARY_BPF_ICMP_H
#define CANARY_BPF_ICMP_H

#include "common.h"
#include "ctx.h"
#include "csum.h"
#include "parse.h"

#define ICMP_PROTO 1
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11

struct icmp_quote {
	__u16 l3_off;     /* outer IPv4 header */
	__u16 icmp_off;   /* ICMP header */
	__be32 saddr;     /* outer source */
	__be32 daddr;     /* outer destination */
	struct pkt in;    /* the quoted packet: l3_off, l4_off, 5-tuple */
	__u8 l4_csum_in;  /* 1 if the quoted L4 checksum is in the frame */
};

/* Parses Ethernet/IPv4/ICMP error/quoted IPv4/quoted ports. Returns 0 if
 * @e is an ICMP error quoting a TCP or UDP packet. */
static __always_inline int parse_icmp_err(void *data, void *data_end,
					  struct icmp_quote *e)
{
	struct iphdr *iph, *in;
	struct icmphdr *ic;
	__u16 *ports;
	int l3 = parse_eth(data, data_end, &e->in);

	if (l3 < 0 || e->in.v6)
		return -1;
	iph = data + l3;
	if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5 ||
	    iph->protocol != ICMP_PROTO || (iph->frag_off & IP_OFFSET_BE))
		return -1;
	ic = (void *)iph + iph->ihl * 4;
	if ((void *)(ic + 1) > data_end ||
	    (ic->type != ICMP_DEST_UNREACH && ic->type != ICMP_TIME_EXCEEDED))
		return -1;
	in = (void *)(ic + 1);
	if ((void *)(in + 1) > data_end || in->version != 4 || in->ihl < 5 ||
	    (in->protocol != CANARY_PROTO_TCP && in->protocol != CANARY_PROTO_UDP))
		return -1;
	ports = (void *)in + in->ihl * 4;
	if ((void *)(ports + 2) > data_end)
		return -1;
	e->in.sport = ports[0];
	e->in.dport = ports[1];
	e->l3_off = l3;
	e->icmp_off = l3 + iph->ihl * 4;
	e->saddr = iph->saddr;
	e->daddr = iph->daddr;
	e->in.l3_off = e->icmp_off + sizeof(*ic);
	e->in.l4_off = e->in.l3_off + in->ihl * 4;
	/* The quote must hold the ports inside the outer packet: what lies
	 * past its tot_len is not covered by the ICMP checksum. */
	if (e->in.l4_off + 4 > l3 + bpf_ntohs(iph->tot_len))
		return -1;
	e->in.proto = in->protocol;
	e->in.saddr = in->saddr;
	e->in.daddr = in->daddr;
	e->in.csum_off = e->in.l4_off + (in->protocol == CANARY_PROTO_TCP ?
					 offsetof(struct tcphdr, check) :
					 offsetof(struct udphdr, check));
	/* In the quote only if inside the outer packet: bytes after its
	 * tot_len (Ethernet padding, trailing junk) are not covered by the
	 * ICMP checksum, so changing them would break it. */
	e->l4_csum_in = data + e->in.csum_off + 2 <= data_end &&
			e->in.csum_off + 2 <= l3 + bpf_ntohs(iph->tot_len);
	return 0;
}

/*
 * What an ICMP error becomes: its outer addresses, and the quoted
 * packet's addresses and ports. Fields left as parse_icmp_err() found
 * them (icmp_nat_init()) stay as they are.
 */
struct icmp_nat {
	__be32 saddr;    /* outer source */
	__be32 daddr;    /* outer destination */
	__be32 q_saddr;  /* quoted source */
	__be32 q_daddr;  /* quoted destination */
	__be16 q_sport;
	__be16 q_dport;
};

static __always_inline void icmp_nat_init(struct icmp_nat *to,
					  const struct icmp_quote *e)
{
	to->saddr = e->saddr;
	to->daddr = e->daddr;
	to->q_saddr = e->in.saddr;
	to->q_daddr = e->in.daddr;
	to->q_sport = e->in.sport;
	to->q_dport = e->in.dport;
}

/* The quoted L4 checksum @c after the quote's addresses and ports went
 * from @e's to @to's (through the pseudo-header for the addresses). */
static __always_inline __u16 icmp_quoted_l4(__u16 c, const struct icmp_quote *e,
					    const struct icmp_nat *to)
{
	c = csum_upd4(c, e->in.saddr, to->q_saddr);
	c = csum_upd4(c, e->in.daddr, to->q_daddr);
	c = csum_upd2(c, e->in.sport, to->q_sport);
	c = csum_upd2(c, e->in.dport, to->q_dport);
	/* a computed 0 would read as "no checksum" */
	if (e->in.proto == CANARY_PROTO_UDP && c == 0)
		c = CSUM_MANGLED_0;
	return c;
}

/*
 * Rewrites the error @e into @to. All four checksums are computed in
 * registers from the fields' old and new values, then every field is
 * stored: the outer IPv4 checksum (outer addresses; ICMPv4 has no
 * pseudo-header), the quoted IPv4 checksum (quoted addresses), the quoted
 * L4 checksum when quoted and in use, and the ICMP checksum, which covers
 * the whole quote: its addresses, ports and both its checksums. Returns
 * 0, or -1 if the frame shrank under us (then it may be half written).
 */
static __always_inline int icmp_rewrite(void *ctx, enum ctx_kind kind,
					const struct icmp_quote *e,
					const struct icmp_nat *to)
{
	__u32 ip_off = e->l3_off + offsetof(struct iphdr, check);
	__u32 ic_off = e->icmp_off + offsetof(struct icmphdr, checksum);
	__u32 q_off = e->in.l3_off + offsetof(struct iphdr, check);
	__u16 ipc, icc, qc, qc_new, l4c = 0, l4c_new = 0;
	bool l4;

	if (ctx_load16(ctx, kind, ip_off, &ipc) ||
	    ctx_load16(ctx, kind, ic_off, &icc) ||
	    ctx_load16(ctx, kind, q_off, &qc))
		return -1;
	l4 = e->l4_csum_in && !ctx_load16(ctx, kind, e->in.csum_off, &l4c) &&
	     !(e->in.proto == CANARY_PROTO_UDP && l4c == 0);
	ipc = csum_upd4(csum_upd4(ipc, e->saddr, to->saddr), e->daddr, to->daddr);
	qc_new = csum_upd4(csum_upd4(qc, e->in.saddr, to->q_saddr), e->in.daddr,
			   to->q_daddr);
	icc = csum_upd4(csum_upd4(icc, e->in.saddr, to->q_saddr), e->in.daddr,
			to->q_daddr);
	icc = csum_upd2(csum_upd2(icc, e->in.sport, to->q_sport), e->in.dport,
			to->q_dport);
	icc = csum_upd2(icc, qc, qc_new);
	if (l4) {
		l4c_new = icmp_quoted_l4(l4c, e, to);
		icc = csum_upd2(icc, l4c, l4c_new);
	}
	if (ctx_store(ctx, kind, e->l3_off + offsetof(struct iphdr, saddr),
		      &to->saddr, 4) ||
	    ctx_store(ctx, kind, e->l3_off + offsetof(struct iphdr, daddr),
		      &to->daddr, 4) ||
	    ctx_store(ctx, kind, ip_off, &ipc, 2) ||
	    ctx_store(ctx, kind, e->in.l3_off + offsetof(struct iphdr, saddr),
		      &to->q_saddr, 4) ||
	    ctx_store(ctx, kind, e->in.l3_off + offsetof(struct iphdr, daddr),
		      &to->q_daddr, 4) ||
	    ctx_store(ctx, kind, q_off, &qc_new, 2) ||
	    /* the ports sit alike in TCP and UDP */
	    ctx_store(ctx, kind, e->in.l4_off + offsetof(struct udphdr, source),
		      &to->q_sport, 2) ||
	    ctx_store(ctx, kind, e->in.l4_off + offsetof(struct udphdr, dest),
		      &to->q_dport, 2) ||
	    (l4 && ctx_store(ctx, kind, e->in.csum_off, &l4c_new, 2)))
		return -1;
	return ctx_store(ctx, kind, ic_off, &icc, 2);
}

#endif /* CANARY_BPF_ICMP_H */
