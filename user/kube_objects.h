/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The parts of Kubernetes objects the agent uses, decoded from their JSON
 * (Kubernetes API reference; SMI TrafficSplit v1alpha1..v1alpha4): core/v1
 * Service, discovery.k8s.io/v1 EndpointSlice, split.smi-spec.io
 * TrafficSplit. IPv4 only for now: other addresses are skipped.
 */
#ifndef CANARY_USER_KUBE_OBJECTS_H
#define CANARY_USER_KUBE_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <json-c/json.h>
#include "config.h"

#define KUBE_NS_LEN 64        /* namespace: a DNS label, 63 chars */
#define KUBE_OBJ_LEN 254      /* object name: DNS subdomain, 253 chars */
#define KUBE_PORT_NAME_LEN 64 /* port name: 15 by the API, generous here */
#define KUBE_MAX_VIPS 16      /* cluster IPs, external IPs, LB ingress IPs */
#define KUBE_MAX_PORTS 32     /* ports per Service or EndpointSlice */
#define KUBE_MAX_BACKENDS 16  /* decoded; more than CANARY_MAX_VERSIONS is
			       * rejected by the agent, not here */

/* Object kinds the agent watches. */
enum kube_kind {
	KUBE_SPLIT,
	KUBE_SERVICE,
	KUBE_SLICE,
	KUBE_KINDS,
};

struct kube_port {
	char name[KUBE_PORT_NAME_LEN];
	__u16 port;    /* host order */
	__u8 proto;    /* CANARY_PROTO_*, or 0 for another protocol */
};

struct kube_service {
	int n_vips;
	__be32 vips[KUBE_MAX_VIPS];   /* first: the primary cluster IP if any */
	bool has_cluster_ip;          /* vips[0] is the primary cluster IP */
	int n_ports;
	struct kube_port ports[KUBE_MAX_PORTS];
	bool local;       /* spec.externalTrafficPolicy: Local */
	bool affinity;    /* spec.sessionAffinity: ClientIP */
	__u8 snat;        /* annotation canary-bpf.io/snat: CANARY_SNAT_* */
};

/* The Service annotation that chooses SNAT: auto (default), always, never. */
#define KUBE_SNAT_ANNOTATION "canary-bpf.io/snat"

struct kube_ep {
	__be32 addr;        /* addresses[0] */
	bool ready;         /* conditions.ready (unset: true) */
	bool serving;       /* conditions.serving (unset: ready) */
	bool terminating;   /* conditions.terminating (unset: false) */
};

struct kube_slice {
	char service[KUBE_OBJ_LEN];   /* label kubernetes.io/service-name */
	bool ipv4;                    /* addressType is IPv4 */
	int n_ports;
	struct kube_port ports[KUBE_MAX_PORTS];
	int n_eps;
	struct kube_ep *eps;          /* malloc'd */
};

struct kube_backend {
	char service[KUBE_OBJ_LEN];
	int64_t weight_milli;   /* thousandths of the weight as written */
	bool weight_ok;         /* the weight parsed */
};

struct kube_split {
	char service[KUBE_OBJ_LEN];   /* spec.service, the root service */
	int n_backends;               /* as listed, may exceed the array */
	struct kube_backend b[KUBE_MAX_BACKENDS];
	bool has_matches;             /* spec.matches present (L7: ignored) */
	char api_version[48];         /* e.g. split.smi-spec.io/v1alpha4 */
};

/* A decoded object of any kind, with its identity. */
struct kube_obj {
	enum kube_kind kind;
	char ns[KUBE_NS_LEN];
	char name[KUBE_OBJ_LEN];
	union {
		struct kube_split split;
		struct kube_service svc;
		struct kube_slice slice;
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

#endif /* CANARY_USER_KUBE_OBJECTS_H */
