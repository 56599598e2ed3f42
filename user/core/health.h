/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection health in user space, pure: the guard's settings as the apply
 * file, the CLI and the agent's annotation spell them, and percentiles of
 * the data plane's handshake histogram (include/canary.h, canary_health).
 */
#ifndef CANARY_USER_HEALTH_H
#define CANARY_USER_HEALTH_H

#include "core/config.h"

/* The guard's keys, in the order they are written. */
extern const char *const guard_keys[];

/* Whether @a and @b are the same guard (every "off" is the same). */
bool guard_cfg_equal(const struct canary_guard_cfg *a,
		     const struct canary_guard_cfg *b);

/* Starts @g as a guard with the defaults (5 %, 50 flows, 10 s). */
void guard_defaults(struct canary_guard_cfg *g);

/*
 * Sets guard key @key (max_failure_pct, min_flows, window_s) of @g to
 * @val. Returns 0, or -EINVAL with a message in @err naming the key and
 * the reason.
 */
int guard_set_key(struct canary_guard_cfg *g, const char *key, const char *val,
		  struct canary_err *err);

/*
 * The annotation's spelling: "max_failure_pct=5,min_flows=50,window_s=10"
 * (any subset, any order; the rest default), or "off". Fills @g (on
 * unless "off"). Returns 0 or -EINVAL naming the key.
 */
int guard_parse_spec(const char *spec, struct canary_guard_cfg *g,
		     struct canary_err *err);

/* "max_failure_pct=5,min_flows=50,window_s=10", or "off", into @buf. */
const char *guard_fmt(const struct canary_guard_cfg *g, char *buf, size_t len);

/*
 * The @q quantile (0 < q <= 1) of a log2-microsecond histogram of @n
 * buckets (bucket b: [2^b, 2^(b+1)) us), interpolated linearly inside its
 * bucket, in microseconds; 0 when the histogram is empty.
 */
double health_percentile_us(const __u64 *bucket, int n, double q);

/* What a version's guard is doing. */
enum guard_state {
	GUARD_OFF,   /* no guard on the service */
	GUARD_ARMED, /* counting */
	GUARD_SHED,  /* its new connections go to the first version */
};

extern const char *const guard_state_names[]; /* "off", "armed", "shed" */

/* The state of version @v of canary_guard entry @g. */
enum guard_state guard_version_state(const struct canary_svc_guard *g, int v);

/* The service's state: shed if a version is, else armed or off; *@ver is
 * the first shed version (or -1). */
enum guard_state guard_service_state(const struct canary_svc_guard *g,
				     int n_versions, int *ver);

/* Why service @svc's guard @g is in its state, in words, into @buf:
 * "v2: 50 of 50 new connections failed (100 % > 5 %) within 10 s". */
const char *guard_reason(const struct canary_svc_guard *g,
			 const struct canary_service_cfg *svc, char *buf,
			 size_t len);

/* Refused + reset early + unanswered of @h. */
__u64 health_failed(const struct canary_health *h);

#endif /* CANARY_USER_HEALTH_H */
