// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Parsers and formatters for what users type and read. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/parse.h"

/* Longest "[IPv6]:PORT/proto" we accept, NUL included. */
#define TEXT_MAX 64

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Copies @s into @buf, failing (with a message) if it does not fit. */
static int copy_text(const char *s, char *buf, size_t len, const char *what,
		     struct canary_err *err)
{
	if (strlen(s) >= len)
		return cerr_set(err, "'%.40s...' is too long for %s", s, what);
	strcpy(buf, s);
	return 0;
}

int parse_ipv4(const char *s, __be32 *addr, struct canary_err *err)
{
	struct in_addr in;

	/* glibc's inet_pton() takes exactly four decimal octets, no leading
	 * zeros and nothing around them, unlike inet_aton(). */
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return cerr_set(err, "'%s' is not an IPv4 address", s ? s : "");
	*addr = in.s_addr;
	return 0;
}

/*
 * Text with a colon can only be meant as IPv6; without one it keeps the
 * IPv4 message, so what users of IPv4 see does not change.
 */
int parse_addr(const char *s, struct canary_addr *addr, struct canary_err *err)
{
	if (!s || !strchr(s, ':')) {
		struct canary_addr a = { .af = AF_INET };
		int ret = parse_ipv4(s, &a.v4, err);

		if (!ret)
			*addr = a;
		return ret;
	}
	if (addr_from_str(s, addr) || !addr_is_v6(addr))
		return cerr_set(err, "'%s' is not an IP address", s);
	return 0;
}

int parse_port(const char *s, __be16 *port, struct canary_err *err)
{
	unsigned long v;
	size_t len = s ? strlen(s) : 0;

	if (!all_digits(s, len) || len > 5)
		return cerr_set(err, "'%s' is not a valid port (1-65535)",
				s ? s : "");
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > 65535)
		return cerr_set(err, "'%s' is not a valid port (1-65535)", s);
	*port = htons((__u16)v);
	return 0;
}

int parse_proto(const char *s, __u8 *proto, struct canary_err *err)
{
	if (s && !strcasecmp(s, "tcp"))
		*proto = CANARY_PROTO_TCP;
	else if (s && !strcasecmp(s, "udp"))
		*proto = CANARY_PROTO_UDP;
	else
		return cerr_set(err, "'%s' is not a protocol (tcp or udp)",
				s ? s : "");
	return 0;
}

/*
 * Splits "IP:PORT" or "[IPv6]:PORT" in @buf (a copy of @orig) into its
 * address and port texts. An IPv6 address needs the brackets: without
 * them its last group could be read as the port.
 */
static int split_host_port(char *buf, const char *orig, const char *what,
			   char **host, char **port, struct canary_err *err)
{
	char *close, *colon;

	if (buf[0] == '[') {
		close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return cerr_set(err, "'%s' is not %s ([IPv6]:PORT)",
					orig, what);
		*close = '\0';
		*host = buf + 1;
		*port = close + 2;
		return 0;
	}
	colon = strchr(buf, ':');
	if (!colon)
		return cerr_set(err, "'%s' is not %s (IP:PORT)", orig, what);
	/* "2001:db8::1:80": an IPv6 address without brackets (an IPv4
	 * host part has dots, and then what follows is the port). */
	if (strchr(colon + 1, ':') && !memchr(buf, '.', colon - buf))
		return cerr_set(err, "'%s' is not %s (write an IPv6 address "
				"in brackets: [IPv6]:PORT)", orig, what);
	*colon = '\0';
	*host = buf;
	*port = colon + 1;
	return 0;
}

/* Parses "IP:PORT" or "[IPv6]:PORT" in @buf into its two halves. */
static int parse_ip_port(char *buf, const char *orig, const char *what,
			 struct canary_addr *addr, __be16 *port,
			 struct canary_err *err)
{
	char *host = NULL, *ptext = NULL;
	int ret;

	ret = split_host_port(buf, orig, what, &host, &ptext, err);
	if (!ret)
		ret = parse_addr(host, addr, err);
	if (!ret && buf[0] == '[' && !addr_is_v6(addr))
		ret = cerr_set(err, "'%s' is not %s (brackets are for IPv6 "
			       "addresses only)", orig, what);
	return ret ? ret : parse_port(ptext, port, err);
}

int parse_endpoint(const char *s, struct canary_ep_cfg *ep,
		   struct canary_err *err)
{
	char buf[TEXT_MAX];
	int ret;

	if (!s)
		s = "";
	ret = copy_text(s, buf, sizeof(buf), "an endpoint", err);
	if (ret)
		return ret;
	memset(ep, 0, sizeof(*ep));
	return parse_ip_port(buf, s, "an endpoint", &ep->addr, &ep->port, err);
}

int parse_vip(const char *s, struct canary_addr *vip, __be16 *port,
	      __u8 *proto, struct canary_err *err)
{
	char buf[TEXT_MAX];
	char *slash;
	int ret;

	if (!s)
		s = "";
	ret = copy_text(s, buf, sizeof(buf), "a service address", err);
	if (ret)
		return ret;
	*proto = CANARY_PROTO_TCP;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		ret = parse_proto(slash + 1, proto, err);
		if (ret)
			return ret;
	}
	return parse_ip_port(buf, s, "a service address", vip, port, err);
}

/*
 * "25%" is rejected rather than accepted: one spelling keeps YAML files and
 * scripts uniform, and the message says what to write instead.
 */
int parse_percent(const char *s, __u16 *bps, struct canary_err *err)
{
	const char *dot;
	size_t ilen, flen;
	unsigned long v;

	if (!s)
		s = "";
	if (*s && s[strlen(s) - 1] == '%')
		return cerr_set(err, "'%s' is not a percentage (write %.*s, without '%%')",
				s, (int)strlen(s) - 1, s);
	dot = strchr(s, '.');
	ilen = dot ? (size_t)(dot - s) : strlen(s);
	flen = dot ? strlen(dot + 1) : 0;
	if (!all_digits(s, ilen) || (dot && !all_digits(dot + 1, flen)) ||
	    ilen > 3)
		return cerr_set(err, "'%s' is not a percentage (0-100, e.g. 25 or 12.5)", s);
	if (flen > 2)
		return cerr_set(err, "'%s' has more than two decimals", s);
	v = strtoul(s, NULL, 10) * 100;
	if (flen)
		v += strtoul(dot + 1, NULL, 10) * (flen == 1 ? 10 : 1);
	if (v > CANARY_BPS_TOTAL)
		return cerr_set(err, "'%s' is out of range (0-100)", s);
	*bps = (__u16)v;
	return 0;
}

static bool name_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

int parse_name(const char *s, size_t max, const char *what,
	       struct canary_err *err)
{
	size_t i, len = s ? strlen(s) : 0;

	if (!len)
		return cerr_set(err, "%s name is empty", what);
	if (len >= max)
		return cerr_set(err, "%s name '%s' is too long (at most %zu characters)",
				what, s, max - 1);
	if (!isalnum((unsigned char)s[0]))
		return cerr_set(err, "%s name '%s' must start with a letter or digit",
				what, s);
	for (i = 0; i < len && name_char_ok(s[i]); i++)
		;
	if (i < len)
		return cerr_set(err, "%s name '%s' has an invalid character '%c' (allowed: A-Z a-z 0-9 . _ -)",
				what, s, s[i]);
	return 0;
}

const char *fmt_percent(__u16 bps, char *buf, size_t len)
{
	unsigned int whole = bps / 100, frac = bps % 100;

	if (!frac)
		snprintf(buf, len, "%u", whole);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%u.%u", whole, frac / 10);
	else
		snprintf(buf, len, "%u.%02u", whole, frac);
	return buf;
}

const char *fmt_ipv4(__be32 addr, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = addr };

	if (!inet_ntop(AF_INET, &in, buf, len) && len)
		buf[0] = '\0';
	return buf;
}

/* The prefix length after the slash of a CIDR, at most @max. */
static int cidr_len(const char *s, const char *text, int max, unsigned long *len,
		    struct canary_err *err)
{
	char *end;

	*len = strtoul(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || *end || *len > (unsigned long)max)
		return cerr_set(err, "'%s' is not a CIDR: prefix length "
				"must be 0 to %d", s, max);
	return 0;
}

int parse_cidr(const char *s, struct canary_addr *addr, __u8 *prefixlen,
	       struct canary_err *err)
{
	char buf[TEXT_MAX], *slash;
	struct canary_addr a;
	struct canary_err tmp;
	unsigned long len;

	if (strlen(s) >= sizeof(buf))
		return cerr_set(err, "'%.40s...' is not a CIDR (A.B.C.D/LEN)", s);
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_addr(buf, &a, &tmp))
		return cerr_set(err, strchr(buf, ':') ?
				"'%s' is not a CIDR (IPv6ADDR/LEN)" :
				"'%s' is not a CIDR (A.B.C.D/LEN)", s);
	len = addr_bits(&a);
	if (slash && cidr_len(s, slash + 1, addr_bits(&a), &len, err))
		return -EINVAL;
	if (!addr_host_bits_zero(&a, len))
		return cerr_set(err, "'%s' has host bits set (did you mean "
				"a /%lu network?)", s, len);
	*addr = a;
	*prefixlen = len;
	return 0;
}

int parse_cidr4(const char *s, __be32 *addr, __u8 *prefixlen,
		struct canary_err *err)
{
	struct canary_addr a;
	int ret = parse_cidr(s, &a, prefixlen, err);

	if (!ret && addr_is_v6(&a))
		return cerr_set(err, "'%s' is not an IPv4 CIDR (A.B.C.D/LEN)", s);
	if (!ret)
		*addr = a.v4;
	return ret;
}

int parse_cidr6(const char *s, __be32 *addr, __u8 *prefixlen,
		struct canary_err *err)
{
	struct canary_addr a;
	int ret = parse_cidr(s, &a, prefixlen, err);

	if (!ret && !addr_is_v6(&a))
		return cerr_set(err, "'%s' is not an IPv6 CIDR (IPv6ADDR/LEN)", s);
	if (!ret)
		memcpy(addr, a.v6, sizeof(a.v6));
	return ret;
}

int parse_ipv6(const char *s, __be32 *addr, struct canary_err *err)
{
	struct canary_addr a;

	if (!s || addr_from_str(s, &a) || !addr_is_v6(&a))
		return cerr_set(err, "'%s' is not an IPv6 address", s ? s : "");
	memcpy(addr, a.v6, sizeof(a.v6));
	return 0;
}

int parse_affinity(const char *s, __u8 *affinity, struct canary_err *err)
{
	if (!strcmp(s, "none"))
		*affinity = CANARY_AFFINITY_NONE;
	else if (!strcmp(s, "client-ip"))
		*affinity = CANARY_AFFINITY_CLIENT_IP;
	else
		return cerr_set(err, "'%s' is not an affinity (none or client-ip)",
				s);
	return 0;
}

/* A bare address is one without a port: IPv4 has no colon, IPv6 is in
 * brackets with nothing after them, or is just the address. */
static bool bare_address(const char *s)
{
	const char *close;

	if (s[0] == '[') {
		close = strchr(s, ']');
		return close && !close[1];
	}
	return !strchr(s, ':') || strchr(s, ':') != strrchr(s, ':');
}

int parse_endpoint_or_ip(const char *s, struct canary_ep_cfg *ep,
			 struct canary_err *err)
{
	char buf[TEXT_MAX], *host = buf;
	struct canary_err tmp;
	size_t len;

	if (!bare_address(s))
		return parse_endpoint(s, ep, err);
	memset(ep, 0, sizeof(*ep));
	if (copy_text(s, buf, sizeof(buf), "an endpoint", err))
		return -EINVAL;
	len = strlen(buf);
	if (buf[0] == '[') {
		buf[len - 1] = '\0';
		host = buf + 1;
	}
	if (parse_addr(host, &ep->addr, &tmp) ||
	    (host != buf && !addr_is_v6(&ep->addr)))
		return cerr_set(err, "'%s' is not an endpoint (IP or IP:PORT)", s);
	return 0;
}
