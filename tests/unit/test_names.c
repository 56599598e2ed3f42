// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The name index (user/core/names.c) against a plain array, and the
 * indexed service check against the pairwise one. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/names.h"
#include "harness.h"

#define N_KEYS 5000

static char keys[N_KEYS][16];

/* Puts, gets, overwrites and deletes (every third key, through the
 * probe chains the others sit on), checking every key after each phase
 * against what it must hold. */
static void test_index_matches_array(void)
{
	static int want[N_KEYS];
	struct names ix;
	int i, bad = 0;

	names_init(&ix);
	ASSERT_EQ(names_get(&ix, "none"), -1, "lookup in an empty index");
	for (i = 0; i < N_KEYS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "svc-%d", i);
		ASSERT_EQ(names_put(&ix, keys[i], i), 0, "names_put");
		want[i] = i;
	}
	for (i = 0; i < N_KEYS; i += 7) {
		names_put(&ix, keys[i], -i - 2);
		want[i] = -i - 2;
	}
	for (i = 0; i < N_KEYS; i += 3) {
		names_del(&ix, keys[i]);
		want[i] = -1;
	}
	names_del(&ix, "not there");
	for (i = 0; i < N_KEYS; i++)
		bad += names_get(&ix, keys[i]) != want[i];
	ASSERT_EQ(bad, 0, "keys whose value differs from the array's");
	ASSERT_EQ(ix.n, N_KEYS - (N_KEYS + 2) / 3, "keys left");
	names_clear(&ix);
	ASSERT_EQ(names_get(&ix, keys[1]), -1, "lookup after names_clear");
	names_free(&ix);
}

static void add(struct canary_config *cfg, const char *name, const char *vip,
		int port)
{
	struct canary_service_cfg *s = config_add_service(cfg, NULL);
	__be32 a;

	inet_pton(AF_INET, vip, &a);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = addr_v4(a);
	s->port = htons(port);
	s->proto = CANARY_PROTO_TCP;
	s->n_versions = 1;
	snprintf(s->v[0].name, sizeof(s->v[0].name), "v1");
	s->v[0].weight_bps = CANARY_BPS_TOTAL;
}

/* Duplicate names and (VIP, port, protocol) keys give the same verdict
 * and message through the index as through the pairwise check. */
static void test_validate_indexed(void)
{
	struct canary_err e1 = {}, e2 = {};
	struct config_index ix;
	struct canary_config cfg;
	int i, r1, r2;

	config_init(&cfg);
	add(&cfg, "a", "10.0.0.1", 80);
	add(&cfg, "b", "10.0.0.1", 81);
	add(&cfg, "c", "10.0.0.2", 80);
	add(&cfg, "a", "10.0.0.3", 80);    /* name twice */
	add(&cfg, "d", "10.0.0.1", 81);    /* b's VIP:port */
	add(&cfg, "e", "10.0.0.4", 80);
	config_index_init(&ix);
	for (i = 0; i < cfg.n_services; i++) {
		r1 = config_validate_service(&cfg, i, &e1);
		r2 = config_validate_service_ix(&cfg, i, &ix, &e2);
		ASSERT_TRUE_FMT(r1 == r2 && !strcmp(e1.msg, e2.msg),
				"service %d: %d '%s' / %d '%s'", i, r1, e1.msg,
				r2, e2.msg);
	}
	ASSERT_TRUE(config_validate(&cfg, &e1) != 0, "duplicates accepted");
	ASSERT_STR_CONTAINS(e1.msg, "'a' is defined twice", "config_validate");
	config_index_free(&ix);
	config_free(&cfg);
}

int main(void)
{
	RUN_TEST(test_index_matches_array);
	RUN_TEST(test_validate_indexed);
	return test__summary();
}
