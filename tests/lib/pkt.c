// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt.h"

__be32 ip4(const char *s)
{
	struct in_addr a = {};

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u16 pkt_csum(const void *data, size_t len)
{
	return fold(sum16(data, len, 0));
}

/* L4 checksum over the pseudo-header and @len bytes at @l4, in host order
 * of the result (0 when the data's checksum is right). */
__u16 pkt_l4_csum(const struct iphdr *iph, const void *l4, size_t len)
{
	__u32 sum = sum16(&iph->saddr, 8, 0);

	sum += iph->protocol + len;
	return fold(sum16(l4, len, sum));
}

static void *put_eth(const struct pkt_spec *s, __u8 *p)
{
	struct ethhdr *eth = (void *)p;
	static const __u8 dst[6] = { 0x02, 0, 0, 0, 0, 1 };
	static const __u8 src[6] = { 0x02, 0, 0, 0, 0, 2 };

	memcpy(eth->h_dest, dst, 6);
	memcpy(eth->h_source, src, 6);
	if (!s->vlan) {
		eth->h_proto = htons(ETH_P_IP);
		return eth + 1;
	}
	eth->h_proto = htons(ETH_P_8021Q);
	p += sizeof(*eth);
	*(__be16 *)p = htons(42);
	*(__be16 *)(p + 2) = htons(ETH_P_IP);
	return p + 4;
}

size_t pkt_put_l4(const struct pkt_spec *s, __u8 *p)
{
	size_t len;

	if (s->proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)p;

		len = sizeof(*th) + s->tcp_opts;
		memset(p, 1, len); /* options are NOPs */
		memset(th, 0, sizeof(*th));
		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->seq = htonl(1000);
		th->doff = len / 4;
		((__u8 *)th)[13] = s->tcp_flags ? s->tcp_flags : 0x02;
		th->window = htons(64240);
	} else if (s->proto == IPPROTO_UDP) {
		struct udphdr *uh = (void *)p;

		len = sizeof(*uh);
		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->len = htons(len + s->payload);
		uh->check = 0;
	} else {
		len = 0;
	}
	memset(p + len, 0xab, s->payload);
	return len + s->payload;
}

size_t pkt_build(const struct pkt_spec *s, void *buf)
{
	__u8 *start = buf;
	struct iphdr *iph;
	__u8 *l4;
	size_t l4len, ihl = sizeof(*iph) + s->ip_opts;

	memset(buf, 0, PKT_MAX);
	iph = put_eth(s, start);
	l4 = (__u8 *)iph + ihl;
	memset(iph + 1, 1, s->ip_opts); /* IPv4 NOP options */
	l4len = pkt_put_l4(s, l4);
	iph->version = 4;
	iph->ihl = ihl / 4;
	iph->ttl = 64;
	iph->protocol = s->proto;
	iph->saddr = s->saddr;
	iph->daddr = s->daddr;
	iph->tot_len = htons(ihl + l4len);
	iph->id = htons(0x1234);
	iph->frag_off = htons(s->frag_off);
	iph->check = htons(fold(sum16(iph, ihl, 0)));
	if (s->proto == IPPROTO_TCP)
		((struct tcphdr *)l4)->check = htons(pkt_l4_csum(iph, l4, l4len));
	if (s->proto == IPPROTO_UDP && !s->udp_no_csum) {
		__u16 c = pkt_l4_csum(iph, l4, l4len);

		((struct udphdr *)l4)->check = htons(c ? c : 0xffff);
	}
	return l4 + l4len - start;
}

struct pkt_view pkt_parse(const void *buf, size_t len)
{
	const __u8 *p = buf, *end = p + len;
	struct pkt_view v = {};
	const struct iphdr *iph;
	const __u8 *l4;
	__be16 proto;

	if (len < sizeof(struct ethhdr) + sizeof(*iph))
		return v;
	proto = ((const struct ethhdr *)p)->h_proto;
	p += sizeof(struct ethhdr);
	if (proto == htons(ETH_P_8021Q)) {
		v.vlan = true;
		proto = *(const __be16 *)(p + 2);
		p += 4;
	}
	iph = (const void *)p;
	if (proto != htons(ETH_P_IP) || (const __u8 *)(iph + 1) > end)
		return v;
	l4 = p + iph->ihl * 4;
	if (l4 + 8 > end || p + ntohs(iph->tot_len) > end)
		return v;
	v.proto = iph->protocol;
	v.saddr = iph->saddr;
	v.daddr = iph->daddr;
	v.ttl = iph->ttl;
	v.ip_csum_ok = fold(sum16(iph, iph->ihl * 4, 0)) == 0;
	v.sport = ntohs(*(const __be16 *)l4);
	v.dport = ntohs(*(const __be16 *)(l4 + 2));
	if (v.proto == IPPROTO_TCP)
		v.l4_csum = ntohs(((const struct tcphdr *)l4)->check);
	else
		v.l4_csum = ntohs(((const struct udphdr *)l4)->check);
	v.l4_csum_ok = (v.proto == IPPROTO_UDP && v.l4_csum == 0) ||
		       pkt_l4_csum(iph, l4, p + ntohs(iph->tot_len) - l4) == 0;
	v.ok = v.proto == IPPROTO_TCP || v.proto == IPPROTO_UDP;
	return v;
}

size_t pkt_build_icmp(__be32 src, __be32 dst, __u8 type, __u8 code,
		      const void *quoted, size_t qlen, void *buf)
{
	struct pkt_spec none = {};
	__u8 *p = buf;
	struct iphdr *iph;
	__u8 *ic;

	memset(buf, 0, PKT_MAX);
	iph = put_eth(&none, p);
	ic = (__u8 *)(iph + 1);
	memcpy(ic + 8, (const __u8 *)quoted + sizeof(struct ethhdr), qlen);
	ic[0] = type;
	ic[1] = code;
	if (type == 3 && code == 4)
		*(__be16 *)(ic + 6) = htons(1400); /* next-hop MTU */
	*(__be16 *)(ic + 2) = htons(fold(sum16(ic, 8 + qlen, 0)));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = src;
	iph->daddr = dst;
	iph->tot_len = htons(sizeof(*iph) + 8 + qlen);
	iph->check = htons(fold(sum16(iph, sizeof(*iph), 0)));
	return ic + 8 + qlen - p;
}

struct icmp_view pkt_parse_icmp(const void *buf, size_t len)
{
	const __u8 *p = (const __u8 *)buf + sizeof(struct ethhdr);
	const struct iphdr *iph = (const void *)p, *q;
	struct icmp_view v = {};
	const __u8 *ic, *ql4;
	size_t tot, check;

	if (len < sizeof(struct ethhdr) + sizeof(*iph) + 8 + sizeof(*q) + 4)
		return v;
	tot = ntohs(iph->tot_len);
	ic = p + iph->ihl * 4;
	q = (const void *)(ic + 8);
	ql4 = (const __u8 *)q + q->ihl * 4;
	v.saddr = iph->saddr;
	v.daddr = iph->daddr;
	v.ip_csum_ok = fold(sum16(iph, iph->ihl * 4, 0)) == 0;
	v.icmp_csum_ok = fold(sum16(ic, tot - iph->ihl * 4, 0)) == 0;
	v.q_saddr = q->saddr;
	v.q_daddr = q->daddr;
	v.q_sport = ntohs(*(const __be16 *)ql4);
	v.q_dport = ntohs(*(const __be16 *)(ql4 + 2));
	v.q_ip_csum_ok = fold(sum16(q, q->ihl * 4, 0)) == 0;
	v.q_proto = q->protocol;
	check = q->protocol == IPPROTO_TCP ? 16 : 6;
	if ((const __u8 *)q + ntohs(q->tot_len) <= p + tot &&
	    p + tot <= (const __u8 *)buf + len) {
		v.q_l4_whole = true;
		v.q_l4_csum = ntohs(*(const __be16 *)(ql4 + check));
		v.q_l4_csum_ok = (q->protocol == IPPROTO_UDP && !v.q_l4_csum) ||
				 pkt_l4_csum(q, ql4, (const __u8 *)q +
						 ntohs(q->tot_len) - ql4) == 0;
	} else if (ql4 + check + 2 <= p + tot) {
		v.q_l4_csum = ntohs(*(const __be16 *)(ql4 + check));
	}
	v.ok = iph->protocol == IPPROTO_ICMP;
	return v;
}
