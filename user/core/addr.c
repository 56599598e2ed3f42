// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "canary.h"
#define CANARY_INLINE static inline
#include "canary_hash.h"

int addr_bits(const struct canary_addr *a)
{
	return addr_is_v6(a) ? 128 : 32;
}

static const void *addr_bytes(const struct canary_addr *a)
{
	return addr_is_v6(a) ? (const void *)a->v6 : (const void *)&a->v4;
}

bool addr_is_unset(const struct canary_addr *a)
{
	static const __u8 zero[16];

	if (a->af != AF_INET && a->af != AF_INET6)
		return true;
	return !memcmp(addr_bytes(a), zero, addr_bits(a) / 8);
}

int addr_cmp(const struct canary_addr *x, const struct canary_addr *y)
{
	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	return memcmp(addr_bytes(x), addr_bytes(y), addr_bits(x) / 8);
}

bool addr_eq(const struct canary_addr *x, const struct canary_addr *y)
{
	return addr_cmp(x, y) == 0;
}

/* Whether the first @len bits of @x and @y agree (bytes, network order). */
static bool prefix_eq(const __u8 *x, const __u8 *y, int len)
{
	int full = len / 8, rest = len % 8;

	if (memcmp(x, y, full))
		return false;
	if (!rest)
		return true;
	return ((x[full] ^ y[full]) & (0xff << (8 - rest))) == 0;
}

bool addr_in_prefix(const struct canary_addr *a, const struct canary_addr *net,
		    int len)
{
	if (a->af != net->af || len < 0 || len > addr_bits(a))
		return false;
	return prefix_eq(addr_bytes(a), addr_bytes(net), len);
}

bool addr_host_bits_zero(const struct canary_addr *a, int len)
{
	const __u8 *b = addr_bytes(a);
	int i, bits = addr_bits(a);

	if (len < 0 || len > bits)
		return false;
	for (i = len; i < bits; i++)
		if (b[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

const char *addr_str(const struct canary_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(addr_is_v6(a) ? AF_INET6 : AF_INET, addr_bytes(a), buf,
		       len))
		snprintf(buf, len, "?");
	return buf;
}

const char *addr_port_str(const struct canary_addr *a, __u16 port, char *buf,
			  size_t len)
{
	char ip[CANARY_ADDR_STRLEN];

	addr_str(a, ip, sizeof(ip));
	snprintf(buf, len, addr_is_v6(a) ? "[%s]:%u" : "%s:%u", ip, port);
	return buf;
}

int addr_from_str(const char *s, struct canary_addr *out)
{
	struct canary_addr a = {};

	if (inet_pton(AF_INET, s, &a.v4) == 1) {
		a.af = AF_INET;
	} else if (strchr(s, ':') && inet_pton(AF_INET6, s, a.v6) == 1) {
		a.af = AF_INET6;
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

__be32 addr_hash_word(const struct canary_addr *a)
{
	return addr_is_v6(a) ? canary_addr6_fold(a->v6) : a->v4;
}
