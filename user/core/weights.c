// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `set-weight VERSION=PCT...`: assignments to a service's weights. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/parse.h"
#include "core/weights.h"

/* Weights being built; copied into the service only when all checks pass. */
struct weight_plan {
	__u16 w[CANARY_MAX_VERSIONS];
	bool set[CANARY_MAX_VERSIONS]; /* given a weight by this call */
	int n_named;
};

/* Parses one "VERSION=PCT" into @plan. */
static int plan_assign(const struct canary_service_cfg *svc,
		       struct weight_plan *plan, const char *arg,
		       struct canary_err *err)
{
	char vname[CANARY_VNAME_LEN];
	struct canary_err tmp;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : 0;
	__u16 bps;
	int vi, ret;

	if (!eq || !len)
		return cerr_set(err, "'%s' is not VERSION=PERCENT", arg);
	if (len >= sizeof(vname))
		return cerr_set(err, "'%s': unknown version of '%s'", arg, svc->name);
	memcpy(vname, arg, len);
	vname[len] = '\0';
	vi = config_find_version(svc, vname);
	if (vi < 0)
		return cerr_set(err, "'%s': '%s' has no version '%s'", arg,
				svc->name, vname);
	if (plan->set[vi])
		return cerr_set(err, "'%s': version '%s' is given a weight twice",
				arg, vname);
	ret = parse_percent(eq + 1, &bps, &tmp);
	if (ret)
		return cerr_set(err, "'%s': %s", arg, tmp.msg);
	plan->w[vi] = bps;
	plan->set[vi] = true;
	plan->n_named++;
	return 0;
}

/* Remainder rule, then the total and endpoint checks. */
static int plan_finish(const struct canary_service_cfg *svc,
		       struct weight_plan *plan, struct canary_err *err)
{
	unsigned int total = 0;
	char buf[16];
	int i;

	if (svc->n_versions == 2 && plan->n_named == 1) {
		i = plan->set[0] ? 1 : 0;
		plan->w[i] = CANARY_BPS_TOTAL - plan->w[!i];
		plan->set[i] = true;
	}
	for (i = 0; i < svc->n_versions; i++)
		total += plan->w[i];
	if (total != CANARY_BPS_TOTAL)
		return cerr_set(err, "weights of '%s' total %s, not 100", svc->name,
				total > 0xffff ? "over 100" :
				fmt_percent(total, buf, sizeof(buf)));
	/* Only versions given a weight here: one drained earlier (weight
	 * kept, endpoints gone) must not block changes to the others. */
	for (i = 0; i < svc->n_versions; i++)
		if (plan->set[i] && plan->w[i] && !svc->v[i].n_endpoints)
			return cerr_set(err, "version '%s' of '%s' has no endpoints",
					svc->v[i].name, svc->name);
	return 0;
}

int weights_apply(struct canary_service_cfg *svc, int n, char *const *assign,
		  struct canary_err *err)
{
	struct weight_plan plan = {};
	int i, ret;

	if (n < 1)
		return cerr_set(err, "no VERSION=PERCENT given for '%s'", svc->name);
	for (i = 0; i < svc->n_versions && i < CANARY_MAX_VERSIONS; i++)
		plan.w[i] = svc->v[i].weight_bps;
	for (i = 0; i < n; i++) {
		ret = plan_assign(svc, &plan, assign[i], err);
		if (ret)
			return ret;
	}
	ret = plan_finish(svc, &plan, err);
	if (ret)
		return ret;
	for (i = 0; i < svc->n_versions; i++)
		svc->v[i].weight_bps = plan.w[i];
	return 0;
}
