/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Parsers for what users type: addresses, ports, protocols, percentages.
 * Each returns 0 or -EINVAL and, on failure, a reason in @err that names
 * the offending text, e.g. "'10.0.0.300' is not an IPv4 address".
 */
#ifndef CANARY_USER_PARSE_H
#define CANARY_USER_PARSE_H

#include <linux/types.h>
#include "core/config.h"

/* Dotted-quad IPv4 address, nothing else around it. */
int parse_ipv4(const char *s, __be32 *addr, struct canary_err *err);
/* An IPv4 or IPv6 address, nothing else around it (no brackets). */
int parse_addr(const char *s, struct canary_addr *addr, struct canary_err *err);
/* Decimal port 1..65535; result in network order. */
int parse_port(const char *s, __be16 *port, struct canary_err *err);
/* "tcp" or "udp" (case-insensitive) to CANARY_PROTO_*. */
int parse_proto(const char *s, __u8 *proto, struct canary_err *err);
/* "IP:PORT" or "[IPv6]:PORT", an endpoint. */
int parse_endpoint(const char *s, struct canary_ep_cfg *ep,
		   struct canary_err *err);
/* As parse_endpoint(), or a bare address (port 0: "10.0.0.1",
 * "2001:db8::1" or "[2001:db8::1]"), for services with a ports list. */
int parse_endpoint_or_ip(const char *s, struct canary_ep_cfg *ep,
			 struct canary_err *err);
/* "IP:PORT[/tcp|udp]" or "[IPv6]:PORT[/tcp|udp]", a service address;
 * protocol defaults to tcp. */
int parse_vip(const char *s, struct canary_addr *vip, __be16 *port,
	      __u8 *proto, struct canary_err *err);
/* A percentage 0..100 with at most two decimals ("25", "12.5", "0.01")
 * to basis points (2500, 1250, 1). */
int parse_percent(const char *s, __u16 *bps, struct canary_err *err);
/* A name for a service or version: 1..max-1 chars of [A-Za-z0-9._-],
 * starting with a letter or digit. @what is "service" or "version". */
int parse_name(const char *s, size_t max, const char *what,
	       struct canary_err *err);

/* "A.B.C.D/LEN" or "IPv6/LEN" (a bare address is /32 or /128); host bits
 * must be zero. */
int parse_cidr(const char *s, struct canary_addr *addr, __u8 *prefixlen,
	       struct canary_err *err);
/* parse_cidr() for IPv4 only (the node's pod CIDR). */
int parse_cidr4(const char *s, __be32 *addr, __u8 *prefixlen,
		struct canary_err *err);
/* parse_cidr() for IPv6 only (the node's IPv6 pod CIDR). */
int parse_cidr6(const char *s, __be32 *addr, __u8 *prefixlen,
		struct canary_err *err);
/* An IPv6 address (no brackets), nothing else around it. */
int parse_ipv6(const char *s, __be32 *addr, struct canary_err *err);
/* "none" or "client-ip" to CANARY_AFFINITY_*. */
int parse_affinity(const char *s, __u8 *affinity, struct canary_err *err);

/* Formats basis points as a percentage: 2500 -> "25", 1250 -> "12.5",
 * 1 -> "0.01". @buf needs 8 bytes. */
const char *fmt_percent(__u16 bps, char *buf, size_t len);
/* Formats an IPv4 address (network order) into @buf (16 bytes). */
const char *fmt_ipv4(__be32 addr, char *buf, size_t len);

#endif /* CANARY_USER_PARSE_H */
