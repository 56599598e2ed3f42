// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Desired "k8s.*" services from Gateway API TCPRoutes and UDPRoutes (see
 * agent_plan.h): one per address of each parent Gateway and each of its
 * listeners the route attaches to. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_plan.h"
#include "kube/kube_logic.h"

/* Why backendRef @b cannot be a version, or NULL when it can. */
static const char *ref_problem(const struct kube_backend *b)
{
	if (b->ref == KUBE_REF_NOT_SERVICE)
		return "is not a Service";
	if (b->ref == KUBE_REF_OTHER_NS)
		return "is in another namespace (ReferenceGrant not supported)";
	return b->port ? NULL : "has no port";
}

/* Checks the backendRefs and turns their weights into basis points. */
static int route_weights(const struct kube_route *r, __u16 *bps,
			 char *bad, size_t len)
{
	const char *why;
	int i;

	for (i = 0; i < r->n_backends && i < KUBE_MAX_BACKENDS; i++) {
		why = ref_problem(&r->b[i]);
		if (why)
			return snprintf(bad, len, "backendRef %d (%.150s) %s", i + 1,
					r->b[i].service, why), -EINVAL;
	}
	if (!r->n_rules)
		return snprintf(bad, len, "no rules"), -EINVAL;
	return plan_weights(r->b, r->n_backends, bps, bad, len);
}

/* Whether @l is a listener the route's parentRef @pr attaches to: the
 * route's protocol, and the sectionName and port when given. */
static bool attaches(const struct kube_listener *l, const struct kube_parent *pr,
		     __u8 proto)
{
	return l->proto == proto && (!pr->section[0] || !strcmp(pr->section, l->name)) &&
	       (!pr->port || pr->port == l->port);
}

/* The backend Service port @b.port of the route's protocol: its name
 * picks the EndpointSlice port, as for a TrafficSplit. */
static const struct kube_port *backend_port(const struct agent_plan *p,
					    const char *ns,
					    const struct kube_backend *b, __u8 proto)
{
	const struct kube_obj *o = plan_store_find(p, KUBE_SERVICE, ns, b->service);
	int i;

	for (i = 0; o && i < o->svc.n_ports; i++)
		if (o->svc.ports[i].port == b->port && o->svc.ports[i].proto == proto)
			return &o->svc.ports[i];
	return NULL;
}

/* One service: address @vip of a parent Gateway, listener @l; the
 * backends' endpoints of @vip's family. */
static int route_service(const struct kube_obj *ro,
			 const struct canary_addr *vip,
			 const struct kube_listener *l,
			 const __u16 *bps, struct agent_plan *p,
			 struct split_plan *out)
{
	const struct kube_route *r = &ro->route;
	const struct kube_port *bp;
	struct canary_service_cfg *s;
	char stem[KUBE_OBJ_LEN + 16], name[CANARY_NAME_LEN];
	int b;

	agent_owner_stem(ro->kind, ro->name, stem, sizeof(stem));
	kube_service_name(ro->ns, stem, l->name, l->port, vip, false, name,
			  sizeof(name));
	s = plan_add_service(p, name, vip, l->port, r->proto, r->b, r->n_backends, bps);
	if (!s)
		return -ENOMEM;
	for (b = 0; b < r->n_backends; b++) {
		bp = backend_port(p, ro->ns, &r->b[b], r->proto);
		if (bp)
			plan_version_endpoints(p, ro->ns, r->b[b].service,
					       bp, vip->af, &s->v[b], &out->terminating);
		else
			snprintf(out->note, sizeof(out->note),
				 "backend service '%.150s' not found or has no %s port %u",
				 r->b[b].service, r->proto == CANARY_PROTO_UDP ? "UDP" : "TCP",
				 r->b[b].port);
	}
	plan_dedup(s);
	out->n++;
	return 0;
}

/* The services of route @ro behind parentRef @pr. */
static int route_parent(const struct kube_obj *ro,
			const struct kube_parent *pr, const __u16 *bps,
			struct agent_plan *p, struct split_plan *out)
{
	const struct kube_obj *gw = plan_store_find(p, KUBE_GATEWAY, pr->ns, pr->name);
	int li, ai, ret, n = 0;

	if (!pr->gateway)
		return 0; /* another kind of parent: not ours to serve */
	if (!gw) {
		snprintf(out->note, sizeof(out->note), "gateway %.60s/%.150s not found",
			 pr->ns, pr->name);
		return 0;
	}
	for (li = 0; li < gw->gw.n_listeners; li++) {
		if (!attaches(&gw->gw.l[li], pr, ro->route.proto))
			continue;
		n++;
		for (ai = 0; ai < gw->gw.n_addrs; ai++) {
			ret = route_service(ro, &gw->gw.addrs[ai], &gw->gw.l[li],
					    bps, p, out);
			if (ret)
				return ret;
		}
	}
	if (!n)
		snprintf(out->note, sizeof(out->note),
			 "gateway %.60s/%.150s has no matching %s listener", pr->ns, pr->name,
			 ro->route.proto == CANARY_PROTO_UDP ? "UDP" : "TCP");
	else if (!gw->gw.n_addrs)
		snprintf(out->note, sizeof(out->note), "gateway %.60s/%.150s has no address yet",
			 pr->ns, pr->name);
	return 0;
}

int plan_route(const struct kube_obj *ro, struct agent_plan *p,
	       struct split_plan *out)
{
	const struct kube_route *r = &ro->route;
	struct canary_guard_cfg guard;
	__u16 bps[CANARY_MAX_VERSIONS];
	int i, ret;

	out->kind = ro->kind;
	snprintf(out->ns, sizeof(out->ns), "%s", ro->ns);
	snprintf(out->name, sizeof(out->name), "%s", ro->name);
	snprintf(out->uid, sizeof(out->uid), "%s", ro->uid);
	snprintf(out->api_version, sizeof(out->api_version), "%s", r->api_version);
	out->first = p->cfg.n_services;
	if (plan_guard(ro, out, &guard) ||
	    route_weights(r, bps, out->bad, sizeof(out->bad)))
		return 0;
	if (r->n_rules > 1)
		snprintf(out->note, sizeof(out->note),
			 "%d rules: only the first is used (no matches at L4)", r->n_rules);
	if (!r->n_parents)
		snprintf(out->note, sizeof(out->note), "no parentRefs: attached to no Gateway");
	for (i = 0; i < r->n_parents; i++) {
		ret = route_parent(ro, &r->p[i], bps, p, out);
		if (ret)
			return ret;
	}
	plan_set_guard(p, out, &guard);
	return 0;
}
