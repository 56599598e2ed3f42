// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The CLI's value parsers (user/core/parse.c). The first byte picks the parser,
 * the rest is the argument. Accepted values must be in range and survive
 * a round trip through the formatters; refused ones get a message.
 */
#include <arpa/inet.h>

#include "fuzz.h"
#include "core/parse.h"

static void percent(const char *s, struct canary_err *err)
{
	char buf[16];
	__u16 bps, again;

	if (parse_percent(s, &bps, err))
		return;
	FUZZ_CHECK(bps <= CANARY_BPS_TOTAL);
	FUZZ_CHECK(!parse_percent(fmt_percent(bps, buf, sizeof(buf)), &again, err));
	FUZZ_CHECK(again == bps);
}

static void endpoint(const char *s, struct canary_err *err)
{
	struct canary_ep_cfg ep, again;
	char buf[CANARY_ADDR_STRLEN + 8];

	if (parse_endpoint(s, &ep, err))
		return;
	FUZZ_CHECK(ep.port != 0);
	addr_port_str(&ep.addr, ntohs(ep.port), buf, sizeof(buf));
	FUZZ_CHECK(!parse_endpoint(buf, &again, err));
	FUZZ_CHECK(addr_eq(&again.addr, &ep.addr) && again.port == ep.port);
}

static void vip(const char *s, struct canary_err *err)
{
	struct canary_addr addr;
	__be16 port;
	__u8 proto;

	if (parse_vip(s, &addr, &port, &proto, err))
		return;
	FUZZ_CHECK(port != 0);
	FUZZ_CHECK(proto == CANARY_PROTO_TCP || proto == CANARY_PROTO_UDP);
}

static void cidr(const char *s, struct canary_err *err)
{
	struct canary_addr addr;
	__u8 len;

	if (parse_cidr(s, &addr, &len, err))
		return;
	FUZZ_CHECK(len <= addr_bits(&addr));
	FUZZ_CHECK(addr_host_bits_zero(&addr, len));
	FUZZ_CHECK(addr_is_v6(&addr) || len == 32 ||
		   !(ntohl(addr.v4) & (0xffffffffu >> len)));
}

static void others(const char *s, struct canary_err *err)
{
	struct canary_ep_cfg ep;
	__be32 addr;
	__be16 port;
	__u8 b;

	if (!parse_port(s, &port, err))
		FUZZ_CHECK(port != 0);
	parse_ipv4(s, &addr, err);
	parse_proto(s, &b, err);
	parse_affinity(s, &b, err);
	parse_endpoint_or_ip(s, &ep, err);
	if (!parse_name(s, CANARY_NAME_LEN, "service", err))
		FUZZ_CHECK(strlen(s) < CANARY_NAME_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *, struct canary_err *) = {
		percent, endpoint, vip, cidr, others,
	};
	struct canary_err err = { .msg = "" };
	char *s;

	if (!size)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))](s, &err);
	free(s);
	return 0;
}
