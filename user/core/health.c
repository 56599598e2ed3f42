// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Guard settings and handshake percentiles (see health.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/health.h"
#include "core/parse.h"

const char *const guard_keys[] = { "max_failure_pct", "min_flows", "window_s",
				   NULL };

bool guard_cfg_equal(const struct canary_guard_cfg *a,
		     const struct canary_guard_cfg *b)
{
	return a->on == b->on &&
	       (!a->on || (a->max_fail_bps == b->max_fail_bps &&
			   a->min_flows == b->min_flows &&
			   a->window_s == b->window_s));
}

void guard_defaults(struct canary_guard_cfg *g)
{
	g->on = true;
	g->max_fail_bps = CANARY_GUARD_PCT_DEFAULT_BPS;
	g->min_flows = CANARY_GUARD_FLOWS_DEFAULT;
	g->window_s = CANARY_GUARD_WINDOW_DEFAULT_S;
}

/* A whole number @s in [@min, @max] into @out; the message names @key. */
static int parse_count(const char *key, const char *s, unsigned long min,
		       unsigned long max, __u32 *out, struct canary_err *err)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return cerr_set(err, "%s '%s' is not a whole number",
				key, s ? s : "");
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return cerr_set(err, "%s '%s' is not a whole number",
				key, s);
	if (errno || v < min || v > max)
		return cerr_set(err, "%s '%s' is out of range (%lu-%lu)",
				key, s, min, max);
	*out = v;
	return 0;
}

int guard_set_key(struct canary_guard_cfg *g, const char *key, const char *val,
		  struct canary_err *err)
{
	struct canary_err e;
	__u16 bps;

	if (!strcmp(key, "max_failure_pct")) {
		if (parse_percent(val, &bps, &e))
			return cerr_set(err, "max_failure_pct: %s", e.msg);
		if (bps >= CANARY_BPS_TOTAL)
			return cerr_set(err, "max_failure_pct '%s' must be "
					"below 100 (failures cannot exceed "
					"every connection)", val);
		g->max_fail_bps = bps;
		return 0;
	}
	if (!strcmp(key, "min_flows"))
		return parse_count(key, val, 1, CANARY_GUARD_MAX_FLOWS,
				   &g->min_flows, err);
	if (!strcmp(key, "window_s"))
		return parse_count(key, val, 1, CANARY_GUARD_MAX_WINDOW_S,
				   &g->window_s, err);
	return cerr_set(err, "unknown key '%s' (expected max_failure_pct, "
			"min_flows, window_s)", key);
}

/* One "key=value" item of a spec. */
static int spec_item(char *item, struct canary_guard_cfg *g, unsigned int *seen,
		     struct canary_err *err)
{
	char *eq = strchr(item, '=');
	int i;

	if (!eq)
		return cerr_set(err, "'%s' is not KEY=VALUE", item);
	*eq = '\0';
	for (i = 0; guard_keys[i] && strcmp(guard_keys[i], item); i++)
		;
	if (guard_keys[i] && (*seen & (1u << i)))
		return cerr_set(err, "%s given twice", item);
	if (guard_keys[i])
		*seen |= 1u << i;
	return guard_set_key(g, item, eq + 1, err);
}

int guard_parse_spec(const char *spec, struct canary_guard_cfg *g,
		     struct canary_err *err)
{
	char buf[256], *item, *save = NULL;
	unsigned int seen = 0;
	int ret;

	memset(g, 0, sizeof(*g));
	if (!spec || !strcmp(spec, "off"))
		return 0;
	if (strlen(spec) >= sizeof(buf))
		return cerr_set(err, "'%.40s...' is too long", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	guard_defaults(g);
	for (item = strtok_r(buf, ", ", &save); item;
	     item = strtok_r(NULL, ", ", &save)) {
		ret = spec_item(item, g, &seen, err);
		if (ret) {
			memset(g, 0, sizeof(*g));
			return ret;
		}
	}
	if (!seen) {
		memset(g, 0, sizeof(*g));
		return cerr_set(err, "'%s' names no key (expected "
				"max_failure_pct=P,min_flows=N,window_s=S or "
				"off)", spec);
	}
	return 0;
}

const char *guard_fmt(const struct canary_guard_cfg *g, char *buf, size_t len)
{
	char pct[8];

	if (!g->on)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "max_failure_pct=%s,min_flows=%u,window_s=%u",
			 fmt_percent(g->max_fail_bps, pct, sizeof(pct)),
			 g->min_flows, g->window_s);
	return buf;
}

double health_percentile_us(const __u64 *bucket, int n, double q)
{
	__u64 total = 0, below = 0;
	double rank, lo;
	int b;

	for (b = 0; b < n; b++)
		total += bucket[b];
	if (!total)
		return 0;
	rank = q * total;
	for (b = 0; b < n; b++) {
		if (bucket[b] && below + bucket[b] >= rank) {
			lo = b ? (double)(1ull << b) : 0;
			/* the last bucket is open: its lower bound, no more */
			if (b == n - 1)
				return lo;
			return lo + ((1ull << (b + 1)) - lo) *
					    (rank - below) / bucket[b];
		}
		below += bucket[b];
	}
	return (double)(1ull << (n - 1));
}

__u64 health_failed(const struct canary_health *h)
{
	return h->refused + h->reset_early + h->unanswered;
}

const char *const guard_state_names[] = { "off", "armed", "shed" };

enum guard_state guard_version_state(const struct canary_svc_guard *g, int v)
{
	if (!(g->flags & CANARY_GUARD_F_ON) || v <= 0 || v >= CANARY_MAX_VERSIONS)
		return GUARD_OFF;
	return g->v[v].shed_ns ? GUARD_SHED : GUARD_ARMED;
}

enum guard_state guard_service_state(const struct canary_svc_guard *g,
				     int n_versions, int *ver)
{
	int v;

	*ver = -1;
	if (!(g->flags & CANARY_GUARD_F_ON))
		return GUARD_OFF;
	for (v = 1; v < n_versions && v < CANARY_MAX_VERSIONS; v++) {
		if (g->v[v].shed_ns) {
			*ver = v;
			return GUARD_SHED;
		}
	}
	return GUARD_ARMED;
}

const char *guard_reason(const struct canary_svc_guard *g,
			 const struct canary_service_cfg *svc, char *buf,
			 size_t len)
{
	const struct canary_svc_guard_ver *gv;
	char pct[8];
	int v;

	fmt_percent(g->max_fail_bps, pct, sizeof(pct));
	switch (guard_service_state(g, svc->n_versions, &v)) {
	case GUARD_OFF:
		snprintf(buf, len, "no guard");
		break;
	case GUARD_ARMED:
		snprintf(buf, len, "sheds a version when over %s %% of at least "
			 "%u new connections fail within %u s", pct,
			 g->min_flows, g->window_ms / 1000);
		break;
	default:
		gv = &g->v[v];
		snprintf(buf, len, "%s: %u of %u new connections failed "
			 "(%.1f %% > %s %%) within %u s; its new connections "
			 "go to %s", svc->v[v].name, gv->shed_failed,
			 gv->shed_conns, gv->shed_conns ?
			 100.0 * gv->shed_failed / gv->shed_conns : 0.0, pct,
			 g->window_ms / 1000, svc->v[0].name);
	}
	return buf;
}
