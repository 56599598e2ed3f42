/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One load-balancing path for both address families (after katran's
 * process_packet(xdp, off, is_ipv6)). Every helper takes a bool @is6 that
 * is a literal false or true at the call site of the program's entry into
 * the family-generic code; all helpers are __always_inline, so clang folds
 * the constant and each family keeps a straight path of its own, through
 * maps of its own: IPv4 keys stay small and the map layouts of
 * include/canary.h are those of the per-family code.
 *
 * Addresses are __be32[4] in which IPv4 uses word 0 (struct pkt's
 * saddr6/daddr6 union). A map value of either family is a union of its
 * two layouts, read through FAM_VAL() and FAM_ADDR(); keys are built into
 * locals of the family's own key type, inside `if (is6)`.
 */
#ifndef CANARY_BPF_FAMILY_H
#define CANARY_BPF_FAMILY_H

#include "common.h"
#include "maps.h"
#include "parse.h"

/* Field @field of union @u (pointer) of the family @is6: an lvalue. */
#define FAM_VAL(u, is6, field) (*((is6) ? &(u)->v6.field : &(u)->v4.field))
/* Address field @field of union @u as a __be32 pointer (IPv4: 1 word). */
#define FAM_ADDR(u, is6, field) ((is6) ? (u)->v6.field : &(u)->v4.field)
/* The map of the family @is6 of a pair of twins. */
#define FAM_MAP(is6, m4, m6) ((is6) ? (void *)&(m6) : (void *)&(m4))

union lb_flow {
	struct canary_flow v4;
	struct canary_flow6 v6;
};

union lb_ver {
	struct canary_ver v4;
	struct canary_ver6 v6;
};

union lb_backend {
	struct canary_backend v4;
	struct canary_backend6 v6;
};

union lb_backend_svc {
	struct canary_backend_svc v4;
	struct canary_backend6_svc v6;
};

union lb_snat {
	struct canary_snat v4;
	struct canary_snat6 v6;
};

union lb_snat_key {
	struct canary_snat_key v4;
	struct canary_snat6_key v6;
};

static __always_inline void addr_copy(__be32 *dst, const __be32 *src, bool is6)
{
	if (is6)
		addr6_copy(dst, src);
	else
		dst[0] = src[0];
}

static __always_inline bool addr_eq(const __be32 *a, const __be32 *b, bool is6)
{
	return is6 ? addr6_eq(a, b) : a[0] == b[0];
}

static __always_inline bool addr_zero(const __be32 *a, bool is6)
{
	return is6 ? (a[0] | a[1] | a[2] | a[3]) == 0 : a[0] == 0;
}

/* Whether @a is in the network @net/@mask. */
static __always_inline bool addr_in(const __be32 *a, const __be32 *net,
				    const __be32 *mask, bool is6)
{
	if (!is6)
		return (a[0] & mask[0]) == net[0];
	return (((a[0] & mask[0]) ^ net[0]) | ((a[1] & mask[1]) ^ net[1]) |
		((a[2] & mask[2]) ^ net[2]) | ((a[3] & mask[3]) ^ net[3])) == 0;
}

/* The 32 bits the hashes take of address @a (canary_addr6_fold()). */
static __always_inline __be32 addr_hashed(const __be32 *a, bool is6)
{
	return is6 ? canary_addr6_fold(a) : a[0];
}

/* Copies flow value @src into @dst, only the family's bytes. */
static __always_inline void lb_flow_copy(union lb_flow *dst,
					 const union lb_flow *src, bool is6)
{
	if (is6)
		dst->v6 = src->v6;
	else
		dst->v4 = src->v4;
}

union lb_flow_key {
	struct canary_flow_key v4;
	struct canary_flow6_key v6;
};

/* Into @k (the family's member only): the flow key of @saddr:@sport ->
 * @daddr:@dport over @proto. */
static __always_inline void lb_flow_key(union lb_flow_key *k,
					const __be32 *saddr,
					const __be32 *daddr, __be16 sport,
					__be16 dport, __u8 proto, bool is6)
{
	if (is6) {
		k->v6 = (struct canary_flow6_key){
			.sport = sport,
			.dport = dport,
			.proto = proto,
		};
		addr6_copy(k->v6.saddr, saddr);
		addr6_copy(k->v6.daddr, daddr);
		return;
	}
	k->v4 = (struct canary_flow_key){
		.saddr = saddr[0],
		.daddr = daddr[0],
		.sport = sport,
		.dport = dport,
		.proto = proto,
	};
}

/* The flow entry of @saddr:@sport -> @daddr:@dport over @proto, or NULL. */
static __always_inline union lb_flow *lb_flow_find(const __be32 *saddr,
						   const __be32 *daddr,
						   __be16 sport, __be16 dport,
						   __u8 proto, bool is6)
{
	union lb_flow_key k;

	lb_flow_key(&k, saddr, daddr, sport, dport, proto, is6);
	return bpf_map_lookup_elem(
		FAM_MAP(is6, canary_flow_v3, canary_flow6_v3), &k);
}

/* Records @f as the flow entry of packet @p. Returns the update's result. */
static __always_inline long lb_flow_insert(const struct pkt *p,
					   const union lb_flow *f, bool is6)
{
	if (is6) {
		struct canary_flow6_key k = {
			.sport = p->sport,
			.dport = p->dport,
			.proto = p->proto,
		};

		addr6_copy(k.saddr, p->saddr6);
		addr6_copy(k.daddr, p->daddr6);
		return bpf_map_update_elem(&canary_flow6_v3, &k, &f->v6,
					   BPF_ANY);
	}
	struct canary_flow_key k = {
		.saddr = p->saddr,
		.daddr = p->daddr,
		.sport = p->sport,
		.dport = p->dport,
		.proto = p->proto,
	};

	return bpf_map_update_elem(&canary_flow_v3, &k, &f->v4, BPF_ANY);
}

/* The canary_backend(6) entry of endpoint @addr:@port in generation @gen. */
static __always_inline union lb_backend *lb_backend_find(const __be32 *addr,
							 __be16 port, __u8 proto,
							 __u32 gen, bool is6)
{
	if (is6) {
		struct canary_backend6_key k = {
			.port = port,
			.proto = proto,
			.gen = gen,
		};

		addr6_copy(k.addr, addr);
		return bpf_map_lookup_elem(&canary_backend6, &k);
	}
	struct canary_backend_key k = {
		.addr = addr[0],
		.port = port,
		.proto = proto,
		.gen = gen,
	};

	return bpf_map_lookup_elem(&canary_backend, &k);
}

#endif /* CANARY_BPF_FAMILY_H */
