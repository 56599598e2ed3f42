// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt6.h"

#define NEXTHDR_FRAGMENT 44

void ip6(const char *s, __be32 *out)
{
	if (inet_pton(AF_INET6, s, out) != 1)
		memset(out, 0, 16);
}

bool ip6_eq(const __be32 *a, const __be32 *b)
{
	return !memcmp(a, b, 16);
}

/* The one's complement sum of @len bytes folded to 16 bits, before
 * pkt_csum() inverts it. */
static __u32 sum_of(const void *data, size_t len)
{
	return (__u16)~pkt_csum(data, len);
}

__u16 pkt6_l4_csum(const __be32 *src, const __be32 *dst, __u8 proto,
		   const void *l4, size_t len)
{
	__u8 ph[40] = {};
	__u32 sum;

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	*(__be32 *)(ph + 32) = htonl(len);
	ph[39] = proto;
	/* The pseudo-header is 40 bytes: the data's words line up after it. */
	sum = sum_of(ph, sizeof(ph)) + sum_of(l4, len);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __u8 *put_eth6(bool vlan, __u8 *p)
{
	static const __u8 mac[12] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };

	memcpy(p, mac, 12);
	if (!vlan) {
		*(__be16 *)(p + 12) = htons(ETH_P_IPV6);
		return p + 14;
	}
	*(__be16 *)(p + 12) = htons(ETH_P_8021Q);
	*(__be16 *)(p + 14) = htons(42);
	*(__be16 *)(p + 16) = htons(ETH_P_IPV6);
	return p + 18;
}

/* Writes the extension headers of @s at @p, chaining to @l4proto;
 * returns their length and sets *first to the first next-header value. */
static size_t put_ext(const struct pkt6_spec *s, __u8 *p, __u8 l4proto,
		      __u8 *first)
{
	size_t off = 0;
	int i;

	*first = s->n_ext ? s->ext[0] : l4proto;
	for (i = 0; i < s->n_ext; i++) {
		__u8 *h = p + off;

		memset(h, 0, 8);
		h[0] = i + 1 < s->n_ext ? s->ext[i + 1] : l4proto;
		if (s->ext[i] == NEXTHDR_FRAGMENT) {
			*(__be16 *)(h + 2) = htons(s->frag_off << 3 |
						   (s->frag_off ? 0 : 1));
			*(__be32 *)(h + 4) = htonl(0xabcd);
		} else {
			h[2] = 1; /* PadN option filling the 6 bytes */
			h[3] = 4;
		}
		off += 8;
	}
	return off;
}

/* pkt_put_l4() for @s, with an ICMPv6 header for proto 58. */
static size_t put_l4_6(const struct pkt6_spec *s, __u8 *p)
{
	struct pkt_spec l4 = { .proto = s->proto, .sport = s->sport,
			       .dport = s->dport, .tcp_flags = s->tcp_flags,
			       .payload = s->payload };

	if (s->proto != IPPROTO_ICMPV6)
		return pkt_put_l4(&l4, p);
	memset(p, 0, 8);
	p[0] = s->icmp_type;
	memset(p + 8, 0xab, s->payload);
	return 8 + s->payload;
}

static void set_l4_csum(__u8 proto, const __be32 *src, const __be32 *dst,
			__u8 *l4, size_t len)
{
	__u16 c;

	if (proto == IPPROTO_TCP) {
		((struct tcphdr *)l4)->check = htons(pkt6_l4_csum(src, dst, proto, l4, len));
	} else if (proto == IPPROTO_UDP) {
		c = pkt6_l4_csum(src, dst, proto, l4, len);
		((struct udphdr *)l4)->check = htons(c ? c : 0xffff);
	} else if (proto == IPPROTO_ICMPV6) {
		*(__be16 *)(l4 + 2) = htons(pkt6_l4_csum(src, dst, proto, l4, len));
	}
}

size_t pkt6_build(const struct pkt6_spec *s, void *buf)
{
	__u8 *start = buf, *l4;
	struct ipv6hdr *ip6h;
	size_t ext, l4len;
	__u8 first;

	memset(buf, 0, PKT_MAX);
	ip6h = (void *)put_eth6(s->vlan, start);
	ext = put_ext(s, (__u8 *)(ip6h + 1), s->proto, &first);
	l4 = (__u8 *)(ip6h + 1) + ext;
	l4len = put_l4_6(s, l4);
	ip6h->version = 6;
	ip6h->nexthdr = first;
	ip6h->hop_limit = 64;
	ip6h->payload_len = htons(ext + l4len);
	memcpy(&ip6h->saddr, s->saddr, 16);
	memcpy(&ip6h->daddr, s->daddr, 16);
	set_l4_csum(s->proto, s->saddr, s->daddr, l4, l4len);
	return l4 + l4len - start;
}

/* The IPv6 header of frame @buf, or NULL. */
static const struct ipv6hdr *frame_ip6(const __u8 *buf, size_t len)
{
	size_t off = 14;

	if (len < 14)
		return NULL;
	if (ntohs(*(__be16 *)(buf + 12)) == ETH_P_8021Q)
		off = 18;
	if (len < off + sizeof(struct ipv6hdr) ||
	    ntohs(*(__be16 *)(buf + off - 2)) != ETH_P_IPV6)
		return NULL;
	return (const void *)(buf + off);
}

struct pkt6_view pkt6_parse(const void *buf, size_t len)
{
	const struct ipv6hdr *ip6h = frame_ip6(buf, len);
	struct pkt6_view v = {};
	const __u8 *p, *end = (const __u8 *)buf + len;
	__u8 nh;
	size_t l4len;

	if (!ip6h)
		return v;
	nh = ip6h->nexthdr;
	p = (const __u8 *)(ip6h + 1);
	while ((nh == 0 || nh == 60 || nh == NEXTHDR_FRAGMENT) && p + 8 <= end) {
		nh = p[0];
		p += nh == NEXTHDR_FRAGMENT ? 8 : (p[1] + 1) * 8;
	}
	if ((nh != IPPROTO_TCP && nh != IPPROTO_UDP) || p + 8 > end)
		return v;
	l4len = (const __u8 *)(ip6h + 1) + ntohs(ip6h->payload_len) - p;
	v.ok = true;
	v.proto = nh;
	memcpy(v.saddr, &ip6h->saddr, 16);
	memcpy(v.daddr, &ip6h->daddr, 16);
	v.sport = ntohs(*(__be16 *)p);
	v.dport = ntohs(*(__be16 *)(p + 2));
	v.hop_limit = ip6h->hop_limit;
	v.l4_csum_ok = pkt6_l4_csum(v.saddr, v.daddr, nh, p, l4len) == 0;
	return v;
}

size_t pkt6_build_icmp(const __be32 *src, const __be32 *dst, __u8 type,
		       __u8 code, __u32 info, const void *quoted, size_t qlen,
		       void *buf)
{
	__u8 *start = buf, *ic;
	struct ipv6hdr *ip6h;

	memset(buf, 0, PKT_MAX);
	ip6h = (void *)put_eth6(false, start);
	ic = (__u8 *)(ip6h + 1);
	ic[0] = type;
	ic[1] = code;
	*(__be32 *)(ic + 4) = htonl(info);
	memcpy(ic + 8, (const __u8 *)quoted + 14, qlen);
	ip6h->version = 6;
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = 64;
	ip6h->payload_len = htons(8 + qlen);
	memcpy(&ip6h->saddr, src, 16);
	memcpy(&ip6h->daddr, dst, 16);
	set_l4_csum(IPPROTO_ICMPV6, src, dst, ic, 8 + qlen);
	return ic + 8 + qlen - start;
}

struct icmp6_view pkt6_parse_icmp(const void *buf, size_t len)
{
	const struct ipv6hdr *ip6h = frame_ip6(buf, len), *in;
	struct icmp6_view v = {};
	const __u8 *ic, *l4;
	size_t plen, qlen;

	if (!ip6h || ip6h->nexthdr != IPPROTO_ICMPV6)
		return v;
	plen = ntohs(ip6h->payload_len);
	ic = (const __u8 *)(ip6h + 1);
	in = (const void *)(ic + 8);
	l4 = (const __u8 *)(in + 1);
	if (plen < 8 + sizeof(*in) + 8 || ic + plen > (const __u8 *)buf + len)
		return v;
	v.ok = true;
	memcpy(v.saddr, &ip6h->saddr, 16);
	memcpy(v.daddr, &ip6h->daddr, 16);
	v.icmp_csum_ok = pkt6_l4_csum(v.saddr, v.daddr, IPPROTO_ICMPV6, ic, plen) == 0;
	memcpy(v.q_saddr, &in->saddr, 16);
	memcpy(v.q_daddr, &in->daddr, 16);
	v.q_sport = ntohs(*(__be16 *)l4);
	v.q_dport = ntohs(*(__be16 *)(l4 + 2));
	qlen = plen - 8 - sizeof(*in);
	v.q_l4_csum_ok = pkt6_l4_csum(v.q_saddr, v.q_daddr, in->nexthdr, l4, qlen) == 0;
	return v;
}
