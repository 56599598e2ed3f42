// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's Gateway API, Node and Event logic: decoding Gateways,
 * TCPRoutes, UDPRoutes and Nodes, the services a route asks for,
 * NodePorts and the node section in the plan, and the Event object
 * (user/kube/kube_gateway.c, kube_objects.c, agent_route.c, agent_plan.c,
 * kube_events.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "agent/agent_plan.h"
#include "kube/kube_events.h"
#include "kube/kube_logic.h"
#include "core/parse.h"
#include "kube_fixture.h"
#include "harness.h"

static const char *ip(__be32 a)
{
	static char buf[4][16];
	static int i;

	i = (i + 1) % 4;
	return fmt_ipv4(a, buf[i], sizeof(buf[i]));
}

/* As in the Gateway API reference: status addresses win over spec ones,
 * Hostname addresses are skipped, IPv6 ones kept, every listener is kept
 * with its protocol (0 for L7 ones). */
static const char gw_json[] =
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1beta1\",\"kind\":\"Gateway\","
	"\"metadata\":{\"name\":\"edge\",\"namespace\":\"infra\",\"uid\":\"u-gw\"},"
	"\"spec\":{\"gatewayClassName\":\"canary-bpf\",\"addresses\":[{\"type\":"
	"\"IPAddress\",\"value\":\"192.0.2.99\"}],\"listeners\":["
	"{\"name\":\"tcp\",\"port\":5000,\"protocol\":\"TCP\"},"
	"{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},"
	"{\"name\":\"alt\",\"port\":6000,\"protocol\":\"TCP\"},"
	"{\"name\":\"web\",\"port\":80,\"protocol\":\"HTTP\"}]},"
	"\"status\":{\"addresses\":[{\"type\":\"IPAddress\",\"value\":\"10.96.0.10\"},"
	"{\"type\":\"Hostname\",\"value\":\"gw.example\"},{\"value\":\"10.96.0.11\"},"
	"{\"type\":\"IPAddress\",\"value\":\"fd00::10\"}]}}";

static void test_gateway_decode(void)
{
	struct kube_obj *g = obj(KUBE_GATEWAY, gw_json), *s;

	if (g) {
		ASSERT_TRUE_FMT(!strcmp(g->ns, "infra") && !strcmp(g->uid, "u-gw"), "%s %s", g->ns,
				g->uid);
		ASSERT_EQ(g->gw.n_addrs, 3, "g->gw.n_addrs");
		ASSERT_TRUE(!strcmp(as(&g->gw.addrs[0]), "10.96.0.10") &&
			    !strcmp(as(&g->gw.addrs[1]), "10.96.0.11") &&
			    !strcmp(as(&g->gw.addrs[2]), "fd00::10") &&
			    g->gw.addrs[2].af == AF_INET6, "addresses");
		ASSERT_EQ(g->gw.n_listeners, 4, "g->gw.n_listeners");
		ASSERT_TRUE(!strcmp(g->gw.l[1].name, "dns") && g->gw.l[1].port == 53 &&
			    g->gw.l[1].proto == CANARY_PROTO_UDP, "dns listener");
		ASSERT_EQ(g->gw.l[3].proto, 0, "g->gw.l[3].proto");
	}
	kube_obj_free(g);
	/* No status yet: what the spec asks for. */
	s = obj(KUBE_GATEWAY, "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"addresses\":"
		"[{\"value\":\"192.0.2.1\"}],\"listeners\":[{\"name\":\"x\",\"port\":1,"
		"\"protocol\":\"TCP\"}]}}");
	if (s) {
		ASSERT_EQ(s->gw.n_addrs, 1, "s->gw.n_addrs");
		ASSERT_TRUE(!strcmp(as(&s->gw.addrs[0]), "192.0.2.1"), "spec address");
		ASSERT_TRUE_FMT(!strcmp(s->ns, "default"), "%s", s->ns);
	}
	kube_obj_free(s);
}

static void test_route_decode(void)
{
	struct kube_obj *r = obj(KUBE_TCPROUTE,
		"{\"apiVersion\":\"gateway.networking.k8s.io/v1alpha2\",\"kind\":\"TCPRoute\","
		"\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\",\"uid\":\"u1\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\","
		"\"sectionName\":\"tcp\"},{\"group\":\"gateway.networking.k8s.io\",\"kind\":"
		"\"Gateway\",\"name\":\"local\",\"port\":6000},{\"kind\":\"Service\",\"group\":"
		"\"\",\"name\":\"mesh\"}],\"rules\":[{\"backendRefs\":["
		"{\"name\":\"v1\",\"port\":5000,\"weight\":3},{\"name\":\"v2\",\"port\":5000},"
		"{\"kind\":\"Service\",\"group\":\"\",\"name\":\"v3\",\"port\":5000,\"weight\":0},"
		"{\"group\":\"example.com\",\"kind\":\"Bucket\",\"name\":\"b\"},"
		"{\"name\":\"v5\",\"namespace\":\"other\",\"port\":1}]},{\"backendRefs\":[]}]}}");
	struct kube_obj *u;

	if (r) {
		ASSERT_EQ(r->route.proto, CANARY_PROTO_TCP, "r->route.proto");
		ASSERT_TRUE(!strcmp(r->route.api_version, "gateway.networking.k8s.io/v1alpha2"),
			    "av");
		ASSERT_EQ(r->route.n_parents, 3, "r->route.n_parents");
		ASSERT_TRUE(r->route.p[0].gateway && !strcmp(r->route.p[0].ns, "infra") &&
			    !strcmp(r->route.p[0].section, "tcp") && !r->route.p[0].port,
			    "parent 0");
		ASSERT_TRUE(r->route.p[1].gateway && !strcmp(r->route.p[1].ns, "shop") &&
			    r->route.p[1].port == 6000, "parent 1: defaults to the route's ns");
		ASSERT_TRUE(!r->route.p[2].gateway, "a Service parent is not a Gateway");
		ASSERT_EQ(r->route.n_rules, 2, "r->route.n_rules");
		ASSERT_EQ(r->route.n_backends, 5, "r->route.n_backends");
		ASSERT_TRUE(r->route.b[0].weight_milli == 3000 && r->route.b[0].port == 5000,
			    "w 3");
		ASSERT_TRUE(r->route.b[1].weight_ok && r->route.b[1].weight_milli == 1000,
			    "weight defaults to 1");
		ASSERT_TRUE(r->route.b[2].weight_milli == 0 && r->route.b[2].ref == KUBE_REF_OK,
			    "explicit core Service");
		ASSERT_EQ(r->route.b[3].ref, KUBE_REF_NOT_SERVICE, "r->route.b[3].ref");
		ASSERT_EQ(r->route.b[4].ref, KUBE_REF_OTHER_NS, "r->route.b[4].ref");
	}
	kube_obj_free(r);
	u = obj(KUBE_UDPROUTE, "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"rules\":7,"
		"\"parentRefs\":{}}}");
	if (u)
		ASSERT_TRUE(u->route.proto == CANARY_PROTO_UDP && !u->route.n_rules &&
			    !u->route.n_parents && !u->route.n_backends,
			    "wrong types read as absent");
	kube_obj_free(u);
}

static const char node_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\","
	"\"uid\":\"u-n\"},\"spec\":{\"podCIDRs\":[\"fd00:244::/64\",\"10.244.1.0/24\"]},"
	"\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"node-1\"},"
	"{\"type\":\"InternalIP\",\"address\":\"fd00::1\"},{\"type\":\"InternalIP\","
	"\"address\":\"10.0.0.1\"},{\"type\":\"ExternalIP\",\"address\":\"203.0.113.7\"},"
	"{\"type\":\"InternalDNS\",\"address\":\"node-1.internal\"}]}}";

static void test_node_decode(void)
{
	struct kube_obj *n = obj(KUBE_NODE, node_json), *m;

	if (n) {
		ASSERT_TRUE_FMT(!strcmp(n->ns, ""), "a Node has no namespace: '%s'", n->ns);
		ASSERT_TRUE(!strcmp(ip(n->node.internal_ip), "10.0.0.1"), "InternalIP");
		/* Every InternalIP and ExternalIP, as listed; the SNAT address
		 * and pod CIDR IPv4 only. */
		ASSERT_EQ(n->node.n_addrs, 3, "n->node.n_addrs");
		ASSERT_TRUE(!strcmp(as(&n->node.addrs[0]), "fd00::1") &&
			    !strcmp(as(&n->node.addrs[1]), "10.0.0.1") &&
			    !strcmp(as(&n->node.addrs[2]), "203.0.113.7"), "addresses");
		ASSERT_TRUE_FMT(!strcmp(ip(n->node.pod_net), "10.244.1.0") && n->node.pod_len == 24,
				"first IPv4 of podCIDRs: %s/%u", ip(n->node.pod_net),
				n->node.pod_len);
	}
	kube_obj_free(n);
	m = obj(KUBE_NODE, "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDR\":"
		"\"10.244.7.0/24\",\"podCIDRs\":[\"10.244.9.0/24\"]}}");
	if (m)
		ASSERT_TRUE_FMT(!strcmp(ip(m->node.pod_net), "10.244.7.0") && !m->node.internal_ip,
				"podCIDR first: %s", ip(m->node.pod_net));
	kube_obj_free(m);
}

/* Backend Services: port 5000 named "app" (TCP) and 5353 "dns" (UDP). */
static void backends(struct kube_store *store)
{
	static const char *const names[] = { "v1", "v2" };
	char buf[1024];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s\",\"namespace\":"
			 "\"shop\"},\"spec\":{\"clusterIP\":\"10.96.1.%d\",\"ports\":["
			 "{\"name\":\"app\",\"port\":5000,\"protocol\":\"TCP\"},{\"name\":"
			 "\"dns\",\"port\":5353,\"protocol\":\"UDP\"}]}}", names[i], i + 1);
		put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, buf));
		snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s-x\",\"namespace\":"
			 "\"shop\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
			 "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"app\",\"port\":8080,"
			 "\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,\"protocol\":"
			 "\"UDP\"}],\"endpoints\":[{\"addresses\":[\"10.244.1.%d\"]}]}",
			 names[i], names[i], 11 + i);
		put(&store[KUBE_SLICE], obj(KUBE_SLICE, buf));
	}
}

static void test_route_plan(void)
{
	struct kube_store store[KUBE_KINDS] = {};
	const struct canary_service_cfg *s;
	struct canary_err err = {};
	struct agent_plan p;

	backends(store);
	put(&store[KUBE_GATEWAY], obj(KUBE_GATEWAY, gw_json));
	/* sectionName "tcp": one listener x three addresses (two IPv4, one
	 * IPv6 without IPv6 endpoints: the backends have IPv4 slices only). */
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\",\"uid\":\"u1\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\","
		"\"sectionName\":\"tcp\"}],\"rules\":[{\"backendRefs\":["
		"{\"name\":\"v1\",\"port\":5000,\"weight\":75},{\"name\":\"v2\",\"port\":5000,"
		"\"weight\":25}]}]}}"));
	/* No sectionName or port: every TCP listener (tcp, alt), not HTTP. */
	put(&store[KUBE_GATEWAY], obj(KUBE_GATEWAY,
		"{\"metadata\":{\"name\":\"edge2\",\"namespace\":\"shop\"},\"spec\":{"
		"\"listeners\":[{\"name\":\"tcp\",\"port\":5000,\"protocol\":\"TCP\"},"
		"{\"name\":\"alt\",\"port\":6000,\"protocol\":\"TCP\"},{\"name\":\"web\","
		"\"port\":80,\"protocol\":\"HTTP\"}]},\"status\":{\"addresses\":["
		"{\"value\":\"10.96.0.20\"},{\"value\":\"10.96.0.21\"}]}}"));
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"thirds\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge2\"}],"
		"\"rules\":[{\"backendRefs\":[{\"name\":\"v1\",\"port\":5000,\"weight\":2},"
		"{\"name\":\"v2\",\"port\":5000}]}]}}"));
	/* A UDPRoute by port: the dns listener; its backends' UDP port. */
	put(&store[KUBE_UDPROUTE], obj(KUBE_UDPROUTE,
		"{\"metadata\":{\"name\":\"dns\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\","
		"\"port\":53}],\"rules\":[{\"backendRefs\":[{\"name\":\"v1\",\"port\":5353},"
		"{\"name\":\"v2\",\"port\":5353}]}]}}"));
	/* Refused: a backendRef to another namespace. */
	put(&store[KUBE_UDPROUTE], obj(KUBE_UDPROUTE,
		"{\"metadata\":{\"name\":\"bad\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\"}],"
		"\"rules\":[{\"backendRefs\":[{\"name\":\"v1\",\"namespace\":\"x\","
		"\"port\":5353}]}]}}"));
	if (!ASSERT_EQ(agent_plan_build(store, NULL, &p), 0, "agent_plan_build(store, NULL, &p)"))
		goto out;
	ASSERT_EQ(p.n_splits, 4, "p.n_splits");
	ASSERT_TRUE(p.splits[0].kind == KUBE_TCPROUTE && !strcmp(p.splits[0].name, "prod") &&
		    !strcmp(p.splits[0].uid, "u1"), "owner 0");
	ASSERT_EQ(p.splits[0].n, 3, "p.splits[0].n");
	s = &p.cfg.svc[p.splits[0].first + 2];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.tcproute.prod.tcp.fd00--10") &&
			!strcmp(as(&s->vip), "fd00::10") && !s->v[0].n_endpoints &&
			!s->v[1].n_endpoints, "IPv6 address: %s", s->name);
	s = &p.cfg.svc[p.splits[0].first];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.tcproute.prod.tcp.10-96-0-10"), "%s", s->name);
	ASSERT_TRUE(!strcmp(ip(s->vip.v4), "10.96.0.10") && ntohs(s->port) == 5000 &&
		    s->proto == CANARY_PROTO_TCP, "vip:port");
	ASSERT_TRUE_FMT(s->v[0].weight_bps == 7500 && s->v[1].weight_bps == 2500, "%u %u",
			s->v[0].weight_bps, s->v[1].weight_bps);
	ASSERT_TRUE(s->v[0].n_endpoints == 1 && ntohs(s->v[0].ep[0].port) == 8080 &&
		    !strcmp(ip(s->v[0].ep[0].addr.v4), "10.244.1.11"), "target port by name");
	ASSERT_TRUE(!strcmp(ip(p.cfg.svc[p.splits[0].first + 1].vip.v4), "10.96.0.11"), "2nd addr");
	ASSERT_EQ(p.splits[1].n, 4, "p.splits[1].n"); /* tcp, alt x 2 addresses */
	s = &p.cfg.svc[p.splits[1].first + 2];
	ASSERT_TRUE_FMT(ntohs(s->port) == 6000 && s->v[0].weight_bps == 6667 &&
			s->v[1].weight_bps == 3333, "alt: %u %u/%u", ntohs(s->port),
			s->v[0].weight_bps, s->v[1].weight_bps);
	/* UDPRoutes sort after TCPRoutes; "bad" before "dns". */
	ASSERT_TRUE_FMT(p.splits[2].kind == KUBE_UDPROUTE && p.splits[2].bad[0] &&
			p.splits[2].n == 0, "bad route refused: '%s'", p.splits[2].bad);
	ASSERT_STR_CONTAINS(p.splits[2].bad, "another namespace", "p.splits[2].bad");
	ASSERT_EQ(p.splits[3].n, 3, "p.splits[3].n");
	s = &p.cfg.svc[p.splits[3].first];
	ASSERT_TRUE_FMT(s->proto == CANARY_PROTO_UDP && ntohs(s->port) == 53 &&
			s->v[1].n_endpoints == 1 && ntohs(s->v[1].ep[0].port) == 53 &&
			s->v[0].weight_bps == 5000, "udp: %s", s->name);
	ASSERT_TRUE_FMT(config_validate(&p.cfg, &err) == 0, "plan does not validate: %s", err.msg);
	agent_plan_free(&p);
out:
	store_free(store);
}

/* A route whose Gateway, listener or backend is missing is a note, not
 * an error; more than one rule is noted too. */
static void test_route_notes(void)
{
	struct kube_store store[KUBE_KINDS] = {};
	struct agent_plan p;

	put(&store[KUBE_GATEWAY], obj(KUBE_GATEWAY, gw_json));
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"nosuch\"}],\"rules\":[{\"backendRefs\":"
		"[{\"name\":\"v1\",\"port\":5000}]}]}}"));
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"b\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\","
		"\"sectionName\":\"dns\"}],\"rules\":[{\"backendRefs\":"
		"[{\"name\":\"v1\",\"port\":5000}]}]}}"));
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"c\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\","
		"\"port\":5000}],\"rules\":[{\"backendRefs\":[{\"name\":\"v9\",\"port\":5000}]},"
		"{\"backendRefs\":[{\"name\":\"v1\",\"port\":5000}]}]}}"));
	put(&store[KUBE_TCPROUTE], obj(KUBE_TCPROUTE,
		"{\"metadata\":{\"name\":\"d\",\"namespace\":\"shop\"},"
		"\"spec\":{\"parentRefs\":[{\"name\":\"edge\",\"namespace\":\"infra\"}],"
		"\"rules\":[{\"backendRefs\":[{\"name\":\"v1\",\"port\":5000,\"weight\":0}]}]}}"));
	if (!ASSERT_EQ(agent_plan_build(store, NULL, &p), 0, "agent_plan_build(store, NULL, &p)"))
		goto out;
	ASSERT_STR_CONTAINS(p.splits[0].note, "gateway shop/nosuch not found", "p.splits[0].note");
	ASSERT_STR_CONTAINS(p.splits[1].note, "no matching TCP listener", "p.splits[1].note");
	ASSERT_EQ(p.splits[1].n, 0, "p.splits[1].n");
	ASSERT_EQ(p.splits[2].n, 3, "p.splits[2].n");
	ASSERT_STR_CONTAINS(p.splits[2].note, "v9", "p.splits[2].note");
	ASSERT_STR_CONTAINS(p.splits[3].bad, "zero", "p.splits[3].bad");
	agent_plan_free(&p);
out:
	store_free(store);
}

/* NodePorts on the Node's addresses, and the node section. */
static void test_node_plan(void)
{
	struct kube_store store[KUBE_KINDS] = {};
	const struct canary_service_cfg *s;
	struct agent_plan p;
	int i;

	backends(store);
	put(&store[KUBE_SERVICE], obj(KUBE_SERVICE,
		"{\"metadata\":{\"name\":\"prod\",\"namespace\":\"shop\"},\"spec\":{\"type\":"
		"\"NodePort\",\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"app\","
		"\"port\":5000,\"nodePort\":30080,\"protocol\":\"TCP\"},{\"name\":\"dns\","
		"\"port\":5353,\"protocol\":\"UDP\"}]}}"));
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"metadata\":{\"name\":\"ts\",\"namespace\":\"shop\"},\"spec\":{\"service\":"
		"\"prod\",\"backends\":[{\"service\":\"v1\",\"weight\":90},{\"service\":\"v2\","
		"\"weight\":10}]}}"));
	put(&store[KUBE_NODE], obj(KUBE_NODE, node_json));
	/* Without our node name: no NodePorts, no node section. */
	if (!ASSERT_EQ(agent_plan_build(store, NULL, &p), 0, "agent_plan_build(store, NULL, &p)"))
		goto out;
	ASSERT_EQ(p.cfg.n_services, 2, "p.cfg.n_services");
	ASSERT_TRUE(!p.cfg.node.set, "node section without a node");
	agent_plan_free(&p);
	if (!ASSERT_EQ(agent_plan_build(store, "node-1", &p), 0, "agent_plan_build"))
		goto out;
	/* 2 cluster IP ports + 1 NodePort x 2 addrs */
	ASSERT_EQ(p.cfg.n_services, 4, "p.cfg.n_services");
	for (i = 2; i < 4 && p.cfg.n_services == 4; i++) {
		s = &p.cfg.svc[i];
		ASSERT_TRUE_FMT(ntohs(s->port) == 30080 && s->v[0].weight_bps == 9000 &&
				ntohs(s->v[0].ep[0].port) == 8080, "%s", s->name);
	}
	if (p.cfg.n_services == 4) {
		ASSERT_TRUE_FMT(!strcmp(p.cfg.svc[2].name, "k8s.shop.ts.nodeport-30080.10-0-0-1"),
				"%s", p.cfg.svc[2].name);
		ASSERT_TRUE(!strcmp(ip(p.cfg.svc[3].vip.v4), "203.0.113.7"), "ExternalIP");
	}
	ASSERT_TRUE(p.cfg.node.set && !strcmp(ip(p.cfg.node.address), "10.0.0.1") &&
		    !strcmp(ip(p.cfg.node.pod_net), "10.244.1.0") && p.cfg.node.pod_len == 24,
		    "node section");
	ASSERT_TRUE(p.cfg.node.port_min == CANARY_SNAT_PORT_MIN &&
		    p.cfg.node.port_max == CANARY_SNAT_PORT_MAX, "SNAT ports");
	ASSERT_TRUE(config_validate(&p.cfg, &(struct canary_err){}) == 0, "plan does not validate");
	agent_plan_free(&p);
	/* Another node's name: its Node is not ours. */
	if (ASSERT_EQ(agent_plan_build(store, "node-2", &p), 0, "agent_plan_build")) {
		ASSERT_TRUE(!p.cfg.node.set && p.cfg.n_services == 2, "node-2");
		agent_plan_free(&p);
	}
out:
	store_free(store);
}

static void test_event_json(void)
{
	struct kube_event ev = { .kind = "TCPRoute", .ns = "shop", .name = "prod",
				 .uid = "u1", .reason = "WeightsChanged",
				 .message = "service k8s.x changed" };
	struct timespec now = { .tv_sec = 1767225600, .tv_nsec = 5 };
	json_object *o, *v;
	char want[64];
	const char *s;

	snprintf(ev.api_version, sizeof(ev.api_version), "gateway.networking.k8s.io/v1alpha2");
	o = kube_event_json(&ev, "node-1", &now);
	if (!ASSERT_TRUE(o != NULL, "no object"))
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ASSERT_STR_CONTAINS(s, "\"kind\":\"Event\"", "s");
	ASSERT_STR_CONTAINS(s, "\"involvedObject\":{\"apiVersion\":"
			    "\"gateway.networking.k8s.io\\/v1alpha2\",\"kind\":\"TCPRoute\","
			    "\"namespace\":\"shop\",\"name\":\"prod\",\"uid\":\"u1\"}", "s");
	ASSERT_STR_CONTAINS(s, "\"type\":\"Normal\"", "s");
	ASSERT_STR_CONTAINS(s, "\"reason\":\"WeightsChanged\"", "s");
	ASSERT_STR_CONTAINS(s, "\"reportingComponent\":\"canary-bpf\"", "s");
	ASSERT_STR_CONTAINS(s, "\"reportingInstance\":\"node-1\"", "s");
	ASSERT_STR_CONTAINS(s, "\"firstTimestamp\":\"2026-01-01T00:00:00Z\"", "s");
	snprintf(want, sizeof(want), "prod.%016llx", 1767225600ull * 1000000000ull + 5);
	ASSERT_TRUE_FMT(json_object_object_get_ex(o, "metadata", &v) &&
			json_object_object_get_ex(v, "name", &v) &&
			!strcmp(json_object_get_string(v), want), "name: %s", s);
	json_object_put(o);
	memset(ev.name, 'a', sizeof(ev.name) - 1);
	o = kube_event_json(&ev, "", &now);
	ASSERT_TRUE(o && json_object_object_get_ex(o, "metadata", &v) &&
		    json_object_object_get_ex(v, "name", &v) &&
		    strlen(json_object_get_string(v)) == 253, "long names fit 253");
	json_object_put(o);
}

static void test_dns_subdomain(void)
{
	static const char *const ok[] = { "node-1", "a", "ip-10-0-0-1.ec2.internal", "0" };
	static const char *const bad[] = { "", "Node", "-a", "a-", "a_b", "a b", "a&b=c",
					   "n%3D" };
	char longname[300];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ASSERT_TRUE_FMT(kube_dns_subdomain(ok[i]), "'%s' refused", ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_TRUE_FMT(!kube_dns_subdomain(bad[i]), "'%s' accepted", bad[i]);
	memset(longname, 'a', 254);
	longname[254] = '\0';
	ASSERT_TRUE(!kube_dns_subdomain(longname), "254 characters accepted");
	longname[253] = '\0';
	ASSERT_TRUE(kube_dns_subdomain(longname), "253 characters refused");
}

int main(void)
{
	RUN_TEST(test_gateway_decode);
	RUN_TEST(test_route_decode);
	RUN_TEST(test_node_decode);
	RUN_TEST(test_route_plan);
	RUN_TEST(test_route_notes);
	RUN_TEST(test_node_plan);
	RUN_TEST(test_event_json);
	RUN_TEST(test_dns_subdomain);
	return test__summary();
}
