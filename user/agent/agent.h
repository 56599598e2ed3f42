/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Kubernetes agent: caches TrafficSplits, Services, EndpointSlices,
 * Gateways, TCPRoutes, UDPRoutes and this node's Node, fed by one
 * list+watch thread each, and keeps the node's "k8s.*" services (and the
 * node section) equal to what they ask for (reconcile), with one Event
 * per change. Only services named with KUBE_SVC_PREFIX are touched.
 */
#ifndef CANARY_USER_AGENT_H
#define CANARY_USER_AGENT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "kube/kube_events.h"
#include "kube/kube_objects.h"
#include "kube/kube_watch.h"
#include "kube/kubeconfig.h"
#include "core/names.h"

/* Counters /metrics serves; written by the agent, read by the server. */
struct agent_counters {
	atomic_ulong reconciles;      /* reconcile passes */
	atomic_ulong changes;         /* passes that changed the maps */
	atomic_ulong errors;          /* failed passes, rejected splits */
	atomic_ulong restarts[KUBE_KINDS]; /* watch restarts per resource */
	atomic_long last_sync;        /* CLOCK_MONOTONIC s of the last good pass */
	atomic_bool ready;            /* a full sync has been applied */
};

/* The slices of one backend Service ("ns/service"), in arrival order. */
struct slice_set {
	char *key;
	struct kube_obj **v;
	int n, cap;
};

/* Objects of one kind, by namespace/name (agent_cache.c). keys[i] is
 * "ns/name" of objs[i], ix indexes them, and a store of EndpointSlices
 * also indexes them by Service (sets). Tests may fill objs alone:
 * kube_store_index() builds the rest. */
struct kube_store {
	struct kube_obj **objs;
	int n, cap;
	char **keys;
	struct names ix;
	struct names by_svc;      /* "ns/service" -> index in sets */
	struct slice_set *sets;
	int n_sets, cap_sets;
};

/*
 * The cache keys that changed since the last pass: "K/ns/name" of each
 * object of kind K added, changed or deleted, and "s/ns/service" for the
 * Service an EndpointSlice belongs to. An owner's plan records the same
 * keys for what it looked up (split_mem.refs), so a change reaches
 * exactly the owners that read it.
 */
struct dirty_set {
	struct names ix;
	char **keys;
	int n, cap;
	bool all;                 /* replan every owner (Node, first sync) */
};

/* Room for a key of kube_dep_key() (and for "ns/name"). */
#define KUBE_DEP_KEY_LEN (KUBE_NS_LEN + KUBE_OBJ_LEN + 16)

/* "K/ns/name" of an object of @kind, "s/ns/service" with @kind -1. */
void kube_dep_key(int kind, const char *ns, const char *name, char *buf,
		  size_t len);
/* Adds @key (copied) to @d; 0 or -ENOMEM (then d->all is set). */
int dirty_add(struct dirty_set *d, const char *key);
/* Adds the keys of object @o (its own, and its Service's for a slice). */
void dirty_add_obj(struct dirty_set *d, const struct kube_obj *o);
bool dirty_has(const struct dirty_set *d, const char *key);
/* Whether anything is dirty. */
bool dirty_any(const struct dirty_set *d);
/* Empties @d (keeping its memory for the next pass). */
void dirty_clear(struct dirty_set *d);
void dirty_free(struct dirty_set *d);

/* The object @ns/@name of @s, or NULL. */
struct kube_obj *kube_store_find(const struct kube_store *s, const char *ns,
				 const char *name);
/* Puts @obj in @s, replacing its namesake, whose keys (and @obj's) go
 * to @d (may be NULL). -ENOMEM leaves @obj to the caller. */
int kube_store_put(struct kube_store *s, struct kube_obj *obj,
		   struct dirty_set *d);
/* Deletes @ns/@name of @s, if there; its keys go to @d (may be NULL). */
void kube_store_del(struct kube_store *s, const char *ns, const char *name,
		    struct dirty_set *d);
/* Frees every object, keeping the tables. */
void kube_store_clear(struct kube_store *s);
void kube_store_free(struct kube_store *s);
/* The EndpointSlices of Service @ns/@svc in a slice store: *@n of them. */
struct kube_obj *const *kube_store_slices(const struct kube_store *s,
					  const char *ns, const char *svc,
					  int *n);
/* Builds keys, ix and sets of a store holding only objs; 0 or -ENOMEM. */
int kube_store_index(struct kube_store *s);
/* Drops what kube_store_index() built, keeping objs. */
void kube_store_unindex(struct kube_store *s);

/* What the agent remembers of one TrafficSplit or route between passes. */
struct split_mem {
	char *key;                /* "kind/ns/name": its key in mem_ix; NULL:
				   * a free slot */
	enum kube_kind kind;
	char ns[KUBE_NS_LEN];
	char name[KUBE_OBJ_LEN];
	char bad[256];            /* why it is not applied, "" when fine */
	char note[256];           /* last note logged for it */
	int n_names;
	char (*names)[CANARY_NAME_LEN]; /* the services it last produced */
	void **packed;            /* and each one's config as applied
				   * (config_service_pack()) */
	size_t *packed_len;
	char **refs;              /* cache keys its plan read (dirty_set) */
	int n_refs;
	bool seen;                /* still exists (mark and sweep) */
};

/* Cache key -> the owners (indexes in agent.mem) whose plan read it. */
struct dep {
	char *key;
	int *owners;
	int n, cap;
};

struct agent {
	const struct kube_config *kc;
	char pin_dir[PATH_MAX];
	char node[KUBE_OBJ_LEN];  /* this node's name, "" if unknown */
	char node_query[KUBE_OBJ_LEN + 32]; /* fieldSelector for its Node */
	long resync_s;
	pthread_mutex_t lock;     /* guards store, listed, dirty, changed */
	pthread_cond_t cond;
	struct kube_store store[KUBE_KINDS];
	bool listed[KUBE_KINDS];
	bool dirty;               /* a pass is due */
	struct dirty_set changed; /* what changed in the cache since the
				   * last pass */
	struct kube_watch watch[KUBE_KINDS];
	struct agent_counters cnt;
	struct kube_events events;
	pthread_t links;          /* follows netlink events, see agent.c */
	bool links_on;
	/* reconcile thread only */
	struct split_mem *mem;
	int n_mem, cap_mem;
	struct names mem_ix;      /* split_mem.key -> index in mem */
	int *free_mem;            /* free slots of mem, a stack */
	int n_free_mem;
	struct dep *deps;         /* who read what (split_mem.refs) */
	int n_deps, cap_deps;
	struct names dep_ix;      /* dep.key -> index in deps */
	bool synced;              /* a full pass went through: changes can
				   * be applied alone */
	/* our services with a guard, their ids as last read and their
	 * configs (config_service_pack()) */
	struct guarded {
		char *name;
		__u32 id;
		bool id_known;
		int n_versions;
		__u64 shed_ns;    /* the shed last reported, 0: none */
		void *packed;
		size_t packed_len;
	} *guarded;
	int n_guarded, cap_guarded;
	struct names guarded_ix;  /* guarded.name -> index */
	struct canary_node_cfg node_applied; /* node section last written */
	__u64 flip_seen;          /* canary_gen's flip stamp after the last
				   * pass: unchanged, the maps are as that
				   * pass left them */
	long guard_at;            /* CLOCK_MONOTONIC s of the next poll */
};

/* @node: this node's name (NULL or "": no Node watch, no NodePorts, no
 * node section). */
int agent_init(struct agent *a, const struct kube_config *kc,
	       const char *pin_dir, const char *node, long resync_s);
/* Starts the watches, then reconciles until kube_stop. Returns 0 or a
 * negative errno when the watches could not start. */
int agent_run(struct agent *a);
void agent_free(struct agent *a);

/* Seconds since the last successful reconcile, or -1 before the first. */
long agent_sync_age(const struct agent *a);

/* A timestamped line on stderr whatever the log level: the agent's
 * record of what it changed and refused. */
void alog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The periodic re-check when no object changed: only the bridge FDB
 * copy when the maps are as the last pass left them. Returns 1 when
 * someone else changed them (a full pass is due), 0, or -errno. */
int agent_refresh(struct agent *a);

struct agent_plan;
/* One pass over the maps: the "k8s.*" services become @p's, except those
 * of rejected splits, which stay as they run. Returns 0 or a negative
 * errno. Reconcile thread only. */
int agent_apply(struct agent *a, struct agent_plan *p);
/*
 * A pass over the owners of @p alone (those whose objects, or what their
 * plans read, changed) and the owners keyed in @gone (deleted): only
 * their services that differ from what they got last are written, and
 * nothing at all when none does. Returns 0, 1 when a full pass is due
 * instead (someone else changed the maps, or a service was refused), or
 * a negative errno.
 */
int agent_apply_changes(struct agent *a, struct agent_plan *p,
			char *const *gone, int n_gone);
/* Remembers, for each owner of @p, the cache keys its plan read (taken
 * from @p), so that agent_dirty_owners() finds it. */
void agent_learn_refs(struct agent *a, struct agent_plan *p);
/* The owners (their cache keys) whose plans read a key of @d, and the
 * owners named by @d themselves, into @out (names -> index, keys
 * copied into @keys); 0 or -ENOMEM. */
int agent_dirty_owners(struct agent *a, const struct dirty_set *d,
		       struct dirty_set *out);

#endif /* CANARY_USER_AGENT_H */
