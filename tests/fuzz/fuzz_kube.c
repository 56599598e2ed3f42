// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's Kubernetes JSON handling (user/kube/kube_objects.c): the input is
 * parsed with json-c and decoded as a TrafficSplit, a Service and an
 * EndpointSlice in turn, as a watch event's object would be. Decoding must
 * fail cleanly or yield an object with bounded, NUL-terminated names and
 * addresses the agent can use: set, of a known family, and for a slice of
 * its addressType's family (dual stack: seeds with IPv6 Services, slices,
 * Nodes and Gateways).
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "kube/kube_objects.h"

/* Whether @a is a usable address: set, IPv4 or IPv6, reserved zero. */
static bool addr_ok(const struct canary_addr *a)
{
	return (a->af == AF_INET || a->af == AF_INET6) && !addr_is_unset(a) &&
	       !a->reserved[0] && !a->reserved[1] && !a->reserved[2];
}

static bool addrs_ok(const struct canary_addr *a, int n, int max)
{
	int i;

	if (n < 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!addr_ok(&a[i]))
			return false;
	return true;
}

/* The address invariants of each kind. */
static bool obj_addrs_ok(const struct kube_obj *obj)
{
	int i;

	if (obj->kind == KUBE_SERVICE)
		return addrs_ok(obj->svc.vips, obj->svc.n_vips, KUBE_MAX_VIPS);
	if (obj->kind == KUBE_GATEWAY)
		return addrs_ok(obj->gw.addrs, obj->gw.n_addrs, KUBE_MAX_VIPS);
	if (obj->kind == KUBE_NODE)
		return addrs_ok(obj->node.addrs, obj->node.n_addrs, KUBE_MAX_VIPS);
	if (obj->kind != KUBE_SLICE)
		return true;
	for (i = 0; i < obj->slice.n_eps; i++)
		if (!addr_ok(&obj->slice.eps[i].addr) ||
		    obj->slice.eps[i].addr.af != obj->slice.af)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct canary_err err = {};
	struct kube_obj *obj;
	json_object *o;
	char *text;
	int k;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	o = json_tokener_parse(text);
	free(text);
	if (!o)
		return 0;
	for (k = 0; k < KUBE_KINDS; k++) {
		obj = kube_obj_decode(k, o, &err);
		if (!obj)
			continue;
		if (strnlen(obj->name, sizeof(obj->name)) == sizeof(obj->name) ||
		    strnlen(obj->ns, sizeof(obj->ns)) == sizeof(obj->ns) ||
		    !obj_addrs_ok(obj))
			abort();
		kube_obj_free(obj);
	}
	kube_resource_version(o);
	json_object_put(o);
	return 0;
}
