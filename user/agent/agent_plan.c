// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Desired "k8s.*" services from cached objects (see agent_plan.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_plan.h"
#include "kube/kube_logic.h"
#include "core/health.h"

/* Records cache key @key as read by the owner being planned (the last
 * of p->splits), so that a change to it replans that owner. */
static void plan_ref(struct agent_plan *p, int kind, const char *ns,
		     const char *name)
{
	struct split_plan *sp = p->n_splits ? &p->splits[p->n_splits - 1] : NULL;
	char key[KUBE_DEP_KEY_LEN];
	char **grown;
	int i;

	if (!sp)
		return;
	kube_dep_key(kind, ns, name, key, sizeof(key));
	for (i = 0; i < sp->n_refs; i++)
		if (!strcmp(sp->refs[i], key))
			return;
	if (sp->n_refs == sp->cap_refs) {
		grown = realloc(sp->refs, (sp->cap_refs * 2 + 4) * sizeof(*grown));
		if (!grown)
			return; /* a missed ref costs a full pass at worst */
		sp->refs = grown;
		sp->cap_refs = sp->cap_refs * 2 + 4;
	}
	sp->refs[sp->n_refs] = strdup(key);
	if (sp->refs[sp->n_refs])
		sp->n_refs++;
}

const struct kube_obj *plan_store_find(const struct agent_plan *p,
				       enum kube_kind kind, const char *ns,
				       const char *name)
{
	plan_ref((struct agent_plan *)p, kind, ns, name);
	return kube_store_find(&p->store[kind], ns, name);
}

/* A copy of @s's objects in namespace/name order (the store keeps its
 * own order); NULL when out of memory. */
struct kube_obj **plan_sorted(const struct kube_store *s)
{
	struct kube_obj **v = malloc((s->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	if (s->n)
		memcpy(v, s->objs, s->n * sizeof(*v));
	if (s->n)
		qsort(v, s->n, sizeof(*v), plan_cmp_obj);
	return v;
}

int plan_weights(const struct kube_backend *b, int n, __u16 *bps,
		 char *bad, size_t len)
{
	int64_t w[CANARY_MAX_VERSIONS];
	struct canary_err err;
	int i, j;

	if (n > CANARY_MAX_VERSIONS || n < 1)
		return snprintf(bad, len, "%d backends (1 to %d supported)",
				n, CANARY_MAX_VERSIONS), -EINVAL;
	for (i = 0; i < n; i++) {
		if (!b[i].service[0] || !b[i].weight_ok)
			return snprintf(bad, len, "backend %d: %s", i + 1,
					b[i].service[0] ? "weight is not a number" :
							  "no service"), -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(b[i].service, b[j].service))
				return snprintf(bad, len, "backend '%s' listed twice",
						b[i].service), -EINVAL;
		w[i] = b[i].weight_milli;
	}
	if (kube_weights_bps(w, n, bps, &err))
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
void plan_version_endpoints(const struct agent_plan *p, const char *ns,
			    const char *svc, const struct kube_port *rp, int af,
			    struct canary_version_cfg *ver, int *terminating)
{
	struct kube_obj *const *set;
	struct canary_ep_cfg ep = {};
	const struct kube_slice *sl;
	const struct kube_ep *ke;
	int i, n, e, port;

	plan_ref((struct agent_plan *)p, -1, ns, svc);
	set = kube_store_slices(&p->store[KUBE_SLICE], ns, svc, &n);
	for (i = 0; i < n; i++) {
		sl = &set[i]->slice;
		if (sl->af != af || !(port = slice_port(sl, rp)))
			continue;
		for (e = 0; e < sl->n_eps; e++) {
			ke = &sl->eps[e];
			if (ke->terminating && !ke->serving)
				continue;
			if (!ke->terminating && !ke->ready)
				continue;
			ep.addr = ke->addr;
			ep.port = htons((__u16)port);
			ep.flags = ke->terminating ? CANARY_EP_F_DRAINING : 0;
			*terminating += ke->terminating;
			add_ep(ver, &ep);
		}
	}
	config_sort_endpoints(ver);
}

/* An endpoint may appear once per service: later versions lose it. */
void plan_dedup(struct canary_service_cfg *s)
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

struct canary_service_cfg *plan_add_service(struct agent_plan *p,
					    const char *name,
					    const struct canary_addr *vip,
					    __u16 port, __u8 proto,
					    const struct kube_backend *b,
					    int n, const __u16 *bps)
{
	struct canary_service_cfg *s;
	struct canary_err err;
	int i;

	s = config_add_service(&p->cfg, &err);
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = *vip;
	s->port = htons(port);
	s->proto = proto;
	s->affinity = CANARY_AFFINITY_NONE;
	s->n_versions = n;
	for (i = 0; i < n; i++) {
		kube_name_fit(b[i].service, s->v[i].name, sizeof(s->v[i].name));
		s->v[i].weight_bps = bps[i];
	}
	return s;
}

void plan_note(struct split_plan *out, const char *text)
{
	size_t n = strlen(out->note);

	if (strstr(out->note, text))
		return;
	snprintf(out->note + n, sizeof(out->note) - n, "%s%s", n ? "; " : "", text);
}

/* One service of TrafficSplit @sp: @vip:@port (host order) serving root
 * Service @root's port @rp; @primary when @vip is the first cluster IP of
 * its family, @port_tag names the port when it is not @rp's own
 * (NodePort). */
static int plan_service(const struct kube_obj *sp,
			const struct kube_service *root,
			const struct canary_addr *vip, __u16 port, bool primary,
			const char *port_tag, const struct kube_port *rp,
			const __u16 *bps, struct agent_plan *p,
			struct split_plan *out)
{
	const struct kube_split *split = &sp->split;
	struct canary_service_cfg *s;
	char name[CANARY_NAME_LEN];
	int b;

	kube_service_name(sp->ns, sp->name, port_tag ? port_tag : rp->name,
			  rp->port, vip, primary, name, sizeof(name));
	s = plan_add_service(p, name, vip, port, rp->proto, split->b,
			     split->n_backends, bps);
	if (!s)
		return -ENOMEM;
	s->local = root->local;
	s->snat = root->snat;
	s->affinity = root->affinity ? CANARY_AFFINITY_CLIENT_IP :
				       CANARY_AFFINITY_NONE;
	for (b = 0; b < split->n_backends; b++)
		plan_version_endpoints(p, sp->ns, split->b[b].service,
				       rp, vip->af, &s->v[b], &out->terminating);
	plan_dedup(s);
	out->n++;
	return 0;
}

/* The NodePorts of @root on this node's addresses of family @af (@node,
 * may be NULL). */
static int plan_node_ports(const struct kube_obj *sp,
			   const struct kube_service *root,
			   const struct kube_node *node, int af,
			   const __u16 *bps, struct agent_plan *p,
			   struct split_plan *out)
{
	const struct kube_port *rp;
	char tag[24];
	int ai, pi, ret;

	for (pi = 0; node && pi < root->n_ports; pi++) {
		rp = &root->ports[pi];
		if (!rp->proto || !rp->node_port)
			continue;
		snprintf(tag, sizeof(tag), "nodeport-%u", rp->node_port);
		for (ai = 0; ai < node->n_addrs; ai++) {
			if (node->addrs[ai].af != af)
				continue;
			ret = plan_service(sp, root, &node->addrs[ai],
					   rp->node_port, false, tag, rp, bps, p, out);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Why the IPv6 family of @root cannot be served on this node (@node, the
 * node section from its Node: see config_check_node()), or NULL. */
static const char *v6_problem(const struct kube_service *root,
			      const struct canary_node_cfg *node)
{
	if (root->local && !config_node_has_cidr6(node))
		return "IPv6 addresses skipped: externalTrafficPolicy Local needs "
		       "this node's IPv6 pod CIDR (none in its spec.podCIDRs)";
	if (!root->local && root->snat == CANARY_SNAT_ALWAYS &&
	    !config_node_has_address6(node))
		return "IPv6 addresses skipped: " KUBE_SNAT_ANNOTATION " always "
		       "needs this node's IPv6 address (no IPv6 InternalIP)";
	return NULL;
}

/* The services of @root's addresses of family @af: its VIPs, then its
 * NodePorts on this node's addresses. IPv4 is served as it always was;
 * IPv6 only when the Service has that family (an IPv6 cluster IP or
 * IPv6 in spec.ipFamilies), as kube-proxy drops external IPs of a family
 * the Service lacks. */
static int plan_family(const struct kube_obj *sp,
		       const struct kube_service *root,
		       const struct kube_node *node, int af, const __u16 *bps,
		       struct agent_plan *p, struct split_plan *out)
{
	int vi, pi, ret;

	for (vi = 0; vi < root->n_vips; vi++)
		for (pi = 0; root->vips[vi].af == af && pi < root->n_ports; pi++) {
			if (!root->ports[pi].proto)
				continue; /* SCTP: not translated */
			ret = plan_service(sp, root, &root->vips[vi],
					   root->ports[pi].port, root->primary[vi],
					   NULL, &root->ports[pi], bps, p, out);
			if (ret)
				return ret;
		}
	return plan_node_ports(sp, root, node, af, bps, p, out);
}

static void plan_owner(struct split_plan *out, const struct kube_obj *o,
		       const char *api_version)
{
	out->kind = o->kind;
	snprintf(out->ns, sizeof(out->ns), "%s", o->ns);
	snprintf(out->name, sizeof(out->name), "%s", o->name);
	snprintf(out->uid, sizeof(out->uid), "%s", o->uid);
	snprintf(out->api_version, sizeof(out->api_version), "%s", api_version);
}

int plan_guard(const struct kube_obj *o, struct split_plan *out,
	       struct canary_guard_cfg *g)
{
	struct canary_err err = {};

	memset(g, 0, sizeof(*g));
	if (!o->guard[0])
		return 0;
	if (!strcmp(o->guard, "\x01"))
		snprintf(err.msg, sizeof(err.msg), "too long");
	else if (!guard_parse_spec(o->guard, g, &err))
		return 0;
	snprintf(out->bad, sizeof(out->bad), "annotation %s: %.200s",
		 KUBE_GUARD_ANNOTATION, err.msg);
	return -EINVAL;
}

void plan_set_guard(struct agent_plan *p, const struct split_plan *out,
		    const struct canary_guard_cfg *g)
{
	int i;

	for (i = out->first; i < p->cfg.n_services; i++)
		p->cfg.svc[i].guard = *g;
}

static int plan_split(const struct kube_obj *sp,
		      const struct kube_node *node, struct agent_plan *p,
		      struct split_plan *out)
{
	struct canary_guard_cfg guard;
	const struct kube_service *root;
	const struct kube_obj *ro;
	__u16 bps[CANARY_MAX_VERSIONS];
	int ret;

	plan_owner(out, sp, sp->split.api_version);
	out->first = p->cfg.n_services;
	if (plan_guard(sp, out, &guard) ||
	    plan_weights(sp->split.b, sp->split.n_backends, bps, out->bad,
			 sizeof(out->bad)))
		return 0;
	if (sp->split.has_matches)
		plan_note(out, "spec.matches is L7 and ignored: all traffic is split");
	ro = plan_store_find(p, KUBE_SERVICE, sp->ns, sp->split.service);
	if (!ro) {
		snprintf(out->note, sizeof(out->note), "root service '%.200s' not found",
			 sp->split.service);
		return 0;
	}
	root = &ro->svc;
	ret = plan_family(sp, root, node, AF_INET, bps, p, out);
	if (!ret && (root->families & KUBE_FAMILY_V6) &&
	    v6_problem(root, &p->cfg.node))
		plan_note(out, v6_problem(root, &p->cfg.node));
	else if (!ret && (root->families & KUBE_FAMILY_V6))
		ret = plan_family(sp, root, node, AF_INET6, bps, p, out);
	plan_set_guard(p, out, &guard);
	return ret;
}

/* The node section from this node's Node: its InternalIPs are the SNAT
 * addresses, its pod CIDRs tell local endpoints from remote ones, one of
 * each per family. */
static void plan_node(const struct kube_node *n, struct canary_node_cfg *cfg)
{
	bool v6 = n && (n->internal_ip6[0] | n->internal_ip6[1] |
			n->internal_ip6[2] | n->internal_ip6[3]);

	if (!n || (!n->internal_ip && !v6))
		return;
	cfg->set = true;
	cfg->address = n->internal_ip;
	cfg->pod_net = n->pod_net;
	cfg->pod_len = n->pod_len;
	if (v6) {
		memcpy(cfg->address6, n->internal_ip6, sizeof(cfg->address6));
		memcpy(cfg->pod_net6, n->pod_net6, sizeof(cfg->pod_net6));
		cfg->pod_len6 = n->pod_len6;
	}
	cfg->port_min = CANARY_SNAT_PORT_MIN;
	cfg->port_max = CANARY_SNAT_PORT_MAX;
}

int plan_cmp_obj(const void *a, const void *b)
{
	const struct kube_obj *x = *(const struct kube_obj *const *)a;
	const struct kube_obj *y = *(const struct kube_obj *const *)b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

const char *agent_owner_kind(enum kube_kind kind)
{
	return kind == KUBE_TCPROUTE ? "TCPRoute" :
	       kind == KUBE_UDPROUTE ? "UDPRoute" : "TrafficSplit";
}

void agent_owner_stem(enum kube_kind kind, const char *name, char *out,
		      size_t len)
{
	snprintf(out, len, "%s%s", kind == KUBE_TCPROUTE ? "tcproute." :
				   kind == KUBE_UDPROUTE ? "udproute." : "", name);
}

int agent_plan_begin(struct kube_store *store, const char *node, int max,
		     struct agent_plan *p)
{
	int k;

	memset(p, 0, sizeof(*p));
	config_init(&p->cfg);
	p->store = store;
	p->splits = calloc(max + 1, sizeof(*p->splits));
	if (!p->splits)
		return -ENOMEM;
	p->cap_splits = max;
	for (k = 0; k < KUBE_KINDS; k++) {
		if (store[k].keys || !store[k].n)
			continue;
		p->indexed[k] = true;
		if (kube_store_index(&store[k]))
			return -ENOMEM;
	}
	if (node)
		p->node_obj = kube_store_find(&store[KUBE_NODE], "", node);
	plan_node(p->node_obj ? &p->node_obj->node : NULL, &p->cfg.node);
	return 0;
}

int agent_plan_owner(struct agent_plan *p, const struct kube_obj *o)
{
	struct split_plan *sp;

	if (p->n_splits >= p->cap_splits)
		return -ENOMEM;
	sp = &p->splits[p->n_splits++];
	if (o->kind == KUBE_SPLIT)
		return plan_split(o, p->node_obj ? &p->node_obj->node : NULL,
				  p, sp);
	return plan_route(o, p, sp);
}

/* The owners of @kind into @p, in namespace/name order. */
static int plan_kind(struct agent_plan *p, enum kube_kind kind)
{
	struct kube_obj **v = plan_sorted(&p->store[kind]);
	int i, ret = v ? 0 : -ENOMEM;

	for (i = 0; v && i < p->store[kind].n && !ret; i++)
		ret = agent_plan_owner(p, v[i]);
	free(v);
	return ret;
}

int agent_plan_build(struct kube_store *store, const char *node,
		     struct agent_plan *p)
{
	int ret;

	ret = agent_plan_begin(store, node, store[KUBE_SPLIT].n +
			       store[KUBE_TCPROUTE].n + store[KUBE_UDPROUTE].n, p);
	if (!ret)
		ret = plan_kind(p, KUBE_SPLIT);
	if (!ret)
		ret = plan_kind(p, KUBE_TCPROUTE);
	if (!ret)
		ret = plan_kind(p, KUBE_UDPROUTE);
	return ret;
}

void agent_plan_free(struct agent_plan *p)
{
	int i, k;

	config_free(&p->cfg);
	for (i = 0; p->splits && i < p->n_splits; i++) {
		while (p->splits[i].n_refs > 0)
			free(p->splits[i].refs[--p->splits[i].n_refs]);
		free(p->splits[i].refs);
	}
	free(p->splits);
	for (k = 0; k < KUBE_KINDS; k++)
		if (p->indexed[k])
			kube_store_unindex(&p->store[k]);
	memset(p, 0, sizeof(*p));
}

bool agent_svc_equal(const struct canary_service_cfg *a,
		     const struct canary_service_cfg *b)
{
	int v;

	if (strcmp(a->name, b->name) || !addr_eq(&a->vip, &b->vip) || a->port != b->port ||
	    a->proto != b->proto || a->n_versions != b->n_versions ||
	    a->affinity != b->affinity || a->n_pins != b->n_pins ||
	    a->snat != b->snat || a->local != b->local ||
	    !guard_cfg_equal(&a->guard, &b->guard))
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
