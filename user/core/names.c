// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A name -> integer index (see names.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"

unsigned long names_hash(const char *s)
{
	unsigned long h = 14695981039346656037ul;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ul;
	return h;
}

void names_init(struct names *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void names_free(struct names *ix)
{
	free(ix->slot);
	names_init(ix);
}

void names_clear(struct names *ix)
{
	if (ix->slot)
		memset(ix->slot, 0, ix->cap * sizeof(*ix->slot));
	ix->n = 0;
}

/* The slot holding @key, or the empty one where it would go. */
static struct names_slot *find(const struct names *ix, const char *key)
{
	size_t i = names_hash(key) & (ix->cap - 1);

	while (ix->slot[i].key && strcmp(ix->slot[i].key, key))
		i = (i + 1) & (ix->cap - 1);
	return &ix->slot[i];
}

static int grow(struct names *ix)
{
	struct names old = *ix;
	size_t i;

	ix->cap = old.cap ? old.cap * 2 : 64;
	ix->slot = calloc(ix->cap, sizeof(*ix->slot));
	if (!ix->slot) {
		*ix = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.slot[i].key)
			*find(ix, old.slot[i].key) = old.slot[i];
	free(old.slot);
	return 0;
}

int names_put(struct names *ix, const char *key, int val)
{
	struct names_slot *s;

	if ((ix->n + 1) * 2 > ix->cap && grow(ix))
		return -ENOMEM;
	s = find(ix, key);
	if (!s->key)
		ix->n++;
	s->key = key;
	s->val = val;
	return 0;
}

int names_get(const struct names *ix, const char *key)
{
	const struct names_slot *s;

	if (!ix->cap)
		return -1;
	s = find(ix, key);
	return s->key ? s->val : -1;
}

/* Deletion in linear probing: the keys after the hole that would no
 * longer be found move back into it (Knuth's algorithm R). */
void names_del(struct names *ix, const char *key)
{
	size_t mask = ix->cap - 1, i, j, home;
	struct names_slot *s;

	if (!ix->cap || !(s = find(ix, key))->key)
		return;
	i = s - ix->slot;
	s->key = NULL;
	ix->n--;
	for (j = (i + 1) & mask; ix->slot[j].key; j = (j + 1) & mask) {
		home = names_hash(ix->slot[j].key) & mask;
		/* Move j into the hole i unless its home lies in (i, j]. */
		if (((j - home) & mask) < ((j - i) & mask))
			continue;
		ix->slot[i] = ix->slot[j];
		ix->slot[j].key = NULL;
		i = j;
	}
}
