// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's object cache: stores by namespace/name, EndpointSlices by
 * Service, and the keys that changed since the last pass (see agent.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define KEY_LEN KUBE_DEP_KEY_LEN

void kube_dep_key(int kind, const char *ns, const char *name, char *buf,
		  size_t len)
{
	if (kind < 0)
		snprintf(buf, len, "s/%s/%s", ns, name);
	else
		snprintf(buf, len, "%d/%s/%s", kind, ns, name);
}

int dirty_add(struct dirty_set *d, const char *key)
{
	char **grown;

	if (names_get(&d->ix, key) >= 0)
		return 0;
	if (d->n == d->cap) {
		grown = realloc(d->keys, (d->cap * 2 + 16) * sizeof(*grown));
		if (!grown)
			goto nomem;
		d->keys = grown;
		d->cap = d->cap * 2 + 16;
	}
	d->keys[d->n] = strdup(key);
	if (!d->keys[d->n] || names_put(&d->ix, d->keys[d->n], d->n)) {
		free(d->keys[d->n]);
		goto nomem;
	}
	d->n++;
	return 0;
nomem:
	d->all = true; /* what cannot be told apart is all of it */
	return -ENOMEM;
}

void dirty_add_obj(struct dirty_set *d, const struct kube_obj *o)
{
	char key[KEY_LEN];

	kube_dep_key(o->kind, o->ns, o->name, key, sizeof(key));
	dirty_add(d, key);
	if (o->kind == KUBE_SLICE) {
		kube_dep_key(-1, o->ns, o->slice.service, key, sizeof(key));
		dirty_add(d, key);
	}
	if (o->kind == KUBE_NODE)
		d->all = true; /* NodePorts and the node section: everyone's */
}

bool dirty_has(const struct dirty_set *d, const char *key)
{
	return d->all || names_get(&d->ix, key) >= 0;
}

bool dirty_any(const struct dirty_set *d)
{
	return d->all || d->n > 0;
}

void dirty_clear(struct dirty_set *d)
{
	while (d->n > 0)
		free(d->keys[--d->n]);
	names_clear(&d->ix);
	d->all = false;
}

void dirty_free(struct dirty_set *d)
{
	dirty_clear(d);
	free(d->keys);
	names_free(&d->ix);
	memset(d, 0, sizeof(*d));
}

static int store_index(const struct kube_store *s, const char *ns,
		       const char *name)
{
	char key[KEY_LEN];

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	return names_get(&s->ix, key);
}

struct kube_obj *kube_store_find(const struct kube_store *s, const char *ns,
				 const char *name)
{
	int i = store_index(s, ns, name);

	return i < 0 ? NULL : s->objs[i];
}

/* The set of Service @ns/@svc's slices in @s; created when @make. */
static struct slice_set *set_of(struct kube_store *s, const char *ns,
				const char *svc, bool make)
{
	char key[KEY_LEN];
	struct slice_set *grown;
	int i;

	snprintf(key, sizeof(key), "%s/%s", ns, svc);
	i = names_get(&s->by_svc, key);
	if (i >= 0 || !make)
		return i < 0 ? NULL : &s->sets[i];
	if (s->n_sets == s->cap_sets) {
		grown = realloc(s->sets, (s->cap_sets * 2 + 16) * sizeof(*grown));
		if (!grown)
			return NULL;
		s->sets = grown;
		s->cap_sets = s->cap_sets * 2 + 16;
	}
	memset(&s->sets[s->n_sets], 0, sizeof(s->sets[0]));
	s->sets[s->n_sets].key = strdup(key);
	if (!s->sets[s->n_sets].key ||
	    names_put(&s->by_svc, s->sets[s->n_sets].key, s->n_sets)) {
		free(s->sets[s->n_sets].key);
		return NULL;
	}
	return &s->sets[s->n_sets++];
}

/* Adds slice @o to its Service's set; 0 or -ENOMEM. */
static int set_add(struct kube_store *s, struct kube_obj *o)
{
	struct slice_set *set = set_of(s, o->ns, o->slice.service, true);
	struct kube_obj **grown;

	if (!set)
		return -ENOMEM;
	if (set->n == set->cap) {
		grown = realloc(set->v, (set->cap * 2 + 4) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		set->v = grown;
		set->cap = set->cap * 2 + 4;
	}
	set->v[set->n++] = o;
	return 0;
}

/* Takes slice @o out of its Service's set, keeping the others' order. */
static void set_del(struct kube_store *s, const struct kube_obj *o)
{
	struct slice_set *set = set_of(s, o->ns, o->slice.service, false);
	int i;

	for (i = 0; set && i < set->n; i++) {
		if (set->v[i] != o)
			continue;
		memmove(&set->v[i], &set->v[i + 1],
			(set->n - i - 1) * sizeof(set->v[0]));
		set->n--;
		return;
	}
}

struct kube_obj *const *kube_store_slices(const struct kube_store *s,
					  const char *ns, const char *svc,
					  int *n)
{
	struct slice_set *set = set_of((struct kube_store *)s, ns, svc, false);

	*n = set ? set->n : 0;
	return set ? set->v : NULL;
}

/* Room for one more object in @s; 0 or -ENOMEM. */
static int store_grow(struct kube_store *s)
{
	struct kube_obj **grown;
	char **keys;
	int cap = s->cap * 2 + 16;

	if (s->n < s->cap)
		return 0;
	grown = realloc(s->objs, cap * sizeof(*grown));
	if (grown)
		s->objs = grown;
	keys = grown ? realloc(s->keys, cap * sizeof(*keys)) : NULL;
	if (!keys)
		return -ENOMEM;
	s->keys = keys;
	s->cap = cap;
	return 0;
}

/* Replaces object @i of @s by @obj. */
static int store_replace(struct kube_store *s, int i, struct kube_obj *obj,
			 struct dirty_set *d)
{
	struct kube_obj *old = s->objs[i];

	if (old->kind == KUBE_SLICE)
		set_del(s, old);
	if (obj->kind == KUBE_SLICE && set_add(s, obj)) {
		if (old->kind == KUBE_SLICE)
			set_add(s, old); /* had room a moment ago */
		return -ENOMEM;
	}
	if (d)
		dirty_add_obj(d, old);
	kube_obj_free(old);
	s->objs[i] = obj;
	return 0;
}

int kube_store_put(struct kube_store *s, struct kube_obj *obj,
		   struct dirty_set *d)
{
	int i = store_index(s, obj->ns, obj->name);
	char key[KEY_LEN];

	if (d)
		dirty_add_obj(d, obj);
	if (i >= 0)
		return store_replace(s, i, obj, d);
	snprintf(key, sizeof(key), "%s/%s", obj->ns, obj->name);
	if (store_grow(s))
		return -ENOMEM;
	s->keys[s->n] = strdup(key);
	if (!s->keys[s->n] || names_put(&s->ix, s->keys[s->n], s->n))
		goto nomem;
	if (obj->kind == KUBE_SLICE && set_add(s, obj)) {
		names_del(&s->ix, s->keys[s->n]);
		goto nomem;
	}
	s->objs[s->n++] = obj;
	return 0;
nomem:
	free(s->keys[s->n]);
	return -ENOMEM;
}

void kube_store_del(struct kube_store *s, const char *ns, const char *name,
		    struct dirty_set *d)
{
	int i = store_index(s, ns, name);

	if (i < 0)
		return;
	if (d)
		dirty_add_obj(d, s->objs[i]);
	if (s->objs[i]->kind == KUBE_SLICE)
		set_del(s, s->objs[i]);
	kube_obj_free(s->objs[i]);
	names_del(&s->ix, s->keys[i]);
	free(s->keys[i]);
	s->n--;
	if (i == s->n)
		return;
	/* The last object takes the hole. */
	s->objs[i] = s->objs[s->n];
	s->keys[i] = s->keys[s->n];
	names_put(&s->ix, s->keys[i], i); /* replaces: no allocation */
}

void kube_store_clear(struct kube_store *s)
{
	int i;

	while (s->n > 0) {
		kube_obj_free(s->objs[--s->n]);
		free(s->keys[s->n]);
	}
	names_clear(&s->ix);
	for (i = 0; i < s->n_sets; i++)
		s->sets[i].n = 0;
}

void kube_store_unindex(struct kube_store *s)
{
	int i;

	for (i = 0; s->keys && i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	s->keys = NULL;
	names_free(&s->ix);
	for (i = 0; i < s->n_sets; i++) {
		free(s->sets[i].key);
		free(s->sets[i].v);
	}
	free(s->sets);
	s->sets = NULL;
	s->n_sets = s->cap_sets = 0;
	names_free(&s->by_svc);
}

void kube_store_free(struct kube_store *s)
{
	kube_store_clear(s);
	kube_store_unindex(s);
	free(s->objs);
	memset(s, 0, sizeof(*s));
}

int kube_store_index(struct kube_store *s)
{
	char key[KEY_LEN];
	int i;

	s->keys = calloc((s->cap > s->n ? s->cap : s->n) + 1, sizeof(*s->keys));
	if (!s->keys)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		snprintf(key, sizeof(key), "%s/%s", s->objs[i]->ns,
			 s->objs[i]->name);
		s->keys[i] = strdup(key);
		if (!s->keys[i] || names_put(&s->ix, s->keys[i], i))
			return -ENOMEM;
		if (s->objs[i]->kind == KUBE_SLICE && set_add(s, s->objs[i]))
			return -ENOMEM;
	}
	return 0;
}
