// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Gateway API v1alpha2 JSON -> the agent's model: Gateway, TCPRoute and
 * UDPRoute (see kube_objects.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_json.h"
#include "kube/kube_objects.h"

#define GATEWAY_GROUP "gateway.networking.k8s.io"

/* The "IPAddress" entries (the type's default) of @arr, either family. */
static void gateway_addrs(json_object *arr, struct kube_gateway *gw)
{
	struct canary_addr ip;
	const char *type;
	json_object *a;
	size_t i;
	int k;

	for (i = 0; i < jlen(arr) && gw->n_addrs < KUBE_MAX_VIPS; i++) {
		a = json_object_array_get_idx(arr, i);
		type = jstr(a, "type");
		if ((type && strcmp(type, "IPAddress")) ||
		    !kube_addr_parse(jstr(a, "value"), 0, &ip))
			continue;
		for (k = 0; k < gw->n_addrs && !addr_eq(&gw->addrs[k], &ip); k++)
			;
		if (k == gw->n_addrs)
			gw->addrs[gw->n_addrs++] = ip;
	}
}

/* Listener protocols the data plane translates; HTTP, TLS... are L7. */
static __u8 listener_proto(const char *s)
{
	if (s && !strcmp(s, "TCP"))
		return CANARY_PROTO_TCP;
	return s && !strcmp(s, "UDP") ? CANARY_PROTO_UDP : 0;
}

int kube_gateway_decode(json_object *o, struct kube_gateway *gw)
{
	json_object *arr = jget(jget(o, "spec"), "listeners"), *l;
	const char *name;
	size_t i, n = jlen(arr);

	/* What the controller assigned; what was asked for until then. */
	gateway_addrs(jget(jget(o, "status"), "addresses"), gw);
	if (!gw->n_addrs)
		gateway_addrs(jget(jget(o, "spec"), "addresses"), gw);
	if (!n)
		return 0;
	gw->l = calloc(n < KUBE_MAX_LISTENERS ? n : KUBE_MAX_LISTENERS, sizeof(*gw->l));
	if (!gw->l)
		return -ENOMEM;
	for (i = 0; i < n && gw->n_listeners < KUBE_MAX_LISTENERS; i++) {
		l = json_object_array_get_idx(arr, i);
		name = jstr(l, "name");
		snprintf(gw->l[gw->n_listeners].name, KUBE_PORT_NAME_LEN, "%s",
			 name ? name : "");
		gw->l[gw->n_listeners].port = (__u16)jint(l, "port", 1, 65535, 0);
		gw->l[gw->n_listeners].proto = listener_proto(jstr(l, "protocol"));
		if (gw->l[gw->n_listeners].port)
			gw->n_listeners++;
	}
	return 0;
}

/* One parentRef: group and kind default to Gateway's, namespace to the
 * route's. */
static void decode_parent(json_object *p, const char *ns, struct kube_parent *out)
{
	const char *group = jstr(p, "group"), *kind = jstr(p, "kind");
	const char *pns = jstr(p, "namespace"), *name = jstr(p, "name");
	const char *section = jstr(p, "sectionName");

	out->gateway = (!group || !strcmp(group, GATEWAY_GROUP)) &&
		       (!kind || !strcmp(kind, "Gateway"));
	snprintf(out->ns, sizeof(out->ns), "%s", pns ? pns : ns);
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	snprintf(out->section, sizeof(out->section), "%s", section ? section : "");
	out->port = (__u16)jint(p, "port", 1, 65535, 0);
}

/* One backendRef: a core Service of the route's namespace, weight 1
 * unless given (the API bounds it to 0..1000000). */
static void decode_backend_ref(json_object *b, const char *ns,
			       struct kube_backend *out)
{
	const char *group = jstr(b, "group"), *kind = jstr(b, "kind");
	const char *bns = jstr(b, "namespace"), *name = jstr(b, "name");
	json_object *w = jget(b, "weight");

	snprintf(out->service, sizeof(out->service), "%s", name ? name : "");
	out->port = (__u16)jint(b, "port", 1, 65535, 0);
	out->ref = (group && *group) || (kind && strcmp(kind, "Service")) ?
			   KUBE_REF_NOT_SERVICE :
		   bns && strcmp(bns, ns) ? KUBE_REF_OTHER_NS : KUBE_REF_OK;
	out->weight_ok = !w || (json_object_is_type(w, json_type_int) &&
				json_object_get_int64(w) > -1000000000 &&
				json_object_get_int64(w) < 1000000000);
	out->weight_milli = !w ? 1000 : out->weight_ok ?
			    json_object_get_int64(w) * 1000 : 0;
}

int kube_route_decode(json_object *o, const char *ns, __u8 proto,
		      struct kube_route *r)
{
	json_object *spec = jget(o, "spec"), *arr = jget(spec, "parentRefs");
	const char *av = jstr(o, "apiVersion");
	size_t i, n = jlen(arr);

	r->proto = proto;
	snprintf(r->api_version, sizeof(r->api_version), "%s",
		 av ? av : GATEWAY_GROUP "/v1alpha2");
	if (n) {
		n = n < KUBE_MAX_PARENTS ? n : KUBE_MAX_PARENTS;
		r->p = calloc(n, sizeof(*r->p));
		if (!r->p)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		decode_parent(json_object_array_get_idx(arr, i), ns, &r->p[r->n_parents++]);
	arr = jget(spec, "rules");
	r->n_rules = (int)jlen(arr);
	arr = r->n_rules ? jget(json_object_array_get_idx(arr, 0), "backendRefs") : NULL;
	r->n_backends = (int)jlen(arr);
	for (i = 0; i < jlen(arr) && i < KUBE_MAX_BACKENDS; i++)
		decode_backend_ref(json_object_array_get_idx(arr, i), ns, &r->b[i]);
	return 0;
}
