// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The bridge FDB dump parser: user/dataplane/bridge.c bridge_fdb_parse(). */
#include <errno.h>
#include <sys/socket.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "dataplane/bridge.h"
#include "harness.h"

static const __u8 MAC[6] = { 0x02, 0x42, 0x0a, 0xf4, 0x01, 0x15 };

/* One RTM_NEWNEIGH into @buf: family, port, NUD state, and the master
 * and lladdr attributes when @master / @lladdr_len are set. */
static struct nlmsghdr *fdb_msg(char *buf, __u8 family, int port, __u16 state,
				__u32 master, int lladdr_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_NEWNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = port;
	ndm->ndm_state = state;
	if (lladdr_len)
		mnl_attr_put(nlh, NDA_LLADDR, lladdr_len, MAC);
	if (master)
		mnl_attr_put_u32(nlh, NDA_MASTER, master);
	return nlh;
}

static void test_learned_entry(void)
{
	char buf[256];
	struct fdb_entry e = {};

	ASSERT_EQ(bridge_fdb_parse(fdb_msg(buf, AF_BRIDGE, 8, NUD_REACHABLE, 5, 6),
				   &e), 1, "bridge_fdb_parse");
	ASSERT_EQ(e.bridge, 5, "e.bridge");
	ASSERT_EQ(e.port, 8, "e.port");
	ASSERT_TRUE(!memcmp(e.mac, MAC, 6), "MAC not copied");
	ASSERT_TRUE(!e.local, "a learned entry is not local");
}

static void test_local_entry(void)
{
	char buf[256];
	struct fdb_entry e = {};

	ASSERT_EQ(bridge_fdb_parse(fdb_msg(buf, AF_BRIDGE, 8, NUD_PERMANENT, 5, 6),
				   &e), 1, "bridge_fdb_parse");
	ASSERT_TRUE(e.local, "a permanent entry is the port's own address");
}

static void test_skipped(void)
{
	char buf[256];
	struct fdb_entry e = {};
	struct nlmsghdr *nlh;

	/* the bridge's own address, no master, another family */
	ASSERT_EQ(bridge_fdb_parse(fdb_msg(buf, AF_BRIDGE, 5, NUD_PERMANENT, 5, 6),
				   &e), 0, "bridge_fdb_parse");
	ASSERT_EQ(bridge_fdb_parse(fdb_msg(buf, AF_BRIDGE, 8, NUD_PERMANENT, 0, 6),
				   &e), 0, "bridge_fdb_parse");
	ASSERT_EQ(bridge_fdb_parse(fdb_msg(buf, AF_INET, 8, NUD_REACHABLE, 5, 6),
				   &e), 0, "bridge_fdb_parse");
	/* an lladdr that is no MAC (a VXLAN remote, say) */
	ASSERT_EQ(bridge_fdb_parse(fdb_msg(buf, AF_BRIDGE, 8, NUD_REACHABLE, 5, 4),
				   &e), 0, "bridge_fdb_parse");
	nlh = fdb_msg(buf, AF_BRIDGE, 8, NUD_REACHABLE, 5, 6);
	nlh->nlmsg_type = RTM_DELNEIGH;
	ASSERT_EQ(bridge_fdb_parse(nlh, &e), 0, "bridge_fdb_parse(nlh, &e)");
}

static void test_malformed(void)
{
	char buf[256];
	struct fdb_entry e = {};
	struct nlmsghdr *nlh;

	/* shorter than an ndmsg */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	mnl_nlmsg_put_extra_header(nlh, 4);
	ASSERT_EQ(bridge_fdb_parse(nlh, &e), -EINVAL, "bridge_fdb_parse(nlh, &e)");
	/* an attribute running past the message */
	nlh = fdb_msg(buf, AF_BRIDGE, 8, NUD_REACHABLE, 5, 6);
	nlh->nlmsg_len -= 4;
	ASSERT_TRUE(bridge_fdb_parse(nlh, &e) <= 0, "truncated attribute accepted");
}

int main(void)
{
	RUN_TEST(test_learned_entry);
	RUN_TEST(test_local_entry);
	RUN_TEST(test_skipped);
	RUN_TEST(test_malformed);
	return test__summary();
}
