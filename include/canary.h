/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * canary-bpf map layout: the ABI shared by the BPF programs (bpf/) and the
 * loader/CLI (user/). Every key and value below is read by both sides, so a
 * layout change needs a new map name (the _v2 rule, see CANARY_MAP_*):
 * an old pin is never reused with the wrong layout, and user/migrate.c
 * carries the old map's entries into its successor on an in-place
 * upgrade (canary_meta, canary_ring, canary_node, canary_flow6, canary_svc
 * so far),
 * so nothing already forwarding is lost.
 *
 * The includer provides __u8/__u16/__u32/__u64/__be16/__be32: vmlinux.h on
 * the BPF side, <linux/types.h> in user space.
 *
 * Configuration is versioned per service: each service has three config
 * slots (0, 1, 2), and its canary_svc_v2 entry names the live one and the
 * previous one. User space writes a changed service's new config into
 * its third slot (canary_ver, canary_ring_v2, canary_pins and
 * canary_meta_v2 keys carry the slot in their `gen` byte), then flips the
 * service with one update of its canary_svc_v2 entry, which also carries
 * the live and previous slots' service headers. A packet looks its
 * service up once and reads only entries of the slot that lookup named,
 * so it sees that service's old or new config, never a mix, and no other
 * service is written. The previous slot stays intact for a grace period:
 * a mid-connection TCP packet whose flow entry is gone (evicted, or the
 * flow arrived at this node after an ECMP change) is placed by the config
 * it started under. canary_gen keeps the generation of the maps that are
 * not per service (canary_backend, canary_vips), updated in place, and
 * the grace period.
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
#define CANARY_MAX_ENDPOINTS 128 /* endpoints per version; a power of 2 <= 256 */
#endif
_Static_assert((CANARY_MAX_ENDPOINTS & (CANARY_MAX_ENDPOINTS - 1)) == 0 &&
		       CANARY_MAX_ENDPOINTS <= 256,
	       "ring slots are bytes and the BPF side masks endpoint indexes");
/*
 * Lookup tables ("rings"), one per version that has one: slot s holds the
 * index of the endpoint whose rendezvous score for s is highest
 * (hrw_table_build() in user/core/hrw_table.c; a score mixes s with a
 * key hashed from the endpoint's address and port), and a new flow takes
 * slot hash % ring_size. Removing one of n endpoints moves exactly the
 * slots it held, adding one moves only the slots it wins, whatever the
 * addresses; that endpoint's share of the slots is all that moves. Each
 * share is binomial around 1/n (slot pairs score antithetically, which
 * narrows it), so issue 3's bound (1/n + 1 point) holds as long as no
 * share strays a point from 1/n: with 24,571 slots and more (every
 * table) that is over 5 standard deviations at any n.
 * Measured over random endpoint address sets (tests/unit/test_hrw_table.c
 * prints its worst case): shares within 0.55 point of 1/n at n = 17..32,
 * 0.28 at 33..64, 0.21 at 65..128, so a change moves at most 0.33 point
 * more than 1/n; through the programs, 90,000 flows (test_disruption.c)
 * at most 0.16 point at n = 10..128; a Local service's table of 2 to 16
 * pods, 0.76 point over 1,500 random sets per n (two endpoints: exactly
 * half each; 4,093 slots gave up to 1.6 at n = 4). Maglev, which built
 * these tables before, gave every endpoint the same count give or take
 * one but moved slots between endpoints that stayed, by an amount that
 * depended on the addresses: up to 2.6 points over 1/n at n = 38, 43, 59.
 *
 * Only versions of more than CANARY_HRW_MAX entries (below), or of a
 * Local service, have a table. A version's table size follows its
 * endpoint count (those in the table) in tiers, hrw_table_size(): up to
 * 32 endpoints 24571 slots, 64: 36857, 128: 49139, each a prime just
 * under a whole number of 4 KiB chunks, so that a version of 32
 * endpoints costs 6 chunks, not 12, and builds faster (a build scores
 * every slot for every endpoint: m * n scores).
 * The programs read the size from canary_ver.ring_size. Crossing a tier
 * (32 <-> 33 endpoints, 64 <-> 65) rebuilds the table at the other size:
 * tables of two sizes share nothing, so that one change moves almost all
 * of the version's new flows (established flows keep their entries), once
 * per crossing. The tier depends only on the endpoint count and the
 * scores only on the endpoints, so every node builds the same table for
 * the same endpoints, whatever their order. Slots hold one byte (an index
 * into at most 128 endpoints), stored in 4 KiB chunks. User space keeps
 * or copies a table when its endpoints did not change, its size is the
 * one their count gives and it carries this build's tag
 * (CANARY_RING_BUILD, below), so a table an older build wrote (Maglev)
 * is rebuilt by its service's next change (README, Known limits).
 */
/*
 * Versions of at most CANARY_HRW_MAX endpoints (ep[] entries, draining
 * included) have no table: a new flow goes to the endpoint with
 * the highest rendezvous score (canary_hrw_pick() in canary_hash.h), one
 * hash per endpoint. Removing one endpoint moves exactly its own flows,
 * adding one takes about 1/(n+1), and no table costs memory. Their
 * canary_ver.ring_size is 0; a version with a table (more endpoints, or
 * a Local service, whose table leaves other nodes' pods out) has its
 * size there. See README "How an endpoint is picked" for the measurement.
 */
#ifndef CANARY_HRW_MAX
#define CANARY_HRW_MAX 16 /* endpoints; at most CANARY_MAX_ENDPOINTS */
#endif
_Static_assert(CANARY_HRW_MAX <= CANARY_MAX_ENDPOINTS, "CANARY_HRW_MAX");

#ifndef CANARY_RING_SIZE
#define CANARY_RING_SIZE 49139  /* largest table, 65..128 endpoints (12 chunks) */
#endif
#define CANARY_RING_CHUNK 4096  /* slots per canary_ring_v2 entry */
#define CANARY_RING_MAX_CHUNKS \
	((CANARY_RING_SIZE + CANARY_RING_CHUNK - 1) / CANARY_RING_CHUNK)
/* Chunks, all versions and generations: 65,536 version tables (as with the
 * former 4-chunk tables), e.g. 21,845 versions in all three generations
 * (3 GiB at most; entries are allocated as written, but the hash buckets,
 * 16 MiB, from the start: 4 MiB before). Not every
 * MAX_SERVICES * MAX_VERSIONS * GENERATIONS table fits: apply fails with
 * E2BIG past this. */
#ifndef CANARY_RING_ENTRIES
#define CANARY_RING_ENTRIES (65536 * CANARY_RING_MAX_CHUNKS)
#endif
#ifndef CANARY_SVC_ENTRIES
#define CANARY_SVC_ENTRIES (2 * CANARY_MAX_SERVICES) /* service ports, in
							* canary_svc_v2 (and
							* again in _svc6_v2) */
#endif
#ifndef CANARY_FLOW_ENTRIES
#define CANARY_FLOW_ENTRIES 65536 /* default flow-table size, in flows */
#endif

#define CANARY_BPS_TOTAL 10000 /* weights are basis points: 100 % = 10000 */
#define CANARY_NAME_LEN 64     /* service name, NUL included (k8s: 63 chars) */
#define CANARY_VNAME_LEN 32    /* version name, NUL included */
#define CANARY_GENERATIONS 3   /* config slots per service: live, previous
				* (grace), being written */
#define CANARY_MAX_PINS 8      /* client pins (CIDR -> version) per service */
#define CANARY_MAX_PORTS 8     /* ports of one multi-port service */
#define CANARY_GRACE_DEFAULT_S 60 /* previous generation kept, seconds */

/* Hash seeds. Fixed, so every node makes the same choice for the same flow. */
#define CANARY_SEED_VERSION 0x63616e61u /* version pick over the 5-tuple */
#define CANARY_SEED_ENDPOINT 0x72796270u /* endpoint hash: table slot or rendezvous */
#define CANARY_SEED_HRW 0x68727721u /* rendezvous score per endpoint */
#define CANARY_SEED_SNAT 0x534e4154u /* the first SNAT port a flow tries */

/* Map names (at most 15 characters, see STYLE.md). */
#define CANARY_MAP_GEN "canary_gen"
#define CANARY_MAP_SVC "canary_svc_v2" /* v2: per-service slots */
#define CANARY_MAP_VER "canary_ver"
#define CANARY_MAP_META "canary_meta_v3" /* v2: IPv6 fields; v3: a hash */
#define CANARY_MAP_FLOW "canary_flow_v3" /* v3: handshake state and stamp */
#define CANARY_MAP_BACKEND "canary_backend"
#define CANARY_MAP_STATS "canary_stats"
#define CANARY_MAP_GLOBAL "canary_global"
#define CANARY_MAP_TX "canary_tx"
#define CANARY_MAP_RING "canary_ring_v2" /* v2: 12-chunk tables, more entries */
#define CANARY_MAP_PINS "canary_pins"
#define CANARY_MAP_PINSTATS "canary_pinstat"
#define CANARY_MAP_SOCK "canary_sock"
#define CANARY_MAP_SNAT "canary_snat"
#define CANARY_MAP_NODE "canary_node_v2" /* v2: IPv6 address and pod CIDR */
#define CANARY_MAP_USTAT "canary_ustat"
#define CANARY_MAP_PORT "canary_port"
#define CANARY_MAP_TXN "canary_txn"
#define CANARY_MAP_VIPS "canary_vips"
#define CANARY_MAP_FLOWCFG "canary_flowcfg"
#define CANARY_MAP_CLOCK "canary_clock"
#define CANARY_MAP_GUARD "canary_guard"
#define CANARY_MAP_FLOOD "canary_flood"
#define CANARY_MAP_HEALTH "canary_health"
#define CANARY_MAP_SVCGUARD "canary_svcguard"
#define CANARY_MAP_SOCKHS "canary_sockhs"
#define CANARY_MAP_NAMES "canary_names"
/* The IPv6 twins of canary_svc, canary_ver, canary_flow, canary_backend
 * and canary_pins: the same layouts with 16-byte addresses. IPv4 keeps its
 * own maps so its keys (and so its per-packet hashing) stay small. Service
 * ids are shared: one id is one service of either family, and
 * canary_ring_v2, canary_meta and the counters are indexed by it alike. */
#define CANARY_MAP_SVC6 "canary_svc6_v2" /* v2: per-service slots */
#define CANARY_MAP_VER6 "canary_ver6"
#define CANARY_MAP_FLOW6 "canary_flow6_v3" /* v2: snat_port; v3: handshake */
#define CANARY_MAP_BACKEND6 "canary_backend6"
#define CANARY_MAP_PINS6 "canary_pins6"
#define CANARY_MAP_SOCK6 "canary_sock6"
#define CANARY_MAP_SNAT6 "canary_snat6"

/* IP protocol numbers, as carried in keys. */
#define CANARY_PROTO_ICMPV6 58
#define CANARY_PROTO_TCP 6
#define CANARY_PROTO_UDP 17

/*
 * canary_gen (array, one entry): the generation of canary_backend and
 * canary_vips, which user space updates in place (entry by entry) and no
 * longer flips; prev is a generation an older release flipped away from,
 * its canary_backend entries still asked while prev_until_ns lasts. Its
 * stamp (prev_until_ns - grace_ns) is what canary_vips must carry to be
 * trusted. grace_ns is how long a service's previous slot stays usable
 * after it changes (canary_svc_slots.prev_until_ns).
 */
struct canary_genstate {
	__u32 active;         /* generation of canary_backend and canary_vips */
	__u32 prev;           /* an older release's previous generation */
	__u64 prev_until_ns;  /* CLOCK_MONOTONIC: prev usable until then */
	__u64 grace_ns;       /* how long a previous slot stays usable */
};
_Static_assert(sizeof(struct canary_genstate) == 24, "canary_genstate size");

/*
 * canary_svc_v2 (hash, no prealloc): which VIP:port/protocol is a service,
 * and which of its config slots is live. Looked up for every IPv4 TCP/UDP
 * packet to a VIP on the ingress path; the one lookup a packet makes for
 * its service. v2: no generation in the key, the slots in the value (the
 * older canary_svc had one entry per generation; user/migrate.c carries
 * its live generation over).
 */
struct canary_svc_key {
	__be32 vip;     /* service VIP */
	__be16 port;    /* service port */
	__u8 proto;     /* CANARY_PROTO_TCP or CANARY_PROTO_UDP */
	__u8 reserved;  /* zero */
};
_Static_assert(sizeof(struct canary_svc_key) == 8, "canary_svc_key size");

/* A service header: what a packet needs of one config slot before it
 * picks a version. */
struct canary_svc {
	__u32 id;                              /* stable service id, indexes stats */
	__u8 n_versions;                       /* versions in use, <= MAX_VERSIONS */
	__u8 flags;                            /* CANARY_SVC_F_* */
	__be16 target_port;                    /* 0: each endpoint's own port */
	__u16 cum_bps[CANARY_MAX_VERSIONS];    /* cumulative effective weights */
};
_Static_assert(sizeof(struct canary_svc) == 8 + 2 * CANARY_MAX_VERSIONS,
	       "canary_svc size");

/*
 * canary_svc_v2's value. A flip is one update of this entry (the kernel
 * swaps the element whole: a reader sees the old one or the new one):
 * the new live slot with its header, the old live slot becoming the
 * previous one with its header, and the end of its grace period.
 */
struct canary_svc_slots {
	struct canary_svc live; /* header of the live slot */
	struct canary_svc prev; /* header of the previous slot */
	__u8 slot;              /* live slot, < CANARY_GENERATIONS */
	__u8 prev_slot;         /* previous slot; == slot: none */
	__u16 reserved;         /* zero */
	__u32 reserved2;        /* zero */
	__u64 prev_until_ns;    /* CLOCK_MONOTONIC: prev usable until then */
	__u64 flip_ns;          /* CLOCK_MONOTONIC of this flip (user space) */
};
_Static_assert(sizeof(struct canary_svc_slots) ==
		       2 * sizeof(struct canary_svc) + 24,
	       "canary_svc_slots size");

/*
 * canary_vips (array, CANARY_GENERATIONS entries, index gen): which
 * addresses may be a VIP in a generation, one bit per canary_vip_bit()
 * value (include/canary_hash.h), set for every service's VIP (an IPv6 one
 * folded by canary_addr6_fold() first). Most
 * packets a node receives are for no VIP; a clear bit spares them the
 * canary_svc lookup. Written by user space with the generation, before
 * the flip; the program trusts a bitmap only when it says it was written
 * for the flip now live (flip_ns, the monotonic time of that flip, is
 * canary_genstate's prev_until_ns - grace_ns), else looks every packet up
 * as before: a map created empty at an upgrade, or a generation written
 * by a canary-bpf that does not know this map, cost speed, never packets.
 */
#define CANARY_VIPS_BITS 65536 /* bits per generation (8 KiB) */
#define CANARY_VIPS_VALID 0x7669707362697473ull /* "vipsbits" */

struct canary_vips {
	__u64 valid;   /* CANARY_VIPS_VALID once bits[] is complete */
	__u64 flip_ns; /* the flip this bitmap was written for */
	__u64 bits[CANARY_VIPS_BITS / 64]; /* bit n: some VIP hashes to n */
};
_Static_assert(sizeof(struct canary_vips) == 16 + CANARY_VIPS_BITS / 8,
	       "canary_vips size");

/*
 * canary_names (hash, no prealloc, key: the service name NUL-padded to
 * CANARY_NAME_LEN bytes): where user space finds a service by name
 * (status NAME, a change of one service) without reading every service:
 * its id and the canary_svc_v2 (or _svc6_v2) key of its first port.
 * Written when a service is created or moves, deleted with it; never
 * read by the programs. A hint: readers check it against the entries it
 * names and otherwise read every service, so a pin dir made before it
 * (created empty at the upgrade) costs speed, not answers.
 */
struct canary_name_key {
	char name[CANARY_NAME_LEN]; /* NUL-padded */
};
_Static_assert(sizeof(struct canary_name_key) == CANARY_NAME_LEN,
	       "canary_name_key size");

struct canary_name {
	__u32 id;       /* canary_svc.id */
	__u8 family;    /* CANARY_FAMILY_* */
	__u8 proto;     /* CANARY_PROTO_* */
	__be16 port;    /* its first service port */
	__be32 vip[4];  /* IPv4: vip[0], the rest zero */
};
_Static_assert(sizeof(struct canary_name) == 24, "canary_name size");

/* canary_svc.flags */
#define CANARY_SVC_F_AFFINITY (1 << 0) /* hash the client address only */
#define CANARY_SVC_F_PINS (1 << 1)     /* consult canary_pins first */
#define CANARY_SVC_F_SNAT (1 << 2)     /* SNAT flows to non-local endpoints */
#define CANARY_SVC_F_SNAT_ALL (1 << 3) /* SNAT every flow */
/* An endpoint of this service serves another service port too: a new flow
 * may clash there (bpf/lb.h, lb_avoid_clash()); without the flag it is
 * not checked for, at no cost. */
#define CANARY_SVC_F_SHARED (1 << 4)
/* The service has a guard (canary_svcguard): a new flow that picked a
 * non-first version looks up whether that version was shed. Without the
 * flag (and in a generation written before the guard existed) nothing is
 * looked up. */
#define CANARY_SVC_F_GUARD (1 << 5)

/*
 * canary_ver (hash, no prealloc): one version of one service in one
 * generation: its endpoints and the lookup table over them, if any. Only
 * read when a flow is new.
 */
struct canary_ver_key {
	__u32 svc_id;  /* canary_svc.id */
	__u8 version;  /* index into the service's versions */
	__u8 gen;      /* the service's config slot, < CANARY_GENERATIONS */
	__u16 reserved; /* zero */
};
_Static_assert(sizeof(struct canary_ver_key) == 8, "canary_ver_key size");

struct canary_endpoint {
	__be32 addr;    /* endpoint (pod) address */
	__be16 port;    /* target port on the endpoint */
	__u16 flags;    /* CANARY_EP_F_* */
};

/* canary_endpoint.flags */
#define CANARY_EP_F_DRAINING (1 << 0) /* keeps its flows, takes no new ones */
_Static_assert(sizeof(struct canary_endpoint) == 8, "canary_endpoint size");

struct canary_ver {
	__u16 n_endpoints;                 /* entries of ep[], draining included */
	__u16 n_active;                    /* not draining; 0: takes no new flows */
	__u32 ring_size;                   /* table slots (prime), see above */
	struct canary_endpoint ep[CANARY_MAX_ENDPOINTS]; /* sorted by addr, port */
};
_Static_assert(sizeof(struct canary_ver) == 8 + 8 * CANARY_MAX_ENDPOINTS,
	       "canary_ver size");

/*
 * canary_ring_v2 (hash, no prealloc): one chunk of a version's lookup table:
 * slot -> index into canary_ver.ep[], over the endpoints not draining.
 * Slot s lives in chunk s / CANARY_RING_CHUNK at s % CANARY_RING_CHUNK.
 * Every table size leaves the last chunk's last byte past its slots: it
 * holds CANARY_RING_BUILD, how user space built the table (an older
 * build's Maglev tables left it 0), so a table is reused only if this
 * build would build it the same way.
 */
struct canary_ring_key {
	__u32 svc_id;   /* canary_svc.id */
	__u8 version;   /* version index */
	__u8 gen;       /* the service's config slot */
	__u16 chunk;    /* slot / CANARY_RING_CHUNK */
};
_Static_assert(sizeof(struct canary_ring_key) == 8, "canary_ring_key size");

struct canary_ring {
	__u8 slot[CANARY_RING_CHUNK]; /* endpoint index per slot */
};
_Static_assert(sizeof(struct canary_ring) == CANARY_RING_CHUNK,
	       "canary_ring size");
/* The build tag in a table's last chunk, at CANARY_RING_CHUNK - 1. */
#define CANARY_RING_BUILD 0x52 /* rendezvous per slot, hrw_table_build() */

/* A port of a multi-port service as user space keeps it in canary_meta. */
struct canary_meta_port {
	__be16 port;      /* service port */
	__be16 target;    /* target port on the endpoints */
};

/* A client pin as user space keeps it in canary_meta. */
struct canary_meta_pin {
	__be32 addr;      /* client network */
	__u8 prefixlen;   /* 0..32 */
	__u8 version;     /* version index */
	__u16 reserved;   /* zero */
};

/*
 * canary_meta_v3 (hash, no prealloc, key slot * MAX_SERVICES + id, the
 * service's config slot): what only user space reads back: names, the
 * weights the user asked for (before a version without endpoints gives its
 * share away), pins, affinity and the service key, so a config can be
 * rebuilt from the maps alone. An entry per slot written, deleted when
 * the slot is emptied (no entry reads as in_use 0). v3: a hash; the
 * array canary_meta_v2 took 24 MiB up front (migrate.c copies its
 * entries in use).
 */
struct canary_meta {
	__u8 in_use;                       /* 1 if this id is a service in gen */
	__u8 n_versions;                   /* as canary_svc.n_versions */
	__u8 proto;                        /* CANARY_PROTO_* */
	__u8 affinity;                     /* CANARY_AFFINITY_* */
	__be32 vip;                        /* service VIP */
	__be16 port;                       /* service port */
	__u8 n_pins;                       /* entries of pins[] in use */
	__u8 policy;                       /* snat mode | 4 if traffic local */
	__u16 weight_bps[CANARY_MAX_VERSIONS]; /* configured weights */
	char name[CANARY_NAME_LEN];        /* service name */
	char vname[CANARY_MAX_VERSIONS][CANARY_VNAME_LEN]; /* version names */
	__u32 reserved3;                   /* zero; aligns flows_base */
	/* Each version's new-flow counter when the effective weights last
	 * changed, so status can show the split since then. */
	__u64 flows_base[CANARY_MAX_VERSIONS];
	struct canary_meta_pin pins[CANARY_MAX_PINS];
	__u32 n_ports;                     /* 0: single port (.port) */
	struct canary_meta_port ports[CANARY_MAX_PORTS];
	__u8 family;                       /* CANARY_FAMILY_* */
	__u8 reserved4[3];                 /* zero */
	__be32 vip6[4];                    /* IPv6 VIP (vip unused) */
	__be32 pin6[CANARY_MAX_PINS][4];   /* IPv6 pin networks (pins[].addr unused) */
};
_Static_assert(sizeof(struct canary_meta) ==
		       12 + 2 * CANARY_MAX_VERSIONS + CANARY_NAME_LEN +
			       CANARY_MAX_VERSIONS * CANARY_VNAME_LEN + 4 +
			       8 * CANARY_MAX_VERSIONS + 8 * CANARY_MAX_PINS + 4 +
			       4 * CANARY_MAX_PORTS + 4 + 16 +
			       16 * CANARY_MAX_PINS,
	       "canary_meta size");

/* canary_meta.family */
#define CANARY_FAMILY_IPV4 0
#define CANARY_FAMILY_IPV6 1

/* canary_meta.affinity */
#define CANARY_AFFINITY_NONE 0      /* 5-tuple hash */
#define CANARY_AFFINITY_CLIENT_IP 1 /* client address hash (sessionAffinity) */

/*
 * canary_flow_v3 (LRU hash): the forward 5-tuple of a translated flow as
 * the client sent it, to the endpoint it was given. Config-independent: a
 * flow keeps its endpoint whatever the weights do. The reply path looks it
 * up too (see canary_backend), and follows a TCP connection's handshake in
 * it (canary_health): a new connection is one insert, not two. v3: hs_stamp
 * and the CANARY_FLOW_HS_* bits (the first 16 bytes are canary_flow's
 * layout, carried over by migrate.c).
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
	__u8 flags;      /* CANARY_FLOW_F_* */
	__u32 svc_id;    /* service id, for counters */
	__be16 snat_port; /* with CANARY_FLOW_F_SNAT: our source port */
	__u16 seen;      /* last packet, canary_stamp() units; 0: unknown */
	__u32 hs_stamp;  /* with a CANARY_FLOW_HS_* state: the SYN's, then the
			  * SYN-ACK's time, canary_hs_stamp() units */
	__u32 reserved;  /* zero */
};
_Static_assert(sizeof(struct canary_flow) == 24, "canary_flow size");
#define CANARY_FLOW_V1_SIZE 16 /* canary_flow's value, before v3 */

/* canary_flow.flags */
#define CANARY_FLOW_F_SNAT (1 << 0) /* source rewritten to the node's */
/* TCP: a FIN or RST went by, from either side: the flow ages out after
 * the closing timeout (canary_timeouts), not the open one. */
#define CANARY_FLOW_F_CLOSING (1 << 1)
/* Bits 2-3: the handshake of a TCP connection whose SYN made the entry
 * (bpf/health.h), a canary_hs.state plus one; 0: none followed (UDP, an
 * entry made by a later packet or during a SYN flood, a handshake over:
 * the endpoint's RST or FIN ends it). */
#define CANARY_FLOW_HS_SHIFT 2
#define CANARY_FLOW_HS_MASK (3 << CANARY_FLOW_HS_SHIFT)
#define CANARY_FLOW_HS(state) (((state) + 1) << CANARY_FLOW_HS_SHIFT)

/* The handshake stamp of CLOCK_MONOTONIC @ns: 1.024 us units in 32 bits,
 * which wrap after 73 minutes; handshakes are timed by the difference of
 * two stamps (wrap-safe), and their windows (CANARY_SYN_TIMEOUT_MS,
 * CANARY_EARLY_RESET_MS) are far shorter. */
#define CANARY_HS_STAMP_SHIFT 10
static inline __attribute__((always_inline)) __u32 canary_hs_stamp(__u64 ns)
{
	return (__u32)(ns >> CANARY_HS_STAMP_SHIFT);
}

/*
 * Flow ageing, like conntrack's and Cilium's CT timeouts. A flow entry
 * (both families) carries the time of its last packet in `seen`: a
 * 16-bit stamp in units of 2^32 ns (4.29 s) of the programs' flow clock,
 * so it spans 78 hours and the programs write it at most once per unit
 * per flow (no write per packet), plus once when the flow starts closing.
 * The flow clock is the kernel's jiffies times the tick length
 * (bpf_jiffies64(), a load once JITed: bpf_ktime_get_coarse_ns(), a
 * helper call, cost established packets 15 ns here); it runs with
 * CLOCK_MONOTONIC from its own origin, which canary_clock lets user
 * space translate. An entry idle past its state's timeout counts as
 * absent: the next packet is placed anew. Stamp 0 never occurs in a
 * fresh stamp; it means "unknown" (an entry an older release wrote, whose
 * reserved field was zero), taken as fresh and stamped on its next
 * packet, so an in-place upgrade keeps every flow. The ageing is exact
 * to one unit either way: an entry expires between its timeout and its
 * timeout plus two units (never early).
 */
#define CANARY_STAMP_SHIFT 32 /* ns per stamp unit: 1 << 32 */

/*
 * canary_clock (array, one entry): the flow clock next to CLOCK_MONOTONIC
 * (bpf_ktime_get_coarse_ns()), both read by a program at one moment,
 * whenever it stamps a flow in a unit the entry does not hold yet. User
 * space's "now" on the flow clock: flow_ns + (its CLOCK_MONOTONIC_COARSE
 * - mono_ns). All zero until a program stamped a flow.
 */
struct canary_clock {
	__u64 flow_ns; /* the flow clock, ns */
	__u64 mono_ns; /* CLOCK_MONOTONIC at the same moment, ns */
};
_Static_assert(sizeof(struct canary_clock) == 16, "canary_clock size");

/* The stamp of flow-clock time @ns (never 0). */
static inline __attribute__((always_inline)) __u16 canary_stamp(__u64 ns)
{
	__u16 s = (__u16)(ns >> CANARY_STAMP_SHIFT);

	return s ? s : 1;
}

/* Whether an entry stamped @seen is past @timeout_s at stamp @now. */
static inline __attribute__((always_inline)) int
canary_stamp_expired(__u16 seen, __u16 now, __u32 timeout_s)
{
	__u16 age = (__u16)(now - seen);

	/* (age - 1) units surely elapsed; more than the timeout: gone. */
	return seen && age > 1 &&
	       ((__u64)(age - 1) << CANARY_STAMP_SHIFT) > timeout_s * 1000000000ull;
}

/*
 * canary_flowcfg (array, one entry): the flow table's settings: the idle
 * timeouts, in seconds, and the SYN flood guard's rate. A zero field
 * means its default below, so the all-zero entry a new pin dir (or an
 * upgrade) starts with is the defaults. Written by apply (the file's
 * timeouts: section and flood_guard: key), read by the programs (an
 * array lookup the verifier inlines): the timeouts for an entry idle
 * more than one stamp unit, the rate for a SYN.
 *
 * Defaults: TCP 6 hours and closing 10 s are Cilium's CT (CT_CONNECTION_
 * LIFETIME_TCP, CT_CLOSE_TIMEOUT); conntrack keeps an established TCP
 * connection 5 days, which a 16-bit stamp could not span, and Cilium's
 * choice is the one for a load balancer in front of pods. Non-TCP 60 s
 * is Cilium's CT_CONNECTION_LIFETIME_NONTCP and about conntrack's UDP
 * stream timeout (120 s; 30 s for a one-way flow).
 */
#define CANARY_TMO_TCP_DEFAULT_S 21600   /* open TCP flow, idle */
#define CANARY_TMO_CLOSING_DEFAULT_S 10  /* after a FIN or RST */
#define CANARY_TMO_UDP_DEFAULT_S 60      /* UDP flow, idle */
/* The longest timeout: well within the stamp's span (2^16 units). */
#define CANARY_TMO_MAX_S 259200          /* 72 hours */
/*
 * The SYN flood guard (after Katran's): past this many SYNs recorded per
 * second on one CPU, a SYN is forwarded by its placement but not
 * recorded; its connection's entry is made by its next packet (the
 * client's ACK), and its SYN-ACK is matched by placement meanwhile (see
 * canary_flood). Katran's MAX_CONN_RATE, per CPU as there.
 */
#define CANARY_SYN_RATE_DEFAULT 125000   /* SYNs recorded per s per CPU */
#define CANARY_SYN_RATE_MAX 100000000

struct canary_flowcfg {
	__u32 tcp_s;         /* open TCP flows; 0: default */
	__u32 tcp_closing_s; /* TCP flows after a FIN or RST; 0: default */
	__u32 udp_s;         /* UDP flows; 0: default */
	__u32 syn_rate;      /* flood guard, SYNs per s per CPU; 0: default */
};
_Static_assert(sizeof(struct canary_flowcfg) == 16, "canary_flowcfg size");

/*
 * canary_guard (per-CPU array, one entry): the flood guard's count of
 * SYNs recorded in the current window (flow-clock ns >> 30, about 1 s),
 * and how many SYNs it left unrecorded since the programs were loaded.
 */
struct canary_guard {
	__u64 window;   /* flow clock >> CANARY_GUARD_SHIFT */
	__u64 recorded; /* SYNs recorded in this window */
	__u64 skipped;  /* SYNs not recorded, in all */
	__u64 flooded;  /* the last window this CPU told canary_flood of */
};
_Static_assert(sizeof(struct canary_guard) == 32, "canary_guard size");
#define CANARY_GUARD_SHIFT 30 /* window: 2^30 ns */

/*
 * canary_flood (array, one entry): until when (flow clock, ns) the reply
 * path matches a SYN-ACK without a flow entry by placement: two windows
 * past the last SYN the guard left unrecorded on any CPU. Outside a
 * flood nothing is matched so, and a pod's own connections keep their
 * address.
 */
struct canary_flood {
	__u64 until_ns;
};
_Static_assert(sizeof(struct canary_flood) == 8, "canary_flood size");

/*
 * canary_snat (LRU hash): the way back for a source-NATed flow (an
 * endpoint on another node: without SNAT its reply would go to the client
 * directly and the connection would break). Keyed by the reply as it
 * comes back to this node: endpoint -> node address:snat_port.
 */
struct canary_snat_key {
	__be32 ep_addr;   /* reply source: the endpoint */
	__be16 ep_port;   /* its port */
	__be16 snat_port; /* reply destination port on this node */
	__u8 proto;       /* CANARY_PROTO_* */
	__u8 reserved[3]; /* zero */
};
_Static_assert(sizeof(struct canary_snat_key) == 12, "canary_snat_key size");

struct canary_snat {
	__be32 client;    /* original source */
	__be32 vip;       /* what the client talked to */
	__be16 client_port;
	__be16 vport;
};
_Static_assert(sizeof(struct canary_snat) == 12, "canary_snat size");

/*
 * canary_port (hash): the bridge port behind a MAC, for the XDP fast path
 * to endpoints on a local bridge (flannel-style cni0). The kernel's FIB
 * resolves such an endpoint to the bridge, which cannot take XDP frames;
 * there is no BPF helper for the bridge's FDB, so user space copies it
 * here (user/bridge.c: at attach and after every config transaction) and
 * XDP redirects straight to the port, if that port is in canary_tx.
 * A key with an all-zero MAC marks a bridge registered with attach
 * --bridge (value: the bridge's ifindex): its ports join canary_tx.
 */
#ifndef CANARY_MAX_PORT_ENTRIES
#define CANARY_MAX_PORT_ENTRIES 8192 /* bridge FDB entries, all bridges */
#endif

struct canary_port_key {
	__u32 ifindex;     /* the bridge, as the FIB returned it */
	__u8 mac[6];       /* the next hop's MAC (fib.dmac) */
	__u8 reserved[2];  /* zero */
};
_Static_assert(sizeof(struct canary_port_key) == 12, "canary_port_key size");

struct canary_port {
	__u32 ifindex;     /* the bridge port (a pod's host-side veth) */
};
_Static_assert(sizeof(struct canary_port) == 4, "canary_port size");

/*
 * canary_node_v2 (array, one entry): this node, for SNAT and local
 * endpoints, both families. Written by apply (the file's node: section)
 * or the agent (the Node object); an all-zero address of a family = no
 * SNAT for it (new flows keep the client address, packets of flows
 * SNATed before are dropped: never sent from the zero address), an
 * all-zero mask = every endpoint of it is local (so
 * snat: auto does nothing there). v2: the IPv6 fields; the first 16 bytes
 * are canary_node's layout, which user/migrate.c carries over. The SNAT
 * port range serves both families: their ways back are in separate maps
 * keyed by the endpoint, so one port may serve an IPv4 and an IPv6 flow.
 */
struct canary_node {
	__be32 address;   /* source address for SNAT */
	__be32 pod_net;   /* this node's pod CIDR: local endpoints */
	__be32 pod_mask;  /* its netmask */
	__u16 port_min;   /* SNAT source ports, host order, inclusive */
	__u16 port_max;
	__be32 address6[4];  /* IPv6 source address for SNAT */
	__be32 pod_net6[4];  /* this node's IPv6 pod CIDR */
	__be32 pod_mask6[4]; /* its netmask */
	__u8 pod_len6;       /* its prefix length, for user space */
	__u8 reserved[3];    /* zero */
};
_Static_assert(sizeof(struct canary_node) == 16 + 48 + 4, "canary_node size");
#define CANARY_NODE_V1_SIZE 16 /* canary_node's value, before v2 */

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

/*
 * canary_pins (LPM trie): clients pinned to a version of a service,
 * whatever the weights. The key's leading 32 bits scope it to one service
 * and config slot (htonl(id * CANARY_GENERATIONS + slot)), so prefixlen = 32 + the CIDR's length; longest prefix
 * wins (0.0.0.0/0 -> v1 with 10.0.1.0/24 -> v2 works).
 */
struct canary_pin_key {
	__u32 prefixlen;  /* 32 + CIDR prefix length */
	__be32 scope;     /* htonl(svc_id * CANARY_GENERATIONS + gen) */
	__be32 addr;      /* client network */
};
_Static_assert(sizeof(struct canary_pin_key) == 12, "canary_pin_key size");

struct canary_pin {
	__u8 version;     /* version index the clients go to */
	__u8 index;       /* pin's position in the service, for canary_pinstat */
	__u16 reserved;   /* zero */
};
_Static_assert(sizeof(struct canary_pin) == 4, "canary_pin size");

#define CANARY_MAX_PIN_ENTRIES (CANARY_MAX_SERVICES * CANARY_MAX_PINS)

/* canary_pinstat (per-CPU array, MAX_SERVICES * MAX_PINS entries, index
 * id * MAX_PINS + pin index): new flows each pin placed. */

/*
 * canary_sock (socket storage): what cgroup socket load balancing chose
 * for a socket of a process in an attached cgroup: the connect() or
 * sendmsg() destination it rewrote and the endpoint it put there, so later
 * datagrams go to the same endpoint and getpeername()/recvmsg() show the
 * VIP again.
 */
struct canary_sock {
	__be32 vip;       /* what the application asked for */
	__be32 ep_addr;   /* what the socket really talks to */
	__be16 vport;
	__be16 ep_port;
	__u32 svc_id;     /* for counters */
	__u8 version;
	__u8 reserved[3]; /* zero */
};
_Static_assert(sizeof(struct canary_sock) == 20, "canary_sock size");

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
	__u64 grace;         /* mid-flow TCP without entry, placed by prev gen */
	__u64 pinned;        /* new flows placed by a client pin */
	__u64 icmp;          /* ICMP errors about translated flows, translated */
	__u64 sock_lb;       /* sockets sent to an endpoint at connect/sendmsg */
	__u64 snat;          /* new flows source-NATed to this node */
	__u64 snat_replies;  /* replies of SNATed flows translated back */
	/* Packets dropped for want of a SNAT source: a new flow that found
	 * no free port, a SNATed flow while the node has no address of its
	 * family, or an IPv6 SNATed flow whose port another flow took after
	 * its way back was evicted (all also count in no_endpoint). */
	__u64 snat_full;
	__u64 flow_inserts;  /* entries put into canary_flow */
};
_Static_assert(sizeof(struct canary_global) == 128, "canary_global size");

/*
 * canary_ustat (array, one entry): counted by user space, under the pin
 * dir's lock. Flows the LRU evicted = flow_inserts - flows_deleted - the
 * entries in canary_flow now.
 */
struct canary_ustat {
	__u64 flows_deleted; /* canary_flow entries removed by canary-bpf */
};
_Static_assert(sizeof(struct canary_ustat) == 8, "canary_ustat size");

/*
 * canary_txn (array, one entry): what config transactions know of the
 * generations; read and written by user space only, under the pin dir's
 * lock. A pin dir made before it existed lacks it: every change then
 * waits for readers before it writes.
 */
struct canary_txn {
	/* After its flips, a transaction waits for an RCU grace period (no
	 * program can still read a slot those flips retired) and records
	 * here the CLOCK_MONOTONIC time it started waiting: every service
	 * flipped before then (canary_svc_slots.flip_ns) may have its
	 * third slot rewritten at once. The wait is paid after the new
	 * config is live, not before the next change. */
	__u64 quiet_flip_ns;
	/* 1 while a transaction writes config slots, 0 once it settled: a
	 * transaction that finds 1 first sweeps what a killed one left
	 * (entries of ids that no service has). */
	__u32 busy;
	__u32 reserved;  /* zero */
};
_Static_assert(sizeof(struct canary_txn) == 16, "canary_txn size");

/*
 * IPv6. The maps below mirror their IPv4 namesakes field for field; only
 * the addresses grow to 16 bytes. Hashes fold an IPv6 address to 32 bits
 * (canary_addr6_fold) and then go through the IPv4 formulas, so both
 * families split alike.
 */
struct canary_svc6_key {
	__be32 vip[4];  /* service VIP */
	__be16 port;    /* service port */
	__u8 proto;     /* CANARY_PROTO_TCP or CANARY_PROTO_UDP */
	__u8 reserved;  /* zero */
};
_Static_assert(sizeof(struct canary_svc6_key) == 20, "canary_svc6_key size");
/* value: struct canary_svc_slots */

struct canary_endpoint6 {
	__be32 addr[4]; /* endpoint (pod) address */
	__be16 port;    /* target port on the endpoint */
	__u16 flags;    /* CANARY_EP_F_* */
};
_Static_assert(sizeof(struct canary_endpoint6) == 20, "canary_endpoint6 size");

/* canary_ver6 (hash, no prealloc), key struct canary_ver_key. */
struct canary_ver6 {
	__u16 n_endpoints;                 /* entries of ep[], draining included */
	__u16 n_active;                    /* not draining; 0: takes no new flows */
	__u32 ring_size;                   /* table slots (prime); 0: none */
	struct canary_endpoint6 ep[CANARY_MAX_ENDPOINTS]; /* sorted by addr, port */
};
_Static_assert(sizeof(struct canary_ver6) == 8 + 20 * CANARY_MAX_ENDPOINTS,
	       "canary_ver6 size");

struct canary_flow6_key {
	__be32 saddr[4];  /* client address */
	__be32 daddr[4];  /* VIP */
	__be16 sport;     /* client port */
	__be16 dport;     /* service port */
	__u8 proto;       /* CANARY_PROTO_* */
	__u8 reserved[3]; /* zero */
};
_Static_assert(sizeof(struct canary_flow6_key) == 40, "canary_flow6_key size");

/* canary_flow6_v3 (LRU hash): canary_flow for IPv6. v2: snat_port; v3:
 * hs_stamp (the first 24 bytes are canary_flow6's layout, the first 28
 * canary_flow6_v2's, carried over by migrate.c). The value stays 32 bytes
 * as the kernel stores it (values are rounded up to 8 bytes). */
struct canary_flow6 {
	__be32 ep_addr[4]; /* endpoint chosen for the flow */
	__be16 ep_port;    /* target port */
	__u8 version;      /* version index at the time of the choice */
	__u8 flags;        /* CANARY_FLOW_F_* */
	__u32 svc_id;      /* service id, for counters */
	__be16 snat_port;  /* with CANARY_FLOW_F_SNAT: our source port */
	__u16 seen;        /* last packet, canary_stamp() units; 0: unknown */
	__u32 hs_stamp;    /* as canary_flow's */
};
_Static_assert(sizeof(struct canary_flow6) == 32, "canary_flow6 size");
#define CANARY_FLOW6_V1_SIZE 24 /* canary_flow6's value, before v2 */
#define CANARY_FLOW6_V2_SIZE 28 /* canary_flow6_v2's value, before v3 */

/*
 * canary_snat6 (LRU hash): canary_snat for IPv6, the way back of a
 * source-NATed IPv6 flow, keyed by its reply as it comes back to this
 * node: endpoint -> node address6:snat_port.
 */
struct canary_snat6_key {
	__be32 ep_addr[4]; /* reply source: the endpoint */
	__be16 ep_port;    /* its port */
	__be16 snat_port;  /* reply destination port on this node */
	__u8 proto;        /* CANARY_PROTO_* */
	__u8 reserved[3];  /* zero */
};
_Static_assert(sizeof(struct canary_snat6_key) == 24, "canary_snat6_key size");

struct canary_snat6 {
	__be32 client[4];  /* original source */
	__be32 vip[4];     /* what the client talked to */
	__be16 client_port;
	__be16 vport;
};
_Static_assert(sizeof(struct canary_snat6) == 36, "canary_snat6 size");

struct canary_backend6_key {
	__be32 addr[4];  /* endpoint address */
	__be16 port;     /* endpoint (target) port */
	__u8 proto;      /* CANARY_PROTO_* */
	__u8 gen;        /* config generation */
};
_Static_assert(sizeof(struct canary_backend6_key) == 20,
	       "canary_backend6_key size");

struct canary_backend6_svc {
	__be32 vip[4];    /* a service this endpoint serves */
	__be16 port;      /* its service port */
	__u16 reserved;   /* zero */
};

struct canary_backend6 {
	__u32 n;                                           /* entries used */
	struct canary_backend6_svc svc[CANARY_BACKEND_SVCS]; /* candidates */
};
_Static_assert(sizeof(struct canary_backend6) == 4 + 20 * CANARY_BACKEND_SVCS,
	       "canary_backend6 size");

/* canary_pins6 (LPM trie): as canary_pins; prefixlen = 32 + CIDR length. */
struct canary_pin6_key {
	__u32 prefixlen;  /* 32 + CIDR prefix length (0..128) */
	__be32 scope;     /* htonl(svc_id * CANARY_GENERATIONS + gen) */
	__be32 addr[4];   /* client network */
};
_Static_assert(sizeof(struct canary_pin6_key) == 24, "canary_pin6_key size");
/* value: struct canary_pin */

/* canary_sock6 (socket storage): canary_sock for IPv6 services. */
struct canary_sock6 {
	__be32 vip[4];     /* what the application asked for */
	__be32 ep_addr[4]; /* what the socket really talks to */
	__be16 vport;
	__be16 ep_port;
	__u32 svc_id;      /* for counters */
	__u8 version;
	__u8 reserved[3];  /* zero */
};
_Static_assert(sizeof(struct canary_sock6) == 44, "canary_sock6 size");

/*
 * Connection health (issue 17). Its maps all have new names: a pin dir made
 * before them gets them created empty at the in-place upgrade, and empty
 * means "nothing counted yet" and "no guard".
 *
 * canary_health (per-CPU hash, no prealloc, key id * MAX_VERSIONS +
 * version as canary_stats' index, made by the data plane at a version's
 * first connection; no entry: all zero): what became of each version's
 * new connections, as this node sees them.
 *
 * TCP. A client's SYN that the data plane places is a new connection;
 * its time is kept in its flow entry (canary_flow_v3's hs_stamp and
 * CANARY_FLOW_HS_* state) until the endpoint answers.
 * The endpoint's SYN-ACK (seen by tc egress on its way to the client, or
 * by ingress for a source-NATed flow) ends the handshake: its time goes
 * into the histogram. A RST instead of the SYN-ACK is refused. A RST
 * from the endpoint within CANARY_EARLY_RESET_MS of its SYN-ACK is
 * reset_early (accepted, then dropped: a crashing server, an accept
 * queue that overflowed with tcp_abort_on_overflow). A SYN still not
 * answered CANARY_SYN_TIMEOUT_MS after it was seen is unanswered,
 * counted when the client sends it again (its retransmission, 1 s later
 * by Linux's default), so a client that gives up without retrying is
 * not counted. A node sees both directions only when replies leave
 * through an interface canary-bpf is attached to (or come back to it,
 * source-NATed); otherwise it counts new connections and nothing else.
 *
 * UDP. A new flow is a new connection; an ICMP destination unreachable
 * from the endpoint's side about the flow is refused (each one the
 * endpoint's kernel sends, which it rate-limits); nothing is timed.
 */
#ifndef CANARY_HS_BUCKETS
#define CANARY_HS_BUCKETS 24 /* handshake histogram buckets, log2 microseconds */
#endif
#ifndef CANARY_SYN_TIMEOUT_MS
#define CANARY_SYN_TIMEOUT_MS 500 /* a SYN unanswered this long is unanswered:
				   * under the 1 s initial RTO, far above a
				   * healthy SYN-ACK's time */
#endif
#ifndef CANARY_EARLY_RESET_MS
#define CANARY_EARLY_RESET_MS 1000 /* a RST this soon after the SYN-ACK is
				    * reset_early, ms */
#endif

struct canary_health {
	__u64 new_conns;   /* TCP SYNs placed on this version; UDP new flows */
	__u64 refused;     /* SYN answered by RST; UDP: ICMP unreachable */
	__u64 reset_early; /* RST within CANARY_EARLY_RESET_MS of the SYN-ACK */
	__u64 unanswered;  /* SYN still unanswered after CANARY_SYN_TIMEOUT_MS */
	__u64 handshakes;  /* SYN-ACKs timed: the sum of hs_bucket[] */
	__u64 hs_us_total; /* their handshake times added up, microseconds */
	/* Handshake times (SYN in to SYN-ACK out, at this node): bucket b
	 * holds [2^b, 2^(b+1)) us (bucket 0 also < 1 us), the last one
	 * everything from 2^(CANARY_HS_BUCKETS - 1) us (8.4 s) up. */
	__u64 hs_bucket[CANARY_HS_BUCKETS];
};
_Static_assert(sizeof(struct canary_health) == 48 + 8 * CANARY_HS_BUCKETS,
	       "canary_health size");

/*
 * canary_sockhs (socket storage): a TCP socket that socket-level
 * balancing sent to an endpoint, between its SYN and the end of its
 * early-reset window, followed by the kernel's own callbacks (sockops):
 * the SYN sent, the connection established, a SYN retransmitted, the
 * socket closed. (Older releases kept a packet-path connection's
 * handshake in LRU tables of this value too, canary_hs and canary_hs6;
 * its flow entry holds it now, CANARY_FLOW_HS_*.)
 */
struct canary_hs {
	__u64 ts_ns;      /* CLOCK_MONOTONIC: the SYN, then the SYN-ACK */
	__u32 svc_id;     /* the connection's service */
	__u8 version;     /* and version */
	__u8 state;       /* CANARY_HS_* */
	__u16 reserved;   /* zero */
};
_Static_assert(sizeof(struct canary_hs) == 16, "canary_hs size");

/* canary_hs.state; in a flow entry, CANARY_FLOW_HS(state) */
#define CANARY_HS_SYN 0      /* SYN seen, no answer yet */
#define CANARY_HS_LATE 1     /* SYN unanswered, counted as such */
#define CANARY_HS_OPEN 2     /* SYN-ACK seen at ts_ns */

/*
 * canary_svcguard (array, MAX_SERVICES entries, index service id): the
 * guard of a service (apply file `guard:`, `canary-bpf guard`, the
 * agent's annotation) and its state. User space writes the config and
 * (re)arms by zeroing v[]; the data plane counts into v[] with atomic
 * adds from every CPU and sheds.
 *
 * Per non-first version, in tumbling windows of window_ms: the window
 * starts at its first new connection; once window_ms has passed, the
 * next event starts a new one at zero. When a failure (refused,
 * reset_early, unanswered) makes failed * 10000 > max_fail_bps * conns
 * with conns >= min_flows in the current window, the version is shed:
 * from the next new connection on, new flows that pick it (by weight or
 * by a pin) go to the first version instead. Established flows keep
 * their endpoints. It stays shed until user space re-arms it (a weight
 * change, `guard NAME --reset`, a changed guard).
 */
struct canary_svc_guard_ver {
	__u64 win_start_ns; /* CLOCK_MONOTONIC: start of the window counted */
	__u32 conns;        /* new connections in the window */
	__u32 failed;       /* failures in the window */
	__u64 shed_ns;      /* 0: armed; else CLOCK_MONOTONIC time of the shed */
	__u32 shed_conns;   /* conns and failed of the window that shed it */
	__u32 shed_failed;
};
_Static_assert(sizeof(struct canary_svc_guard_ver) == 32, "canary_svc_guard_ver size");

struct canary_svc_guard {
	__u16 flags;          /* CANARY_GUARD_F_* */
	__u16 max_fail_bps;   /* failures above this share of conns shed, bps */
	__u32 min_flows;      /* new connections a window needs to judge */
	__u32 window_ms;      /* window length, ms */
	__u32 sheds;          /* sheds so far (data plane; kept by re-arms) */
	__u64 armed_ns;       /* CLOCK_MONOTONIC of the last (re)arm */
	struct canary_svc_guard_ver v[CANARY_MAX_VERSIONS]; /* v[0] unused */
};
_Static_assert(sizeof(struct canary_svc_guard) == 24 + 32 * CANARY_MAX_VERSIONS,
	       "canary_svc_guard size");

/* canary_svcguard.flags */
#define CANARY_GUARD_F_ON (1 << 0) /* configured; else every other field 0 */

/* Ingress attach modes, as recorded in link pin names. */
enum canary_mode {
	CANARY_MODE_NATIVE = 0,  /* native (driver) XDP */
	CANARY_MODE_GENERIC = 1, /* generic (skb) XDP */
	CANARY_MODE_TC = 2,      /* tc ingress instead of XDP */
};

#endif /* CANARY_H */
