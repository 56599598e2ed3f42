// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Config that older programs can read (user/dataplane/progs_abi.c): a
 * version of at most CANARY_HRW_MAX endpoints is written without a Maglev
 * table only while every program attached from the pin dir picks by
 * rendezvous. A link pinned there whose program lacks that pick (here a
 * two-instruction XDP program on this netns's lo, as an older build's
 * would be) makes the next change write tables again, and new flows
 * still reach the endpoints; once it is gone, changes write none.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"

/* The seed service's live v1 entry (3 endpoints). */
static int live_v1(struct test_env *env, struct canary_ver *v)
{
	struct canary_svc_key k = { .vip = ip4("10.96.0.10"),
				    .port = htons(5000),
				    .proto = IPPROTO_TCP };
	struct canary_svc_slots e;
	struct canary_ver_key vk = { .version = 0 };

	if (bpf_map_lookup_elem(env->st.svc_fd, &k, &e))
		return -1;
	vk.svc_id = e.live.id;
	vk.gen = e.slot;
	return bpf_map_lookup_elem(env->st.ver_fd, &vk, v);
}

/* An XDP program without BTF, linked to lo and pinned as an ingress
 * link of the pin dir. Returns the link fd or -1. */
static int pin_old_link(struct test_env *env, char *path, size_t len)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog, link, lo = if_nametoindex("lo");

	prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "old_xdp", "GPL", insns, 2,
			     NULL);
	if (prog < 0 || !lo)
		return -1;
	link = bpf_link_create(prog, lo, BPF_XDP, NULL);
	close(prog);
	snprintf(path, len, "%s/link_%d_xdp", env->pin_dir, lo);
	if (link >= 0 && bpf_obj_pin(link, path)) {
		close(link);
		return -1;
	}
	return link;
}

/* Whether a fresh SYN from each of 50 clients reaches a v1 or v2 pod. */
static bool flows_placed(struct test_env *env)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .daddr = ip4("10.96.0.10"),
			      .dport = 5000, .sport = 41000,
			      .tcp_flags = 0x02 };
	struct pkt_view v;
	int i;

	for (i = 0; i < 50; i++) {
		s.saddr = htonl(ntohl(ip4("10.70.0.1")) + i);
		if (env_run_spec(env->xdp_fd, &s, &v) != XDP_PASS || !v.ok ||
		    (ntohl(v.daddr) >> 8) != (ntohl(ip4("10.244.1.0")) >> 8))
			return false;
	}
	return true;
}

/* @cfg: the seed service alone, v2 at @v2_bps. */
static void seed(struct canary_config *cfg, __u16 v2_bps)
{
	config_free(cfg);
	config_init(cfg);
	env_seed_config(cfg, v2_bps, IPPROTO_TCP);
}

static void older_programs(struct test_env *env, struct canary_config *cfg)
{
	struct canary_ver v;
	char path[PATH_MAX + 32];
	int link;

	test__start_subtest("no_table_with_only_this_build_attached");
	seed(cfg, 2500);
	if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
	    !ASSERT_OK(live_v1(env, &v), "v1 entry"))
		return;
	ASSERT_EQ(v.ring_size, 0, "3 endpoints: rendezvous, no table");

	test__start_subtest("tables_while_an_older_program_is_attached");
	link = pin_old_link(env, path, sizeof(path));
	if (!ASSERT_TRUE(link >= 0, "old program linked and pinned"))
		return;
	sleep(1); /* the answer is kept for a second */
	usleep(200000);
	seed(cfg, 3000);
	if (ASSERT_OK(env_apply(env, cfg), "apply with the old link") &&
	    ASSERT_OK(live_v1(env, &v), "v1 entry"))
		ASSERT_TRUE(v.ring_size > 0, "v1 written with its Maglev table");
	ASSERT_TRUE(flows_placed(env), "new flows reach pods by the table");
	unlink(path);
	close(link);

	test__start_subtest("no_table_again_once_it_is_gone");
	sleep(1);
	usleep(200000);
	seed(cfg, 3500);
	if (ASSERT_OK(env_apply(env, cfg), "apply") &&
	    ASSERT_OK(live_v1(env, &v), "v1 entry"))
		ASSERT_EQ(v.ring_size, 0, "v1 back to rendezvous");
	ASSERT_TRUE(flows_placed(env), "new flows reach pods by rendezvous");
}

void test_progs_abi(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	older_programs(&env, &cfg);
out:
	env_teardown(&env);
	config_free(&cfg);
}
