/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service lookup and endpoint selection, shared by the XDP and tc ingress
 * programs. Nothing here touches the packet.
 */
#ifndef CANARY_BPF_LB_H
#define CANARY_BPF_LB_H

#include "maps.h"
#include "parse.h"

/* What selection found. */
enum lb_result {
	LB_FLOW_HIT,    /* established flow, endpoint from the flow table */
	LB_FLOW_NEW,    /* new flow, endpoint picked and recorded */
	LB_NO_ENDPOINT, /* the service has nowhere to send this flow */
	LB_ERROR,       /* the flow could not be recorded */
};

static __always_inline struct canary_global *global_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&canary_global, &zero);
}

#define GLOBAL_INC(field)                                   \
	do {                                                \
		struct canary_global *__g = global_stats(); \
		if (__g)                                    \
			__g->field++;                       \
	} while (0)

static __always_inline struct canary_vstats *version_stats(__u32 svc_id,
							   __u32 version)
{
	__u32 idx = svc_id * CANARY_MAX_VERSIONS + version;

	return bpf_map_lookup_elem(&canary_stats, &idx);
}

/* The service packet @p is addressed to in the active generation, or NULL.
 * @gen receives that generation. */
static __always_inline struct canary_svc *lb_lookup_service(const struct pkt *p,
							    __u32 *gen)
{
	struct canary_svc_key key = {
		.vip = p->daddr,
		.port = p->dport,
		.proto = p->proto,
	};
	__u32 zero = 0, *g = bpf_map_lookup_elem(&canary_gen, &zero);

	*gen = g ? (*g & 1) : 0;
	key.gen = *gen;
	return bpf_map_lookup_elem(&canary_svc, &key);
}

/*
 * Picks an endpoint for a new flow: a version by the flow's hash against the
 * cumulative weights, then a slot of that version's Maglev ring by a second,
 * independent hash.
 */
static __always_inline int lb_pick(const struct pkt *p,
				   const struct canary_svc *svc, __u32 gen,
				   struct canary_flow *out)
{
	struct canary_ver_key vk = { .svc_id = svc->id, .gen = gen };
	struct canary_ver *ver;
	__u32 h, v, slot, idx;

	h = canary_flow_hash(p->saddr, p->daddr, p->sport, p->dport, p->proto,
			     CANARY_SEED_VERSION);
	v = canary_pick_version(h, svc->cum_bps, svc->n_versions);
	if (v >= CANARY_MAX_VERSIONS)
		return LB_NO_ENDPOINT;
	vk.version = v;
	ver = bpf_map_lookup_elem(&canary_ver, &vk);
	if (!ver || ver->n_endpoints == 0)
		return LB_NO_ENDPOINT;
	slot = canary_flow_hash(p->saddr, p->daddr, p->sport, p->dport,
				p->proto, CANARY_SEED_ENDPOINT) %
	       CANARY_RING_SIZE;
	/* clang turns % into multiply-subtract and the verifier loses the
	 * bound; the empty asm hides what clang knows so the check stays. */
	asm volatile("" : "+r"(slot));
	if (slot >= CANARY_RING_SIZE)
		return LB_NO_ENDPOINT;
	idx = ver->ring[slot];
	if (idx >= CANARY_MAX_ENDPOINTS || idx >= ver->n_endpoints)
		return LB_NO_ENDPOINT;
	out->ep_addr = ver->ep[idx].addr;
	out->ep_port = ver->ep[idx].port;
	out->version = v;
	out->svc_id = svc->id;
	return LB_FLOW_NEW;
}

/* Finds or makes the flow for @p to service @svc; fills @out. */
static __always_inline int lb_select(const struct pkt *p,
				     const struct canary_svc *svc, __u32 gen,
				     struct canary_flow *out)
{
	struct canary_flow_key fk = {
		.saddr = p->saddr,
		.daddr = p->daddr,
		.sport = p->sport,
		.dport = p->dport,
		.proto = p->proto,
	};
	struct canary_flow *f = bpf_map_lookup_elem(&canary_flow, &fk);
	int ret;

	if (f) {
		*out = *f;
		return LB_FLOW_HIT;
	}
	ret = lb_pick(p, svc, gen, out);
	if (ret != LB_FLOW_NEW)
		return ret;
	if (bpf_map_update_elem(&canary_flow, &fk, out, BPF_ANY))
		return LB_ERROR;
	return LB_FLOW_NEW;
}

/* Counts a translated packet (and a new flow) for its service and version. */
static __always_inline void lb_count(const struct canary_flow *f, __u32 len,
				     int result)
{
	struct canary_vstats *st = version_stats(f->svc_id, f->version);

	if (!st)
		return;
	st->packets++;
	st->bytes += len;
	if (result == LB_FLOW_NEW)
		st->new_flows++;
}

#endif /* CANARY_BPF_LB_H */
