/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Crafting IPv6 test frames (pkt.h's twin) and checking the programs'
 * output: TCP/UDP with optional extension headers, and ICMPv6 errors. */
#ifndef CANARY_TEST_PKT6_H
#define CANARY_TEST_PKT6_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "pkt.h"

struct pkt6_spec {
	__u8 proto;          /* 6 TCP, 17 UDP, 58 ICMPv6 (raw payload) */
	__be32 saddr[4];
	__be32 daddr[4];
	__u16 sport, dport;  /* host order */
	bool vlan;           /* one 802.1Q tag */
	/* Extension headers before the L4 header, in order: 0 hop-by-hop,
	 * 60 destination options (8 bytes each), 44 fragment. */
	__u8 ext[4];
	int n_ext;
	__u16 frag_off;      /* fragment offset in 8-byte units (fragment hdr) */
	__u8 tcp_flags;      /* default SYN when 0 */
	__u8 icmp_type;      /* with proto 58 */
	int payload;         /* payload bytes */
};

/* Builds an Ethernet frame with valid checksums; returns its length. */
size_t pkt6_build(const struct pkt6_spec *s, void *buf);

struct pkt6_view {
	bool ok;             /* Ethernet/[VLAN]/IPv6/[ext]/TCP|UDP parsed */
	__u8 proto;
	__be32 saddr[4], daddr[4];
	__u16 sport, dport;  /* host order */
	__u8 hop_limit;
	bool l4_csum_ok;
};

/* Parses a frame (skipping the extension headers pkt6_build writes) and
 * verifies its L4 checksum. */
struct pkt6_view pkt6_parse(const void *buf, size_t len);

/* The L4 checksum over the IPv6 pseudo-header (@src, @dst, @proto, length
 * @len) and @len bytes at @l4, in host order: 0 when the data's checksum
 * is right (pkt_l4_csum()'s twin). */
__u16 pkt6_l4_csum(const __be32 *src, const __be32 *dst, __u8 proto,
		   const void *l4, size_t len);

/* An IPv6 address from text; all zero if it does not parse. */
void ip6(const char *s, __be32 *out);
bool ip6_eq(const __be32 *a, const __be32 *b);

/*
 * Builds an ICMPv6 error (@type, @code, @info: the MTU for packet too
 * big) from @src to @dst quoting @qlen bytes of the IPv6 packet in frame
 * @quoted (Ethernet header skipped). Returns the frame length.
 */
size_t pkt6_build_icmp(const __be32 *src, const __be32 *dst, __u8 type,
		       __u8 code, __u32 info, const void *quoted, size_t qlen,
		       void *buf);

struct icmp6_view {
	bool ok;
	__be32 saddr[4], daddr[4];      /* outer */
	bool icmp_csum_ok;
	__be32 q_saddr[4], q_daddr[4];  /* quoted */
	__u16 q_sport, q_dport;         /* quoted, host order */
	bool q_l4_csum_ok;              /* over the whole quoted segment */
};

struct icmp6_view pkt6_parse_icmp(const void *buf, size_t len);

#endif /* CANARY_TEST_PKT6_H */
