/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP fast path past a local bridge: canary_port, a copy of the
 * kernel's bridge FDB ({bridge, MAC} -> port), read with one netlink dump
 * (RTM_GETNEIGH, AF_BRIDGE) through libmnl.
 */
#ifndef CANARY_USER_BRIDGE_H
#define CANARY_USER_BRIDGE_H

#include <stdbool.h>
#include <linux/types.h>

struct nlmsghdr;
struct canary_state;

#define BRIDGE_MAX 16 /* bridges registered with attach --bridge */

/* One entry of the bridge FDB dump. */
struct fdb_entry {
	__u32 bridge;   /* NDA_MASTER */
	__u32 port;     /* ndm_ifindex */
	__u8 mac[6];    /* NDA_LLADDR */
	bool local;     /* the port's own address (NUD_PERMANENT) */
};

/*
 * Parses one RTM_NEWNEIGH message of an AF_BRIDGE dump into @e. Returns 1
 * for an entry behind a port of a bridge, 0 for anything else (the
 * bridge's own addresses, entries of devices that are no bridge port,
 * other families), or -EINVAL for a malformed message.
 */
int bridge_fdb_parse(const struct nlmsghdr *nlh, struct fdb_entry *e);

/* Whether the interface named @name is a bridge. */
bool bridge_is_bridge(const char *name);

/* Registers bridge @ifindex (attach --bridge): its ports join canary_tx
 * at every bridge_sync(). 0 or a negative errno. */
int bridge_register(struct canary_state *st, __u32 ifindex);

/*
 * Brings canary_port up to date with the kernel's bridge FDB: adds the
 * veth ports of registered bridges to canary_tx, copies every learned or
 * static entry whose port is in canary_tx, then removes the entries no
 * longer in the FDB. Does nothing when no bridge is registered and
 * canary_tx is empty. Returns 0 or a negative errno (canary_port then
 * stays as it was).
 */
int bridge_sync(struct canary_state *st);

/* Empties canary_port, registrations included (detach of the last
 * interface). */
void bridge_clear(struct canary_state *st);

#endif /* CANARY_USER_BRIDGE_H */
