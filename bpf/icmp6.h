/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMPv6 errors about translated flows (destination unreachable, packet
 * too big, time exceeded): the IPv6 twin of icmp.h. The quoted header and
 * the outer address are translated back so the sender of the quoted
 * packet recognises its own flow, and path MTU discovery works through
 * the VIP.
 *
 * Checksums: IPv6 has no header checksum, but the ICMPv6 checksum covers
 * a pseudo-header with the outer addresses as well as the whole quote
 * (the quoted addresses, ports and L4 checksum), and the quoted L4
 * checksum covers the quoted addresses through its own pseudo-header.
 */
#ifndef CANARY_BPF_ICMP6_H
#define CANARY_BPF_ICMP6_H

#include "common.h"
#include "csum.h"
#include "ctx.h"
#include "icmp.h"
#include "maps.h"
#include "parse.h"

#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3

struct icmp6_quote {
	__u16 l3_off;       /* outer IPv6 header */
	__u16 icmp_off;     /* ICMPv6 header */
	__be32 saddr[4];    /* outer source */
	__be32 daddr[4];    /* outer destination */
	struct pkt in;      /* the quoted packet: offsets and 5-tuple */
	__u8 l4_csum_in;    /* 1 if the quoted L4 checksum is in the frame */
};

/* Parses Ethernet/IPv6/ICMPv6 error/quoted IPv6/quoted ports, neither
 * header with extension headers. Returns 0 if @e is an ICMPv6 error
 * quoting a TCP or UDP packet. */
static __always_inline int parse_icmp6_err(void *data, void *data_end,
					   struct icmp6_quote *e)
{
	struct ipv6hdr *ip6, *in;
	struct icmp6hdr *ic;
	__u32 end;
	__u16 *ports;
	int l3 = parse_eth(data, data_end, &e->in);

	if (l3 < 0 || !e->in.v6)
		return -1;
	ip6 = data + l3;
	if ((void *)(ip6 + 1) > data_end || ip6->version != 6 ||
	    ip6->nexthdr != CANARY_PROTO_ICMPV6)
		return -1;
	ic = (void *)(ip6 + 1);
	if ((void *)(ic + 1) > data_end ||
	    (ic->icmp6_type != ICMPV6_DEST_UNREACH &&
	     ic->icmp6_type != ICMPV6_PKT_TOOBIG &&
	     ic->icmp6_type != ICMPV6_TIME_EXCEED))
		return -1;
	in = (void *)(ic + 1);
	if ((void *)(in + 1) > data_end || in->version != 6 ||
	    (in->nexthdr != CANARY_PROTO_TCP && in->nexthdr != CANARY_PROTO_UDP))
		return -1;
	ports = (void *)(in + 1);
	if ((void *)(ports + 2) > data_end)
		return -1;
	e->l3_off = l3;
	e->icmp_off = l3 + sizeof(*ip6);
	e->in.l3_off = e->icmp_off + sizeof(*ic);
	e->in.l4_off = e->in.l3_off + sizeof(*in);
	/* Only what lies inside the outer packet is covered by the ICMPv6
	 * checksum (see parse_icmp_err). */
	end = l3 + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (e->in.l4_off + 4 > end)
		return -1;
	__builtin_memcpy(e->saddr, &ip6->saddr, 16);
	__builtin_memcpy(e->daddr, &ip6->daddr, 16);
	__builtin_memcpy(e->in.saddr6, &in->saddr, 16);
	__builtin_memcpy(e->in.daddr6, &in->daddr, 16);
	e->in.sport = ports[0];
	e->in.dport = ports[1];
	e->in.proto = in->nexthdr;
	e->in.v6 = 1;
	e->in.csum_off = e->in.l4_off + (in->nexthdr == CANARY_PROTO_TCP ?
					 offsetof(struct tcphdr, check) :
					 offsetof(struct udphdr, check));
	e->l4_csum_in = data + e->in.csum_off + 2 <= data_end &&
			e->in.csum_off + 2 <= end;
	return 0;
}

/*
 * Rewrites the quoted packet's address at @addr_off and port at @port_off
 * to @addr:@port, with the quoted L4 checksum and the ICMPv6 checksum.
 */
static __always_inline int icmp6_rewrite_quoted(void *ctx, enum ctx_kind kind,
						const struct icmp6_quote *e,
						__u32 addr_off,
						const __be32 *old_addr,
						const __be32 *addr,
						__u32 port_off, __be16 old_port,
						__be16 port)
{
	__u32 icsum = e->icmp_off + offsetof(struct icmp6hdr, icmp6_cksum);
	__u16 c_old, c_new;
	int i;

	if (ctx_replace6(ctx, kind, addr_off, old_addr, addr, icsum))
		return -1;
	if (e->l4_csum_in && !ctx_load16(ctx, kind, e->in.csum_off, &c_old) &&
	    !(e->in.proto == CANARY_PROTO_UDP && c_old == 0)) {
		c_new = c_old;
		for (i = 0; i < 4; i++)
			c_new = csum_upd4(c_new, old_addr[i], addr[i]);
		c_new = csum_upd2(c_new, old_port, port);
		if (e->in.proto == CANARY_PROTO_UDP && !c_new)
			c_new = CSUM_MANGLED_0;
		if (ctx_replace(ctx, kind, e->in.csum_off, c_old, c_new, 2, icsum))
			return -1;
	}
	return ctx_replace(ctx, kind, port_off, old_port, port, 2, icsum);
}

/* Rewrites the outer address at @off: only the ICMPv6 checksum (through
 * its pseudo-header) moves. */
static __always_inline int icmp6_rewrite_outer(void *ctx, enum ctx_kind kind,
					       const struct icmp6_quote *e,
					       __u32 off, const __be32 *from,
					       const __be32 *to)
{
	return ctx_replace6(ctx, kind, off, from, to,
			    e->icmp_off + offsetof(struct icmp6hdr, icmp6_cksum));
}

/* icmp_nat for ICMPv6: what an error becomes (icmp6_nat_init() leaves
 * every field as parse_icmp6_err() found it). */
struct icmp6_nat {
	__be32 saddr[4];    /* outer source */
	__be32 daddr[4];    /* outer destination */
	__be32 q_saddr[4];  /* quoted source */
	__be32 q_daddr[4];  /* quoted destination */
	__be16 q_sport;
	__be16 q_dport;
};

static __always_inline void icmp6_nat_init(struct icmp6_nat *to,
					   const struct icmp6_quote *e)
{
	addr6_copy(to->saddr, e->saddr);
	addr6_copy(to->daddr, e->daddr);
	addr6_copy(to->q_saddr, e->in.saddr6);
	addr6_copy(to->q_daddr, e->in.daddr6);
	to->q_sport = e->in.sport;
	to->q_dport = e->in.dport;
}

/*
 * Rewrites the error @e into @to: the quoted source and destination
 * (each with the quoted L4 checksum), then the outer addresses, every
 * step moving the ICMPv6 checksum along. An unchanged field costs a
 * zero delta. Returns 0, or -1 if the frame shrank under us.
 */
static __always_inline int icmp6_rewrite(void *ctx, enum ctx_kind kind,
					 const struct icmp6_quote *e,
					 const struct icmp6_nat *to)
{
	return icmp6_rewrite_quoted(ctx, kind, e,
				    e->in.l3_off + offsetof(struct ipv6hdr, saddr),
				    e->in.saddr6, to->q_saddr,
				    e->in.l4_off + offsetof(struct udphdr, source),
				    e->in.sport, to->q_sport) ||
	       icmp6_rewrite_quoted(ctx, kind, e,
				    e->in.l3_off + offsetof(struct ipv6hdr, daddr),
				    e->in.daddr6, to->q_daddr,
				    e->in.l4_off + offsetof(struct udphdr, dest),
				    e->in.dport, to->q_dport) ||
	       icmp6_rewrite_outer(ctx, kind, e,
				   e->l3_off + offsetof(struct ipv6hdr, saddr),
				   e->saddr, to->saddr) ||
	       icmp6_rewrite_outer(ctx, kind, e,
				   e->l3_off + offsetof(struct ipv6hdr, daddr),
				   e->daddr, to->daddr);
}

/* The value of canary_scratch6 (maps.h): per-CPU room for the error being
 * translated on the ingress path. */
struct icmp6_scratch {
	struct icmp6_quote e;
	struct icmp6_nat to;
};

static __always_inline struct icmp6_scratch *icmp6_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&canary_scratch6, &zero);
}

#endif /* CANARY_BPF_ICMP6_H */
