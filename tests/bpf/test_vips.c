// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * canary_vips: every commit writes its generation's VIP bitmap for its own
 * flip; the data plane skips the service lookup only on a clear bit of a
 * bitmap written for the flip now live, and looks packets up as before
 * when the bitmap is for another flip (a generation written by a build
 * that does not know the map) or was never written. IPv6 VIPs go in
 * folded (canary_addr6_fold()), and IPv6 packets are gated alike: user
 * space and the data plane must fold to the same bit.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"
#include "pkt6.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

/* A TCP packet from the client to @daddr:5000; true when XDP sent it to
 * an endpoint (10.244.1.0/24). */
static bool translated(struct test_env *env, const char *daddr, __u16 sport)
{
	struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ip4("10.0.0.2"),
			      .daddr = ip4(daddr), .sport = sport,
			      .dport = 5000 };
	struct pkt_view v;

	if (env_run_spec(env->xdp_fd, &s, &v) != XDP_PASS || !v.ok)
		return false;
	return (ntohl(v.daddr) >> 8) == (ntohl(ip4("10.244.1.0")) >> 8);
}

/* An IPv6 TCP packet from the client to [@daddr]:80; true when XDP sent
 * it to the endpoint (2001:db8:1::11). */
static bool translated6(struct test_env *env, const char *daddr, __u16 sport)
{
	struct pkt6_spec s = { .proto = IPPROTO_TCP, .sport = sport,
			       .dport = 80, .payload = 16 };
	__u8 in[PKT_MAX], out[PKT_MAX];
	__be32 ep[4];
	struct pkt6_view v;
	__u32 out_len;
	size_t len;

	ip6("2001:db8:c::2", s.saddr);
	ip6(daddr, s.daddr);
	ip6("2001:db8:1::11", ep);
	len = pkt6_build(&s, in);
	if (env_run(env->xdp_fd, in, len, out, &out_len) != XDP_PASS)
		return false;
	v = pkt6_parse(out, out_len);
	return v.ok && ip6_eq(v.daddr, ep);
}

/* A service on [@vip]:80 with one endpoint, 2001:db8:1::11:8080. */
static void add_six(struct canary_config *cfg, const char *vip)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);

	snprintf(s->name, sizeof(s->name), "six");
	addr_from_str(vip, &s->vip);
	s->port = htons(80);
	s->proto = IPPROTO_TCP;
	s->n_versions = 1;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	s->v[0].weight_bps = CANARY_BPS_TOTAL;
	s->v[0].n_endpoints = 1;
	addr_from_str("2001:db8:1::11", &s->v[0].ep[0].addr);
	s->v[0].ep[0].port = htons(8080);
}

static bool read_active(struct test_env *env, __u32 *gen,
			struct canary_genstate *gs, struct canary_vips *v)
{
	return ASSERT_OK(state_genstate(&env->st, gs), "genstate") &&
	       ASSERT_TRUE(env->st.vips_fd >= 0, "canary_vips opened") &&
	       ASSERT_OK(bpf_map_lookup_elem(env->st.vips_fd, &gs->active, v),
			 "read bitmap") &&
	       (*gen = gs->active, true);
}

/* Overwrites the active generation's bitmap with an empty one that says
 * it was written for flip @flip_ns. */
static bool empty_bitmap(struct test_env *env, __u32 gen, __u64 flip_ns,
			 struct canary_vips *v)
{
	memset(v->bits, 0, sizeof(v->bits));
	v->valid = CANARY_VIPS_VALID;
	v->flip_ns = flip_ns;
	return ASSERT_OK(bpf_map_update_elem(env->st.vips_fd, &gen, v, BPF_ANY),
			 "write bitmap");
}

static void cases(struct test_env *env, struct canary_config *cfg)
{
	struct canary_vips *v = calloc(1, sizeof(*v));
	struct canary_genstate gs;
	__u64 last = 0, moved = 0;
	__u32 gen, bit;
	int i;

	if (!ASSERT_TRUE(v != NULL, "alloc"))
		return;
	test__start_subtest("written_for_each_flip");
	for (i = 0; i < 4; i++) { /* a new weight each time: every generation */
		cfg->svc[0].v[1].weight_bps = 1000 * (i + 1);
		cfg->svc[0].v[0].weight_bps = CANARY_BPS_TOTAL - 1000 * (i + 1);
		if (!ASSERT_OK(env_apply(env, cfg), "apply") ||
		    !read_active(env, &gen, &gs, v))
			goto out;
		bit = canary_vip_bit(ip4("10.96.0.10"));
		ASSERT_EQ(v->valid, CANARY_VIPS_VALID, "valid");
		ASSERT_EQ(v->flip_ns, gs.prev_until_ns - gs.grace_ns, "this flip");
		moved += v->flip_ns != last;
		last = v->flip_ns;
		ASSERT_TRUE(v->bits[bit / 64] >> (bit % 64) & 1, "VIP's bit");
		ASSERT_TRUE(translated(env, "10.96.0.10", 40000 + i), "VIP served");
		ASSERT_TRUE(!translated(env, "10.96.0.99", 40000 + i),
			    "other address passes");
	}
	ASSERT_EQ(moved, 4, "a new stamp with each change");

	test__start_subtest("bitmap_of_another_flip_ignored");
	if (!empty_bitmap(env, gen, gs.prev_until_ns - gs.grace_ns - 1, v))
		goto out;
	ASSERT_TRUE(translated(env, "10.96.0.10", 41000), "VIP still served");

	test__start_subtest("unwritten_bitmap_ignored");
	memset(v, 0, sizeof(*v));
	if (!ASSERT_OK(bpf_map_update_elem(env->st.vips_fd, &gen, v, BPF_ANY),
		       "clear bitmap"))
		goto out;
	ASSERT_TRUE(translated(env, "10.96.0.10", 41001), "VIP still served");

	test__start_subtest("bitmap_of_this_flip_trusted");
	if (!empty_bitmap(env, gen, gs.prev_until_ns - gs.grace_ns, v))
		goto out;
	ASSERT_TRUE(!translated(env, "10.96.0.10", 41002),
		    "no lookup behind a clear bit");
	/* A changed weight: a commit (an unchanged config is none). */
	cfg->svc[0].v[1].weight_bps = 5000;
	cfg->svc[0].v[0].weight_bps = 5000;
	if (ASSERT_OK(env_apply(env, cfg), "apply a change"))
		ASSERT_TRUE(translated(env, "10.96.0.10", 41003),
			    "next commit writes it right");
out:
	free(v);
}

/*
 * IPv6: for VIPs whose four words all differ (the fold uses each), the
 * bitmap user space writes has the bit the data plane computes: with a
 * trusted bitmap holding that one VIP's bit the VIP is served, and a
 * clear bit of a trusted bitmap spares IPv6 packets the lookup as it
 * does IPv4 ones.
 */
static void cases6(struct test_env *env)
{
	static const char *const vips[] = {
		"2001:db8::10",
		"fd00:1234:5678:9abc:def0:1357:2468:ace1",
		"2001:db8:5:6:7:8:9:a",
	};
	struct canary_vips *v = calloc(1, sizeof(*v));
	struct canary_config cfg;
	struct canary_genstate gs;
	__be32 a[4];
	__u32 gen, bit;
	int i, n, set;

	config_init(&cfg);
	if (!ASSERT_TRUE(v != NULL, "alloc"))
		goto out;
	test__start_subtest("ipv6_folded_alike");
	for (i = 0; i < 3; i++) {
		config_free(&cfg);
		config_init(&cfg);
		add_six(&cfg, vips[i]);
		if (!ASSERT_OK(env_apply(env, &cfg), "apply") ||
		    !read_active(env, &gen, &gs, v))
			goto out;
		ip6(vips[i], a);
		bit = canary_vip_bit(canary_addr6_fold(a));
		ASSERT_EQ(v->flip_ns, gs.prev_until_ns - gs.grace_ns, "this flip");
		for (n = 0, set = 0; n < CANARY_VIPS_BITS / 64; n++)
			set += __builtin_popcountll(v->bits[n]);
		ASSERT_EQ(set, 1, "one bit set");
		ASSERT_TRUE(v->bits[bit / 64] >> (bit % 64) & 1, "VIP's bit");
		ASSERT_TRUE(translated6(env, vips[i], 42000 + i), "VIP served");
		ASSERT_TRUE(!translated6(env, "2001:db8::99", 42000 + i),
			    "other address passes");
	}

	test__start_subtest("ipv6_bitmap_of_another_flip_ignored");
	if (!empty_bitmap(env, gen, gs.prev_until_ns - gs.grace_ns - 1, v))
		goto out;
	ASSERT_TRUE(translated6(env, vips[2], 43000), "VIP still served");

	test__start_subtest("ipv6_bitmap_of_this_flip_trusted");
	if (!empty_bitmap(env, gen, gs.prev_until_ns - gs.grace_ns, v))
		goto out;
	ASSERT_TRUE(!translated6(env, vips[2], 43001),
		    "no lookup behind a clear bit");
out:
	config_free(&cfg);
	free(v);
}

void test_vips(void)
{
	struct canary_config cfg;
	struct test_env env;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	env_seed_config(&cfg, 2500, IPPROTO_TCP);
	cases(&env, &cfg);
	cases6(&env);
	env_teardown(&env);
out:
	config_free(&cfg);
}
