/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The fast path to local pods without flags: with the automatic mode on
 * (attach's default, --fast-path auto), every pod veth (a veth of the
 * node's namespace whose peer lives in another one) whose peer takes XDP
 * frames now (its xdp_features say NDO_XMIT: the pod's eth0 has GRO on or
 * an XDP program) joins canary_tx, so XDP redirects translated packets
 * straight into it (routed wiring), or past a bridge into it (bridge
 * wiring: every bridge's FDB entries behind such a port are copied into
 * canary_port). A veth canary-bpf is attached to joins the same way: XDP
 * then sends source-NATed flows and their replies back out of it (by a
 * redirect, see xdp_fib_send() in bpf/). A veth whose peer stops taking XDP
 * frames leaves canary_tx again; a deleted one leaves by the kernel's
 * doing. Refreshed with the bridge FDB copy (bridge_sync(): attach, every
 * config transaction, every agent pass, and the agent's netlink events).
 *
 * A pod veth that takes no XDP frames (or not yet) gets the packet from
 * canary_tc_fwd, on tc ingress next to XDP: XDP translates and passes,
 * leaving tc a note with its FIB answer (bpf/fwd.h; without one, tc
 * finds the flow and asks the FIB itself), and tc sends it, past the
 * node's IP stack and netfilter: into the pod's namespace by
 * bpf_redirect_peer() when the device has a peer key (below), else by
 * bpf_redirect() to the device (a bridge then forwards it to the port).
 * Also only while the automatic mode is on.
 *
 * What the automatic mode put in canary_tx is recorded in canary_port
 * under keys with the MAC ff:ff:ff:ff:ff:ff, which no FIB answer carries
 * as a next hop: {0, ff..ff} means the mode is on, {ifindex, ff..ff}
 * that ifindex was added by it (and is its to remove). --redirect-dev
 * entries are the user's and stay as listed.
 */
#ifndef CANARY_USER_FASTPATH_H
#define CANARY_USER_FASTPATH_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

#define FASTPATH_MAX_PODS 256 /* pod veths looked at: canary_tx's size */

struct canary_state;
struct canary_port_key;
struct mnl_socket;
struct xmit_set;

/* Whether @k is one of the fast path's keys of canary_port. */
bool fastpath_is_key(const struct canary_port_key *k);

/* Whether @k is a peer key {ifindex, ff:ff:ff:ff:ff:fe}: ifindex is a
 * veth whose peer lives in another namespace, which canary_tc_fwd may
 * hand packets to by bpf_redirect_peer(). Kept by fastpath_sync() while
 * the automatic mode is on, for every such veth. */
bool fastpath_is_peer_key(const struct canary_port_key *k);

/* Whether the automatic mode's key is among @keys (@n of them). */
bool fastpath_auto_in(const struct canary_port_key *keys, int n);

/* Turns the automatic mode on or off (off: the devices it added leave
 * canary_tx at the next bridge_sync()). 0 or -errno. */
int fastpath_set_auto(struct canary_state *st, bool on);

/* @ifindex was listed by the user (--redirect-dev): no longer the
 * automatic mode's to remove. */
void fastpath_forget(struct canary_state *st, __u32 ifindex);

/* Brings the automatic mode's devices in canary_tx up to date with @x
 * (what takes XDP frames now); @keys are canary_port's keys (@n). */
void fastpath_sync(struct canary_state *st, const struct xmit_set *x,
		   const struct canary_port_key *keys, int n);

enum fastpath_path {
	FASTPATH_KERNEL,       /* XDP_PASS: the kernel forwards */
	FASTPATH_XDP_REDIRECT, /* XDP redirects into the pod's veth */
	FASTPATH_TC_REDIRECT,  /* XDP_PASS, then tc (canary_tc_fwd) redirects */
};

/* A local pod, as its node-side veth, and the path translated packets to
 * it take. */
struct fastpath_dev {
	char name[IF_NAMESIZE];
	char bridge[IF_NAMESIZE]; /* the bridge it is a port of, or "" */
	__u32 ifindex;
	enum fastpath_path path;
	bool listed;              /* with --redirect-dev (not automatic) */
	const char *reason;       /* why that path, one sentence */
};

/*
 * The local pods: veths of this namespace whose peer lives in another
 * one, at most @max into @out, with their paths. Returns how many, or
 * -errno.
 */
int fastpath_report(struct canary_state *st, struct fastpath_dev *out,
		    int max);

/*
 * What hears the changes that matter to the fast path: links coming and
 * going (RTNLGRP_LINK), bridge FDB entries (RTNLGRP_NEIGH, AF_BRIDGE), and
 * xdp_features (the "netdev" generic netlink family's "mgmt"
 * notifications: a pod turning GRO on), where the kernel has them.
 */
struct fastpath_monitor {
	struct mnl_socket *rt;  /* NETLINK_ROUTE */
	struct mnl_socket *gen; /* NETLINK_GENERIC, NULL without netdev */
};

/* Opens and subscribes; 0 or -errno (only the route socket is needed). */
int fastpath_monitor_open(struct fastpath_monitor *m);

/* Waits up to @timeout_ms for messages and reads what is there. Returns
 * 1 if any was a relevant change, 0 if none (or on the timeout), -errno
 * on a failure (an overrun reads as a change: something was missed). */
int fastpath_monitor_wait(struct fastpath_monitor *m, int timeout_ms);

void fastpath_monitor_close(struct fastpath_monitor *m);

/* "xdp_redirect", "tc_redirect" or "kernel". */
const char *fastpath_path_name(enum fastpath_path p);

#endif /* CANARY_USER_FASTPATH_H */
