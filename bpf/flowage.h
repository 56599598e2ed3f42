/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flow lifecycle: which packet opens a connection, and the idle timeouts
 * of flow entries (like conntrack's and Cilium's CT; layouts and defaults
 * in include/canary.h, canary_flowcfg). An entry past its timeout counts as
 * absent everywhere: the forward path, the reply path, the clash check
 * and the SNAT port owner check.
 */
#ifndef CANARY_BPF_FLOWAGE_H
#define CANARY_BPF_FLOWAGE_H

#include "common.h"
#include "family.h"
#include "maps.h"
#include "parse.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* Whether @p opens a TCP connection: a SYN without ACK. It is placed by
 * the config now, with no flow-table lookup, and its entry replaces any
 * an earlier connection of the same 5-tuple left. */
static __always_inline bool lb_is_syn(const struct pkt *p)
{
	return p->proto == CANARY_PROTO_TCP &&
	       (p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

/* The idle timeout, in seconds, of a flow of @proto whose entry has
 * @flags (canary_flowcfg; a zero field is its default). */
static __always_inline __u32 flow_timeout(__u8 proto, __u8 flags)
{
	__u32 zero = 0, s = 0, def;
	struct canary_flowcfg *t = bpf_map_lookup_elem(&canary_flowcfg, &zero);

	if (proto != CANARY_PROTO_TCP) {
		def = CANARY_TMO_UDP_DEFAULT_S;
		s = t ? t->udp_s : 0;
	} else if (flags & CANARY_FLOW_F_CLOSING) {
		def = CANARY_TMO_CLOSING_DEFAULT_S;
		s = t ? t->tcp_closing_s : 0;
	} else {
		def = CANARY_TMO_TCP_DEFAULT_S;
		s = t ? t->tcp_s : 0;
	}
	return s ? s : def;
}

/* The kernel's tick rate, from its config at load time; 0 if unknown. */
extern int CONFIG_HZ __kconfig __weak;

/*
 * The flow clock, ns (see include/canary.h): jiffies times the tick
 * length. CONFIG_HZ is a constant the verifier knows, so the branches
 * for the other rates are dead code it removes: the common rates cost a
 * load and a multiplication. An unknown rate falls back to the slower
 * coarse clock, for every packet of this load alike.
 */
static __always_inline __u64 flow_clock_ns(void)
{
	__u64 j = bpf_jiffies64();

	switch (CONFIG_HZ) {
	case 1000:
		return j * 1000000;
	case 300:
		return j * 3333333;
	case 250:
		return j * 4000000;
	case 100:
		return j * 10000000;
	}
	if (CONFIG_HZ > 0)
		return j * (1000000000u / CONFIG_HZ);
	return bpf_ktime_get_coarse_ns();
}

/* The stamp of now (canary_stamp()). */
static __always_inline __u16 flow_now(void)
{
	return canary_stamp(flow_clock_ns());
}

/*
 * Publishes the flow clock next to CLOCK_MONOTONIC in canary_clock when
 * it entered stamp unit @now since the last time: at most one write per
 * unit, and the coarse clock read only then.
 */
static __always_inline void flow_clock_publish(__u16 now)
{
	__u32 zero = 0;
	struct canary_clock *c = bpf_map_lookup_elem(&canary_clock, &zero);

	if (!c || canary_stamp(c->flow_ns) == now)
		return;
	c->flow_ns = flow_clock_ns();
	c->mono_ns = bpf_ktime_get_coarse_ns();
}

/*
 * Whether flow entry @f (of protocol @proto), read at stamp @now, is
 * past its idle timeout: then it counts as absent. An entry seen within
 * the last stamp unit is not (the common case: no timeout read).
 */
/*
 * flow_expired() past its quick check. A global function: the verifier
 * checks it once, not again at each call site inside the loops that ask
 * it (the clash check and the reply path walk up to CANARY_BACKEND_SVCS
 * entries, each then a fork of states). Scalars only, as a global
 * function's arguments must be.
 */
__noinline int flow_stale(__u32 seen, __u32 now, __u32 flags, __u32 proto)
{
	return canary_stamp_expired(seen, now, flow_timeout(proto, flags));
}

static __always_inline bool flow_expired(const union lb_flow *f, __u8 proto,
					 __u16 now, bool is6)
{
	__u16 seen = FAM_VAL(f, is6, seen);

	if (!seen || (__u16)(now - seen) <= 1)
		return false;
	return flow_stale(seen, now, FAM_VAL(f, is6, flags), proto);
}

/*
 * A packet of the live flow entry @f went by with TCP flags @tcp_flags:
 * in place, its stamp moves to @now when a unit has passed (one write
 * per flow per 4.3 s, none per packet), and a TCP FIN or RST marks it
 * closing (the closing timeout runs from then). Both directions call
 * this: the forward path and the reply path.
 */
static __always_inline void flow_touch(union lb_flow *f, __u8 proto,
				       __u8 tcp_flags, __u16 now, bool is6)
{
	if (proto == CANARY_PROTO_TCP &&
	    (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)) &&
	    !(FAM_VAL(f, is6, flags) & CANARY_FLOW_F_CLOSING)) {
		FAM_VAL(f, is6, flags) |= CANARY_FLOW_F_CLOSING;
		FAM_VAL(f, is6, seen) = now;
	} else if (FAM_VAL(f, is6, seen) != now) {
		FAM_VAL(f, is6, seen) = now;
		flow_clock_publish(now);
	}
}

/*
 * The flood guard (include/canary.h, canary_guard): whether a SYN may be
 * recorded, as one of the first syn_rate of this CPU's current window
 * (about a second); a SYN past them is counted as skipped, and the reply
 * path told to match SYN-ACKs by placement for two more windows
 * (canary_flood, written at most once per window and CPU).
 */
static __always_inline bool flow_guard_admits(void)
{
	__u32 zero = 0, rate;
	struct canary_guard *g = bpf_map_lookup_elem(&canary_guard, &zero);
	struct canary_flowcfg *c = bpf_map_lookup_elem(&canary_flowcfg, &zero);
	struct canary_flood *fl;
	__u64 now = flow_clock_ns(), w = now >> CANARY_GUARD_SHIFT;

	if (!g)
		return true;
	rate = c && c->syn_rate ? c->syn_rate : CANARY_SYN_RATE_DEFAULT;
	if (g->window != w) {
		g->window = w;
		g->recorded = 0;
	}
	if (g->recorded < rate) {
		g->recorded++;
		return true;
	}
	g->skipped++;
	if (g->flooded == w)
		return false;
	/* The first skip of this window: the reply path takes note. */
	g->flooded = w;
	fl = bpf_map_lookup_elem(&canary_flood, &zero);
	if (fl)
		fl->until_ns = (w + 3) << CANARY_GUARD_SHIFT;
	return false;
}

/* Whether the flood guard skipped SYNs within the last two windows. */
static __always_inline bool flow_flood_now(void)
{
	__u32 zero = 0;
	struct canary_flood *fl = bpf_map_lookup_elem(&canary_flood, &zero);

	return fl && flow_clock_ns() < fl->until_ns;
}

#endif /* CANARY_BPF_FLOWAGE_H */
