/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Random and mutated frames for the packet fuzzer (test_fuzz.c), and a
 * user-space model of what the data plane parses, to check its output
 * against. Everything is driven by one seeded PRNG, so a failing packet is
 * reproduced by its seed and index.
 */
#ifndef CANARY_TEST_FUZZ_H
#define CANARY_TEST_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "pkt.h"

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

#define FUZZ_FLOWS 256 /* recent flows kept for replies, a ring */

struct fuzz_flows {
	struct fuzz_flow f[FUZZ_FLOWS];
	unsigned int n; /* flows recorded so far; the ring holds the last */
};

void fuzz_flows_add(struct fuzz_flows *fl, const struct fuzz_flow *f);

/* What a frame was made from, before mutation. */
enum fuzz_kind {
	FK_VIP,       /* a client's packet to a service VIP:port */
	FK_OTHER,     /* TCP/UDP to some other address or port */
	FK_REPLY,     /* an endpoint's reply on a recorded flow */
	FK_ICMP_IN,   /* an ICMP error to the VIP about a reply */
	FK_ICMP_OUT,  /* an ICMP error to a client about a translated packet */
	FK_RANDOM,    /* random bytes */
	FK_KINDS,
};

/*
 * Makes one frame into @buf (PKT_MAX bytes): a valid packet of a random
 * kind, then zero to three random mutations (truncation, extension, bit
 * flips, header fields, VLAN tags, IPv4 options), and half the time the
 * IPv4 and L4 checksums fixed up again so checksum-valid oddities reach
 * the translation paths too. Returns the length; @kind gets the kind.
 */
size_t fuzz_frame(struct fuzz_rng *r, const struct fuzz_flows *fl, __u8 *buf,
		  enum fuzz_kind *kind);

/* A frame as the data plane's parser sees it (bpf/parse.h). */
struct fuzz_view {
	bool l4;             /* IPv4 TCP/UDP, first fragment, ports present */
	bool icmp_err;       /* an ICMP error quoting TCP/UDP (bpf/icmp.h) */
	size_t l3, l4_off;   /* offsets of the IPv4 and L4 headers */
	__u8 proto;
	__be32 saddr, daddr;
	__be16 sport, dport;
	bool ip_csum_ok;     /* IPv4 header checksum right */
	bool l4_csum_ok;     /* L4 checksum right over tot_len, or UDP 0;
			      * false when tot_len exceeds the frame */
	bool icmp_csum_ok;   /* ICMP checksum right (icmp_err only) */
};

struct fuzz_view fuzz_parse(const __u8 *buf, size_t len);

#endif /* CANARY_TEST_FUZZ_H */
