// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent in a dual-stack cluster: API addresses of both families,
 * dual-stack Services, IPv6 EndpointSlices, Gateways and Nodes decoded
 * exactly, and the plan: per-family services named apart, endpoints of
 * the VIP's family only, IPv6 skipped for Local and SNAT always
 * (user/kube/kube_objects.c, kube_gateway.c, agent_plan.c, agent_route.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "agent/agent_plan.h"
#include "kube/kube_logic.h"
#include "kube_fixture.h"
#include "harness.h"

static void test_addr_parse(void)
{
	static const struct {
		const char *s;
		int af;        /* asked for */
		int want;      /* family got, 0: refused */
	} cases[] = {
		{ "10.96.0.10", 0, AF_INET },
		{ "fd00:10:96::a", 0, AF_INET6 },
		{ "2001:db8::1", AF_INET6, AF_INET6 },
		{ "2001:db8::1", AF_INET, 0 },
		{ "10.0.0.1", AF_INET6, 0 },
		{ "0.0.0.0", 0, 0 },
		{ "::", 0, 0 },
		{ "::ffff:10.0.0.1", 0, 0 },
		{ "10.0.0.0/24", 0, 0 },
		{ "[fd00::1]", 0, 0 },
		{ "fd00::1%eth0", 0, 0 },
		{ "gw.example", 0, 0 },
		{ "", 0, 0 },
	};
	struct canary_addr a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		ASSERT_TRUE_FMT(kube_addr_parse(cases[i].s, cases[i].af, &a) == !!cases[i].want &&
				a.af == cases[i].want, "'%s' (af %d): got family %d", cases[i].s,
				cases[i].af, a.af);
	}
	ASSERT_TRUE(!kube_addr_parse(NULL, 0, &a), "NULL accepted");
	ASSERT_TRUE_FMT(kube_addr_parse("2001:DB8:0:0::A", 0, &a) && !strcmp(as(&a), "2001:db8::a"),
			"canonical text: %s", as(&a));
}

/* IPv6-primary dual stack (ipFamilies [IPv6, IPv4]), as the API serves it. */
static const char svc_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"prod\","
	"\"namespace\":\"shop\"},\"spec\":{\"type\":\"NodePort\",\"clusterIP\":"
	"\"fd00:10:96::a\",\"clusterIPs\":[\"fd00:10:96::a\",\"10.96.0.10\"],"
	"\"ipFamilies\":[\"IPv6\",\"IPv4\"],\"ipFamilyPolicy\":\"RequireDualStack\","
	"\"externalIPs\":[\"192.168.1.10\",\"2001:db8::10\",\"fd00:10:96::a\"],"
	"\"externalTrafficPolicy\":\"Cluster\",\"ports\":[{\"name\":\"http\","
	"\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080,\"nodePort\":30080}]},"
	"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"2001:db8::5\",\"ipMode\":"
	"\"VIP\"},{\"ip\":\"203.0.113.5\"},{\"hostname\":\"lb.example\"}]}}}";

static void test_service_decode(void)
{
	static const char *const want[] = { "fd00:10:96::a", "10.96.0.10",
		"192.168.1.10", "2001:db8::10", "2001:db8::5", "203.0.113.5" };
	static const bool primary[] = { true, true, false, false, false, false };
	struct kube_obj *o = obj(KUBE_SERVICE, svc_json), *v4, *fam;
	int i;

	if (o) {
		/* The duplicate external fd00:10:96::a and the hostname are dropped. */
		ASSERT_EQ(o->svc.n_vips, 6, "o->svc.n_vips");
		for (i = 0; i < 6 && i < o->svc.n_vips; i++)
			ASSERT_TRUE_FMT(!strcmp(as(&o->svc.vips[i]), want[i]) &&
					o->svc.primary[i] == primary[i], "vip %d: %s (primary %d)",
					i,
					as(&o->svc.vips[i]), o->svc.primary[i]);
		ASSERT_EQ(o->svc.families, KUBE_FAMILY_V4 | KUBE_FAMILY_V6, "o->svc.families");
		ASSERT_EQ(o->svc.ports[0].node_port, 30080, "o->svc.ports[0].node_port");
	}
	kube_obj_free(o);
	/* Single-stack IPv4: only the IPv4 family, an IPv6 external IP kept
	 * (the plan leaves it out). */
	v4 = obj(KUBE_SERVICE, "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"clusterIP\":"
		 "\"10.96.0.1\",\"clusterIPs\":[\"10.96.0.1\"],\"ipFamilies\":[\"IPv4\"],"
		 "\"externalIPs\":[\"2001:db8::1\"],\"ports\":[{\"port\":80}]}}");
	if (v4)
		ASSERT_TRUE(v4->svc.families == KUBE_FAMILY_V4 && v4->svc.n_vips == 2 &&
			    v4->svc.primary[0] && !v4->svc.primary[1], "single stack");
	kube_obj_free(v4);
	/* Headless in both families: no VIP, the families from ipFamilies. */
	fam = obj(KUBE_SERVICE, "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"clusterIP\":"
		  "\"None\",\"clusterIPs\":[\"None\"],\"ipFamilies\":[\"IPv4\",\"IPv6\"],"
		  "\"ports\":[{\"port\":80}]}}");
	if (fam)
		ASSERT_TRUE_FMT(!fam->svc.n_vips &&
				fam->svc.families == (KUBE_FAMILY_V4 | KUBE_FAMILY_V6),
				"headless: %d vips, families %u", fam->svc.n_vips,
				fam->svc.families);
	kube_obj_free(fam);
}

static void test_slice_decode(void)
{
	struct kube_obj *s6 = obj(KUBE_SLICE,
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\","
		"\"metadata\":{\"name\":\"v1-6abc\",\"namespace\":\"shop\",\"labels\":"
		"{\"kubernetes.io/service-name\":\"v1\"}},\"addressType\":\"IPv6\","
		"\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],"
		"\"endpoints\":[{\"addresses\":[\"fd00:244:1::11\"],\"conditions\":{\"ready\":"
		"true,\"serving\":true,\"terminating\":false},\"nodeName\":\"node-1\"},"
		"{\"addresses\":[\"10.244.1.12\"]},{\"addresses\":[\"fd00:244:1::13\"],"
		"\"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true}},"
		"{\"addresses\":[\"::\"]},{\"addresses\":[]}]}");
	struct kube_obj *fq = obj(KUBE_SLICE,
		"{\"metadata\":{\"name\":\"v1-f\",\"labels\":{\"kubernetes.io/service-name\":"
		"\"v1\"}},\"addressType\":\"FQDN\",\"ports\":[{\"name\":\"http\",\"port\":8080}],"
		"\"endpoints\":[{\"addresses\":[\"pod.example\"]}]}");
	struct kube_obj *s4 = obj(KUBE_SLICE,
		"{\"metadata\":{\"name\":\"v1-4\"},\"addressType\":\"IPv4\",\"endpoints\":"
		"[{\"addresses\":[\"fd00::1\"]},{\"addresses\":[\"10.244.1.11\"]}]}");

	if (s6) {
		ASSERT_EQ(s6->slice.af, AF_INET6, "s6->slice.af");
		/* The IPv4 address, :: and the empty one are not IPv6 endpoints. */
		ASSERT_EQ(s6->slice.n_eps, 2, "s6->slice.n_eps");
		ASSERT_TRUE(!strcmp(as(&s6->slice.eps[0].addr), "fd00:244:1::11") &&
			    s6->slice.eps[0].ready && !s6->slice.eps[0].terminating, "ep 0");
		ASSERT_TRUE(!strcmp(as(&s6->slice.eps[1].addr), "fd00:244:1::13") &&
			    !s6->slice.eps[1].ready && s6->slice.eps[1].serving &&
			    s6->slice.eps[1].terminating, "ep 1");
		ASSERT_TRUE(s6->slice.n_ports == 1 && s6->slice.ports[0].port == 8080, "ports");
	}
	if (fq)
		ASSERT_TRUE(fq->slice.af == 0 && fq->slice.n_eps == 0 && !fq->slice.eps, "FQDN");
	if (s4)
		ASSERT_TRUE(s4->slice.af == AF_INET && s4->slice.n_eps == 1 &&
			    !strcmp(as(&s4->slice.eps[0].addr), "10.244.1.11"), "IPv4 slice");
	kube_obj_free(s6);
	kube_obj_free(fq);
	kube_obj_free(s4);
}

/* A dual-stack Node: IPv6 InternalIP first, as an IPv6-primary cluster
 * lists it. */
static const char node_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\"},"
	"\"spec\":{\"podCIDR\":\"fd00:244:1::/64\",\"podCIDRs\":[\"fd00:244:1::/64\","
	"\"10.244.1.0/24\"]},\"status\":{\"addresses\":[{\"type\":\"InternalIP\","
	"\"address\":\"fd00::1\"},{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"},"
	"{\"type\":\"ExternalIP\",\"address\":\"2001:db8::7\"},{\"type\":\"Hostname\","
	"\"address\":\"node-1\"}]}}";

static void test_node_decode(void)
{
	struct kube_obj *n = obj(KUBE_NODE, node_json);
	struct canary_addr a4;

	if (!n)
		return;
	a4 = addr_v4(n->node.internal_ip);
	ASSERT_TRUE_FMT(!strcmp(as(&a4), "10.0.0.1"), "SNAT address IPv4: %s", as(&a4));
	a4 = addr_v4(n->node.pod_net);
	ASSERT_TRUE_FMT(!strcmp(as(&a4), "10.244.1.0") && n->node.pod_len == 24, "pod CIDR %s/%u",
			as(&a4), n->node.pod_len);
	a4 = addr_v6(n->node.internal_ip6);
	ASSERT_TRUE_FMT(!strcmp(as(&a4), "fd00::1"), "SNAT address IPv6: %s", as(&a4));
	a4 = addr_v6(n->node.pod_net6);
	ASSERT_TRUE_FMT(!strcmp(as(&a4), "fd00:244:1::") && n->node.pod_len6 == 64,
			"IPv6 pod CIDR %s/%u", as(&a4), n->node.pod_len6);
	ASSERT_EQ(n->node.n_addrs, 3, "n->node.n_addrs");
	ASSERT_TRUE(!strcmp(as(&n->node.addrs[0]), "fd00::1") &&
		    !strcmp(as(&n->node.addrs[1]), "10.0.0.1") &&
		    !strcmp(as(&n->node.addrs[2]), "2001:db8::7"), "addresses");
	kube_obj_free(n);
}

static void test_gateway_decode(void)
{
	struct kube_obj *g = obj(KUBE_GATEWAY,
		"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
		"\"metadata\":{\"name\":\"edge\",\"namespace\":\"shop\"},\"spec\":{"
		"\"gatewayClassName\":\"canary-bpf\",\"addresses\":[{\"type\":\"IPAddress\","
		"\"value\":\"2001:db8::99\"}],\"listeners\":[{\"name\":\"tcp\",\"port\":5000,"
		"\"protocol\":\"TCP\"}]},\"status\":{\"addresses\":[{\"type\":\"IPAddress\","
		"\"value\":\"2001:db8::20\"},{\"type\":\"IPAddress\",\"value\":\"10.96.0.20\"},"
		"{\"type\":\"Hostname\",\"value\":\"gw.example\"},{\"value\":\"2001:DB8::20\"}]}}");
	struct kube_obj *s = obj(KUBE_GATEWAY,
		"{\"metadata\":{\"name\":\"g\"},\"spec\":{\"addresses\":[{\"type\":"
		"\"IPAddress\",\"value\":\"2001:db8::99\"}]}}");

	if (g)
		ASSERT_TRUE_FMT(g->gw.n_addrs == 2 &&
				!strcmp(as(&g->gw.addrs[0]), "2001:db8::20") &&
				!strcmp(as(&g->gw.addrs[1]), "10.96.0.20"),
				"status addresses: %d", g->gw.n_addrs);
	if (s)
		ASSERT_TRUE(s->gw.n_addrs == 1 && !strcmp(as(&s->gw.addrs[0]), "2001:db8::99"),
			    "spec address");
	kube_obj_free(g);
	kube_obj_free(s);
}

/* Backends v1, v2 (port http 80) with IPv4 and IPv6 slices; v2's IPv6
 * pod also listed (wrongly) in an IPv4 slice: it must not leak. */
static void backends(struct kube_store *store)
{
	static const char *const names[] = { "v1", "v2" };
	char buf[1024];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s\",\"namespace\":"
			 "\"shop\"},\"spec\":{\"clusterIPs\":[\"10.96.1.%d\",\"fd00:10:96::1:%d\"],"
			 "\"ipFamilies\":[\"IPv4\",\"IPv6\"],\"ports\":[{\"name\":\"http\","
			 "\"port\":80}]}}", names[i], i + 1, i + 1);
		put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, buf));
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s-4\",\"namespace\":"
			 "\"shop\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
			 "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080}],"
			 "\"endpoints\":[{\"addresses\":[\"10.244.1.%d\"]},{\"addresses\":"
			 "[\"fd00:244:1::%d\"]}]}", names[i], names[i], 11 + i, 99);
		put(&store[KUBE_SLICE], obj(KUBE_SLICE, buf));
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s-6\",\"namespace\":"
			 "\"shop\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
			 "\"addressType\":\"IPv6\",\"ports\":[{\"name\":\"http\",\"port\":8080}],"
			 "\"endpoints\":[{\"addresses\":[\"fd00:244:1::%d\"]},{\"addresses\":"
			 "[\"fd00:244:1::%d\"],\"conditions\":{\"ready\":false,\"serving\":true,"
			 "\"terminating\":true}}]}", names[i], names[i], 11 + i, 31 + i);
		put(&store[KUBE_SLICE], obj(KUBE_SLICE, buf));
	}
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"metadata\":{\"name\":\"ts\",\"namespace\":\"shop\"},\"spec\":{\"service\":"
		"\"prod\",\"backends\":[{\"service\":\"v1\",\"weight\":80},{\"service\":"
		"\"v2\",\"weight\":20}]}}"));
}

/* Whether every endpoint of @s is of its VIP's family. */
static bool one_family(const struct canary_service_cfg *s)
{
	int v, e;

	for (v = 0; v < s->n_versions; v++)
		for (e = 0; e < s->v[v].n_endpoints; e++)
			if (s->v[v].ep[e].addr.af != s->vip.af)
				return false;
	return true;
}

static void test_plan(void)
{
	static const struct {
		const char *name, *vip;
		__u16 port;
	} want[] = {
		/* IPv4 first, named as before dual stack. */
		{ "k8s.shop.ts.http", "10.96.0.10", 80 },
		{ "k8s.shop.ts.http.192-168-1-10", "192.168.1.10", 80 },
		{ "k8s.shop.ts.http.203-0-113-5", "203.0.113.5", 80 },
		{ "k8s.shop.ts.nodeport-30080.10-0-0-1", "10.0.0.1", 30080 },
		{ "k8s.shop.ts.http.v6", "fd00:10:96::a", 80 },
		{ "k8s.shop.ts.http.2001-db8--10", "2001:db8::10", 80 },
		{ "k8s.shop.ts.http.2001-db8--5", "2001:db8::5", 80 },
		{ "k8s.shop.ts.nodeport-30080.fd00--1", "fd00::1", 30080 },
		{ "k8s.shop.ts.nodeport-30080.2001-db8--7", "2001:db8::7", 30080 },
	};
	struct kube_store store[KUBE_KINDS] = {};
	const struct canary_service_cfg *s;
	struct canary_err err = {};
	struct agent_plan p;
	size_t i;

	backends(store);
	put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, svc_json));
	put(&store[KUBE_NODE], obj(KUBE_NODE, node_json));
	if (!ASSERT_EQ(agent_plan_build(store, "node-1", &p), 0, "agent_plan_build"))
		goto out;
	ASSERT_EQ(p.n_splits, 1, "p.n_splits");
	ASSERT_TRUE_FMT(!p.splits[0].bad[0] && !p.splits[0].note[0], "bad '%s' note '%s'",
			p.splits[0].bad, p.splits[0].note);
	if (!ASSERT_EQ(p.cfg.n_services, (int)(sizeof(want) / sizeof(want[0])), "p.cfg.n_services"))
		goto free;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		s = &p.cfg.svc[i];
		ASSERT_TRUE_FMT(!strcmp(s->name, want[i].name) &&
				!strcmp(as(&s->vip), want[i].vip) &&
				ntohs(s->port) == want[i].port, "service %zu: %s %s:%u", i,
				s->name, as(&s->vip), ntohs(s->port));
		ASSERT_TRUE_FMT(s->v[0].weight_bps == 8000 && s->v[1].weight_bps == 2000,
				"%s weights",
				s->name);
		ASSERT_TRUE_FMT(one_family(s), "%s mixes families", s->name);
	}
	/* IPv4: the IPv4 slices only (the IPv6 address in one is dropped). */
	s = &p.cfg.svc[0];
	ASSERT_TRUE(s->v[0].n_endpoints == 1 && !strcmp(as(&s->v[0].ep[0].addr), "10.244.1.11") &&
		    ntohs(s->v[0].ep[0].port) == 8080, "v4 v1 endpoints");
	ASSERT_TRUE(s->v[1].n_endpoints == 1 && !strcmp(as(&s->v[1].ep[0].addr), "10.244.1.12"),
		    "v4 v2 endpoints");
	/* IPv6: ready and draining IPv6 endpoints, the slice's port. */
	s = &p.cfg.svc[4];
	ASSERT_TRUE(s->v[0].n_endpoints == 2 &&
		    !strcmp(as(&s->v[0].ep[0].addr), "fd00:244:1::11") &&
		    !s->v[0].ep[0].flags && !strcmp(as(&s->v[0].ep[1].addr), "fd00:244:1::31") &&
		    (s->v[0].ep[1].flags & CANARY_EP_F_DRAINING) &&
		    ntohs(s->v[0].ep[0].port) == 8080, "v6 v1 endpoints");
	ASSERT_TRUE(s->v[1].n_endpoints == 2 && !strcmp(as(&s->v[1].ep[0].addr), "fd00:244:1::12"),
		    "v6 v2 endpoints");
	ASSERT_TRUE(s->snat == CANARY_SNAT_AUTO && !s->local, "IPv6 policy");
	ASSERT_EQ(p.splits[0].terminating, 10, "p.splits[0].terminating"); /* 2 per IPv6 service */
	/* The node section: both families' InternalIP and pod CIDR. */
	ASSERT_TRUE(p.cfg.node.set && p.cfg.node.address == htonl(0x0a000001), "node section");
	ASSERT_TRUE(config_node_has_address6(&p.cfg.node) &&
		    p.cfg.node.pod_len6 == 64, "node section IPv6");
	ASSERT_TRUE_FMT(config_validate(&p.cfg, &err) == 0, "plan does not validate: %s", err.msg);
free:
	agent_plan_free(&p);
out:
	store_free(store);
}

/* What IPv6 services cannot have: the IPv6 family is left out, noted;
 * IPv4 is served as before. An IPv4-only Service ignores an IPv6
 * external IP without a note. */
static void test_plan_v6_skipped(void)
{
	static const char *const roots[] = {
		"\"spec\":{\"type\":\"NodePort\",\"externalTrafficPolicy\":\"Local\",",
		("\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\",\"annotations\":"
		 "{\"canary-bpf.io/snat\":\"always\"}},\"spec\":{"),
		"\"spec\":{\"externalIPs\":[\"2001:db8::10\"],",
	};
	static const char *const notes[] = { "externalTrafficPolicy Local",
					     "canary-bpf.io/snat always", "" };
	struct kube_store store[KUBE_KINDS] = {};
	struct agent_plan p;
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		backends(store);
		snprintf(buf, sizeof(buf), "{%s%s\"clusterIPs\":[\"10.96.0.10\"%s],"
			 "\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
			 i == 1 ? "" : "\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\"},",
			 roots[i], i == 2 ? "" : ",\"fd00:10:96::a\"");
		put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, buf));
		if (ASSERT_EQ(agent_plan_build(store, NULL, &p), 0,
			      "agent_plan_build(store, NULL, &p)")) {
			ASSERT_TRUE_FMT(p.cfg.n_services == 1 && !config_is_v6(&p.cfg.svc[0]) &&
					!strcmp(p.cfg.svc[0].name, "k8s.shop.ts.http"),
					"case %zu: %d services", i, p.cfg.n_services);
			if (notes[i][0]) {
				ASSERT_STR_CONTAINS(p.splits[0].note, "IPv6 addresses skipped",
						    "p.splits[0].note");
				ASSERT_STR_CONTAINS(p.splits[0].note, notes[i], "p.splits[0].note");
			} else {
				ASSERT_TRUE_FMT(!p.splits[0].note[0], "note '%s'",
						p.splits[0].note);
			}
			agent_plan_free(&p);
		}
		store_free(store);
	}
}

/* With a Node that has an IPv6 InternalIP and pod CIDR, Local and SNAT
 * always are served on the IPv6 family too, without a note, and the plan
 * validates against its node section. */
static void test_plan_v6_with_node(void)
{
	static const char *const roots[] = {
		"\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\"},"
		"\"spec\":{\"externalTrafficPolicy\":\"Local\",",
		"\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\",\"annotations\":"
		"{\"canary-bpf.io/snat\":\"always\"}},\"spec\":{",
	};
	struct kube_store store[KUBE_KINDS] = {};
	struct canary_err err = {};
	struct agent_plan p;
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		backends(store);
		put(&store[KUBE_NODE], obj(KUBE_NODE, node_json));
		snprintf(buf, sizeof(buf), "{%s\"clusterIPs\":[\"10.96.0.10\","
			 "\"fd00:10:96::a\"],\"ports\":[{\"name\":\"http\","
			 "\"port\":80}]}}", roots[i]);
		put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, buf));
		if (ASSERT_EQ(agent_plan_build(store, "node-1", &p), 0, "agent_plan_build")) {
			ASSERT_TRUE_FMT(p.cfg.n_services == 2 && config_is_v6(&p.cfg.svc[1]),
					"case %zu: %d services", i, p.cfg.n_services);
			ASSERT_TRUE_FMT(p.cfg.n_services == 2 &&
					(i ? p.cfg.svc[1].snat == CANARY_SNAT_ALWAYS :
					     p.cfg.svc[1].local), "case %zu: IPv6 policy", i);
			ASSERT_TRUE_FMT(!p.splits[0].note[0], "note '%s'", p.splits[0].note);
			ASSERT_TRUE_FMT(config_validate(&p.cfg, &err) == 0,
					"case %zu does not validate: %s", i, err.msg);
			agent_plan_free(&p);
		}
		store_free(store);
	}
}

/* A TCPRoute on a dual-stack Gateway: one service per address, each
 * with the backends' endpoints of its family. */
static void test_route_plan(void)
{
	struct kube_store store[KUBE_KINDS] = {};
	const struct canary_service_cfg *s;
	struct agent_plan p;

	backends(store);
	put(&store[KUBE_GATEWAY], obj(KUBE_GATEWAY,
		"{\"metadata\":{\"name\":\"edge\",\"namespace\":\"shop\"},\"spec\":{"
		"\"listeners\":[{\"name\":\"tcp\",\"port\":5000,\"protocol\":\"TCP\"}]},"
		"\"status\":{\"addresses\":[{\"type\":\"IPAddress\",\"value\":\"10.96.0.20\"},"
		"{\"type\":\"IPAddress\",\"value\":\"2001:db8::20\"}]}}"));
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"r\",\"namespace\":\"shop\"},\"spec\":{\"parentRefs\":"
		"[{\"name\":\"edge\"}],\"rules\":[{\"backendRefs\":[{\"name\":\"v1\",\"port\":80,"
		"\"weight\":3},{\"name\":\"v2\",\"port\":80,\"weight\":1}]}]}}"));
	if (!ASSERT_EQ(agent_plan_build(store, NULL, &p), 0, "agent_plan_build(store, NULL, &p)"))
		goto out;
	/* the TrafficSplit (no root Service) and the route */
	ASSERT_EQ(p.n_splits, 2, "p.n_splits");
	ASSERT_EQ(p.splits[1].n, 2, "p.splits[1].n");
	s = &p.cfg.svc[p.splits[1].first + 1];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.tcproute.r.tcp.2001-db8--20") &&
			!strcmp(as(&s->vip), "2001:db8::20") && ntohs(s->port) == 5000, "%s",
			s->name);
	ASSERT_TRUE(s->v[0].weight_bps == 7500 && s->v[0].n_endpoints == 2 &&
		    !strcmp(as(&s->v[0].ep[0].addr), "fd00:244:1::11") && one_family(s),
		    "IPv6 route endpoints");
	s = &p.cfg.svc[p.splits[1].first];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.tcproute.r.tcp.10-96-0-20") &&
			s->v[0].n_endpoints == 1 && one_family(s), "%s", s->name);
	ASSERT_TRUE(config_validate(&p.cfg, &(struct canary_err){}) == 0, "plan does not validate");
	agent_plan_free(&p);
out:
	store_free(store);
}

int main(void)
{
	RUN_TEST(test_addr_parse);
	RUN_TEST(test_service_decode);
	RUN_TEST(test_slice_decode);
	RUN_TEST(test_node_decode);
	RUN_TEST(test_gateway_decode);
	RUN_TEST(test_plan);
	RUN_TEST(test_plan_v6_skipped);
	RUN_TEST(test_plan_v6_with_node);
	RUN_TEST(test_route_plan);
	return test__summary();
}
