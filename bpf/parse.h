/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing with bounds checks (after xdp-tools' parsing_helpers.h).
 * The result is a struct of offsets and the 5-tuple, not pointers, so it
 * survives helpers that invalidate packet pointers (tc checksum helpers).
 */
#ifndef CANARY_BPF_PARSE_H
#define CANARY_BPF_PARSE_H

#include "ctx.h"

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_8021Q_BE bpf_htons(0x8100)
#define ETH_P_8021AD_BE bpf_htons(0x88A8)
#define IP_MF_BE bpf_htons(0x2000)
#define IP_OFFSET_BE bpf_htons(0x1FFF)

/* Longest header chain we read: Ethernet, one VLAN tag, IPv4 with full
 * options, TCP without options. */
#define PARSE_MAX_HDR (14 + 4 + 60 + 20)

struct pkt {
	__u16 l3_off;     /* IPv4 header offset from the frame start */
	__u16 l4_off;     /* TCP/UDP header offset */
	__u16 csum_off;   /* L4 checksum field offset */
	__u8 proto;       /* CANARY_PROTO_TCP / _UDP */
	__u8 vlan;        /* 1 if an 802.1Q/802.1ad tag was skipped */
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 tos;
	__u8 tcp_flags;   /* byte 13 of the TCP header, 0 for UDP */
	__u16 tot_len;    /* IPv4 total length, host order */
	__u8 sock;        /* 1: a socket, not a packet (cgroup socket LB) */
};

enum parse_result {
	PARSE_OK,       /* IPv4 TCP/UDP, ports read */
	PARSE_OTHER,    /* not IPv4 TCP/UDP, or truncated: not ours */
	PARSE_FRAGMENT, /* a non-first IPv4 fragment: no ports to match */
};

/* Ethernet and at most one VLAN tag. Returns the L3 offset or -1. */
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
	if (proto != ETH_P_IP_BE)
		return -1;
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

/* Parses a frame up to the L4 ports. */
static __always_inline enum parse_result parse_pkt(void *data, void *data_end,
						   struct pkt *p)
{
	struct iphdr *iph;
	int l3 = parse_eth(data, data_end, p);
	__u32 ihl;

	if (l3 < 0)
		return PARSE_OTHER;
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

#endif /* CANARY_BPF_PARSE_H */
