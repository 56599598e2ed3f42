// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kubernetes JSON -> the agent's model (see kube_objects.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube_logic.h"
#include "kube_objects.h"
#include "log.h"

/* @o[@key], or NULL when @o is not an object or lacks it. */
static json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The string @o[@key], or NULL. */
static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

/* A condition: the boolean @o[@key], or @dflt when unset or null. */
static bool jbool(json_object *o, const char *key, bool dflt)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_boolean) ?
		       json_object_get_boolean(v) : dflt;
}

static size_t jlen(json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ?
		       json_object_array_length(arr) : 0;
}

const char *kube_resource_version(json_object *o)
{
	const char *rv = jstr(jget(o, "metadata"), "resourceVersion");

	return rv ? rv : "";
}

static __u8 proto_of(const char *s)
{
	if (!s || !strcasecmp(s, "TCP"))
		return CANARY_PROTO_TCP; /* the API's default */
	return !strcasecmp(s, "UDP") ? CANARY_PROTO_UDP : 0;
}

/* Service ports or EndpointSlice ports (same field names). */
static void decode_ports(json_object *arr, struct kube_port *ports, int *n)
{
	size_t i, len = jlen(arr);
	json_object *p, *num;
	const char *name;

	*n = 0;
	for (i = 0; i < len && *n < KUBE_MAX_PORTS; i++) {
		p = json_object_array_get_idx(arr, i);
		num = jget(p, "port");
		if (!num || !json_object_is_type(num, json_type_int))
			continue;
		name = jstr(p, "name");
		snprintf(ports[*n].name, sizeof(ports[*n].name), "%s", name ? name : "");
		ports[*n].port = (__u16)json_object_get_int(num);
		ports[*n].proto = proto_of(jstr(p, "protocol"));
		(*n)++;
	}
}

/* Adds IPv4 @ip to the service's VIPs unless present; others skipped. */
static void add_vip(struct kube_service *s, const char *ip)
{
	struct in_addr a;
	int i;

	if (!ip || inet_pton(AF_INET, ip, &a) != 1 || !a.s_addr)
		return;
	for (i = 0; i < s->n_vips; i++)
		if (s->vips[i] == a.s_addr)
			return;
	if (s->n_vips < KUBE_MAX_VIPS)
		s->vips[s->n_vips++] = a.s_addr;
}

/* externalTrafficPolicy, sessionAffinity and our SNAT annotation. */
static void decode_policy(json_object *o, struct kube_service *s)
{
	json_object *spec = jget(o, "spec");
	const char *v;

	v = jstr(spec, "externalTrafficPolicy");
	s->local = v && !strcmp(v, "Local");
	v = jstr(spec, "sessionAffinity");
	s->affinity = v && !strcmp(v, "ClientIP");
	v = jstr(jget(jget(o, "metadata"), "annotations"), KUBE_SNAT_ANNOTATION);
	s->snat = !v ? CANARY_SNAT_AUTO :
		  !strcmp(v, "always") ? CANARY_SNAT_ALWAYS :
		  !strcmp(v, "never") ? CANARY_SNAT_NEVER : CANARY_SNAT_AUTO;
}

static int decode_service(json_object *o, struct kube_service *s)
{
	json_object *spec = jget(o, "spec"), *arr;
	size_t i;

	arr = jget(spec, "clusterIPs");
	for (i = 0; i < jlen(arr); i++)
		add_vip(s, json_object_get_string(json_object_array_get_idx(arr, i)));
	if (!s->n_vips)
		add_vip(s, jstr(spec, "clusterIP"));
	s->has_cluster_ip = s->n_vips > 0;
	arr = jget(spec, "externalIPs");
	for (i = 0; i < jlen(arr); i++)
		add_vip(s, json_object_get_string(json_object_array_get_idx(arr, i)));
	arr = jget(jget(jget(o, "status"), "loadBalancer"), "ingress");
	for (i = 0; i < jlen(arr); i++)
		add_vip(s, jstr(json_object_array_get_idx(arr, i), "ip"));
	decode_ports(jget(spec, "ports"), s->ports, &s->n_ports);
	decode_policy(o, s);
	return 0;
}

static void decode_endpoint(json_object *e, struct kube_ep *ep)
{
	json_object *cond = jget(e, "conditions");
	json_object *addrs = jget(e, "addresses");
	struct in_addr a = {};

	if (jlen(addrs))
		inet_pton(AF_INET, json_object_get_string(
				  json_object_array_get_idx(addrs, 0)), &a);
	ep->addr = a.s_addr;
	ep->ready = jbool(cond, "ready", true);
	ep->serving = jbool(cond, "serving", ep->ready);
	ep->terminating = jbool(cond, "terminating", false);
}

static int decode_slice(json_object *o, struct kube_slice *s,
			struct canary_err *err)
{
	const char *svc = jstr(jget(jget(o, "metadata"), "labels"),
			       "kubernetes.io/service-name");
	const char *type = jstr(o, "addressType");
	json_object *eps = jget(o, "endpoints");
	size_t i, n = jlen(eps);

	snprintf(s->service, sizeof(s->service), "%s", svc ? svc : "");
	s->ipv4 = type && !strcmp(type, "IPv4");
	decode_ports(jget(o, "ports"), s->ports, &s->n_ports);
	if (!s->ipv4 || !n)
		return 0;
	s->eps = calloc(n, sizeof(*s->eps));
	if (!s->eps)
		return cerr_set(err, "out of memory"), -ENOMEM;
	for (i = 0; i < n; i++) {
		decode_endpoint(json_object_array_get_idx(eps, i), &s->eps[s->n_eps]);
		if (s->eps[s->n_eps].addr)
			s->n_eps++;
	}
	return 0;
}

/* A backend weight: an integer (v1alpha2+) or a quantity (v1alpha1). */
static void decode_weight(json_object *w, struct kube_backend *b)
{
	b->weight_ok = false;
	if (w && json_object_is_type(w, json_type_int)) {
		int64_t v = json_object_get_int64(w);

		b->weight_ok = v > -INT64_MAX / 1000 && v < INT64_MAX / 1000;
		/* Multiply only in range: a huge weight is refused, not UB. */
		b->weight_milli = b->weight_ok ? v * 1000 : 0;
	} else if (w && json_object_is_type(w, json_type_string)) {
		b->weight_ok = !kube_quantity_milli(json_object_get_string(w),
						    &b->weight_milli);
	} else if (!w) {
		b->weight_ok = true; /* omitted: 0 */
		b->weight_milli = 0;
	}
}

static int decode_split(json_object *o, struct kube_split *s)
{
	json_object *spec = jget(o, "spec"), *arr = jget(spec, "backends"), *b;
	const char *root = jstr(spec, "service"), *av = jstr(o, "apiVersion");
	size_t i;

	snprintf(s->service, sizeof(s->service), "%s", root ? root : "");
	snprintf(s->api_version, sizeof(s->api_version), "%s", av ? av : "");
	s->has_matches = jlen(jget(spec, "matches")) > 0;
	s->n_backends = (int)jlen(arr);
	for (i = 0; i < jlen(arr) && i < KUBE_MAX_BACKENDS; i++) {
		const char *name;

		b = json_object_array_get_idx(arr, i);
		name = jstr(b, "service");
		snprintf(s->b[i].service, sizeof(s->b[i].service), "%s",
			 name ? name : "");
		decode_weight(jget(b, "weight"), &s->b[i]);
	}
	return 0;
}

struct kube_obj *kube_obj_decode(enum kube_kind kind, json_object *o,
				 struct canary_err *err)
{
	json_object *meta = jget(o, "metadata");
	const char *name = jstr(meta, "name"), *ns = jstr(meta, "namespace");
	struct kube_obj *obj;
	int ret = 0;

	if (!name || !*name)
		return cerr_set(err, "object without metadata.name"), NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return cerr_set(err, "out of memory"), NULL;
	obj->kind = kind;
	snprintf(obj->name, sizeof(obj->name), "%s", name);
	snprintf(obj->ns, sizeof(obj->ns), "%s", ns ? ns : "default");
	if (kind == KUBE_SPLIT)
		ret = decode_split(o, &obj->split);
	else if (kind == KUBE_SERVICE)
		ret = decode_service(o, &obj->svc);
	else
		ret = decode_slice(o, &obj->slice, err);
	if (ret) {
		kube_obj_free(obj);
		return NULL;
	}
	return obj;
}

void kube_obj_free(struct kube_obj *obj)
{
	if (!obj)
		return;
	if (obj->kind == KUBE_SLICE)
		free(obj->slice.eps);
	free(obj);
}
