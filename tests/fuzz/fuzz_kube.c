// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's Kubernetes JSON handling (user/kube_objects.c): the input is
 * parsed with json-c and decoded as a TrafficSplit, a Service and an
 * EndpointSlice in turn, as a watch event's object would be. Decoding must
 * fail cleanly or yield an object with bounded, NUL-terminated names.
 */
#include <json-c/json.h>

#include "fuzz.h"
#include "kube_objects.h"

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
		    strnlen(obj->ns, sizeof(obj->ns)) == sizeof(obj->ns))
			abort();
		kube_obj_free(obj);
	}
	kube_resource_version(o);
	json_object_put(o);
	return 0;
}
