// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-service config slots (include/canary.h), both families: a change
 * of service "a" moves its canary_svc_v2 entry to another slot, keeping
 * the old one as previous, and leaves service "b"'s entry byte for byte;
 * the packet path reads only the slot the entry names (a version entry
 * planted in a's spare slot changes nothing); a mid-connection packet
 * without flow entry is placed by the previous slot during its grace, by
 * the live one once the entry says the grace is over.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "harness.h"
#include "env.h"
#include "pkt.h"
#include "pkt6.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define N 50

/* One family's addresses: a's and b's VIPs, the client, the endpoints
 * (a's v1, a's v2, b's, and one no config lists). */
struct fam {
	bool v6;
	const char *name;
	const char *vip_a, *vip_b, *client, *ep[4];
};

static const struct fam fams[2] = {
	{ false, "ipv4", "10.96.0.10", "10.96.0.11", "10.0.0.2",
	  { "10.244.1.11", "10.244.1.21", "10.244.1.12", "10.244.9.9" } },
	{ true, "ipv6", "2001:db8::10", "2001:db8::11", "fd00:c::2",
	  { "fd00:244:1::11", "fd00:244:1::21", "fd00:244:1::12",
	    "fd00:244:9::9" } },
};

static struct canary_addr addr(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

/* XDP on a TCP packet client:@sport -> @vip:5000; the destination it
 * left with (unset when it was not translated). */
static struct canary_addr send_tcp(struct test_env *env, const struct fam *f,
			       const char *vip, __u16 sport, __u8 flags)
{
	static __u8 in[PKT_MAX], buf[PKT_MAX];
	struct canary_addr none = {};
	__u32 len, out_len = 0;

	if (f->v6) {
		struct pkt6_spec s = { .proto = IPPROTO_TCP, .sport = sport,
				       .dport = 5000, .tcp_flags = flags };

		ip6(f->client, s.saddr);
		ip6(vip, s.daddr);
		len = pkt6_build(&s, in);
		if (env_run(env->xdp_fd, in, len, buf, &out_len) != XDP_PASS)
			return none;
		return addr_v6(pkt6_parse(buf, out_len).daddr);
	}
	struct pkt_spec s = { .proto = IPPROTO_TCP, .saddr = ip4(f->client),
			      .daddr = ip4(vip), .sport = sport, .dport = 5000,
			      .tcp_flags = flags };

	len = pkt_build(&s, in);
	if (env_run(env->xdp_fd, in, len, buf, &out_len) != XDP_PASS)
		return none;
	return addr_v4(pkt_parse(buf, out_len).daddr);
}

/* How many of N packets from ports @base + i to @vip reach @ep. */
static int reach(struct test_env *env, const struct fam *f, const char *vip,
		 __u16 base, __u8 flags, const char *ep)
{
	struct canary_addr want = addr(ep), got;
	int i, n = 0;

	for (i = 0; i < N; i++) {
		got = send_tcp(env, f, vip, base + i, flags);
		n += addr_eq(&got, &want);
	}
	return n;
}

static void add_service(struct canary_config *cfg, const char *name,
			const char *vip, int n_versions, const int *pct,
			const char *const *eps)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);
	int v;

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = addr(vip);
	s->port = htons(5000);
	s->proto = IPPROTO_TCP;
	s->n_versions = n_versions;
	for (v = 0; v < n_versions; v++) {
		snprintf(s->v[v].name, sizeof(s->v[v].name), "v%d", v + 1);
		s->v[v].weight_bps = pct[v] * 100;
		s->v[v].n_endpoints = 1;
		s->v[v].ep[0].addr = addr(eps[v]);
		s->v[v].ep[0].port = htons(5050);
	}
}

/* Services a (v1 at @v1_pct, v2 the rest) and b of @f's family. */
static void slots_config(struct canary_config *cfg, const struct fam *f,
			 int v1_pct, int grace_s)
{
	int pa[2] = { v1_pct, 100 - v1_pct }, pb[1] = { 100 };
	const char *ea[2] = { f->ep[0], f->ep[1] }, *eb[1] = { f->ep[2] };

	config_free(cfg);
	config_init(cfg);
	cfg->grace_s = grace_s;
	add_service(cfg, "a", f->vip_a, 2, pa, ea);
	add_service(cfg, "b", f->vip_b, 1, pb, eb);
}

/* A service key of either family. */
union skey {
	struct canary_svc_key v4;
	struct canary_svc6_key v6;
};

/* The canary_svc_v2 (or _svc6_v2) key of @vip:5000/tcp and its fd. */
static int svc_key(struct test_env *env, const struct fam *f, const char *vip,
		   union skey *k)
{
	struct canary_addr a = addr(vip);

	memset(k, 0, sizeof(*k));
	if (f->v6) {
		memcpy(k->v6.vip, a.v6, sizeof(k->v6.vip));
		k->v6.port = htons(5000);
		k->v6.proto = IPPROTO_TCP;
		return env->st.svc6_fd;
	}
	k->v4.vip = a.v4;
	k->v4.port = htons(5000);
	k->v4.proto = IPPROTO_TCP;
	return env->st.svc_fd;
}

static int entry(struct test_env *env, const struct fam *f, const char *vip,
		 struct canary_svc_slots *e)
{
	union skey k;
	int fd = svc_key(env, f, vip, &k);

	return bpf_map_lookup_elem(fd, &k, e) ? -1 : 0;
}

static int put_entry(struct test_env *env, const struct fam *f,
		     const char *vip, const struct canary_svc_slots *e)
{
	union skey k;
	int fd = svc_key(env, f, vip, &k);

	return bpf_map_update_elem(fd, &k, e, BPF_ANY) ? -1 : 0;
}

/* A version-0 entry in slot @slot of service @id sending every flow to
 * @ep, with its one-chunk table. */
static int plant_version(struct test_env *env, const struct fam *f, __u32 id,
			 __u32 slot, const char *ep)
{
	struct canary_ver_key vk = { .svc_id = id, .gen = slot };
	struct canary_ring_key rk = { .svc_id = id, .gen = slot };
	static struct canary_ring ring; /* all slots: endpoint 0 */
	static struct canary_ver6 v6;
	static struct canary_ver v4;
	struct canary_addr a = addr(ep);

	if (bpf_map_update_elem(env->st.ring_fd, &rk, &ring, BPF_ANY))
		return -1;
	if (f->v6) {
		v6 = (struct canary_ver6){ .n_endpoints = 1, .n_active = 1,
					   .ring_size = 4093 };
		memcpy(v6.ep[0].addr, a.v6, sizeof(v6.ep[0].addr));
		v6.ep[0].port = htons(5050);
		return bpf_map_update_elem(env->st.ver6_fd, &vk, &v6, BPF_ANY);
	}
	v4 = (struct canary_ver){ .n_endpoints = 1, .n_active = 1,
				  .ring_size = 4093 };
	v4.ep[0].addr = a.v4;
	v4.ep[0].port = htons(5050);
	return bpf_map_update_elem(env->st.ver_fd, &vk, &v4, BPF_ANY);
}

static void slots(struct test_env *env, struct canary_config *cfg,
		  const struct fam *f)
{
	struct canary_svc_slots a0, a1, b0, b1;
	char name[64];
	__u32 spare;

	snprintf(name, sizeof(name), "flip_one_service_%s", f->name);
	test__start_subtest(name);
	slots_config(cfg, f, 100, 60);
	if (!ASSERT_OK(env_apply(env, cfg), "apply a: v1") ||
	    !ASSERT_OK(entry(env, f, f->vip_a, &a0), "a's entry") ||
	    !ASSERT_OK(entry(env, f, f->vip_b, &b0), "b's entry"))
		return;
	ASSERT_EQ(reach(env, f, f->vip_a, 20000, TCP_SYN, f->ep[0]), N, "a on v1");
	slots_config(cfg, f, 0, 60);
	if (!ASSERT_OK(env_apply(env, cfg), "apply a: v2") ||
	    !ASSERT_OK(entry(env, f, f->vip_a, &a1), "a's entry after") ||
	    !ASSERT_OK(entry(env, f, f->vip_b, &b1), "b's entry after"))
		return;
	ASSERT_TRUE(a1.slot != a0.slot, "a flipped to another slot");
	ASSERT_EQ(a1.prev_slot, a0.slot, "its old slot is the previous one");
	ASSERT_TRUE(!memcmp(&a1.prev, &a0.live, sizeof(a0.live)),
		    "the previous header is the old live one");
	ASSERT_TRUE(!memcmp(&b0, &b1, sizeof(b0)), "b's entry untouched");
	ASSERT_EQ(reach(env, f, f->vip_a, 20100, TCP_SYN, f->ep[1]), N, "a on v2");
	ASSERT_EQ(reach(env, f, f->vip_b, 20200, TCP_SYN, f->ep[2]), N, "b as before");

	snprintf(name, sizeof(name), "only_the_live_slot_read_%s", f->name);
	test__start_subtest(name);
	for (spare = 0; spare == a1.slot || spare == a1.prev_slot; spare++)
		;
	if (!ASSERT_OK(plant_version(env, f, a1.live.id, spare, f->ep[3]),
		       "plant a version in the spare slot"))
		return;
	ASSERT_EQ(reach(env, f, f->vip_a, 20300, TCP_SYN, f->ep[1]), N,
		  "new flows by the live slot alone");

	snprintf(name, sizeof(name), "grace_by_previous_slot_%s", f->name);
	test__start_subtest(name);
	if (!ASSERT_OK(env_clear_flows(env), "clear"))
		return;
	ASSERT_EQ(reach(env, f, f->vip_a, 20400, TCP_ACK, f->ep[0]), N,
		  "mid-connection packets by the previous slot");
	a1.prev_until_ns = 0; /* the grace is over */
	if (!ASSERT_OK(put_entry(env, f, f->vip_a, &a1), "end the grace") ||
	    !ASSERT_OK(env_clear_flows(env), "clear again"))
		return;
	ASSERT_EQ(reach(env, f, f->vip_a, 20500, TCP_ACK, f->ep[1]), N,
		  "then by the live slot");
}

void test_slots(void)
{
	struct canary_config cfg;
	struct test_env env;
	int i;

	config_init(&cfg);
	if (env_setup(&env))
		goto out;
	for (i = 0; i < 2; i++)
		slots(&env, &cfg, &fams[i]);
out:
	env_teardown(&env);
	config_free(&cfg);
}
