// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The IPv6 half of the packet fuzzer (fuzz.h): service traffic, replies,
 * ICMPv6 errors and neighbour discovery; extension header chains, header
 * boundaries and IPv6 fields as mutations; and the model of what
 * bpf/parse.h parse_ipv6() and bpf/icmp6.h parse_icmp6_err() make of a
 * frame, which must match them exactly.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "fuzz.h"

/* bpf/parse.h: PARSE_MAX_HDR and PARSE_IPV6_MAX_EXT. */
#define MAX_HDR (14 + 4 + 40 + 64 + 20)
#define MAX_EXT 4

#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_NONE 59
#define NEXTHDR_DEST 60
#define IP6_OFFSET 0xFFF8 /* fragment offset bits of the fragment header */
#define IP6_HLEN 40
#define EXT_INSERT_MAX 5  /* extension headers one insertion adds */
#define WALK_MAX 16       /* headers the generator's own walks follow */
#define BOUNDS_MAX (2 * WALK_MAX + 16)

/* --- Addresses (2001:db8::/32, the documentation prefix) ----------- */

static void addr6(__be32 *a, __u32 w1, __u32 w3)
{
	a[0] = htonl(0x20010db8);
	a[1] = htonl(w1);
	a[2] = 0;
	a[3] = htonl(w3);
}

#define VIP6_W1 0x0        /* 2001:db8::10 :5000 tcp/udp, ::11 :6000 empty */
#define EP6_W1 0x00010000  /* 2001:db8:1::11-13, ::21 :5050 */
#define CLI6_W1 0x000c0000 /* clients 2001:db8:c::/64 */
#define RTR6_W1 0x00090000 /* a router 2001:db8:9::1 */

static void some_addr6(struct fuzz_rng *r, __be32 *a)
{
	static const __u32 w[][2] = { { VIP6_W1, 0x10 }, { VIP6_W1, 0x11 },
				      { EP6_W1, 0x11 }, { EP6_W1, 0x21 },
				      { CLI6_W1, 0x7 } };
	int i;

	if (fuzz_below(r, 5) == 0) {
		for (i = 0; i < 4; i++)
			a[i] = (__be32)fuzz_next(r);
		return;
	}
	i = fuzz_below(r, 5);
	addr6(a, w[i][0], w[i][1]);
}

/* --- Extension headers ----------------------------------------------- */

static bool is_ext(__u8 nh)
{
	return nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING ||
	       nh == NEXTHDR_DEST || nh == NEXTHDR_AUTH ||
	       nh == NEXTHDR_FRAGMENT;
}

/* Length of the extension header @h of kind @nh (RFC 8200, AH: RFC 4302). */
static size_t ext_size(__u8 nh, const __u8 *h)
{
	if (nh == NEXTHDR_FRAGMENT)
		return 8;
	if (nh == NEXTHDR_AUTH)
		return (h[1] + 2) * 4;
	return (h[1] + 1) * 8;
}

/* Writes one extension header of kind @nh at @h (not its next-header
 * byte) with room for at most @room bytes; returns its length or 0. */
static size_t put_ext(struct fuzz_rng *r, __u8 nh, __u8 *h, size_t room)
{
	size_t n, i;

	if (nh == NEXTHDR_FRAGMENT) {
		/* Offset 0 (the first fragment, ports inside) or not. */
		__u16 off = fuzz_below(r, 2) ? 0 : 1 + fuzz_below(r, 0x1fff);

		h[1] = 0;
		fuzz_wr16(h + 2, off << 3 | fuzz_below(r, 2));
		memcpy(h + 4, &(__u32){ (__u32)fuzz_next(r) }, 4);
		return room >= 8 ? 8 : 0;
	}
	if (nh == NEXTHDR_AUTH) /* 8, 12 (not a multiple of 8), 16, ... */
		h[1] = fuzz_below(r, 4) ? fuzz_below(r, 4) : fuzz_below(r, 16);
	else
		h[1] = fuzz_below(r, 2) ? 0 : fuzz_below(r, 4) ? 1 : fuzz_below(r, 12);
	n = ext_size(nh, h);
	if (n > room)
		return 0;
	for (i = 2; i < n; i++) /* PadN-like, or junk the parser skips */
		h[i] = fuzz_below(r, 2) ? 0 : (__u8)fuzz_next(r);
	if (fuzz_below(r, 2)) {
		h[2] = 1;
		h[3] = n - 4;
	}
	return n;
}

/*
 * Inserts a chain of @n extension headers of the skippable kinds right
 * after the IPv6 header at @l3: the old first next-header ends the chain,
 * payload_len grows with it. The L4 checksum stays right (its pseudo-header
 * length is the upper layer's). Returns the new length.
 */
static size_t insert_ext(struct fuzz_rng *r, __u8 *buf, size_t len, size_t l3,
			 int n)
{
	static const __u8 kinds[] = { NEXTHDR_HOP, NEXTHDR_ROUTING,
				      NEXTHDR_DEST, NEXTHDR_AUTH,
				      NEXTHDR_FRAGMENT, NEXTHDR_DEST };
	__u8 tmp[EXT_INSERT_MAX * 128], *ip = buf + l3, last = ip[6], *prev;
	size_t total = 0, sz;
	int i;

	if (len < l3 + IP6_HLEN)
		return len;
	prev = ip + 6;
	for (i = 0; i < n; i++) {
		__u8 nh = kinds[fuzz_below(r, sizeof(kinds))];

		sz = put_ext(r, nh, tmp + total,
			     PKT_MAX - len - total < 128 ? PKT_MAX - len - total : 128);
		if (!sz)
			break;
		*prev = nh;
		prev = tmp + total;
		total += sz;
	}
	*prev = last;
	memmove(ip + IP6_HLEN + total, ip + IP6_HLEN, len - l3 - IP6_HLEN);
	memcpy(ip + IP6_HLEN, tmp, total);
	fuzz_wr16(ip + 4, ntohs(fuzz_rd16(ip + 4)) + total);
	return len + total;
}

/*
 * Walks up to @max extension headers after the IPv6 header at @l3 as far
 * as the frame holds them: their offsets in @hdr (may be NULL); returns
 * their count, with the next header after them in *@nh at offset *@off.
 */
static int walk(const __u8 *buf, size_t len, size_t l3, int max, size_t *hdr,
		__u8 *nh, size_t *off)
{
	const __u8 *h;
	int n = 0;

	*nh = buf[l3 + 6];
	*off = l3 + IP6_HLEN;
	while (n < max && is_ext(*nh) && *off + 8 <= len) {
		h = buf + *off;
		if (hdr)
			hdr[n] = *off;
		n++;
		*off += ext_size(*nh, h);
		*nh = h[0];
	}
	return n;
}

/* --- Valid frames of each kind ------------------------------------- */

/* Puts a zero UDP checksum ("none") on the UDP packet at @l3 + 40. */
static void udp_no_csum(__u8 *buf, size_t l3)
{
	buf[l3 + IP6_HLEN + 6] = buf[l3 + IP6_HLEN + 7] = 0;
}

/* Builds @s with sometimes a zero UDP checksum and an extension header
 * chain of 1 to 5 headers. */
static size_t build6(struct fuzz_rng *r, const struct pkt6_spec *s, __u8 *buf)
{
	size_t len = pkt6_build(s, buf), l3 = s->vlan ? 18 : 14;

	if (s->proto == IPPROTO_UDP && fuzz_below(r, 8) == 0)
		udp_no_csum(buf, l3);
	if (fuzz_below(r, 3) == 0)
		len = insert_ext(r, buf, len, l3, 1 + fuzz_below(r, EXT_INSERT_MAX));
	return len;
}

/* A random client packet to @daddr:@dport (host order) over @proto. */
static size_t client_packet6(struct fuzz_rng *r, const __be32 *daddr,
			     __u16 dport, __u8 proto, __u8 *buf)
{
	struct pkt6_spec s = {
		.proto = proto,
		.sport = 1024 + fuzz_below(r, 2048),
		.dport = dport,
		.vlan = fuzz_below(r, 4) == 0,
		.tcp_flags = fuzz_below(r, 2) ? 0x02 : fuzz_below(r, 256),
		.payload = fuzz_below(r, 4) ? fuzz_below(r, 64) : fuzz_below(r, 1400),
	};

	/* A few hundred clients: flows repeat, so flow hits too. */
	addr6(s.saddr, CLI6_W1, fuzz_below(r, 512));
	memcpy(s.daddr, daddr, 16);
	return build6(r, &s, buf);
}

static size_t vip_packet6(struct fuzz_rng *r, __u8 *buf)
{
	__be32 vip[4];

	addr6(vip, VIP6_W1, 0x10);
	switch (fuzz_below(r, 5)) {
	case 0:
	case 1:
		return client_packet6(r, vip, 5000, IPPROTO_TCP, buf);
	case 2:
	case 3:
		return client_packet6(r, vip, 5000, IPPROTO_UDP, buf);
	default: /* the service without endpoints */
		addr6(vip, VIP6_W1, 0x11);
		return client_packet6(r, vip, 6000, IPPROTO_TCP, buf);
	}
}

static size_t other_packet6(struct fuzz_rng *r, __u8 *buf)
{
	__be32 a[4];
	int i;

	switch (fuzz_below(r, 5)) {
	case 0: /* the VIP, another port */
		addr6(a, VIP6_W1, 0x10);
		return client_packet6(r, a, 1 + fuzz_below(r, 65535), IPPROTO_TCP,
				      buf);
	case 1: /* the empty service's VIP:port, the other protocol */
		addr6(a, VIP6_W1, 0x11);
		return client_packet6(r, a, 6000, IPPROTO_UDP, buf);
	case 2: /* an endpoint, directly */
		addr6(a, EP6_W1, 0x11);
		return client_packet6(r, a, 5050, IPPROTO_TCP, buf);
	case 3: /* the IPv4 VIP, IPv4-mapped: still IPv6 to the data plane */
		a[0] = a[1] = 0;
		a[2] = htonl(0xffff);
		a[3] = ip4("10.96.0.10");
		return client_packet6(r, a, 5000, IPPROTO_TCP, buf);
	default:
		for (i = 0; i < 4; i++)
			a[i] = (__be32)fuzz_next(r);
		return client_packet6(r, a, fuzz_below(r, 65536),
				      fuzz_below(r, 2) ? IPPROTO_TCP : IPPROTO_UDP,
				      buf);
	}
}

static const struct fuzz_flow6 *some_flow6(struct fuzz_rng *r,
					   const struct fuzz_flows *fl)
{
	unsigned int n = fl->n6 < FUZZ_FLOWS ? fl->n6 : FUZZ_FLOWS;

	return n ? &fl->f6[fuzz_below(r, n)] : NULL;
}

/* The flow's packet in one direction: the client's as the endpoint got it
 * (@reply false), or the endpoint's reply as it left the endpoint
 * (@from_vip false) or the client got it (@from_vip true). */
static struct pkt6_spec flow_spec6(struct fuzz_rng *r,
				   const struct fuzz_flow6 *f, bool reply,
				   bool from_vip)
{
	struct pkt6_spec s = {
		.proto = f->proto,
		.sport = ntohs(reply ? f->eport : f->cport),
		.dport = ntohs(reply ? f->cport : f->eport),
		.tcp_flags = 0x10,
		.payload = fuzz_below(r, 200),
	};

	memcpy(s.saddr, reply ? f->ep : f->client, 16);
	memcpy(s.daddr, reply ? f->client : f->ep, 16);
	if (reply && from_vip) {
		memcpy(s.saddr, f->vip, 16);
		s.sport = ntohs(f->vport);
	}
	return s;
}

static size_t reply_packet6(struct fuzz_rng *r, const struct fuzz_flows *fl,
			    __u8 *buf)
{
	const struct fuzz_flow6 *f = some_flow6(r, fl);
	struct pkt6_spec s;

	if (!f)
		return vip_packet6(r, buf);
	s = flow_spec6(r, f, true, false);
	s.vlan = fuzz_below(r, 4) == 0;
	return build6(r, &s, buf);
}

/* An ICMPv6 error quoting 48 bytes (IPv6 header and 8 of L4), only the
 * ports (44), more, or the whole packet. */
static size_t icmp6_quoting(struct fuzz_rng *r, const __be32 *src,
			    const __be32 *dst, const struct pkt6_spec *quoted,
			    __u8 *buf)
{
	static const __u8 types[] = { 1, 2, 3 }; /* unreachable, too big, time */
	__u8 q[PKT_MAX];
	size_t qlen = pkt6_build(quoted, q) - 14, want;

	switch (fuzz_below(r, 4)) {
	case 0: want = 44; break;
	case 1: want = 48 + fuzz_below(r, 64); break;
	case 2: want = qlen; break;
	default: want = 48; break;
	}
	return pkt6_build_icmp(src, dst, types[fuzz_below(r, 3)],
			       fuzz_below(r, 8), 1280 + fuzz_below(r, 256), q,
			       want < qlen ? want : qlen, buf);
}

/* To the VIP from a router or the client, about a reply (VIP:port ->
 * client). */
static size_t icmp_in_packet6(struct fuzz_rng *r, const struct fuzz_flows *fl,
			      __u8 *buf)
{
	const struct fuzz_flow6 *f = some_flow6(r, fl);
	struct pkt6_spec q;
	__be32 rtr[4];

	if (!f)
		return vip_packet6(r, buf);
	q = flow_spec6(r, f, true, true);
	addr6(rtr, RTR6_W1, 1);
	return icmp6_quoting(r, fuzz_below(r, 2) ? rtr : f->client, f->vip, &q,
			     buf);
}

/* To a client, from the endpoint or a router, about client -> endpoint. */
static size_t icmp_out_packet6(struct fuzz_rng *r, const struct fuzz_flows *fl,
			       __u8 *buf)
{
	const struct fuzz_flow6 *f = some_flow6(r, fl);
	struct pkt6_spec q;
	__be32 rtr[4];

	if (!f)
		return vip_packet6(r, buf);
	q = flow_spec6(r, f, false, false);
	addr6(rtr, EP6_W1, 1);
	return icmp6_quoting(r, fuzz_below(r, 2) ? f->ep : rtr, f->client, &q,
			     buf);
}

/* Neighbour discovery, echo, MLD, or an error quoting nothing usable. */
static size_t icmp6_packet(struct fuzz_rng *r, __u8 *buf)
{
	static const __u8 types[] = { 133, 134, 135, 136, 137, 128, 129, 143,
				      1, 2, 3, 4 };
	struct pkt6_spec s = {
		.proto = IPPROTO_ICMPV6,
		.vlan = fuzz_below(r, 4) == 0,
		.icmp_type = types[fuzz_below(r, sizeof(types))],
		.payload = fuzz_below(r, 64),
	};
	size_t len, i, l3 = s.vlan ? 18 : 14;

	addr6(s.saddr, CLI6_W1, fuzz_below(r, 512));
	if (fuzz_below(r, 2)) {
		addr6(s.daddr, VIP6_W1, 0x10);
	} else { /* the VIP's solicited-node multicast address */
		s.daddr[0] = htonl(0xff020000);
		s.daddr[1] = 0;
		s.daddr[2] = htonl(1);
		s.daddr[3] = htonl(0xff000010);
	}
	len = pkt6_build(&s, buf);
	for (i = l3 + IP6_HLEN + 8; i < len && fuzz_below(r, 2); i++)
		buf[i] = (__u8)fuzz_next(r);
	fuzz_fix_csums6(buf, len, l3);
	return len;
}

size_t fuzz_frame6(struct fuzz_rng *r, const struct fuzz_flows *fl, __u8 *buf,
		   enum fuzz_kind kind)
{
	switch (kind) {
	case FK_VIP6: return vip_packet6(r, buf);
	case FK_OTHER6: return other_packet6(r, buf);
	case FK_REPLY6: return reply_packet6(r, fl, buf);
	case FK_ICMP_IN6: return icmp_in_packet6(r, fl, buf);
	case FK_ICMP_OUT6: return icmp_out_packet6(r, fl, buf);
	default: return icmp6_packet(r, buf);
	}
}

/* --- Mutations ------------------------------------------------------ */

/* Cuts the frame at a header boundary, or a byte either side of one:
 * Ethernet, IPv6, each extension header, and the L4 header or the
 * ICMPv6 error's quote. */
static size_t mut_truncate(struct fuzz_rng *r, const __u8 *buf, size_t len,
			   size_t l3)
{
	static const size_t l4_marks[] = { 0, 2, 4, 8, 16, 18, 20, 48, 52, 56, 64 };
	size_t at[BOUNDS_MAX], hdr[WALK_MAX], off, cut;
	int n = 0, k, i;
	__u8 nh;

	at[n++] = 12;
	at[n++] = l3;
	at[n++] = l3 + IP6_HLEN;
	k = walk(buf, len, l3, WALK_MAX, hdr, &nh, &off);
	for (i = 0; i < k; i++) {
		at[n++] = hdr[i];
		at[n++] = hdr[i] + 8;
	}
	for (i = 0; i < (int)(sizeof(l4_marks) / sizeof(l4_marks[0])); i++)
		at[n++] = off + l4_marks[i];
	cut = at[fuzz_below(r, n)] + fuzz_below(r, 3) - 1;
	return cut < len ? cut : len;
}

/* Sets one field of the IPv6 header to an odd value. */
static void set_ip6_field(struct fuzz_rng *r, __u8 *buf, size_t len, size_t l3)
{
	static const __u8 nexthdrs[] = { 0, 6, 17, 43, 44, 51, 58, 59, 60 };
	__u8 *ip = buf + l3;
	__be32 a[4];

	switch (fuzz_below(r, 7)) {
	case 0: ip[0] = (ip[0] & 0x0f) | fuzz_below(r, 16) << 4; break;
	case 1: /* payload_len: random, or the frame's own give or take */
		fuzz_wr16(ip + 4, fuzz_below(r, 2) ? fuzz_below(r, 0x10000) :
				  len - l3 - IP6_HLEN + fuzz_below(r, 17) - 8);
		break;
	case 2:
		ip[6] = fuzz_below(r, 4) ? nexthdrs[fuzz_below(r, sizeof(nexthdrs))] :
					   fuzz_below(r, 256);
		break;
	case 3: ip[7] = fuzz_below(r, 3); break; /* hop limit */
	case 4: some_addr6(r, a); memcpy(ip + 24, a, 16); break;
	case 5: some_addr6(r, a); memcpy(ip + 8, a, 16); break;
	default: /* traffic class and flow label */
		ip[0] = (ip[0] & 0xf0) | fuzz_below(r, 16);
		ip[1 + fuzz_below(r, 3)] = (__u8)fuzz_next(r);
		break;
	}
}

/* Sets the next header, length or fragment offset of one extension
 * header in the chain. */
static void set_ext_field(struct fuzz_rng *r, __u8 *buf, size_t len, size_t l3)
{
	static const __u8 nexthdrs[] = { 0, 6, 17, 43, 44, 51, 58, 59, 60 };
	size_t hdr[WALK_MAX], off;
	__u8 nh, *h;
	int n = walk(buf, len, l3, WALK_MAX, hdr, &nh, &off);

	if (!n)
		return set_ip6_field(r, buf, len, l3);
	h = buf + hdr[fuzz_below(r, n)];
	switch (fuzz_below(r, 3)) {
	case 0: h[0] = nexthdrs[fuzz_below(r, sizeof(nexthdrs))]; break;
	case 1: h[1] = fuzz_below(r, 2) ? fuzz_below(r, 4) : fuzz_below(r, 256); break;
	default: /* a fragment header's offset and M flag */
		fuzz_wr16(h + 2, fuzz_below(r, 2) ? fuzz_below(r, 2) :
				 fuzz_below(r, 0x10000));
		break;
	}
}

/* Sets a TCP/UDP field of the upper layer, or an ICMPv6 one (type, code,
 * the quoted packet's version, next header or ports). */
static void set_l4_field6(struct fuzz_rng *r, __u8 *buf, size_t len, size_t l3)
{
	static const __u16 ports[] = { 5000, 6000, 5050, 0 };
	static const __u8 types[] = { 1, 2, 3, 4, 128, 135 };
	static const __u8 qnh[] = { 6, 17, 58, 0, 44 };
	size_t off;
	__u8 nh, *p;

	walk(buf, len, l3, WALK_MAX, NULL, &nh, &off);
	p = buf + off;
	if (nh == IPPROTO_ICMPV6 && off + 8 + IP6_HLEN + 4 <= len) {
		switch (fuzz_below(r, 5)) {
		case 0: p[0] = types[fuzz_below(r, sizeof(types))]; break;
		case 1: p[8] = (p[8] & 0x0f) | fuzz_below(r, 16) << 4; break;
		case 2: p[8 + 6] = qnh[fuzz_below(r, sizeof(qnh))]; break;
		case 3: fuzz_wr16(p + 8 + IP6_HLEN, ports[fuzz_below(r, 4)]); break;
		default: fuzz_wr16(p + 8 + IP6_HLEN + 2, ports[fuzz_below(r, 4)]); break;
		}
		return;
	}
	if (off + 20 > len)
		return;
	switch (fuzz_below(r, 5)) {
	case 0: fuzz_wr16(p + 2, ports[fuzz_below(r, 4)]); break;
	case 1: fuzz_wr16(p, fuzz_below(r, 0x10000)); break;
	case 2: p[13] = fuzz_below(r, 256); break;            /* TCP flags */
	case 3: fuzz_wr16(p + 6, 0); break;                   /* UDP: no csum */
	default: fuzz_wr16(p + 4, fuzz_below(r, 0x10000)); break; /* UDP len */
	}
}

size_t fuzz_mutate6(struct fuzz_rng *r, __u8 *buf, size_t len)
{
	size_t l3 = fuzz_l3_of(buf, len);

	if (len < l3 + IP6_HLEN)
		return len;
	switch (fuzz_below(r, 7)) {
	case 0:
	case 1:
		return insert_ext(r, buf, len, l3, 1 + fuzz_below(r, EXT_INSERT_MAX));
	case 2: return mut_truncate(r, buf, len, l3);
	case 3: set_ip6_field(r, buf, len, l3); return len;
	case 4: set_ext_field(r, buf, len, l3); return len;
	case 5: set_l4_field6(r, buf, len, l3); return len;
	default: /* a bit flip anywhere in the headers */
		buf[fuzz_below(r, len < 200 ? len : 200)] ^= 1 << fuzz_below(r, 8);
		return len;
	}
}

/* --- Checksum fix-up ------------------------------------------------ */

void fuzz_fix_csums6(__u8 *buf, size_t len, size_t l3)
{
	size_t off, end, at;
	const __be32 *src = (const void *)(buf + l3 + 8),
		     *dst = (const void *)(buf + l3 + 24);
	__be32 s[4], d[4];
	__u16 c;
	__u8 nh;

	if (len < l3 + IP6_HLEN || buf[l3] >> 4 != 6)
		return;
	memcpy(s, src, 16);
	memcpy(d, dst, 16);
	walk(buf, len, l3, WALK_MAX, NULL, &nh, &off);
	end = l3 + IP6_HLEN + ntohs(fuzz_rd16(buf + l3 + 4));
	if (end > len)
		return;
	if (nh == IPPROTO_TCP && off + 20 <= end)
		at = off + 16;
	else if (nh == IPPROTO_UDP && off + 8 <= end && fuzz_rd16(buf + off + 6))
		at = off + 6;
	else if (nh == IPPROTO_ICMPV6 && off + 4 <= end)
		at = off + 2;
	else
		return;
	fuzz_wr16(buf + at, 0);
	c = pkt6_l4_csum(s, d, nh, buf + off, end - off);
	fuzz_wr16(buf + at, c || nh != IPPROTO_UDP ? c : 0xffff);
}

/* --- The data plane's view ------------------------------------------ */

/* A zero UDP checksum: "none", which IPv6 does not allow, so never a
 * valid one, even where the sum works out (the data plane keeps it zero,
 * and the sum would not stay right). */
static bool udp_csum_none(const __u8 *buf, size_t l4, __u8 proto)
{
	return proto == IPPROTO_UDP && !fuzz_rd16(buf + l4 + 6);
}

/* bpf/icmp6.h parse_icmp6_err(): an error (1, 2, 3) right after the IPv6
 * header, quoting IPv6 TCP/UDP with its ports inside payload_len. */
static void parse_icmp6(const __u8 *buf, size_t len, struct fuzz_view *v)
{
	size_t ic = v->l3 + IP6_HLEN, in = ic + 8, qend;
	size_t end = ic + ntohs(fuzz_rd16(buf + v->l3 + 4));

	if (ic + 8 > len || buf[ic] < 1 || buf[ic] > 3 || in + IP6_HLEN > len ||
	    buf[in] >> 4 != 6 ||
	    (buf[in + 6] != IPPROTO_TCP && buf[in + 6] != IPPROTO_UDP) ||
	    in + IP6_HLEN + 4 > len || in + IP6_HLEN + 4 > end)
		return;
	v->icmp_err = true;
	v->icmp_off = ic;
	v->q_l3 = in;
	v->q_l4 = in + IP6_HLEN;
	v->proto = buf[in + 6];
	memcpy(v->q_saddr6, buf + in + 8, 16);
	memcpy(v->q_daddr6, buf + in + 24, 16);
	v->q_sport = fuzz_rd16(buf + v->q_l4);
	v->q_dport = fuzz_rd16(buf + v->q_l4 + 2);
	v->icmp_csum_ok = end <= len &&
			  pkt6_l4_csum(v->saddr6, v->daddr6, IPPROTO_ICMPV6,
				       buf + ic, end - ic) == 0;
	qend = v->q_l4 + ntohs(fuzz_rd16(buf + in + 4));
	if (qend > end || qend > len ||
	    qend < v->q_l4 + (v->proto == IPPROTO_TCP ? 20 : 8))
		return;
	v->q_l4_csum_ok = !udp_csum_none(buf, v->q_l4, v->proto) &&
			  pkt6_l4_csum(v->q_saddr6, v->q_daddr6, v->proto,
				       buf + v->q_l4, qend - v->q_l4) == 0;
}

/*
 * bpf/parse.h parse_ipv6_ext(): up to MAX_EXT headers of the skippable
 * kinds, each whole within MAX_HDR and in the frame, the L4 header too; a
 * fragment header with a non-zero offset ends it (no ports). Returns the
 * upper-layer offset with its protocol in *@nh, or 0.
 */
static size_t skip_ext(const __u8 *buf, size_t len, size_t l3, __u8 *nh)
{
	size_t off = l3 + IP6_HLEN;
	const __u8 *h;
	int i;

	*nh = buf[l3 + 6];
	for (i = 0; i < MAX_EXT && is_ext(*nh); i++) {
		if (off + 8 > MAX_HDR || off + 8 > len)
			return 0;
		h = buf + off;
		if (*nh == NEXTHDR_FRAGMENT && fuzz_rd16(h + 2) & htons(IP6_OFFSET))
			return 0;
		if (*nh == NEXTHDR_ROUTING && h[3]) /* segments left */
			return 0;
		off += ext_size(*nh, h);
		*nh = h[0];
	}
	return is_ext(*nh) ? 0 : off;
}

void fuzz_parse6(const __u8 *buf, size_t len, struct fuzz_view *v)
{
	const __u8 *ip = buf + v->l3;
	size_t off, hdr, end = v->l3 + IP6_HLEN + ntohs(fuzz_rd16(ip + 4));
	__u8 nh;

	v->v6 = true;
	v->ip_csum_ok = true;
	memcpy(v->saddr6, ip + 8, 16);
	memcpy(v->daddr6, ip + 24, 16);
	if (ip[6] == IPPROTO_ICMPV6)
		return parse_icmp6(buf, len, v);
	off = skip_ext(buf, len, v->l3, &nh);
	if (!off || (nh != IPPROTO_TCP && nh != IPPROTO_UDP) || off + 20 > MAX_HDR)
		return;
	hdr = nh == IPPROTO_TCP ? 20 : 8;
	if (off + hdr > len)
		return;
	v->l4 = true;
	v->proto = nh;
	v->l4_off = off;
	v->sport = fuzz_rd16(buf + off);
	v->dport = fuzz_rd16(buf + off + 2);
	if (end < off + hdr || end > len)
		return;
	v->l4_csum_ok = !udp_csum_none(buf, off, nh) &&
			pkt6_l4_csum(v->saddr6, v->daddr6, nh, buf + off,
				     end - off) == 0;
}
