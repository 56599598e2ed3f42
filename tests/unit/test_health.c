// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The guard's settings (apply file, CLI, annotation) and the handshake
 * percentiles: user/core/health.c and the YAML loader's guard: key. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "core/config_yaml.h"
#include "core/health.h"

static void test_spec(void)
{
	struct canary_guard_cfg g;
	struct canary_err err = {};

	CHECK_EQ(guard_parse_spec("max_failure_pct=5,min_flows=50,window_s=10",
				  &g, &err), 0);
	CHECK(g.on, "on");
	CHECK_EQ(g.max_fail_bps, 500);
	CHECK_EQ(g.min_flows, 50);
	CHECK_EQ(g.window_s, 10);
	CHECK_EQ(guard_parse_spec("window_s=3, max_failure_pct=2.5", &g, &err), 0);
	CHECK_EQ(g.max_fail_bps, 250);
	CHECK_EQ(g.min_flows, CANARY_GUARD_FLOWS_DEFAULT); /* default */
	CHECK_EQ(g.window_s, 3);
	CHECK_EQ(guard_parse_spec("off", &g, &err), 0);
	CHECK(!g.on, "off");
}

/* @spec must be refused with a message containing @needle. */
static void bad_spec(const char *spec, const char *needle)
{
	struct canary_guard_cfg g;
	struct canary_err err = {};

	CHECK_EQ(guard_parse_spec(spec, &g, &err), -EINVAL);
	CHECK_STR_CONTAINS(err.msg, needle);
	CHECK(!g.on, "a refused spec leaves no guard");
}

static void test_bad_spec(void)
{
	bad_spec("max_failure_pct=100", "max_failure_pct");
	bad_spec("max_failure_pct=5%", "max_failure_pct");
	bad_spec("max_failure_pct=-1", "max_failure_pct");
	bad_spec("min_flows=0", "min_flows");
	bad_spec("min_flows=1000001", "min_flows");
	bad_spec("min_flows=5x", "min_flows");
	bad_spec("window_s=0", "window_s");
	bad_spec("window_s=3601", "window_s");
	bad_spec("window=10", "unknown key 'window'");
	bad_spec("min_flows", "not KEY=VALUE");
	bad_spec("min_flows=5,min_flows=6", "min_flows given twice");
	bad_spec("", "names no key");
}

static void test_fmt_equal(void)
{
	struct canary_guard_cfg a, b;
	struct canary_err err = {};
	char buf[96];

	guard_parse_spec("max_failure_pct=2.5,min_flows=20,window_s=5", &a, &err);
	CHECK(!strcmp(guard_fmt(&a, buf, sizeof(buf)),
		      "max_failure_pct=2.5,min_flows=20,window_s=5"), "%s", buf);
	CHECK_EQ(guard_parse_spec(buf, &b, &err), 0);
	CHECK(guard_cfg_equal(&a, &b), "round trip");
	b.min_flows++;
	CHECK(!guard_cfg_equal(&a, &b), "min_flows differs");
	memset(&a, 0, sizeof(a));
	memset(&b, 0xff, sizeof(b));
	b.on = false;
	CHECK(guard_cfg_equal(&a, &b), "every off is the same");
}

static void test_percentile(void)
{
	__u64 h[CANARY_HS_BUCKETS] = {};
	double p;

	CHECK(health_percentile_us(h, CANARY_HS_BUCKETS, 0.99) == 0, "empty");
	h[6] = 100; /* 64-127 us */
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.5);
	CHECK(p >= 64 && p <= 128, "p50 %f", p);
	h[20] = 2; /* two handshakes of about a second: 2% */
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.99);
	CHECK(p >= (1 << 20) && p <= (1 << 21), "p99 %f", p);
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.5);
	CHECK(p >= 64 && p <= 128, "p50 stays %f", p);
	memset(h, 0, sizeof(h));
	h[CANARY_HS_BUCKETS - 1] = 1; /* open-ended: its lower bound */
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.99);
	CHECK(p == (double)(1 << (CANARY_HS_BUCKETS - 1)), "last %f", p);
}

static void test_reason(void)
{
	struct canary_service_cfg svc = { .n_versions = 2 };
	struct canary_guard g = { .flags = CANARY_GUARD_F_ON, .max_fail_bps = 500,
				  .min_flows = 50, .window_ms = 10000 };
	char buf[256];
	int v;

	strcpy(svc.v[0].name, "v1");
	strcpy(svc.v[1].name, "v2");
	CHECK_EQ(guard_service_state(&g, 2, &v), GUARD_ARMED);
	CHECK_EQ(guard_version_state(&g, 0), GUARD_OFF);
	CHECK_EQ(guard_version_state(&g, 1), GUARD_ARMED);
	g.v[1].shed_ns = 1;
	g.v[1].shed_conns = 52;
	g.v[1].shed_failed = 51;
	CHECK_EQ(guard_service_state(&g, 2, &v), GUARD_SHED);
	CHECK_EQ(v, 1);
	guard_reason(&g, &svc, buf, sizeof(buf));
	CHECK_STR_CONTAINS(buf, "v2: 51 of 52 new connections failed");
	CHECK_STR_CONTAINS(buf, "go to v1");
	g.flags = 0;
	CHECK_EQ(guard_service_state(&g, 2, &v), GUARD_OFF);
}

static int load(const char *text, struct canary_config *cfg,
		struct canary_err *err)
{
	char path[] = "/tmp/canary-unit-XXXXXX";
	int fd = mkstemp(path), ret;

	if (!CHECK(fd >= 0, "mkstemp"))
		return -EIO;
	CHECK_EQ(write(fd, text, strlen(text)), strlen(text));
	close(fd);
	config_init(cfg);
	ret = yaml_load_config(path, cfg, err);
	unlink(path);
	return ret;
}

#define SVC "services:\n  - name: web\n    vip: 10.96.0.10\n    port: 80\n" \
	    "    versions:\n      - {name: v1, weight: 100, endpoints: [10.0.0.1:80]}\n"

static void test_yaml(void)
{
	struct canary_config cfg;
	struct canary_err err = {};

	CHECK_EQ(load(SVC "    guard: {max_failure_pct: 5, min_flows: 50, window_s: 10}\n",
		      &cfg, &err), 0);
	CHECK(cfg.n_services == 1 && cfg.svc[0].guard.on, "guard on");
	CHECK_EQ(cfg.svc[0].guard.max_fail_bps, 500);
	config_free(&cfg);
	CHECK_EQ(load(SVC "    guard: {window_s: 30}\n", &cfg, &err), 0);
	CHECK_EQ(cfg.svc[0].guard.window_s, 30);
	CHECK_EQ(cfg.svc[0].guard.min_flows, CANARY_GUARD_FLOWS_DEFAULT);
	config_free(&cfg);
	CHECK_EQ(load(SVC, &cfg, &err), 0);
	CHECK(!cfg.svc[0].guard.on, "no guard: off");
	config_free(&cfg);
	CHECK_EQ(load(SVC "    guard: {min_flows: 0}\n", &cfg, &err), -EINVAL);
	CHECK_STR_CONTAINS(err.msg, ":7:");
	CHECK_STR_CONTAINS(err.msg, "min_flows '0' is out of range");
	config_free(&cfg);
	CHECK_EQ(load(SVC "    guard: {max_fail: 5}\n", &cfg, &err), -EINVAL);
	CHECK_STR_CONTAINS(err.msg, "unknown key 'max_fail' in a guard");
	config_free(&cfg);
	CHECK_EQ(load(SVC "    guard: 5\n", &cfg, &err), -EINVAL);
	CHECK_STR_CONTAINS(err.msg, "'guard' must be a mapping");
	config_free(&cfg);
}

int main(void)
{
	RUN(test_spec);
	RUN(test_bad_spec);
	RUN(test_fmt_equal);
	RUN(test_percentile);
	RUN(test_reason);
	RUN(test_yaml);
	return UNIT_DONE();
}
