// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * deploy/ parses: every YAML document of deploy/ *.yaml and
 * deploy/examples/ *.yaml (libyaml; tests/e2e/test_manifests.sh also runs
 * them through kubectl --dry-run=client against a discovery-only server)
 * is a Kubernetes object
 * with apiVersion, kind and metadata.name; the DaemonSet and the RBAC say
 * what the issue asks (read-only on every kind the agent watches, create
 * and patch on events, the node name from the downward API); the TCPRoute
 * example splits the seed 75/25 behind a Gateway of its own file; the
 * Grafana dashboard is JSON. Run from the
 * repository root (scripts/run-tests.sh does).
 */
#include <glob.h>
#include <yaml.h>
#include <json-c/json.h>

#include "harness.h"

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* Follows "a.b.0.c" (numbers index sequences). */
static yaml_node_t *path(yaml_document_t *d, const char *dotted)
{
	yaml_node_t *n = yaml_document_get_root_node(d);
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); n && tok; tok = strtok_r(NULL, ".", &save)) {
		if (n->type == YAML_SEQUENCE_NODE) {
			long i = atol(tok);

			n = i < n->data.sequence.items.top - n->data.sequence.items.start ?
				    yaml_document_get_node(d, n->data.sequence.items.start[i]) :
				    NULL;
		} else {
			n = get(d, n, tok);
		}
	}
	return n;
}

static const char *str(yaml_document_t *d, const char *dotted)
{
	yaml_node_t *n = path(d, dotted);

	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
}

/* "a,b,c" of a sequence of scalars. */
static void seq_join(yaml_document_t *d, const char *dotted, char *out, size_t len)
{
	yaml_node_t *n = path(d, dotted), *it;
	yaml_node_item_t *i;

	out[0] = '\0';
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return;
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		it = yaml_document_get_node(d, *i);
		if (it && it->type == YAML_SCALAR_NODE)
			snprintf(out + strlen(out), len - strlen(out), "%s%s",
				 out[0] ? "," : "", it->data.scalar.value);
	}
}

static int daemonsets, cluster_roles, roles, tcproutes;
/* "group/resource," for each resource the agent's ClusterRole reads, and
 * the same for what it may create and patch. */
static char readable[1024], writable[256];
/* metadata.name of each Gateway, per file: "file:name," */
static char gateways[1024];

static void check_daemonset(yaml_document_t *d, const char *file)
{
	const char *c = "spec.template.spec.containers.0.";
	char buf[256], key[128];

	daemonsets++;
	ASSERT_TRUE_FMT(!strcmp(str(d, "spec.template.spec.hostNetwork"), "true"),
			"%s: hostNetwork", file);
	snprintf(key, sizeof(key), "%ssecurityContext.capabilities.drop", c);
	seq_join(d, key, buf, sizeof(buf));
	ASSERT_TRUE_FMT(!strcmp(buf, "ALL"), "%s: drop %s", file, buf);
	snprintf(key, sizeof(key), "%ssecurityContext.capabilities.add", c);
	seq_join(d, key, buf, sizeof(buf));
	ASSERT_TRUE_FMT(!strcmp(buf, "BPF,NET_ADMIN,PERFMON"), "%s: add %s", file, buf);
	snprintf(key, sizeof(key), "%sterminationMessagePolicy", c);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "FallbackToLogsOnError"), "%s: termination policy",
			file);
	snprintf(key, sizeof(key), "%svolumeMounts.0.mountPropagation", c);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "Bidirectional"), "%s: propagation", file);
	ASSERT_TRUE_FMT(!strcmp(str(d, "spec.template.spec.volumes.0.hostPath.path"),
				"/sys/fs/bpf"), "%s: bpffs hostPath", file);
	snprintf(key, sizeof(key), "%sreadinessProbe.httpGet.host", c);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "127.0.0.1"), "%s: readiness on localhost", file);
	snprintf(key, sizeof(key), "%sresources.requests.cpu", c);
	ASSERT_TRUE_FMT(*str(d, key), "%s: no resource requests", file);
	ASSERT_TRUE_FMT(!strcmp(str(d, "spec.template.spec.tolerations.0.operator"), "Exists"),
			"%s: tolerations", file);
	/* The agent's own Node, by the downward API. */
	snprintf(key, sizeof(key), "%senv.0.name", c);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "NODE_NAME"), "%s: first env is not NODE_NAME", file);
	snprintf(key, sizeof(key), "%senv.0.valueFrom.fieldRef.fieldPath", c);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "spec.nodeName"),
			"%s: NODE_NAME not from spec.nodeName",
			file);
}

/* Adds "group/resource," to @out for every group and resource of rule
 * @i (the core group is ""). */
static void rule_resources(yaml_document_t *d, int i, char *out, size_t len)
{
	yaml_node_t *groups, *res, *g, *r;
	yaml_node_item_t *gi, *ri;
	char key[64];

	snprintf(key, sizeof(key), "rules.%d.apiGroups", i);
	groups = path(d, key);
	snprintf(key, sizeof(key), "rules.%d.resources", i);
	res = path(d, key);
	if (!ASSERT_TRUE_FMT(groups && res && groups->type == YAML_SEQUENCE_NODE &&
			     res->type == YAML_SEQUENCE_NODE, "rule %d: apiGroups, resources", i))
		return;
	for (gi = groups->data.sequence.items.start; gi < groups->data.sequence.items.top; gi++)
		for (ri = res->data.sequence.items.start; ri < res->data.sequence.items.top; ri++) {
			g = yaml_document_get_node(d, *gi);
			r = yaml_document_get_node(d, *ri);
			if (g && r && g->type == YAML_SCALAR_NODE && r->type == YAML_SCALAR_NODE)
				snprintf(out + strlen(out), len - strlen(out), "%s/%s,",
					 g->data.scalar.value, r->data.scalar.value);
		}
}

static void check_rules(yaml_document_t *d, const char *file, bool cluster)
{
	char verbs[128];
	int i;

	for (i = 0; path(d, "rules") && i < 8; i++) {
		char key[64];

		snprintf(key, sizeof(key), "rules.%d.verbs", i);
		if (!path(d, key))
			break;
		seq_join(d, key, verbs, sizeof(verbs));
		if (!cluster) {
			ASSERT_TRUE_FMT(!strcmp(verbs, "get,patch"), "%s: verbs %s", file, verbs);
		} else if (!strcmp(verbs, "create,patch")) {
			rule_resources(d, i, writable, sizeof(writable));
		} else {
			ASSERT_TRUE_FMT(!strcmp(verbs, "get,list,watch"), "%s: verbs %s", file,
					verbs);
			rule_resources(d, i, readable, sizeof(readable));
		}
	}
	ASSERT_TRUE_FMT(i > 0, "%s: no rules", file);
	if (cluster)
		cluster_roles++;
	else
		roles++;
}

/* The example: the seed's versions 75/25 behind a Gateway of its file
 * (Gateways come first in it). */
static void check_tcproute(yaml_document_t *d, const char *file)
{
	const char *r = "spec.rules.0.backendRefs.";
	char key[128], gw[512];

	tcproutes++;
	snprintf(gw, sizeof(gw), "%s:%s,", file, str(d, "spec.parentRefs.0.name"));
	ASSERT_TRUE_FMT(strstr(gateways, gw) != NULL,
			"%s: parent '%s' is not a Gateway of the file",
			file, str(d, "spec.parentRefs.0.name"));
	ASSERT_TRUE_FMT(!strcmp(str(d, "apiVersion"), "gateway.networking.k8s.io/v1alpha2"),
			"%s: TCPRoute is v1alpha2", file);
	snprintf(key, sizeof(key), "%s0.name", r);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "hello-v1"), "%s: first backend %s", file,
			str(d, key));
	snprintf(key, sizeof(key), "%s0.weight", r);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "75"), "%s: hello-v1 weight %s", file, str(d, key));
	snprintf(key, sizeof(key), "%s1.name", r);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "hello-v2"), "%s: second backend %s", file,
			str(d, key));
	snprintf(key, sizeof(key), "%s1.weight", r);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "25"), "%s: hello-v2 weight %s", file, str(d, key));
	snprintf(key, sizeof(key), "%s1.port", r);
	ASSERT_TRUE_FMT(!strcmp(str(d, key), "5000"), "%s: backend port %s", file, str(d, key));
}

/* Checks every document of @file; returns how many there were. */
static int check_file(const char *file)
{
	FILE *f = fopen(file, "r");
	yaml_parser_t parser;
	yaml_document_t doc;
	int n = 0, done = 0;
	const char *kind;

	if (!ASSERT_TRUE_FMT(f != NULL, "cannot open %s", file))
		return 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!ASSERT_TRUE_FMT(yaml_parser_load(&parser, &doc), "%s:%zu: %s", file,
				     parser.problem_mark.line + 1,
				     parser.problem ? parser.problem : "parse error"))
			break;
		if (!yaml_document_get_root_node(&doc)) {
			done = 1;
		} else {
			n++;
			kind = str(&doc, "kind");
			ASSERT_TRUE_FMT(*str(&doc, "apiVersion") && *kind &&
					*str(&doc, "metadata.name"),
					"%s: document %d lacks apiVersion, kind or metadata.name",
					file, n);
			if (!strcmp(kind, "DaemonSet"))
				check_daemonset(&doc, file);
			else if (!strcmp(kind, "ClusterRole"))
				check_rules(&doc, file, true);
			else if (!strcmp(kind, "Role"))
				check_rules(&doc, file, false);
			else if (!strcmp(kind, "Gateway"))
				snprintf(gateways + strlen(gateways),
					 sizeof(gateways) - strlen(gateways), "%s:%s,",
					 file, str(&doc, "metadata.name"));
			else if (!strcmp(kind, "TCPRoute"))
				check_tcproute(&doc, file);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return n;
}

static void test_manifests(void)
{
	glob_t g;
	size_t i;
	int docs = 0;

	ASSERT_EQ(glob("deploy/*.yaml", 0, NULL, &g), 0, "glob");
	glob("deploy/examples/*.yaml", GLOB_APPEND, NULL, &g);
	ASSERT_TRUE_FMT(g.gl_pathc >= 8, "only %zu manifests found (run from the repo root)",
			g.gl_pathc);
	for (i = 0; i < g.gl_pathc; i++)
		docs += check_file(g.gl_pathv[i]);
	globfree(&g);
	ASSERT_TRUE_FMT(docs >= 20, "only %d documents", docs);
	ASSERT_EQ(daemonsets, 1, "daemonsets");
	ASSERT_EQ(cluster_roles, 1, "cluster_roles");
	ASSERT_EQ(roles, 1, "roles");
	ASSERT_EQ(tcproutes, 1, "tcproutes");
}

/* The ClusterRole covers exactly what the agent reads and writes. */
static void test_agent_rbac(void)
{
	static const char *const reads[] = {
		"split.smi-spec.io/trafficsplits", "/services", "/nodes",
		"discovery.k8s.io/endpointslices", "gateway.networking.k8s.io/gateways",
		"gateway.networking.k8s.io/tcproutes", "gateway.networking.k8s.io/udproutes",
	};
	char want[64];
	size_t i, n = 0;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		snprintf(want, sizeof(want), "%s,", reads[i]);
		ASSERT_TRUE_FMT(strstr(readable, want) != NULL, "ClusterRole cannot read %s (%s)",
				reads[i], readable);
		n += strlen(want);
	}
	ASSERT_EQ(strlen(readable), n, "strlen(readable)");
	ASSERT_TRUE_FMT(!strcmp(writable, "/events,events.k8s.io/events,"), "writes: %s", writable);
}

static void test_dashboard(void)
{
	json_object *o = json_object_from_file("deploy/grafana-dashboard.json"), *p;

	ASSERT_TRUE(o != NULL, "deploy/grafana-dashboard.json is not JSON");
	ASSERT_TRUE(o && json_object_object_get_ex(o, "panels", &p) &&
		    json_object_array_length(p) >= 1, "no panels");
	ASSERT_TRUE(o && strstr(json_object_to_json_string(o),
				"canary_bpf_version_new_flows_total") != NULL, "no flow metric");
	json_object_put(o);
}

int main(void)
{
	RUN_TEST(test_manifests);
	RUN_TEST(test_agent_rbac);
	RUN_TEST(test_dashboard);
	return test__summary();
}
