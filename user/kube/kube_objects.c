// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kubernetes JSON -> the agent's model (see kube_objects.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube/kube_json.h"
#include "kube/kube_logic.h"
#include "kube/kube_objects.h"
#include "util/log.h"
#include "core/parse.h"

const char *const kube_kind_names[KUBE_KINDS] = {
	[KUBE_SPLIT] = "trafficsplits",
	[KUBE_SERVICE] = "services",
	[KUBE_SLICE] = "endpointslices",
	[KUBE_GATEWAY] = "gateways",
	[KUBE_TCPROUTE] = "tcproutes",
	[KUBE_UDPROUTE] = "udproutes",
	[KUBE_NODE] = "nodes",
};

bool kube_addr_parse(const char *s, int af, struct canary_addr *out)
{
	struct canary_addr a;

	if (!s || addr_from_str(s, &a) || addr_is_unset(&a) || (af && a.af != af))
		return false;
	/* ::ffff:a.b.c.d is an IPv4 address in disguise, not an IPv6 one. */
	if (addr_is_v6(&a) && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a.v6))
		return false;
	*out = a;
	return true;
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
		ports[*n].node_port = (__u16)jint(p, "nodePort", 1, 65535, 0);
		(*n)++;
	}
}

/* Adds @ip (either family) to the service's VIPs unless present; a
 * cluster IP (@cluster) is primary when it is the first of its family. */
static void add_vip(struct kube_service *s, const char *ip, bool cluster)
{
	struct canary_addr a;
	int i;

	if (!kube_addr_parse(ip, 0, &a))
		return;
	for (i = 0; i < s->n_vips; i++) {
		if (addr_eq(&s->vips[i], &a))
			return;
		if (s->primary[i] && s->vips[i].af == a.af)
			cluster = false;
	}
	if (s->n_vips == KUBE_MAX_VIPS)
		return;
	s->primary[s->n_vips] = cluster;
	s->vips[s->n_vips++] = a;
	if (cluster)
		s->families |= kube_family_bit(&a);
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
	const char *fam;
	size_t i;

	arr = jget(spec, "clusterIPs");
	for (i = 0; i < jlen(arr); i++)
		add_vip(s, json_object_get_string(json_object_array_get_idx(arr, i)), true);
	if (!s->n_vips)
		add_vip(s, jstr(spec, "clusterIP"), true);
	arr = jget(spec, "ipFamilies");
	for (i = 0; i < jlen(arr); i++) {
		fam = json_object_get_string(json_object_array_get_idx(arr, i));
		s->families |= fam && !strcmp(fam, "IPv4") ? KUBE_FAMILY_V4 :
			       fam && !strcmp(fam, "IPv6") ? KUBE_FAMILY_V6 : 0;
	}
	arr = jget(spec, "externalIPs");
	for (i = 0; i < jlen(arr); i++)
		add_vip(s, json_object_get_string(json_object_array_get_idx(arr, i)), false);
	arr = jget(jget(jget(o, "status"), "loadBalancer"), "ingress");
	for (i = 0; i < jlen(arr); i++)
		add_vip(s, jstr(json_object_array_get_idx(arr, i), "ip"), false);
	decode_ports(jget(spec, "ports"), s->ports, &s->n_ports);
	decode_policy(o, s);
	return 0;
}

/* One endpoint; its address stays unset unless addresses[0] is of
 * family @af. */
static void decode_endpoint(json_object *e, int af, struct kube_ep *ep)
{
	json_object *cond = jget(e, "conditions");
	json_object *addrs = jget(e, "addresses");

	if (jlen(addrs))
		kube_addr_parse(json_object_get_string(json_object_array_get_idx(addrs, 0)),
				af, &ep->addr);
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
	s->af = !type ? 0 : !strcmp(type, "IPv4") ? AF_INET :
		!strcmp(type, "IPv6") ? AF_INET6 : 0;
	decode_ports(jget(o, "ports"), s->ports, &s->n_ports);
	if (!s->af || !n)
		return 0;
	s->eps = calloc(n, sizeof(*s->eps));
	if (!s->eps)
		return cerr_set(err, "out of memory"), -ENOMEM;
	for (i = 0; i < n; i++) {
		decode_endpoint(json_object_array_get_idx(eps, i), s->af,
				&s->eps[s->n_eps]);
		if (s->eps[s->n_eps].addr.af)
			s->n_eps++;
		else
			memset(&s->eps[s->n_eps], 0, sizeof(s->eps[s->n_eps]));
	}
	return 0;
}

/* Adds @ip (either family) to @n's addresses unless present. */
static void node_addr(struct kube_node *n, const char *ip)
{
	struct canary_addr a;
	int i;

	if (!kube_addr_parse(ip, 0, &a))
		return;
	for (i = 0; i < n->n_addrs; i++)
		if (addr_eq(&n->addrs[i], &a))
			return;
	if (n->n_addrs < KUBE_MAX_VIPS)
		n->addrs[n->n_addrs++] = a;
}

/* @cidr into @n's pod CIDR of its family unless that one is set. */
static void node_cidr(struct kube_node *n, const char *cidr)
{
	struct canary_err err;

	if (!cidr)
		return;
	if (strchr(cidr, ':')) {
		if (!n->pod_len6 &&
		    parse_cidr6(cidr, n->pod_net6, &n->pod_len6, &err))
			n->pod_len6 = 0;
		return;
	}
	if (!n->pod_net && parse_cidr4(cidr, &n->pod_net, &n->pod_len, &err))
		n->pod_net = 0;
}

/* The first InternalIP of each family: the SNAT addresses. */
static void node_internal_ip(struct kube_node *n, const char *ip)
{
	struct canary_addr a;

	if (!kube_addr_parse(ip, 0, &a))
		return;
	if (!addr_is_v6(&a) && !n->internal_ip)
		n->internal_ip = a.v4;
	else if (addr_is_v6(&a) && !(n->internal_ip6[0] | n->internal_ip6[1] |
				     n->internal_ip6[2] | n->internal_ip6[3]))
		memcpy(n->internal_ip6, a.v6, sizeof(a.v6));
}

static int decode_node(json_object *o, struct kube_node *n)
{
	json_object *arr = jget(jget(o, "status"), "addresses"), *a;
	json_object *spec = jget(o, "spec");
	const char *type;
	size_t i;

	for (i = 0; i < jlen(arr); i++) {
		a = json_object_array_get_idx(arr, i);
		type = jstr(a, "type");
		if (!type || (strcmp(type, "InternalIP") && strcmp(type, "ExternalIP")))
			continue;
		if (!strcmp(type, "InternalIP"))
			node_internal_ip(n, jstr(a, "address"));
		node_addr(n, jstr(a, "address"));
	}
	node_cidr(n, jstr(spec, "podCIDR"));
	arr = jget(spec, "podCIDRs");
	for (i = 0; i < jlen(arr); i++)
		node_cidr(n, json_object_get_string(json_object_array_get_idx(arr, i)));
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

/* The guard annotation of a TrafficSplit or route, kept as text: the
 * agent's plan checks it (a bad one is that owner's NotApplied). */
static void decode_guard(json_object *meta, struct kube_obj *obj)
{
	const char *v = jstr(jget(meta, "annotations"), KUBE_GUARD_ANNOTATION);

	if (!v || (obj->kind != KUBE_SPLIT && obj->kind != KUBE_TCPROUTE &&
		   obj->kind != KUBE_UDPROUTE))
		return;
	snprintf(obj->guard, sizeof(obj->guard), "%s",
		 strlen(v) < sizeof(obj->guard) ? v : "\x01");
}

struct kube_obj *kube_obj_decode(enum kube_kind kind, json_object *o,
				 struct canary_err *err)
{
	json_object *meta = jget(o, "metadata");
	const char *name = jstr(meta, "name"), *ns = jstr(meta, "namespace");
	const char *uid = jstr(meta, "uid");
	struct kube_obj *obj;
	int ret = 0;

	if (!name || !*name)
		return cerr_set(err, "object without metadata.name"), NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return cerr_set(err, "out of memory"), NULL;
	obj->kind = kind;
	snprintf(obj->name, sizeof(obj->name), "%s", name);
	snprintf(obj->ns, sizeof(obj->ns), "%s",
		 ns ? ns : kind == KUBE_NODE ? "" : "default");
	snprintf(obj->uid, sizeof(obj->uid), "%s", uid ? uid : "");
	snprintf(obj->rv, sizeof(obj->rv), "%s", kube_resource_version(o));
	decode_guard(meta, obj);
	if (kind == KUBE_SPLIT)
		ret = decode_split(o, &obj->split);
	else if (kind == KUBE_SERVICE)
		ret = decode_service(o, &obj->svc);
	else if (kind == KUBE_SLICE)
		ret = decode_slice(o, &obj->slice, err);
	else if (kind == KUBE_GATEWAY)
		ret = kube_gateway_decode(o, &obj->gw);
	else if (kind == KUBE_TCPROUTE || kind == KUBE_UDPROUTE)
		ret = kube_route_decode(o, obj->ns, kind == KUBE_TCPROUTE ?
				       CANARY_PROTO_TCP : CANARY_PROTO_UDP,
				       &obj->route);
	else
		ret = decode_node(o, &obj->node);
	if (ret) {
		cerr_set(err, "%s %s: %s", kube_kind_names[kind], name, strerror(-ret));
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
	else if (obj->kind == KUBE_GATEWAY)
		free(obj->gw.l);
	else if (obj->kind == KUBE_TCPROUTE || obj->kind == KUBE_UDPROUTE)
		free(obj->route.p);
	free(obj);
}
