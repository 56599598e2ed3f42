// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Parsers and formatters of user/core/parse.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/parse.h"
#include "harness.h"

/* Expects @ret to be -EINVAL with @needle in the message (two checks). */
#define ASSERT_FAILS(ret, err, needle)                                   \
	do {                                                             \
		ASSERT_EQ(ret, -EINVAL, #ret);                           \
		ASSERT_STR_CONTAINS((err).msg, needle, #ret);            \
	} while (0)

static void test_ipv4_ok(void)
{
	struct canary_err err = {};
	__be32 a = 0;

	ASSERT_EQ(parse_ipv4("10.96.0.10", &a, &err), 0, "parse_ipv4");
	ASSERT_EQ(a, htonl(0x0a60000a), "a");
	ASSERT_EQ(parse_ipv4("255.255.255.255", &a, &err), 0, "parse_ipv4");
	ASSERT_EQ(a, htonl(0xffffffff), "a");
	ASSERT_EQ(parse_ipv4("0.0.0.0", &a, &err), 0, "parse_ipv4");
	ASSERT_EQ(a, 0, "a");
}

static void test_ipv4_bad(void)
{
	static const char *const bad[] = {
		"10.0.0.300", "10.0.0", "10.0.0.1.2", "10.0.0.1 ", " 10.0.0.1",
		"10.0.0.1:80", "a.b.c.d", "", "10..0.1", "::1", "10.0.0.-1",
	};
	struct canary_err err = {};
	__be32 a = 0x1234;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		ASSERT_EQ(parse_ipv4(bad[i], &a, &err), -EINVAL, "parse_ipv4(bad[i], &a, &err)");
		ASSERT_STR_CONTAINS(err.msg, "is not an IPv4 address", "err.msg");
		ASSERT_TRUE_FMT(!strncmp(err.msg + 1, bad[i], strlen(bad[i])),
				"message '%s' does not name '%s'", err.msg, bad[i]);
	}
	ASSERT_EQ(a, 0x1234, "a");
}

static void test_port(void)
{
	struct canary_err err = {};
	__be16 p = 0;

	ASSERT_EQ(parse_port("1", &p, &err), 0, "parse_port");
	ASSERT_EQ(p, htons(1), "p");
	ASSERT_EQ(parse_port("65535", &p, &err), 0, "parse_port");
	ASSERT_EQ(p, htons(65535), "p");
	ASSERT_EQ(parse_port("5050", &p, &err), 0, "parse_port");
	ASSERT_EQ(p, htons(5050), "p");
	ASSERT_FAILS(parse_port("0", &p, &err), err, "'0' is not a valid port (1-65535)");
	ASSERT_FAILS(parse_port("65536", &p, &err), err, "'65536' is not a valid port");
	ASSERT_FAILS(parse_port("abc", &p, &err), err, "'abc' is not a valid port");
	ASSERT_FAILS(parse_port("", &p, &err), err, "'' is not a valid port");
	ASSERT_FAILS(parse_port("-1", &p, &err), err, "'-1'");
	ASSERT_FAILS(parse_port("+80", &p, &err), err, "'+80'");
	ASSERT_FAILS(parse_port("80 ", &p, &err), err, "'80 '");
	ASSERT_FAILS(parse_port("0x50", &p, &err), err, "'0x50'");
	ASSERT_FAILS(parse_port("99999999999999999999", &p, &err), err,
		     "not a valid port");
	ASSERT_EQ(p, htons(5050), "p");
}

static void test_proto(void)
{
	struct canary_err err = {};
	__u8 p = 0;

	ASSERT_EQ(parse_proto("tcp", &p, &err), 0, "parse_proto");
	ASSERT_EQ(p, CANARY_PROTO_TCP, "p");
	ASSERT_EQ(parse_proto("UDP", &p, &err), 0, "parse_proto");
	ASSERT_EQ(p, CANARY_PROTO_UDP, "p");
	ASSERT_FAILS(parse_proto("sctp", &p, &err), err,
		     "'sctp' is not a protocol (tcp or udp)");
	ASSERT_FAILS(parse_proto("", &p, &err), err, "'' is not a protocol");
	ASSERT_FAILS(parse_proto("tcp ", &p, &err), err, "'tcp '");
	ASSERT_EQ(p, CANARY_PROTO_UDP, "p");
}

static void test_endpoint(void)
{
	struct canary_ep_cfg ep;
	struct canary_err err = {};

	ASSERT_EQ(parse_endpoint("10.244.1.11:5050", &ep, &err), 0, "parse_endpoint");
	ASSERT_EQ(ep.addr.af, AF_INET, "ep.addr.af");
	ASSERT_EQ(ep.addr.v4, htonl(0x0af4010b), "ep.addr.v4");
	ASSERT_EQ(ep.port, htons(5050), "ep.port");
	ASSERT_EQ(ep.flags, 0, "ep.flags");
	ASSERT_FAILS(parse_endpoint("10.244.1.11", &ep, &err), err,
		     "'10.244.1.11' is not an endpoint (IP:PORT)");
	ASSERT_FAILS(parse_endpoint("10.244.1.300:80", &ep, &err), err,
		     "'10.244.1.300' is not an IPv4 address");
	ASSERT_FAILS(parse_endpoint("10.244.1.1:0", &ep, &err), err,
		     "'0' is not a valid port");
	ASSERT_FAILS(parse_endpoint("10.244.1.1:80:90", &ep, &err), err,
		     "'80:90' is not a valid port");
	ASSERT_FAILS(parse_endpoint("10.244.1.1:", &ep, &err), err,
		     "'' is not a valid port");
	ASSERT_FAILS(parse_endpoint("100.100.100.100:65535/tcp-and-more-text-"
				    "and-yet-more-text-to-be-long", &ep, &err),
		     err, "is too long");
}

static void test_vip(void)
{
	struct canary_err err = {};
	struct canary_addr vip;
	__be16 port;
	__u8 proto;

	ASSERT_EQ(parse_vip("10.96.0.10:5000", &vip, &port, &proto, &err), 0, "parse_vip");
	ASSERT_EQ(vip.af, AF_INET, "vip.af");
	ASSERT_EQ(vip.v4, htonl(0x0a60000a), "vip.v4");
	ASSERT_EQ(port, htons(5000), "port");
	ASSERT_EQ(proto, CANARY_PROTO_TCP, "proto");
	ASSERT_EQ(parse_vip("10.96.0.10:53/udp", &vip, &port, &proto, &err), 0, "parse_vip");
	ASSERT_EQ(port, htons(53), "port");
	ASSERT_EQ(proto, CANARY_PROTO_UDP, "proto");
	ASSERT_FAILS(parse_vip("10.96.0.10:53/icmp", &vip, &port, &proto, &err),
		     err, "'icmp' is not a protocol");
	ASSERT_FAILS(parse_vip("10.96.0.10", &vip, &port, &proto, &err), err,
		     "'10.96.0.10' is not a service address (IP:PORT)");
	ASSERT_FAILS(parse_vip("10.96.0:53", &vip, &port, &proto, &err), err,
		     "'10.96.0' is not an IPv4 address");
}

static bool addr_is(const struct canary_addr *a, const char *want)
{
	char buf[CANARY_ADDR_STRLEN];

	return !strcmp(addr_str(a, buf, sizeof(buf)), want);
}

static void test_endpoint_v6(void)
{
	struct canary_ep_cfg ep;
	struct canary_err err = {};

	ASSERT_EQ(parse_endpoint("[2001:db8::11]:5050", &ep, &err), 0, "parse_endpoint");
	ASSERT_EQ(ep.addr.af, AF_INET6, "ep.addr.af");
	ASSERT_TRUE(addr_is(&ep.addr, "2001:db8::11"), "addr");
	ASSERT_EQ(ep.addr.v6[0], htonl(0x20010db8), "ep.addr.v6[0]");
	ASSERT_EQ(ep.addr.v6[3], htonl(0x11), "ep.addr.v6[3]");
	ASSERT_EQ(ep.port, htons(5050), "ep.port");
	ASSERT_EQ(parse_endpoint("[::ffff:10.0.0.1]:80", &ep, &err), 0, "parse_endpoint");
	ASSERT_EQ(ep.addr.af, AF_INET6, "ep.addr.af");
	ASSERT_FAILS(parse_endpoint("[2001:db8::zz]:80", &ep, &err), err,
		     "'2001:db8::zz' is not an IP address");
	ASSERT_FAILS(parse_endpoint("2001:db8::11:5050", &ep, &err), err,
		     "'2001:db8::11:5050' is not an endpoint (write an IPv6 "
		     "address in brackets: [IPv6]:PORT)");
	ASSERT_FAILS(parse_endpoint("[2001:db8::11]", &ep, &err), err,
		     "'[2001:db8::11]' is not an endpoint ([IPv6]:PORT)");
	ASSERT_FAILS(parse_endpoint("[2001:db8::11:5050", &ep, &err), err,
		     "is not an endpoint ([IPv6]:PORT)");
	ASSERT_FAILS(parse_endpoint("[2001:db8::11]:0", &ep, &err), err,
		     "'0' is not a valid port");
	ASSERT_FAILS(parse_endpoint("[10.0.0.1]:80", &ep, &err), err,
		     "brackets are for IPv6 addresses only");
	/* bare addresses, for a service with a ports list */
	ASSERT_EQ(parse_endpoint_or_ip("2001:db8::11", &ep, &err), 0, "parse_endpoint_or_ip");
	ASSERT_TRUE(addr_is(&ep.addr, "2001:db8::11") && !ep.port, "bare");
	ASSERT_EQ(parse_endpoint_or_ip("[2001:db8::12]", &ep, &err), 0, "parse_endpoint_or_ip");
	ASSERT_TRUE(addr_is(&ep.addr, "2001:db8::12") && !ep.port, "bracketed");
	ASSERT_EQ(parse_endpoint_or_ip("[2001:db8::12]:80", &ep, &err), 0, "parse_endpoint_or_ip");
	ASSERT_TRUE(ep.port == htons(80), "with port");
	ASSERT_EQ(parse_endpoint_or_ip("10.0.0.1", &ep, &err), 0, "parse_endpoint_or_ip");
	ASSERT_TRUE(ep.addr.af == AF_INET && !ep.port, "bare IPv4");
	ASSERT_FAILS(parse_endpoint_or_ip("2001:db8::zz", &ep, &err), err,
		     "'2001:db8::zz' is not an endpoint (IP or IP:PORT)");
	ASSERT_FAILS(parse_endpoint_or_ip("[10.0.0.1]", &ep, &err), err,
		     "'[10.0.0.1]' is not an endpoint (IP or IP:PORT)");
}

static void test_vip_v6(void)
{
	struct canary_err err = {};
	struct canary_addr vip;
	__be16 port;
	__u8 proto;

	ASSERT_EQ(parse_vip("[2001:db8::10]:5000", &vip, &port, &proto, &err), 0, "parse_vip");
	ASSERT_TRUE(addr_is(&vip, "2001:db8::10") && vip.af == AF_INET6, "vip");
	ASSERT_EQ(port, htons(5000), "port");
	ASSERT_EQ(proto, CANARY_PROTO_TCP, "proto");
	ASSERT_EQ(parse_vip("[2001:db8::10]:53/udp", &vip, &port, &proto, &err), 0, "parse_vip");
	ASSERT_EQ(proto, CANARY_PROTO_UDP, "proto");
	ASSERT_EQ(parse_vip("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535/udp",
			    &vip, &port, &proto, &err), 0, "parse_vip");
	ASSERT_FAILS(parse_vip("[2001:db8::zz]:53", &vip, &port, &proto, &err),
		     err, "'2001:db8::zz' is not an IP address");
	ASSERT_FAILS(parse_vip("2001:db8::10:53", &vip, &port, &proto, &err),
		     err, "write an IPv6 address in brackets");
}

static void test_cidr(void)
{
	struct canary_err err = {};
	struct canary_addr a;
	__be32 a4;
	__u8 len;

	ASSERT_EQ(parse_cidr("10.0.1.0/24", &a, &len, &err), 0, "parse_cidr");
	ASSERT_TRUE(a.af == AF_INET && a.v4 == htonl(0x0a000100) && len == 24, "v4");
	ASSERT_EQ(parse_cidr("10.0.1.7", &a, &len, &err), 0, "parse_cidr");
	ASSERT_EQ(len, 32, "len");
	ASSERT_EQ(parse_cidr("0.0.0.0/0", &a, &len, &err), 0, "parse_cidr");
	ASSERT_EQ(len, 0, "len");
	ASSERT_FAILS(parse_cidr("10.0.1.1/24", &a, &len, &err), err,
		     "'10.0.1.1/24' has host bits set (did you mean a /24 network?)");
	ASSERT_FAILS(parse_cidr("10.0.1.0/33", &a, &len, &err), err,
		     "prefix length must be 0 to 32");
	ASSERT_FAILS(parse_cidr("10.0.1/24", &a, &len, &err), err,
		     "'10.0.1/24' is not a CIDR (A.B.C.D/LEN)");
	ASSERT_EQ(parse_cidr("2001:db8:1::/48", &a, &len, &err), 0, "parse_cidr");
	ASSERT_TRUE(a.af == AF_INET6 && addr_is(&a, "2001:db8:1::") && len == 48, "v6");
	ASSERT_EQ(parse_cidr("2001:db8::1", &a, &len, &err), 0, "parse_cidr");
	ASSERT_EQ(len, 128, "len");
	ASSERT_EQ(parse_cidr("::/0", &a, &len, &err), 0, "parse_cidr");
	ASSERT_EQ(len, 0, "len");
	ASSERT_EQ(parse_cidr("2001:db8:1:2::/63", &a, &len, &err), 0, "parse_cidr");
	ASSERT_FAILS(parse_cidr("2001:db8:1:3::/63", &a, &len, &err), err,
		     "'2001:db8:1:3::/63' has host bits set (did you mean a /63 network?)");
	ASSERT_FAILS(parse_cidr("2001:db8::1/64", &a, &len, &err), err,
		     "has host bits set");
	ASSERT_FAILS(parse_cidr("2001:db8::/129", &a, &len, &err), err,
		     "prefix length must be 0 to 128");
	ASSERT_FAILS(parse_cidr("2001:db8::zz/64", &a, &len, &err), err,
		     "'2001:db8::zz/64' is not a CIDR (IPv6ADDR/LEN)");
	ASSERT_FAILS(parse_cidr("[2001:db8::]/64", &a, &len, &err), err,
		     "is not a CIDR");
	/* the node's pod CIDR stays IPv4 */
	ASSERT_EQ(parse_cidr4("10.244.1.0/24", &a4, &len, &err), 0, "parse_cidr4");
	ASSERT_EQ(a4, htonl(0x0af40100), "a4");
	ASSERT_FAILS(parse_cidr4("2001:db8::/64", &a4, &len, &err), err,
		     "'2001:db8::/64' is not an IPv4 CIDR");
}

static void test_percent_ok(void)
{
	static const struct {
		const char *s;
		int bps;
	} ok[] = {
		{ "25", 2500 },	   { "25.5", 2550 },  { "25.50", 2550 },
		{ "0.01", 1 },	   { "100", 10000 },  { "100.00", 10000 },
		{ "0", 0 },	   { "12.5", 1250 },  { "99.99", 9999 },
		{ "0.1", 10 },	   { "007", 700 },
	};
	struct canary_err err = {};
	size_t i;
	__u16 bps;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bps = 0xffff;
		ASSERT_TRUE_FMT(parse_percent(ok[i].s, &bps, &err) == 0, "'%s': %s",
				ok[i].s, err.msg);
		ASSERT_TRUE_FMT(bps == ok[i].bps, "'%s' gave %u, not %d", ok[i].s, bps,
				ok[i].bps);
	}
}

static void test_percent_bad(void)
{
	static const struct {
		const char *s, *needle;
	} bad[] = {
		{ "-1", "'-1' is not a percentage" },
		{ "100.01", "'100.01' is out of range (0-100)" },
		{ "101", "'101' is out of range" },
		{ "1000", "'1000' is not a percentage" },
		{ "1.234", "'1.234' has more than two decimals" },
		{ "abc", "'abc' is not a percentage" },
		{ "", "'' is not a percentage" },
		{ "25%", "write 25, without '%'" },
		{ " 25", "' 25' is not a percentage" },
		{ "25 ", "'25 ' is not a percentage" },
		{ "1e2", "'1e2' is not a percentage" },
		{ "0x10", "'0x10' is not a percentage" },
		{ "25.", "'25.' is not a percentage" },
		{ ".5", "'.5' is not a percentage" },
		{ "+5", "'+5' is not a percentage" },
		{ "1.2.3", "'1.2.3' is not a percentage" },
	};
	struct canary_err err;
	size_t i;
	__u16 bps = 4242;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		ASSERT_TRUE_FMT(parse_percent(bad[i].s, &bps, &err) == -EINVAL,
				"'%s' accepted", bad[i].s);
		ASSERT_STR_CONTAINS(err.msg, bad[i].needle, "err.msg");
	}
	ASSERT_EQ(bps, 4242, "bps");
}

static void test_name(void)
{
	struct canary_err err = {};
	char longname[CANARY_NAME_LEN + 1];

	ASSERT_EQ(parse_name("prod-service", CANARY_NAME_LEN, "service", &err), 0, "parse_name");
	ASSERT_EQ(parse_name("v1.2_b", CANARY_VNAME_LEN, "version", &err), 0, "parse_name");
	ASSERT_FAILS(parse_name("", CANARY_NAME_LEN, "service", &err), err,
		     "service name is empty");
	ASSERT_FAILS(parse_name("-x", CANARY_NAME_LEN, "service", &err), err,
		     "service name '-x' must start with a letter or digit");
	ASSERT_FAILS(parse_name("a b", CANARY_VNAME_LEN, "version", &err), err,
		     "version name 'a b' has an invalid character ' '");
	memset(longname, 'a', CANARY_NAME_LEN);
	longname[CANARY_NAME_LEN] = '\0';
	ASSERT_FAILS(parse_name(longname, CANARY_NAME_LEN, "service", &err), err,
		     "is too long (at most 63 characters)");
	longname[CANARY_NAME_LEN - 1] = '\0';
	ASSERT_EQ(parse_name(longname, CANARY_NAME_LEN, "service", &err), 0, "parse_name");
}

static void test_fmt(void)
{
	static const struct {
		int bps;
		const char *s;
	} cases[] = {
		{ 2500, "25" }, { 1250, "12.5" }, { 1, "0.01" }, { 10000, "100" },
		{ 0, "0" },	{ 1234, "12.34" }, { 9990, "99.9" }, { 5, "0.05" },
	};
	char buf[8], ip[16];
	struct canary_err err;
	size_t i;
	__u16 back;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_percent(cases[i].bps, buf, sizeof(buf));
		ASSERT_TRUE_FMT(!strcmp(buf, cases[i].s), "%d bps gave '%s', not '%s'",
				cases[i].bps, buf, cases[i].s);
		ASSERT_TRUE_FMT(parse_percent(buf, &back, &err) == 0 &&
					back == cases[i].bps,
				"'%s' does not parse back to %d", buf, cases[i].bps);
	}
	ASSERT_TRUE_FMT(!strcmp(fmt_ipv4(htonl(0x0af4010b), ip, sizeof(ip)), "10.244.1.11"),
			"got '%s'", ip);
	ASSERT_TRUE_FMT(!strcmp(fmt_ipv4(htonl(0xffffffff), ip, sizeof(ip)),
				"255.255.255.255"), "got '%s'", ip);
}

int main(void)
{
	RUN_TEST(test_ipv4_ok);
	RUN_TEST(test_ipv4_bad);
	RUN_TEST(test_port);
	RUN_TEST(test_proto);
	RUN_TEST(test_endpoint);
	RUN_TEST(test_vip);
	RUN_TEST(test_endpoint_v6);
	RUN_TEST(test_vip_v6);
	RUN_TEST(test_cidr);
	RUN_TEST(test_percent_ok);
	RUN_TEST(test_percent_bad);
	RUN_TEST(test_name);
	RUN_TEST(test_fmt);
	return test__summary();
}
