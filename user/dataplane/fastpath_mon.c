// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Netlink events that change the fast path (see fastpath.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "dataplane/fastpath.h"
#include "dataplane/nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define MON_BUF_SIZE 32768
#define MON_MAX_READS 64 /* per wait: a storm is one change, read later */

struct genl_group {
	__u16 family;
	__u32 mgmt;      /* the "mgmt" multicast group, 0 if not found */
};

static int grp_attr(const struct nlattr *a, void *data)
{
	const struct nlattr *in;
	const char *name = NULL;
	__u32 id = 0;

	mnl_attr_for_each_nested(in, a) {
		if (mnl_attr_get_type(in) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(in, MNL_TYPE_STRING) == 0)
			name = mnl_attr_get_str(in);
		if (mnl_attr_get_type(in) == CTRL_ATTR_MCAST_GRP_ID &&
		    mnl_attr_validate(in, MNL_TYPE_U32) == 0)
			id = mnl_attr_get_u32(in);
	}
	if (name && !strcmp(name, "mgmt"))
		((struct genl_group *)data)->mgmt = id;
	return MNL_CB_OK;
}

static int netdev_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl_group *g = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			g->family = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mnl_attr_parse_nested(a, grp_attr, g);
	}
	return MNL_CB_OK;
}

/* The netdev family's "mgmt" group (xdp_features changes), or 0. */
static __u32 netdev_mgmt_group(void)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct genl_group grp = {};

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "netdev");
	if (nl_talk(NETLINK_GENERIC, nlh, netdev_family_cb, &grp))
		return 0;
	return grp.mgmt;
}

static struct mnl_socket *mon_socket(int bus, unsigned int groups)
{
	struct mnl_socket *nl = mnl_socket_open(bus);

	if (nl && mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

int fastpath_monitor_open(struct fastpath_monitor *m)
{
	__u32 grp;

	memset(m, 0, sizeof(*m));
	m->rt = mon_socket(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_NEIGH);
	if (!m->rt)
		return -errno;
	grp = netdev_mgmt_group();
	if (grp)
		m->gen = mon_socket(NETLINK_GENERIC, 0);
	if (m->gen && setsockopt(mnl_socket_get_fd(m->gen), SOL_NETLINK,
				 NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		mnl_socket_close(m->gen);
		m->gen = NULL;
	}
	return 0;
}

/* Whether route message @nlh changes the fast path: any link message,
 * and neighbour messages of the bridge FDB (not ARP / NDP). */
static int rt_relevant(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK) {
		*(int *)data = 1;
	} else if ((nlh->nlmsg_type == RTM_NEWNEIGH ||
		    nlh->nlmsg_type == RTM_DELNEIGH) &&
		   mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ndm)) {
		ndm = mnl_nlmsg_get_payload(nlh);
		if (ndm->ndm_family == AF_BRIDGE)
			*(int *)data = 1;
	}
	return MNL_CB_OK;
}

/* Reads what @nl holds without blocking; sets *@hit on a relevant one
 * (every generic netlink notification of the group is). 0 or -errno. */
static int mon_drain(struct mnl_socket *nl, bool generic, int *hit)
{
	static char buf[MON_BUF_SIZE];
	int n, reads;

	for (reads = 0; reads < MON_MAX_READS; reads++) {
		n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			*hit = 1; /* overrun: something was missed */
			continue;
		}
		if (n < 0)
			return -errno;
		if (generic)
			*hit = 1;
		else
			mnl_cb_run(buf, n, 0, 0, rt_relevant, hit);
	}
	return 0;
}

int fastpath_monitor_wait(struct fastpath_monitor *m, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = mnl_socket_get_fd(m->rt), .events = POLLIN },
		{ .fd = m->gen ? mnl_socket_get_fd(m->gen) : -1, .events = POLLIN },
	};
	int hit = 0, err;

	if (poll(p, 2, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	err = mon_drain(m->rt, false, &hit);
	if (!err && m->gen)
		err = mon_drain(m->gen, true, &hit);
	return err ? err : hit;
}

void fastpath_monitor_close(struct fastpath_monitor *m)
{
	if (m->rt)
		mnl_socket_close(m->rt);
	if (m->gen)
		mnl_socket_close(m->gen);
	m->rt = m->gen = NULL;
}
