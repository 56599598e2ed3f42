/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection health and the guard (include/canary.h: canary_health, the
 * handshake in a flow entry, canary_guard). Only packets that open or
 * end a connection come here: a client's SYN (or a new UDP flow) on the
 * way in, the endpoint's SYN-ACK, RST or FIN on the way back, an ICMP
 * unreachable about a UDP flow; and, from bpf/sock.h, what the kernel
 * tells of a balanced socket's connect(). An established packet pays one
 * test of its TCP flags.
 */
#ifndef CANARY_BPF_HEALTH_H
#define CANARY_BPF_HEALTH_H

#include "common.h"
#include "maps.h"
#include "family.h"
#include "flowage.h"

/* TCP flags, byte 13 of the header (struct pkt's tcp_flags). */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10
#define NS_PER_MS 1000000ull

/* Service @svc_id's version @v's outcome counters (this CPU's), made
 * all zero at its first use. */
static __always_inline struct canary_health *health_of(__u32 svc_id, __u32 v)
{
	static const struct canary_health zero;
	struct canary_health *h;
	__u32 idx;

	if (v >= CANARY_MAX_VERSIONS)
		return NULL;
	idx = svc_id * CANARY_MAX_VERSIONS + v;
	h = bpf_map_lookup_elem(&canary_health, &idx);
	if (h)
		return h;
	bpf_map_update_elem(&canary_health, &idx, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&canary_health, &idx);
}

_Static_assert((CANARY_MAX_VERSIONS & (CANARY_MAX_VERSIONS - 1)) == 0,
	       "guard_ver() masks version indexes");

/* Version @v's guard state in @g (NULL for a bad index). */
static __always_inline struct canary_svc_guard_ver *
guard_ver(struct canary_svc_guard *g, __u32 v)
{
	if (!g || !(g->flags & CANARY_GUARD_F_ON) || !g->window_ms || !v ||
	    v >= CANARY_MAX_VERSIONS)
		return NULL;
	/* A bound the verifier can use when @v is a global function's
	 * argument; clang would drop a C mask after the check above. */
	asm volatile("%0 &= %1" : "+r"(v) : "i"(CANARY_MAX_VERSIONS - 1));
	return &g->v[v];
}

/* Whether the guard of service @svc_id has shed version @v. */
static __always_inline bool guard_shed(__u32 svc_id, __u32 v)
{
	struct canary_svc_guard_ver *gv;

	gv = guard_ver(bpf_map_lookup_elem(&canary_svcguard, &svc_id), v);
	return gv && gv->shed_ns;
}

/*
 * The counts of @gv's window at @now: one u64, new connections in its low
 * half and failures in its high half (conns and failed in memory), so one
 * atomic add counts either and one exchange empties both. A window over
 * is replaced by one starting now; a CPU racing the replacement counts
 * into either window.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "guard_window() reads conns as the low half of a u64");

static __always_inline __u64 *guard_window(const struct canary_svc_guard *g,
					   struct canary_svc_guard_ver *gv,
					   __u64 now)
{
	__u64 start = gv->win_start_ns;
	__u64 *counts = (__u64 *)&gv->conns;

	if (start && (__s64)(now - start) < (__s64)g->window_ms * NS_PER_MS)
		return counts;
	if (__sync_val_compare_and_swap(&gv->win_start_ns, start, now) == start)
		__sync_lock_test_and_set(counts, 0);
	return counts;
}

/* A new connection to version @v of service @svc_id at @now (0: not
 * read yet; the clock is read only when the guard counts it). */
static __always_inline void guard_conn(__u32 svc_id, __u32 v, __u64 now)
{
	struct canary_svc_guard *g = bpf_map_lookup_elem(&canary_svcguard, &svc_id);
	struct canary_svc_guard_ver *gv = guard_ver(g, v);

	if (gv && g && !gv->shed_ns)
		__sync_fetch_and_add(guard_window(g, gv, now ? now :
						  bpf_ktime_get_ns()), 1);
}

/*
 * A failed new connection of version @v of service @svc_id at @now: counted
 * in the window, and the version shed when the window holds at least
 * min_flows new connections and more than max_fail_bps of them failed.
 * Only one CPU sheds (the exchange on shed_ns); it records the counts.
 */
static __always_inline void guard_fail(__u32 svc_id, __u32 v, __u64 now)
{
	struct canary_svc_guard *g = bpf_map_lookup_elem(&canary_svcguard, &svc_id);
	struct canary_svc_guard_ver *gv = guard_ver(g, v);
	__u64 old;
	__u32 conns, failed;

	if (!gv || !g || gv->shed_ns)
		return;
	old = __sync_fetch_and_add(guard_window(g, gv, now), 1ull << 32);
	conns = (__u32)old;
	failed = (__u32)(old >> 32) + 1;
	if (conns < g->min_flows ||
	    (__u64)failed * CANARY_BPS_TOTAL <= (__u64)g->max_fail_bps * conns)
		return;
	if (__sync_val_compare_and_swap(&gv->shed_ns, 0, now) != 0)
		return;
	gv->shed_conns = conns;
	gv->shed_failed = failed;
	__sync_fetch_and_add(&g->sheds, 1);
}

/* floor(log2(@us)) as a histogram bucket, the last one open-ended; no
 * loop, so the verifier sees a few straight branches. */
static __always_inline __u32 hs_bucket_of(__u64 us)
{
	__u32 b = 0;

	if (us >> 32) {
		b += 32;
		us >>= 32;
	}
	if (us >> 16) {
		b += 16;
		us >>= 16;
	}
	if (us >> 8) {
		b += 8;
		us >>= 8;
	}
	if (us >> 4) {
		b += 4;
		us >>= 4;
	}
	if (us >> 2) {
		b += 2;
		us >>= 2;
	}
	if (us >> 1)
		b += 1;
	return b < CANARY_HS_BUCKETS ? b : CANARY_HS_BUCKETS - 1;
}

/* A new connection of service @svc_id on version @v at @now (0: not read
 * yet): counted, and in the guard's window. */
static __always_inline void health_count_new(__u32 svc_id, __u32 v, __u64 now)
{
	struct canary_health *h = health_of(svc_id, v);

	if (h)
		h->new_conns++;
	guard_conn(svc_id, v, now);
}

#ifndef HEALTH_FLOOD_SAMPLE
/* SYNs past the flood guard's rate are counted 1 in this many per CPU,
 * with this weight (a power of 2): a flood's SYNs then cost one per-CPU
 * counter lookup in 16 (25 ns each here), and new_conns stays exact to
 * HEALTH_FLOOD_SAMPLE - 1 per CPU, its split between versions sampled. */
#define HEALTH_FLOOD_SAMPLE 16
#endif

/*
 * A new connection of service @svc_id on version @v whose SYN the flood
 * guard did not record: in the guard's window as every connection (if
 * @guarded, the service has a guard), and in new_conns by sampling
 * (HEALTH_FLOOD_SAMPLE), by the count of such SYNs the flood guard keeps
 * per CPU (canary_guard).
 */
static __always_inline void health_count_unrecorded(__u32 svc_id, __u32 v,
						    bool guarded)
{
	__u32 zero = 0;
	struct canary_guard *fg = bpf_map_lookup_elem(&canary_guard, &zero);
	struct canary_health *h;

	if (guarded)
		guard_conn(svc_id, v, 0);
	if (!fg || fg->skipped % HEALTH_FLOOD_SAMPLE)
		return;
	h = health_of(svc_id, v);
	if (h)
		h->new_conns += HEALTH_FLOOD_SAMPLE;
}

/*
 * The handshake steps, on a connection of service @svc_id, version @v, in
 * state @state (canary_hs.state) since @age_ns (its SYN's, or once OPEN
 * its SYN-ACK's time) at @now. Shared by the packet path (the state in
 * the flow entry) and socket-level balancing (canary_sockhs).
 *
 * hs_unanswered(): the connection's SYN seen again; true when it is now
 * unanswered (counted once: the caller makes it CANARY_HS_LATE), the
 * first being CANARY_SYN_TIMEOUT_MS old and still unanswered.
 */
static __always_inline bool hs_unanswered(__u32 svc_id, __u32 v, __u32 state,
					  __u64 age_ns, __u64 now)
{
	struct canary_health *h;

	if (state != CANARY_HS_SYN ||
	    age_ns < CANARY_SYN_TIMEOUT_MS * NS_PER_MS)
		return false;
	h = health_of(svc_id, v);
	if (h)
		h->unanswered++;
	guard_fail(svc_id, v, now);
	return true;
}

/* The connection answered (SYN-ACK): its handshake of @age_ns timed;
 * the caller makes it CANARY_HS_OPEN from now on. */
static __always_inline void hs_answered(__u32 svc_id, __u32 v, __u64 age_ns)
{
	struct canary_health *h = health_of(svc_id, v);
	__u64 us = age_ns / 1000;
	__u32 b = hs_bucket_of(us);

	if (!h)
		return;
	h->handshakes++;
	h->hs_us_total += us;
	/* b < CANARY_HS_BUCKETS already; the verifier wants it seen. */
	if (b < CANARY_HS_BUCKETS)
		h->hs_bucket[b]++;
}

/* The connection reset by the endpoint: refused before its SYN-ACK,
 * reset_early within CANARY_EARLY_RESET_MS after it. */
static __always_inline void hs_reset(__u32 svc_id, __u32 v, __u32 state,
				     __u64 age_ns, __u64 now)
{
	struct canary_health *h;
	bool refused = state == CANARY_HS_SYN;

	if (!refused && (state != CANARY_HS_OPEN ||
			 age_ns > CANARY_EARLY_RESET_MS * NS_PER_MS))
		return;
	h = health_of(svc_id, v);
	if (h && refused)
		h->refused++;
	else if (h)
		h->reset_early++;
	guard_fail(svc_id, v, now);
}

/* The hs_*() steps for a socket's canary_sockhs entry @e at @now. */
static __always_inline void health_unanswered(struct canary_hs *e, __u64 now)
{
	if (hs_unanswered(e->svc_id, e->version, e->state, now - e->ts_ns, now))
		e->state = CANARY_HS_LATE;
}

static __always_inline void health_answered(struct canary_hs *e, __u64 now)
{
	if (e->state == CANARY_HS_OPEN)
		return;
	hs_answered(e->svc_id, e->version, now - e->ts_ns);
	e->state = CANARY_HS_OPEN;
	e->ts_ns = now;
}

static __always_inline void health_reset(const struct canary_hs *e, __u64 now)
{
	hs_reset(e->svc_id, e->version, e->state, now - e->ts_ns, now);
}

/* The handshake state of flow entry @f: a canary_hs.state, or -1 when
 * none is followed. */
static __always_inline int flow_hs_state(const union lb_flow *f, bool is6)
{
	return (int)((FAM_VAL(f, is6, flags) & CANARY_FLOW_HS_MASK) >>
		     CANARY_FLOW_HS_SHIFT) - 1;
}

/* Sets flow entry @f's handshake to @state (-1: none), stamped @stamp. */
static __always_inline void flow_hs_set(union lb_flow *f, int state,
					__u32 stamp, bool is6)
{
	__u8 hs = ((state + 1) << CANARY_FLOW_HS_SHIFT) & CANARY_FLOW_HS_MASK;

	FAM_VAL(f, is6, flags) = (FAM_VAL(f, is6, flags) &
				  ~CANARY_FLOW_HS_MASK) | hs;
	FAM_VAL(f, is6, hs_stamp) = stamp;
}

/* How long ago, in ns, flow entry @f's handshake stamp was at @now. */
static __always_inline __u64 flow_hs_age(const union lb_flow *f, __u64 now,
					 bool is6)
{
	__u32 d = canary_hs_stamp(now) - FAM_VAL(f, is6, hs_stamp);

	return (__u64)d << CANARY_HS_STAMP_SHIFT;
}

/*
 * The SYN of a connection whose 5-tuple already has flow entry @e, placed
 * as @n: the SYN of a connection still waiting (SYN or LATE) is the
 * client's retransmission, unanswered once the first is
 * CANARY_SYN_TIMEOUT_MS old; placed on the same version of the same
 * service (not elsewhere because the guard shed the first's version), it
 * keeps the first SYN's state and time in @n. Returns 1 then, else 0:
 * a new connection (the entry is an ended one's, or an older config's).
 */
static __always_inline int flow_syn_again(union lb_flow *e, union lb_flow *n,
					  __u64 now, bool is6)
{
	int state = flow_hs_state(e, is6);
	__u32 svc_id = FAM_VAL(e, is6, svc_id), v = FAM_VAL(e, is6, version);

	if (state != CANARY_HS_SYN && state != CANARY_HS_LATE)
		return 0;
	if (hs_unanswered(svc_id, v, state, flow_hs_age(e, now, is6), now))
		state = CANARY_HS_LATE;
	if (svc_id != FAM_VAL(n, is6, svc_id) || v != FAM_VAL(n, is6, version))
		return 0;
	flow_hs_set(n, state, FAM_VAL(e, is6, hs_stamp), is6);
	return 1;
}

/*
 * Records @n, the placement of a client's SYN, as the flow entry of key
 * @k, its handshake starting now (CANARY_HS_SYN). A fresh 5-tuple's entry
 * in one insert; an entry already there (a retransmission, a reused
 * 5-tuple) is looked up only then, flow_syn_again() decides whether its
 * handshake goes on, and @n is written over it in place (the SYN placed
 * by the current config replaces any older entry, with no second
 * insert). Returns 0 for a new connection, 1 for a retransmission, -1
 * when the entry could not be made.
 */
static __always_inline int health_syn_at(union lb_flow_key *k,
					 union lb_flow *n, bool is6)
{
	void *map = FAM_MAP(is6, canary_flow_v3, canary_flow6_v3);
	__u64 now = bpf_ktime_get_ns();
	union lb_flow *e;
	int again;

	flow_hs_set(n, CANARY_HS_SYN, canary_hs_stamp(now), is6);
	if (!bpf_map_update_elem(map, k, n, BPF_NOEXIST))
		return 0;
	e = bpf_map_lookup_elem(map, k);
	if (!e) /* evicted in between */
		return bpf_map_update_elem(map, k, n, BPF_ANY) ? -1 : 0;
	again = flow_syn_again(e, n, now, is6);
	lb_flow_copy(e, n, is6);
	return again;
}

/*
 * health_syn_at() as global functions, one per family: the verifier
 * checks each once, not at each of the call sites the inlined paths would
 * give it (XDP and tc), which kept the programs' load time in bounds.
 */
__noinline int health_syn4(union lb_flow_key *k, union lb_flow *n)
{
	if (!k || !n)
		return -1;
	return health_syn_at(k, n, false);
}

__noinline int health_syn6(union lb_flow_key *k, union lb_flow *n)
{
	if (!k || !n)
		return -1;
	return health_syn_at(k, n, true);
}

/*
 * Whether the SYN @p, placed as @f, starts a handshake to follow: not
 * while the flood guard skips SYNs (flow_flood_now(), the cost of a
 * flood's SYNs stays a plain insert), so the reply path may match
 * SYN-ACKs by placement.
 */
static __always_inline bool health_follows(const struct pkt *p)
{
	return lb_is_syn(p) && !flow_flood_now();
}

/*
 * A new connection of service @svc_id on version @v: packet @p, a TCP SYN
 * or a UDP packet that made a new flow. A SYN the flood guard did not
 * record (@recorded false, flowage.h) is counted by sampling
 * (health_count_unrecorded(), the path a flood takes, with no clock read
 * unless the service's guard, which @guarded says it has, counts it); a
 * retransmitted SYN (@again, health_syn_at()) is the same connection,
 * not counted again; every other one is.
 */
static __always_inline void health_new(__u32 svc_id, __u32 v, bool recorded,
				       bool again, bool guarded)
{
	if (!recorded)
		health_count_unrecorded(svc_id, v, guarded);
	else if (!again)
		health_count_new(svc_id, v, 0);
}

/*
 * The endpoint's answer in the connection of flow key @k (the client's
 * forward key), TCP @flags, in its flow entry: a SYN-ACK times the
 * handshake, a RST before it is refused, one within
 * CANARY_EARLY_RESET_MS after it reset_early; a RST or FIN ends the
 * following (the flow's own closing is flow_touch()'s).
 */
static __always_inline void health_reply_at(union lb_flow_key *k,
					    __u32 flags, bool is6)
{
	void *map = FAM_MAP(is6, canary_flow_v3, canary_flow6_v3);
	union lb_flow *e = bpf_map_lookup_elem(map, k);
	__u32 svc_id, v;
	__u64 now, age;
	int state;

	if (!e)
		return;
	state = flow_hs_state(e, is6);
	if (state < 0)
		return;
	now = bpf_ktime_get_ns();
	age = flow_hs_age(e, now, is6);
	svc_id = FAM_VAL(e, is6, svc_id);
	v = FAM_VAL(e, is6, version);
	if (flags & (TCP_FLAG_RST | TCP_FLAG_FIN)) {
		if (flags & TCP_FLAG_RST)
			hs_reset(svc_id, v, state, age, now);
		FAM_VAL(e, is6, flags) &= ~CANARY_FLOW_HS_MASK;
	} else if ((flags & TCP_FLAG_SYN) && state != CANARY_HS_OPEN) {
		hs_answered(svc_id, v, age);
		flow_hs_set(e, CANARY_HS_OPEN, canary_hs_stamp(now), is6);
	}
}

/* health_reply_at() as global functions, one per family, as health_syn4(). */
__noinline int health_reply4(union lb_flow_key *k, __u32 flags)
{
	if (k)
		health_reply_at(k, flags, false);
	return 0;
}

__noinline int health_reply6(union lb_flow_key *k, __u32 flags)
{
	if (k)
		health_reply_at(k, flags, true);
	return 0;
}

/* health_reply() for a reply @p (endpoint -> client) of the flow from
 * @client:@cport to @vip:@vport; nothing for a packet without SYN, RST
 * or FIN, the one test an established packet pays. */
static __always_inline void health_reply_of(const struct pkt *p,
					    const __be32 *client,
					    __be16 cport, const __be32 *vip,
					    __be16 vport, bool is6)
{
	union lb_flow_key k;

	if (p->proto != CANARY_PROTO_TCP ||
	    !(p->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_FIN)))
		return;
	lb_flow_key(&k, client, vip, cport, vport, p->proto, is6);
	if (is6)
		health_reply6(&k, p->tcp_flags);
	else
		health_reply4(&k, p->tcp_flags);
}

/* The refusal of version @v of service @svc_id (an ICMP unreachable about
 * one of its UDP flows): counted, and in the guard's window. Global, as
 * health_syn4(): the ICMP paths of both families share one check. */
__noinline int health_refused_fn(__u32 svc_id, __u32 v)
{
	struct canary_health *h = health_of(svc_id, v);

	if (h)
		h->refused++;
	guard_fail(svc_id, v, bpf_ktime_get_ns());
	return 0;
}

/* An ICMP destination unreachable about UDP flow @client:@cport ->
 * @vip:@vport on its way to the client: refused. */
static __always_inline void health_unreachable(const __be32 *client,
					       __be16 cport, const __be32 *vip,
					       __be16 vport, bool is6)
{
	union lb_flow *f = lb_flow_find(client, vip, cport, vport,
					 CANARY_PROTO_UDP, is6);

	if (f)
		health_refused_fn(FAM_VAL(f, is6, svc_id),
				  FAM_VAL(f, is6, version));
}

#endif /* CANARY_BPF_HEALTH_H */
