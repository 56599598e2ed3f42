// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Desired "k8s.*" services from cached objects (see agent_plan.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_plan.h"
#include "kube_logic.h"

static const struct kube_obj *store_find(const struct kube_store *s,
					 const char *ns, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->objs[i]->ns, ns) && !strcmp(s->objs[i]->name, name))
			return s->objs[i];
	return NULL;
}

/* Checks the backends and turns their weights into basis points. */
static int split_weights(const struct kube_split *sp, __u16 *bps,
			 char *bad, size_t len)
{
	int64_t w[CANARY_MAX_VERSIONS];
	struct canary_err err;
	int i, j;

	if (sp->n_backends > CANARY_MAX_VERSIONS || sp->n_backends < 1)
		return snprintf(bad, len, "%d backends (1 to %d supported)",
				sp->n_backends, CANARY_MAX_VERSIONS), -EINVAL;
	for (i = 0; i < sp->n_backends; i++) {
		if (!sp->b[i].service[0] || !sp->b[i].weight_ok)
			return snprintf(bad, len, "backend %d: %s", i + 1,
					sp->b[i].service[0] ? "weight is not a number" :
							      "no service"), -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(sp->b[i].service, sp->b[j].service))
				return snprintf(bad, len, "backend '%s' listed twice",
						sp->b[i].service), -EINVAL;
		w[i] = sp->b[i].weight_milli;
	}
	if (kube_weights_bps(w, sp->n_backends, bps, &err))
		return snprintf(bad, len, "bad weights: %.200s", err.msg), -EINVAL;
	return 0;
}

static bool has_ep(const struct canary_version_cfg *v, const struct canary_ep_cfg *ep)
{
	int i;

	for (i = 0; i < v->n_endpoints; i++)
		if (addr_eq(&v->ep[i].addr, &ep->addr) && v->ep[i].port == ep->port)
			return true;
	return false;
}

/* The target port of @slice for root port @rp: same name and protocol. */
static int slice_port(const struct kube_slice *slice, const struct kube_port *rp)
{
	int i;

	for (i = 0; i < slice->n_ports; i++)
		if (!strcmp(slice->ports[i].name, rp->name) &&
		    slice->ports[i].proto == rp->proto)
			return slice->ports[i].port;
	return 0;
}

/* Adds @ep to @ver unless it is there (a ready copy wins over a draining
 * one: two slices may list one address while it moves). */
static void add_ep(struct canary_version_cfg *ver, const struct canary_ep_cfg *ep)
{
	int i;

	for (i = 0; i < ver->n_endpoints; i++)
		if (addr_eq(&ver->ep[i].addr, &ep->addr) && ver->ep[i].port == ep->port) {
			ver->ep[i].flags &= ep->flags;
			return;
		}
	if (ver->n_endpoints < CANARY_MAX_ENDPOINTS)
		ver->ep[ver->n_endpoints++] = *ep;
}

/* Adds the endpoints of backend Service @svc (namespace @ns) for root
 * port @rp to @ver: ready ones take new flows; serving-but-terminating
 * ones drain (keep their flows, take no new ones), counted in
 * @terminating; the others are left out. */
static void version_endpoints(const struct kube_store *slices, const char *ns,
			      const char *svc, const struct kube_port *rp,
			      struct canary_version_cfg *ver, int *terminating)
{
	struct canary_ep_cfg ep = {};
	const struct kube_slice *sl;
	const struct kube_ep *ke;
	int i, e, port;

	for (i = 0; i < slices->n; i++) {
		sl = &slices->objs[i]->slice;
		if (strcmp(slices->objs[i]->ns, ns) || strcmp(sl->service, svc) ||
		    !sl->ipv4 || !(port = slice_port(sl, rp)))
			continue;
		for (e = 0; e < sl->n_eps; e++) {
			ke = &sl->eps[e];
			if (ke->terminating && !ke->serving)
				continue;
			if (!ke->terminating && !ke->ready)
				continue;
			ep.addr = addr_v4(ke->addr);
			ep.port = htons((__u16)port);
			ep.flags = ke->terminating ? CANARY_EP_F_DRAINING : 0;
			*terminating += ke->terminating;
			add_ep(ver, &ep);
		}
	}
	config_sort_endpoints(ver);
}

/* An endpoint may appear once per service: later versions lose it. */
static void dedup_across_versions(struct canary_service_cfg *s)
{
	int v, u, e, k;

	for (v = 1; v < s->n_versions; v++) {
		for (e = 0, k = 0; e < s->v[v].n_endpoints; e++) {
			for (u = 0; u < v && !has_ep(&s->v[u], &s->v[v].ep[e]); u++)
				;
			if (u == v)
				s->v[v].ep[k++] = s->v[v].ep[e];
		}
		s->v[v].n_endpoints = k;
	}
}

/* One service: VIP @vi of root Service @root, port @rp. */
static int plan_service(struct kube_store *store, const struct kube_obj *sp,
			const struct kube_service *root, int vi,
			const struct kube_port *rp, const __u16 *bps,
			struct agent_plan *p, struct split_plan *out)
{
	const struct kube_split *split = &sp->split;
	struct canary_service_cfg *s;
	struct canary_err err;
	int b;

	s = config_add_service(&p->cfg, &err);
	if (!s)
		return -ENOMEM;
	kube_service_name(sp->ns, sp->name, rp->name, rp->port,
			  vi == 0 && root->has_cluster_ip ? 0 : root->vips[vi],
			  s->name, sizeof(s->name));
	s->vip = addr_v4(root->vips[vi]);
	s->port = htons(rp->port);
	s->proto = rp->proto;
	s->local = root->local;
	s->snat = root->snat;
	s->affinity = root->affinity ? CANARY_AFFINITY_CLIENT_IP :
				       CANARY_AFFINITY_NONE;
	s->n_versions = split->n_backends;
	for (b = 0; b < split->n_backends; b++) {
		kube_name_fit(split->b[b].service, s->v[b].name, sizeof(s->v[b].name));
		s->v[b].weight_bps = bps[b];
		version_endpoints(&store[KUBE_SLICE], sp->ns, split->b[b].service,
				  rp, &s->v[b], &out->terminating);
	}
	dedup_across_versions(s);
	out->n++;
	return 0;
}

static int plan_split(struct kube_store *store, const struct kube_obj *sp,
		      struct agent_plan *p, struct split_plan *out)
{
	const struct kube_obj *root;
	__u16 bps[CANARY_MAX_VERSIONS];
	int vi, pi, ret;

	snprintf(out->ns, sizeof(out->ns), "%s", sp->ns);
	snprintf(out->name, sizeof(out->name), "%s", sp->name);
	out->first = p->cfg.n_services;
	if (split_weights(&sp->split, bps, out->bad, sizeof(out->bad)))
		return 0;
	if (sp->split.has_matches)
		snprintf(out->note, sizeof(out->note),
			 "spec.matches is L7 and ignored: all traffic is split");
	root = store_find(&store[KUBE_SERVICE], sp->ns, sp->split.service);
	if (!root) {
		snprintf(out->note, sizeof(out->note), "root service '%s' not found",
			 sp->split.service);
		return 0;
	}
	for (vi = 0; vi < root->svc.n_vips; vi++)
		for (pi = 0; pi < root->svc.n_ports; pi++) {
			if (!root->svc.ports[pi].proto)
				continue; /* SCTP: not translated */
			ret = plan_service(store, sp, &root->svc, vi,
					   &root->svc.ports[pi], bps, p, out);
			if (ret)
				return ret;
		}
	return 0;
}

static int cmp_obj(const void *a, const void *b)
{
	const struct kube_obj *x = *(const struct kube_obj *const *)a;
	const struct kube_obj *y = *(const struct kube_obj *const *)b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

int agent_plan_build(struct kube_store *store, struct agent_plan *p)
{
	struct kube_store *splits = &store[KUBE_SPLIT];
	int i, ret = 0;

	memset(p, 0, sizeof(*p));
	config_init(&p->cfg);
	qsort(splits->objs, splits->n, sizeof(*splits->objs), cmp_obj);
	p->splits = calloc(splits->n + 1, sizeof(*p->splits));
	if (!p->splits)
		return -ENOMEM;
	for (i = 0; i < splits->n && !ret; i++)
		ret = plan_split(store, splits->objs[i], p, &p->splits[p->n_splits++]);
	return ret;
}

void agent_plan_free(struct agent_plan *p)
{
	config_free(&p->cfg);
	free(p->splits);
	memset(p, 0, sizeof(*p));
}

bool agent_svc_equal(const struct canary_service_cfg *a,
		     const struct canary_service_cfg *b)
{
	int v;

	if (strcmp(a->name, b->name) || !addr_eq(&a->vip, &b->vip) || a->port != b->port ||
	    a->proto != b->proto || a->n_versions != b->n_versions ||
	    a->affinity != b->affinity || a->n_pins != b->n_pins ||
	    a->snat != b->snat || a->local != b->local)
		return false;
	for (v = 0; v < a->n_versions; v++)
		if (strcmp(a->v[v].name, b->v[v].name) ||
		    a->v[v].weight_bps != b->v[v].weight_bps ||
		    a->v[v].n_endpoints != b->v[v].n_endpoints ||
		    memcmp(a->v[v].ep, b->v[v].ep,
			   a->v[v].n_endpoints * sizeof(a->v[v].ep[0])))
			return false;
	return true;
}
