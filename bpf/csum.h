/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rewriting an address or port with its checksums kept right.
 *
 * XDP sees raw frames: checksums are complete, updated incrementally per
 * RFC 1624 (HC' = ~(~HC + ~m + m')). tc sees skbs that may carry
 * CHECKSUM_PARTIAL (a pseudo-header sum, not a full checksum, e.g. from a
 * local socket over veth): there the kernel's bpf_l3/l4_csum_replace()
 * know which form the field holds, so tc always goes through them.
 */
#ifndef CANARY_BPF_CSUM_H
#define CANARY_BPF_CSUM_H

#include "common.h"
#include "ctx.h"
#include "parse.h"

#define CSUM_MANGLED_0 0xffff /* a computed UDP checksum of 0 is sent as this */

static __always_inline __u16 csum_fold64(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* RFC 1624 incremental update of checksum @sum for a 32-bit field. */
static __always_inline void csum_replace4(__u16 *sum, __be32 from, __be32 to)
{
	__u64 s = (__u16)~*sum;

	s += (__u32)~from;
	s += (__u32)to;
	*sum = ~csum_fold64(s);
}

/* The same for a 16-bit field. */
static __always_inline void csum_replace2(__u16 *sum, __be16 from, __be16 to)
{
	__u64 s = (__u16)~*sum;

	s += (__u16)~from;
	s += (__u16)to;
	*sum = ~csum_fold64(s);
}

/* A 16-bit checksum @c after a 32-bit field went from @from to @to. */
static __always_inline __u16 csum_upd4(__u16 c, __be32 from, __be32 to)
{
	csum_replace4(&c, from, to);
	return c;
}

static __always_inline __u16 csum_upd2(__u16 c, __u16 from, __u16 to)
{
	csum_replace2(&c, from, to);
	return c;
}

/* Replaces @len bytes at @off (old @from, new @to) and moves the checksum
 * at @csum_off by the same delta. */
static __always_inline int ctx_replace(void *ctx, enum ctx_kind kind, __u32 off,
				       __u32 from, __u32 to, __u32 len,
				       __u32 csum_off)
{
	__u16 c;

	if (ctx_load16(ctx, kind, csum_off, &c))
		return -1;
	c = len == 4 ? csum_upd4(c, from, to) : csum_upd2(c, from, to);
	if (ctx_store(ctx, kind, csum_off, &c, 2))
		return -1;
	return ctx_store(ctx, kind, off, &to, len);
}

/* Replaces the 16-byte address at @off (old @from, new @to), moving the
 * checksum at @csum_off along. */
static __always_inline int ctx_replace6(void *ctx, enum ctx_kind kind,
					__u32 off, const __be32 *from,
					const __be32 *to, __u32 csum_off)
{
	int i;

	for (i = 0; i < 4; i++)
		if (ctx_replace(ctx, kind, off + 4 * i, from[i], to[i], 4,
				csum_off))
			return -1;
	return 0;
}

/* XDP: the L4 checksum for a changed pseudo-header address or a port.
 * A zero UDP checksum means "none" and stays zero. */
static __always_inline void xdp_l4_replace(__u16 *sum, __u8 proto, __u32 from,
					   __u32 to, int size)
{
	if (proto == CANARY_PROTO_UDP && *sum == 0)
		return;
	if (size == 4)
		csum_replace4(sum, from, to);
	else
		csum_replace2(sum, from, to);
	if (proto == CANARY_PROTO_UDP && *sum == 0)
		*sum = CSUM_MANGLED_0;
}

/*
 * tc rewrites an IPv4 address, its port and the IPv4 header checksum with
 * one bpf_skb_store_bytes() call instead of bpf_l3_csum_replace() and two
 * stores, when they lie close together, as they do without IPv4 options:
 * from the header checksum to the source port is 12 bytes, to the
 * destination port 14 (the fields between are stored back unchanged). The
 * header checksum is complete in every skb (only L4 checksums can be
 * partial), so it is computed here as bpf_l3_csum_replace() would. No L4
 * checksum lies in either span. Two helper calls less per rewrite.
 */
#define TC_SPAN_SRC_ADDR 2  /* saddr's offset from the header checksum */
#define TC_SPAN_SRC_PORT 10 /* then the source port's */
#define TC_SPAN_DST_ADDR 6  /* daddr's */
#define TC_SPAN_DST_PORT 12 /* then the destination port's */
#define TC_SPAN_MAX (TC_SPAN_DST_PORT + 2)

struct tc_span {
	__u8 bytes[TC_SPAN_MAX]; /* the packet's from the header checksum on */
	__u8 dst;                /* 1: daddr .. dport, 0: saddr .. sport */
	__u8 ok;                 /* 1: bytes[] read, store in one go */
};

/* Reads the span at @ipsum into @sp when the address and port lie at
 * @addr_rel and @port_rel from it as above; else leaves sp->ok 0. */
static __always_inline void tc_read_span(const void *ipsum, void *data_end,
					 __u32 addr_rel, __u32 port_rel,
					 struct tc_span *sp)
{
	if (addr_rel == TC_SPAN_SRC_ADDR && port_rel == TC_SPAN_SRC_PORT)
		sp->dst = 0;
	else if (addr_rel == TC_SPAN_DST_ADDR && port_rel == TC_SPAN_DST_PORT)
		sp->dst = 1;
	else
		return;
	if (ipsum + TC_SPAN_MAX > data_end)
		return;
	__builtin_memcpy(sp->bytes, ipsum, TC_SPAN_MAX);
	sp->ok = 1;
}

/* Stores the span read by tc_read_span() at @l3_csum with the checksum
 * moved from @old_addr to @addr, and @addr:@port in place. */
static __always_inline int tc_store_span(struct __sk_buff *skb, __u32 l3_csum,
					 struct tc_span *sp, __be32 old_addr,
					 __be32 addr, __be16 port)
{
	__u16 check;

	__builtin_memcpy(&check, sp->bytes, 2);
	csum_replace4(&check, old_addr, addr);
	__builtin_memcpy(sp->bytes, &check, 2);
	if (!sp->dst) {
		__builtin_memcpy(sp->bytes + TC_SPAN_SRC_ADDR, &addr, 4);
		__builtin_memcpy(sp->bytes + TC_SPAN_SRC_PORT, &port, 2);
		return bpf_skb_store_bytes(skb, l3_csum, sp->bytes,
					   TC_SPAN_SRC_PORT + 2, 0) ? -1 : 0;
	}
	__builtin_memcpy(sp->bytes + TC_SPAN_DST_ADDR, &addr, 4);
	__builtin_memcpy(sp->bytes + TC_SPAN_DST_PORT, &port, 2);
	return bpf_skb_store_bytes(skb, l3_csum, sp->bytes, TC_SPAN_DST_PORT + 2,
				   0) ? -1 : 0;
}

/*
 * Rewrites the address at @addr_off (the IPv4 source or destination) and
 * the port at @port_off (TCP/UDP source or destination) of packet @p to
 * @addr:@port, fixing the IPv4 and L4 checksums. Packet pointers are
 * invalid afterwards. Returns 0, or -1 if the packet shrank under us.
 */
static __always_inline int rewrite_addr_port(void *ctx, enum ctx_kind kind,
					     const struct pkt *p, __u32 addr_off,
					     __u32 port_off, __be32 addr,
					     __be16 port)
{
	void *data = ctx_data(ctx, kind), *data_end = ctx_data_end(ctx, kind);
	__u32 l3_csum = p->l3_off + offsetof(struct iphdr, check);
	__u64 udp_flag = p->proto == CANARY_PROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 *a = data + (addr_off & 0xff);
	__be16 *pt = data + (port_off & 0xff);
	__u16 *ipsum = data + (l3_csum & 0xff);
	__u16 *l4sum = data + (p->csum_off & 0xff);
	struct tc_span span = {};
	__be32 old_addr;
	__be16 old_port;

	if ((void *)(a + 1) > data_end || (void *)(pt + 1) > data_end ||
	    (void *)(ipsum + 1) > data_end || (void *)(l4sum + 1) > data_end)
		return -1;
	old_addr = *a;
	old_port = *pt;
	if (kind == CTX_SKB)
		tc_read_span(ipsum, data_end, addr_off - l3_csum,
			     port_off - l3_csum, &span);
	if (kind == CTX_XDP) {
		csum_replace4(ipsum, old_addr, addr);
		xdp_l4_replace(l4sum, p->proto, old_addr, addr, 4);
		xdp_l4_replace(l4sum, p->proto, old_port, port, 2);
		*a = addr;
		*pt = port;
		return 0;
	}
	/* tc: the helpers move the L4 checksum; then store the new fields
	 * (with the header checksum, in one go when they are close). */
	if (bpf_l4_csum_replace(ctx, p->csum_off, old_addr, addr,
				BPF_F_PSEUDO_HDR | udp_flag | 4) ||
	    bpf_l4_csum_replace(ctx, p->csum_off, old_port, port, udp_flag | 2))
		return -1;
	if (span.ok)
		return tc_store_span(ctx, l3_csum, &span, old_addr, addr, port);
	if (bpf_l3_csum_replace(ctx, l3_csum, old_addr, addr, 4) ||
	    bpf_skb_store_bytes(ctx, addr_off, &addr, 4, 0) ||
	    bpf_skb_store_bytes(ctx, port_off, &port, 2, 0))
		return -1;
	return 0;
}

/*
 * The IPv6 twin of rewrite_addr_port(): the address at @addr_off is 16
 * bytes. IPv6 has no header checksum; the L4 checksum covers the address
 * through the pseudo-header, one 32-bit word at a time.
 */
static __always_inline int rewrite_addr6_port(void *ctx, enum ctx_kind kind,
					      const struct pkt *p,
					      __u32 addr_off, __u32 port_off,
					      const __be32 *addr, __be16 port)
{
	void *data = ctx_data(ctx, kind), *data_end = ctx_data_end(ctx, kind);
	__u64 udp_flag = p->proto == CANARY_PROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 *a = data + (addr_off & 0xff);
	__be16 *pt = data + (port_off & 0xff);
	__u16 *l4sum = data + (p->csum_off & 0xff);
	__be32 old[4], new[4];
	__be16 old_port;
	int i;

	if ((void *)(a + 4) > data_end || (void *)(pt + 1) > data_end ||
	    (void *)(l4sum + 1) > data_end)
		return -1;
	for (i = 0; i < 4; i++) {
		old[i] = a[i];
		new[i] = addr[i];
	}
	old_port = *pt;
	if (kind == CTX_XDP) {
		for (i = 0; i < 4; i++) {
			xdp_l4_replace(l4sum, p->proto, old[i], new[i], 4);
			a[i] = new[i];
		}
		xdp_l4_replace(l4sum, p->proto, old_port, port, 2);
		*pt = port;
		return 0;
	}
	for (i = 0; i < 4; i++)
		if (bpf_l4_csum_replace(ctx, p->csum_off, old[i], new[i],
					BPF_F_PSEUDO_HDR | udp_flag | 4))
			return -1;
	if (bpf_l4_csum_replace(ctx, p->csum_off, old_port, port, udp_flag | 2) ||
	    /* IPv6 has no header checksum to absorb the address change:
	     * have a CHECKSUM_COMPLETE skb's csum follow it. */
	    bpf_skb_store_bytes(ctx, addr_off, new, 16, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(ctx, port_off, &port, 2, 0))
		return -1;
	return 0;
}

#define TCP_DPORT_OFF 2 /* destination port offset, TCP and UDP alike */
#define TCP_SPORT_OFF 0

/*
 * Rewrites the source (@src) or the destination address and port of
 * packet @p, of the family @is6, to @addr:@port (IPv4: @addr[0]) with
 * their checksums: rewrite_addr_port() or rewrite_addr6_port(). Returns
 * 0, or -1 if the packet shrank under us.
 */
static __always_inline int rewrite_tuple(void *ctx, enum ctx_kind kind,
					 const struct pkt *p, bool src,
					 const __be32 *addr, __be16 port,
					 bool is6)
{
	__u32 port_off = p->l4_off + (src ? TCP_SPORT_OFF : TCP_DPORT_OFF);

	if (is6)
		return rewrite_addr6_port(ctx, kind, p,
					  p->l3_off + (src ?
					  offsetof(struct ipv6hdr, saddr) :
					  offsetof(struct ipv6hdr, daddr)),
					  port_off, addr, port);
	return rewrite_addr_port(ctx, kind, p,
				 p->l3_off + (src ? offsetof(struct iphdr, saddr) :
					      offsetof(struct iphdr, daddr)),
				 port_off, addr[0], port);
}

#endif /* CANARY_BPF_CSUM_H */
