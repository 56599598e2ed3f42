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
 * tc stores an address and its port with one bpf_skb_store_bytes() call
 * instead of two when they lie close together, as they do in IPv4 without
 * options: source address to source port spans 10 bytes (the destination
 * address between them is stored back unchanged), destination address to
 * destination port 8. A helper call less per rewrite; no checksum field
 * lies in either span.
 */
#define TC_SPAN_SRC 8 /* port offset - address offset: saddr .. sport */
#define TC_SPAN_DST 6 /* daddr .. dport */

struct tc_span {
	__u8 bytes[TC_SPAN_SRC + 2]; /* the packet's bytes from the address on */
	__u8 gap;                    /* TC_SPAN_SRC or TC_SPAN_DST */
	__u8 ok;                     /* 1: bytes[] read, store in one go */
};

/* Reads the span at @a (@gap: port offset - address offset) into @sp,
 * or leaves sp->ok 0 for two stores. */
static __always_inline void tc_read_span(const void *a, void *data_end,
					 __u32 gap, struct tc_span *sp)
{
	if ((gap != TC_SPAN_SRC && gap != TC_SPAN_DST) ||
	    a + TC_SPAN_SRC + 2 > data_end)
		return;
	__builtin_memcpy(sp->bytes, a, TC_SPAN_SRC + 2);
	sp->gap = gap;
	sp->ok = 1;
}

/* Stores @addr and @port into the span read by tc_read_span(). */
static __always_inline int tc_store_span(struct __sk_buff *skb, __u32 addr_off,
					 struct tc_span *sp, __be32 addr,
					 __be16 port)
{
	__builtin_memcpy(sp->bytes, &addr, 4);
	if (sp->gap == TC_SPAN_SRC) {
		__builtin_memcpy(sp->bytes + TC_SPAN_SRC, &port, 2);
		return bpf_skb_store_bytes(skb, addr_off, sp->bytes,
					   TC_SPAN_SRC + 2, 0) ? -1 : 0;
	}
	__builtin_memcpy(sp->bytes + TC_SPAN_DST, &port, 2);
	return bpf_skb_store_bytes(skb, addr_off, sp->bytes, TC_SPAN_DST + 2,
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
		tc_read_span(a, data_end, port_off - addr_off, &span);
	if (kind == CTX_XDP) {
		csum_replace4(ipsum, old_addr, addr);
		xdp_l4_replace(l4sum, p->proto, old_addr, addr, 4);
		xdp_l4_replace(l4sum, p->proto, old_port, port, 2);
		*a = addr;
		*pt = port;
		return 0;
	}
	/* tc: the helpers move the checksums; then store the new fields. */
	if (bpf_l3_csum_replace(ctx, l3_csum, old_addr, addr, 4) ||
	    bpf_l4_csum_replace(ctx, p->csum_off, old_addr, addr,
				BPF_F_PSEUDO_HDR | udp_flag | 4) ||
	    bpf_l4_csum_replace(ctx, p->csum_off, old_port, port, udp_flag | 2))
		return -1;
	if (span.ok)
		return tc_store_span(ctx, addr_off, &span, addr, port);
	if (bpf_skb_store_bytes(ctx, addr_off, &addr, 4, 0) ||
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

#endif /* CANARY_BPF_CSUM_H */
