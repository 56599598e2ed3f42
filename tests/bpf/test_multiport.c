// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A service with several ports translates each to its target port, and
 * replies from each target port get their own service port back; another
 * service shares the VIP on a third port. */
#include <arpa/inet.h>
#include <stdio.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"

#define TC_ACT_UNSPEC (-1)
#define WEB_VIP "10.96.0.20"

static void web_config(struct canary_config *cfg)
{
	struct canary_service_cfg *web = config_add_service(cfg, NULL);
	struct canary_service_cfg *api = config_add_service(cfg, NULL);
	int e;

	snprintf(web->name, sizeof(web->name), "web");
	web->vip = addr_v4(ip4(WEB_VIP));
	web->proto = IPPROTO_TCP;
	web->n_ports = 2;
	web->ports[0] = (struct canary_port_cfg){ htons(80), htons(8080) };
	web->ports[1] = (struct canary_port_cfg){ htons(443), htons(8443) };
	web->n_versions = 1;
	snprintf(web->v[0].name, sizeof(web->v[0].name), "v1");
	web->v[0].weight_bps = 10000;
	web->v[0].n_endpoints = 2;
	for (e = 0; e < 2; e++)
		web->v[0].ep[e].addr = addr_v4(htonl(ntohl(ip4("10.244.1.11")) + e));
	snprintf(api->name, sizeof(api->name), "api");
	api->vip = addr_v4(ip4(WEB_VIP));
	api->port = htons(5000);
	api->proto = IPPROTO_TCP;
	api->n_versions = 1;
	snprintf(api->v[0].name, sizeof(api->v[0].name), "v1");
	api->v[0].weight_bps = 10000;
	api->v[0].n_endpoints = 1;
	api->v[0].ep[0].addr = addr_v4(ip4("10.244.1.21"));
	api->v[0].ep[0].port = htons(5050);
}

/* SYN client:@sport -> VIP:@port must reach an endpoint on @target, and
 * its reply must come back from VIP:@port. */
static void port_case(struct test_env *env, const char *name, __u16 port,
		      __u16 sport, __u16 target)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ip4("10.0.0.2"),
			      .daddr = ip4(WEB_VIP), .sport = sport,
			      .dport = port };
	struct pkt_view v, r;

	test__start_subtest(name);
	if (!ASSERT_EQ(env_run_spec(env->xdp_fd, &s, &v), XDP_PASS, "verdict") ||
	    !ASSERT_EQ(v.dport, target, "target port"))
		return;
	ASSERT_TRUE(v.ip_csum_ok && v.l4_csum_ok, "checksums");
	s = (struct pkt_spec){ .proto = IPPROTO_TCP, .saddr = v.daddr,
			       .daddr = ip4("10.0.0.2"), .sport = target,
			       .dport = sport, .tcp_flags = 0x12 };
	ASSERT_EQ(env_run_spec(env->tc_out_fd, &s, &r), TC_ACT_UNSPEC, "reply");
	ASSERT_EQ(r.saddr, ip4(WEB_VIP), "reply from the VIP");
	ASSERT_EQ(r.sport, port, "reply from the service port");
	ASSERT_TRUE(r.ip_csum_ok && r.l4_csum_ok, "reply checksums");
}

void test_multiport(void)
{
	struct pkt_spec other = { .proto = IPPROTO_TCP, .saddr = ip4("10.0.0.2"),
				  .daddr = ip4(WEB_VIP), .sport = 40010,
				  .dport = 81 };
	struct canary_config cfg;
	struct test_env env;
	struct pkt_view v;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	web_config(&cfg);
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
		goto teardown;
	port_case(&env, "port_80_to_8080", 80, 40001, 8080);
	port_case(&env, "port_443_to_8443", 443, 40002, 8443);
	port_case(&env, "other_service_same_vip", 5000, 40003, 5050);
	test__start_subtest("unlisted_port_passes");
	ASSERT_EQ(env_run_spec(env.xdp_fd, &other, &v), XDP_PASS, "verdict");
	ASSERT_EQ(v.daddr, ip4(WEB_VIP), "untranslated");
	ASSERT_EQ(v.dport, 81, "port kept");
teardown:
	env_teardown(&env);
out:
	config_free(&cfg);
}
