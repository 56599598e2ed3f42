/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * canary-bpf map layout: the ABI shared by the BPF programs (bpf/) and the
 * loader/CLI (user/). Every key and value below is read by both sides, so a
 * layout change needs a new map name (the _v2 rule, see CANARY_MAP_*).
 *
 * The includer provides __u8/__u16/__u32/__u64/__be16/__be32: vmlinux.h on
 * the BPF side, <linux/types.h> in user space.
 *
 * Configuration is double-buffered: every config entry carries a generation
 * (0 or 1). User space writes the whole new config into the inactive
 * generation, then flips canary_gen. A packet reads canary_gen once and only
 * looks at entries of that generation, so it sees the old or the new config,
 * never a mix.
 */
#ifndef CANARY_H
#define CANARY_H

/* Compile-time limits. Each can be overridden with -D at build time. */
#ifndef CANARY_MAX_SERVICES
#define CANARY_MAX_SERVICES 16384 /* services (VIP:port/proto); ids are 0..N-1 */
#endif
#ifndef CANARY_MAX_VERSIONS
#define CANARY_MAX_VERSIONS 4 /* versions per service (v1, v2, ...) */
#endif
#ifndef CANARY_MAX_ENDPOINTS
#define CANARY_MAX_ENDPOINTS 128 /* endpoints per version */
#endif
#ifndef CANARY_RING_SIZE
/* Maglev lookup-table slots per version. Prime (the permutation needs it)
 * and well above CANARY_MAX_ENDPOINTS, so slots per endpoint differ by at
 * most one: 4093 / 3 endpoints = 1364 or 1365 slots each. */
#define CANARY_RING_SIZE 4093
#endif
#ifndef CANARY_FLOW_ENTRIES
#define CANARY_FLOW_ENTRIES 65536 /* default flow-table size, in flows */
#endif

#define CANARY_BPS_TOTAL 10000 /* weights are basis points: 100 % = 10000 */
#define CANARY_NAME_LEN 64     /* service name, NUL included (k8s: 63 chars) */
#define CANARY_VNAME_LEN 32    /* version name, NUL included */
#define CANARY_GENERATIONS 2   /* double buffer: active and inactive */

/* Hash seeds. Fixed, so every node makes the same choice for the same flow. */
#define CANARY_SEED_VERSION 0x63616e61u /* version pick over the 5-tuple */
#define CANARY_SEED_ENDPOINT 0x72796270u /* slot pick in the Maglev ring */
#define CANARY_SEED_MAGLEV_OFF 0x0badcafeu /* Maglev permutation offset */
#define CANARY_SEED_MAGLEV_SKIP 0x5eed5eedu /* Maglev permutation skip */

/* Map names (at most 15 characters, see STYLE.md). */
#define CANARY_MAP_GEN "canary_gen"
#define CANARY_MAP_SVC "canary_svc"
#define CANARY_MAP_VER "canary_ver"
#define CANARY_MAP_META "canary_meta"
#define CANARY_MAP_FLOW "canary_flow"
#define CANARY_MAP_BACKEND "canary_backend"
#define CANARY_MAP_STATS "canary_stats"
#define CANARY_MAP_GLOBAL "canary_global"
#define CANARY_MAP_TX "canary_tx"

/* IP protocol numbers, as carried in keys. */
#define CANARY_PROTO_TCP 6
#define CANARY_PROTO_UDP 17

/*
 * canary_svc (hash): which (generation, VIP, port, protocol) is a service.
 * Looked up for every IPv4 TCP/UDP packet on the ingress path.
 */
struct canary_svc_key {
	__be32 vip;   /* service VIP */
	__be16 port;  /* service port */
	__u8 proto;   /* CANARY_PROTO_TCP or CANARY_PROTO_UDP */
	__u8 gen;     /* config generation, 0 or 1 */
};
_Static_assert(sizeof(struct canary_svc_key) == 8, "canary_svc_key size");

struct canary_svc {
	__u32 id;                              /* stable service id, indexes stats */
	__u8 n_versions;                       /* versions in use, <= MAX_VERSIONS */
	__u8 flags;                            /* CANARY_SVC_F_*, none defined yet */
	__u16 reserved;                        /* zero */
	__u16 cum_bps[CANARY_MAX_VERSIONS];    /* cumulative effective weights */
};
_Static_assert(sizeof(struct canary_svc) == 8 + 2 * CANARY_MAX_VERSIONS,
	       "canary_svc size");

/*
 * canary_ver (hash, no prealloc): one version of one service in one
 * generation: its endpoints and the Maglev ring over them. Only read when a
 * flow is new.
 */
struct canary_ver_key {
	__u32 svc_id;  /* canary_svc.id */
	__u8 version;  /* index into the service's versions */
	__u8 gen;      /* config generation, 0 or 1 */
	__u16 reserved; /* zero */
};
_Static_assert(sizeof(struct canary_ver_key) == 8, "canary_ver_key size");

struct canary_endpoint {
	__be32 addr;    /* endpoint (pod) address */
	__be16 port;    /* target port on the endpoint */
	__u16 reserved; /* zero */
};
_Static_assert(sizeof(struct canary_endpoint) == 8, "canary_endpoint size");

struct canary_ver {
	__u16 n_endpoints;                 /* 0 means: takes no new flows */
	__u16 reserved;                    /* zero */
	struct canary_endpoint ep[CANARY_MAX_ENDPOINTS]; /* sorted by addr, port */
	__u16 ring[CANARY_RING_SIZE];      /* Maglev slot -> index into ep[] */
	__u16 pad;                         /* keeps the size a multiple of 4 */
};
_Static_assert(sizeof(struct canary_ver) ==
		       4 + 8 * CANARY_MAX_ENDPOINTS + 2 * CANARY_RING_SIZE + 2 +
			       (CANARY_RING_SIZE % 2 ? 0 : 2),
	       "canary_ver size");

/*
 * canary_meta (array, MAX_SERVICES * 2 entries, index gen * MAX_SERVICES +
 * id): what only user space reads back: names, the weights the user asked
 * for (before a version without endpoints gives its share away) and the
 * service key, so a config can be rebuilt from the maps alone.
 */
struct canary_meta {
	__u8 in_use;                       /* 1 if this id is a service in gen */
	__u8 n_versions;                   /* as canary_svc.n_versions */
	__u8 proto;                        /* CANARY_PROTO_* */
	__u8 reserved;                     /* zero */
	__be32 vip;                        /* service VIP */
	__be16 port;                       /* service port */
	__u16 reserved2;                   /* zero */
	__u16 weight_bps[CANARY_MAX_VERSIONS]; /* configured weights */
	char name[CANARY_NAME_LEN];        /* service name */
	char vname[CANARY_MAX_VERSIONS][CANARY_VNAME_LEN]; /* version names */
	__u32 reserved3;                   /* zero; aligns flows_base */
	/* Each version's new-flow counter when the effective weights last
	 * changed, so status can show the split since then. */
	__u64 flows_base[CANARY_MAX_VERSIONS];
};
_Static_assert(sizeof(struct canary_meta) ==
		       12 + 2 * CANARY_MAX_VERSIONS + CANARY_NAME_LEN +
			       CANARY_MAX_VERSIONS * CANARY_VNAME_LEN + 4 +
			       8 * CANARY_MAX_VERSIONS,
	       "canary_meta size");

/*
 * canary_flow (LRU hash): the forward 5-tuple of a translated flow as the
 * client sent it, to the endpoint it was given. Config-independent: a flow
 * keeps its endpoint whatever the weights do. The reply path looks it up
 * too (see canary_backend).
 */
struct canary_flow_key {
	__be32 saddr;  /* client address */
	__be32 daddr;  /* VIP */
	__be16 sport;  /* client port */
	__be16 dport;  /* service port */
	__u8 proto;    /* CANARY_PROTO_* */
	__u8 reserved[3]; /* zero */
};
_Static_assert(sizeof(struct canary_flow_key) == 16, "canary_flow_key size");

struct canary_flow {
	__be32 ep_addr;  /* endpoint chosen for the flow */
	__be16 ep_port;  /* target port */
	__u8 version;    /* version index at the time of the choice */
	__u8 reserved;   /* zero */
	__u32 svc_id;    /* service id, for counters */
	__u32 reserved2; /* zero */
};
_Static_assert(sizeof(struct canary_flow) == 16, "canary_flow size");

/*
 * canary_backend (hash): which services an endpoint serves, per config
 * generation. The reply path needs no per-flow state of its own: a reply
 * from endpoint E to client C names, through this map, the VIP:port
 * candidates; the forward flow C -> VIP:port is looked up in canary_flow and
 * the reply is translated only if that flow really went to E. A new flow
 * thus costs one flow-table insert, and a client talking to a pod directly
 * keeps seeing the pod.
 */
#ifndef CANARY_BACKEND_SVCS
#define CANARY_BACKEND_SVCS 4 /* services one endpoint (ip:port/proto) may serve */
#endif
#ifndef CANARY_MAX_BACKENDS
#define CANARY_MAX_BACKENDS 262144 /* endpoint entries, both generations */
#endif

struct canary_backend_key {
	__be32 addr;   /* endpoint address */
	__be16 port;   /* endpoint (target) port */
	__u8 proto;    /* CANARY_PROTO_* */
	__u8 gen;      /* config generation, 0 or 1 */
};
_Static_assert(sizeof(struct canary_backend_key) == 8, "canary_backend_key size");

struct canary_backend_svc {
	__be32 vip;       /* a service this endpoint serves */
	__be16 port;      /* its service port */
	__u16 reserved;   /* zero */
};

struct canary_backend {
	__u32 n;                                          /* entries used */
	struct canary_backend_svc svc[CANARY_BACKEND_SVCS]; /* candidates */
};
_Static_assert(sizeof(struct canary_backend) == 4 + 8 * CANARY_BACKEND_SVCS,
	       "canary_backend size");

/*
 * canary_stats (per-CPU array, MAX_SERVICES * MAX_VERSIONS entries, index
 * id * MAX_VERSIONS + version): traffic per service and version, forward
 * direction.
 */
struct canary_vstats {
	__u64 packets;   /* packets translated to this version */
	__u64 bytes;     /* their bytes, L2 included */
	__u64 new_flows; /* flows that picked this version */
};
_Static_assert(sizeof(struct canary_vstats) == 24, "canary_vstats size");

/* canary_global (per-CPU array, one entry): node-wide counters. */
struct canary_global {
	__u64 passed;        /* ingress packets not for a service, untouched */
	__u64 translated;    /* ingress packets rewritten to an endpoint */
	__u64 redirected;    /* of those, sent on by XDP_REDIRECT / XDP_TX */
	__u64 fib_fallback;  /* of those, left to the kernel (XDP_PASS / TC_ACT_OK) */
	__u64 replies;       /* egress replies rewritten back to the VIP */
	__u64 fragments;     /* non-first IPv4 fragments to a VIP port, passed */
	__u64 no_endpoint;   /* service packets with no endpoint to go to */
	__u64 errors;        /* malformed service packets, failed map updates */
};
_Static_assert(sizeof(struct canary_global) == 64, "canary_global size");

/* Ingress attach modes, as recorded in link pin names. */
enum canary_mode {
	CANARY_MODE_NATIVE = 0,  /* native (driver) XDP */
	CANARY_MODE_GENERIC = 1, /* generic (skb) XDP */
	CANARY_MODE_TC = 2,      /* tc ingress instead of XDP */
};

#endif /* CANARY_H */
