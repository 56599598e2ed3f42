/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pure logic of the Kubernetes agent, no I/O: Kubernetes quantities
 * ("500m"), TrafficSplit weights to basis points, and the names the agent
 * gives the canary-bpf services and versions it derives.
 */
#ifndef CANARY_USER_KUBE_LOGIC_H
#define CANARY_USER_KUBE_LOGIC_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "core/config.h"

/* Every service the agent owns has a name starting with this; it never
 * touches any other service. */
#define KUBE_SVC_PREFIX "k8s."

/*
 * Parses a Kubernetes quantity (serialized form: "1", "0.5", "500m",
 * "2k", "1Ki", "1e3") into thousandths, rounding up like
 * resource.Quantity.MilliValue(). Negative values parse (the caller
 * rejects them). Returns 0, or -EINVAL (malformed) / -ERANGE (too large).
 */
int kube_quantity_milli(const char *s, int64_t *milli);

/*
 * Normalises @n backend weights (any non-negative scale) to basis points
 * totalling CANARY_BPS_TOTAL: each gets floor(w * 10000 / sum), and the
 * remaining points go one each to the largest remainders, ties to the
 * lower index. Deterministic, so every node computes the same split.
 * Returns 0, or -EINVAL with a reason in @err for a negative weight, an
 * all-zero set, or @n outside 1..CANARY_MAX_VERSIONS.
 */
int kube_weights_bps(const int64_t *w, int n, __u16 *bps,
		     struct canary_err *err);

/*
 * Writes into @out (@len bytes, at least 16) a valid canary-bpf name for
 * @in: characters outside [A-Za-z0-9._-] become '-', and a name longer
 * than @len - 1 characters keeps its first @len - 10 characters
 * followed by '-' and 8 hex digits of a hash of the whole input, so
 * distinct long inputs stay distinct and the result is stable.
 */
void kube_name_fit(const char *in, char *out, size_t len);

/*
 * The canary-bpf service name for port @port_name (or number @port when
 * the port has no name) of TrafficSplit @ns/@split serving @vip:
 * "k8s.<ns>.<split>.<port>" and a tag telling the VIP apart:
 *   - none for the primary IPv4 cluster IP (@primary, IPv4 @vip), so
 *     IPv4 names are what they were before dual stack;
 *   - ".v6" for the primary IPv6 cluster IP (@primary, IPv6 @vip);
 *   - otherwise the address, ".192-168-1-10" or ".2001-db8--10" (its
 *     text form with '.' and ':' turned into '-').
 * Fitted with kube_name_fit() into CANARY_NAME_LEN.
 */
void kube_service_name(const char *ns, const char *split,
		       const char *port_name, __u16 port,
		       const struct canary_addr *vip, bool primary,
		       char *out, size_t len);

/*
 * Whether @s is a DNS subdomain as Kubernetes names objects (RFC 1123):
 * 1 to 253 characters of [a-z0-9.-], starting and ending with [a-z0-9].
 * Node names are; the agent puts its own in a query string.
 */
bool kube_dns_subdomain(const char *s);

#endif /* CANARY_USER_KUBE_LOGIC_H */
