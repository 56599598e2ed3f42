/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Random and mutated frames for the packet fuzzer (test_fuzz.c), IPv4
 * (fuzz.c) and IPv6 (fuzz6.c), and a user-space model of what the data
 * plane parses, to check its output against. Everything is driven by one seeded PRNG, so a failing packet is
 * reproduced by its seed and index.
 */
#ifndef CANARY_TEST_FUZZ_H
#define CANARY_TEST_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "pkt.h"
#include "pkt6.h"

/* xorshift64*: fast, and good enough to pick mutations. */
struct fuzz_rng {
	__u64 s;
};

__u64 fuzz_next(struct fuzz_rng *r);
/* Uniform in 0..n-1 (n > 0). */
__u32 fuzz_below(struct fuzz_rng *r, __u32 n);

/* A translated flow seen at the XDP output, to build replies and ICMP
 * errors about it. Addresses and ports in network order. */
struct fuzz_flow {
	__be32 client, vip, ep;
	__be16 cport, vport, eport;
	__u8 proto;
};

/* The same for an IPv6 flow. */
struct fuzz_flow6 {
	__be32 client[4], vip[4], ep[4];
	__be16 cport, vport, eport;
	__u8 proto;
};

#define FUZZ_FLOWS 256 /* recent flows kept for replies, a ring per family */

struct fuzz_flows {
	struct fuzz_flow f[FUZZ_FLOWS];
	unsigned int n; /* flows recorded so far; the ring holds the last */
	struct fuzz_flow6 f6[FUZZ_FLOWS];
	unsigned int n6;
};

void fuzz_flows_add(struct fuzz_flows *fl, const struct fuzz_flow *f);
void fuzz_flows_add6(struct fuzz_flows *fl, const struct fuzz_flow6 *f);

/* What a frame was made from, before mutation. */
enum fuzz_kind {
	FK_VIP,       /* a client's packet to a service VIP:port */
	FK_OTHER,     /* TCP/UDP to some other address or port */
	FK_REPLY,     /* an endpoint's reply on a recorded flow */
	FK_ICMP_IN,   /* an ICMP error to the VIP about a reply */
	FK_ICMP_OUT,  /* an ICMP error to a client about a translated packet */
	FK_RANDOM,    /* random bytes */
	/* The same for IPv6, and neighbour discovery or other ICMPv6. */
	FK_VIP6,
	FK_OTHER6,
	FK_REPLY6,
	FK_ICMP_IN6,
	FK_ICMP_OUT6,
	FK_ICMP6,
	FK_KINDS,
};

/*
 * Makes one frame into @buf (PKT_MAX bytes): a valid packet of a random
 * kind, then zero to three random mutations (truncation, extension, bit
 * flips, header fields, VLAN tags, IPv4 options; for IPv6 extension header
 * chains, truncation at a header boundary, IPv6 and L4 fields), and half
 * the time the IPv4, L4 and ICMP(v6) checksums fixed up again so
 * checksum-valid oddities reach the translation paths too. Returns the
 * length; @kind gets the kind.
 */
size_t fuzz_frame(struct fuzz_rng *r, const struct fuzz_flows *fl, __u8 *buf,
		  enum fuzz_kind *kind);

/* A frame as the data plane's parser sees it (bpf/parse.h). */
struct fuzz_view {
	bool v6;             /* an IPv6 ethertype, version 6 in the header */
	bool l4;             /* TCP/UDP, first fragment, ports present */
	bool icmp_err;       /* an ICMP(v6) error quoting TCP/UDP (bpf/icmp.h,
			      * bpf/icmp6.h) */
	size_t l3, l4_off;   /* offsets of the IP and L4 headers */
	size_t icmp_off;     /* the ICMP header (icmp_err only) */
	size_t q_l3, q_l4;   /* the quoted IP and L4 headers (icmp_err) */
	__u8 proto;          /* TCP/UDP (l4), the quoted one (icmp_err) */
	union {
		__be32 saddr;     /* IPv4 */
		__be32 saddr6[4]; /* IPv6 */
	};
	union {
		__be32 daddr;
		__be32 daddr6[4];
	};
	__be16 sport, dport;
	union {              /* the quoted packet's (icmp_err only) */
		__be32 q_saddr;
		__be32 q_saddr6[4];
	};
	union {
		__be32 q_daddr;
		__be32 q_daddr6[4];
	};
	__be16 q_sport, q_dport;
	bool ip_csum_ok;     /* IPv4 header checksum right; IPv6: true */
	bool l4_csum_ok;     /* L4 checksum right over tot_len (IPv4) or up
			      * to payload_len's end (IPv6), or IPv4 UDP 0
			      * (IPv6 UDP 0 never); false when that exceeds
			      * the frame */
	bool icmp_csum_ok;   /* ICMP(v6) checksum right (icmp_err only) */
	bool q_l4_csum_ok;   /* the quoted L4 checksum right, the quoted
			      * packet whole inside the outer one (icmp_err
			      * only); IPv4 UDP 0 counts */
};

struct fuzz_view fuzz_parse(const __u8 *buf, size_t len);

/* --- Shared by fuzz.c and fuzz6.c ----------------------------------- */

#define FUZZ_ETH_P_8021AD 0x88A8

__be16 fuzz_rd16(const __u8 *p);
void fuzz_wr16(__u8 *p, __u16 host);
/* Offset of the IP header by the frame's ethertype (one tag at most). */
size_t fuzz_l3_of(const __u8 *buf, size_t len);

/* A valid IPv6 frame of kind @kind (FK_VIP6..FK_ICMP6). */
size_t fuzz_frame6(struct fuzz_rng *r, const struct fuzz_flows *fl, __u8 *buf,
		   enum fuzz_kind kind);
/* One IPv6 mutation of the frame in @buf; returns the new length. */
size_t fuzz_mutate6(struct fuzz_rng *r, __u8 *buf, size_t len);
/* Fixes the L4 or ICMPv6 checksum of the IPv6 packet at @l3. */
void fuzz_fix_csums6(__u8 *buf, size_t len, size_t l3);
/* fuzz_parse() of the IPv6 packet at @v->l3 (bpf/parse.h parse_ipv6(),
 * bpf/icmp6.h parse_icmp6_err()). */
void fuzz_parse6(const __u8 *buf, size_t len, struct fuzz_view *v);

#endif /* CANARY_TEST_FUZZ_H */
