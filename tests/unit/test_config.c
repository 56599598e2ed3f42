// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The configuration model: user/core/config.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/config.h"
#include "harness.h"
#include "svc_fixture.h"

/* Adds service @name (see svc_fill). */
static struct canary_service_cfg *add(struct canary_config *cfg,
				      const char *name, int id, int n,
				      const int *w, const int *eps)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);

	if (s)
		svc_fill(s, name, id, n, w, eps);
	return s;
}

/* Expects config_validate to fail with @needle in the message. */
static void check_invalid(const struct canary_config *cfg, const char *needle)
{
	struct canary_err err = {};

	ASSERT_EQ(config_validate(cfg, &err), -EINVAL, "config_validate(cfg, &err)");
	ASSERT_STR_CONTAINS(err.msg, needle, "err.msg");
}

static void test_add_find_del(void)
{
	struct canary_config cfg;
	struct canary_err err = {};
	int i;

	config_init(&cfg);
	for (i = 0; i < 20; i++) {
		char name[16];

		snprintf(name, sizeof(name), "svc%d", i);
		ASSERT_TRUE_FMT(add(&cfg, name, i + 1, 1, (int[]){ 100 }, (int[]){ 1 }),
				"add %d", i);
	}
	ASSERT_EQ(cfg.n_services, 20, "cfg.n_services");
	ASSERT_EQ(config_validate(&cfg, &err), 0, "config_validate(&cfg, &err)");
	ASSERT_TRUE(config_find(&cfg, "svc7") == &cfg.svc[7], "find svc7");
	ASSERT_TRUE(config_find(&cfg, "nope") == NULL, "found nope");
	ASSERT_EQ(config_find_version(&cfg.svc[0], "v1"), 0, "config_find_version");
	ASSERT_EQ(config_find_version(&cfg.svc[0], "v2"), -1, "config_find_version");
	ASSERT_EQ(config_del_service(&cfg, "svc7"), 0, "config_del_service");
	ASSERT_EQ(config_del_service(&cfg, "svc7"), -ENOENT, "config_del_service");
	ASSERT_EQ(cfg.n_services, 19, "cfg.n_services");
	ASSERT_TRUE_FMT(!strcmp(cfg.svc[7].name, "svc8"), "order kept: %s", cfg.svc[7].name);
	ASSERT_TRUE_FMT(!strcmp(cfg.svc[18].name, "svc19"), "last: %s", cfg.svc[18].name);
	config_free(&cfg);
	ASSERT_EQ(cfg.n_services, 0, "cfg.n_services");
	ASSERT_TRUE(cfg.svc == NULL, "not freed");
}

static void test_add_limit(void)
{
	struct canary_config cfg;
	struct canary_err err = {};
	int i;

	config_init(&cfg);
	for (i = 0; i < CANARY_MAX_SERVICES; i++)
		if (!config_add_service(&cfg, &err))
			break;
	ASSERT_EQ(i, CANARY_MAX_SERVICES, "i");
	ASSERT_TRUE(config_add_service(&cfg, &err) == NULL, "added past the limit");
	{
		char want[64];

		snprintf(want, sizeof(want), "too many services (at most %d)",
			 CANARY_MAX_SERVICES);
		ASSERT_STR_CONTAINS(err.msg, want, "err.msg");
	}
	ASSERT_EQ(cfg.n_services, CANARY_MAX_SERVICES, "cfg.n_services");
	config_free(&cfg);
}

static void test_cerr_set(void)
{
	struct canary_err err;

	ASSERT_EQ(cerr_set(&err, "'%s' is %d", "x", 5), -EINVAL, "cerr_set");
	ASSERT_TRUE_FMT(!strcmp(err.msg, "'x' is 5"), "got '%s'", err.msg);
	ASSERT_EQ(cerr_set(NULL, "ignored"), -EINVAL, "cerr_set");
}

static void test_validate_ok(void)
{
	struct canary_config cfg;
	struct canary_err err = {};

	config_init(&cfg);
	ASSERT_EQ(config_validate(&cfg, &err), 0, "config_validate(&cfg, &err)");
	add(&cfg, "prod-service", 10, 2, (int[]){ 75, 25 }, (int[]){ 3, 1 });
	/* A version with weight 0 may have no endpoints. */
	add(&cfg, "other", 11, 2, (int[]){ 100, 0 }, (int[]){ 2, 0 });
	ASSERT_TRUE_FMT(config_validate(&cfg, &err) == 0, "%s", err.msg);
	config_free(&cfg);
}

static void test_validate_weights(void)
{
	struct canary_config cfg;

	config_init(&cfg);
	add(&cfg, "prod-service", 10, 2, (int[]){ 75, 15 }, (int[]){ 3, 1 });
	check_invalid(&cfg, "weights of 'prod-service' total 90, not 100");
	cfg.svc[0].v[1].weight_bps = 2550;
	check_invalid(&cfg, "weights of 'prod-service' total 100.5, not 100");
	cfg.svc[0].v[1].weight_bps = 2500;
	cfg.svc[0].v[1].n_endpoints = 0;
	/* Valid as running state (the canary's pods are gone)... */
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	/* ...but not as something a user writes. */
	{
		struct canary_err err = {};

		ASSERT_EQ(config_check_weighted_endpoints(&cfg.svc[0], &err), -EINVAL,
			  "config_check_weighted_endpoints");
		ASSERT_STR_CONTAINS(err.msg, "version 'v2' of 'prod-service' has no endpoints",
				    "err.msg");
	}
	config_free(&cfg);
}

static void test_validate_names(void)
{
	struct canary_config cfg;

	config_init(&cfg);
	add(&cfg, "a", 1, 2, (int[]){ 50, 50 }, (int[]){ 1, 1 });
	strcpy(cfg.svc[0].v[1].name, "v1");
	check_invalid(&cfg, "version 'v1' appears twice in 'a'");
	strcpy(cfg.svc[0].v[1].name, "");
	check_invalid(&cfg, "service 'a': version name is empty");
	strcpy(cfg.svc[0].v[1].name, "v2");
	add(&cfg, "a", 2, 1, (int[]){ 100 }, (int[]){ 1 });
	check_invalid(&cfg, "service 'a' is defined twice");
	strcpy(cfg.svc[1].name, "b c");
	check_invalid(&cfg, "service name 'b c' has an invalid character ' '");
	config_free(&cfg);
}

static void test_validate_address(void)
{
	struct canary_config cfg;

	config_init(&cfg);
	add(&cfg, "a", 1, 1, (int[]){ 100 }, (int[]){ 1 });
	add(&cfg, "b", 1, 1, (int[]){ 100 }, (int[]){ 1 });
	cfg.svc[1].v[0].ep[0].port = htons(6000);
	check_invalid(&cfg, "services 'a' and 'b' both use 10.96.0.1:5000/tcp");
	cfg.svc[1].proto = CANARY_PROTO_UDP; /* same VIP:port, other protocol */
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.svc[1].proto = 1;
	check_invalid(&cfg, "service 'b' has protocol 1 (tcp or udp)");
	cfg.svc[1].proto = CANARY_PROTO_UDP;
	cfg.svc[1].port = 0;
	check_invalid(&cfg, "service 'b' has no port");
	cfg.svc[1].port = htons(1);
	cfg.svc[1].vip = (struct canary_addr){};
	check_invalid(&cfg, "service 'b' has no VIP");
	config_free(&cfg);
}

static void test_validate_versions(void)
{
	struct canary_config cfg;

	config_init(&cfg);
	add(&cfg, "a", 1, 4, (int[]){ 25, 25, 25, 25 }, (int[]){ 1, 1, 1, 1 });
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.svc[0].n_versions = 0;
	check_invalid(&cfg, "service 'a' has 0 versions (1 to 4)");
	cfg.svc[0].n_versions = CANARY_MAX_VERSIONS + 1;
	check_invalid(&cfg, "service 'a' has 5 versions (1 to 4)");
	cfg.svc[0].n_versions = 4;
	cfg.svc[0].v[2].n_endpoints = CANARY_MAX_ENDPOINTS + 1;
	check_invalid(&cfg, "version 'v3' of 'a' has 129 endpoints (at most 128)");
	config_free(&cfg);
}

static void test_validate_dup_endpoint(void)
{
	struct canary_config cfg;

	config_init(&cfg);
	add(&cfg, "prod-service", 10, 2, (int[]){ 75, 25 }, (int[]){ 3, 1 });
	/* Twice in one version. */
	cfg.svc[0].v[0].ep[2] = cfg.svc[0].v[0].ep[0];
	check_invalid(&cfg, "endpoint 10.244.10.1:5050 is listed twice in 'prod-service'");
	/* In two versions. */
	cfg.svc[0].v[0].ep[2].addr = addr_v4(htonl(0x0af40a03));
	cfg.svc[0].v[1].ep[0] = cfg.svc[0].v[0].ep[1];
	check_invalid(&cfg, "endpoint 10.244.10.2:5050 is listed twice in 'prod-service'");
	/* Same address, other port: a different endpoint. */
	cfg.svc[0].v[1].ep[0].port = htons(5051);
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	/* The same endpoint in two services is allowed. */
	add(&cfg, "other", 11, 1, (int[]){ 100 }, (int[]){ 1 });
	cfg.svc[1].v[0].ep[0] = cfg.svc[0].v[0].ep[0];
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.svc[1].v[0].ep[0].port = 0;
	check_invalid(&cfg, "endpoint 10.244.10.1:0 of 'other' needs an address and a port");
	config_free(&cfg);
}

/* cum[] of @n versions with weights @w (percent) and endpoint counts @eps. */
static void cum_of(int n, const int *w, const int *eps, __u16 *cum)
{
	struct canary_config cfg;

	config_init(&cfg);
	add(&cfg, "s", 1, n, w, eps);
	memset(cum, 0xff, CANARY_MAX_VERSIONS * sizeof(*cum));
	config_effective_cum(&cfg.svc[0], cum);
	config_free(&cfg);
}

static void test_effective_cum(void)
{
	__u16 c[CANARY_MAX_VERSIONS];

	cum_of(2, (int[]){ 75, 25 }, (int[]){ 3, 1 }, c);
	ASSERT_TRUE_FMT(c[0] == 7500 && c[1] == 10000, "%u %u", c[0], c[1]);
	cum_of(2, (int[]){ 100, 0 }, (int[]){ 3, 1 }, c);
	ASSERT_TRUE_FMT(c[0] == 10000 && c[1] == 10000, "%u %u", c[0], c[1]);
	cum_of(2, (int[]){ 0, 100 }, (int[]){ 3, 1 }, c);
	ASSERT_TRUE_FMT(c[0] == 0 && c[1] == 10000, "%u %u", c[0], c[1]);
	/* v2 lost its endpoints: v1 takes everything. */
	cum_of(2, (int[]){ 75, 25 }, (int[]){ 3, 0 }, c);
	ASSERT_TRUE_FMT(c[0] == 10000 && c[1] == 10000, "%u %u", c[0], c[1]);
	/* v1 lost its endpoints. */
	cum_of(2, (int[]){ 75, 25 }, (int[]){ 0, 1 }, c);
	ASSERT_TRUE_FMT(c[0] == 0 && c[1] == 10000, "%u %u", c[0], c[1]);
	/* Nobody has endpoints: all zero. */
	cum_of(2, (int[]){ 75, 25 }, (int[]){ 0, 0 }, c);
	ASSERT_TRUE_FMT(c[0] == 0 && c[1] == 0, "%u %u", c[0], c[1]);
	/* Share goes out in proportion: 50/25/25 without v1 -> 0/50/50. */
	cum_of(3, (int[]){ 50, 25, 25 }, (int[]){ 0, 1, 1 }, c);
	ASSERT_TRUE_FMT(c[0] == 0 && c[1] == 5000 && c[2] == 10000, "%u %u %u", c[0],
			c[1], c[2]);
	/* The only weighted version is empty: equal shares of the rest. */
	cum_of(3, (int[]){ 100, 0, 0 }, (int[]){ 0, 1, 1 }, c);
	ASSERT_TRUE_FMT(c[0] == 0 && c[1] == 5000 && c[2] == 10000, "%u %u %u", c[0],
			c[1], c[2]);
	cum_of(4, (int[]){ 100, 0, 0, 0 }, (int[]){ 0, 1, 1, 1 }, c);
	ASSERT_TRUE_FMT(c[1] == 3333 && c[2] == 6666 && c[3] == 10000, "%u %u %u", c[1],
			c[2], c[3]);
}

/* Rounding remainder: total exactly 10000, never to a weight-0 version. */
static void test_effective_rounding(void)
{
	struct canary_config cfg;
	__u16 c[CANARY_MAX_VERSIONS];
	struct canary_service_cfg *s;

	config_init(&cfg);
	s = add(&cfg, "s", 1, 4, (int[]){ 0, 0, 0, 0 }, (int[]){ 1, 1, 0, 1 });
	s->v[0].weight_bps = 3333;
	s->v[1].weight_bps = 3334;
	s->v[2].weight_bps = 3333;
	config_effective_cum(s, c);
	/* 3333 and 3334 of 6667 -> 4999 + 5000, remainder 1 to v2, not v4. */
	ASSERT_TRUE_FMT(c[0] == 4999 && c[1] == 10000 && c[2] == 10000 && c[3] == 10000,
			"%u %u %u %u", c[0], c[1], c[2], c[3]);
	config_free(&cfg);
}

static struct canary_ep_cfg ep4(__u32 addr, __u16 port)
{
	return (struct canary_ep_cfg){ addr_v4(htonl(addr)), htons(port), 0 };
}

static void test_sort(void)
{
	struct canary_version_cfg v = { .n_endpoints = 4 };

	v.ep[0] = ep4(0x0a000002, 80);
	v.ep[1] = ep4(0x0b000001, 80);
	v.ep[2] = ep4(0x0a000002, 79);
	v.ep[3] = ep4(0x0a0000ff, 1);
	config_sort_endpoints(&v);
	ASSERT_TRUE(v.ep[0].addr.v4 == htonl(0x0a000002) && v.ep[0].port == htons(79), "0");
	ASSERT_TRUE(v.ep[1].addr.v4 == htonl(0x0a000002) && v.ep[1].port == htons(80), "1");
	ASSERT_TRUE(v.ep[2].addr.v4 == htonl(0x0a0000ff), "2");
	ASSERT_TRUE(v.ep[3].addr.v4 == htonl(0x0b000001), "3");
}

static struct canary_ep_cfg ep6(const char *addr, __u16 port)
{
	struct canary_ep_cfg ep = { .port = htons(port) };

	addr_from_str(addr, &ep.addr);
	return ep;
}

/* IPv6 endpoints sort by address bytes (network order), then port. */
static void test_sort_v6(void)
{
	struct canary_version_cfg v = { .n_endpoints = 5 };
	char buf[CANARY_ADDR_STRLEN + 8];
	static const char *const want[] = {
		"[2001:db8::2]:79", "[2001:db8::2]:80", "[2001:db8::ff]:1",
		"[2001:db8::1:0]:1", "[2001:db9::1]:1",
	};
	int i;

	v.ep[0] = ep6("2001:db8::2", 80);
	v.ep[1] = ep6("2001:db9::1", 1);
	v.ep[2] = ep6("2001:db8::2", 79);
	v.ep[3] = ep6("2001:db8::1:0", 1);
	v.ep[4] = ep6("2001:db8::ff", 1);
	config_sort_endpoints(&v);
	for (i = 0; i < 5; i++) {
		addr_port_str(&v.ep[i].addr, ntohs(v.ep[i].port), buf, sizeof(buf));
		ASSERT_TRUE_FMT(!strcmp(buf, want[i]), "%d: %s, want %s", i, buf, want[i]);
	}
}

/* An IPv6 service: validation of families and of what IPv6 lacks yet. */
static void test_validate_v6(void)
{
	struct canary_config cfg;
	struct canary_service_cfg *s;

	config_init(&cfg);
	s = add(&cfg, "six", 1, 2, (int[]){ 90, 10 }, (int[]){ 0, 0 });
	addr_from_str("2001:db8::10", &s->vip);
	s->v[0].n_endpoints = 2;
	s->v[0].ep[0] = ep6("2001:db8::11", 8080);
	s->v[0].ep[1] = ep6("2001:db8::12", 8080);
	s->v[1].n_endpoints = 1;
	s->v[1].ep[0] = ep6("2001:db8::21", 8080);
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	/* snat: always needs the node's IPv6 address, local its IPv6 pod
	 * CIDR; without a node section the running node decides (apply) */
	cfg.svc[0].snat = CANARY_SNAT_ALWAYS;
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.node = (struct canary_node_cfg){ .set = true, .address = htonl(0x0a010001),
					     .pod_net = htonl(0x0af40100),
					     .pod_len = 24 };
	check_invalid(&cfg, "service 'six': snat: always on an IPv6 service needs "
		      "this node's IPv6 address (node: address6)");
	cfg.node.address6[0] = htonl(0xfd000000);
	cfg.node.address6[3] = htonl(1);
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.svc[0].snat = CANARY_SNAT_NEVER;
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.svc[0].local = 1;
	check_invalid(&cfg, "service 'six': traffic_policy: local on an IPv6 "
		      "service needs this node's IPv6 pod CIDR (node: pod_cidr6)");
	cfg.node.pod_net6[0] = htonl(0x20010db8);
	cfg.node.pod_len6 = 64;
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	ASSERT_TRUE(config_is_local_addr(&cfg.node, &s->v[0].ep[0].addr),
		    "2001:db8::11 in 2001:db8::/64");
	cfg.node.pod_net6[1] = htonl(1);
	ASSERT_TRUE(!config_is_local_addr(&cfg.node, &s->v[0].ep[0].addr),
		    "2001:db8::11 not in 2001:db8:0:1::/64");
	cfg.node = (struct canary_node_cfg){};
	cfg.svc[0].local = 0;
	/* mixed families */
	cfg.svc[0].v[1].ep[0] = ep4(0x0af40115, 8080);
	check_invalid(&cfg, "endpoint 10.244.1.21:8080 of 'six' is IPv4 but the "
		      "VIP 2001:db8::10 is IPv6");
	cfg.svc[0].v[1].ep[0] = ep6("2001:db8::11", 8080);
	check_invalid(&cfg, "endpoint [2001:db8::11]:8080 is listed twice in 'six'");
	cfg.svc[0].v[1].ep[0] = ep6("2001:db8::21", 8080);
	cfg.svc[0].n_pins = 1;
	cfg.svc[0].pins[0].addr = addr_v4(htonl(0x0a000000));
	cfg.svc[0].pins[0].prefixlen = 8;
	snprintf(cfg.svc[0].pins[0].version, CANARY_VNAME_LEN, "v2");
	check_invalid(&cfg, "pin 10.0.0.0/8 of 'six' is IPv4 but the VIP "
		      "2001:db8::10 is IPv6");
	addr_from_str("2001:db8:1::", &cfg.svc[0].pins[0].addr);
	cfg.svc[0].pins[0].prefixlen = 48;
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	cfg.svc[0].pins[0].prefixlen = 32; /* host bits set now */
	check_invalid(&cfg, "pin 2001:db8:1::/32 of 'six' is not a network");
	cfg.svc[0].pins[0].prefixlen = 48;
	/* an IPv4 service on the same port is another service */
	add(&cfg, "four", 1, 1, (int[]){ 100 }, (int[]){ 1 });
	ASSERT_EQ(config_validate(&cfg, NULL), 0, "config_validate(&cfg, NULL)");
	/* the same IPv6 VIP, port and protocol twice is not */
	s = add(&cfg, "six-again", 2, 1, (int[]){ 100 }, (int[]){ 0 });
	addr_from_str("2001:db8::10", &s->vip);
	check_invalid(&cfg, "services 'six' and 'six-again' both use "
		      "[2001:db8::10]:5000/tcp");
	config_free(&cfg);
}

/* Services packed end to end come back whole and in order, however many
 * endpoints each has; a config built from them is the same config. */
static void test_packed(void)
{
	static struct canary_service_cfg want[3], got;
	struct config_packed p;
	struct canary_config cfg;
	int i;

	config_packed_init(&p);
	config_init(&cfg);
	svc_fill(&want[0], "one", 1, 1, (int[]){ 100 }, (int[]){ 1 });
	svc_fill(&want[1], "two", 2, 2, (int[]){ 90, 10 }, (int[]){ 128, 3 });
	svc_fill(&want[2], "three", 3, 4, (int[]){ 25, 25, 25, 25 },
		 (int[]){ 0, 4, 2, 1 });
	want[2].guard.on = true;
	want[2].guard.min_flows = 7;
	want[2].n_pins = 1;
	want[2].pins[0].addr = addr_v4(htonl(0x0a000000));
	want[2].pins[0].prefixlen = 8;
	strcpy(want[2].pins[0].version, "v3");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(config_packed_add(&p, &want[i]), 0, "config_packed_add");
	ASSERT_EQ(p.n, 3, "p.n");
	ASSERT_TRUE(p.off[2] - p.off[1] > 128 * sizeof(want[1].v[0].ep[0]),
		    "128 endpoints packed");
	ASSERT_TRUE(p.off[1] - p.off[0] < 1024, "one endpoint packed small");
	for (i = 0; i < 3; i++) {
		ASSERT_TRUE_FMT(!strcmp(config_packed_name(&p, i), want[i].name),
				"name %d", i);
		memset(&got, 0xa5, sizeof(got));
		ASSERT_EQ(config_packed_get(&p, i, &got), 0, "config_packed_get");
		ASSERT_TRUE_FMT(!memcmp(&got, &want[i], sizeof(got)),
				"service %d differs", i);
	}
	ASSERT_EQ(config_packed_to_config(&p, &cfg), 0, "to_config");
	ASSERT_EQ(cfg.n_services, 3, "cfg.n_services");
	for (i = 0; i < 3; i++)
		ASSERT_TRUE_FMT(!memcmp(&cfg.svc[i], &want[i], sizeof(want[i])),
				"config service %d differs", i);
	want[0].n_versions = CANARY_MAX_VERSIONS + 1;
	ASSERT_EQ(config_packed_add(&p, &want[0]), -EINVAL, "bad n_versions");
	ASSERT_EQ(p.n, 3, "nothing added");
	config_free(&cfg);
	config_packed_free(&p);
	ASSERT_EQ(p.n, 0, "p.n after free");
}

/* Endpoint lists equal as listed or only once sorted are the same; a
 * different flag is not. */
static void test_service_same_order(void)
{
	static struct canary_service_cfg a, b;
	struct canary_ep_cfg t;

	svc_fill(&a, "s", 1, 2, (int[]){ 50, 50 }, (int[]){ 3, 2 });
	b = a;
	ASSERT_TRUE(config_service_same(&a, &b), "same as listed");
	t = b.v[0].ep[0];
	b.v[0].ep[0] = b.v[0].ep[2];
	b.v[0].ep[2] = t;
	ASSERT_TRUE(config_service_same(&a, &b), "same once sorted");
	b.v[0].ep[1].flags = CANARY_EP_F_DRAINING;
	ASSERT_TRUE(!config_service_same(&a, &b), "draining differs");
}

int main(void)
{
	RUN_TEST(test_add_find_del);
	RUN_TEST(test_sort_v6);
	RUN_TEST(test_validate_v6);
	RUN_TEST(test_add_limit);
	RUN_TEST(test_cerr_set);
	RUN_TEST(test_validate_ok);
	RUN_TEST(test_validate_weights);
	RUN_TEST(test_validate_names);
	RUN_TEST(test_validate_address);
	RUN_TEST(test_validate_versions);
	RUN_TEST(test_validate_dup_endpoint);
	RUN_TEST(test_effective_cum);
	RUN_TEST(test_effective_rounding);
	RUN_TEST(test_sort);
	RUN_TEST(test_packed);
	RUN_TEST(test_service_same_order);
	return test__summary();
}
