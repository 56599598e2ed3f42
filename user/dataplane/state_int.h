/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Between the files of a config transaction (state_*.c), not for other
 * callers: state_config.c writes a generation, state_txn.c runs the
 * transaction and the flip, state_node.c holds the node section and
 * state_gc.c drops dead flows.
 */
#ifndef CANARY_USER_STATE_INT_H
#define CANARY_USER_STATE_INT_H

#include <stdbool.h>
#include "dataplane/state.h"

/* state_config.c */

/* Assigns service ids: a service keeps the id it had (by name); a new one
 * takes a free id and is marked in @fresh. -ENOSPC when none is left. */
int state_assign_ids(const struct canary_config *old, const __u32 *old_ids,
		     const struct canary_config *cfg, __u32 *ids, bool *fresh);
/* Zeroes service @id's counters (a new service starts from zero). */
int state_zero_stats(struct canary_state *st, __u32 id);
/* Writes @cfg (service ids @ids, new ones marked in @fresh) as
 * generation @gen; @node is the node section it will run with. */
int state_write_config(struct canary_state *st, struct canary_config *cfg,
		       const __u32 *ids, const bool *fresh, __u32 gen,
		       const struct canary_node *node);

/* state_keys.c: one generation's entries of a config hash map. */
struct kv_set {
	int fd;
	size_t ks, vs, n;
	unsigned char *rec;  /* n records of key then value, sorted by key */
	bool *needed;        /* written (or found equal) by this transaction */
};

/* The entries of generation @gen of map @fd (keys of @key_size bytes,
 * generation at byte @gen_off); 0 or -errno. */
int kv_set_load(struct kv_set *s, int fd, size_t key_size, size_t gen_off,
		__u32 gen);
/* Whether the generation holds @key with value @val; marks @key needed
 * (the caller writes it when it differs). */
bool kv_set_same(struct kv_set *s, const void *key, const void *val);
/* The value of @key in @s, or NULL. */
const void *kv_set_get(const struct kv_set *s, const void *key);
/* Deletes the entries no one marked needed; 0 or -errno. */
int kv_set_prune(struct kv_set *s);
void kv_set_free(struct kv_set *s);

/* state_read.c */

/* The ids in use in generation @gen (@used, CANARY_MAX_SERVICES entries)
 * and their canary_meta entries, indexed by id: 0..*@n_ids - 1 (malloc'd);
 * NULL on failure. */
struct canary_meta *state_gen_metas(struct canary_state *st, __u32 gen,
				    bool *used, __u32 *n_ids);

/* state_txn.c */

/* Before writing generation @gen: whether it holds exactly what a
 * finished transaction wrote (*@clean); marks it unclean until the flip. */
int state_begin_gen(struct canary_state *st, __u32 gen, bool *clean);

/* state_node.c */

/* This node as canary_node holds it (zero when never set). */
void state_node_get(struct canary_state *st, struct canary_node *n);
/* The map's form of node section @c. */
void state_node_of(const struct canary_node_cfg *c, struct canary_node *n);
/* Writes node section @c to canary_node. */
int state_node_write(struct canary_state *st, const struct canary_node_cfg *c);

/* state_gc.c */

/* Drops the flows (both families) whose endpoint or service @cfg no
 * longer has; 0 or -errno. */
int state_gc_flows(struct canary_state *st, const struct canary_config *cfg);

#endif /* CANARY_USER_STATE_INT_H */
