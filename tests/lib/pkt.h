/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Crafting test frames and checking what the programs made of them. */
#ifndef CANARY_TEST_PKT_H
#define CANARY_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PKT_MAX 2048

struct pkt_spec {
	__u8 proto;          /* 6 TCP, 17 UDP, anything else: raw payload */
	__be32 saddr;
	__be32 daddr;
	__u16 sport;         /* host order */
	__u16 dport;         /* host order */
	bool vlan;           /* one 802.1Q tag (VID 42) */
	int ip_opts;         /* bytes of IPv4 options (NOPs), multiple of 4 */
	int tcp_opts;        /* bytes of TCP options (NOPs), multiple of 4 */
	__u8 tcp_flags;      /* default SYN when 0 */
	bool udp_no_csum;    /* send a zero UDP checksum */
	__u16 frag_off;      /* host-order IPv4 frag_off field (flags+offset) */
	int payload;         /* payload bytes */
};

/* Builds an Ethernet frame with valid checksums; returns its length. */
size_t pkt_build(const struct pkt_spec *s, void *buf);
/* Writes @s's TCP or UDP header (checksum zero) and payload at @l4, or
 * only the payload for another protocol; returns their length. */
size_t pkt_put_l4(const struct pkt_spec *s, __u8 *l4);

struct pkt_view {
	bool ok;             /* Ethernet/[VLAN]/IPv4/TCP|UDP parsed */
	bool vlan;
	__u8 proto;
	__be32 saddr, daddr;
	__u16 sport, dport;  /* host order */
	__u8 ttl;
	__u16 l4_csum;       /* raw checksum field */
	bool ip_csum_ok;
	bool l4_csum_ok;     /* true for a zero UDP checksum */
};

/* Parses a frame and verifies its checksums. */
struct pkt_view pkt_parse(const void *buf, size_t len);

__be32 ip4(const char *s);

/* The Internet checksum of @len bytes, in host order: 0 when @data holds
 * a correct checksum field. */
__u16 pkt_csum(const void *data, size_t len);
struct iphdr;
/* The same for an L4 segment of @len bytes at @l4 with @iph's
 * pseudo-header. */
__u16 pkt_l4_csum(const struct iphdr *iph, const void *l4, size_t len);

/*
 * Builds an ICMP error (@type, @code) from @src to @dst quoting @qlen bytes
 * of the IPv4 packet in frame @quoted (its Ethernet header skipped).
 * Returns the frame length.
 */
size_t pkt_build_icmp(__be32 src, __be32 dst, __u8 type, __u8 code,
		      const void *quoted, size_t qlen, void *buf);

struct icmp_view {
	bool ok;
	__be32 saddr, daddr;            /* outer */
	bool ip_csum_ok, icmp_csum_ok;
	__be32 q_saddr, q_daddr;        /* quoted */
	__u16 q_sport, q_dport;         /* quoted, host order */
	bool q_ip_csum_ok;
	__u8 q_proto;
	__u16 q_l4_csum;                /* quoted L4 checksum field, if quoted */
	bool q_l4_whole;                /* the quote holds the whole packet */
	bool q_l4_csum_ok;              /* with q_l4_whole: its L4 checksum
					 * is right (or a zero UDP one) */
};

struct icmp_view pkt_parse_icmp(const void *buf, size_t len);

#endif /* CANARY_TEST_PKT_H */
