// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The `apply -f` file format: user/core/config_yaml.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config_yaml.h"
#include "harness.h"

static const char example[] =
	"services:\n"
	"  - name: prod-service\n"
	"    vip: 10.96.0.10\n"
	"    port: 5000\n"
	"    protocol: tcp          # tcp | udp, default tcp\n"
	"    versions:\n"
	"      - name: v1\n"
	"        weight: 75         # percent, up to two decimals\n"
	"        endpoints: [10.244.1.11:5050, 10.244.1.12:5050, 10.244.1.13:5050]\n"
	"      - name: v2\n"
	"        weight: 25\n"
	"        endpoints: [10.244.1.21:5050]\n";

/* Writes @text to a temp file, loads it into @cfg; the path goes to @path. */
static int load_text(const char *text, struct canary_config *cfg,
		     struct canary_err *err, char *path)
{
	size_t len = strlen(text);
	int fd, ret;

	strcpy(path, "/tmp/canary-unit-XXXXXX");
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp failed"))
		return -EIO;
	ASSERT_EQ(write(fd, text, len), len, "write(fd, text, len)");
	close(fd);
	err->msg[0] = '\0';
	ret = yaml_load_config(path, cfg, err);
	unlink(path);
	return ret;
}

/* Loads @text into @cfg, config_init()ed here (config_free() is the
 * caller's); a failure is a failed check naming the error. */
static bool load_ok(const char *text, struct canary_config *cfg)
{
	struct canary_err err;
	char path[32];

	config_init(cfg);
	return ASSERT_TRUE_FMT(load_text(text, cfg, &err, path) == 0, "%s",
			       err.msg);
}

/* Expects @text to fail with "PATH:@where reason" containing @needle. */
static void check_error(const char *text, const char *where, const char *needle)
{
	struct canary_config cfg;
	struct canary_err err;
	char path[32], prefix[64];

	config_init(&cfg);
	ASSERT_EQ(load_text(text, &cfg, &err, path), -EINVAL, "load_text(text, &cfg, &err, path)");
	snprintf(prefix, sizeof(prefix), "%s:%s", path, where);
	ASSERT_TRUE_FMT(!strncmp(err.msg, prefix, strlen(prefix)),
			"'%s' does not start with '%s'", err.msg, prefix);
	ASSERT_STR_CONTAINS(err.msg, needle, "err.msg");
	ASSERT_EQ(cfg.n_services, 0, "cfg.n_services");
	config_free(&cfg);
}

static bool ep_is(const struct canary_ep_cfg *ep, __u32 addr, __u16 port)
{
	return ep->addr.af == AF_INET && ep->addr.v4 == htonl(addr) &&
	       ep->port == htons(port);
}

static void test_example(void)
{
	struct canary_config cfg;
	struct canary_service_cfg *s;

	load_ok(example, &cfg);
	ASSERT_EQ(cfg.n_services, 1, "cfg.n_services");
	s = &cfg.svc[0];
	ASSERT_TRUE_FMT(!strcmp(s->name, "prod-service"), "name '%s'", s->name);
	ASSERT_EQ(s->vip.af, AF_INET, "s->vip.af");
	ASSERT_EQ(s->vip.v4, htonl(0x0a60000a), "s->vip.v4");
	ASSERT_EQ(s->port, htons(5000), "s->port");
	ASSERT_EQ(s->proto, CANARY_PROTO_TCP, "s->proto");
	ASSERT_EQ(s->n_versions, 2, "s->n_versions");
	ASSERT_TRUE(!strcmp(s->v[0].name, "v1") && !strcmp(s->v[1].name, "v2"),
		    "version names");
	ASSERT_EQ(s->v[0].weight_bps, 7500, "s->v[0].weight_bps");
	ASSERT_EQ(s->v[1].weight_bps, 2500, "s->v[1].weight_bps");
	ASSERT_EQ(s->v[0].n_endpoints, 3, "s->v[0].n_endpoints");
	ASSERT_EQ(s->v[1].n_endpoints, 1, "s->v[1].n_endpoints");
	ASSERT_TRUE(ep_is(&s->v[0].ep[0], 0x0af4010b, 5050), "ep 0");
	ASSERT_TRUE(ep_is(&s->v[0].ep[1], 0x0af4010c, 5050), "ep 1");
	ASSERT_TRUE(ep_is(&s->v[0].ep[2], 0x0af4010d, 5050), "ep 2");
	ASSERT_TRUE(ep_is(&s->v[1].ep[0], 0x0af40115, 5050), "ep v2");
	config_free(&cfg);
}

static void test_empty(void)
{
	static const char *const texts[] = {
		"", "# nothing\n", "services: []\n", "services:\n", "---\n",
	};
	struct canary_config cfg;
	struct canary_err err;
	char path[32];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		config_init(&cfg);
		ASSERT_TRUE_FMT(load_text(texts[i], &cfg, &err, path) == 0, "'%s': %s",
				texts[i], err.msg);
		ASSERT_EQ(cfg.n_services, 0, "cfg.n_services");
		config_free(&cfg);
	}
}

static void test_udp_block_lists(void)
{
	struct canary_config cfg;

	load_ok("services:\n"
	        "- name: dns\n"
	        "  vip: 10.96.0.53\n"
	        "  port: \"53\"\n"
	        "  protocol: UDP\n"
	        "  versions:\n"
	        "  - name: stable\n"
	        "    weight: 99.5\n"
	        "    endpoints:\n"
	        "    - 10.244.2.2:53\n"
	        "    - 10.244.2.1:53\n"
	        "  - name: canary\n"
	        "    weight: 0.5\n"
	        "    endpoints: [10.244.3.1:5353]\n"
	        "  - name: empty\n"
	        "    weight: 0\n",
	        &cfg);
	ASSERT_EQ(cfg.n_services, 1, "cfg.n_services");
	ASSERT_EQ(cfg.svc[0].proto, CANARY_PROTO_UDP, "cfg.svc[0].proto");
	ASSERT_EQ(cfg.svc[0].port, htons(53), "cfg.svc[0].port");
	ASSERT_EQ(cfg.svc[0].n_versions, 3, "cfg.svc[0].n_versions");
	ASSERT_EQ(cfg.svc[0].v[0].weight_bps, 9950, "cfg.svc[0].v[0].weight_bps");
	ASSERT_EQ(cfg.svc[0].v[1].weight_bps, 50, "cfg.svc[0].v[1].weight_bps");
	ASSERT_EQ(cfg.svc[0].v[2].n_endpoints, 0, "cfg.svc[0].v[2].n_endpoints");
	/* Endpoints come back sorted. */
	ASSERT_TRUE(ep_is(&cfg.svc[0].v[0].ep[0], 0x0af40201, 53), "sorted");
	config_free(&cfg);
}

static void test_appends_and_rolls_back(void)
{
	struct canary_config cfg;
	struct canary_err err;
	char path[32];

	load_ok(example, &cfg);
	/* Same service again: a duplicate, and cfg keeps only the first. */
	ASSERT_EQ(load_text(example, &cfg, &err, path), -EINVAL,
		  "load_text(example, &cfg, &err, path)");
	ASSERT_STR_CONTAINS(err.msg, ":2:5: service 'prod-service' is defined twice", "err.msg");
	ASSERT_EQ(cfg.n_services, 1, "cfg.n_services");
	config_free(&cfg);
}

static void test_syntax_error(void)
{
	check_error("services:\n  - name: a\n    vip: [1, 2\n", "4:1: ",
		    "did not find expected ',' or ']'");
	check_error("services:\n  - name: a\n    vip: x: y\n", "3:11: ",
		    "mapping values are not allowed in this context");
	check_error("services:\n  - name: a\n   vip: x\n", "3:4: ",
		    "did not find expected '-' indicator");
}

static void test_unknown_key(void)
{
	check_error("services:\n  - name: a\n    vipp: 10.0.0.1\n", "3:5: ",
		    "unknown key 'vipp' in a service (expected name, vip, port, protocol, versions, affinity, pins, ports, snat, traffic_policy, guard)");
	check_error("servics: []\n", "1:1: ", "unknown key 'servics'");
	check_error("services:\n- name: a\n  versions:\n  - name: v1\n    wieght: 5\n",
		    "5:5: ", "unknown key 'wieght' in a version");
}

static const char steering[] =
	"grace_period: 30\n"
	"services:\n"
	"  - name: prod-service\n"
	"    vip: 10.96.0.10\n"
	"    port: 5000\n"
	"    affinity: client-ip\n"
	"    pins:\n"
	"      - {cidr: 0.0.0.0/0, version: v1}\n"
	"      - {cidr: 10.0.1.0/24, version: v2}\n"
	"    versions:\n"
	"      - name: v1\n"
	"        weight: 90\n"
	"        endpoints: [10.244.1.11:5050]\n"
	"        draining: [10.244.1.12:5050]\n"
	"      - name: v2\n"
	"        weight: 10\n"
	"        endpoints: [10.244.1.21:5050]\n";

static const char multiport[] =
	"services:\n"
	"  - name: web\n"
	"    vip: 10.96.0.20\n"
	"    ports: [{port: 80, targetPort: 8080}, {port: 443, targetPort: 8443}, {port: 9000}]\n"
	"    versions:\n"
	"      - {name: v1, weight: 100, endpoints: [10.244.1.11, 10.244.1.12]}\n";

/* A service with several ports: bare endpoint addresses, a target each. */
static void test_multiport(void)
{
	struct canary_config cfg;
	const struct canary_service_cfg *s;

	if (load_ok(multiport, &cfg)) {
		s = &cfg.svc[0];
		ASSERT_EQ(s->port, 0, "s->port");
		ASSERT_EQ(s->n_ports, 3, "s->n_ports");
		ASSERT_EQ(s->ports[0].port, htons(80), "s->ports[0].port");
		ASSERT_EQ(s->ports[0].target, htons(8080), "s->ports[0].target");
		ASSERT_EQ(s->ports[2].target, htons(9000), "s->ports[2].target");
		ASSERT_EQ(s->v[0].ep[1].port, 0, "s->v[0].ep[1].port");
	}
	config_free(&cfg);
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 80\n"
		    "  ports: [{port: 81}]\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2]}]\n",
		    "2:3: ", "service 'a' has both 'port' and 'ports'");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n"
		    "  ports: [{port: 81}, {port: 81}]\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2]}]\n",
		    "2:3: ", "port 81 is listed twice in 'a'");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n"
		    "  ports: [{port: 81}]\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2:5]}]\n",
		    "2:3: ", "lists endpoint addresses only");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n"
		    "  ports: [{port: 81, targetPort: 0}]\n", "4:34: ",
		    "'0' is not a valid port");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2:5]}]\n",
		    "2:3: ", "service needs 'port' or 'ports'");
}

/* Pins, affinity, draining endpoints and the grace period. */
static void test_steering_keys(void)
{
	struct canary_config cfg;
	const struct canary_service_cfg *s;

	if (load_ok(steering, &cfg)) {
		s = &cfg.svc[0];
		ASSERT_EQ(cfg.grace_s, 30, "cfg.grace_s");
		ASSERT_EQ(s->affinity, CANARY_AFFINITY_CLIENT_IP, "s->affinity");
		ASSERT_EQ(s->n_pins, 2, "s->n_pins");
		ASSERT_EQ(s->pins[1].addr.v4, htonl(0x0a000100), "s->pins[1].addr.v4");
		ASSERT_EQ(s->pins[1].prefixlen, 24, "s->pins[1].prefixlen");
		ASSERT_TRUE(!strcmp(s->pins[1].version, "v2"), "pin version");
		ASSERT_EQ(s->v[0].n_endpoints, 2, "s->v[0].n_endpoints");
		ASSERT_EQ(config_active_endpoints(&s->v[0]), 1,
			  "config_active_endpoints(&s->v[0])");
		ASSERT_TRUE(ep_is(&s->v[0].ep[1], 0x0af4010c, 5050), "draining endpoint");
		ASSERT_EQ(s->v[0].ep[1].flags, CANARY_EP_F_DRAINING, "s->v[0].ep[1].flags");
	}
	config_free(&cfg);
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 1\n"
		    "  pins: [{cidr: 10.0.1.1/24, version: v1}]\n", "5:17: ",
		    "has host bits set");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 1\n"
		    "  pins: [{cidr: 10.0.1.0/33, version: v1}]\n", "5:17: ",
		    "prefix length must be 0 to 32");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 1\n"
		    "  affinity: sticky\n", "5:13: ",
		    "'sticky' is not an affinity (none or client-ip)");
	check_error("grace_period: -1\nservices: []\n", "1:15: ",
		    "grace_period '-1' is not seconds from 0 to 3600");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 1\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2:1]}]\n"
		    "  pins: [{cidr: 10.0.1.0/24, version: v9}]\n", "2:3: ",
		    "no version 'v9'");
}

/* timeouts: {tcp, tcp_closing, udp}: keys left out take the defaults,
 * no section leaves the running ones; each bad value is named. */
static void test_timeouts(void)
{
	struct canary_config cfg;

	if (load_ok("timeouts: {tcp: 3600, udp: 5}\n"
		    "services: []\n", &cfg)) {
		ASSERT_TRUE(cfg.timeouts.set, "timeouts set");
		ASSERT_EQ(cfg.timeouts.tcp_s, 3600, "tcp");
		ASSERT_EQ(cfg.timeouts.tcp_closing_s, CANARY_TMO_CLOSING_DEFAULT_S,
			  "tcp_closing left out: default");
		ASSERT_EQ(cfg.timeouts.udp_s, 5, "udp");
	}
	config_free(&cfg);
	if (load_ok("services: []\n", &cfg))
		ASSERT_TRUE(!cfg.timeouts.set, "no section: running timeouts kept");
	config_free(&cfg);
	check_error("timeouts: {udp: 0}\n", "1:17: ",
		    "timeouts: 'udp' is '0', not seconds from 1 to 259200");
	check_error("timeouts: {tcp_closing: 10s}\n", "1:25: ",
		    "'tcp_closing' is '10s', not seconds");
	check_error("timeouts: {tcp: 259201}\n", "1:17: ",
		    "'tcp' is '259201', not seconds from 1 to 259200");
	check_error("timeouts: {tcp: [1]}\n", "1:17: ",
		    "'tcp' must be a single value, not a list");
	check_error("timeouts: {icmp: 5}\n", "1:12: ",
		    "unknown key 'icmp' in a timeouts section (expected tcp, tcp_closing, udp)");
	check_error("timeouts: 60\n", "1:11: ", "'timeouts' must be a mapping");
	if (load_ok("flood_guard: 5000\nservices: []\n", &cfg))
		ASSERT_EQ(cfg.timeouts.syn_rate, 5000, "flood_guard");
	config_free(&cfg);
	check_error("flood_guard: 0\n", "1:14: ",
		    "flood_guard '0' is not SYNs per second per CPU from 1 to "
		    "100000000");
	check_error("flood_guard: {a: 1}\n", "1:14: ",
		    "'flood_guard' must be a single value, not a mapping");
}

static const char dualstack[] =
	"services:\n"
	"  - name: six\n"
	"    vip: 2001:db8::10\n"
	"    port: 80\n"
	"    pins:\n"
	"      - {cidr: \"2001:db8:ff::/48\", version: v2}\n"
	"      - cidr: 2001:db8:ff::7\n"
	"        version: v1\n"
	"    versions:\n"
	"      - name: v1\n"
	"        weight: 90\n"
	"        endpoints:\n"
	"          - \"[2001:db8:1::12]:8080\"\n"
	"          - \"[2001:db8:1::11]:8080\"\n"
	"      - name: v2\n"
	"        weight: 10\n"
	"        endpoints: [\"[2001:db8:1::21]:8080\"]\n"
	"  - name: six-mp\n"
	"    vip: \"2001:db8::20\"\n"
	"    ports: [{port: 80, targetPort: 8080}]\n"
	"    versions:\n"
	"      - name: v1\n"
	"        weight: 100\n"
	"        endpoints: [\"2001:db8:2::1\", \"[2001:db8:2::2]\"]\n"
	"  - name: four\n"
	"    vip: 10.96.0.10\n"
	"    port: 80\n"
	"    versions: [{name: v1, weight: 100, endpoints: [10.244.1.11:80]}]\n";

static bool addr_text_is(const struct canary_addr *a, const char *want)
{
	char buf[CANARY_ADDR_STRLEN];

	return !strcmp(addr_str(a, buf, sizeof(buf)), want);
}

/* IPv6 VIPs, endpoints (bracketed, or bare for a ports list) and pins,
 * next to an IPv4 service on the same port. */
static void test_ipv6(void)
{
	struct canary_config cfg;
	const struct canary_service_cfg *s;

	if (load_ok(dualstack, &cfg)) {
		ASSERT_EQ(cfg.n_services, 3, "cfg.n_services");
		s = &cfg.svc[0];
		ASSERT_TRUE(config_is_v6(s) && addr_text_is(&s->vip, "2001:db8::10"), "vip");
		ASSERT_EQ(s->n_pins, 2, "s->n_pins");
		ASSERT_TRUE(addr_text_is(&s->pins[0].addr, "2001:db8:ff::") &&
			    s->pins[0].prefixlen == 48, "pin /48");
		ASSERT_EQ(s->pins[1].prefixlen, 128, "s->pins[1].prefixlen");
		ASSERT_EQ(s->v[0].n_endpoints, 2, "s->v[0].n_endpoints");
		ASSERT_TRUE(addr_text_is(&s->v[0].ep[0].addr, "2001:db8:1::11"), "sorted");
		ASSERT_EQ(s->v[0].ep[0].port, htons(8080), "s->v[0].ep[0].port");
		s = &cfg.svc[1];
		ASSERT_TRUE(config_is_v6(s), "six-mp is IPv6");
		ASSERT_TRUE(addr_text_is(&s->v[0].ep[1].addr, "2001:db8:2::2") &&
			    !s->v[0].ep[1].port, "bracketed bare endpoint");
		ASSERT_TRUE(!config_is_v6(&cfg.svc[2]), "four is IPv4");
	}
	config_free(&cfg);
	check_error("services:\n- name: a\n  vip: 2001:db8::zz\n", "3:8: ",
		    "'2001:db8::zz' is not an IP address");
	check_error("services:\n- name: a\n  vip: 2001:db8::1\n  port: 1\n"
		    "  pins: [{cidr: \"2001:db8:1::1/48\", version: v1}]\n", "5:17: ",
		    "'2001:db8:1::1/48' has host bits set (did you mean a /48 network?)");
	check_error("services:\n- name: a\n  vip: 2001:db8::1\n  port: 1\n"
		    "  pins: [{cidr: \"2001:db8::/129\", version: v1}]\n", "5:17: ",
		    "prefix length must be 0 to 128");
	check_error("services:\n- name: a\n  vip: 2001:db8::1\n  port: 1\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2:1]}]\n",
		    "2:3: ", "endpoint 10.0.0.2:1 of 'a' is IPv4 but the VIP "
		    "2001:db8::1 is IPv6");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 1\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [\"[2001:db8::2]:1\"]}]\n",
		    "2:3: ", "endpoint [2001:db8::2]:1 of 'a' is IPv6 but the VIP "
		    "10.0.0.1 is IPv4");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 1\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2:1]}]\n"
		    "  pins: [{cidr: \"2001:db8::/32\", version: v1}]\n",
		    "2:3: ", "pin 2001:db8::/32 of 'a' is IPv6 but the VIP");
	check_error("services:\n- name: a\n  vip: 2001:db8::1\n  port: 1\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [\"2001:db8::2:1\"]}]\n",
		    "2:3: ", "endpoint [2001:db8::2:1]:0 of 'a' needs an address and a port");
	check_error("node: {address: 10.1.0.1, pod_cidr: \"2001:db8::/64\"}\n",
		    "1:37: ", "'2001:db8::/64' is not an IPv4 CIDR");
}

/* The node section and the per-service SNAT and traffic policy. */
static void test_node_and_snat(void)
{
	static const char text[] =
		"node: {address: 10.1.0.1, pod_cidr: 10.244.1.0/24, snat_ports: 30000-30099}\n"
		"services:\n"
		"  - name: a\n    vip: 10.96.0.10\n    port: 80\n"
		"    snat: always\n    traffic_policy: local\n"
		"    versions: [{name: v1, weight: 100, endpoints: [10.244.1.11:80]}]\n";
	struct canary_config cfg;

	if (load_ok(text, &cfg)) {
		ASSERT_TRUE(cfg.node.set, "node section seen");
		ASSERT_EQ(cfg.node.address, htonl(0x0a010001), "cfg.node.address");
		ASSERT_EQ(cfg.node.pod_len, 24, "cfg.node.pod_len");
		ASSERT_EQ(cfg.node.port_min, 30000, "cfg.node.port_min");
		ASSERT_EQ(cfg.node.port_max, 30099, "cfg.node.port_max");
		ASSERT_EQ(cfg.svc[0].snat, CANARY_SNAT_ALWAYS, "cfg.svc[0].snat");
		ASSERT_EQ(cfg.svc[0].local, 1, "cfg.svc[0].local");
		ASSERT_TRUE(config_is_local(&cfg.node, htonl(0x0af4010b)), "local pod");
		ASSERT_TRUE(!config_is_local(&cfg.node, htonl(0x0af4020b)), "remote pod");
	}
	config_free(&cfg);
	check_error("node: {address: 10.1.0.1}\n", "1:7: ",
		    "node has no 'pod_cidr'");
	check_error("node: {address: 10.1.0.1, pod_cidr: 10.244.1.0/24, "
		    "snat_ports: 5-1}\n", "1:64: ", "'5-1' is not a port range");
	check_error("services:\n- name: a\n  snat: sometimes\n", "3:9: ",
		    "snat 'sometimes' is not one of auto, always, never");
}

/* The node section's IPv6 keys, and what IPv6 services ask of them. */
static void test_node6(void)
{
	static const char six[] =
		"  - name: a\n    vip: 2001:db8::1\n    port: 1\n"
		"    snat: always\n"
		"    versions: [{name: v1, weight: 100, endpoints: [\"[fd00:244:1::11]:1\"]}]\n"
		"  - name: b\n    vip: 2001:db8::1\n    port: 2\n"
		"    traffic_policy: local\n"
		"    versions: [{name: v1, weight: 100, endpoints: [\"[fd00:244:2::21]:1\"]}]\n";
	char text[1024];
	struct canary_config cfg;
	struct canary_addr local, remote;

	snprintf(text, sizeof(text), "node: {address: 10.1.0.1, pod_cidr: "
		 "10.244.1.0/24, address6: \"fd00:10::1\", pod_cidr6: "
		 "\"fd00:244:1::/64\"}\nservices:\n%s", six);
	if (load_ok(text, &cfg)) {
		addr_from_str("fd00:244:1::11", &local);
		addr_from_str("fd00:244:2::21", &remote);
		ASSERT_EQ(cfg.node.address, htonl(0x0a010001), "cfg.node.address");
		ASSERT_EQ(cfg.node.address6[0], htonl(0xfd000010), "cfg.node.address6[0]");
		ASSERT_EQ(cfg.node.address6[3], htonl(1), "cfg.node.address6[3]");
		ASSERT_EQ(cfg.node.pod_len6, 64, "cfg.node.pod_len6");
		ASSERT_EQ(cfg.node.pod_net6[1], htonl(0x00010000), "cfg.node.pod_net6[1]");
		ASSERT_TRUE(config_is_local_addr(&cfg.node, &local), "local pod");
		ASSERT_TRUE(!config_is_local_addr(&cfg.node, &remote), "remote pod");
		ASSERT_EQ(cfg.n_services, 2, "cfg.n_services");
	}
	config_free(&cfg);
	/* IPv6 only */
	if (load_ok("node: {address6: \"fd00:10::1\", pod_cidr6: "
		    "\"fd00:244:1::/64\"}\n", &cfg)) {
		ASSERT_EQ(cfg.node.address, 0, "cfg.node.address");
		ASSERT_EQ(cfg.node.pod_len6, 64, "cfg.node.pod_len6");
		ASSERT_EQ(cfg.node.port_min, CANARY_SNAT_PORT_MIN, "cfg.node.port_min");
	}
	config_free(&cfg);
	/* Without a node section, apply checks against the running node. */
	snprintf(text, sizeof(text), "services:\n%s", six);
	load_ok(text, &cfg);
	config_free(&cfg);
	snprintf(text, sizeof(text), "node: {address: 10.1.0.1, pod_cidr: "
		 "10.244.1.0/24}\nservices:\n%s", six);
	check_error(text, "1:7: ", "service 'a': snat: always on an IPv6 service "
		    "needs this node's IPv6 address (node: address6)");
	snprintf(text, sizeof(text), "node: {address: 10.1.0.1, pod_cidr: "
		 "10.244.1.0/24, address6: \"fd00:10::1\"}\nservices:\n%s", six);
	check_error(text, "1:7: ", "node has no 'pod_cidr6'");
	snprintf(text, sizeof(text), "node: {address6: \"fd00:10::1\", "
		 "pod_cidr6: \"fd00:244:1::/64\", pod_cidr: 10.244.1.0/24}\n");
	check_error(text, "1:7: ", "node has no 'address'");
	check_error("node: {pod_cidr6: \"fd00:244:1::/64\"}\n", "1:7: ",
		    "node has no 'address6'");
	check_error("node: {address: 10.1.0.1, pod_cidr: 10.244.1.0/24, "
		    "address6: 10.1.0.2, pod_cidr6: \"fd00::/64\"}\n", "1:62: ",
		    "'10.1.0.2' is not an IPv6 address");
	check_error("node: {address6: \"fd00::1\", pod_cidr6: 10.244.0.0/16}\n",
		    "1:40: ", "'10.244.0.0/16' is not an IPv6 CIDR");
	check_error("node: {address6: \"fd00::1\", pod_cidr6: \"fd00::1/64\"}\n",
		    "1:40: ", "has host bits set");
	check_error("node: {}\n", "1:7: ", "node has no 'address'");
}

static void test_bad_values(void)
{
	check_error("services:\n- name: a\n  vip: 10.96.0.300\n", "3:8: ",
		    "'10.96.0.300' is not an IPv4 address");
	check_error("services:\n- name: a\n  port: 0\n", "3:9: ",
		    "'0' is not a valid port (1-65535)");
	check_error("services:\n- name: a\n  protocol: sctp\n", "3:13: ",
		    "'sctp' is not a protocol");
	check_error("services:\n- name: a b\n", "2:9: ",
		    "service name 'a b' has an invalid character");
	check_error("services:\n- versions:\n  - name: v1\n    weight: 25%\n",
		    "4:13: ", "'25%' is not a percentage");
	check_error("services:\n- versions:\n  - name: v1\n    weight: 1\n"
		    "    endpoints: [10.0.0.1:80, 10.0.0.2/8]\n",
		    "5:30: ", "'10.0.0.2/8' is not an endpoint (IP or IP:PORT)");
	/* A bare address needs a ports list to take its port from. */
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 80\n"
		    "  versions: [{name: v1, weight: 100, endpoints: [10.0.0.2]}]\n",
		    "2:3: ", "endpoint 10.0.0.2:0 of 'a' needs an address and a port");
}

static void test_wrong_types(void)
{
	check_error("- a\n", "1:1: ", "the file must be a mapping");
	check_error("services: 5\n", "1:11: ", "'services' must be a list");
	check_error("services:\n- 5\n", "2:3: ", "a service must be a mapping");
	check_error("services:\n- vip: [1]\n", "2:8: ",
		    "'vip' must be a single value, not a list");
	check_error("services:\n- versions: {a: 1}\n", "2:13: ",
		    "'versions' must be a list");
	check_error("services:\n- versions:\n  - name: v1\n    endpoints: 10.0.0.1:80\n",
		    "4:16: ", "'endpoints' must be a list of IP:PORT");
}

static void test_missing_and_duplicate_keys(void)
{
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 80\n",
		    "2:3: ", "service has no 'versions'");
	check_error("services:\n- name: a\n  port: 80\n", "2:3: ",
		    "service has no 'vip'");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  port: 80\n"
		    "  versions:\n  - name: v1\n", "6:5: ",
		    "version has no 'weight'");
	check_error("services:\n- name: a\n  vip: 10.0.0.1\n  vip: 10.0.0.2\n",
		    "4:3: ", "duplicate key 'vip' in a service");
}

static void test_validate_errors(void)
{
	static const char bad_total[] =
		"services:\n"
		"- name: prod-service\n"
		"  vip: 10.96.0.10\n"
		"  port: 5000\n"
		"  versions:\n"
		"  - {name: v1, weight: 75, endpoints: [10.244.1.11:5050]}\n"
		"  - {name: v2, weight: 15, endpoints: [10.244.1.21:5050]}\n";
	static const char dup_ep[] =
		"services:\n"
		"- name: ok\n"
		"  vip: 10.96.0.9\n"
		"  port: 5000\n"
		"  versions: [{name: v1, weight: 100, endpoints: [10.244.1.11:5050]}]\n"
		"- name: prod-service\n"
		"  vip: 10.96.0.10\n"
		"  port: 5000\n"
		"  versions:\n"
		"  - {name: v1, weight: 75, endpoints: [10.244.1.11:5050]}\n"
		"  - {name: v2, weight: 25, endpoints: [10.244.1.11:5050]}\n";
	static const char no_eps[] =
		"services:\n"
		"- name: prod-service\n"
		"  vip: 10.96.0.10\n"
		"  port: 5000\n"
		"  versions:\n"
		"  - {name: v1, weight: 75, endpoints: [10.244.1.11:5050]}\n"
		"  - {name: v2, weight: 25, endpoints: []}\n";

	check_error(bad_total, "2:3: ", "weights of 'prod-service' total 90, not 100");
	check_error(dup_ep, "6:3: ",
		    "endpoint 10.244.1.11:5050 is listed twice in 'prod-service'");
	check_error(no_eps, "2:3: ", "version 'v2' of 'prod-service' has no endpoints");
}

static void test_limits(void)
{
	char text[8192], *p = text;
	int i;

	p += sprintf(p, "services:\n- name: a\n  vip: 10.0.0.1\n  port: 80\n"
		     "  versions:\n");
	for (i = 0; i <= CANARY_MAX_VERSIONS; i++)
		p += sprintf(p, "  - {name: v%d, weight: 0}\n", i);
	check_error(text, "10:5: ", "too many versions (at most 4)");

	p = text;
	p += sprintf(p, "services:\n- versions:\n  - name: v1\n    endpoints:\n");
	for (i = 0; i <= CANARY_MAX_ENDPOINTS; i++)
		p += sprintf(p, "    - 10.0.%d.%d:80\n", i / 256, i % 256 + 1);
	check_error(text, "133:7: ", "too many endpoints (at most 128)");
}

static void test_second_document(void)
{
	check_error("services: []\n---\nservices: []\n", "3:1: ",
		    "only one YAML document is allowed");
}

static void test_missing_file(void)
{
	struct canary_config cfg;
	struct canary_err err;

	config_init(&cfg);
	ASSERT_EQ(yaml_load_config("/nonexistent/canary.yaml", &cfg, &err), -ENOENT,
		  "yaml_load_config");
	ASSERT_STR_CONTAINS(err.msg, "/nonexistent/canary.yaml: No such file or directory",
			    "err.msg");
	config_free(&cfg);
}

int main(void)
{
	RUN_TEST(test_example);
	RUN_TEST(test_empty);
	RUN_TEST(test_udp_block_lists);
	RUN_TEST(test_appends_and_rolls_back);
	RUN_TEST(test_syntax_error);
	RUN_TEST(test_unknown_key);
	RUN_TEST(test_steering_keys);
	RUN_TEST(test_multiport);
	RUN_TEST(test_ipv6);
	RUN_TEST(test_node_and_snat);
	RUN_TEST(test_node6);
	RUN_TEST(test_timeouts);
	RUN_TEST(test_bad_values);
	RUN_TEST(test_wrong_types);
	RUN_TEST(test_missing_and_duplicate_keys);
	RUN_TEST(test_validate_errors);
	RUN_TEST(test_limits);
	RUN_TEST(test_second_document);
	RUN_TEST(test_missing_file);
	return test__summary();
}
