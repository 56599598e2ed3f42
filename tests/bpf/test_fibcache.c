// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP's FIB cache (bpf/fib.h) never serves an answer for longer than its
 * bound: a route moved to another device, a neighbour's new MAC, a route
 * removed or added are all followed within FIB_CACHE_MS plus a tick; a
 * deleted egress device sends the very next packet to the kernel
 * (XDP_PASS), not into a black hole. In a network namespace of its own:
 * ingress device fcin, egress veths fca and fcb (both in canary_tx), the
 * seed service's endpoints routed over one of them.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "env.h"
#include "netns.h"
#include "pkt.h"

/* bpf/fib.h's FIB_CACHE_MS, plus a tick (10 ms at
 * HZ=100 and room for a slow test machine. */
#define FIB_CACHE_MS 100
#define PAST_BOUND_MS (FIB_CACHE_MS + 10 + 30)
/* Within this long after a lookup, the cached answer is still served. */
#define WITHIN_BOUND_MS 50

static const __u8 MAC_A[6] = { 0x02, 0, 0, 0, 0x0a, 0x01 };
static const __u8 MAC_B[6] = { 0x02, 0, 0, 0, 0x0b, 0x01 };
static const __u8 MAC_B2[6] = { 0x02, 0, 0, 0, 0x0b, 0x02 };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* Endpoint neighbours with MAC @mac on @dev (the seed's four). */
static bool neighbours(const char *dev, const __u8 *mac)
{
	return sys("for i in 11 12 13 21; do ip neigh replace 10.244.1.$i "
		   "lladdr %02x:%02x:%02x:%02x:%02x:%02x dev %s nud permanent "
		   "|| exit 1; done",
		   mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], dev);
}

static bool topology(void)
{
	return sys("sysctl -qw net.ipv4.ip_forward=1") &&
	       sys("ip link add fcin type veth peer name fcin_p && "
		   "ip link set fcin up && ip link set fcin_p up") &&
	       sys("ip link add fca type veth peer name fca_p && "
		   "ip link set fca up && ip link set fca_p up") &&
	       sys("ip link add fcb type veth peer name fcb_p && "
		   "ip link set fcb up && ip link set fcb_p up") &&
	       neighbours("fca", MAC_A) && neighbours("fcb", MAC_B) &&
	       sys("ip route add 10.244.1.0/24 dev fca");
}

static bool add_tx(struct test_env *env, const char *dev)
{
	__u32 idx = if_nametoindex(dev);

	return ASSERT_TRUE(idx, dev) &&
	       ASSERT_OK(bpf_map_update_elem(env->st.tx_fd, &idx, &idx, BPF_ANY),
			 "canary_tx");
}

/*
 * One packet of the flow 10.0.0.2:40000 -> VIP through XDP on fcin. Returns
 * the verdict; @dmac gets the frame's destination MAC.
 */
static int send_one(struct test_env *env, __u8 tcp_flags, __u8 *dmac)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ip4("10.0.0.2"),
			      .daddr = ip4("10.96.0.10"), .sport = 40000,
			      .dport = 5000, .tcp_flags = tcp_flags };
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u32 len = pkt_build(&s, in);
	struct xdp_md ctx = { .data_end = len,
			      .ingress_ifindex = if_nametoindex("fcin") };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(env->xdp_fd, &opts))
		return -1;
	memcpy(dmac, out, 6);
	return opts.retval;
}

static bool redirected_to(struct test_env *env, const __u8 *mac,
			  const char *what)
{
	__u8 dmac[6];

	return ASSERT_EQ(send_one(env, 0x10, dmac), XDP_REDIRECT, what) &&
	       ASSERT_MEM_EQ(dmac, mac, 6, what);
}

static void cases(struct test_env *env)
{
	__u8 dmac[6];
	double t;

	test__start_subtest("route_used");
	if (!ASSERT_EQ(send_one(env, 0x02, dmac), XDP_REDIRECT, "SYN redirected") ||
	    !ASSERT_MEM_EQ(dmac, MAC_A, 6, "to fca's neighbour"))
		return;

	test__start_subtest("route_change_followed_within_bound");
	t = now_ms();
	if (!redirected_to(env, MAC_A, "fill") ||
	    !sys("ip route replace 10.244.1.0/24 dev fcb"))
		return;
	/* Still the cached answer: the cache is in use (when the machine
	 * was quick enough to tell). */
	if (send_one(env, 0x10, dmac) == XDP_REDIRECT && now_ms() - t < WITHIN_BOUND_MS)
		ASSERT_MEM_EQ(dmac, MAC_A, 6, "cached within the bound");
	sleep_ms(PAST_BOUND_MS);
	if (!redirected_to(env, MAC_B, "new route past the bound"))
		return;

	test__start_subtest("neighbour_change_followed_within_bound");
	if (!neighbours("fcb", MAC_B2))
		return;
	sleep_ms(PAST_BOUND_MS);
	if (!redirected_to(env, MAC_B2, "new MAC past the bound"))
		return;

	test__start_subtest("route_removal_followed_within_bound");
	if (!sys("ip route del 10.244.1.0/24"))
		return;
	sleep_ms(PAST_BOUND_MS);
	if (!ASSERT_EQ(send_one(env, 0x10, dmac), XDP_PASS, "no route: kernel"))
		return;

	test__start_subtest("new_route_used_within_bound");
	if (!sys("ip route add 10.244.1.0/24 dev fca"))
		return;
	sleep_ms(PAST_BOUND_MS);
	if (!redirected_to(env, MAC_A, "route added past the bound"))
		return;

	/* The first packets to a pod whose neighbour entry is not there yet
	 * go to the kernel, which resolves it; the next ones must not wait
	 * out the bound on the kernel's path. */
	test__start_subtest("unresolved_neighbour_not_cached");
	if (!sys("ip route replace 10.244.1.0/24 dev fcb") ||
	    !sys("for i in 11 12 13 21; do ip neigh del 10.244.1.$i dev fcb; done"))
		return;
	sleep_ms(PAST_BOUND_MS);
	t = now_ms();
	if (!ASSERT_EQ(send_one(env, 0x10, dmac), XDP_PASS, "no neighbour: kernel") ||
	    !neighbours("fcb", MAC_B))
		return;
	/* A failure cached by the first packet would still serve now (when
	 * the machine was quick enough to tell). */
	if (send_one(env, 0x10, dmac) == XDP_REDIRECT)
		ASSERT_MEM_EQ(dmac, MAC_B, 6, "to the resolved neighbour");
	else if (now_ms() - t < WITHIN_BOUND_MS)
		ASSERT_TRUE(false, "resolved neighbour used at once");
	if (!sys("ip route replace 10.244.1.0/24 dev fca"))
		return;
	sleep_ms(PAST_BOUND_MS);

	test__start_subtest("deleted_device_passes_at_once");
	if (!redirected_to(env, MAC_A, "fill") || !sys("ip link del fca"))
		return;
	ASSERT_EQ(send_one(env, 0x10, dmac), XDP_PASS,
		  "next packet to the kernel, not lost");
}

void test_fibcache(void)
{
	struct canary_config cfg;
	struct test_env env;
	struct test_netns ns;

	test__start_subtest("setup");
	config_init(&cfg);
	/* The cache is per CPU: every packet of the test on the same one. */
	if (!netns_enter(&ns) || !ASSERT_TRUE(topology(), "topology") ||
	    env_setup(&env))
		goto out;
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	if (ASSERT_OK(env_apply(&env, &cfg), "apply") && add_tx(&env, "fca") &&
	    add_tx(&env, "fcb"))
		cases(&env);
	env_teardown(&env);
out:
	netns_leave(&ns);
	config_free(&cfg);
}
