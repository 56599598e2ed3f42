// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `set-weight` semantics: user/core/weights.c. */
#include <arpa/inet.h>
#include <errno.h>

#include "harness.h"
#include "core/weights.h"
#include "svc_fixture.h"

/* prod-service (see svc_fill) with @n versions, weights @w, endpoints @eps. */
static void make_svc(struct canary_service_cfg *s, int n, const int *w,
		     const int *eps)
{
	svc_fill(s, "prod-service", 10, n, w, eps);
}

/* Runs weights_apply on the args; on failure checks @svc is unchanged. */
static int apply(struct canary_service_cfg *s, struct canary_err *err,
		 int n, char *const *args)
{
	struct canary_service_cfg before = *s;
	int ret;

	err->msg[0] = '\0';
	ret = weights_apply(s, n, args, err);
	if (ret)
		ASSERT_TRUE(!memcmp(&before, s, sizeof(before)),
			    "service changed by a failed call");
	return ret;
}

static void test_remainder_two_versions(void)
{
	struct canary_service_cfg s;
	struct canary_err err;
	char *a1[] = { "v2=25" }, *a2[] = { "v1=12.5" }, *a3[] = { "v2=100" };

	make_svc(&s, 2, (int[]){ 100, 0 }, (int[]){ 3, 1 });
	ASSERT_EQ(apply(&s, &err, 1, a1), 0, "apply(&s, &err, 1, a1)");
	ASSERT_EQ(s.v[0].weight_bps, 7500, "s.v[0].weight_bps");
	ASSERT_EQ(s.v[1].weight_bps, 2500, "s.v[1].weight_bps");
	ASSERT_EQ(apply(&s, &err, 1, a2), 0, "apply(&s, &err, 1, a2)");
	ASSERT_EQ(s.v[0].weight_bps, 1250, "s.v[0].weight_bps");
	ASSERT_EQ(s.v[1].weight_bps, 8750, "s.v[1].weight_bps");
	ASSERT_EQ(apply(&s, &err, 1, a3), 0, "apply(&s, &err, 1, a3)");
	ASSERT_EQ(s.v[0].weight_bps, 0, "s.v[0].weight_bps");
	ASSERT_EQ(s.v[1].weight_bps, 10000, "s.v[1].weight_bps");
}

static void test_both_named(void)
{
	struct canary_service_cfg s;
	struct canary_err err;
	char *ok[] = { "v1=60", "v2=40" }, *bad[] = { "v1=60", "v2=30" };

	make_svc(&s, 2, (int[]){ 100, 0 }, (int[]){ 3, 1 });
	ASSERT_EQ(apply(&s, &err, 2, ok), 0, "apply(&s, &err, 2, ok)");
	ASSERT_EQ(s.v[0].weight_bps, 6000, "s.v[0].weight_bps");
	ASSERT_EQ(s.v[1].weight_bps, 4000, "s.v[1].weight_bps");
	ASSERT_EQ(apply(&s, &err, 2, bad), -EINVAL, "apply(&s, &err, 2, bad)");
	ASSERT_STR_CONTAINS(err.msg, "weights of 'prod-service' total 90, not 100", "err.msg");
}

static void test_unknown_version(void)
{
	struct canary_service_cfg s;
	struct canary_err err;
	char *a[] = { "v3=25" };

	make_svc(&s, 2, (int[]){ 100, 0 }, (int[]){ 3, 1 });
	ASSERT_EQ(apply(&s, &err, 1, a), -EINVAL, "apply(&s, &err, 1, a)");
	ASSERT_STR_CONTAINS(err.msg, "'v3=25': 'prod-service' has no version 'v3'", "err.msg");
}

static void test_named_twice(void)
{
	struct canary_service_cfg s;
	struct canary_err err;
	char *a[] = { "v2=25", "v2=30" };

	make_svc(&s, 2, (int[]){ 100, 0 }, (int[]){ 3, 1 });
	ASSERT_EQ(apply(&s, &err, 2, a), -EINVAL, "apply(&s, &err, 2, a)");
	ASSERT_STR_CONTAINS(err.msg, "'v2=30': version 'v2' is given a weight twice", "err.msg");
}

static void test_malformed(void)
{
	struct canary_service_cfg s;
	struct canary_err err;
	char *a1[] = { "v2" }, *a2[] = { "=25" }, *a3[] = { "v2=abc" },
	     *a4[] = { "v2=100.01" }, *a5[] = { "v2=25%" };

	make_svc(&s, 2, (int[]){ 100, 0 }, (int[]){ 3, 1 });
	ASSERT_EQ(apply(&s, &err, 1, a1), -EINVAL, "apply(&s, &err, 1, a1)");
	ASSERT_STR_CONTAINS(err.msg, "'v2' is not VERSION=PERCENT", "err.msg");
	ASSERT_EQ(apply(&s, &err, 1, a2), -EINVAL, "apply(&s, &err, 1, a2)");
	ASSERT_STR_CONTAINS(err.msg, "'=25' is not VERSION=PERCENT", "err.msg");
	ASSERT_EQ(apply(&s, &err, 1, a3), -EINVAL, "apply(&s, &err, 1, a3)");
	ASSERT_STR_CONTAINS(err.msg, "'v2=abc': 'abc' is not a percentage", "err.msg");
	ASSERT_EQ(apply(&s, &err, 1, a4), -EINVAL, "apply(&s, &err, 1, a4)");
	ASSERT_STR_CONTAINS(err.msg, "'100.01' is out of range", "err.msg");
	ASSERT_EQ(apply(&s, &err, 1, a5), -EINVAL, "apply(&s, &err, 1, a5)");
	ASSERT_STR_CONTAINS(err.msg, "'v2=25%'", "err.msg");
	ASSERT_EQ(apply(&s, &err, 0, a1), -EINVAL, "apply(&s, &err, 0, a1)");
	ASSERT_STR_CONTAINS(err.msg, "no VERSION=PERCENT given for 'prod-service'", "err.msg");
}

static void test_three_versions(void)
{
	struct canary_service_cfg s;
	struct canary_err err;
	char *one[] = { "v3=10" }, *two[] = { "v2=10", "v3=10" },
	     *all[] = { "v1=50", "v2=25", "v3=25" };

	make_svc(&s, 3, (int[]){ 80, 10, 10 }, (int[]){ 2, 2, 2 });
	/* No remainder rule beyond two versions: the others keep theirs. */
	ASSERT_EQ(apply(&s, &err, 1, one), 0, "apply(&s, &err, 1, one)");
	ASSERT_EQ(s.v[2].weight_bps, 1000, "s.v[2].weight_bps");
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v3=20" }), -EINVAL, "apply");
	ASSERT_STR_CONTAINS(err.msg, "total 110, not 100", "err.msg");
	ASSERT_EQ(apply(&s, &err, 2, two), 0, "apply(&s, &err, 2, two)");
	ASSERT_EQ(apply(&s, &err, 3, all), 0, "apply(&s, &err, 3, all)");
	ASSERT_EQ(s.v[0].weight_bps, 5000, "s.v[0].weight_bps");
	ASSERT_EQ(s.v[1].weight_bps, 2500, "s.v[1].weight_bps");
	ASSERT_EQ(s.v[2].weight_bps, 2500, "s.v[2].weight_bps");
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v1=40" }), -EINVAL, "apply");
	ASSERT_STR_CONTAINS(err.msg, "weights of 'prod-service' total 90, not 100", "err.msg");
}

static void test_no_endpoints(void)
{
	struct canary_service_cfg s;
	struct canary_err err;

	make_svc(&s, 2, (int[]){ 100, 0 }, (int[]){ 3, 0 });
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v2=25" }), -EINVAL, "apply");
	ASSERT_STR_CONTAINS(err.msg, "version 'v2' of 'prod-service' has no endpoints", "err.msg");
	/* The remainder counts as giving a weight too. */
	make_svc(&s, 2, (int[]){ 0, 100 }, (int[]){ 0, 3 });
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v2=75" }), -EINVAL, "apply");
	ASSERT_STR_CONTAINS(err.msg, "version 'v1' of 'prod-service' has no endpoints", "err.msg");
	/* Zero on an empty version is fine. */
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v1=0" }), 0, "apply");
	ASSERT_EQ(s.v[1].weight_bps, 10000, "s.v[1].weight_bps");
}

static void test_single_version(void)
{
	struct canary_service_cfg s;
	struct canary_err err;

	make_svc(&s, 1, (int[]){ 100 }, (int[]){ 1 });
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v1=100" }), 0, "apply");
	ASSERT_EQ(s.v[0].weight_bps, 10000, "s.v[0].weight_bps");
	ASSERT_EQ(apply(&s, &err, 1, (char *[]){ "v1=50" }), -EINVAL, "apply");
	ASSERT_STR_CONTAINS(err.msg, "total 50, not 100", "err.msg");
}

int main(void)
{
	RUN_TEST(test_remainder_two_versions);
	RUN_TEST(test_both_named);
	RUN_TEST(test_unknown_version);
	RUN_TEST(test_named_twice);
	RUN_TEST(test_malformed);
	RUN_TEST(test_three_versions);
	RUN_TEST(test_no_endpoints);
	RUN_TEST(test_single_version);
	return test__summary();
}
