/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One context abstraction for XDP and tc (after cilium's ctx/xdp.h and
 * ctx/skb.h): the split logic is written once against these helpers and
 * called with a compile-time kind, so after inlining each program only
 * holds the branch for its own type.
 */
#ifndef CANARY_BPF_CTX_H
#define CANARY_BPF_CTX_H

#include "common.h"
enum ctx_kind {
	CTX_XDP,
	CTX_SKB,
};

/* Verdicts the shared logic returns; entry points map them to their own. */
enum verdict {
	V_PASS,     /* hand the packet to the kernel as it is now */
	V_REDIRECT, /* XDP only: bpf_redirect_map() already chose a device */
	V_DROP,
};

/*
 * Loads a 32-bit context field at a fixed offset. Written in asm because
 * clang, seeing the same field read at several places, may keep the
 * offset in a register and add it to the context pointer, which the
 * verifier refuses ("dereference of modified ctx ptr").
 */
#define CTX_LOAD32(ctx, off)                                          \
	({                                                            \
		__u64 __v;                                            \
		asm volatile("%[v] = *(u32 *)(%[c] + %[o])"           \
			     : [v] "=r"(__v)                          \
			     : [c] "r"(ctx), [o] "i"(off));           \
		__v;                                                  \
	})

static __always_inline void *ctx_data(void *ctx, enum ctx_kind kind)
{
	if (kind == CTX_XDP)
		return (void *)(long)CTX_LOAD32(ctx, offsetof(struct xdp_md, data));
	return (void *)(long)CTX_LOAD32(ctx, offsetof(struct __sk_buff, data));
}

static __always_inline void *ctx_data_end(void *ctx, enum ctx_kind kind)
{
	if (kind == CTX_XDP)
		return (void *)(long)CTX_LOAD32(ctx,
						offsetof(struct xdp_md, data_end));
	return (void *)(long)CTX_LOAD32(ctx, offsetof(struct __sk_buff, data_end));
}

static __always_inline __u32 ctx_len(void *ctx, enum ctx_kind kind)
{
	if (kind == CTX_XDP)
		return ctx_data_end(ctx, kind) - ctx_data(ctx, kind);
	return CTX_LOAD32(ctx, offsetof(struct __sk_buff, len));
}

/*
 * tc may hand us a non-linear skb whose headers are not all in the linear
 * part; pull up to @len bytes so direct packet access reaches them. XDP
 * frames on the paths we attach to are linear for the headers.
 */
static __always_inline void ctx_pull(void *ctx, enum ctx_kind kind, __u32 len)
{
	struct __sk_buff *skb = ctx;
	__u32 skb_len;
	void *data, *data_end;

	if (kind != CTX_SKB)
		return;
	skb_len = CTX_LOAD32(skb, offsetof(struct __sk_buff, len));
	data = ctx_data(ctx, kind);
	data_end = ctx_data_end(ctx, kind);
	/* Nothing to pull when the skb is linear, a short packet's case:
	 * the helper call costs about 10 ns, and it is no writability
	 * fix (the verifier's prologue unclones a tc program's skb). */
	if (data + len <= data_end || data + skb_len <= data_end)
		return;
	bpf_skb_pull_data(skb, len > skb_len ? skb_len : len);
}

/* Reads the 16-bit field at @off, or returns -1. */
static __always_inline int ctx_load16(void *ctx, enum ctx_kind kind,
				      __u32 off, __u16 *val)
{
	void *data = ctx_data(ctx, kind), *data_end = ctx_data_end(ctx, kind);
	__u16 *p = data + (off & 0x1ff);

	if ((void *)(p + 1) > data_end)
		return -1;
	*val = *p;
	return 0;
}

/* Writes @len (2 or 4) bytes at @off. */
static __always_inline int ctx_store(void *ctx, enum ctx_kind kind, __u32 off,
				     const void *from, __u32 len)
{
	void *data = ctx_data(ctx, kind), *data_end = ctx_data_end(ctx, kind);
	void *p = data + (off & 0x1ff);

	if (kind == CTX_SKB)
		return bpf_skb_store_bytes(ctx, off, from, len, 0) ? -1 : 0;
	if (len == 4) {
		if (p + 4 > data_end)
			return -1;
		*(__u32 *)p = *(const __u32 *)from;
		return 0;
	}
	if (p + 2 > data_end)
		return -1;
	*(__u16 *)p = *(const __u16 *)from;
	return 0;
}

#endif /* CANARY_BPF_CTX_H */
