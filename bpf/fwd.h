/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * XDP's notes to canary_tc_fwd: which packet XDP translated and where
 * its FIB lookup sends it, so that tc, a moment later on the same CPU,
 * need not find the flow again (canary_backend, then the flow table) nor
 * ask the FIB afresh.
 *
 * Why a map: this kernel refuses bpf_xdp_adjust_meta() to XDP programs
 * ("program of this type cannot use helper"), so nothing rides with the
 * packet, and XDP can write neither the skb's mark nor its hash. XDP and
 * tc ingress of the same device run on one CPU, in one softirq (the NAPI
 * poll that ran XDP hands the skb up through GRO, at most a poll later),
 * so a per-CPU table direct mapped by the packet's 5-tuple after the
 * translation carries the note across: XDP writes the slot of a packet
 * it translated and passes, tc reads the slot of the packet it sees.
 *
 * What a note may say, and why it stays correct:
 * - It is written only for a packet XDP translated without source NAT
 *   whose next hop takes no XDP frames (XDP passes it), never back out
 *   of the ingress device: the packets the slow path (fwd_translated()
 *   and a fresh FIB lookup) would forward.
 * - tc uses it only for a packet with the very same 5-tuple and family,
 *   within FWD_NOTE_TICKS jiffies of the writing, and once: tc clears
 *   it. A slot another packet overwrote in between (a collision), a note
 *   from another CPU's XDP (RPS steering the skb elsewhere), one too old
 *   or already used: no note, and tc takes the slow path as before.
 * - The answer is XDP's FIB cache's (bpf/fib.h), as fresh as XDP's own
 *   forwarding decisions (FIB_CACHE_MS plus a tick). tc checks the TTL
 *   and asks bpf_check_mtu() about the device, which fails for a device
 *   deleted since (the kernel's path then, not a black hole) and checks
 *   this skb (GRO may have merged several packets into it) against the
 *   device's MTU.
 * Not pinned, never read by user space: private to one load, as XDP and
 * canary_tc_fwd of one attach are.
 */
#ifndef CANARY_BPF_FWD_H
#define CANARY_BPF_FWD_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "fib.h"

/* How old a note may be, in jiffies (bpf_jiffies64(): a plain load once
 * JITed). tc runs microseconds after XDP; one tick covers a poll that
 * straddles a tick, and keeps a note that tc never read (its skb went
 * to another CPU) from serving a later packet of the flow. */
#define FWD_NOTE_TICKS 1

#define FWD_NOTE_MULT 0x9E3779B1u /* golden-ratio multiplier */

/* The slot of the packet @src:@sport -> @dst:@dport (IPv6: each address
 * folded to a word first): multiplicative hashing, top bits. */
static __always_inline __u32 fwd_note_index(const __be32 *src,
					    const __be32 *dst, __be16 sport,
					    __be16 dport, bool v6)
{
	__u32 s = src[0], d = dst[0], h;

	if (v6) {
		s ^= src[1] ^ src[2] ^ src[3];
		d ^= dst[1] ^ dst[2] ^ dst[3];
	}
	h = (s * FWD_NOTE_MULT) ^ d ^ ((__u32)sport << 16 | dport);
	return (h * FWD_NOTE_MULT) >> (32 - FWD_NOTE_BITS);
}

/*
 * XDP: leaves tc the note that it translated the packet of @q (source
 * and destination as sent on) with ports @sport -> @dport and passes it,
 * and that the FIB sends it by @a.
 */
static __always_inline void fwd_note_leave(const struct fib_question *q,
					   __be16 sport, __be16 dport,
					   const struct fib_answer *a)
{
	bool v6 = q->family == AF_INET6;
	__u32 idx = fwd_note_index(q->src, q->dst, sport, dport, v6);
	struct fwd_note *n = bpf_map_lookup_elem(&canary_fwdnote, &idx);
	int i;

	if (!n)
		return;
	/* Empty while being rewritten, as a FIB cache slot is. */
	n->stamp = 0;
	for (i = 0; i < (v6 ? 4 : 1); i++) {
		n->src[i] = q->src[i];
		n->dst[i] = q->dst[i];
	}
	n->sport = sport;
	n->dport = dport;
	n->family = q->family;
	n->proto = q->proto;
	n->ans = *a;
	asm volatile("" ::: "memory"); /* the stamp last */
	n->stamp = bpf_jiffies64();
}

/*
 * tc: whether XDP left a note for @p (parsed by tc); if so, copies its
 * FIB answer into @a and clears the note, which serves one packet only.
 */
static __always_inline bool fwd_note_take(const struct pkt *p,
					  struct fib_answer *a)
{
	__u32 idx = fwd_note_index(p->saddr6, p->daddr6, p->sport, p->dport,
				   p->v6);
	struct fwd_note *n = bpf_map_lookup_elem(&canary_fwdnote, &idx);
	__u64 now = bpf_jiffies64();

	if (!n || !n->stamp || now - n->stamp > FWD_NOTE_TICKS ||
	    n->sport != p->sport || n->dport != p->dport ||
	    n->proto != p->proto ||
	    n->family != (p->v6 ? AF_INET6 : AF_INET) ||
	    !(p->v6 ? addr6_eq(n->src, p->saddr6) && addr6_eq(n->dst, p->daddr6) :
		      n->src[0] == p->saddr && n->dst[0] == p->daddr))
		return false;
	*a = n->ans;
	n->stamp = 0;
	return true;
}

#endif /* CANARY_BPF_FWD_H */
