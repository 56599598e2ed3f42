/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Between the files of a config transaction (state_*.c), not for other
 * callers: state_config.c writes one service's config slot, state_txn.c
 * runs the transaction and the flips, state_node.c holds the node section and
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
/* A service key of either family; zeroed, so no padding differs. */
union svc_key {
	struct canary_svc_key v4;
	struct canary_svc6_key v6;
};

/* The canary_svc_v2 or canary_svc6_v2 key of @svc's @port into @k;
 * returns the map's fd. */
int state_svc_key(struct canary_state *st, const struct canary_service_cfg *svc,
		  __be16 port, union svc_key *k);
/*
 * Writes service @svc (id @id) into its config slot @slot, which no
 * program reads (neither live nor previous), for this node as @node:
 * versions, tables (kept, copied from the live slot of @live, or built),
 * pins and meta entry, deleting what the slot held before and the new
 * config does not. @live: the service's canary_svc_v2 entry now, NULL
 * for a new service. The header to flip to goes into @h (target port
 * aside). 0 or -errno.
 */
int state_write_slot(struct canary_state *st, __u32 id, __u32 slot,
		     const struct canary_svc_slots *live,
		     struct canary_service_cfg *svc,
		     const struct canary_node *node, bool shared,
		     struct canary_svc *h);
/* canary_names: service @svc (id @id) by its name, written; the entry
 * of @name deleted if it is service @id's; found into @n (-ENOENT when
 * there is none, or no map). 0 or -errno. */
int state_put_name(struct canary_state *st, const struct canary_service_cfg *svc,
		   __u32 id);
int state_drop_name(struct canary_state *st, const char *name, __u32 id);
int state_find_name(struct canary_state *st, const char *name,
		    struct canary_name *n);
/* Empties slot @slot of service @id (a removed service); 0 or -errno. */
int state_clear_slot(struct canary_state *st, __u32 id, __u32 slot);

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
/* The index of the record whose first @ks bytes are @key among the @n
 * records of @stride bytes at @recs, sorted by those bytes; -1 if none. */
long state_find_rec(const void *recs, size_t n, size_t stride, size_t ks,
		    const void *key);

/* state_backend.c */

/* Marks in @shared (one per service of @cfg) the services an endpoint of
 * which serves another service port too; touches no map. */
int state_shared_flags(const struct canary_config *cfg, bool *shared);
/* The endpoint entries (generation @gen) of service @svc, which was @old
 * with the same VIP, protocol and ports: its service ports taken out of
 * the entries of @old's endpoints and put into those of @svc's, entry by
 * entry, the other services' left. *@shared: an endpoint of @svc serves
 * another service port too (which is marked shared as well). */
int state_backends_service(struct canary_state *st,
			   const struct canary_service_cfg *old,
			   const struct canary_service_cfg *svc, __u32 gen,
			   bool *shared);

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
/* The same for the flows of @cfg's services alone (those of other service
 * ports are left). */
int state_gc_flows_of(struct canary_state *st, const struct canary_config *cfg);
/* Deletes the config entries (versions, tables, pins, meta) of the service
 * ids no canary_svc_v2 or canary_svc6_v2 entry names: what a transaction
 * killed half way left. 0 or -errno. */
int state_sweep(struct canary_state *st);

#endif /* CANARY_USER_STATE_INT_H */
