/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the flow tables (canary_flow_v3, canary_flow6_v3) entry by entry,
 * for `flows list`: like conntrack -L, without the writers' lock. */
#ifndef CANARY_USER_FLOWS_H
#define CANARY_USER_FLOWS_H

#include "dataplane/state.h"

enum flow_state {
	FLOW_TCP_OPEN,    /* TCP, no FIN or RST seen */
	FLOW_TCP_CLOSING, /* TCP after a FIN or RST */
	FLOW_UDP,         /* UDP */
};

/* One flow entry, decoded. Ports in host order. */
struct flow_row {
	struct canary_addr client, vip, ep;
	__u16 client_port, vport, ep_port;
	__u8 proto;
	__u8 version;        /* version index */
	__u32 svc_id;
	const char *service; /* name in the active generation, or NULL */
	const char *vname;   /* version name, or NULL */
	__u16 snat_port;     /* 0: not source-NATed */
	enum flow_state state;
	long idle_s;         /* seconds since its last packet; -1: unknown
			      * (stamp 0, or no flow clock published yet) */
	bool expired;        /* idle past its state's timeout: counts as gone */
};

/* Called per entry; a non-zero return stops the walk and is returned. */
typedef int (*flow_row_fn)(const struct flow_row *r, void *arg);

/*
 * Calls @fn for every entry of both flow tables (IPv4 first), at most
 * state_flow_walk_limit() steps each: the data plane inserts and evicts
 * meanwhile, so an entry may be missed or gone by the time it is read.
 * Returns 0, @fn's non-zero return, or a negative errno.
 */
int flows_walk(struct canary_state *st, flow_row_fn fn, void *arg);

/* The state's name: "open", "closing" or "udp". */
const char *flow_state_name(enum flow_state s);

#endif /* CANARY_USER_FLOWS_H */
