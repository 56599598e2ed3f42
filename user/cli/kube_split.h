/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One TrafficSplit through the API, for the CLI: `set-weight --kube`
 * (read it, apply VERSION=PCT with the local rules, merge-patch it back)
 * and `kube-status` (what the cluster asks next to the node's maps).
 */
#ifndef CANARY_USER_KUBE_SPLIT_H
#define CANARY_USER_KUBE_SPLIT_H

#include <json-c/json.h>
#include "core/config.h"
#include "kube/kubeconfig.h"

/*
 * A config service standing for TrafficSplit @obj: one version per
 * backend (named after its Service, fitted to a version name), weights in
 * basis points. Endpoints are not known here: each version gets one
 * placeholder so weights_apply() does not refuse weight to it. Returns 0
 * or -EINVAL with a message.
 */
int kube_split_to_cfg(json_object *obj, struct canary_service_cfg *svc,
		      struct canary_err *err);

/*
 * The merge patch that gives @obj's backends @svc's weights: the whole
 * spec.backends list (a merge patch replaces lists), other fields of each
 * backend kept. Weights are integers (percent when every weight is a
 * whole percent, else basis points), or quantities for v1alpha1. Returns
 * a malloc'd JSON string, or NULL.
 */
char *kube_split_patch(json_object *obj, const struct canary_service_cfg *svc);

/* set-weight --kube: returns an exit code, having printed any error. */
int kube_set_weight(const char *kubeconfig, const char *ns, const char *name,
		    int n, char *const *assign);

/* kube-status: prints each TrafficSplit of @ns (NULL: the context's
 * namespace, "": all namespaces) next to this node's services. Returns an
 * exit code. */
int kube_status(const char *kubeconfig, const char *ns, const char *pin_dir);

#endif /* CANARY_USER_KUBE_SPLIT_H */
