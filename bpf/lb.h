/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service lookup and endpoint selection, shared by the XDP and tc ingress
 * programs and the cgroup socket hooks, written once for both address
 * families (family.h): per-family maps and keys, one path. Nothing here
 * touches the packet.
 */
#ifndef CANARY_BPF_LB_H
#define CANARY_BPF_LB_H

#include "common.h"
#include "family.h"
#include "maps.h"
#include "parse.h"
#include "flowage.h"
#include "snat.h"
#include "health.h"

/* What selection found. */
enum lb_result {
	LB_FLOW_HIT,    /* established flow, endpoint from the flow table */
	LB_FLOW_NEW,    /* new flow, endpoint picked and recorded */
	LB_NO_ENDPOINT, /* the service has nowhere to send this flow */
	LB_ERROR,       /* the flow could not be recorded */
	LB_FLOW_UNRECORDED, /* new flow, endpoint picked, not recorded: a SYN
			     * past the flood guard's rate (lb_place()) */
	LB_FLOW_AGAIN,  /* a SYN retransmitted: placed and recorded again,
			 * its handshake still the first SYN's */
};

static __always_inline struct canary_global *global_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&canary_global, &zero);
}

/*
 * Counts one event in node-wide counter @field of @g, the CPU's canary_global
 * entry (global_stats(), read once per packet). The lookup of a per-CPU
 * array at index 0 cannot fail, but the verifier does not know that: the
 * NULL check lives here, once.
 */
#define GLOBAL_INC(g, field)          \
	do {                          \
		if (g)                \
			(g)->field++; \
	} while (0)

static __always_inline struct canary_vstats *version_stats(__u32 svc_id,
							   __u32 version)
{
	__u32 idx = svc_id * CANARY_MAX_VERSIONS + version;

	return bpf_map_lookup_elem(&canary_stats, &idx);
}

/* The live generations, or NULL if user space never wrote any. */
static __always_inline struct canary_genstate *lb_genstate(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&canary_gen, &zero);
}

/* Bounds a generation number read from a map (the verifier and a
 * corrupted map alike). */
static __always_inline __u32 gen_of(__u32 g)
{
	return g < CANARY_GENERATIONS ? g : 0;
}

/* The service @p is addressed to, with its live and previous config
 * slots, or NULL. */
static __always_inline struct canary_svc_slots *lb_service(const struct pkt *p,
							   bool is6)
{
	if (is6) {
		struct canary_svc6_key k = {
			.port = p->dport,
			.proto = p->proto,
		};

		addr6_copy(k.vip, p->daddr6);
		return bpf_map_lookup_elem(&canary_svc6_v2, &k);
	}
	struct canary_svc_key k = {
		.vip = p->daddr,
		.port = p->dport,
		.proto = p->proto,
	};

	return bpf_map_lookup_elem(&canary_svc_v2, &k);
}

/*
 * Whether address @vip (IPv4, or IPv6 folded by canary_addr6_fold()) may
 * be a VIP in generation @gen of @gs: false
 * only when that generation's canary_vips bitmap, written for the flip
 * now live, has its bit clear (then canary_svc_v2 has no entry for it).
 */
static __always_inline bool lb_maybe_vip(const struct canary_genstate *gs,
					 __be32 vip, __u32 gen)
{
	struct canary_vips *v;
	__u32 bit;

	if (!gs)
		return true;
	v = bpf_map_lookup_elem(&canary_vips, &gen);
	if (!v)
		return true;
	bit = canary_vip_bit(vip);
	/* A set bit needs no trust: the lookup follows anyway. */
	if ((v->bits[bit / 64] >> (bit % 64)) & 1)
		return true;
	return v->valid != CANARY_VIPS_VALID ||
	       v->flip_ns != gs->prev_until_ns - gs->grace_ns;
}

/* The client pin of @p's source for service @svc in @gen, or NULL. */
static __always_inline struct canary_pin *lb_pin_find(const struct pkt *p,
						      const struct canary_svc *svc,
						      __u32 gen, bool is6)
{
	__be32 scope = bpf_htonl(svc->id * CANARY_GENERATIONS + gen);

	if (is6) {
		struct canary_pin6_key k = {
			.prefixlen = 32 + 128,
			.scope = scope,
		};

		addr6_copy(k.addr, p->saddr6);
		return bpf_map_lookup_elem(&canary_pins6, &k);
	}
	struct canary_pin_key k = {
		.prefixlen = 64,
		.scope = scope,
		.addr = p->saddr,
	};

	return bpf_map_lookup_elem(&canary_pins, &k);
}

/* The version a client pin sends @p to, or CANARY_MAX_VERSIONS. */
static __always_inline __u32 lb_pinned(const struct pkt *p,
				       const struct canary_svc *svc, __u32 gen,
				       __u8 *index, bool is6)
{
	struct canary_pin *pin;

	/* A socket that connects has no source address yet: pins, which
	 * match clients by address, apply to packets only. */
	if (!(svc->flags & CANARY_SVC_F_PINS) || p->sock)
		return CANARY_MAX_VERSIONS;
	pin = lb_pin_find(p, svc, gen, is6);
	if (!pin)
		return CANARY_MAX_VERSIONS;
	*index = pin->index;
	return pin->version;
}

/* The version's table if it can take new flows. */
static __always_inline union lb_ver *lb_version(__u32 svc_id, __u32 v,
						__u32 gen, bool is6)
{
	struct canary_ver_key vk = { .svc_id = svc_id, .version = v,
				     .gen = gen };
	union lb_ver *ver;

	if (v >= CANARY_MAX_VERSIONS)
		return NULL;
	ver = bpf_map_lookup_elem(FAM_MAP(is6, canary_ver, canary_ver6), &vk);
	return ver && FAM_VAL(ver, is6, n_active) ? ver : NULL;
}

/*
 * The version a new connection that picked version @v of service @svc_id
 * (generation @gen, family @is6) goes to: the first one while the guard
 * sheds @v and the first can take new flows (else @v: the canary rather
 * than nowhere). A global function: the verifier checks it once, and its
 * callers see one scalar, not the paths of its lookups at each call site
 * (about 100,000 instructions more to verify for XDP otherwise).
 */
__noinline __u32 lb_guard_version_fn(__u32 svc_id, __u32 v, __u32 gen,
				     __u32 is6)
{
	struct canary_ver_key vk = { .svc_id = svc_id, .gen = gen };
	void *map = is6 ? (void *)&canary_ver6 : (void *)&canary_ver;
	struct canary_ver6 *v6;
	struct canary_ver *v4;

	if (!guard_shed(svc_id, v))
		return v;
	if (is6) {
		v6 = bpf_map_lookup_elem(map, &vk);
		return v6 && v6->n_active ? 0 : v;
	}
	v4 = bpf_map_lookup_elem(map, &vk);
	return v4 && v4->n_active ? 0 : v;
}

/*
 * lb_guard_version_fn() for new flow @p of @svc: only for a service with
 * a guard, a version other than the first, and a new connection (a
 * socket connecting, a SYN, a UDP flow): a TCP packet without SYN is one
 * whose flow entry was lost, and stays where the hashes put it.
 */
static __always_inline __u32 lb_guard_version(const struct pkt *p,
					      const struct canary_svc *svc,
					      __u32 gen, __u32 v, bool is6)
{
	if (!v || !(svc->flags & CANARY_SVC_F_GUARD) ||
	    (p->proto == CANARY_PROTO_TCP && !p->sock &&
	     !(p->tcp_flags & TCP_FLAG_SYN)))
		return v;
	return lb_guard_version_fn(svc->id, v, gen, is6);
}


static __always_inline void lb_count_pin(__u32 svc_id, __u8 index)
{
	__u32 idx = svc_id * CANARY_MAX_PINS + index;
	__u64 *n = bpf_map_lookup_elem(&canary_pinstat, &idx);
	struct canary_global *g = global_stats();

	if (n)
		(*n)++;
	GLOBAL_INC(g, pinned);
}

/*
 * The endpoint index slot @hash % @ring_size of version @v's Maglev table
 * names, or CANARY_MAX_ENDPOINTS when there is none. Both families' version
 * tables share the ring map.
 */
static __always_inline __u32 lb_ring_index(__u32 svc_id, __u32 v, __u32 gen,
					   __u32 ring_size, __u32 n_endpoints,
					   __u32 hash)
{
	struct canary_ring_key rk = {};
	struct canary_ring *ring;
	__u32 slot, idx;

	if (!ring_size)
		return CANARY_MAX_ENDPOINTS;
	slot = hash % ring_size;
	rk.svc_id = svc_id;
	rk.version = v;
	rk.gen = gen;
	rk.chunk = slot / CANARY_RING_CHUNK;
	ring = bpf_map_lookup_elem(&canary_ring_v2, &rk);
	if (!ring)
		return CANARY_MAX_ENDPOINTS;
	idx = ring->slot[slot % CANARY_RING_CHUNK];
	if (idx >= CANARY_MAX_ENDPOINTS || idx >= n_endpoints)
		return CANARY_MAX_ENDPOINTS;
	/* clang folds the two checks above into one the verifier cannot
	 * use as a bound on idx, and would drop a C mask as redundant; this
	 * one is that bound (a no-op here). */
	asm volatile("%0 &= %1" : "+r"(idx) : "i"(CANARY_MAX_ENDPOINTS - 1));
	return idx;
}

/*
 * canary_hrw_pick() of IPv4 version @ver for endpoint hash @hash. A global
 * function: the verifier walks its loop once, not at every call site
 * (both families, XDP and tc, and the clash check's tries around it: past
 * the million-instruction limit when inlined).
 */
__noinline int lb_hrw_pick4(const struct canary_ver *ver, __u32 hash)
{
	if (!ver)
		return CANARY_MAX_ENDPOINTS;
	return canary_hrw_pick(hash, ver->ep, ver->n_endpoints);
}

/* lb_hrw_pick4() of an IPv6 version: the entry types differ in size. */
__noinline int lb_hrw_pick6(const struct canary_ver6 *ver, __u32 hash)
{
	if (!ver)
		return CANARY_MAX_ENDPOINTS;
	return canary_hrw_pick6(hash, ver->ep, ver->n_endpoints);
}

/*
 * The endpoint index of version @ver (@v of service @svc_id in slot @gen)
 * for endpoint hash @hash, or CANARY_MAX_ENDPOINTS when none takes new
 * flows. A version without a table (ring_size 0: at most CANARY_HRW_MAX
 * entries) picks by rendezvous over its entries not draining, a bounded
 * loop of one hash each; one with a table reads its Maglev slot. n_active
 * 0 (nothing draining-free, or a Local service without a pod here) has
 * no endpoint either way.
 */
static __always_inline __u32 lb_endpoint_index(__u32 svc_id, __u32 v,
					       __u32 gen,
					       const union lb_ver *ver,
					       __u32 hash, bool is6)
{
	__u32 n = FAM_VAL(ver, is6, n_endpoints), idx;

	if (!FAM_VAL(ver, is6, n_active))
		return CANARY_MAX_ENDPOINTS;
	if (FAM_VAL(ver, is6, ring_size))
		return lb_ring_index(svc_id, v, gen,
				     FAM_VAL(ver, is6, ring_size), n, hash);
	/* One entry: rendezvous names it whatever its score (if it takes
	 * new flows), so neither the score nor the call is paid for it. */
	if (n == 1)
		return FAM_VAL(ver, is6, ep[0].flags) & CANARY_EP_F_DRAINING ?
			       CANARY_MAX_ENDPOINTS : 0;
	idx = is6 ? lb_hrw_pick6(&ver->v6, hash) : lb_hrw_pick4(&ver->v4, hash);
	if (idx >= CANARY_MAX_ENDPOINTS)
		return CANARY_MAX_ENDPOINTS;
	/* As in lb_ring_index(): the bound ep[idx] needs. */
	asm volatile("%0 &= %1" : "+r"(idx) : "i"(CANARY_MAX_ENDPOINTS - 1));
	return idx;
}

/* Where lb_pick_at() found a flow's endpoint: the index into its
 * version's ep[], and the endpoint hash that named it. */
struct lb_slot {
	__u32 idx;
	__u32 hash;
};

/* Makes @out's endpoint ep[@idx] of version @ver of service @svc. A
 * multi-port service names the target port per service port. */
static __always_inline void lb_set_endpoint(union lb_flow *out,
					    const union lb_ver *ver, __u32 idx,
					    const struct canary_svc *svc,
					    bool is6)
{
	addr_copy(FAM_ADDR(out, is6, ep_addr), FAM_ADDR(ver, is6, ep[idx].addr),
		  is6);
	FAM_VAL(out, is6, ep_port) = svc->target_port ?
		svc->target_port : FAM_VAL(ver, is6, ep[idx].port);
}

/*
 * Picks an endpoint for a new flow: a client pin's version if one matches,
 * else a version by the flow's hash against the cumulative weights; then
 * an endpoint of that version by a second, independent hash
 * (lb_endpoint_index(): rendezvous, or a Maglev slot). With
 * client-IP affinity both hashes see the client address only; an IPv6
 * address enters them folded (canary_addr6_fold()).
 */
static __always_inline int lb_pick_counted(const struct pkt *p,
					   const struct canary_svc *svc,
					   __u32 gen, union lb_flow *out,
					   struct lb_slot *at, bool count_pin,
					   bool is6)
{
	__be32 saddr = addr_hashed(p->saddr6, is6);
	__be32 daddr = addr_hashed(p->daddr6, is6);
	__be16 sport = p->sport, dport = p->dport;
	union lb_ver *ver = NULL;
	__u8 pin_index = 0;
	__u32 h, v, idx;

	if (svc->flags & CANARY_SVC_F_AFFINITY)
		sport = dport = 0;
	v = lb_pinned(p, svc, gen, &pin_index, is6);
	if (v < CANARY_MAX_VERSIONS) {
		v = lb_guard_version(p, svc, gen, v, is6);
		ver = lb_version(svc->id, v, gen, is6);
	}
	if (ver) {
		if (count_pin)
			lb_count_pin(svc->id, pin_index);
	} else {
		/* No pin, or the pinned version has nowhere to go: by weight,
		 * never into a black hole. */
		h = canary_flow_hash(saddr, daddr, sport, dport, p->proto,
				     CANARY_SEED_VERSION);
		v = canary_pick_version(h, svc->cum_bps, svc->n_versions);
		v = lb_guard_version(p, svc, gen, v, is6);
		ver = lb_version(svc->id, v, gen, is6);
		if (!ver)
			return LB_NO_ENDPOINT;
	}
	at->hash = canary_flow_hash(saddr, daddr, sport, dport, p->proto,
				    CANARY_SEED_ENDPOINT);
	idx = lb_endpoint_index(svc->id, v, gen, ver, at->hash, is6);
	if (idx >= CANARY_MAX_ENDPOINTS)
		return LB_NO_ENDPOINT;
	lb_set_endpoint(out, ver, idx, svc, is6);
	FAM_VAL(out, is6, version) = v;
	FAM_VAL(out, is6, svc_id) = svc->id;
	at->idx = idx;
	return LB_FLOW_NEW;
}

/* lb_pick_counted() of a flow being placed: its pin counts it. */
static __always_inline int lb_pick_at(const struct pkt *p,
				      const struct canary_svc *svc, __u32 gen,
				      union lb_flow *out, struct lb_slot *at,
				      bool is6)
{
	return lb_pick_counted(p, svc, gen, out, at, true, is6);
}

static __always_inline int lb_pick(const struct pkt *p,
				   const struct canary_svc *svc, __u32 gen,
				   union lb_flow *out, bool is6)
{
	struct lb_slot at;

	return lb_pick_at(p, svc, gen, out, &at, is6);
}

#ifndef CANARY_CLASH_TRIES
/* Maglev slots a new flow that would clash tries next (see
 * lb_avoid_clash()): with two endpoints, all eight name the same one
 * 1 time in 256; a handful keeps the loop small for the verifier. */
#define CANARY_CLASH_TRIES 8
#endif

/*
 * The service of endpoint entry @be (the services of @ep:@ep_port) whose
 * flow from @client:@cport went to that very endpoint without source NAT,
 * service @skip_vip:@skip_port left out (@skip_vip NULL: none); NULL if
 * none. Such a flow's replies come from the endpoint straight to the
 * client (a source-NATed flow's go to this node, see snat.h): the reply
 * path finds their VIP:port so, and a new flow must not look the same to
 * the endpoint (lb_clashes()). An entry past its idle timeout counts as
 * none. @touch >= 0: the caller is the reply path, and the flow found is
 * touched (flow_touch()) with the reply's TCP flags @touch; -1: left as
 * it is.
 */
static __always_inline const union lb_backend_svc *
lb_backend_flow(const union lb_backend *be, const __be32 *client,
		__be16 cport, __u8 proto, const __be32 *ep, __be16 ep_port,
		const __be32 *skip_vip, __be16 skip_port, int touch, bool is6)
{
	void *flow_map = FAM_MAP(is6, canary_flow_v3, canary_flow6_v3);
	__u16 now = flow_now();
	union lb_flow *f;
	union lb_flow_key fk;
	const __be32 *vip;
	__be16 port;
	int i;

	/* One key, its destination changed per candidate. */
	lb_flow_key(&fk, client, client, cport, 0, proto, is6);
	for (i = 0; i < CANARY_BACKEND_SVCS; i++) {
		if (i >= FAM_VAL(be, is6, n))
			break;
		vip = FAM_ADDR(be, is6, svc[i].vip);
		port = FAM_VAL(be, is6, svc[i].port);
		if (skip_vip && addr_eq(vip, skip_vip, is6) && port == skip_port)
			continue;
		addr_copy(FAM_ADDR(&fk, is6, daddr), vip, is6);
		FAM_VAL(&fk, is6, dport) = port;
		f = bpf_map_lookup_elem(flow_map, &fk);
		if (!f || (FAM_VAL(f, is6, flags) & CANARY_FLOW_F_SNAT) ||
		    !addr_eq(FAM_ADDR(f, is6, ep_addr), ep, is6) ||
		    FAM_VAL(f, is6, ep_port) != ep_port ||
		    flow_expired(f, proto, now, is6))
			continue;
		if (touch >= 0)
			flow_touch(f, proto, touch, now, is6);
		return is6 ? (const void *)&be->v6.svc[i] :
			     (const void *)&be->v4.svc[i];
	}
	return NULL;
}

/*
 * Whether a new flow of @p to the endpoint of @f would clash: another
 * service (VIP:port) of that endpoint in generation @gen (canary_backend)
 * has a flow from the same client address:port that went to this same
 * endpoint address:port without source NAT. Seen from the endpoint the two
 * are one connection (ep:port <-> client:port), and the reply path could
 * not tell them apart. *@known tells whether the endpoint has a
 * canary_backend entry in @gen at all.
 */
static __always_inline bool lb_clashes(const struct pkt *p,
				       const union lb_flow *f, __u32 gen,
				       bool *known, bool is6)
{
	const __be32 *ep = FAM_ADDR(f, is6, ep_addr);
	__be16 ep_port = FAM_VAL(f, is6, ep_port);
	union lb_backend *be;

	be = lb_backend_find(ep, ep_port, p->proto, gen, is6);
	*known = be != NULL;
	/* This flow's own service left out: its key is the one being made. */
	return be && lb_backend_flow(be, p->saddr6, p->sport, p->proto, ep,
				     ep_port, p->daddr6, p->dport, -1, is6);
}

/*
 * Moves new flow @out (its endpoint found at @at of its version of @psvc
 * in generation @pgen) off an endpoint where it would clash
 * (lb_clashes(), asked of the current generation @gen, which the reply
 * path asks first): conntrack would refuse such a flow, we would break the
 * older one. The first other endpoint that the next slots of the same
 * table name (up to CANARY_CLASH_TRIES of them) takes the flow if it does
 * not clash too (with rendezvous: the pick for the hashes after the
 * flow's): the split holds, and only endpoints that take new flows (not
 * draining; this node's pods for traffic_policy: local) are candidates.
 * Otherwise (a version of one endpoint, or the other clashes as well) the
 * pick stays. A flow source-NATed cannot clash: its source port is its
 * own per endpoint (snat.h). @svc decides source NAT, as in lb_place().
 * A service none of whose endpoints serves another service port (no
 * CANARY_SVC_F_SHARED, the common case) is not checked at all.
 */
static __always_inline void lb_avoid_clash(const struct pkt *p,
					   const struct canary_svc *svc,
					   const struct canary_svc *psvc,
					   __u32 pgen, __u32 gen,
					   const struct canary_node *node,
					   const struct lb_slot *at,
					   union lb_flow *out, bool is6)
{
	__u32 svc_id = FAM_VAL(out, is6, svc_id);
	__u32 version = FAM_VAL(out, is6, version);
	union lb_ver *ver;
	union lb_flow c;
	bool known;
	__u32 k, j;

	if (!(svc->flags & CANARY_SVC_F_SHARED) ||
	    snat_wanted(svc, out, node, is6) ||
	    !lb_clashes(p, out, gen, &known, is6))
		return;
	ver = lb_version(svc_id, version, pgen, is6);
	if (!ver)
		return;
	/* The first other endpoint the next slots name: one candidate, so
	 * the verifier walks lb_clashes() twice per call site, not once per
	 * slot (each a loop of flow lookups: 170 ms more per load). */
	for (k = 1; k <= CANARY_CLASH_TRIES; k++) {
		j = lb_endpoint_index(svc_id, version, pgen, ver, at->hash + k,
				      is6);
		if (j < CANARY_MAX_ENDPOINTS && j != at->idx)
			break;
	}
	if (k > CANARY_CLASH_TRIES)
		return;
	/* The bound lb_endpoint_index() gives j, which clang drops across the
	 * loop's exit: the verifier needs it again for ep[j]. */
	asm volatile("%0 &= %1" : "+r"(j) : "i"(CANARY_MAX_ENDPOINTS - 1));
	lb_flow_copy(&c, out, is6);
	lb_set_endpoint(&c, ver, j, psvc, is6);
	/* Not to an endpoint the current config does not have. */
	if (snat_wanted(svc, &c, node, is6) ||
	    (!lb_clashes(p, &c, gen, &known, is6) && known))
		lb_flow_copy(out, &c, is6);
}

/* Whether the endpoint of @f serves some service in generation @gen. */
static __always_inline bool lb_endpoint_exists(const struct pkt *p,
					       const union lb_flow *f,
					       __u32 gen, bool is6)
{
	return lb_backend_find(FAM_ADDR(f, is6, ep_addr),
			       FAM_VAL(f, is6, ep_port), p->proto, gen,
			       is6) != NULL;
}

/*
 * How far CLOCK_MONOTONIC_COARSE may lag CLOCK_MONOTONIC, in ns: one tick
 * (10 ms at HZ=100, the slowest tick there is), with room for a late one.
 */
#define COARSE_LAG_NS (50 * 1000 * 1000ull)

/*
 * A TCP packet in the middle of a connection (no SYN) that has no flow
 * entry started under some config: while the service's previous slot
 * (@e) is in its grace period, it is placed by that config, not the
 * current one.
 *
 * The coarse clock (no TSC read; about 20 ns less per new flow here) is
 * never ahead of bpf_ktime_get_ns() and at most COARSE_LAG_NS behind, so
 * it decides alone outside the last COARSE_LAG_NS of the grace period;
 * only in that window is the precise clock read. The cut-off stays
 * exactly where user space put it (grace 0 means none at all).
 */
static __always_inline bool lb_use_prev(const struct pkt *p,
					const struct canary_svc_slots *e)
{
	__u64 until, now;

	if (p->proto != CANARY_PROTO_TCP || (p->tcp_flags & TCP_FLAG_SYN))
		return false;
	if (e->prev_slot == e->slot)
		return false;
	until = e->prev_until_ns;
	now = bpf_ktime_get_coarse_ns();
	if (now >= until)
		return false;
	if (now + COARSE_LAG_NS < until)
		return true;
	return bpf_ktime_get_ns() < until;
}

/*
 * The flow entry of @p into @out: true when there is one that has not
 * been idle past its timeout (flow_expired()); it is touched
 * (flow_touch()). Never for a SYN without ACK (lb_is_syn()): a new
 * connection follows the config now, whatever an ended one of the same
 * 5-tuple left in the table. Asked before the service itself: an
 * established flow's packet needs nothing else (its service's config
 * cannot take it anywhere else), so it is spared the service lookup. A
 * flow whose service or endpoint a change removed loses its entry in
 * that change's clean-up (gc_flows), right after the flip.
 */
static __always_inline bool lb_flow(const struct pkt *p, union lb_flow *out,
				    bool is6)
{
	union lb_flow_key k;
	union lb_flow *f;
	__u16 now;

	/* The key is built for a SYN too, which is never looked up: the
	 * two paths then reach placement with the same stack, and the
	 * verifier prunes one (else it walked placement twice: 364,000
	 * instructions for canary_xdp instead of 210,000). */
	lb_flow_key(&k, p->saddr6, p->daddr6, p->sport, p->dport, p->proto, is6);
	if (lb_is_syn(p))
		return false;
	f = bpf_map_lookup_elem(FAM_MAP(is6, canary_flow_v3, canary_flow6_v3),
				&k);
	if (!f)
		return false;
	now = flow_now();
	/* Past its timeout: placed anew, and the new entry replaces it. */
	if (flow_expired(f, p->proto, now, is6))
		return false;
	flow_touch(f, p->proto, p->tcp_flags, now, is6);
	lb_flow_copy(out, f, is6);
	return true;
}

/*
 * Records new flow @out of packet @p: a SYN whose handshake is followed
 * through health_syn4/6() (its state in the entry: one insert for a
 * fresh 5-tuple), anything else as it is. Returns 0, 1 for a SYN
 * retransmitted (health_syn_at()), or -1.
 */
static __always_inline int lb_record(const struct pkt *p, union lb_flow *out,
				     bool is6)
{
	union lb_flow_key k;

	if (!health_follows(p))
		return lb_flow_insert(p, out, is6) ? -1 : 0;
	lb_flow_key(&k, p->saddr6, p->daddr6, p->sport, p->dport, p->proto,
		    is6);
	return is6 ? health_syn6(&k, out) : health_syn4(&k, out);
}

/*
 * Places a packet of service @svc that has no live flow entry: a SYN
 * (never looked up, lb_is_syn()), another new flow, or one whose entry
 * was lost or aged out. The entry made replaces any there (lb_record());
 * a SYN past the flood guard's rate makes none (flow_guard_admits(),
 * LB_FLOW_UNRECORDED).
 */
static __always_inline int lb_place(const struct pkt *p,
				    const struct canary_svc_slots *e, __u32 gen,
				    const struct canary_node *node,
				    struct canary_global *g,
				    union lb_flow *out, bool is6)
{
	const struct canary_svc *svc = &e->live, *psvc = svc;
	__u32 slot = gen_of(e->slot), pslot = slot;
	int ret = LB_NO_ENDPOINT;
	struct lb_slot at = {};

	if (lb_use_prev(p, e)) {
		pslot = gen_of(e->prev_slot);
		psvc = &e->prev;
		ret = lb_pick_at(p, psvc, pslot, out, &at, is6);
		/* Not to an endpoint the current config removed outright. */
		if (ret == LB_FLOW_NEW && !lb_endpoint_exists(p, out, gen, is6))
			ret = LB_NO_ENDPOINT;
		if (ret == LB_FLOW_NEW)
			GLOBAL_INC(g, grace);
	}
	if (ret != LB_FLOW_NEW) {
		psvc = svc;
		pslot = slot;
		ret = lb_pick_at(p, svc, slot, out, &at, is6);
	}
	if (ret != LB_FLOW_NEW)
		return ret;
	lb_avoid_clash(p, svc, psvc, pslot, gen, node, &at, out, is6);
	if (snat_wanted(svc, out, node, is6) && snat_alloc(p, out, node, is6)) {
		GLOBAL_INC(g, snat_full);
		return LB_NO_ENDPOINT;
	}
	if (FAM_VAL(out, is6, flags) & CANARY_FLOW_F_SNAT)
		GLOBAL_INC(g, snat);
	/* Past the flood guard's rate a SYN is forwarded, not recorded: its
	 * SYN-ACK is matched by placement, its ACK makes the entry. Not a
	 * SNATed flow (its port needs an owner) nor one of a service whose
	 * new flows may be moved off a clash (placement would not tell). */
	if (lb_is_syn(p) && !(FAM_VAL(out, is6, flags) & CANARY_FLOW_F_SNAT) &&
	    !(svc->flags & CANARY_SVC_F_SHARED) && !flow_guard_admits())
		return LB_FLOW_UNRECORDED;
	flow_touch(out, p->proto, p->tcp_flags, flow_now(), is6);
	ret = lb_record(p, out, is6);
	if (ret < 0)
		return LB_ERROR;
	GLOBAL_INC(g, flow_inserts);
	return ret ? LB_FLOW_AGAIN : LB_FLOW_NEW;
}

/* Counts a translated packet (and a new flow) for its service and version. */
static __always_inline void lb_count(__u32 svc_id, __u32 version, __u32 len,
				     int result)
{
	struct canary_vstats *st = version_stats(svc_id, version);

	if (!st)
		return;
	st->packets++;
	st->bytes += len;
	if (result == LB_FLOW_NEW)
		st->new_flows++;
}

#endif /* CANARY_BPF_LB_H */
