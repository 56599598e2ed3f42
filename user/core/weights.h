/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `set-weight` semantics, independent of maps. */
#ifndef CANARY_USER_WEIGHTS_H
#define CANARY_USER_WEIGHTS_H

#include "core/config.h"

/*
 * Applies "VERSION=PCT" assignments (@n of them, in @assign) to @svc.
 * Every named version gets its percentage. On a two-version service that
 * names one version only, the other gets the remainder (v2=25 means
 * v1=75). Otherwise unnamed versions keep their weight and the total must
 * be exactly 100. Errors (unknown version, a version named twice, a
 * malformed or out-of-range percentage, a total other than 100, giving
 * weight to a version without endpoints) return -EINVAL with a message
 * naming the argument, and leave @svc unchanged.
 */
int weights_apply(struct canary_service_cfg *svc, int n, char *const *assign,
		  struct canary_err *err);

#endif /* CANARY_USER_WEIGHTS_H */
