/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The parts of Kubernetes objects the agent uses, decoded from their JSON
 * (Kubernetes API reference; SMI TrafficSplit v1alpha1..v1alpha4; Gateway
 * API v1alpha2): core/v1 Service and Node, discovery.k8s.io/v1
 * EndpointSlice, split.smi-spec.io TrafficSplit, gateway.networking.k8s.io
 * Gateway, TCPRoute and UDPRoute. Addresses of both families are kept
 * (struct canary_addr); hostnames and FQDN EndpointSlices are skipped.
 */
#ifndef CANARY_USER_KUBE_OBJECTS_H
#define CANARY_USER_KUBE_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <json-c/json.h>
#include "core/config.h"

#define KUBE_NS_LEN 64        /* namespace: a DNS label, 63 chars */
#define KUBE_OBJ_LEN 254      /* object name: DNS subdomain, 253 chars */
#define KUBE_PORT_NAME_LEN 64 /* port name: 15 by the API, generous here */
#define KUBE_MAX_VIPS 16      /* cluster IPs, external IPs, LB ingress IPs */
#define KUBE_MAX_PORTS 32     /* ports per Service or EndpointSlice */
#define KUBE_MAX_BACKENDS 16  /* decoded; more than CANARY_MAX_VERSIONS is
			       * rejected by the agent, not here */
#define KUBE_MAX_LISTENERS 64 /* Gateway spec.listeners: 64 by the API */
#define KUBE_MAX_PARENTS 32   /* route spec.parentRefs: 32 by the API */
#define KUBE_UID_LEN 64       /* metadata.uid: a UUID, 36 chars */

/* Object kinds the agent watches. */
enum kube_kind {
	KUBE_SPLIT,
	KUBE_SERVICE,
	KUBE_SLICE,
	KUBE_GATEWAY,
	KUBE_TCPROUTE,
	KUBE_UDPROUTE,
	KUBE_NODE,
	KUBE_KINDS,
};

/* The resource name of each kind ("trafficsplits", ...), for messages
 * and metric labels. */
extern const char *const kube_kind_names[KUBE_KINDS];

struct kube_port {
	char name[KUBE_PORT_NAME_LEN];
	__u16 port;    /* host order */
	__u8 proto;    /* CANARY_PROTO_*, or 0 for another protocol */
	__u16 node_port; /* Service spec.ports[].nodePort, 0 if none */
};

struct kube_service {
	int n_vips;
	struct canary_addr vips[KUBE_MAX_VIPS]; /* cluster IPs first, then
						 * external, then LB ingress */
	bool primary[KUBE_MAX_VIPS];  /* vips[i] is the first cluster IP of
				       * its family (named without a VIP tag) */
	__u8 families;                /* KUBE_FAMILY_* of spec.clusterIPs and
				       * spec.ipFamilies: where NodePorts go */
	int n_ports;
	struct kube_port ports[KUBE_MAX_PORTS];
	bool local;       /* spec.externalTrafficPolicy: Local */
	bool affinity;    /* spec.sessionAffinity: ClientIP */
	__u8 snat;        /* annotation canary-bpf.io/snat: CANARY_SNAT_* */
};

/* kube_service.families */
#define KUBE_FAMILY_V4 0x1
#define KUBE_FAMILY_V6 0x2

/* The KUBE_FAMILY_* bit of @a's family. */
static inline __u8 kube_family_bit(const struct canary_addr *a)
{
	return addr_is_v6(a) ? KUBE_FAMILY_V6 : KUBE_FAMILY_V4;
}

/* The Service annotation that chooses SNAT: auto (default), always, never. */
#define KUBE_SNAT_ANNOTATION "canary-bpf.io/snat"
/* The TrafficSplit or route annotation that sets the guard of its services:
 * "max_failure_pct=5,min_flows=50,window_s=10" or "off". */
#define KUBE_GUARD_ANNOTATION "canary-bpf.io/guard"
#define KUBE_GUARD_LEN 128

struct kube_ep {
	struct canary_addr addr; /* addresses[0], of the slice's family */
	bool ready;         /* conditions.ready (unset: true) */
	bool serving;       /* conditions.serving (unset: ready) */
	bool terminating;   /* conditions.terminating (unset: false) */
};

struct kube_slice {
	char service[KUBE_OBJ_LEN];   /* label kubernetes.io/service-name */
	__u8 af;                      /* addressType: AF_INET (IPv4) or
				       * AF_INET6 (IPv6); 0 for FQDN and
				       * anything else (no endpoints kept) */
	int n_ports;
	struct kube_port ports[KUBE_MAX_PORTS];
	int n_eps;
	struct kube_ep *eps;          /* malloc'd */
};

struct kube_backend {
	char service[KUBE_OBJ_LEN];
	int64_t weight_milli;   /* thousandths of the weight as written */
	bool weight_ok;         /* the weight parsed */
	__u16 port;             /* a route's backendRef port (the Service
				 * port), 0 if unset; TrafficSplits: 0 */
	__u8 ref;               /* KUBE_REF_*: whether a route's backendRef
				 * is usable */
};

/* kube_backend.ref */
#define KUBE_REF_OK 0
#define KUBE_REF_NOT_SERVICE 1   /* group/kind other than core Service */
#define KUBE_REF_OTHER_NS 2      /* another namespace (ReferenceGrant) */

struct kube_split {
	char service[KUBE_OBJ_LEN];   /* spec.service, the root service */
	int n_backends;               /* as listed, may exceed the array */
	struct kube_backend b[KUBE_MAX_BACKENDS];
	bool has_matches;             /* spec.matches present (L7: ignored) */
	char api_version[48];         /* e.g. split.smi-spec.io/v1alpha4 */
};

/* A Gateway listener a route can attach to. */
struct kube_listener {
	char name[KUBE_PORT_NAME_LEN]; /* sectionName; 253 by the API,
					* longer ones never match */
	__u16 port;                    /* host order */
	__u8 proto;                    /* CANARY_PROTO_* for TCP and UDP,
					* 0 for HTTP, TLS and the rest */
};

/* gateway.networking.k8s.io Gateway: where routes are served. */
struct kube_gateway {
	int n_addrs;
	struct canary_addr addrs[KUBE_MAX_VIPS]; /* status.addresses, else
						  * spec.addresses (IPAddress
						  * type, either family) */
	int n_listeners;
	struct kube_listener *l;       /* malloc'd */
};

/* A route's spec.parentRefs entry naming a Gateway. */
struct kube_parent {
	char ns[KUBE_NS_LEN];          /* default: the route's namespace */
	char name[KUBE_OBJ_LEN];
	char section[KUBE_PORT_NAME_LEN]; /* sectionName, "" if unset */
	__u16 port;                    /* port, 0 if unset */
	bool gateway;                  /* group/kind are Gateway's */
};

/* TCPRoute or UDPRoute (v1alpha2): parents and the first rule's
 * weighted backendRefs (the others are counted, not used: with no
 * matches at L4 only one rule can apply). */
struct kube_route {
	__u8 proto;                    /* CANARY_PROTO_TCP or _UDP */
	int n_parents;
	struct kube_parent *p;         /* malloc'd */
	int n_rules;
	int n_backends;                /* of rules[0], may exceed the array */
	struct kube_backend b[KUBE_MAX_BACKENDS];
	char api_version[48];          /* e.g. gateway.networking.k8s.io/v1alpha2 */
};

/* core/v1 Node: this node's addresses and pod CIDRs. The node section
 * (SNAT address, pod CIDR) gets one of each per family; NodePorts use
 * every address of both families. */
struct kube_node {
	__be32 internal_ip;            /* first IPv4 InternalIP, 0 if none */
	__be32 internal_ip6[4];        /* first IPv6 InternalIP, :: if none */
	int n_addrs;
	struct canary_addr addrs[KUBE_MAX_VIPS]; /* InternalIPs and
						  * ExternalIPs, both
						  * families, as listed */
	__be32 pod_net;                /* spec.podCIDR, else the first IPv4
					* of spec.podCIDRs; 0 if none */
	__u8 pod_len;
	__be32 pod_net6[4];            /* the first IPv6 of spec.podCIDR and
					* spec.podCIDRs */
	__u8 pod_len6;                 /* 0 if none */
};

/* A decoded object of any kind, with its identity. */
struct kube_obj {
	enum kube_kind kind;
	char ns[KUBE_NS_LEN];           /* "" for cluster-scoped kinds (Node) */
	char name[KUBE_OBJ_LEN];
	char uid[KUBE_UID_LEN];         /* metadata.uid, for Events */
	char rv[32];                    /* metadata.resourceVersion: a
					 * relist that brings the same
					 * versions changes nothing */
	/* TrafficSplits and routes: KUBE_GUARD_ANNOTATION as written, ""
	 * when absent; "\x01" when too long to keep */
	char guard[KUBE_GUARD_LEN];
	union {
		struct kube_split split;
		struct kube_service svc;
		struct kube_slice slice;
		struct kube_gateway gw;
		struct kube_route route;
		struct kube_node node;
	};
};

/*
 * Decodes @o as @kind into a new kube_obj. Returns it, or NULL (with a
 * reason in @err) when the object lacks metadata.name or is malformed.
 * Fields the agent does not need are ignored.
 */
struct kube_obj *kube_obj_decode(enum kube_kind kind, json_object *o,
				 struct canary_err *err);
void kube_obj_free(struct kube_obj *obj);

/* metadata.resourceVersion of @o, or "". */
const char *kube_resource_version(json_object *o);

/*
 * The one place the agent turns an address string from the API into the
 * config's address type (addr_from_str()): true with @out set for an IPv4
 * or IPv6 address other than 0.0.0.0 and ::, false for anything else
 * (hostnames, CIDRs, garbage). When @af is AF_INET or AF_INET6, an
 * address of the other family is refused too; 0 takes either.
 */
bool kube_addr_parse(const char *s, int af, struct canary_addr *out);

/* Decoders of the Gateway API kinds (kube_gateway.c). 0 or -errno. */
int kube_gateway_decode(json_object *o, struct kube_gateway *gw);
int kube_route_decode(json_object *o, const char *ns, __u8 proto,
		      struct kube_route *r);

#endif /* CANARY_USER_KUBE_OBJECTS_H */
