// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What the agent replans after a change (user/agent/agent_cache.c,
 * agent.c's watch callbacks, agent_apply.c's dependency index) and the
 * packed service configs it compares (core/config.c). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_plan.h"
#include "kube_fixture.h"
#include "harness.h"

static struct kube_obj *service(const char *name, const char *ip,
				const char *rv)
{
	char json[512];

	snprintf(json, sizeof(json),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
		 "\"resourceVersion\":\"%s\"},\"spec\":{\"clusterIP\":\"%s\","
		 "\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"}]}}",
		 name, rv, ip);
	return obj(KUBE_SERVICE, json);
}

static struct kube_obj *slice(const char *name, const char *svc,
			      const char *ip, const char *rv)
{
	char json[640];

	snprintf(json, sizeof(json),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
		 "\"resourceVersion\":\"%s\",\"labels\":"
		 "{\"kubernetes.io/service-name\":\"%s\"}},\"addressType\":\"IPv4\","
		 "\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],"
		 "\"endpoints\":[{\"addresses\":[\"%s\"]}]}", name, rv, svc, ip);
	return obj(KUBE_SLICE, json);
}

static struct kube_obj *split(const char *name, const char *root,
			      const char *b1, const char *b2)
{
	char json[640];

	snprintf(json, sizeof(json),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\"},"
		 "\"spec\":{\"service\":\"%s\",\"backends\":[{\"service\":\"%s\","
		 "\"weight\":90},{\"service\":\"%s\",\"weight\":10}]}}",
		 name, root, b1, b2);
	return obj(KUBE_SPLIT, json);
}

/* Whether @d holds @key. */
static bool has(const struct dirty_set *d, const char *key)
{
	return names_get(&d->ix, key) >= 0;
}

/* Slices are found by Service, also after one moves to another. */
static void test_store_slices(void)
{
	struct kube_store s = {};
	struct dirty_set d = {};
	int n;

	kube_store_put(&s, slice("a-1", "a", "10.1.0.1", "1"), &d);
	kube_store_put(&s, slice("a-2", "a", "10.1.0.2", "1"), &d);
	kube_store_put(&s, slice("b-1", "b", "10.2.0.1", "1"), &d);
	kube_store_slices(&s, "ns", "a", &n);
	ASSERT_EQ(n, 2, "slices of a");
	ASSERT_TRUE(has(&d, "s/ns/a") && has(&d, "s/ns/b"), "services dirty");
	dirty_clear(&d);
	/* a-2 now belongs to b: both services change */
	kube_store_put(&s, slice("a-2", "b", "10.2.0.2", "2"), &d);
	kube_store_slices(&s, "ns", "a", &n);
	ASSERT_EQ(n, 1, "slices of a after the move");
	kube_store_slices(&s, "ns", "b", &n);
	ASSERT_EQ(n, 2, "slices of b after the move");
	ASSERT_TRUE(has(&d, "s/ns/a") && has(&d, "s/ns/b"), "both dirty");
	ASSERT_TRUE(has(&d, "2/ns/a-2"), "the slice's own key");
	dirty_clear(&d);
	kube_store_del(&s, "ns", "b-1", &d);
	kube_store_slices(&s, "ns", "b", &n);
	ASSERT_EQ(n, 1, "slices of b after a delete");
	ASSERT_TRUE(has(&d, "s/ns/b") && !has(&d, "s/ns/a"), "only b dirty");
	ASSERT_TRUE(kube_store_find(&s, "ns", "a-1") != NULL, "a-1 found");
	ASSERT_TRUE(kube_store_find(&s, "ns", "b-1") == NULL, "b-1 gone");
	dirty_free(&d);
	kube_store_free(&s);
}

/* An agent with two splits planned: ts1 (prod1: v1, v2), ts2 (prod2:
 * w1, w2), and ts3 whose root Service does not exist yet. */
static void setup(struct agent *a)
{
	struct kube_store *st = a->store;
	struct agent_plan p;

	kube_store_put(&st[KUBE_SERVICE], service("prod1", "10.96.0.1", "1"), NULL);
	kube_store_put(&st[KUBE_SERVICE], service("prod2", "10.96.0.2", "1"), NULL);
	kube_store_put(&st[KUBE_SLICE], slice("v1-x", "v1", "10.1.0.1", "1"), NULL);
	kube_store_put(&st[KUBE_SLICE], slice("v2-x", "v2", "10.1.0.2", "1"), NULL);
	kube_store_put(&st[KUBE_SLICE], slice("w1-x", "w1", "10.2.0.1", "1"), NULL);
	kube_store_put(&st[KUBE_SLICE], slice("w2-x", "w2", "10.2.0.2", "1"), NULL);
	kube_store_put(&st[KUBE_SPLIT], split("ts1", "prod1", "v1", "v2"), NULL);
	kube_store_put(&st[KUBE_SPLIT], split("ts2", "prod2", "w1", "w2"), NULL);
	kube_store_put(&st[KUBE_SPLIT], split("ts3", "prod3", "v1", "w1"), NULL);
	if (!ASSERT_EQ(agent_plan_build(st, NULL, &p), 0, "agent_plan_build"))
		return;
	ASSERT_EQ(p.cfg.n_services, 2, "services planned");
	agent_learn_refs(a, &p);
	agent_plan_free(&p);
}

/* The owners a change of the objects keyed @keys reaches, as "a,b". */
static void owners_of(struct agent *a, const char *const *keys, char *out,
		      size_t len)
{
	struct dirty_set d = {}, o = {};
	size_t off = 0;
	int i;

	for (i = 0; keys[i]; i++)
		dirty_add(&d, keys[i]);
	out[0] = '\0';
	ASSERT_EQ(agent_dirty_owners(a, &d, &o), 0, "agent_dirty_owners");
	for (i = 0; i < o.n && off < len; i++)
		off += snprintf(out + off, len - off, "%s%s", i ? "," : "",
				o.keys[i]);
	dirty_free(&d);
	dirty_free(&o);
}

static void test_dirty_owners(void)
{
	static const char *const k_v2[] = { "s/ns/v2", "2/ns/v2-x", NULL };
	static const char *const k_w1[] = { "s/ns/w1", NULL };
	static const char *const k_prod2[] = { "1/ns/prod2", NULL };
	static const char *const k_prod3[] = { "1/ns/prod3", NULL };
	static const char *const k_other[] = { "s/ns/zz", "1/ns/zz", NULL };
	static const char *const k_ts2[] = { "0/ns/ts2", NULL };
	static const char *const k_new[] = { "0/ns/ts9", NULL };
	struct agent a;
	char got[512];

	agent_init(&a, NULL, "/nonexistent", NULL, 600);
	setup(&a);
	owners_of(&a, k_v2, got, sizeof(got));
	ASSERT_TRUE_FMT(!strcmp(got, "0/ns/ts1"), "v2's slice: %s", got);
	/* w1 backs ts2, and ts3 once its root exists: not yet read */
	owners_of(&a, k_w1, got, sizeof(got));
	ASSERT_TRUE_FMT(!strcmp(got, "0/ns/ts2"), "w1: %s", got);
	owners_of(&a, k_prod2, got, sizeof(got));
	ASSERT_TRUE_FMT(!strcmp(got, "0/ns/ts2"), "prod2: %s", got);
	owners_of(&a, k_prod3, got, sizeof(got));
	ASSERT_TRUE_FMT(!strcmp(got, "0/ns/ts3"), "missing root appears: %s", got);
	owners_of(&a, k_other, got, sizeof(got));
	ASSERT_TRUE_FMT(!got[0], "unrelated objects: %s", got);
	owners_of(&a, k_ts2, got, sizeof(got));
	ASSERT_TRUE_FMT(!strcmp(got, "0/ns/ts2"), "the split itself: %s", got);
	owners_of(&a, k_new, got, sizeof(got));
	ASSERT_TRUE_FMT(!strcmp(got, "0/ns/ts9"), "a new split: %s", got);
	agent_free(&a);
}

/* A relist that brings the same objects at the same versions changes
 * nothing (and asks for no pass); one that brings a new version of one
 * and lacks another changes those two. */
static void test_relist(void)
{
	const struct kube_watch_ops *ops;
	struct kube_obj *objs[2];
	struct agent a;

	agent_init(&a, NULL, "/nonexistent", NULL, 600);
	ops = a.watch[KUBE_SERVICE].ops;
	objs[0] = service("a", "10.96.0.1", "5");
	objs[1] = service("b", "10.96.0.2", "5");
	ops->replace(&a, KUBE_SERVICE, objs, 2);
	ASSERT_TRUE(a.changed.n == 2 && a.dirty, "first list: both");
	dirty_clear(&a.changed);
	a.dirty = false;
	objs[0] = service("a", "10.96.0.1", "5");
	objs[1] = service("b", "10.96.0.2", "5");
	ops->replace(&a, KUBE_SERVICE, objs, 2);
	ASSERT_TRUE_FMT(a.changed.n == 0 && !a.dirty, "same relist: %d keys",
			a.changed.n);
	objs[0] = service("a", "10.96.0.1", "6");
	ops->replace(&a, KUBE_SERVICE, objs, 1);
	ASSERT_TRUE_FMT(a.changed.n == 2 && has(&a.changed, "1/ns/a") &&
			has(&a.changed, "1/ns/b"), "a changed, b gone: %d keys",
			a.changed.n);
	ASSERT_EQ(a.store[KUBE_SERVICE].n, 1, "services cached");
	dirty_clear(&a.changed);
	ops->update(&a, service("a", "10.96.0.1", "7"), false);
	ASSERT_TRUE(a.changed.n == 1 && has(&a.changed, "1/ns/a"), "update");
	agent_free(&a);
}

/* A packed service is small, unpacks to the same config, and packs
 * differently after any change. */
static void test_pack(void)
{
	struct canary_service_cfg *s = calloc(1, sizeof(*s));
	struct canary_service_cfg *u = calloc(1, sizeof(*u));
	size_t len, len2;
	void *a, *b;

	if (!ASSERT_TRUE(s && u, "memory"))
		goto out;
	snprintf(s->name, sizeof(s->name), "svc");
	s->vip = addr_v4(htonl(0x0a600001));
	s->port = htons(80);
	s->proto = CANARY_PROTO_TCP;
	s->n_versions = 2;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	snprintf(s->v[1].name, sizeof(s->v[1].name), "v2");
	s->v[0].weight_bps = 9000;
	s->v[1].weight_bps = 1000;
	s->v[0].n_endpoints = 2;
	s->v[0].ep[0].addr = addr_v4(htonl(0x0a010001));
	s->v[0].ep[1].addr = addr_v4(htonl(0x0a010002));
	s->v[0].ep[0].port = s->v[0].ep[1].port = htons(8080);
	s->guard.on = true;
	a = config_service_pack(s, &len);
	ASSERT_TRUE_FMT(a && len < 1024, "packed to %zu bytes", len);
	ASSERT_EQ(config_service_unpack(a, len, u), 0, "unpack");
	ASSERT_TRUE(config_service_same(s, u) && !memcmp(s, u, sizeof(*s)),
		    "unpacked differs");
	ASSERT_TRUE(config_service_unpack(a, len - 1, u) < 0, "short buffer");
	s->v[1].ep[0] = s->v[0].ep[1];
	s->v[1].n_endpoints = 1;
	b = config_service_pack(s, &len2);
	ASSERT_TRUE(b && (len2 != len || memcmp(a, b, len)), "endpoint added");
	free(b);
	s->v[1].n_endpoints = 0;
	s->v[0].weight_bps = 8000;
	b = config_service_pack(s, &len2);
	ASSERT_TRUE(b && len2 == len && memcmp(a, b, len), "weight changed");
	free(b);
	free(a);
out:
	free(s);
	free(u);
}

int main(void)
{
	RUN_TEST(test_store_slices);
	RUN_TEST(test_dirty_owners);
	RUN_TEST(test_relist);
	RUN_TEST(test_pack);
	return test__summary();
}
