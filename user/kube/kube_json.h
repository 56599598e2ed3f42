/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Null-safe field access on json-c objects for the decoders of
 * Kubernetes objects (kube_objects.c, kube_gateway.c): a missing field or
 * one of the wrong type reads as absent, never as an error.
 */
#ifndef CANARY_USER_KUBE_JSON_H
#define CANARY_USER_KUBE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* @o[@key], or NULL when @o is not an object or lacks it. */
static inline json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The string @o[@key], or NULL. */
static inline const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

/* A condition: the boolean @o[@key], or @dflt when unset or null. */
static inline bool jbool(json_object *o, const char *key, bool dflt)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_boolean) ?
		       json_object_get_boolean(v) : dflt;
}

/* The integer @o[@key] if it is one in @lo..@hi, else @dflt. */
static inline long jint(json_object *o, const char *key, long lo, long hi,
			long dflt)
{
	json_object *v = jget(o, key);
	int64_t n;

	if (!v || !json_object_is_type(v, json_type_int))
		return dflt;
	n = json_object_get_int64(v);
	return n >= lo && n <= hi ? (long)n : dflt;
}

/* Length of array @arr, 0 when it is not an array. */
static inline size_t jlen(json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ?
		       json_object_array_length(arr) : 0;
}

#endif /* CANARY_USER_KUBE_JSON_H */
