// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark-only XDP programs for the real-traffic runs (bench/net.sh):
 *
 * gen_udp:  run with BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES on the
 *           client's veth; writes a whole Ethernet/IPv4/UDP header and
 *           returns XDP_TX, so the frame leaves the client towards the node.
 *           Live-frame pages come back recycled (possibly rewritten by
 *           whoever consumed them), so every byte is written on every run.
 * noop:     XDP_PASS; attached to a peer's veth to give it the same NAPI
 *           receive path an XDP data plane gets (the fairness run).
 * count_drop: counts and drops IPv4; the ceiling on the node's client-facing
 *           veth, and the pods' eth0 with their stacks left aside.
 * tc_count_drop: the same on tc ingress, for pods without NAPI.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define IPPROTO_UDP_ 17

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by gen.c before load. Addresses and ports in network order. */
const volatile __u8 src_mac[6];
const volatile __u8 dst_mac[6];
const volatile __be32 saddr;
const volatile __be32 daddr;
const volatile __be16 dport;
const volatile __u16 sport_base;  /* host order */
const volatile __u16 n_flows;     /* source ports sport_base .. +n_flows-1 */
const volatile __u16 payload_len; /* UDP payload bytes (zeros) */

__u64 seq;    /* frames generated (one generator thread at a time) */
__u64 counted; /* count_drop: frames seen */


static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* One's-complement sum of the IPv4 header, taken as 16-bit words. */
static __always_inline __u16 ip_csum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;
	int i;

	for (i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

/* UDP checksum over the pseudo header and header; the payload is zeros. */
static __always_inline __u16 udp_csum(struct udphdr *udp, __u16 ulen)
{
	__u32 sum = 0;

	sum += (saddr & 0xffff) + (saddr >> 16);
	sum += (daddr & 0xffff) + (daddr >> 16);
	sum += bpf_htons(IPPROTO_UDP_) + bpf_htons(ulen);
	sum += udp->source + udp->dest + udp->len;
	return csum_fold(sum) ?: 0xffff;
}

SEC("xdp")
int gen_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u16 ulen = sizeof(struct udphdr) + payload_len;
	__u16 sport = sport_base + (__u16)(seq++ % (n_flows ?: 1));
	int i;

	if ((void *)(udp + 1) > end)
		return XDP_ABORTED;
	for (i = 0; i < 6; i++) {
		eth->h_dest[i] = dst_mac[i];
		eth->h_source[i] = src_mac[i];
	}
	eth->h_proto = bpf_htons(ETH_P_IP);
	ip->ihl = 5;
	ip->version = 4;
	ip->tos = 0;
	ip->tot_len = bpf_htons(sizeof(struct iphdr) + ulen);
	ip->id = 0;
	ip->frag_off = bpf_htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP_;
	ip->check = 0;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = ip_csum(ip);
	udp->source = bpf_htons(sport);
	udp->dest = dport;
	udp->len = bpf_htons(ulen);
	udp->check = 0;
	udp->check = udp_csum(udp, ulen);
	return XDP_TX;
}

SEC("xdp")
int noop(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Counts and drops IPv4 frames. ARP goes on to the stack: a pod whose
 * ARP replies were dropped too would leave its node's neighbour entry to
 * fail within seconds, and the kernel's forwarding (the peers' path) to
 * drop what follows. */
SEC("xdp")
int count_drop(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__sync_fetch_and_add(&counted, 1);
	return XDP_DROP;
}

/* count_drop on tc ingress (gen tc): a pod whose eth0 has no XDP program
 * (and so, without GRO, no NAPI) keeps its own receive path up to tc. */
SEC("tc")
int tc_count_drop(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return -1; /* TC_ACT_UNSPEC: on to the stack */
	__sync_fetch_and_add(&counted, 1);
	return 2; /* TC_ACT_SHOT */
}
