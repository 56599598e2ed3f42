// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Dual stack in the maps: an IPv6 service next to an IPv4 one is written
 * to the IPv6 twins (canary_svc6, canary_ver6, canary_backend6,
 * canary_pins6) and canary_meta_v3, read back from the maps exactly as it
 * was configured, loses its flows to removed endpoints like IPv4, and
 * leaves nothing behind once deleted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "env.h"
#include "core/hrw_table.h"

#define CANARY_INLINE static inline
#include "canary_hash.h"

#define VIP6 "2001:db8::10"

static struct canary_addr a6(const char *s)
{
	struct canary_addr a = {};

	addr_from_str(s, &a);
	return a;
}

static void set_ep6(struct canary_version_cfg *v, int i, const char *addr,
		    __u16 port, __u16 flags)
{
	v->ep[i] = (struct canary_ep_cfg){ a6(addr), htons(port), flags };
}

static void set_pin6(struct canary_service_cfg *s, int i, const char *net,
		     __u8 len, const char *version)
{
	s->pins[i].addr = a6(net);
	s->pins[i].prefixlen = len;
	snprintf(s->pins[i].version, sizeof(s->pins[i].version), "%s", version);
}

/* six: [2001:db8::10]:80/tcp, v1 (two endpoints, listed unsorted, one
 * draining) 90 %, v2 10 %, two pins, client-ip affinity, snat auto.
 * six-mp: [2001:db8::20]:80->8080,443->8443/tcp, bare endpoints. */
static void v6_config(struct canary_config *cfg, __u16 v2_bps)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);
	struct canary_service_cfg *mp;

	snprintf(s->name, sizeof(s->name), "six");
	s->vip = a6(VIP6);
	s->port = htons(80);
	s->proto = IPPROTO_TCP;
	s->affinity = CANARY_AFFINITY_CLIENT_IP;
	s->n_versions = 2;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	s->v[0].weight_bps = CANARY_BPS_TOTAL - v2_bps;
	s->v[0].n_endpoints = 3;
	set_ep6(&s->v[0], 0, "2001:db8:1::12", 8080, 0);
	set_ep6(&s->v[0], 1, "2001:db8:1::11", 8080, 0);
	set_ep6(&s->v[0], 2, "2001:db8:1::13", 8080, CANARY_EP_F_DRAINING);
	snprintf(s->v[1].name, sizeof(s->v[1].name), "v2");
	s->v[1].weight_bps = v2_bps;
	s->v[1].n_endpoints = 1;
	set_ep6(&s->v[1], 0, "2001:db8:1::21", 8080, 0);
	s->n_pins = 2;
	set_pin6(s, 0, "2001:db8:ff::", 48, "v2");
	set_pin6(s, 1, "2001:db8:ff::7", 128, "v1");

	mp = config_add_service(cfg, NULL);
	snprintf(mp->name, sizeof(mp->name), "six-mp");
	mp->vip = a6("2001:db8::20");
	mp->proto = IPPROTO_TCP;
	mp->n_ports = 2;
	mp->ports[0] = (struct canary_port_cfg){ htons(80), htons(8080) };
	mp->ports[1] = (struct canary_port_cfg){ htons(443), htons(8443) };
	mp->n_versions = 1;
	snprintf(mp->v[0].name, sizeof(mp->v[0].name), "v1");
	mp->v[0].weight_bps = CANARY_BPS_TOTAL;
	mp->v[0].n_endpoints = 2;
	set_ep6(&mp->v[0], 0, "2001:db8:2::2", 0, 0);
	set_ep6(&mp->v[0], 1, "2001:db8:2::1", 0, 0);
}

/* The IPv4 seed service plus the IPv6 ones. */
static void dual_config(struct canary_config *cfg, __u16 v2_bps)
{
	config_free(cfg);
	config_init(cfg);
	env_seed_config(cfg, 2500, IPPROTO_TCP);
	v6_config(cfg, v2_bps);
}

/* @s as the maps give it back: endpoints sorted, unused bytes zero. */
static void normalized(const struct canary_service_cfg *s,
		       struct canary_service_cfg *out)
{
	int v;

	*out = *s;
	for (v = 0; v < out->n_versions; v++) {
		struct canary_version_cfg *ver = &out->v[v];

		memset(&ver->ep[ver->n_endpoints], 0,
		       (CANARY_MAX_ENDPOINTS - ver->n_endpoints) * sizeof(ver->ep[0]));
		config_sort_endpoints(ver);
	}
}

/* Each service of @want comes back from the maps field for field. */
static void check_read_back(struct test_env *env, const struct canary_config *want,
			    __u32 *ids)
{
	static struct canary_service_cfg exp, got;
	struct canary_config now;
	int i, j;

	config_init(&now);
	if (!ASSERT_OK(state_read_config(&env->st, &now, ids), "read config") ||
	    !ASSERT_EQ(now.n_services, want->n_services, "services"))
		goto out;
	for (i = 0; i < want->n_services; i++) {
		j = config_find_index(&now, want->svc[i].name);
		if (!ASSERT_TRUE(j >= 0, want->svc[i].name))
			continue;
		normalized(&want->svc[i], &exp);
		normalized(&now.svc[j], &got);
		ASSERT_MEM_EQ(&got, &exp, sizeof(exp), want->svc[i].name);
	}
out:
	config_free(&now);
}

static int id_of(const struct canary_config *cfg, const __u32 *ids,
		 const char *name)
{
	int i = config_find_index(cfg, name);

	return i < 0 ? -1 : (int)ids[i];
}

/* Entries of generation @gen (byte @gen_off of the key) in map @fd. */
static int count_gen(int fd, size_t gen_off, int gen)
{
	unsigned char key[64], *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(fd, prev, key) == 0) {
		n += gen < 0 || key[gen_off] == gen;
		prev = key;
	}
	return n;
}

static int count_all(int fd)
{
	return count_gen(fd, 0, -1);
}

/* The IPv6 service's entries: svc6 key, ver6 endpoints, pins6 (longest
 * prefix), backend6, meta_v3 and the shared ring; snat: auto's flag. */
static void check_v6_maps(struct test_env *env, __u32 id)
{
	int gen = state_service_slot(&env->st, id);
	struct canary_svc6_key sk = { .port = htons(80), .proto = IPPROTO_TCP };
	struct canary_ver_key vk = { .svc_id = id, .version = 0, .gen = gen };
	struct canary_pin6_key pk = { .prefixlen = 32 + 128,
				      .scope = htonl(id * CANARY_GENERATIONS + gen) };
	struct canary_backend6_key bk = { .port = htons(8080),
					  .proto = IPPROTO_TCP,
					  .gen = state_active_gen(&env->st) };
	struct canary_ring_key rk = { .svc_id = id, .version = 0, .gen = gen };
	struct canary_addr a = a6(VIP6);
	__u32 idx = gen * CANARY_MAX_SERVICES + id;
	static struct canary_ver6 ver;
	static struct canary_ring ring;
	struct canary_backend6 be;
	struct canary_meta m;
	struct canary_svc_slots e;
	struct canary_svc sv;
	struct canary_pin pin;

	memcpy(sk.vip, a.v6, sizeof(sk.vip));
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.svc6_fd, &sk, &e), "svc6 entry")) {
		sv = e.live;
		ASSERT_EQ(e.slot, gen, "svc6 live slot");
		ASSERT_EQ(sv.id, id, "svc6 id");
		ASSERT_EQ(sv.n_versions, 2, "svc6 versions");
		/* snat: auto as for IPv4: the data plane decides per flow,
		 * with the node's IPv6 address and pod CIDR (none here). */
		ASSERT_EQ(sv.flags & (CANARY_SVC_F_SNAT | CANARY_SVC_F_SNAT_ALL),
			  CANARY_SVC_F_SNAT, "snat: auto flag");
		ASSERT_TRUE(sv.flags & CANARY_SVC_F_AFFINITY, "affinity flag");
		ASSERT_TRUE(sv.flags & CANARY_SVC_F_PINS, "pins flag");
	}
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.ver6_fd, &vk, &ver), "ver6 entry")) {
		ASSERT_EQ(ver.n_endpoints, 3, "ver6 endpoints");
		ASSERT_EQ(ver.n_active, 2, "ver6 active");
		/* 3 entries: rendezvous, no table */
		ASSERT_EQ(ver.ring_size, 0, "ver6 ring size");
		a = a6("2001:db8:1::11");
		ASSERT_MEM_EQ(ver.ep[0].addr, a.v6, 16, "ver6 sorted first");
		ASSERT_EQ(ver.ep[2].flags, CANARY_EP_F_DRAINING, "ver6 draining");
	}
	ASSERT_TRUE(bpf_map_lookup_elem(env->st.ring_fd, &rk, &ring) &&
			    errno == ENOENT,
		    "no ring chunk for a version that picks by rendezvous");
	a = a6("2001:db8:ff::7"); /* in the /48 (v2) and the /128 (v1) */
	memcpy(pk.addr, a.v6, sizeof(pk.addr));
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.pins6_fd, &pk, &pin), "pin /128"))
		ASSERT_EQ(pin.version, 0, "longest prefix wins");
	a = a6("2001:db8:ff::8");
	memcpy(pk.addr, a.v6, sizeof(pk.addr));
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.pins6_fd, &pk, &pin), "pin /48"))
		ASSERT_EQ(pin.version, 1, "the /48 pin");
	a = a6("2001:db8:1::21");
	memcpy(bk.addr, a.v6, sizeof(bk.addr));
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.backend6_fd, &bk, &be), "backend6"))
		ASSERT_EQ(be.n, 1, "backend6 services");
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.meta_fd, &idx, &m), "meta")) {
		ASSERT_EQ(m.family, CANARY_FAMILY_IPV6, "meta family");
		ASSERT_EQ(m.vip, 0, "meta IPv4 VIP unused");
		ASSERT_EQ(m.n_pins, 2, "meta pins");
	}
}

/* The IPv4 service stays in the IPv4 maps alone. */
static void check_v4_apart(struct test_env *env, __u32 id)
{
	int gen = state_service_slot(&env->st, id);
	__u32 idx = gen * CANARY_MAX_SERVICES + id;
	struct canary_meta m;

	ASSERT_EQ(count_all(env->st.svc_fd), 1, "one IPv4 service port");
	ASSERT_EQ(count_all(env->st.svc6_fd), 3, "three IPv6 service ports");
	if (ASSERT_OK(bpf_map_lookup_elem(env->st.meta_fd, &idx, &m), "meta v4"))
		ASSERT_EQ(m.family, CANARY_FAMILY_IPV4, "meta family v4");
}

/* A flow of the IPv6 service to endpoint @ep:@port. */
static int put_flow6(struct test_env *env, __u32 id, const char *client,
		     const char *ep, __u16 port)
{
	struct canary_flow6_key k = { .sport = htons(40000), .dport = htons(80),
				      .proto = IPPROTO_TCP };
	struct canary_flow6 f = { .ep_port = htons(port), .svc_id = id };
	struct canary_addr c = a6(client), v = a6(VIP6), e = a6(ep);

	memcpy(k.saddr, c.v6, sizeof(k.saddr));
	memcpy(k.daddr, v.v6, sizeof(k.daddr));
	memcpy(f.ep_addr, e.v6, sizeof(f.ep_addr));
	return bpf_map_update_elem(env->st.flow6_fd, &k, &f, BPF_ANY) ? -errno : 0;
}

static bool has_flow6(struct test_env *env, const char *client)
{
	struct canary_flow6_key k = { .sport = htons(40000), .dport = htons(80),
				      .proto = IPPROTO_TCP };
	struct canary_addr c = a6(client), v = a6(VIP6);
	struct canary_flow6 f;

	memcpy(k.saddr, c.v6, sizeof(k.saddr));
	memcpy(k.daddr, v.v6, sizeof(k.daddr));
	return bpf_map_lookup_elem(env->st.flow6_fd, &k, &f) == 0;
}

/* Removing an endpoint outright drops its flows; the others stay. */
static void check_flow_gc(struct test_env *env, struct canary_config *cfg,
			  __u32 id)
{
	if (!ASSERT_OK(put_flow6(env, id, "2001:db8:c::1", "2001:db8:1::11", 8080),
		       "flow to a kept endpoint") ||
	    !ASSERT_OK(put_flow6(env, id, "2001:db8:c::2", "2001:db8:1::12", 8080),
		       "flow to a removed endpoint"))
		return;
	/* 2001:db8:1::12 goes */
	cfg->svc[1].v[0].n_endpoints = 2;
	set_ep6(&cfg->svc[1].v[0], 0, "2001:db8:1::11", 8080, 0);
	set_ep6(&cfg->svc[1].v[0], 1, "2001:db8:1::13", 8080, CANARY_EP_F_DRAINING);
	if (!ASSERT_OK(env_apply(env, cfg), "apply without the endpoint"))
		return;
	ASSERT_TRUE(has_flow6(env, "2001:db8:c::1"), "flow to the kept endpoint stays");
	ASSERT_TRUE(!has_flow6(env, "2001:db8:c::2"), "flow to the removed endpoint dropped");
}

/*
 * The endpoint the maps give flow @client:@sport -> VIP:80 of service
 * @id (version @v): by rendezvous over the ver6 entries when it has no
 * table, else the ring slot the flow hashes to (the folded addresses
 * through the IPv4 formula), then that slot's ver6 entry.
 */
static int map_choice(struct test_env *env, __u32 id, int v,
		      const struct canary_addr *client, __u16 sport,
		      struct canary_endpoint6 *ep)
{
	int gen = state_service_slot(&env->st, id);
	struct canary_ver_key vk = { .svc_id = id, .version = v, .gen = gen };
	struct canary_ring_key rk = { .svc_id = id, .version = v, .gen = gen };
	struct canary_addr vip = a6(VIP6);
	static struct canary_ver6 ver;
	static struct canary_ring ring;
	__u32 slot, h;

	if (bpf_map_lookup_elem(env->st.ver6_fd, &vk, &ver))
		return -1;
	h = canary_flow_hash(addr_hash_word(client), addr_hash_word(&vip),
			     htons(sport), htons(80), IPPROTO_TCP,
			     CANARY_SEED_ENDPOINT);
	if (!ver.ring_size) {
		slot = canary_hrw_pick6(h, ver.ep, ver.n_endpoints);
		if (slot >= ver.n_endpoints)
			return -1;
		*ep = ver.ep[slot];
		return 0;
	}
	slot = h % ver.ring_size;
	rk.chunk = slot / CANARY_RING_CHUNK;
	if (bpf_map_lookup_elem(env->st.ring_fd, &rk, &ring) ||
	    ring.slot[slot % CANARY_RING_CHUNK] >= ver.n_endpoints)
		return -1;
	*ep = ver.ep[ring.slot[slot % CANARY_RING_CHUNK]];
	return 0;
}

/* env_predict_addr() (what the BPF tests expect of IPv6 flows) agrees
 * with the ring and endpoints written to the maps, and never picks the
 * draining endpoint. */
static void check_predict(struct test_env *env, const struct canary_config *cfg,
			  __u32 id)
{
	const struct canary_service_cfg *svc = &cfg->svc[config_find_index(cfg, "six")];
	struct canary_addr client = a6("2001:db8:c::1"), vip = a6(VIP6);
	struct canary_endpoint6 got;
	struct canary_ep_cfg want;
	int i, v, bad = 0, draining = 0;

	for (i = 0; i < 500; i++) {
		client.v6[3] = htonl(i + 1);
		v = env_predict_addr(svc, &client, &vip, 40000 + i, 80,
				     IPPROTO_TCP, &want);
		if (v < 0 || map_choice(env, id, v, &client, 40000 + i, &got)) {
			bad++;
			continue;
		}
		bad += memcmp(got.addr, want.addr.v6, 16) || got.port != want.port;
		draining += !!(want.flags & CANARY_EP_F_DRAINING);
	}
	ASSERT_EQ(bad, 0, "predictions that differ from the maps");
	ASSERT_EQ(draining, 0, "flows predicted to a draining endpoint");
}

/* Once the IPv6 services are gone (and the IPv4 one changed a few
 * times), no IPv6 config entry is left. */
static void check_deleted(struct test_env *env, struct canary_config *cfg)
{
	int i;

	for (i = 0; i < CANARY_GENERATIONS; i++) {
		config_free(cfg);
		config_init(cfg);
		env_seed_config(cfg, 1000 * (i + 1), IPPROTO_TCP);
		if (!ASSERT_OK(env_apply(env, cfg), "apply IPv4 only"))
			return;
	}
	ASSERT_EQ(count_all(env->st.svc6_fd), 0, "canary_svc6 empty");
	ASSERT_EQ(count_all(env->st.ver6_fd), 0, "canary_ver6 empty");
	ASSERT_EQ(count_all(env->st.backend6_fd), 0, "canary_backend6 empty");
	ASSERT_EQ(count_all(env->st.pins6_fd), 0, "canary_pins6 empty");
	ASSERT_EQ(count_all(env->st.flow6_fd), 0, "canary_flow6 empty");
	ASSERT_EQ(count_all(env->st.svc_fd), 1,
		  "the IPv4 service, one entry for its slots");
}

void test_dualstack(void)
{
	static __u32 ids[CANARY_MAX_SERVICES];
	struct canary_config cfg;
	struct test_env env;
	int id6;

	config_init(&cfg);
	if (env_setup(&env))
		return;
	dual_config(&cfg, 1000);
	test__start_subtest("v6_apply_and_read_back");
	if (!ASSERT_OK(env_apply(&env, &cfg), "apply"))
		goto out;
	check_read_back(&env, &cfg, ids);

	test__start_subtest("v6_maps");
	{
		struct canary_config now;

		config_init(&now);
		state_read_config(&env.st, &now, ids);
		id6 = id_of(&now, ids, "six");
		check_v4_apart(&env, id_of(&now, ids, "prod-service"));
		config_free(&now);
	}
	if (ASSERT_TRUE(id6 >= 0, "id of six"))
		check_v6_maps(&env, id6);

	test__start_subtest("v6_predict_matches_maps");
	if (id6 >= 0)
		check_predict(&env, &cfg, id6);

	test__start_subtest("v6_weight_change_read_back");
	dual_config(&cfg, 5000);
	if (ASSERT_OK(env_apply(&env, &cfg), "apply"))
		check_read_back(&env, &cfg, ids);

	test__start_subtest("v6_removed_endpoint_flows_dropped");
	check_flow_gc(&env, &cfg, id6);
	check_read_back(&env, &cfg, ids);

	test__start_subtest("v6_deleted_leaves_nothing");
	check_deleted(&env, &cfg);
out:
	config_free(&cfg);
	env_teardown(&env);
}
