/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration model in user space: what `apply -f` reads from YAML,
 * what the imperative commands edit, and what state.c writes to (and reads
 * back from) the pinned maps. Pure logic: no BPF, no root needed.
 */
#ifndef CANARY_USER_CONFIG_H
#define CANARY_USER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "core/addr.h"
#include "core/names.h"
#include "canary.h"

/*
 * An error message for the user; functions fill it on failure. The layers
 * below the CLI and the agent never print a user-facing error: they fill
 * one of these and return, and the caller shows it (p_err(), the agent's
 * log). The return value carries the class (an exit code or -errno).
 */
struct canary_err {
	char msg[512];
};

/* printf into err->msg (if err is non-NULL); returns -EINVAL for chaining. */
int cerr_set(struct canary_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Empties @err (if non-NULL), so a later cerr_unset() can tell whether a
 * reason was given. */
static inline void cerr_clear(struct canary_err *err)
{
	if (err)
		err->msg[0] = '\0';
}

/* Whether @err (if non-NULL) holds no reason yet. */
static inline bool cerr_unset(const struct canary_err *err)
{
	return err && !err->msg[0];
}

/* An endpoint of either family; the maps hold it as canary_endpoint or
 * canary_endpoint6 by the service's family. */
struct canary_ep_cfg {
	struct canary_addr addr;          /* the service's family */
	__be16 port;                      /* 0 in a multi-port service */
	__u16 flags;                      /* CANARY_EP_F_* */
};

struct canary_version_cfg {
	char name[CANARY_VNAME_LEN];
	__u16 weight_bps;                 /* weight asked for, 0..10000 */
	int n_endpoints;
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
};

/* A port of a multi-port service: traffic to VIP:port goes to
 * endpoint:target. */
struct canary_port_cfg {
	__be16 port;
	__be16 target;                    /* 0: the endpoint's own port */
};

/* Clients in a CIDR always go to one version, whatever the weights. */
struct canary_pin_cfg {
	struct canary_addr addr;          /* network, host bits zero */
	__u8 prefixlen;                   /* 0..32, or 0..128 for IPv6 */
	char version[CANARY_VNAME_LEN];   /* name of the version */
};

/* A service's guard (include/canary.h, canary_svcguard): shed a non-first
 * version whose new connections fail too often. */
struct canary_guard_cfg {
	bool on;
	__u16 max_fail_bps;               /* 0..9999: failures above it shed */
	__u32 min_flows;                  /* 1..CANARY_GUARD_MAX_FLOWS */
	__u32 window_s;                   /* 1..CANARY_GUARD_MAX_WINDOW_S */
};

/* Defaults for keys a guard spec leaves out, and the limits. */
#define CANARY_GUARD_PCT_DEFAULT_BPS 500
#define CANARY_GUARD_FLOWS_DEFAULT 50
#define CANARY_GUARD_WINDOW_DEFAULT_S 10
#define CANARY_GUARD_MAX_FLOWS 1000000
#define CANARY_GUARD_MAX_WINDOW_S 3600

struct canary_service_cfg {
	char name[CANARY_NAME_LEN];
	/* IPv4 or IPv6; the endpoints and pins are of the same family. */
	struct canary_addr vip;
	/* A single-port service sets port (endpoints carry their port); a
	 * multi-port one sets ports[] (endpoints are bare addresses) and
	 * leaves port 0. See config_ports(). */
	__be16 port;                      /* network order */
	int n_ports;
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	__u8 proto;                       /* CANARY_PROTO_TCP or _UDP */
	__u8 affinity;                    /* CANARY_AFFINITY_* */
	int n_versions;
	struct canary_version_cfg v[CANARY_MAX_VERSIONS];
	int n_pins;
	struct canary_pin_cfg pins[CANARY_MAX_PINS];
	__u8 snat;                        /* CANARY_SNAT_* */
	__u8 local;                       /* externalTrafficPolicy: Local */
	struct canary_guard_cfg guard;    /* off: all zero */
};

/* canary_service_cfg.snat */
#define CANARY_SNAT_AUTO 0   /* endpoints outside this node's pod CIDR */
#define CANARY_SNAT_ALWAYS 1
#define CANARY_SNAT_NEVER 2

/* This node, for SNAT and local endpoints (the file's node: section, or
 * the agent's Node): an address and a pod CIDR per family, each family
 * optional, and one SNAT port range for both. */
struct canary_node_cfg {
	bool set;                         /* given: write it */
	__be32 address;                   /* 0: no IPv4 SNAT */
	__be32 pod_net;                   /* 0: no IPv4 pod CIDR */
	__u8 pod_len;
	__u16 port_min, port_max;         /* host order */
	__be32 address6[4];               /* all zero: no IPv6 SNAT */
	__be32 pod_net6[4];
	__u8 pod_len6;                    /* 0: no IPv6 pod CIDR */
};

/* Whether @node has an IPv6 SNAT address / an IPv6 pod CIDR. */
bool config_node_has_address6(const struct canary_node_cfg *node);
bool config_node_has_cidr6(const struct canary_node_cfg *node);

/* SNAT source ports when none are given: below NodePorts (30000-32767)
 * and the kernel's ephemeral ports (32768-60999), whose replies SNAT must
 * never take. */
#define CANARY_SNAT_PORT_MIN 20000
#define CANARY_SNAT_PORT_MAX 29999

#define CANARY_GRACE_KEEP (-1)

/* The flow idle timeouts of an apply file's timeouts: section, seconds
 * (CANARY_TMO_*_DEFAULT_S for the keys it leaves out). */
struct canary_timeouts_cfg {
	bool set;           /* given: write them; else keep what runs */
	__u32 tcp_s;        /* open TCP flows */
	__u32 tcp_closing_s; /* TCP flows after a FIN or RST */
	__u32 udp_s;        /* UDP flows */
	/* flood_guard: SYNs recorded per second per CPU; 0: keep what runs
	 * (reading: the one in effect) */
	__u32 syn_rate;
};

/* The defaults, set. */
void config_timeouts_default(struct canary_timeouts_cfg *t);

struct canary_config {
	int n_services;
	int cap;
	struct canary_service_cfg *svc;   /* malloc'd array of cap entries */
	/* Seconds the previous generation stays usable after a change, or
	 * CANARY_GRACE_KEEP for "as it is". */
	int grace_s;
	struct canary_node_cfg node;
	struct canary_timeouts_cfg timeouts;
};

/* Whether @addr is in this node's pod CIDR (false when none is set). */
bool config_is_local(const struct canary_node_cfg *node, __be32 addr);
/* The same for an address of either family, against that family's CIDR. */
bool config_is_local_addr(const struct canary_node_cfg *node,
			  const struct canary_addr *addr);

/*
 * What IPv6 services ask of the node: snat: always needs its IPv6 address
 * (node: address6), traffic_policy: local its IPv6 pod CIDR (node:
 * pod_cidr6). Checks every IPv6 service of @cfg against @node. Returns 0
 * or -EINVAL with a message naming the service and the missing key.
 */
int config_check_node(const struct canary_config *cfg,
		      const struct canary_node_cfg *node, struct canary_err *err);

void config_init(struct canary_config *cfg);
void config_free(struct canary_config *cfg);

/* Index of the service named @name in @cfg, or -1. */
int config_find_index(const struct canary_config *cfg, const char *name);
/* Returns the service named @name, or NULL. */
struct canary_service_cfg *config_find(struct canary_config *cfg,
				       const char *name);
/* Index of version @name in @svc, or -1. */
int config_find_version(const struct canary_service_cfg *svc, const char *name);

/* Appends a zeroed service; returns it, or NULL when out of memory or full
 * (CANARY_MAX_SERVICES), with a message in @err. */
struct canary_service_cfg *config_add_service(struct canary_config *cfg,
					      struct canary_err *err);
/* Room for @n services without a reallocation; 0 or -ENOMEM. */
int config_reserve(struct canary_config *cfg, int n);
/* @dst (uninitialized) becomes a copy of @src; 0 or -ENOMEM (then @dst is
 * empty and needs no config_free()). */
int config_copy(struct canary_config *dst, const struct canary_config *src);
/* Whether two services are the same config: every field, the endpoints
 * of each version in any order. */
bool config_service_same(const struct canary_service_cfg *x,
			 const struct canary_service_cfg *y);
/*
 * @svc in a compact form: the fields before the versions, each version's
 * name, weight and listed endpoints only, and the fields after them.
 * Two services pack to the same bytes exactly when they are the same
 * config with the endpoints in the same order (a cheap comparison and a
 * small copy to remember). Returns a malloc'd buffer of *@len bytes, or
 * NULL when out of memory.
 */
void *config_service_pack(const struct canary_service_cfg *svc, size_t *len);
/* Fills @svc (all of it) from @buf of @len bytes made by
 * config_service_pack(); 0 or -EINVAL when @buf is not one. */
int config_service_unpack(const void *buf, size_t len,
			  struct canary_service_cfg *svc);

/*
 * Services kept packed (config_service_pack()) end to end: under 1 KiB
 * for a service of a few endpoints where a canary_service_cfg takes
 * 13 KiB. For a caller that reads the running config to compare it with
 * another (apply -f), and needs it whole only when something changed.
 */
struct config_packed {
	int n;                 /* services */
	unsigned char *bytes;  /* the packed services, end to end */
	size_t used, cap;      /* bytes */
	size_t *off;           /* service i is bytes[off[i]..off[i + 1]) */
	size_t cap_off;
};

void config_packed_init(struct config_packed *p);
void config_packed_free(struct config_packed *p);
/* Appends @svc; 0, -EINVAL (n_versions out of range) or -ENOMEM. */
int config_packed_add(struct config_packed *p,
		      const struct canary_service_cfg *svc);
/* Service @i's name (0 <= @i < n). */
const char *config_packed_name(const struct config_packed *p, int i);
/* Service @i into @svc (all of it); 0 or -EINVAL. */
int config_packed_get(const struct config_packed *p, int i,
		      struct canary_service_cfg *svc);
/* Appends every service of @p to @cfg, in order; 0, -ENOMEM or -EINVAL
 * (then @cfg holds those before the failing one). */
int config_packed_to_config(const struct config_packed *p,
			    struct canary_config *cfg);

/* Removes service @name; returns 0 or -ENOENT. */
int config_del_service(struct canary_config *cfg, const char *name);

/*
 * Checks the whole config: names present and unique, one service per
 * (vip, port, proto), 1..MAX_VERSIONS uniquely named versions, weights
 * totalling 10000 bps, no endpoint listed twice in a service, endpoints
 * and pins of the VIP's family, and, when @cfg's node section is set,
 * config_check_node() against it (else state_transaction() checks
 * against the node the maps hold). A weighted
 * version may have no endpoints here (its pods may all be gone: its share
 * goes to the others); see config_check_weighted_endpoints(). Returns 0 or -EINVAL with a message naming
 * the service, version or endpoint.
 */
int config_validate(const struct canary_config *cfg, struct canary_err *err);
/*
 * The same checks for service @i alone, uniqueness checked against services
 * 0..i-1 only; config_validate() is this for every i. Lets a caller (the
 * YAML loader) tie an error to the service that caused it.
 */
int config_validate_service(const struct canary_config *cfg, int i,
			    struct canary_err *err);

/*
 * Services checked one by one as they are appended (the YAML loader, the
 * agent): the names and (VIP, port, protocol) keys of those that passed,
 * so that each check costs one lookup instead of a pass over the others.
 */
struct config_index {
	struct names names;  /* service name -> index in the config */
	struct names ports;  /* (VIP, port, protocol) -> its service's name
			      * in owned */
	char **owned;        /* the keys' copies */
	size_t n_owned, cap_owned;
};

void config_index_init(struct config_index *ix);
void config_index_free(struct config_index *ix);
/* config_validate_service() with uniqueness checked against @ix (the
 * services that passed before; @cfg's entries must stay where they were)
 * instead of services 0..i-1; a service that passes joins @ix. */
int config_validate_service_ix(const struct canary_config *cfg, int i,
			       struct config_index *ix, struct canary_err *err);
/* Adds service @i of @cfg to @ix unchecked; 0 or -ENOMEM. */
int config_index_add(struct config_index *ix, const struct canary_config *cfg,
		     int i);

/*
 * For a config the user writes in full (apply -f): a version given weight
 * must list endpoints. Returns 0 or -EINVAL naming the version.
 */
int config_check_weighted_endpoints(const struct canary_service_cfg *svc,
				    struct canary_err *err);

/*
 * The weights the data plane uses: versions without endpoints get 0 and
 * their share goes to the others in proportion to their weights (equally if
 * those are all 0). Writes cumulative basis points into @cum (n_versions
 * entries); all zero when no version has an endpoint.
 */
void config_effective_cum(const struct canary_service_cfg *svc, __u16 *cum);

/* Sorts a version's endpoints by (addr, port), the order the ring uses. */
void config_sort_endpoints(struct canary_version_cfg *ver);

/* The (port, target) pairs of @svc into @out (CANARY_MAX_PORTS room):
 * a single-port service gives (port, 0). Returns how many. */
int config_ports(const struct canary_service_cfg *svc,
		 struct canary_port_cfg *out);

/* Endpoints of @ver that take new flows (not draining). */
int config_active_endpoints(const struct canary_version_cfg *ver);

/* Index of the pin on exactly @addr/@prefixlen in @svc, or -1. */
int config_find_pin(const struct canary_service_cfg *svc,
		    const struct canary_addr *addr, __u8 prefixlen);

/* Whether @svc is an IPv6 service (by its VIP). */
static inline bool config_is_v6(const struct canary_service_cfg *svc)
{
	return addr_is_v6(&svc->vip);
}

#endif /* CANARY_USER_CONFIG_H */
