// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Writing a plan to the maps in one transaction, with one log line per
 * changed service (see agent.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_plan.h"
#include "dataplane/bridge.h"
#include "kube/kube_logic.h"
#include "util/log.h"
#include "core/parse.h"
#include "dataplane/state.h"

static bool is_ours(const char *name)
{
	return !strncmp(name, KUBE_SVC_PREFIX, strlen(KUBE_SVC_PREFIX));
}

static struct split_mem *mem_get(struct agent *a, enum kube_kind kind,
				 const char *ns, const char *name)
{
	char key[KUBE_NS_LEN + KUBE_OBJ_LEN + 16];
	struct split_mem *m;
	int i;

	snprintf(key, sizeof(key), "%d/%s/%s", kind, ns, name);
	i = names_get(&a->mem_ix, key);
	if (i >= 0)
		return &a->mem[i];
	if (a->n_mem == a->cap_mem) {
		m = realloc(a->mem, (a->cap_mem * 2 + 16) * sizeof(*m));
		if (!m)
			return NULL;
		a->mem = m;
		a->cap_mem = a->cap_mem * 2 + 16;
	}
	m = &a->mem[a->n_mem];
	memset(m, 0, sizeof(*m));
	m->key = strdup(key);
	if (!m->key || names_put(&a->mem_ix, m->key, a->n_mem)) {
		free(m->key);
		return NULL;
	}
	a->n_mem++;
	m->kind = kind;
	snprintf(m->ns, sizeof(m->ns), "%s", ns);
	snprintf(m->name, sizeof(m->name), "%s", name);
	return m;
}

/* Drops what is remembered of splits that no longer exist. */
static void mem_sweep(struct agent *a)
{
	int i, k = 0;

	for (i = 0; i < a->n_mem; i++) {
		if (a->mem[i].seen) {
			a->mem[i].seen = false;
			a->mem[k++] = a->mem[i];
			continue;
		}
		names_del(&a->mem_ix, a->mem[i].key);
		free(a->mem[i].names);
		free(a->mem[i].key);
	}
	a->n_mem = k;
	for (i = 0; i < k; i++)
		names_put(&a->mem_ix, a->mem[i].key, i); /* moved: no allocation */
}

/* Whether running service @name belonged to the split of @m. Without a
 * record (a restarted agent meeting a rejected split) the name prefix
 * decides. */
static bool mem_owns(const struct split_mem *m, const char *name)
{
	char prefix[KUBE_NS_LEN + KUBE_OBJ_LEN + 32], stem[KUBE_OBJ_LEN + 16];
	int i;

	for (i = 0; i < m->n_names; i++)
		if (!strcmp(m->names[i], name))
			return true;
	agent_owner_stem(m->kind, m->name, stem, sizeof(stem));
	snprintf(prefix, sizeof(prefix), KUBE_SVC_PREFIX "%s.%s.", m->ns, stem);
	return !m->names && !strncmp(name, prefix, strlen(prefix));
}

/* Appends @svc to @cfg if it validates against what is there (@ix). */
static int append_checked(struct canary_config *cfg, struct config_index *ix,
			  const struct canary_service_cfg *svc, const char *owner)
{
	struct canary_service_cfg *s;
	struct canary_err err;

	s = config_add_service(cfg, &err);
	if (!s)
		return -ENOMEM;
	*s = *svc;
	if (!config_validate_service_ix(cfg, cfg->n_services - 1, ix, &err))
		return 0;
	alog("%s: service %s not applied: %s", owner, svc->name, err.msg);
	cfg->n_services--;
	return -EINVAL;
}

/* Remembers the names split @m got in @cfg[first..). */
static void mem_record(struct split_mem *m, const struct canary_config *cfg,
		       int first)
{
	int i, n = cfg->n_services - first;

	free(m->names);
	m->names = calloc(n + 1, sizeof(*m->names));
	m->n_names = m->names ? n : 0;
	for (i = 0; i < m->n_names; i++)
		snprintf(m->names[i], sizeof(m->names[i]), "%s", cfg->svc[first + i].name);
}

/* An Event about the owner of @sp. */
void agent_post_event(struct agent *a, const struct split_plan *sp,
		      bool warning, const char *reason, const char *msg)
{
	struct kube_event ev = { .warning = warning };

	snprintf(ev.kind, sizeof(ev.kind), "%s", agent_owner_kind(sp->kind));
	snprintf(ev.api_version, sizeof(ev.api_version), "%s", sp->api_version);
	snprintf(ev.ns, sizeof(ev.ns), "%s", sp->ns);
	snprintf(ev.name, sizeof(ev.name), "%s", sp->name);
	snprintf(ev.uid, sizeof(ev.uid), "%s", sp->uid);
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
	snprintf(ev.message, sizeof(ev.message), "%s", msg);
	kube_events_post(&a->events, &ev);
}

/* "trafficsplit ns/name", "tcproute ns/name": who a log line is about. */
static void owner_of(const struct split_plan *sp, char *out, size_t len)
{
	snprintf(out, len, "%s %s/%s", sp->kind == KUBE_TCPROUTE ? "tcproute" :
		 sp->kind == KUBE_UDPROUTE ? "udproute" : "trafficsplit",
		 sp->ns, sp->name);
}

/* Logs a rejection or a note once per change of its text. */
static void split_report(struct agent *a, struct split_mem *m,
			 const struct split_plan *sp, const char *owner)
{
	char msg[512];

	if (sp->bad[0] && strcmp(m->bad, sp->bad)) {
		snprintf(msg, sizeof(msg), "not applied (what runs for it stays): %s",
			 sp->bad);
		alog("%s: %s", owner, msg);
		agent_post_event(a, sp, true, "NotApplied", msg);
		a->cnt.errors++;
	} else if (!sp->bad[0] && m->bad[0]) {
		alog("%s: valid again", owner);
	}
	snprintf(m->bad, sizeof(m->bad), "%s", sp->bad);
	if (sp->note[0] && strcmp(m->note, sp->note))
		alog("%s: %s", owner, sp->note);
	snprintf(m->note, sizeof(m->note), "%s", sp->note);
	m->seen = true;
}

/* One split into @want: its planned services, or, when rejected, the
 * ones running for it now. */
static int want_split(struct agent *a, const struct agent_plan *p,
		      struct split_plan *sp, const struct canary_config *old,
		      struct canary_config *want, struct config_index *ix)
{
	struct split_mem *m = mem_get(a, sp->kind, sp->ns, sp->name);
	char owner[KUBE_NS_LEN + KUBE_OBJ_LEN + 16];
	int i, first = want->n_services;

	if (!m)
		return -ENOMEM;
	owner_of(sp, owner, sizeof(owner));
	split_report(a, m, sp, owner);
	for (i = 0; sp->bad[0] && i < old->n_services; i++)
		if (is_ours(old->svc[i].name) && mem_owns(m, old->svc[i].name) &&
		    append_checked(want, ix, &old->svc[i], owner) == -ENOMEM)
			return -ENOMEM;
	for (i = sp->first; !sp->bad[0] && i < sp->first + sp->n; i++)
		if (append_checked(want, ix, &p->cfg.svc[i], owner) == -ENOMEM)
			return -ENOMEM;
	mem_record(m, want, first);
	sp->applied_first = first;
	sp->applied_n = want->n_services - first;
	return 0;
}

/* The whole wanted config: others' services as they are, then ours, and
 * the node section when this node's Node is known. */
static int want_build(struct agent *a, struct agent_plan *p,
		      const struct canary_config *old, struct canary_config *want)
{
	struct config_index ix;
	struct canary_err err;
	int i, ret = 0;

	config_index_init(&ix);
	if (config_reserve(want, old->n_services + p->cfg.n_services + 1))
		return -ENOMEM;
	for (i = 0; i < old->n_services && !ret; i++) {
		if (is_ours(old->svc[i].name))
			continue;
		if (!config_add_service(want, &err))
			return -ENOMEM;
		want->svc[want->n_services - 1] = old->svc[i];
		ret = config_index_add(&ix, want, want->n_services - 1);
	}
	for (i = 0; i < p->n_splits && !ret; i++)
		ret = want_split(a, p, &p->splits[i], old, want, &ix);
	config_index_free(&ix);
	mem_sweep(a);
	want->node = p->cfg.node;
	return ret;
}

/* A config with an index of its services by name. */
struct icfg {
	const struct canary_config *c;
	struct names ix;
};

static int icfg_init(struct icfg *x, const struct canary_config *c)
{
	int i;

	x->c = c;
	names_init(&x->ix);
	for (i = 0; i < c->n_services; i++)
		if (names_put(&x->ix, c->svc[i].name, i))
			return -ENOMEM;
	return 0;
}

static const struct canary_service_cfg *find_svc(const struct icfg *x,
						 const char *name)
{
	int i = names_get(&x->ix, name);

	return i < 0 ? NULL : &x->c->svc[i];
}

/* Whether the "k8s.*" parts of @a and @b differ. */
static bool ours_differ(const struct icfg *a, const struct icfg *b)
{
	const struct canary_service_cfg *o;
	int i, na = 0, nb = 0;

	for (i = 0; i < a->c->n_services; i++) {
		if (!is_ours(a->c->svc[i].name))
			continue;
		na++;
		o = find_svc(b, a->c->svc[i].name);
		if (!o || !agent_svc_equal(&a->c->svc[i], o))
			return true;
	}
	for (i = 0; i < b->c->n_services; i++)
		nb += is_ours(b->c->svc[i].name);
	return na != nb;
}

/* Appends " +ip:port" / " -ip:port" for endpoints of @x missing in @y,
 * and with '+', " ~ip:port(draining)" or "(ready)" for those in both whose
 * draining state changed. */
static void ep_diff(char *buf, size_t len, const struct canary_version_cfg *x,
		    const struct canary_version_cfg *y, char sign)
{
	const struct canary_ep_cfg *p, *q;
	bool drains, drained;
	char ip[CANARY_ADDR_STRLEN + 8];
	size_t n;
	int e, f;

	for (e = 0; e < x->n_endpoints; e++) {
		p = &x->ep[e];
		for (q = NULL, f = 0; y && f < y->n_endpoints && !q; f++)
			if (addr_eq(&p->addr, &y->ep[f].addr) &&
			    p->port == y->ep[f].port)
				q = &y->ep[f];
		drains = p->flags & CANARY_EP_F_DRAINING;
		drained = q && (q->flags & CANARY_EP_F_DRAINING);
		if (q && (sign == '-' || drains == drained))
			continue;
		n = strlen(buf);
		snprintf(buf + n, len - n, " %c%s%s", q ? '~' : sign,
			 addr_port_str(&p->addr, ntohs(p->port), ip, sizeof(ip)),
			 drains && sign == '+' ? "(draining)" : q ? "(ready)" : "");
	}
}

/* "v1 75->90 v2 25->10" and the endpoint changes of @o -> @n. */
static void describe(const struct canary_service_cfg *o,
		     const struct canary_service_cfg *n, char *w, char *e, size_t len)
{
	const struct canary_version_cfg *ov;
	char p1[8], p2[8];
	size_t k;
	int v, i;

	w[0] = e[0] = '\0';
	for (v = 0; v < n->n_versions; v++) {
		i = o ? config_find_version(o, n->v[v].name) : -1;
		ov = i >= 0 ? &o->v[i] : NULL;
		k = strlen(w);
		snprintf(w + k, len - k, " %s %s->%s", n->v[v].name,
			 ov ? fmt_percent(ov->weight_bps, p1, sizeof(p1)) : "none",
			 fmt_percent(n->v[v].weight_bps, p2, sizeof(p2)));
		k = strlen(e);
		snprintf(e + k, len - k, " %s", n->v[v].name);
		ep_diff(e, len, &n->v[v], ov, '+');
		if (ov)
			ep_diff(e, len, ov, &n->v[v], '-');
		if (strlen(e) == k + 1 + strlen(n->v[v].name))
			e[k] = '\0'; /* no change for this version */
	}
}

/* Whether some version of @n has a weight other than in @o (or @o is
 * new). */
static bool weights_differ(const struct canary_service_cfg *o,
			   const struct canary_service_cfg *n)
{
	int v, i;

	for (v = 0; o && v < n->n_versions; v++) {
		i = config_find_version(o, n->v[v].name);
		if (i < 0 || o->v[i].weight_bps != n->v[v].weight_bps)
			return true;
	}
	return !o || o->n_versions != n->n_versions;
}

/* One line (and one Event about its owner) per changed service of @sp. */
static void log_split_changes(struct agent *a, const struct split_plan *sp,
			      const struct icfg *old,
			      const struct canary_config *want)
{
	const struct canary_service_cfg *o, *n;
	char w[2048], e[2048], ip[CANARY_ADDR_STRLEN + 8], line[4800];
	int i;

	for (i = sp->applied_first; i < sp->applied_first + sp->applied_n; i++) {
		n = &want->svc[i];
		o = find_svc(old, n->name);
		if (o && agent_svc_equal(o, n))
			continue;
		describe(o, n, w, e, sizeof(w));
		snprintf(line, sizeof(line), "service %s %s %s/%s: weights%s; endpoints%s",
			 n->name, o ? "changed" : "added",
			 addr_port_str(&n->vip, ntohs(n->port), ip, sizeof(ip)),
			 n->proto == CANARY_PROTO_UDP ? "udp" : "tcp",
			 w, e[0] ? e : " unchanged");
		alog("%s", line);
		agent_post_event(a, sp, false, weights_differ(o, n) ? "WeightsChanged" :
			   "EndpointsChanged", line);
	}
}

static void log_changes(struct agent *a, const struct agent_plan *p,
			const struct icfg *old, const struct icfg *want)
{
	const struct canary_config *o = old->c;
	int i;

	for (i = 0; i < p->n_splits; i++)
		if (!p->splits[i].bad[0])
			log_split_changes(a, &p->splits[i], old, want->c);
	for (i = 0; i < o->n_services; i++)
		if (is_ours(o->svc[i].name) && !find_svc(want, o->svc[i].name))
			alog("service %s removed", o->svc[i].name);
}

/* Whether @want's node section is news (always, once after a start). */
static bool node_differs(const struct agent *a, const struct canary_config *want)
{
	const struct canary_node_cfg *w = &want->node, *h = &a->node_applied;

	return w->set && (!h->set || w->address != h->address ||
			  w->pod_net != h->pod_net || w->pod_len != h->pod_len ||
			  w->port_min != h->port_min || w->port_max != h->port_max ||
			  memcmp(w->address6, h->address6, sizeof(w->address6)) ||
			  memcmp(w->pod_net6, h->pod_net6, sizeof(w->pod_net6)) ||
			  w->pod_len6 != h->pod_len6);
}

static void log_node(const struct agent *a, const struct canary_node_cfg *n)
{
	struct canary_addr ip6 = addr_v6(n->address6), net6 = addr_v6(n->pod_net6);
	char ip[16], net[16];

	alog("node %s: SNAT address %s, pod CIDR %s/%u", a->node,
	     fmt_ipv4(n->address, ip, sizeof(ip)),
	     fmt_ipv4(n->pod_net, net, sizeof(net)), n->pod_len);
	if (config_node_has_cidr6(n))
		alog("node %s: IPv6 SNAT address %s, pod CIDR %s/%u", a->node,
		     ADDR_STR(&ip6), ADDR_STR(&net6), n->pod_len6);
	else if (config_node_has_address6(n))
		alog("node %s: IPv6 SNAT address %s, no IPv6 pod CIDR", a->node,
		     ADDR_STR(&ip6));
}

static int replace_cfg(struct canary_config *cfg, void *arg, struct canary_err *err)
{
	const struct canary_config *want = arg;

	if (want->node.set)
		cfg->node = want->node;
	if (config_reserve(cfg, want->n_services + 1))
		return cerr_set(err, "out of memory"), -ENOMEM;
	memcpy(cfg->svc, want->svc, want->n_services * sizeof(*cfg->svc));
	cfg->n_services = want->n_services;
	return 0;
}

static void log_terminating(const struct agent_plan *p)
{
	char owner[KUBE_NS_LEN + KUBE_OBJ_LEN + 16];
	int i;

	for (i = 0; i < p->n_splits; i++) {
		if (!p->splits[i].terminating)
			continue;
		owner_of(&p->splits[i], owner, sizeof(owner));
		alog("%s: %d serving-but-terminating endpoint(s) draining: they "
		     "keep their flows and take no new ones", owner,
		     p->splits[i].terminating);
	}
}

/* canary_gen's stamp of the last flip (0 if none or unreadable). */
static __u64 flip_stamp(struct canary_state *st)
{
	struct canary_genstate gs;

	if (state_genstate(st, &gs))
		return 0;
	return gs.prev_until_ns - gs.grace_ns;
}

int agent_refresh(struct agent *a)
{
	struct canary_err err = {};
	struct canary_state st;
	int ret = 1;

	if (state_open(&st, a->pin_dir, &err)) {
		alog("maps not readable: %s", err.msg);
		state_close(&st);
		return -EIO;
	}
	if (a->flip_seen && flip_stamp(&st) == a->flip_seen) {
		/* A new pod's MAC is learned once it has talked. */
		bridge_sync(&st);
		ret = 0;
	}
	state_close(&st);
	return ret;
}

int agent_apply(struct agent *a, struct agent_plan *p)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct canary_config old, want;
	struct icfg iold = {}, iwant = {};
	struct canary_err err = {};
	struct canary_state st;
	int ret = -ENOMEM;

	config_init(&old);
	config_init(&want);
	if (!ids)
		goto out;
	if (state_open(&st, a->pin_dir, &err)) {
		alog("%s", err.msg);
		ret = -EIO;
		goto out_close;
	}
	ret = state_read_config(&st, &old, ids);
	if (!ret)
		ret = want_build(a, p, &old, &want);
	if (!ret && (icfg_init(&iold, &old) || icfg_init(&iwant, &want)))
		ret = -ENOMEM;
	if (!ret && (ours_differ(&iold, &iwant) || node_differs(a, &want))) {
		ret = state_transaction_on(&st, &old, ids, replace_cfg, &want,
					   &err) ? -EIO : 0;
		if (ret) {
			alog("config not applied: %s", err.msg);
		} else {
			if (node_differs(a, &want))
				log_node(a, &want.node);
			a->node_applied = want.node;
			log_changes(a, p, &iold, &iwant);
			log_terminating(p);
			a->cnt.changes++;
		}
	} else if (!ret) {
		/* Every pass (at least each REFRESH_S) refreshes the bridge
		 * FDB copy: a new pod's MAC is learned once it has talked. */
		bridge_sync(&st);
	}
	if (!ret)
		a->flip_seen = flip_stamp(&st);
out_close:
	state_close(&st);
out:
	names_free(&iold.ix);
	names_free(&iwant.ix);
	config_free(&old);
	config_free(&want);
	free(ids);
	return ret;
}
