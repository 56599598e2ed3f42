/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing with bounds checks (after xdp-tools' parsing_helpers.h).
 * The result is a struct of offsets and the 5-tuple, not pointers, so it
 * survives helpers that invalidate packet pointers (tc checksum helpers).
 */
#ifndef CANARY_BPF_PARSE_H
#define CANARY_BPF_PARSE_H

#include "common.h"
#include "ctx.h"

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_IPV6_BE bpf_htons(0x86DD)
#define ETH_P_8021Q_BE bpf_htons(0x8100)
#define ETH_P_8021AD_BE bpf_htons(0x88A8)
#define IP_MF_BE bpf_htons(0x2000)
#define IP_OFFSET_BE bpf_htons(0x1FFF)

/* Longest header chain we read: Ethernet, one VLAN tag, IPv4 with full
 * options or IPv6 with up to PARSE_IPV6_EXT_BYTES of extension headers,
 * TCP without options. */
#define PARSE_IPV6_EXT_BYTES 64
#define PARSE_MAX_HDR (14 + 4 + 40 + PARSE_IPV6_EXT_BYTES + 20)
/* Extension headers skipped before giving up on a packet (the kernel
 * walks them all; real traffic carries zero or one). */
#define PARSE_IPV6_MAX_EXT 4

/* IPv6 next-header values (IPPROTO_*). */
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60
#define IP6_OFFSET_BE bpf_htons(0xFFF8)

struct pkt {
	__u16 l3_off;     /* IPv4 header offset from the frame start */
	__u16 l4_off;     /* TCP/UDP header offset */
	__u16 csum_off;   /* L4 checksum field offset */
	__u8 proto;       /* CANARY_PROTO_TCP / _UDP */
	__u8 vlan;        /* 1 if an 802.1Q/802.1ad tag was skipped */
	union {
		__be32 saddr;     /* IPv4 */
		__be32 saddr6[4]; /* IPv6 */
	};
	union {
		__be32 daddr;
		__be32 daddr6[4];
	};
	__be16 sport;
	__be16 dport;
	__u8 tos;
	__u8 tcp_flags;   /* byte 13 of the TCP header, 0 for UDP */
	__u16 tot_len;    /* IP total length (IPv6: header + payload), host order */
	__u8 sock;        /* 1: a socket, not a packet (cgroup socket LB) */
	__u8 v6;          /* 1: IPv6, addresses in saddr6/daddr6 */
};

static __always_inline void addr6_copy(__be32 *dst, const __be32 *src)
{
	dst[0] = src[0];
	dst[1] = src[1];
	dst[2] = src[2];
	dst[3] = src[3];
}

static __always_inline bool addr6_eq(const __be32 *a, const __be32 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) |
		(a[3] ^ b[3])) == 0;
}

enum parse_result {
	PARSE_OK,       /* IPv4 or IPv6 TCP/UDP, ports read */
	PARSE_OTHER,    /* not TCP/UDP over IP, or truncated: not ours */
	PARSE_FRAGMENT, /* a non-first fragment: no ports to match */
	PARSE_IPV6,     /* parse_pkt(): IPv6 at l3_off, for parse_ctx() */
};

/* Ethernet and at most one VLAN tag, to IPv4 or IPv6 (@p->v6 says
 * which). Returns the L3 offset or -1. */
static __always_inline int parse_eth(void *data, void *data_end, struct pkt *p)
{
	struct ethhdr *eth = data;
	struct vlan_hdr *vh;
	__be16 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	p->vlan = 0;
	if (proto == ETH_P_8021Q_BE || proto == ETH_P_8021AD_BE) {
		vh = (void *)(eth + 1);
		if ((void *)(vh + 1) > data_end)
			return -1;
		proto = vh->h_vlan_encapsulated_proto;
		p->vlan = 1;
	}
	if (proto != ETH_P_IP_BE && proto != ETH_P_IPV6_BE)
		return -1;
	p->v6 = proto == ETH_P_IPV6_BE;
	return sizeof(*eth) + (p->vlan ? sizeof(*vh) : 0);
}

/* Reads the ports and checksum offset of the TCP/UDP header at @l4. */
static __always_inline int parse_l4(void *l4, void *data_end, struct pkt *p)
{
	if (p->proto == CANARY_PROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return PARSE_OTHER;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->csum_off = p->l4_off + offsetof(struct tcphdr, check);
		return PARSE_OK;
	}
	struct udphdr *uh = l4;

	if ((void *)(uh + 1) > data_end)
		return PARSE_OTHER;
	p->sport = uh->source;
	p->dport = uh->dest;
	p->tcp_flags = 0;
	p->csum_off = p->l4_off + offsetof(struct udphdr, check);
	return PARSE_OK;
}

/* Whether @nexthdr is an extension header parse_ipv6_ext() skips. */
static __always_inline bool ipv6_skippable(__u8 nexthdr)
{
	return nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING ||
	       nexthdr == NEXTHDR_DEST || nexthdr == NEXTHDR_AUTH ||
	       nexthdr == NEXTHDR_FRAGMENT;
}

/*
 * Skips IPv6 extension headers the way the kernel's ipv6_skip_exthdr()
 * does (hop-by-hop, routing, destination options, AH, and a fragment
 * header: the first fragment carries the ports, later ones none). On
 * return @*nexthdr is the upper-layer protocol and @*off its offset.
 */
static __always_inline enum parse_result
parse_ipv6_ext(void *data, void *data_end, __u8 *nexthdr, __u32 *off)
{
	__u8 *h;
	int i;

	for (i = 0; i < PARSE_IPV6_MAX_EXT; i++) {
		if (!ipv6_skippable(*nexthdr))
			return PARSE_OK;
		/* Within what tc pulls into the linear area (ctx_pull), so
		 * XDP and tc take the same packets. */
		if (*off + 8 > PARSE_MAX_HDR)
			return PARSE_OTHER;
		h = data + *off;
		if ((void *)(h + 8) > data_end)
			return PARSE_OTHER;
		/* A routing header with segments left: daddr is only the
		 * next hop, not the destination; not ours to translate. */
		if (*nexthdr == NEXTHDR_ROUTING && h[3])
			return PARSE_OTHER;
		if (*nexthdr == NEXTHDR_FRAGMENT) {
			if (*(__be16 *)(h + 2) & IP6_OFFSET_BE)
				return PARSE_FRAGMENT;
			*off += 8;
		} else if (*nexthdr == NEXTHDR_AUTH) {
			*off += (h[1] + 2) * 4;
		} else {
			*off += (h[1] + 1) * 8;
		}
		*nexthdr = h[0];
	}
	/* PARSE_IPV6_MAX_EXT headers skipped: the upper layer may follow. */
	return ipv6_skippable(*nexthdr) ? PARSE_OTHER : PARSE_OK;
}

/* IPv6 at @p->l3_off up to the L4 ports. */
static __always_inline enum parse_result parse_ipv6(void *data, void *data_end,
						    struct pkt *p)
{
	__u32 l3 = p->l3_off & 0xff;
	struct ipv6hdr *ip6 = data + l3;
	__u32 off = l3 + sizeof(*ip6);
	__u8 nexthdr;
	int ret;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return PARSE_OTHER;
	nexthdr = ip6->nexthdr;
	__builtin_memcpy(p->saddr6, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr6, &ip6->daddr, 16);
	p->tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	ret = parse_ipv6_ext(data, data_end, &nexthdr, &off);
	if (ret != PARSE_OK)
		return ret;
	if (nexthdr != CANARY_PROTO_TCP && nexthdr != CANARY_PROTO_UDP)
		return PARSE_OTHER;
	/* The whole TCP header (without options) within PARSE_MAX_HDR. */
	if (off + sizeof(struct tcphdr) > PARSE_MAX_HDR)
		return PARSE_OTHER;
	p->proto = nexthdr;
	p->l4_off = off;
	return parse_l4(data + off, data_end, p);
}

/* Parses a frame up to the L4 ports. */
static __always_inline enum parse_result parse_pkt(void *data, void *data_end,
						   struct pkt *p)
{
	struct iphdr *iph;
	int l3 = parse_eth(data, data_end, p);
	__u32 ihl;

	if (l3 < 0)
		return PARSE_OTHER;
	if (p->v6) {
		p->l3_off = l3;
		return PARSE_IPV6;
	}
	iph = data + l3;
	if ((void *)(iph + 1) > data_end)
		return PARSE_OTHER;
	ihl = iph->ihl;
	if (iph->version != 4 || ihl < 5)
		return PARSE_OTHER;
	if (iph->protocol != CANARY_PROTO_TCP && iph->protocol != CANARY_PROTO_UDP)
		return PARSE_OTHER;
	p->proto = iph->protocol;
	p->l3_off = l3;
	p->l4_off = l3 + ihl * 4;
	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->tos = iph->tos;
	p->tot_len = bpf_ntohs(iph->tot_len);
	if (iph->frag_off & IP_OFFSET_BE)
		return PARSE_FRAGMENT;
	return parse_l4((void *)iph + ihl * 4, data_end, p);
}

/*
 * parse_ipv6() as global functions, one per context type. The verifier
 * checks a global function once, on its own, and after a call knows
 * nothing of what it wrote into @p: every number of extension headers
 * (each leaves other offsets behind) then continues as one state instead
 * of one copy of the whole rest of the program each, which made loading
 * five times slower. Defined in canary.bpf.c.
 */
int parse_ipv6_xdp(struct xdp_md *ctx, struct pkt *p);
int parse_ipv6_skb(struct __sk_buff *skb, struct pkt *p);

/* parse_pkt() of the frame in @ctx, IPv6 included. */
static __always_inline enum parse_result parse_ctx(void *ctx,
						   enum ctx_kind kind,
						   struct pkt *p)
{
	int ret = parse_pkt(ctx_data(ctx, kind), ctx_data_end(ctx, kind), p);

	if (ret != PARSE_IPV6)
		return ret;
	return kind == CTX_XDP ? parse_ipv6_xdp(ctx, p) : parse_ipv6_skb(ctx, p);
}

#endif /* CANARY_BPF_PARSE_H */
