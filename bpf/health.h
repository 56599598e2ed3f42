/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection health and the guard (include/canary.h: canary_health,
 * canary_hs, canary_guard). Only packets that open or end a connection
 * come here: a client's SYN (or a new UDP flow) on the way in, the
 * endpoint's SYN-ACK, RST or FIN on the way back, an ICMP unreachable
 * about a UDP flow; and, from bpf/sock.h, what the kernel tells of a
 * balanced socket's connect(). An established packet pays one test of its
 * TCP flags.
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

static __always_inline void *hs_map(bool is6)
{
	return FAM_MAP(is6, canary_hs, canary_hs6);
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

/* Connection @e's SYN seen again at @now: unanswered (once) if the first
 * is CANARY_SYN_TIMEOUT_MS old and still unanswered. */
static __always_inline void health_unanswered(struct canary_hs *e, __u64 now)
{
	struct canary_health *h;

	if (e->state != CANARY_HS_SYN ||
	    now - e->ts_ns < CANARY_SYN_TIMEOUT_MS * NS_PER_MS)
		return;
	e->state = CANARY_HS_LATE;
	h = health_of(e->svc_id, e->version);
	if (h)
		h->unanswered++;
	guard_fail(e->svc_id, e->version, now);
}

/* A timed handshake of @dt_ns into @h. */
static __always_inline void health_handshake(struct canary_health *h,
					     __u64 dt_ns)
{
	__u64 us = dt_ns / 1000;
	__u32 b = hs_bucket_of(us);

	h->handshakes++;
	h->hs_us_total += us;
	/* b < CANARY_HS_BUCKETS already; the verifier wants it seen. */
	if (b < CANARY_HS_BUCKETS)
		h->hs_bucket[b]++;
}

/* Connection @e answered (SYN-ACK) at @now: its handshake timed once. */
static __always_inline void health_answered(struct canary_hs *e, __u64 now)
{
	struct canary_health *h;

	if (e->state == CANARY_HS_OPEN)
		return;
	h = health_of(e->svc_id, e->version);
	if (h)
		health_handshake(h, now - e->ts_ns);
	e->state = CANARY_HS_OPEN;
	e->ts_ns = now;
}

/* Connection @e reset by the endpoint at @now: refused before its
 * SYN-ACK, reset_early within CANARY_EARLY_RESET_MS after it. */
static __always_inline void health_reset(const struct canary_hs *e, __u64 now)
{
	struct canary_health *h = health_of(e->svc_id, e->version);
	bool refused = e->state == CANARY_HS_SYN;

	if (!refused && (e->state != CANARY_HS_OPEN ||
			 now - e->ts_ns > CANARY_EARLY_RESET_MS * NS_PER_MS))
		return;
	if (h && refused)
		h->refused++;
	else if (h)
		h->reset_early++;
	guard_fail(e->svc_id, e->version, now);
}

/*
 * A client's SYN of connection @k (its forward key, of the family @is6)
 * placed on version @v of service @svc_id: its handshake starts
 * (canary_hs). The SYN of a connection already waiting is the client's
 * retransmission: unanswered once the first is CANARY_SYN_TIMEOUT_MS old.
 *
 * A global function, as health_reply_fn(): the verifier checks it once,
 * not at each of the call sites the inlined paths would give it (both
 * families, XDP and tc), which kept the programs' load time in bounds.
 */
__noinline int health_syn_fn(union lb_flow_key *k, __u32 svc_id, __u32 v,
			     __u32 is6)
{
	void *map = is6 ? (void *)&canary_hs6 : (void *)&canary_hs;
	struct canary_hs *e, n = {};
	__u64 now = bpf_ktime_get_ns();

	if (!k)
		return 0;
	n.ts_ns = now;
	n.svc_id = svc_id;
	n.version = v;
	/* A fresh connection's entry in one walk of its bucket; the lookup
	 * only when one is there (a retransmission, a reused 5-tuple). */
	if (bpf_map_update_elem(map, k, &n, BPF_NOEXIST)) {
		e = bpf_map_lookup_elem(map, k);
		if (e && e->state != CANARY_HS_OPEN) {
			/* The first SYN's fate first: a retransmission
			 * placed elsewhere (the guard shed its version) is
			 * a new attempt. */
			health_unanswered(e, now);
			if (e->svc_id == svc_id && e->version == v)
				return 0;
		}
		bpf_map_update_elem(map, k, &n, BPF_ANY);
	}
	health_count_new(svc_id, v, now);
	return 0;
}

/*
 * A new connection of service @svc_id on version @v: packet @p, a TCP SYN
 * (health_syn_fn()) or a UDP packet that made a new flow. A SYN the flood
 * guard did not record (@recorded false, flowage.h) is counted by
 * sampling (health_count_unrecorded(), the path a flood takes, with no
 * clock read unless the service's guard, which @guarded says it has,
 * counts it); every other SYN while the guard skips SYNs is counted:
 * neither has its handshake followed (no canary_hs entry made).
 */
static __always_inline void health_new(const struct pkt *p, __u32 svc_id,
				       __u32 v, bool recorded, bool guarded,
				       bool is6)
{
	union lb_flow_key k;

	if (!recorded) {
		health_count_unrecorded(svc_id, v, guarded);
		return;
	}
	if (p->proto != CANARY_PROTO_TCP || flow_flood_now()) {
		health_count_new(svc_id, v, 0);
		return;
	}
	lb_flow_key(&k, p->saddr6, p->daddr6, p->sport, p->dport, p->proto,
		    is6);
	health_syn_fn(&k, svc_id, v, is6);
}

/*
 * The endpoint's answer in connection @k (the client's forward key),
 * TCP @flags: a SYN-ACK times the handshake, a RST before it is refused,
 * one within CANARY_EARLY_RESET_MS after it reset_early; a RST or FIN
 * ends the tracking. Global, as health_syn_fn().
 */
__noinline int health_reply_fn(union lb_flow_key *k, __u32 flags, __u32 is6)
{
	void *map = is6 ? (void *)&canary_hs6 : (void *)&canary_hs;
	struct canary_hs *e;
	__u64 now;

	if (!k)
		return 0;
	e = bpf_map_lookup_elem(map, k);
	if (!e)
		return 0;
	now = bpf_ktime_get_ns();
	if (flags & (TCP_FLAG_RST | TCP_FLAG_FIN)) {
		if (flags & TCP_FLAG_RST)
			health_reset(e, now);
		bpf_map_delete_elem(map, k);
	} else if (flags & TCP_FLAG_SYN) {
		health_answered(e, now);
	}
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
	health_reply_fn(&k, p->tcp_flags, is6);
}

/* The refusal of version @v of service @svc_id (an ICMP unreachable about
 * one of its UDP flows): counted, and in the guard's window. Global, as
 * health_syn_fn(): the ICMP paths of both families share one check. */
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
