/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps, pinned by name under the pin directory so that every load of
 * the programs (re-attach, upgrade, another interface) shares one state.
 * Layouts are in include/canary.h.
 */
#ifndef CANARY_BPF_MAPS_H
#define CANARY_BPF_MAPS_H

#include "common.h"
/* Active and previous config generation, flipped by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_genstate);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_gen SEC(".maps");

/* Services and their live slots (include/canary.h). Not preallocated:
 * an entry is 56 bytes plus the kernel's element header, for the
 * services there are, not for every possible one. One entry per service
 * port: room for twice as many as one generation of the older canary_svc
 * had (a multi-port service takes one per port). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_SVC_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_svc_key);
	__type(value, struct canary_svc_slots);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_svc_v2 SEC(".maps"); /* CANARY_MAP_SVC */

/* Values of about 1 KiB, allocated on use rather than up front. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries,
	       CANARY_MAX_SERVICES * CANARY_MAX_VERSIONS * CANARY_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_ver_key);
	__type(value, struct canary_ver);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_ver SEC(".maps");

/* Maglev tables in 4 KiB chunks; read only for new flows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_RING_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_ring_key);
	__type(value, struct canary_ring);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_ring_v2 SEC(".maps"); /* CANARY_MAP_RING */

/* May this address be a VIP? (include/canary.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CANARY_GENERATIONS);
	__type(key, __u32);
	__type(value, struct canary_vips);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_vips SEC(".maps");

/* Never read by the programs: services by name, for user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_MAX_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_name_key);
	__type(value, struct canary_name);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_names SEC(".maps");

/* Flow idle timeouts (include/canary.h); all zero: the defaults. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_flowcfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_flowcfg SEC(".maps");

/* The SYN flood guard's per-CPU window and counters (canary.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_guard);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_guard SEC(".maps");

/* Until when the reply path matches SYN-ACKs by placement (canary.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_flood);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_flood SEC(".maps");

/* The flow clock next to CLOCK_MONOTONIC, for user space (canary.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_clock);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_clock SEC(".maps");

/* Never read by the programs: names and asked-for weights for user space.
 * About 500 bytes per config slot written, allocated as written. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_MAX_SERVICES * CANARY_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct canary_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_meta_v3 SEC(".maps"); /* CANARY_MAP_META */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CANARY_FLOW_ENTRIES);
	/* One common LRU list: the table holds its size in flows whichever
	 * CPUs they arrive on. Per-CPU lists (BPF_F_NO_COMMON_LRU) made an
	 * insert ~35 % cheaper here but gave each CPU only size / CPUs
	 * entries: half the table on this 2-core machine when one receive
	 * queue carries all new flows. */
	__type(key, struct canary_flow_key);
	__type(value, struct canary_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_flow_v3 SEC(".maps"); /* CANARY_MAP_FLOW */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_MAX_BACKENDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_backend_key);
	__type(value, struct canary_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CANARY_MAX_SERVICES * CANARY_MAX_VERSIONS);
	__type(key, __u32);
	__type(value, struct canary_vstats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_global);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_global SEC(".maps");

/* Client pins, read only for new flows of services with pins. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CANARY_MAX_PIN_ENTRIES * CANARY_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_pin_key);
	__type(value, struct canary_pin);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_pins SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CANARY_MAX_PIN_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_pinstat SEC(".maps");

/* Per-socket choices of cgroup socket load balancing. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct canary_sock);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_sock SEC(".maps");

/* The way back for source-NATed flows; as big as the flow table. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CANARY_FLOW_ENTRIES);
	__type(key, struct canary_snat_key);
	__type(value, struct canary_snat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_snat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_node);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_node_v2 SEC(".maps"); /* CANARY_MAP_NODE */

/* Never read by the programs: counters user space keeps. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_ustat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_ustat SEC(".maps");

/* Read by no program: user space's record of its transactions. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct canary_txn);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_txn SEC(".maps");

/* IPv6 twins of canary_svc, canary_ver, canary_flow_v3, canary_backend and
 * canary_pins (see include/canary.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_SVC_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_svc6_key);
	__type(value, struct canary_svc_slots);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_svc6_v2 SEC(".maps"); /* CANARY_MAP_SVC6 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries,
	       CANARY_MAX_SERVICES * CANARY_MAX_VERSIONS * CANARY_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_ver_key);
	__type(value, struct canary_ver6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_ver6 SEC(".maps");

/* Sized like canary_flow_v3 by the loader (attach --flow-entries). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CANARY_FLOW_ENTRIES);
	__type(key, struct canary_flow6_key);
	__type(value, struct canary_flow6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_flow6_v3 SEC(".maps"); /* CANARY_MAP_FLOW6 */

/* The way back for source-NATed IPv6 flows; sized like the flow table. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CANARY_FLOW_ENTRIES);
	__type(key, struct canary_snat6_key);
	__type(value, struct canary_snat6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_snat6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_MAX_BACKENDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_backend6_key);
	__type(value, struct canary_backend6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_backend6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CANARY_MAX_PIN_ENTRIES * CANARY_GENERATIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_pin6_key);
	__type(value, struct canary_pin);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_pins6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct canary_sock6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_sock6 SEC(".maps");

/* Connection outcomes per service and version (include/canary.h). A hash
 * without preallocation: 240 bytes per CPU for each version that had a
 * connection, not for every possible one (an array would take 15 MiB per
 * CPU up front). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CANARY_MAX_SERVICES * CANARY_MAX_VERSIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct canary_health);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_health SEC(".maps");

/* Handshake state of balanced TCP sockets (socket-level balancing). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct canary_hs);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_sockhs SEC(".maps");

/* Per-service guard: config from user space, windows and sheds from the
 * data plane (atomic adds: one entry for every CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CANARY_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct canary_svc_guard);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_svcguard SEC(".maps");

/*
 * Devices XDP may redirect translated packets to (attach --redirect-dev).
 * A device that cannot take XDP frames (a bridge, or a veth whose peer has
 * neither XDP nor GRO) would drop them, so only listed devices qualify;
 * everything else goes up the kernel's own forwarding path.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
	/* Pinned by the loader, not by libbpf: the kernel adds
	 * BPF_F_RDONLY_PROG to every devmap, and libbpf 1.1 then refuses to
	 * reuse the pin as "parameter mismatch". */
} canary_tx SEC(".maps");

/* Bridge FDB copy for redirecting past a bridge (see include/canary.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CANARY_MAX_PORT_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct canary_port_key);
	__type(value, struct canary_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} canary_port SEC(".maps");

/*
 * XDP's cache of FIB lookups (bpf/fib.h): per CPU, direct mapped. Private
 * to one load of the programs (not pinned, never read by user space): it
 * starts empty, and is only ever a copy of what the kernel's FIB says.
 */
#ifndef FIB_CACHE_SLOTS
#define FIB_CACHE_SLOTS 256 /* slots per CPU, a power of 2 (72 B each) */
#endif

/* Where a forwarded frame goes: what a successful FIB lookup found. */
struct fib_answer {
	__u32 ifindex; /* egress device */
	__u8 smac[6];  /* MACs */
	__u8 dmac[6];
};

struct fib_cache_slot {
	__u32 src[4];      /* the question: source (IPv4: src[0]) */
	__u32 dst[4];      /* destination */
	__u32 iif;         /* ingress device */
	__be32 flowinfo;   /* IPv6 flow label; 0 for IPv4 */
	__u8 family;       /* AF_INET or AF_INET6 */
	__u8 proto;        /* L4 protocol */
	__u8 tos;          /* IPv4 TOS */
	__u8 ok;           /* the answer: 1 BPF_FIB_LKUP_RET_SUCCESS, 0 any
			    * failure (XDP_PASS) */
	__u16 mtu;         /* egress MTU for this route (mtu_result) */
	__u16 reserved;
	__u64 expires;     /* jiffies; 0: empty */
	struct fib_answer ans; /* when ok */
};
_Static_assert(sizeof(struct fib_cache_slot) == 72, "fib_cache_slot size");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FIB_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct fib_cache_slot);
} canary_fibc SEC(".maps");

/*
 * XDP's notes to canary_tc_fwd (bpf/fwd.h): per CPU, direct mapped by
 * the translated packet's 5-tuple. Private to one load, like canary_fibc.
 */
#ifndef FWD_NOTE_BITS
#define FWD_NOTE_BITS 10 /* 1,024 slots per CPU (64 B each): a slot is
			  * overwritten by another flow's packet between XDP
			  * and tc (up to a GRO batch apart) rarely */
#endif

struct fwd_note {
	__u32 src[4];    /* the packet as XDP sent it on: source (IPv4: src[0]) */
	__u32 dst[4];    /* destination, the endpoint */
	__be16 sport;
	__be16 dport;
	__u8 family;     /* AF_INET or AF_INET6 */
	__u8 proto;      /* L4 protocol */
	__u16 reserved;
	__u64 stamp;     /* jiffies when written; 0: empty or used */
	struct fib_answer ans; /* XDP's FIB answer for it */
};
_Static_assert(sizeof(struct fwd_note) == 64, "fwd_note size");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << FWD_NOTE_BITS);
	__type(key, __u32);
	__type(value, struct fwd_note);
} canary_fwdnote SEC(".maps");

/*
 * Per-CPU room for the ICMPv6 error being translated on the ingress path
 * (struct icmp6_scratch, completed in icmp6.h, the one user). On the
 * stack, the quote and its rewrite (about 160 bytes) pushed the inlined
 * ingress program past the 512-byte BPF stack; as a global function's
 * frame they did too, on top of the caller's. A packet's program runs to
 * its end on one CPU, and nothing here outlives it: not pinned, never
 * read by user space.
 */
struct icmp6_scratch;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct icmp6_scratch);
} canary_scratch6 SEC(".maps");

#endif /* CANARY_BPF_MAPS_H */
