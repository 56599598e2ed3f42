// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The guard's settings (apply file, CLI, annotation) and the handshake
 * percentiles: user/core/health.c and the YAML loader's guard: key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "core/config_yaml.h"
#include "core/health.h"

static void test_spec(void)
{
	struct canary_guard_cfg g;
	struct canary_err err = {};

	ASSERT_EQ(guard_parse_spec("max_failure_pct=5,min_flows=50,window_s=10",
				  &g, &err), 0, "guard_parse_spec(\"max_failure_pct=5,min_flows=50,window_s=10\", &g, &err)");
	ASSERT_TRUE_FMT(g.on, "on");
	ASSERT_EQ(g.max_fail_bps, 500, "g.max_fail_bps");
	ASSERT_EQ(g.min_flows, 50, "g.min_flows");
	ASSERT_EQ(g.window_s, 10, "g.window_s");
	ASSERT_EQ(guard_parse_spec("window_s=3, max_failure_pct=2.5", &g, &err), 0, "guard_parse_spec(\"window_s=3, max_failure_pct=2.5\", &g, &err)");
	ASSERT_EQ(g.max_fail_bps, 250, "g.max_fail_bps");
	ASSERT_EQ(g.min_flows, CANARY_GUARD_FLOWS_DEFAULT, "g.min_flows"); /* default */
	ASSERT_EQ(g.window_s, 3, "g.window_s");
	ASSERT_EQ(guard_parse_spec("off", &g, &err), 0, "guard_parse_spec(\"off\", &g, &err)");
	ASSERT_TRUE_FMT(!g.on, "off");
}

/* @spec must be refused with a message containing @needle. */
static void bad_spec(const char *spec, const char *needle)
{
	struct canary_guard_cfg g;
	struct canary_err err = {};

	ASSERT_EQ(guard_parse_spec(spec, &g, &err), -EINVAL, "guard_parse_spec(spec, &g, &err)");
	ASSERT_TRUE_FMT(strstr(err.msg, needle) != NULL, "\'%s\'", err.msg);
	ASSERT_TRUE_FMT(!g.on, "a refused spec leaves no guard");
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
	ASSERT_TRUE_FMT(!strcmp(guard_fmt(&a, buf, sizeof(buf)),
		      "max_failure_pct=2.5,min_flows=20,window_s=5"), "%s", buf);
	ASSERT_EQ(guard_parse_spec(buf, &b, &err), 0, "guard_parse_spec(buf, &b, &err)");
	ASSERT_TRUE_FMT(guard_cfg_equal(&a, &b), "round trip");
	b.min_flows++;
	ASSERT_TRUE_FMT(!guard_cfg_equal(&a, &b), "min_flows differs");
	memset(&a, 0, sizeof(a));
	memset(&b, 0xff, sizeof(b));
	b.on = false;
	ASSERT_TRUE_FMT(guard_cfg_equal(&a, &b), "every off is the same");
}

static void test_percentile(void)
{
	__u64 h[CANARY_HS_BUCKETS] = {};
	double p;

	ASSERT_TRUE_FMT(health_percentile_us(h, CANARY_HS_BUCKETS, 0.99) == 0, "empty");
	h[6] = 100; /* 64-127 us */
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.5);
	ASSERT_TRUE_FMT(p >= 64 && p <= 128, "p50 %f", p);
	h[20] = 2; /* two handshakes of about a second: 2% */
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.99);
	ASSERT_TRUE_FMT(p >= (1 << 20) && p <= (1 << 21), "p99 %f", p);
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.5);
	ASSERT_TRUE_FMT(p >= 64 && p <= 128, "p50 stays %f", p);
	memset(h, 0, sizeof(h));
	h[CANARY_HS_BUCKETS - 1] = 1; /* open-ended: its lower bound */
	p = health_percentile_us(h, CANARY_HS_BUCKETS, 0.99);
	ASSERT_TRUE_FMT(p == (double)(1 << (CANARY_HS_BUCKETS - 1)), "last %f", p);
}

static void test_reason(void)
{
	struct canary_service_cfg svc = { .n_versions = 2 };
	struct canary_svc_guard g = { .flags = CANARY_GUARD_F_ON, .max_fail_bps = 500,
				  .min_flows = 50, .window_ms = 10000 };
	char buf[256];
	int v;

	strcpy(svc.v[0].name, "v1");
	strcpy(svc.v[1].name, "v2");
	ASSERT_EQ(guard_service_state(&g, 2, &v), GUARD_ARMED, "guard_service_state(&g, 2, &v)");
	ASSERT_EQ(guard_version_state(&g, 0), GUARD_OFF, "guard_version_state(&g, 0)");
	ASSERT_EQ(guard_version_state(&g, 1), GUARD_ARMED, "guard_version_state(&g, 1)");
	g.v[1].shed_ns = 1;
	g.v[1].shed_conns = 52;
	g.v[1].shed_failed = 51;
	ASSERT_EQ(guard_service_state(&g, 2, &v), GUARD_SHED, "guard_service_state(&g, 2, &v)");
	ASSERT_EQ(v, 1, "v");
	guard_reason(&g, &svc, buf, sizeof(buf));
	ASSERT_TRUE_FMT(strstr(buf, "v2: 51 of 52 new connections failed") != NULL, "\'%s\'", buf);
	ASSERT_TRUE_FMT(strstr(buf, "go to v1") != NULL, "\'%s\'", buf);
	g.flags = 0;
	ASSERT_EQ(guard_service_state(&g, 2, &v), GUARD_OFF, "guard_service_state(&g, 2, &v)");
}

static int load(const char *text, struct canary_config *cfg,
		struct canary_err *err)
{
	char path[] = "/tmp/canary-unit-XXXXXX";
	int fd = mkstemp(path), ret;

	if (!ASSERT_TRUE_FMT(fd >= 0, "mkstemp"))
		return -EIO;
	ASSERT_EQ(write(fd, text, strlen(text)), strlen(text), "write(fd, text, strlen(text))");
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

	ASSERT_EQ(load(SVC "    guard: {max_failure_pct: 5, min_flows: 50, window_s: 10}\n",
		      &cfg, &err), 0, "load(SVC \" guard: {max_failure_pct: 5, min_flows: 50, window_s: 10}\\n\", &cfg, &err)");
	ASSERT_TRUE_FMT(cfg.n_services == 1 && cfg.svc[0].guard.on, "guard on");
	ASSERT_EQ(cfg.svc[0].guard.max_fail_bps, 500, "cfg.svc[0].guard.max_fail_bps");
	config_free(&cfg);
	ASSERT_EQ(load(SVC "    guard: {window_s: 30}\n", &cfg, &err), 0, "load(SVC \" guard: {window_s: 30}\\n\", &cfg, &err)");
	ASSERT_EQ(cfg.svc[0].guard.window_s, 30, "cfg.svc[0].guard.window_s");
	ASSERT_EQ(cfg.svc[0].guard.min_flows, CANARY_GUARD_FLOWS_DEFAULT, "cfg.svc[0].guard.min_flows");
	config_free(&cfg);
	ASSERT_EQ(load(SVC, &cfg, &err), 0, "load(SVC, &cfg, &err)");
	ASSERT_TRUE_FMT(!cfg.svc[0].guard.on, "no guard: off");
	config_free(&cfg);
	ASSERT_EQ(load(SVC "    guard: {min_flows: 0}\n", &cfg, &err), -EINVAL, "load(SVC \" guard: {min_flows: 0}\\n\", &cfg, &err)");
	ASSERT_TRUE_FMT(strstr(err.msg, ":7:") != NULL, "\'%s\'", err.msg);
	ASSERT_TRUE_FMT(strstr(err.msg, "min_flows '0' is out of range") != NULL, "\'%s\'", err.msg);
	config_free(&cfg);
	ASSERT_EQ(load(SVC "    guard: {max_fail: 5}\n", &cfg, &err), -EINVAL, "load(SVC \" guard: {max_fail: 5}\\n\", &cfg, &err)");
	ASSERT_TRUE_FMT(strstr(err.msg, "unknown key 'max_fail' in a guard") != NULL, "\'%s\'", err.msg);
	config_free(&cfg);
	ASSERT_EQ(load(SVC "    guard: 5\n", &cfg, &err), -EINVAL, "load(SVC \" guard: 5\\n\", &cfg, &err)");
	ASSERT_TRUE_FMT(strstr(err.msg, "'guard' must be a mapping") != NULL, "\'%s\'", err.msg);
	config_free(&cfg);
}

int main(void)
{
	RUN_TEST(test_spec);
	RUN_TEST(test_bad_spec);
	RUN_TEST(test_fmt_equal);
	RUN_TEST(test_percentile);
	RUN_TEST(test_reason);
	RUN_TEST(test_yaml);
	return test__summary();
}
