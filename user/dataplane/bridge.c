// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* canary_port from the kernel's bridge FDB (see bridge.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>

#include "canary.h"
#include "dataplane/bridge.h"
#include "dataplane/fastpath.h"
#include "dataplane/nl.h"
#include "util/log.h"
#include "dataplane/state.h"

/* The generic netlink "netdev" family (Linux 6.3): Debian 12's uapi
 * headers predate linux/netdev.h. */
#define NETDEV_GENL_NAME "netdev"
#define NETDEV_CMD_DEV_GET 1
#define NETDEV_A_DEV_IFINDEX 1
#define NETDEV_A_DEV_XDP_FEATURES 3
#define NETDEV_XDP_ACT_NDO_XMIT (1ULL << 2)

/* Receive buffer: the kernel fills dump messages up to what we read. */
#define DUMP_BUF_SIZE 32768
/* Seconds one netlink answer may take before the sync gives up. */
#define NL_TIMEOUT_S 2
/* Bound on recv() calls of one dump: 32 KiB each is far past any FDB. */
#define DUMP_MAX_READS 65536

struct fdb {
	struct fdb_entry *e;
	size_t n, cap;
};

static int fdb_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NDA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

int bridge_fdb_parse(const struct nlmsghdr *nlh, struct fdb_entry *e)
{
	const struct nlattr *tb[NDA_MAX + 1] = {};
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm))
		return -EINVAL;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_BRIDGE)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*ndm), fdb_attr, tb) != MNL_CB_OK)
		return -EINVAL;
	if (!tb[NDA_MASTER] || !tb[NDA_LLADDR] ||
	    mnl_attr_validate(tb[NDA_MASTER], MNL_TYPE_U32) < 0 ||
	    mnl_attr_get_payload_len(tb[NDA_LLADDR]) != sizeof(e->mac))
		return 0;
	e->bridge = mnl_attr_get_u32(tb[NDA_MASTER]);
	e->port = ndm->ndm_ifindex;
	if (e->port <= 0 || e->bridge == e->port)
		return 0; /* the bridge's own addresses */
	memcpy(e->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), sizeof(e->mac));
	e->local = ndm->ndm_state & NUD_PERMANENT;
	return 1;
}

static int fdb_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fdb *f = data;
	struct fdb_entry e, *grown;
	int ret = bridge_fdb_parse(nlh, &e);

	if (ret < 0)
		errno = EBADMSG; /* nl_talk() reports -errno */
	if (ret <= 0)
		return ret < 0 ? MNL_CB_ERROR : MNL_CB_OK;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		grown = realloc(f->e, f->cap * sizeof(*f->e));
		if (!grown) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		f->e = grown;
	}
	f->e[f->n++] = e;
	return MNL_CB_OK;
}

/* Sends @req on a new NETLINK_ROUTE or NETLINK_GENERIC socket and runs
 * @cb over every answer until the end of the dump (or the one answer).
 * 0 or -errno. */
int nl_talk(int bus, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	static char buf[DUMP_BUF_SIZE];
	struct timeval tmo = { .tv_sec = NL_TIMEOUT_S };
	struct mnl_socket *nl;
	unsigned int portid;
	int ret = -1, reads = 0;

	nl = mnl_socket_open(bus);
	if (!nl)
		return -errno;
	req->nlmsg_seq = time(NULL);
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tmo,
		       sizeof(tmo)) ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		goto out;
	portid = mnl_socket_get_portid(nl);
	for (reads = 0; reads < DUMP_MAX_READS; reads++) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret <= 0)
			break;
		ret = mnl_cb_run(buf, ret, req->nlmsg_seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (reads == DUMP_MAX_READS) {
		ret = -1;
		errno = E2BIG;
	}
out:
	/* A failure must never read as success, whatever errno holds. */
	ret = ret < 0 ? (errno ? -errno : -EIO) : 0;
	mnl_socket_close(nl);
	return ret;
}

/* The whole bridge FDB, every bridge, with one dump. 0 or -errno. */
static int fdb_dump(struct fdb *f)
{
	char buf[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ndmsg))];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	return nl_talk(NETLINK_ROUTE, nlh, fdb_cb, f);
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			*(__u16 *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct xmit_set *x = data;
	__u32 ifindex = 0, *grown;
	__u64 feat = 0;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == NETDEV_A_DEV_IFINDEX &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			ifindex = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == NETDEV_A_DEV_XDP_FEATURES &&
		    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			feat = mnl_attr_get_u64(a);
	}
	if (!ifindex || !(feat & NETDEV_XDP_ACT_NDO_XMIT))
		return MNL_CB_OK;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		grown = realloc(x->ifindex, x->cap * sizeof(*x->ifindex));
		if (!grown) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		x->ifindex = grown;
	}
	x->ifindex[x->n++] = ifindex;
	return MNL_CB_OK;
}

/* genlmsghdr @cmd into @buf: the start of a generic netlink request. */
static struct nlmsghdr *genl_req(char *buf, __u16 family, __u8 cmd, __u16 flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/*
 * Which devices take XDP frames now (NETDEV_XDP_ACT_NDO_XMIT: for a veth,
 * only while its peer has NAPI, i.e. GRO or an XDP program; otherwise
 * the kernel drops what is redirected to it). Two small generic netlink
 * requests: the "netdev" family's id, then a dump of its devices. On a
 * kernel without that family @x stays unknown.
 */
void xmit_read(struct xmit_set *x)
{
	char buf[256];
	struct nlmsghdr *nlh;
	__u16 family = 0;

	/* The ACK after the one answer ends nl_talk()'s loop. */
	nlh = genl_req(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NETDEV_GENL_NAME);
	if (nl_talk(NETLINK_GENERIC, nlh, family_cb, &family) || !family)
		return;
	nlh = genl_req(buf, family, NETDEV_CMD_DEV_GET, NLM_F_DUMP);
	x->known = nl_talk(NETLINK_GENERIC, nlh, dev_cb, x) == 0;
}

bool xmit_takes(const struct xmit_set *x, __u32 ifindex)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->ifindex[i] == ifindex)
			return true;
	return false;
}

bool bridge_is_bridge(const char *name)
{
	char path[IF_NAMESIZE + 32];
	struct stat sb;

	if (strchr(name, '/') || strlen(name) >= IF_NAMESIZE)
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int bridge_register(struct canary_state *st, __u32 ifindex)
{
	struct canary_port_key k = { .ifindex = ifindex };
	struct canary_port v = { .ifindex = ifindex };

	if (state_open_port(st) < 0)
		return -ENOENT;
	return bpf_map_update_elem(st->port_fd, &k, &v, BPF_ANY) ? -errno : 0;
}

bool dev_is_veth(__u32 ifindex)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };
	int fd, ok;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && !strcmp(info.driver, "veth");
	close(fd);
	return ok;
}

static bool in_tx(struct canary_state *st, __u32 ifindex)
{
	__u32 v;

	return bpf_map_lookup_elem(st->tx_fd, &ifindex, &v) == 0;
}

static bool is_marker(const struct canary_port_key *k)
{
	static const __u8 zero[sizeof(k->mac)];

	return !memcmp(k->mac, zero, sizeof(zero));
}

/* Every key of canary_port (at most its size) into @keys; the bridges
 * registered into @br. Returns the number of keys, or -errno. */
static int read_keys(struct canary_state *st, struct canary_port_key *keys,
		     __u32 *br, int *nbr)
{
	struct canary_port_key k, *prev = NULL;
	int n = 0;

	*nbr = 0;
	while (n < CANARY_MAX_PORT_ENTRIES &&
	       bpf_map_get_next_key(st->port_fd, prev, &k) == 0) {
		keys[n] = k;
		prev = &keys[n++];
		if (is_marker(&k) && *nbr < BRIDGE_MAX)
			br[(*nbr)++] = k.ifindex;
	}
	return n;
}

static bool registered(const __u32 *br, int nbr, __u32 ifindex)
{
	int i;

	for (i = 0; i < nbr; i++)
		if (br[i] == ifindex)
			return true;
	return false;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct fdb_entry *x = a, *y = b;

	if (x->bridge != y->bridge)
		return x->bridge < y->bridge ? -1 : 1;
	return memcmp(x->mac, y->mac, sizeof(x->mac));
}

/* Whether @k is still wanted: a marker of a live bridge, or in @f.
 * The fast path's own keys (fastpath.h) are fastpath_sync()'s. */
static bool wanted(const struct fdb *f, const struct canary_port_key *k)
{
	struct fdb_entry e = { .bridge = k->ifindex };
	char name[IF_NAMESIZE];

	if (fastpath_is_key(k) || fastpath_is_peer_key(k))
		return true;
	if (is_marker(k))
		return if_indextoname(k->ifindex, name) != NULL;
	memcpy(e.mac, k->mac, sizeof(e.mac));
	return f->n && bsearch(&e, f->e, f->n, sizeof(e), cmp_entry);
}

/* Port @port of a registered bridge joins canary_tx when it is a veth
 * that takes XDP frames, and leaves it when it no longer takes them. */
static void sync_port(struct canary_state *st, const struct xmit_set *x,
		      __u32 port)
{
	char name[IF_NAMESIZE] = "?";
	bool listed = in_tx(st, port);

	if (!x->known || listed == xmit_takes(x, port))
		return;
	if_indextoname(port, name);
	if (listed) {
		pr_warn("bridge port '%s' takes no XDP frames now (its peer "
			"has neither GRO nor an XDP program): the kernel path "
			"serves it\n", name);
		bpf_map_delete_elem(st->tx_fd, &port);
	} else if (dev_is_veth(port) &&
		   bpf_map_update_elem(st->tx_fd, &port, &port, BPF_ANY)) {
		pr_warn("Couldn't add bridge port '%s' to %s: %s\n", name,
			CANARY_MAP_TX, strerror(errno));
	}
}

/* Ports of registered bridges into canary_tx; FDB entries of listed ports
 * that take XDP frames into canary_port. Entries that do not qualify are
 * dropped from @f. */
static void sync_entries(struct canary_state *st, struct fdb *f,
			 const __u32 *br, int nbr, const struct xmit_set *x)
{
	struct canary_port_key k = {};
	struct canary_port v;
	size_t i, n = 0;

	for (i = 0; i < f->n; i++) {
		struct fdb_entry *e = &f->e[i];

		if (registered(br, nbr, e->bridge))
			sync_port(st, x, e->port);
		if (e->local || !in_tx(st, e->port) ||
		    (x->known && !xmit_takes(x, e->port)))
			continue;
		k.ifindex = e->bridge;
		memcpy(k.mac, e->mac, sizeof(k.mac));
		v.ifindex = e->port;
		if (bpf_map_update_elem(st->port_fd, &k, &v, BPF_ANY)) {
			pr_warn("Couldn't add bridge ifindex %u port %u to %s: %s\n",
				e->bridge, e->port, CANARY_MAP_PORT,
				strerror(errno));
			continue;
		}
		f->e[n++] = *e;
	}
	f->n = n;
}

static bool tx_empty(struct canary_state *st)
{
	__u32 k;

	return bpf_map_get_next_key(st->tx_fd, NULL, &k) != 0;
}

int bridge_sync(struct canary_state *st)
{
	struct canary_port_key *keys;
	struct xmit_set x = {};
	__u32 br[BRIDGE_MAX];
	struct fdb f = {};
	int n, nbr, i, err = 0;

	if (st->port_fd < 0)
		return 0;
	keys = calloc(CANARY_MAX_PORT_ENTRIES, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	n = read_keys(st, keys, br, &nbr);
	if (!nbr && tx_empty(st) && !fastpath_auto_in(keys, n))
		goto out;
	xmit_read(&x);
	fastpath_sync(st, &x, keys, n);
	err = fdb_dump(&f);
	if (err) {
		pr_warn("Couldn't read the bridge FDB: %s\n", strerror(-err));
		goto out;
	}
	sync_entries(st, &f, br, nbr, &x);
	/* Updated first, stale entries removed after: no moment without. */
	qsort(f.e, f.n, sizeof(*f.e), cmp_entry);
	for (i = 0; i < n; i++)
		if (!wanted(&f, &keys[i]))
			bpf_map_delete_elem(st->port_fd, &keys[i]);
	pr_debug("bridge FDB: %zu entries behind listed ports\n", f.n);
out:
	free(x.ifindex);
	free(f.e);
	free(keys);
	return err;
}

void bridge_clear(struct canary_state *st)
{
	struct canary_port_key k;
	int n;

	for (n = 0; st->port_fd >= 0 && n < CANARY_MAX_PORT_ENTRIES; n++)
		if (bpf_map_get_next_key(st->port_fd, NULL, &k) ||
		    bpf_map_delete_elem(st->port_fd, &k))
			break;
}
