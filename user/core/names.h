/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * An index from names (or any short key string) to small integers: open
 * addressing with linear probing over a power-of-two table kept at most
 * half full, so a lookup costs one hash and a probe or two whatever the
 * number of names. The keys are not copied: they must outlive the index
 * (they are the names inside the config or cache being indexed).
 */
#ifndef CANARY_USER_NAMES_H
#define CANARY_USER_NAMES_H

#include <stddef.h>

struct names_slot {
	const char *key; /* NULL: empty */
	int val;
};

struct names {
	struct names_slot *slot;
	size_t cap;  /* a power of two, or 0 */
	size_t n;    /* keys in the index */
};

void names_init(struct names *ix);
void names_free(struct names *ix);
/* Removes every key, keeping the table. */
void names_clear(struct names *ix);
/* Maps @key to @val (replacing a previous value). 0 or -ENOMEM. */
int names_put(struct names *ix, const char *key, int val);
/* The value of @key, or -1. */
int names_get(const struct names *ix, const char *key);
/* Removes @key if present. */
void names_del(struct names *ix, const char *key);
/* FNV-1a of @s, for callers that hash composite keys. */
unsigned long names_hash(const char *s);

#endif /* CANARY_USER_NAMES_H */
