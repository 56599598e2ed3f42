// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The automatic fast path to local pods (see fastpath.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>

#include "canary.h"
#include "dataplane/fastpath.h"
#include "dataplane/links.h"
#include "dataplane/nl.h"
#include "dataplane/state.h"
#include "util/log.h"

static const __u8 fp_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const __u8 fp_peer_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };

static struct canary_port_key fp_key(__u32 ifindex)
{
	struct canary_port_key k = { .ifindex = ifindex };

	memcpy(k.mac, fp_mac, sizeof(k.mac));
	return k;
}

static struct canary_port_key fp_peer_key(__u32 ifindex)
{
	struct canary_port_key k = { .ifindex = ifindex };

	memcpy(k.mac, fp_peer_mac, sizeof(k.mac));
	return k;
}

bool fastpath_is_key(const struct canary_port_key *k)
{
	return !memcmp(k->mac, fp_mac, sizeof(fp_mac));
}

bool fastpath_is_peer_key(const struct canary_port_key *k)
{
	return !memcmp(k->mac, fp_peer_mac, sizeof(fp_peer_mac));
}

bool fastpath_auto_in(const struct canary_port_key *keys, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!keys[i].ifindex && fastpath_is_key(&keys[i]))
			return true;
	return false;
}

int fastpath_set_auto(struct canary_state *st, bool on)
{
	struct canary_port_key k = fp_key(0);
	struct canary_port v = { .ifindex = 0 };

	if (state_open_port(st) < 0)
		return -ENOENT;
	if (on)
		return bpf_map_update_elem(st->port_fd, &k, &v, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(st->port_fd, &k) && errno != ENOENT)
		return -errno;
	return 0;
}

void fastpath_forget(struct canary_state *st, __u32 ifindex)
{
	struct canary_port_key k = fp_key(ifindex);

	if (state_open_port(st) == 0)
		bpf_map_delete_elem(st->port_fd, &k);
}

static bool tx_has(struct canary_state *st, __u32 ifindex)
{
	__u32 v;

	return bpf_map_lookup_elem(st->tx_fd, &ifindex, &v) == 0;
}

/* Removes the automatic mode's device @ifindex: out of canary_tx first,
 * so XDP never redirects to a device no key accounts for. */
static void auto_drop(struct canary_state *st, __u32 ifindex, bool gone)
{
	struct canary_port_key k = fp_key(ifindex);
	char name[IF_NAMESIZE] = "?";

	bpf_map_delete_elem(st->tx_fd, &ifindex);
	bpf_map_delete_elem(st->port_fd, &k);
	if (!gone && if_indextoname(ifindex, name))
		pr_info("fast path: '%s' takes no XDP frames now (its peer has "
			"neither GRO nor an XDP program): the kernel forwards to it\n",
			name);
}

/* Adds veth @ifindex: its key first, so that it is always removable. */
static void auto_add(struct canary_state *st, __u32 ifindex)
{
	struct canary_port_key k = fp_key(ifindex);
	struct canary_port v = { .ifindex = ifindex };
	char name[IF_NAMESIZE] = "?";

	if_indextoname(ifindex, name);
	if (bpf_map_update_elem(st->port_fd, &k, &v, BPF_ANY) ||
	    bpf_map_update_elem(st->tx_fd, &ifindex, &ifindex, BPF_ANY)) {
		pr_warn("Couldn't add '%s' to %s: %s\n", name, CANARY_MAP_TX,
			strerror(errno));
		bpf_map_delete_elem(st->port_fd, &k);
		return;
	}
	pr_debug("fast path: '%s' takes XDP frames: XDP redirects to it\n", name);
}

const char *fastpath_path_name(enum fastpath_path p)
{
	if (p == FASTPATH_XDP_REDIRECT)
		return "xdp_redirect";
	return p == FASTPATH_TC_REDIRECT ? "tc_redirect" : "kernel";
}

/* One link of the dump, as the report needs it. */
struct fp_link {
	__u32 ifindex;
	__u32 master;
	bool veth;
	bool pod;       /* its peer is in another namespace */
	char name[IF_NAMESIZE];
};

struct fp_links {
	struct fp_link *l;
	int n, max;
};

static int info_attr(const struct nlattr *a, void *data)
{
	struct fp_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		l->veth = !strcmp(mnl_attr_get_str(a), "veth");
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	struct fp_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->master = mnl_attr_get_u32(a);
		break;
	case IFLA_LINK_NETNSID:
		l->pod = true;
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, info_attr, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fp_links *ls = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct fp_link l = {};

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	l.ifindex = ifi->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &l);
	if (l.veth && l.pod && ls->n < ls->max)
		ls->l[ls->n++] = l;
	return MNL_CB_OK;
}

/* The veths of this namespace whose peer is elsewhere, one dump. */
static int pod_links(struct fp_links *ls)
{
	char buf[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg))];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return nl_talk(NETLINK_ROUTE, nlh, link_cb, ls);
}

/* canary_port read once for the report: keys and their ports. */
struct fp_ports {
	struct canary_port_key *k;
	__u32 *port;
	int n;
	bool tc_fwd;    /* canary_tc_fwd is attached somewhere */
};

/* What canary_port says about device @ifindex: whether the automatic
 * mode is on and added it, and how many FDB entries lead to it. */
struct fp_port_view {
	bool auto_on;
	bool auto_dev;
	bool tc_fwd;
	bool peer;      /* it has a peer key: tc may use bpf_redirect_peer() */
	int fdb;
};

static void note_fwd(const char *path, int ifindex, enum link_kind kind,
		     void *arg)
{
	(void)ifindex;
	if (kind == LINK_TC_FWD && link_is_live(path))
		*(bool *)arg = true;
}

/* Reads canary_port into @ps (free ps->k). 0 or -ENOMEM. */
static int ports_read(struct canary_state *st, struct fp_ports *ps)
{
	struct canary_port_key *prev = NULL;
	struct canary_port v;

	memset(ps, 0, sizeof(*ps));
	links_for_each(st->pin_dir, 0, note_fwd, &ps->tc_fwd);
	ps->k = calloc(CANARY_MAX_PORT_ENTRIES,
		       sizeof(*ps->k) + sizeof(*ps->port));
	if (!ps->k)
		return -ENOMEM;
	ps->port = (__u32 *)(ps->k + CANARY_MAX_PORT_ENTRIES);
	while (ps->n < CANARY_MAX_PORT_ENTRIES &&
	       bpf_map_get_next_key(st->port_fd, prev, &ps->k[ps->n]) == 0) {
		prev = &ps->k[ps->n];
		if (bpf_map_lookup_elem(st->port_fd, prev, &v) == 0)
			ps->port[ps->n++] = v.ifindex;
	}
	return 0;
}

static void port_view(const struct fp_ports *ps, __u32 ifindex,
		      struct fp_port_view *pv)
{
	static const __u8 zero[6];
	int i;

	memset(pv, 0, sizeof(*pv));
	pv->tc_fwd = ps->tc_fwd;
	for (i = 0; i < ps->n; i++) {
		const struct canary_port_key *k = &ps->k[i];

		if (fastpath_is_key(k)) {
			pv->auto_on |= !k->ifindex;
			pv->auto_dev |= k->ifindex == ifindex;
		} else if (fastpath_is_peer_key(k)) {
			pv->peer |= k->ifindex == ifindex;
		} else if (memcmp(k->mac, zero, sizeof(zero))) {
			pv->fdb += ps->port[i] == ifindex;
		}
	}
}

/* The path and reason of pod veth @l when it is not in canary_tx. */
static void why_kernel(const struct fp_port_view *pv, const struct xmit_set *x,
		       const struct fp_link *l, struct fastpath_dev *d)
{
	(void)l;
	d->path = pv->auto_on && pv->tc_fwd ? FASTPATH_TC_REDIRECT :
					      FASTPATH_KERNEL;
	if (!pv->auto_on)
		d->reason = "automatic fast path off (attach --fast-path listed) "
			    "and not listed with --redirect-dev";
	else if (!pv->tc_fwd)
		d->reason = "XDP cannot send to it, and no tc program is "
			    "attached next to XDP (tc mode, or an older attach)";
	else if (!x->known)
		d->reason = "this kernel does not say which devices take XDP "
			    "frames (xdp_features, Linux 6.3): list it with "
			    "--redirect-dev";
	else if (!xmit_takes(x, d->ifindex) && pv->peer && !d->bridge[0])
		d->reason = "its peer, the pod's eth0, takes no XDP frames "
			    "(neither GRO nor an XDP program on it): XDP "
			    "translates, tc hands it to the pod's eth0 "
			    "(bpf_redirect_peer)";
	else if (!xmit_takes(x, d->ifindex))
		d->reason = "its peer, the pod's eth0, takes no XDP frames "
			    "(neither GRO nor an XDP program on it): XDP "
			    "translates, tc redirects";
	else
		d->reason = "new: XDP redirects to it from the next refresh "
			    "(config change, agent pass or netlink event), tc "
			    "until then";
}

/* The path and reason of pod veth @l, in canary_tx or not. */
static void dev_path(struct canary_state *st, const struct fp_ports *ps,
		     const struct xmit_set *x, const struct fp_link *l,
		     struct fastpath_dev *d)
{
	struct fp_port_view pv;

	port_view(ps, l->ifindex, &pv);
	d->listed = tx_has(st, l->ifindex) && !pv.auto_dev;
	if (!tx_has(st, l->ifindex))
		return why_kernel(&pv, x, l, d);
	d->path = FASTPATH_XDP_REDIRECT;
	if (x->known && !xmit_takes(x, l->ifindex))
		d->reason = "listed with --redirect-dev, but its peer takes no "
			    "XDP frames now: the kernel drops what XDP sends it";
	else if (d->bridge[0] && !pv.fdb) {
		d->path = pv.auto_on && pv.tc_fwd ? FASTPATH_TC_REDIRECT :
						    FASTPATH_KERNEL;
		d->reason = "its pod's MAC is not in the copy of the bridge FDB "
			    "yet (the pod has not talked since the last refresh)";
	} else if (d->bridge[0])
		d->reason = pv.auto_dev ? "past the bridge: its peer takes XDP "
					  "frames (GRO or an XDP program)" :
					  "past the bridge: listed";
	else
		d->reason = pv.auto_dev ? "its peer takes XDP frames (GRO or an "
					  "XDP program on the pod's eth0)" :
					  "listed with --redirect-dev";
}

/* Whether @ifindex is one of @ls's veths (peer in another namespace): a
 * pod's, or a veth we are attached to, out of which XDP then sends back
 * what goes that way (source-NATed flows, their replies). */
static bool pod_dev(const struct fp_links *ls, __u32 ifindex)
{
	int i;

	for (i = 0; i < ls->n; i++)
		if (ls->l[i].ifindex == ifindex)
			return true;
	return false;
}

/* The peer keys: one for each of @ls's veths (none while @on is false),
 * those of veths gone or no longer @ls's removed. */
static void sync_peers(struct canary_state *st, const struct fp_links *ls,
		       const struct canary_port_key *keys, int n, bool on)
{
	struct canary_port_key k;
	struct canary_port v;
	int i;

	for (i = 0; i < n; i++)
		if (fastpath_is_peer_key(&keys[i]) &&
		    (!on || !pod_dev(ls, keys[i].ifindex)))
			bpf_map_delete_elem(st->port_fd, &keys[i]);
	for (i = 0; on && i < ls->n; i++) {
		k = fp_peer_key(ls->l[i].ifindex);
		v.ifindex = ls->l[i].ifindex;
		if (bpf_map_lookup_elem(st->port_fd, &k, &v) &&
		    bpf_map_update_elem(st->port_fd, &k, &v, BPF_ANY))
			pr_warn("Couldn't add '%s' to %s: %s\n", ls->l[i].name,
				CANARY_MAP_PORT, strerror(errno));
	}
}

void fastpath_sync(struct canary_state *st, const struct xmit_set *x,
		   const struct canary_port_key *keys, int n)
{
	struct fp_links ls = { .max = FASTPATH_MAX_PODS };
	bool on = fastpath_auto_in(keys, n);
	size_t j;
	int i;

	ls.l = on ? calloc(ls.max, sizeof(*ls.l)) : NULL;
	if (on && (!ls.l || pod_links(&ls))) {
		pr_warn("fast path: Couldn't list the links; kept as it was\n");
		free(ls.l);
		return;
	}
	for (i = 0; i < n; i++) {
		__u32 idx = keys[i].ifindex;

		if (!idx || !fastpath_is_key(&keys[i]))
			continue;
		if (!on || !x->known || !xmit_takes(x, idx) ||
		    !pod_dev(&ls, idx))
			auto_drop(st, idx, !pod_dev(&ls, idx));
	}
	for (j = 0; on && x->known && j < x->n; j++)
		if (!tx_has(st, x->ifindex[j]) && pod_dev(&ls, x->ifindex[j]))
			auto_add(st, x->ifindex[j]);
	sync_peers(st, &ls, keys, n, on);
	free(ls.l);
}

int fastpath_report(struct canary_state *st, struct fastpath_dev *out, int max)
{
	struct fp_links ls = { .max = max };
	struct fp_ports ps = {};
	struct xmit_set x = {};
	int i, n = 0, err;

	if (state_open_port(st) < 0)
		return -ENOENT;
	ls.l = calloc(max > 0 ? max : 1, sizeof(*ls.l));
	err = ls.l ? ports_read(st, &ps) : -ENOMEM;
	if (!err)
		err = pod_links(&ls);
	if (!err)
		xmit_read(&x);
	for (i = 0; !err && i < ls.n; i++) {
		struct fastpath_dev *d = &out[n];

		/* an interface we are attached to is the node's, not a pod's */
		if (links_for_each(st->pin_dir, ls.l[i].ifindex, NULL, NULL))
			continue;
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", ls.l[i].name);
		d->ifindex = ls.l[i].ifindex;
		if (ls.l[i].master)
			if_indextoname(ls.l[i].master, d->bridge);
		dev_path(st, &ps, &x, &ls.l[i], d);
		n++;
	}
	free(x.ifindex);
	free(ps.k);
	free(ls.l);
	return err ? err : n;
}
