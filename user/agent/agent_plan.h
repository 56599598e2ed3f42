/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * From cached Kubernetes objects to the canary-bpf services they ask for
 * (pure: no maps, no I/O). Each TrafficSplit gives, for every VIP of its
 * root Service (cluster IPs, external IPs, LoadBalancer ingress IPs, and
 * each NodePort on this node's addresses of the Service's families), IPv4
 * ones first, and every TCP or UDP port,
 * one service whose versions are the backends, weighted in basis points,
 * with the ready endpoints of each backend's EndpointSlices on the slice
 * port named like the root Service port, and the serving-but-terminating
 * ones as draining endpoints. A service's endpoints come from the slices
 * of its VIP's family (addressType IPv4 or IPv6) only. A root Service
 * asking for what IPv6 services cannot have (externalTrafficPolicy:
 * Local, SNAT always) gets no IPv6 services, with a note. Each TCPRoute or UDPRoute gives one service
 * per address of each parent Gateway and listener it attaches to, its
 * backendRefs as versions (agent_route.c). This node's Node object gives
 * the config's node section.
 */
#ifndef CANARY_USER_AGENT_PLAN_H
#define CANARY_USER_AGENT_PLAN_H

#include "agent/agent.h"
#include "core/names.h"

/* One TrafficSplit, TCPRoute or UDPRoute: an "owner" of services. */
struct split_plan {
	enum kube_kind kind;  /* KUBE_SPLIT, KUBE_TCPROUTE or KUBE_UDPROUTE */
	char ns[KUBE_NS_LEN];
	char name[KUBE_OBJ_LEN];
	char uid[KUBE_UID_LEN];
	char api_version[48]; /* for the Events about it */
	char bad[256];     /* why it is not applied ("" if it is): what runs
			    * for it stays as it is */
	char note[256];    /* something worth a log line, e.g. the root
			    * Service is missing or spec.matches ignored */
	int first, n;      /* its services: cfg.svc[first .. first + n) */
	int terminating;   /* serving-but-terminating endpoints (draining) */
	int applied_first, applied_n; /* set by agent_apply: its services in
				       * the config written */
	char **refs;       /* the cache keys its plan read (kube_dep_key()) */
	int n_refs, cap_refs;
};

struct agent_plan {
	struct canary_config cfg;  /* the "k8s.*" services wanted, and in
				    * cfg.node this node when its Node
				    * object is known (cfg.node.set) */
	struct split_plan *splits;
	int n_splits;
	int cap_splits;
	struct kube_store *store;  /* what it is built from */
	bool indexed[KUBE_KINDS];  /* stores it indexed (kube_store_index()) */
	const struct kube_obj *node_obj; /* this node's Node, or NULL */
};

/* Builds @p from @store: TrafficSplits, then TCPRoutes, then UDPRoutes,
 * each in namespace/name order; NodePorts and the node section from the
 * Node named @node (NULL: none). Returns 0 or -ENOMEM. */
int agent_plan_build(struct kube_store *store, const char *node,
		     struct agent_plan *p);
/* An empty plan over @store for at most @max owners, with the node
 * section; then agent_plan_owner() for each. 0 or -ENOMEM. */
int agent_plan_begin(struct kube_store *store, const char *node, int max,
		     struct agent_plan *p);
/* Plans owner @o (a TrafficSplit, TCPRoute or UDPRoute of @p's store)
 * alone, appending its services; 0 or -ENOMEM. */
int agent_plan_owner(struct agent_plan *p, const struct kube_obj *o);
void agent_plan_free(struct agent_plan *p);

/* "TrafficSplit", "TCPRoute", "UDPRoute": an owner's kind for Events. */
const char *agent_owner_kind(enum kube_kind kind);
/* The part of an owner's service names after "k8s.<ns>.": the
 * TrafficSplit's name, or "tcproute.<name>" / "udproute.<name>". */
void agent_owner_stem(enum kube_kind kind, const char *name, char *out,
		      size_t len);

/* Shared by agent_plan.c and agent_route.c. The object of @kind named
 * @ns/@name in the plan's store, or NULL. */
const struct kube_obj *plan_store_find(const struct agent_plan *p,
				       enum kube_kind kind, const char *ns,
				       const char *name);
/* Checks @n backends and turns their weights into basis points; 0, or
 * -EINVAL with the reason in @bad. */
int plan_weights(const struct kube_backend *b, int n, __u16 *bps,
		 char *bad, size_t len);
/* A new service in @p named @name for @vip:@port (host order) of @proto,
 * one version per backend with weights @bps; NULL when out of memory. */
struct canary_service_cfg *plan_add_service(struct agent_plan *p,
					    const char *name,
					    const struct canary_addr *vip,
					    __u16 port, __u8 proto,
					    const struct kube_backend *b,
					    int n, const __u16 *bps);
/* Fills version @ver with backend Service @svc's endpoints (namespace
 * @ns) of family @af (the service's) on the slice port named and typed
 * like @sp; counts draining ones in @terminating. */
void plan_version_endpoints(const struct agent_plan *p, const char *ns,
			    const char *svc, const struct kube_port *sp, int af,
			    struct canary_version_cfg *ver, int *terminating);
/* The guard annotation of owner @o into @g; -EINVAL with the reason in
 * @out->bad when it is malformed (the owner is then not applied). */
int plan_guard(const struct kube_obj *o, struct split_plan *out,
	       struct canary_guard_cfg *g);
/* Gives @g to every service @p holds from @out->first on. */
void plan_set_guard(struct agent_plan *p, const struct split_plan *out,
		    const struct canary_guard_cfg *g);
/* Appends @text to @out's note ("; " between notes). */
void plan_note(struct split_plan *out, const char *text);
/* A copy of @s's objects sorted by plan_cmp_obj(); NULL: no memory. */
struct kube_obj **plan_sorted(const struct kube_store *s);
/* qsort() order of kube_obj pointers: namespace, then name. */
int plan_cmp_obj(const void *a, const void *b);
/* Drops endpoints listed by an earlier version of @s. */
void plan_dedup(struct canary_service_cfg *s);
/* Route @ro into @out, its services into @p (agent_route.c); 0 or
 * -ENOMEM. */
int plan_route(const struct kube_obj *ro, struct agent_plan *p,
	       struct split_plan *out);

/* An Event about the owner of @sp (agent_apply.c). */
void agent_post_event(struct agent *a, const struct split_plan *sp,
		      bool warning, const char *reason, const char *msg);
/* Posts a GuardShed Event (and a log line) about the owner of each
 * "k8s.*" service whose guard shed a version since the last call; at
 * most once a second (agent_guard.c). */
void agent_guard_poll(struct agent *a);

/* Frees what the agent remembers of owners and of guarded services
 * (agent_apply.c). */
void agent_mem_free(struct agent *a);
void agent_guarded_free(struct agent *a);

/* Whether two services are the same config (names, address, weights,
 * endpoints); endpoints must be sorted. */
bool agent_svc_equal(const struct canary_service_cfg *a,
		     const struct canary_service_cfg *b);

#endif /* CANARY_USER_AGENT_PLAN_H */
