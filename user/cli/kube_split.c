// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* set-weight --kube and status --kube (see kube_split.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_client.h"
#include "kube/kube_logic.h"
#include "kube/kube_objects.h"
#include "cli/kube_split.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "core/parse.h"
#include "dataplane/state.h"
#include "core/weights.h"

static const char *const split_versions[] = { "v1alpha4", "v1alpha3", "v1alpha2",
					      "v1alpha1", NULL };

int kube_split_to_cfg(json_object *obj, struct canary_service_cfg *svc,
		      struct canary_err *err)
{
	struct kube_obj *o = kube_obj_decode(KUBE_SPLIT, obj, err);
	int64_t w[CANARY_MAX_VERSIONS];
	__u16 bps[CANARY_MAX_VERSIONS];
	int i, ret = 0;

	if (!o)
		return -EINVAL;
	memset(svc, 0, sizeof(*svc));
	kube_name_fit(o->name, svc->name, sizeof(svc->name));
	if (o->split.n_backends < 1 || o->split.n_backends > CANARY_MAX_VERSIONS)
		ret = cerr_set(err, "trafficsplit '%s' has %d backends (1 to %d supported)",
			       o->name, o->split.n_backends, CANARY_MAX_VERSIONS);
	for (i = 0; !ret && i < o->split.n_backends; i++) {
		if (!o->split.b[i].weight_ok)
			ret = cerr_set(err, "trafficsplit '%s': backend '%s' has a bad weight",
				       o->name, o->split.b[i].service);
		w[i] = o->split.b[i].weight_milli;
		kube_name_fit(o->split.b[i].service, svc->v[i].name, sizeof(svc->v[i].name));
		svc->v[i].n_endpoints = 1; /* placeholder, see kube_split.h */
	}
	svc->n_versions = o->split.n_backends;
	if (!ret && kube_weights_bps(w, svc->n_versions, bps, err))
		ret = -EINVAL;
	for (i = 0; !ret && i < svc->n_versions; i++)
		svc->v[i].weight_bps = bps[i];
	kube_obj_free(o);
	return ret;
}

static json_object *weight_json(__u16 bps, bool quantity, bool whole)
{
	char buf[32];

	if (!quantity)
		return json_object_new_int(whole ? bps / 100 : bps);
	if (whole)
		snprintf(buf, sizeof(buf), "%u", bps / 100);
	else
		snprintf(buf, sizeof(buf), "%u0m", bps); /* thousandths of a percent */
	return json_object_new_string(buf);
}

char *kube_split_patch(json_object *obj, const struct canary_service_cfg *svc)
{
	json_object *spec, *backends, *patch, *pspec, *arr, *b, *av;
	bool whole = true, quantity;
	char *out;
	int i;

	if (!json_object_object_get_ex(obj, "spec", &spec) ||
	    !json_object_object_get_ex(spec, "backends", &backends))
		return NULL;
	quantity = json_object_object_get_ex(obj, "apiVersion", &av) &&
		   strstr(json_object_get_string(av), "/v1alpha1");
	for (i = 0; i < svc->n_versions; i++)
		whole &= svc->v[i].weight_bps % 100 == 0;
	arr = json_object_new_array();
	for (i = 0; i < svc->n_versions; i++) {
		b = NULL;
		json_object_deep_copy(json_object_array_get_idx(backends, i), &b, NULL);
		json_object_object_add(b, "weight", weight_json(svc->v[i].weight_bps,
								quantity, whole));
		json_object_array_add(arr, b);
	}
	patch = json_object_new_object();
	pspec = json_object_new_object();
	json_object_object_add(pspec, "backends", arr);
	json_object_object_add(patch, "spec", pspec);
	out = strdup(json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(patch);
	return out;
}

/* GETs TrafficSplit @ns/@name from the first SMI version served; @path
 * gets its URL path. Returns an exit code, having printed any error. */
static int get_split(const struct kube_config *kc, const char *ns,
		     const char *name, json_object **obj, char *path, size_t len)
{
	struct kube_resp r = {};
	struct canary_err err;
	int i;

	for (i = 0; split_versions[i]; i++) {
		snprintf(path, len, "/apis/split.smi-spec.io/%s/namespaces/%s/trafficsplits/%s",
			 split_versions[i], ns, name);
		if (kube_request(kc, "GET", path, NULL, NULL, 30, &r, &err)) {
			p_err("set-weight --kube: %s", err.msg);
			return EXIT_FAIL;
		}
		if (r.status == 200 && r.body) {
			*obj = r.body;
			return EXIT_OK;
		}
		json_object_put(r.body);
		if (r.status != 404)
			break;
	}
	if (r.status == 404) {
		p_err("set-weight --kube: trafficsplit '%s' not found in namespace '%s'",
		      name, ns);
		return EXIT_USAGE;
	}
	p_err("set-weight --kube: GET %s: HTTP %ld", path, r.status);
	return EXIT_FAIL;
}

static int send_patch(const struct kube_config *kc, const char *path,
		      const char *body)
{
	struct kube_resp r;
	struct canary_err err;
	int ret = EXIT_OK;

	if (kube_request(kc, "PATCH", path, body, "application/merge-patch+json",
			 30, &r, &err)) {
		p_err("set-weight --kube: %s", err.msg);
		return EXIT_FAIL;
	}
	if (r.status < 200 || r.status >= 300) {
		p_err("set-weight --kube: PATCH %s: HTTP %ld %s", path, r.status,
		      kube_status_message(&r));
		ret = r.status == 422 || r.status == 400 ? EXIT_USAGE : EXIT_FAIL;
	}
	json_object_put(r.body);
	return ret;
}

static int load_config(struct kube_config *kc, const char *kubeconfig,
		       const char **ns, const char *what)
{
	struct canary_err err;

	if (kubeconfig_auto(kc, kubeconfig, &err)) {
		p_err("%s: %s", what, err.msg);
		return EXIT_USAGE;
	}
	if (!*ns)
		*ns = kc->namespace;
	return kube_global_init() ? EXIT_FAIL : EXIT_OK;
}

int kube_set_weight(const char *kubeconfig, const char *ns, const char *name,
		    int n, char *const *assign)
{
	struct canary_service_cfg *svc = calloc(1, sizeof(*svc));
	struct canary_err err = {};
	struct kube_config kc = {};
	json_object *obj = NULL;
	char path[512], *body = NULL;
	int ret;

	if (!svc)
		return EXIT_FAIL;
	ret = load_config(&kc, kubeconfig, &ns, "set-weight --kube");
	if (!ret)
		ret = get_split(&kc, ns, name, &obj, path, sizeof(path));
	if (!ret && (kube_split_to_cfg(obj, svc, &err) ||
		     weights_apply(svc, n, assign, &err))) {
		p_err("set-weight --kube: %s", err.msg);
		ret = EXIT_USAGE;
	}
	if (!ret && !(body = kube_split_patch(obj, svc))) {
		p_err("set-weight --kube: trafficsplit '%s' has no spec.backends", name);
		ret = EXIT_USAGE;
	}
	if (!ret)
		ret = send_patch(&kc, path, body);
	if (!ret)
		p_done("trafficsplit %s/%s patched", ns, name);
	free(body);
	json_object_put(obj);
	kubeconfig_free(&kc);
	free(svc);
	return ret;
}

/* ---- status --kube ---- */

/* Lists TrafficSplits of @ns (or all) from the first version served. */
static int list_splits(const struct kube_config *kc, const char *ns,
		       json_object **items)
{
	struct kube_resp r = {};
	struct canary_err err;
	char path[512];
	int i;

	for (i = 0; split_versions[i]; i++) {
		snprintf(path, sizeof(path), "/apis/split.smi-spec.io/%s%s%s/trafficsplits",
			 split_versions[i], ns ? "/namespaces/" : "", ns ? ns : "");
		if (kube_request(kc, "GET", path, NULL, NULL, 30, &r, &err)) {
			p_err("kube-status: %s", err.msg);
			return EXIT_FAIL;
		}
		if (r.status == 200 && json_object_object_get_ex(r.body, "items", items)) {
			json_object_get(*items);
			json_object_put(r.body);
			return EXIT_OK;
		}
		json_object_put(r.body);
		if (r.status != 404)
			break;
	}
	p_err("kube-status: cannot list trafficsplits: HTTP %ld", r.status);
	return EXIT_FAIL;
}

/* Node services of split @o: "k8s.<ns>.<name>." prefixed names. */
static bool node_owned(const struct kube_obj *o, const char *svc_name)
{
	char prefix[KUBE_NS_LEN + KUBE_OBJ_LEN + 8];

	snprintf(prefix, sizeof(prefix), KUBE_SVC_PREFIX "%s.%s.", o->ns, o->name);
	return !strncmp(svc_name, prefix, strlen(prefix));
}

/* "10.96.0.10:80/tcp", "[fd00::a]:80/tcp" (static buffer). */
static const char *svc_addr(const struct canary_service_cfg *s)
{
	static char buf[CANARY_ADDR_STRLEN + 16];
	char ap[CANARY_ADDR_STRLEN + 8];

	snprintf(buf, sizeof(buf), "%s/%s",
		 addr_port_str(&s->vip, ntohs(s->port), ap, sizeof(ap)),
		 s->proto == CANARY_PROTO_UDP ? "udp" : "tcp");
	return buf;
}

static json_object *status_one(const struct kube_obj *o, const struct canary_config *node)
{
	json_object *j = json_object_new_object(), *bs = json_object_new_array();
	json_object *ns = json_object_new_array(), *b, *nw;
	json_object *addrs = json_object_new_object();
	int64_t w[KUBE_MAX_BACKENDS];
	__u16 bps[CANARY_MAX_VERSIONS] = {};
	struct canary_err err;
	char vname[CANARY_VNAME_LEN];
	int i, k, v, ok;

	for (i = 0; i < o->split.n_backends && i < KUBE_MAX_BACKENDS; i++)
		w[i] = o->split.b[i].weight_milli;
	ok = !kube_weights_bps(w, o->split.n_backends, bps, &err);
	json_object_object_add(j, "namespace", json_object_new_string(o->ns));
	json_object_object_add(j, "name", json_object_new_string(o->name));
	json_object_object_add(j, "service", json_object_new_string(o->split.service));
	json_object_object_add(j, "valid", json_object_new_boolean(ok));
	for (i = 0; i < o->split.n_backends && i < KUBE_MAX_BACKENDS; i++) {
		b = json_object_new_object();
		nw = json_object_new_object();
		kube_name_fit(o->split.b[i].service, vname, sizeof(vname));
		json_object_object_add(b, "service", json_object_new_string(o->split.b[i].service));
		json_object_object_add(b, "weight_pct", ok && i < CANARY_MAX_VERSIONS ?
				       json_object_new_double(bps[i] / 100.0) : NULL);
		for (k = 0; node && k < node->n_services; k++)
			if (node_owned(o, node->svc[k].name) &&
			    (v = config_find_version(&node->svc[k], vname)) >= 0)
				json_object_object_add(nw, node->svc[k].name, json_object_new_double(
					node->svc[k].v[v].weight_bps / 100.0));
		json_object_object_add(b, "node_weight_pct", nw);
		json_object_array_add(bs, b);
	}
	for (k = 0; node && k < node->n_services; k++)
		if (node_owned(o, node->svc[k].name)) {
			json_object_array_add(ns, json_object_new_string(node->svc[k].name));
			json_object_object_add(addrs, node->svc[k].name,
					       json_object_new_string(svc_addr(&node->svc[k])));
		}
	json_object_object_add(j, "backends", bs);
	json_object_object_add(j, "node_services", ns);
	json_object_object_add(j, "node_service_addrs", addrs);
	return j;
}

static void print_plain_one(json_object *j)
{
	json_object *bs, *b, *nw, *x;
	size_t i;

	printf("trafficsplit %s/%s  root %s%s\n",
	       json_object_get_string(json_object_object_get(j, "namespace")),
	       json_object_get_string(json_object_object_get(j, "name")),
	       json_object_get_string(json_object_object_get(j, "service")),
	       json_object_get_boolean(json_object_object_get(j, "valid")) ? "" :
	       "  (weights invalid: not applied)");
	printf("  %-24s %8s  %s\n", "BACKEND", "CLUSTER", "NODE");
	bs = json_object_object_get(j, "backends");
	for (i = 0; i < json_object_array_length(bs); i++) {
		b = json_object_array_get_idx(bs, i);
		x = json_object_object_get(b, "weight_pct");
		printf("  %-24s %7.2f%% ",
		       json_object_get_string(json_object_object_get(b, "service")),
		       x ? json_object_get_double(x) : 0.0);
		nw = json_object_object_get(b, "node_weight_pct");
		if (!json_object_object_length(nw))
			printf(" (not on this node)");
		json_object_object_foreach(nw, key, val)
			printf(" %s=%.2f%%", key, json_object_get_double(val));
		printf("\n");
	}
	json_object_object_foreach(json_object_object_get(j, "node_service_addrs"), name, a)
		printf("  on this node: %s %s\n", name, json_object_get_string(a));
}

/*
 * What this node's data plane serves, if it has one. A node without one
 * (nothing pinned yet) is no error here: the cluster's view is still worth
 * showing, and -j must stay one JSON document, so the reason goes to
 * stderr as a note.
 */
static bool read_node(struct canary_config *node, __u32 *ids,
		      const char *pin_dir)
{
	struct canary_err err = {};
	struct canary_state st;
	bool ok;

	if (state_open_unlocked(&st, pin_dir, &err)) {
		pr_warn("kube-status: no data plane on this node (%s); "
			"showing the cluster's view only\n", err.msg);
		return false;
	}
	ok = !state_read_config(&st, node, ids);
	state_close(&st);
	return ok;
}

int kube_status(const char *kubeconfig, const char *ns, const char *pin_dir)
{
	struct kube_config kc = {};
	struct canary_config node;
	json_object *items = NULL, *out = json_object_new_array(), *j;
	struct canary_err err;
	struct kube_obj *o;
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	bool have_node = false, all = ns && !*ns;
	size_t i;
	int ret;

	config_init(&node);
	ret = ids ? load_config(&kc, kubeconfig, &ns, "kube-status") : EXIT_FAIL;
	if (!ret)
		ret = list_splits(&kc, all ? NULL : ns, &items);
	if (!ret)
		have_node = read_node(&node, ids, pin_dir);
	for (i = 0; !ret && i < json_object_array_length(items); i++) {
		o = kube_obj_decode(KUBE_SPLIT, json_object_array_get_idx(items, i), &err);
		if (!o)
			continue;
		j = status_one(o, have_node ? &node : NULL);
		if (!json_output)
			print_plain_one(j);
		json_object_array_add(out, j);
		kube_obj_free(o);
	}
	if (!ret && json_output)
		puts(json_object_to_json_string_ext(out, json_pretty ? JSON_C_TO_STRING_PRETTY :
						    JSON_C_TO_STRING_PLAIN));
	else if (!ret && !json_object_array_length(out))
		printf("no trafficsplits\n");
	json_object_put(out);
	json_object_put(items);
	config_free(&node);
	kubeconfig_free(&kc);
	free(ids);
	return ret;
}
