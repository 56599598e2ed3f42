/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Netlink helpers shared by the bridge FDB copy (bridge.c) and the local
 * fast path (fastpath.c); internal to user/dataplane/.
 */
#ifndef CANARY_USER_NL_H
#define CANARY_USER_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <libmnl/libmnl.h>

/* Sends @req on a new NETLINK_ROUTE or NETLINK_GENERIC socket and runs
 * @cb over every answer until the end of the dump (or the one answer).
 * 0 or -errno. */
int nl_talk(int bus, struct nlmsghdr *req, mnl_cb_t cb, void *data);

/* Devices whose xdp_features say they take redirected frames now. */
struct xmit_set {
	__u32 *ifindex;
	size_t n, cap;
	bool known;     /* the kernel told us (Linux 6.3 and later) */
};

/*
 * Which devices take XDP frames now (NETDEV_XDP_ACT_NDO_XMIT: for a veth,
 * only while its peer has NAPI, i.e. GRO or an XDP program; otherwise
 * the kernel drops what is redirected to it). On a kernel without the
 * "netdev" generic netlink family @x stays unknown. Free x->ifindex.
 */
void xmit_read(struct xmit_set *x);

/* Whether @ifindex is in @x. */
bool xmit_takes(const struct xmit_set *x, __u32 ifindex);

/* Whether @ifindex is a veth: the only kind of device the fast path adds
 * on its own (an uplink or a VXLAN device may not take XDP frames). */
bool dev_is_veth(__u32 ifindex);

#endif /* CANARY_USER_NL_H */
