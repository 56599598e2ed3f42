// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's pure logic: quantities, weight normalisation, derived
 * names, kubeconfig parsing, the default-route interface, and the plan
 * built from Kubernetes JSON (user/kube/kube_logic.c, kubeconfig.c, iface.c,
 * kube_objects.c, agent_plan.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/agent_plan.h"
#include "agent/iface.h"
#include "kube/kube_logic.h"
#include "cli/kube_split.h"
#include "kube/kubeconfig.h"
#include "core/parse.h"
#include "kube_fixture.h"
#include "harness.h"
#include "core/weights.h"

static void test_quantity(void)
{
	static const struct {
		const char *s;
		int64_t milli;
	} ok[] = {
		{ "1", 1000 }, { "500m", 500 }, { "0.5", 500 }, { "0", 0 },
		{ "2k", 2000000 }, { "1Ki", 1024000 }, { "1e3", 1000000 },
		{ "1.5", 1500 }, { "100", 100000 }, { "1u", 1 }, { "-1", -1000 },
		{ "250m", 250 }, { "0.0001", 1 }, { "+3", 3000 }, { "1P", 1000000000000000000LL },
	};
	static const char *const bad[] = { "", "m", "1x", "1.2.3", "abc", "1 m",
					   "1Mi5", "--1" };
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -42;
		ASSERT_TRUE_FMT(kube_quantity_milli(ok[i].s, &v) == 0, "'%s' refused", ok[i].s);
		ASSERT_TRUE_FMT(v == ok[i].milli, "'%s' -> %lld, want %lld", ok[i].s,
				(long long)v, (long long)ok[i].milli);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_TRUE_FMT(kube_quantity_milli(bad[i], &v) == -EINVAL, "'%s' accepted",
				bad[i]);
	ASSERT_EQ(kube_quantity_milli("1E", &v), -ERANGE, "kube_quantity_milli");
}

static void test_weights_bps(void)
{
	struct canary_err err;
	__u16 b[4];

	ASSERT_EQ(kube_weights_bps((int64_t[]){ 75, 25 }, 2, b, &err), 0, "kube_weights_bps");
	ASSERT_TRUE_FMT(b[0] == 7500 && b[1] == 2500, "%u %u", b[0], b[1]);
	ASSERT_EQ(kube_weights_bps((int64_t[]){ 1, 1, 1 }, 3, b, &err), 0, "kube_weights_bps");
	ASSERT_TRUE_FMT(b[0] == 3334 && b[1] == 3333 && b[2] == 3333, "%u %u %u", b[0], b[1], b[2]);
	ASSERT_EQ(kube_weights_bps((int64_t[]){ 500, 500 }, 2, b, &err), 0, "kube_weights_bps");
	ASSERT_TRUE_FMT(b[0] == 5000 && b[1] == 5000, "%u %u", b[0], b[1]);
	ASSERT_EQ(kube_weights_bps((int64_t[]){ 2, 1 }, 2, b, &err), 0, "kube_weights_bps");
	ASSERT_TRUE_FMT(b[0] == 6667 && b[1] == 3333, "largest remainder: %u %u", b[0], b[1]);
	ASSERT_EQ(kube_weights_bps((int64_t[]){ 0, 7 }, 2, b, &err), 0, "kube_weights_bps");
	ASSERT_TRUE_FMT(b[0] == 0 && b[1] == 10000, "%u %u", b[0], b[1]);
	ASSERT_EQ(kube_weights_bps((int64_t[]){ INT64_MAX / 2, INT64_MAX / 2 }, 2, b, &err), 0,
		  "kube_weights_bps");
	ASSERT_TRUE_FMT(b[0] == 5000, "huge: %u", b[0]);
	ASSERT_EQ(kube_weights_bps((int64_t[]){ -1, 5 }, 2, b, &err), -EINVAL, "kube_weights_bps");
	ASSERT_STR_CONTAINS(err.msg, "negative", "err.msg");
	ASSERT_EQ(kube_weights_bps((int64_t[]){ 0, 0 }, 2, b, &err), -EINVAL, "kube_weights_bps");
	ASSERT_STR_CONTAINS(err.msg, "zero", "err.msg");
	ASSERT_EQ(kube_weights_bps((int64_t[]){ 1, 1, 1, 1, 1 }, 5, b, &err), -EINVAL,
		  "kube_weights_bps");
	ASSERT_EQ(kube_weights_bps(NULL, 0, b, &err), -EINVAL,
		  "kube_weights_bps(NULL, 0, b, &err)");
}

/* Addresses for the tests: a static ring, so a few can be alive at once. */
static const struct canary_addr *A(const char *s)
{
	static struct canary_addr ring[8];
	static int i;

	i = (i + 1) % 8;
	ASSERT_EQ(addr_from_str(s, &ring[i]), 0, "addr_from_str(s, &ring[i])");
	return &ring[i];
}

static void test_names(void)
{
	char out[CANARY_NAME_LEN], again[CANARY_NAME_LEN], other[CANARY_NAME_LEN];
	const struct canary_addr *cip = A("10.96.0.10");
	struct canary_err err;
	char longns[80];

	kube_service_name("default", "prod", "http", 5000, cip, true, out, sizeof(out));
	ASSERT_TRUE_FMT(!strcmp(out, "k8s.default.prod.http"), "%s", out);
	kube_service_name("default", "prod", "", 5000, cip, true, out, sizeof(out));
	ASSERT_TRUE_FMT(!strcmp(out, "k8s.default.prod.5000"), "%s", out);
	kube_service_name("default", "prod", "http", 5000, A("192.168.1.10"), false,
			  out, sizeof(out));
	ASSERT_TRUE_FMT(!strcmp(out, "k8s.default.prod.http.192-168-1-10"), "%s", out);
	/* IPv6: the primary cluster IP is ".v6", the others their address. */
	kube_service_name("default", "prod", "http", 5000, A("fd00::10"), true,
			  out, sizeof(out));
	ASSERT_TRUE_FMT(!strcmp(out, "k8s.default.prod.http.v6"), "%s", out);
	kube_service_name("default", "prod", "http", 5000, A("2001:db8::a:10"), false,
			  out, sizeof(out));
	ASSERT_TRUE_FMT(!strcmp(out, "k8s.default.prod.http.2001-db8--a-10"), "%s", out);
	ASSERT_EQ(parse_name(out, CANARY_NAME_LEN, "service", &err), 0, "parse_name");
	/* The longest IPv6 text still fits, hashed, and stays apart. */
	kube_service_name("default", "production", "http", 5000,
			  A("2001:db8:1111:2222:3333:4444:5555:6666"), false, out, sizeof(out));
	kube_service_name("default", "production", "http", 5000,
			  A("2001:db8:1111:2222:3333:4444:5555:6667"), false, other,
			  sizeof(other));
	ASSERT_TRUE_FMT(strcmp(out, other) && strlen(out) == 63, "%s %s", out, other);
	ASSERT_EQ(parse_name(out, CANARY_NAME_LEN, "service", &err), 0, "parse_name");
	memset(longns, 'n', 63);
	longns[63] = '\0';
	kube_service_name(longns, "prod", "http", 80, cip, true, out, sizeof(out));
	kube_service_name(longns, "prod", "http", 80, cip, true, again, sizeof(again));
	kube_service_name(longns, "prod", "grpc", 80, cip, true, other, sizeof(other));
	ASSERT_EQ(strlen(out), 63, "strlen(out)");
	ASSERT_TRUE_FMT(!strcmp(out, again), "not stable: %s %s", out, again);
	ASSERT_TRUE_FMT(strcmp(out, other), "collision: %s", out);
	ASSERT_TRUE_FMT(!strncmp(out, "k8s.", 4), "prefix lost: %s", out);
	ASSERT_EQ(parse_name(out, CANARY_NAME_LEN, "service", &err), 0, "parse_name");
	kube_name_fit("a-very-long-backend-service-name-for-v2", again, CANARY_VNAME_LEN);
	ASSERT_EQ(strlen(again), CANARY_VNAME_LEN - 1, "strlen(again)");
	ASSERT_EQ(parse_name(again, CANARY_VNAME_LEN, "version", &err), 0, "parse_name");
	kube_name_fit("exactly-31-characters-long-name", again, CANARY_VNAME_LEN);
	ASSERT_TRUE_FMT(!strcmp(again, "exactly-31-characters-long-name"), "%s", again);
}

/* Writes @text to a temp file; returns its name (static buffer). */
static const char *tmpfile_with(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/cb-unit-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return path;
}

static void test_kubeconfig(void)
{
	struct kube_config kc;
	struct canary_err err;
	const char *p;

	p = tmpfile_with(
		"apiVersion: v1\nkind: Config\ncurrent-context: b\n"
		"clusters:\n- name: c1\n  cluster:\n    server: https://10.0.0.1:6443/\n"
		"    certificate-authority-data: aGVsbG8=\n"
		"- name: c2\n  cluster: {server: 'https://x:1', insecure-skip-tls-verify: true}\n"
		"users:\n- name: u1\n  user:\n    token: abc\n"
		"- name: u2\n  user:\n    client-certificate: certs/c.pem\n"
		"    client-key-data: a2V5\n"
		"contexts:\n- name: a\n  context: {cluster: c1, user: u1}\n"
		"- name: b\n  context: {cluster: c2, user: u2, namespace: shop}\n");
	ASSERT_EQ(kubeconfig_load(&kc, p, &err), 0, "kubeconfig_load(&kc, p, &err)");
	ASSERT_TRUE_FMT(!strcmp(kc.server, "https://x:1"), "%s", kc.server);
	ASSERT_TRUE(kc.insecure, "insecure not set");
	ASSERT_TRUE_FMT(!strcmp(kc.namespace, "shop"), "%s", kc.namespace);
	ASSERT_TRUE_FMT(kc.cert_file && !strcmp(kc.cert_file, "/tmp/certs/c.pem"), "%s",
			kc.cert_file ? kc.cert_file : "(null)");
	ASSERT_TRUE(kc.key.data && kc.key.len == 3 && !memcmp(kc.key.data, "key", 3), "key data");
	kubeconfig_free(&kc);
	unlink(p);

	p = tmpfile_with("current-context: a\nclusters:\n- name: c1\n  cluster:\n"
			 "    server: https://10.0.0.1:6443/\n"
			 "    certificate-authority-data: aGVsbG8=\n"
			 "users:\n- name: u1\n  user:\n    token: abc\n"
			 "contexts:\n- name: a\n  context: {cluster: c1, user: u1}\n");
	ASSERT_EQ(kubeconfig_load(&kc, p, &err), 0, "kubeconfig_load(&kc, p, &err)");
	ASSERT_TRUE_FMT(!strcmp(kc.server, "https://10.0.0.1:6443"), "%s", kc.server);
	ASSERT_TRUE(kc.ca.len == 5 && !memcmp(kc.ca.data, "hello", 5), "CA data");
	ASSERT_TRUE(kc.token && !strcmp(kc.token, "abc"), "token");
	ASSERT_TRUE_FMT(!strcmp(kc.namespace, "default"), "%s", kc.namespace);
	kubeconfig_free(&kc);
	unlink(p);

	p = tmpfile_with("current-context: a\nclusters: []\ncontexts:\n"
			 "- name: a\n  context: {cluster: zz}\n");
	ASSERT_TRUE(kubeconfig_load(&kc, p, &err) != 0, "missing cluster accepted");
	ASSERT_STR_CONTAINS(err.msg, "cluster", "err.msg");
	unlink(p);
	p = tmpfile_with("current-context: a\nclusters:\n- name: c\n  cluster: {server: https://a}\n"
			 "users:\n- name: u\n  user: {exec: {command: aws}}\n"
			 "contexts:\n- name: a\n  context: {cluster: c, user: u}\n");
	ASSERT_TRUE(kubeconfig_load(&kc, p, &err) != 0, "exec accepted");
	ASSERT_STR_CONTAINS(err.msg, "exec", "err.msg");
	unlink(p);
	p = tmpfile_with("clusters: [\n");
	ASSERT_TRUE(kubeconfig_load(&kc, p, &err) != 0, "syntax error accepted");
	ASSERT_STR_CONTAINS(err.msg, p, "err.msg");
	unlink(p);
	ASSERT_TRUE(kubeconfig_load(&kc, "/nonexistent/kc", &err) != 0, "missing file");
	ASSERT_STR_CONTAINS(err.msg, "/nonexistent/kc", "err.msg");
}

static void test_default_route(void)
{
	static const char table[] =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth1\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n"
		"eth9\t00000000\t0100000A\t0003\t0\t0\t200\t00000000\t0\t0\t0\n"
		"ens5\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
	char name[IF_NAMESIZE];
	FILE *f = fmemopen((void *)table, sizeof(table) - 1, "r");

	ASSERT_EQ(iface_default_route(f, name), 0, "iface_default_route(f, name)");
	ASSERT_TRUE_FMT(!strcmp(name, "ens5"), "%s", name);
	fclose(f);
	f = fmemopen((void *)table, 120, "r");
	ASSERT_EQ(iface_default_route(f, name), -ENOENT, "iface_default_route(f, name)");
	fclose(f);
}

static const char svc_json[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"prod\","
	"\"namespace\":\"shop\"},\"spec\":{\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":"
	"[\"10.96.0.10\",\"fd00::10\"],\"externalIPs\":[\"192.168.1.10\"],\"ports\":["
	"{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080},"
	"{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},{\"name\":\"s\",\"port\":9,"
	"\"protocol\":\"SCTP\"}]},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":"
	"\"203.0.113.5\"},{\"hostname\":\"lb.example\"}]}}}";

static void test_plan(void)
{
	struct kube_store store[KUBE_KINDS] = {};
	struct agent_plan p;
	const struct canary_service_cfg *s;
	char ip[CANARY_ADDR_STRLEN];

	put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, svc_json));
	put(&store[KUBE_SLICE], obj(KUBE_SLICE,
		"{\"metadata\":{\"name\":\"v1-a\",\"namespace\":\"shop\",\"labels\":"
		"{\"kubernetes.io/service-name\":\"v1\"}},\"addressType\":\"IPv4\","
		"\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],"
		"\"endpoints\":[{\"addresses\":[\"10.244.0.1\"],\"conditions\":{\"ready\":true}},"
		"{\"addresses\":[\"10.244.0.2\"],\"conditions\":{\"ready\":false,"
		"\"serving\":true,\"terminating\":true}},{\"addresses\":[\"10.244.0.3\"]},"
		"{\"addresses\":[\"10.244.0.4\"],\"conditions\":{\"ready\":false}}]}"));
	put(&store[KUBE_SLICE], obj(KUBE_SLICE,
		"{\"metadata\":{\"name\":\"v2-a\",\"namespace\":\"shop\",\"labels\":"
		"{\"kubernetes.io/service-name\":\"v2\"}},\"addressType\":\"IPv4\","
		"\"ports\":[{\"name\":\"http\",\"port\":8080}],"
		"\"endpoints\":[{\"addresses\":[\"10.244.0.9\"]},{\"addresses\":[\"10.244.0.1\"]}]}"));
	put(&store[KUBE_SLICE], obj(KUBE_SLICE,
		"{\"metadata\":{\"name\":\"v2-6\",\"namespace\":\"shop\",\"labels\":"
		"{\"kubernetes.io/service-name\":\"v2\"}},\"addressType\":\"IPv6\","
		"\"ports\":[{\"name\":\"http\",\"port\":8081}],"
		"\"endpoints\":[{\"addresses\":[\"fd00::9\"]}]}"));
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"apiVersion\":\"split.smi-spec.io/v1alpha1\",\"metadata\":{\"name\":\"ts\","
		"\"namespace\":\"shop\"},\"spec\":{\"service\":\"prod\",\"backends\":["
		"{\"service\":\"v1\",\"weight\":\"750m\"},{\"service\":\"v2\",\"weight\":\"250m\"}]}}"));
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"metadata\":{\"name\":\"bad\",\"namespace\":\"shop\"},\"spec\":{\"service\":"
		"\"prod\",\"backends\":[{\"service\":\"v1\",\"weight\":-1},{\"service\":\"v2\","
		"\"weight\":1}]}}"));
	ASSERT_EQ(agent_plan_build(store, NULL, &p), 0, "agent_plan_build(store, NULL, &p)");
	ASSERT_EQ(p.n_splits, 2, "p.n_splits");
	ASSERT_TRUE(!strcmp(p.splits[0].name, "bad") && p.splits[0].bad[0], "bad split kept");
	ASSERT_EQ(p.splits[0].n, 0, "p.splits[0].n");
	/* 3 IPv4 VIPs (cluster, external, LB), then the IPv6 cluster IP,
	 * x 2 ports (SCTP skipped). */
	ASSERT_EQ(p.splits[1].n, 8, "p.splits[1].n");
	/* one per IPv4 http service */
	ASSERT_EQ(p.splits[1].terminating, 3, "p.splits[1].terminating");
	ASSERT_EQ(p.cfg.n_services, 8, "p.cfg.n_services");
	s = &p.cfg.svc[0];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.ts.http"), "%s", s->name);
	ASSERT_TRUE_FMT(!strcmp(addr_str(&s->vip, ip, sizeof(ip)), "10.96.0.10"), "%s", ip);
	ASSERT_EQ(ntohs(s->port), 80, "ntohs(s->port)");
	ASSERT_EQ(s->v[0].weight_bps, 7500, "s->v[0].weight_bps");
	ASSERT_EQ(s->v[1].weight_bps, 2500, "s->v[1].weight_bps");
	ASSERT_TRUE(!strcmp(s->v[0].name, "v1") && !strcmp(s->v[1].name, "v2"), "names");
	/* .1, .3 (unset conditions: ready) and .2 draining; not .4 */
	ASSERT_EQ(s->v[0].n_endpoints, 3, "s->v[0].n_endpoints");
	ASSERT_EQ(config_active_endpoints(&s->v[0]), 2, "config_active_endpoints(&s->v[0])");
	ASSERT_TRUE(s->v[0].ep[1].flags & CANARY_EP_F_DRAINING, ".2 not draining");
	ASSERT_EQ(ntohs(s->v[0].ep[0].port), 8080, "ntohs(s->v[0].ep[0].port)");
	ASSERT_EQ(s->v[1].n_endpoints, 1, "s->v[1].n_endpoints"); /* .9; .1 already in v1 */
	ASSERT_EQ(ntohs(s->v[1].ep[0].port), 8080, "ntohs(s->v[1].ep[0].port)");
	s = &p.cfg.svc[1];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.ts.dns"), "%s", s->name);
	ASSERT_TRUE(s->proto == CANARY_PROTO_UDP && s->v[0].n_endpoints == 0,
		    "dns has no slice port");
	ASSERT_TRUE_FMT(!strcmp(p.cfg.svc[2].name, "k8s.shop.ts.http.192-168-1-10"), "%s",
			p.cfg.svc[2].name);
	ASSERT_TRUE_FMT(!strcmp(p.cfg.svc[4].name, "k8s.shop.ts.http.203-0-113-5"), "%s",
			p.cfg.svc[4].name);
	/* The IPv6 twin: only the IPv6 slice's endpoint, on its own port. */
	s = &p.cfg.svc[6];
	ASSERT_TRUE_FMT(!strcmp(s->name, "k8s.shop.ts.http.v6"), "%s", s->name);
	ASSERT_TRUE_FMT(!strcmp(addr_str(&s->vip, ip, sizeof(ip)), "fd00::10"), "%s", ip);
	ASSERT_TRUE_FMT(s->v[0].n_endpoints == 0 && s->v[1].n_endpoints == 1, "v6 endpoints %d %d",
			s->v[0].n_endpoints, s->v[1].n_endpoints);
	ASSERT_TRUE_FMT(!strcmp(addr_str(&s->v[1].ep[0].addr, ip, sizeof(ip)), "fd00::9") &&
			ntohs(s->v[1].ep[0].port) == 8081, "%s", ip);
	ASSERT_TRUE_FMT(!strcmp(p.cfg.svc[7].name, "k8s.shop.ts.dns.v6"), "%s", p.cfg.svc[7].name);
	ASSERT_TRUE(config_validate(&p.cfg, &(struct canary_err){}) == 0, "plan does not validate");
	agent_plan_free(&p);
	store_free(store);
}

/* externalTrafficPolicy, sessionAffinity and the SNAT annotation. */
static void test_service_policy(void)
{
	struct kube_obj *o = obj(KUBE_SERVICE,
		"{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"annotations\":"
		"{\"canary-bpf.io/snat\":\"never\"}},\"spec\":{\"clusterIP\":"
		"\"10.96.0.1\",\"externalTrafficPolicy\":\"Local\","
		"\"sessionAffinity\":\"ClientIP\",\"ports\":[{\"port\":80}]}}");
	struct kube_obj *d = obj(KUBE_SERVICE,
		"{\"metadata\":{\"name\":\"b\",\"namespace\":\"n\"},\"spec\":"
		"{\"clusterIP\":\"10.96.0.2\",\"externalTrafficPolicy\":\"Cluster\","
		"\"ports\":[{\"port\":80}]}}");

	if (o) {
		ASSERT_TRUE(o->svc.local, "externalTrafficPolicy: Local");
		ASSERT_TRUE(o->svc.affinity, "sessionAffinity: ClientIP");
		ASSERT_EQ(o->svc.snat, CANARY_SNAT_NEVER, "o->svc.snat");
	}
	if (d) {
		ASSERT_TRUE(!d->svc.local && !d->svc.affinity, "defaults");
		ASSERT_EQ(d->svc.snat, CANARY_SNAT_AUTO, "d->svc.snat");
	}
	kube_obj_free(o);
	kube_obj_free(d);
}

/* The guard annotation of a TrafficSplit reaches each of its services; a
 * malformed one makes the split NotApplied, naming the key. */
static void test_guard_annotation(void)
{
	struct kube_store store[KUBE_KINDS] = {};
	struct agent_plan p;
	int i;

	put(&store[KUBE_SERVICE], obj(KUBE_SERVICE, svc_json));
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"metadata\":{\"name\":\"g\",\"namespace\":\"shop\",\"annotations\":"
		"{\"canary-bpf.io/guard\":\"max_failure_pct=2.5,min_flows=20\"}},"
		"\"spec\":{\"service\":\"prod\",\"backends\":[{\"service\":\"v1\","
		"\"weight\":90},{\"service\":\"v2\",\"weight\":10}]}}"));
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"metadata\":{\"name\":\"h\",\"namespace\":\"shop\",\"annotations\":"
		"{\"canary-bpf.io/guard\":\"min_flows=0\"}},"
		"\"spec\":{\"service\":\"prod\",\"backends\":[{\"service\":\"v1\","
		"\"weight\":90},{\"service\":\"v2\",\"weight\":10}]}}"));
	put(&store[KUBE_SPLIT], obj(KUBE_SPLIT,
		"{\"metadata\":{\"name\":\"i\",\"namespace\":\"shop\"},"
		"\"spec\":{\"service\":\"prod\",\"backends\":[{\"service\":\"v1\","
		"\"weight\":90},{\"service\":\"v2\",\"weight\":10}]}}"));
	if (!ASSERT_EQ(agent_plan_build(store, NULL, &p), 0, "agent_plan_build") ||
	    !ASSERT_EQ(p.n_splits, 3, "p.n_splits"))
		goto out;
	ASSERT_TRUE(p.splits[0].n > 0 && !p.splits[0].bad[0], "g applied");
	for (i = p.splits[0].first; i < p.splits[0].first + p.splits[0].n; i++)
		ASSERT_TRUE_FMT(p.cfg.svc[i].guard.on &&
				p.cfg.svc[i].guard.max_fail_bps == 250 &&
				p.cfg.svc[i].guard.min_flows == 20 &&
				p.cfg.svc[i].guard.window_s == 10, "%s", p.cfg.svc[i].name);
	ASSERT_EQ(p.splits[1].n, 0, "h not applied");
	ASSERT_TRUE_FMT(strstr(p.splits[1].bad, "canary-bpf.io/guard: min_flows '0'"),
			"'%s'", p.splits[1].bad);
	ASSERT_TRUE(p.splits[2].n > 0 &&
		    !p.cfg.svc[p.splits[2].first].guard.on, "i: no guard");
out:
	agent_plan_free(&p);
	store_free(store);
}

static void test_set_weight_patch(void)
{
	json_object *o = json_tokener_parse(
		"{\"apiVersion\":\"split.smi-spec.io/v1alpha4\",\"metadata\":{\"name\":\"ts\"},"
		"\"spec\":{\"service\":\"prod\",\"backends\":[{\"service\":\"v1\",\"weight\":75},"
		"{\"service\":\"v2\",\"weight\":25,\"x\":1}]}}");
	struct canary_service_cfg svc;
	struct canary_err err;
	char *a1[] = { "v2=12.5" }, *a2[] = { "v3=5" }, *patch;

	ASSERT_EQ(kube_split_to_cfg(o, &svc, &err), 0, "kube_split_to_cfg(o, &svc, &err)");
	ASSERT_EQ(svc.v[1].weight_bps, 2500, "svc.v[1].weight_bps");
	ASSERT_EQ(weights_apply(&svc, 1, a2, &err), -EINVAL, "weights_apply(&svc, 1, a2, &err)");
	ASSERT_STR_CONTAINS(err.msg, "v3", "err.msg");
	ASSERT_EQ(weights_apply(&svc, 1, a1, &err), 0, "weights_apply(&svc, 1, a1, &err)");
	patch = kube_split_patch(o, &svc);
	ASSERT_TRUE_FMT(patch && !strcmp(patch, "{\"spec\":{\"backends\":[{\"service\":\"v1\","
			  "\"weight\":8750},{\"service\":\"v2\",\"weight\":1250,\"x\":1}]}}"),
			"%s", patch ? patch : "(null)");
	free(patch);
	json_object_put(o);
}

int main(void)
{
	RUN_TEST(test_quantity);
	RUN_TEST(test_weights_bps);
	RUN_TEST(test_names);
	RUN_TEST(test_kubeconfig);
	RUN_TEST(test_default_route);
	RUN_TEST(test_plan);
	RUN_TEST(test_service_policy);
	RUN_TEST(test_guard_annotation);
	RUN_TEST(test_set_weight_patch);
	return test__summary();
}
