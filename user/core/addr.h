/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * An IP address of either family, as user space keeps VIPs, endpoints and
 * pins. The maps hold IPv4 as a __be32 and IPv6 as __be32[4]; this type
 * carries either, with its family, so the config model, the parsers and
 * the printers handle both with one code path.
 */
#ifndef CANARY_USER_ADDR_H
#define CANARY_USER_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <netinet/in.h>

struct canary_addr {
	__u8 af;          /* AF_INET or AF_INET6; 0 only in a zeroed struct */
	__u8 reserved[3]; /* zero, so two addresses compare with memcmp */
	union {
		__be32 v4;    /* AF_INET */
		__be32 v6[4]; /* AF_INET6 */
	};
};

/* Longest text form, NUL included (an IPv6 address). */
#define CANARY_ADDR_STRLEN INET6_ADDRSTRLEN

static inline struct canary_addr addr_v4(__be32 a)
{
	struct canary_addr r = { .af = AF_INET };

	r.v4 = a;
	return r;
}

static inline struct canary_addr addr_v6(const __be32 *a)
{
	struct canary_addr r = { .af = AF_INET6 };

	r.v6[0] = a[0];
	r.v6[1] = a[1];
	r.v6[2] = a[2];
	r.v6[3] = a[3];
	return r;
}

static inline bool addr_is_v6(const struct canary_addr *a)
{
	return a->af == AF_INET6;
}

/* Whether @a is unset: a zeroed struct, 0.0.0.0 or ::. */
bool addr_is_unset(const struct canary_addr *a);
/* Total order: IPv4 before IPv6, then by address bytes (network order). */
int addr_cmp(const struct canary_addr *x, const struct canary_addr *y);
bool addr_eq(const struct canary_addr *x, const struct canary_addr *y);
/* Bits in an address of @a's family: 32 or 128. */
int addr_bits(const struct canary_addr *a);
/* Whether @a lies in @net/@len (false across families). */
bool addr_in_prefix(const struct canary_addr *a, const struct canary_addr *net,
		    int len);
/* Whether @a has no bits set past the first @len. */
bool addr_host_bits_zero(const struct canary_addr *a, int len);
/* Text form ("10.0.0.1", "2001:db8::1") into @buf (CANARY_ADDR_STRLEN). */
const char *addr_str(const struct canary_addr *a, char *buf, size_t len);
/* The address and port as users write them: "10.0.0.1:80",
 * "[2001:db8::1]:80". @buf needs CANARY_ADDR_STRLEN + 8. */
const char *addr_port_str(const struct canary_addr *a, __u16 port, char *buf,
			  size_t len);
/* Strict text to address: an IPv4 dotted quad or an IPv6 address
 * (inet_pton), nothing around it. 0 or -EINVAL. */
int addr_from_str(const char *s, struct canary_addr *out);
/* The 32 bits the flow hashes and the Maglev permutation take: the IPv4
 * address, or canary_addr6_fold() of an IPv6 one. */
__be32 addr_hash_word(const struct canary_addr *a);

#define ADDR_STR(a) addr_str((a), (char[CANARY_ADDR_STRLEN]){0}, CANARY_ADDR_STRLEN)

#endif /* CANARY_USER_ADDR_H */
