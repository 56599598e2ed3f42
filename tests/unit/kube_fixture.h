/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A kube_store filled from JSON literals, for the agent's unit tests
 * (test_kube.c, test_kube_gateway.c, test_kube_dualstack.c): decode an
 * object, add it to its kind's list, free them all; and addresses as
 * text for their checks.
 */
#ifndef CANARY_TEST_KUBE_FIXTURE_H
#define CANARY_TEST_KUBE_FIXTURE_H

#include <stdlib.h>

#include "kube/kube_logic.h"
#include "harness.h"

/* @json decoded as kind @k; a failure is a failed check (and NULL). */
static inline struct kube_obj *obj(enum kube_kind k, const char *json)
{
	json_object *o = json_tokener_parse(json);
	struct canary_err err;
	struct kube_obj *r = o ? kube_obj_decode(k, o, &err) : NULL;

	json_object_put(o);
	ASSERT_TRUE_FMT(r != NULL, "could not decode %.60s", json);
	return r;
}

/* Adds @o (obj()'s result: NULL is skipped) to @s. */
static inline void put(struct kube_store *s, struct kube_obj *o)
{
	if (!o)
		return;
	s->objs = realloc(s->objs, (s->n + 1) * sizeof(*s->objs));
	s->objs[s->n++] = o;
}

/* Text of an address of either family (a static ring, so a few fit in
 * one assertion). */
static inline const char *as(const struct canary_addr *a)
{
	static char buf[8][CANARY_ADDR_STRLEN];
	static int i;

	i = (i + 1) % 8;
	return addr_str(a, buf[i], sizeof(buf[i]));
}

/* Frees every object of the KUBE_KINDS lists @store and the lists. */
static inline void store_free(struct kube_store *store)
{
	int k;

	for (k = 0; k < KUBE_KINDS; k++) {
		while (store[k].n)
			kube_obj_free(store[k].objs[--store[k].n]);
		free(store[k].objs);
		store[k].objs = NULL;
	}
}

#endif /* CANARY_TEST_KUBE_FIXTURE_H */
