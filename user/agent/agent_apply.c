// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Writing a plan to the maps in one transaction, with one log line per
 * changed service (see agent.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Forgets what split @m got (names, configs). */
static void mem_forget_services(struct split_mem *m)
{
	int i;

	for (i = 0; m->packed && i < m->n_names; i++)
		free(m->packed[i]);
	free(m->packed);
	free(m->packed_len);
	free(m->names);
	m->packed = NULL;
	m->packed_len = NULL;
	m->names = NULL;
	m->n_names = 0;
}

/* The dependency entry of cache key @key; created when @make. */
static struct dep *dep_of(struct agent *a, const char *key, bool make)
{
	struct dep *grown;
	int i = names_get(&a->dep_ix, key);

	if (i >= 0 || !make)
		return i < 0 ? NULL : &a->deps[i];
	if (a->n_deps == a->cap_deps) {
		grown = realloc(a->deps, (a->cap_deps * 2 + 64) * sizeof(*grown));
		if (!grown)
			return NULL;
		a->deps = grown;
		a->cap_deps = a->cap_deps * 2 + 64;
	}
	memset(&a->deps[a->n_deps], 0, sizeof(a->deps[0]));
	a->deps[a->n_deps].key = strdup(key);
	if (!a->deps[a->n_deps].key ||
	    names_put(&a->dep_ix, a->deps[a->n_deps].key, a->n_deps)) {
		free(a->deps[a->n_deps].key);
		return NULL;
	}
	return &a->deps[a->n_deps++];
}

/* Takes owner @idx off the entries of the keys its plan read. */
static void dep_unlink(struct agent *a, int idx)
{
	struct split_mem *m = &a->mem[idx];
	struct dep *d;
	int i, j;

	for (i = 0; i < m->n_refs; i++) {
		d = dep_of(a, m->refs[i], false);
		for (j = 0; d && j < d->n; j++)
			if (d->owners[j] == idx) {
				d->owners[j] = d->owners[--d->n];
				break;
			}
		free(m->refs[i]);
	}
	free(m->refs);
	m->refs = NULL;
	m->n_refs = 0;
}

/* Owner @idx read the keys @refs (taken over): a change to one of them
 * replans it. A key that cannot be recorded makes the next pass full. */
static void dep_link(struct agent *a, int idx, char **refs, int n)
{
	struct split_mem *m;
	struct dep *d;
	int *grown, i;

	dep_unlink(a, idx);
	m = &a->mem[idx];
	m->refs = refs;
	m->n_refs = n;
	for (i = 0; i < n; i++) {
		d = dep_of(a, refs[i], true);
		if (d && d->n == d->cap) {
			grown = realloc(d->owners, (d->cap * 2 + 2) * sizeof(*grown));
			if (grown) {
				d->owners = grown;
				d->cap = d->cap * 2 + 2;
			}
		}
		if (!d || d->n == d->cap) {
			a->synced = false;
			continue;
		}
		d->owners[d->n++] = idx;
	}
}

/* Frees slot @idx of a->mem. */
static void mem_drop(struct agent *a, int idx)
{
	struct split_mem *m = &a->mem[idx];

	dep_unlink(a, idx);
	mem_forget_services(m);
	names_del(&a->mem_ix, m->key);
	free(m->key);
	m->key = NULL;
	a->free_mem[a->n_free_mem++] = idx; /* room: one per slot */
}

/* A new slot in a->mem (a free one first); its index or -ENOMEM. */
static int mem_slot(struct agent *a)
{
	struct split_mem *m;
	int *f;

	if (a->n_free_mem)
		return a->free_mem[--a->n_free_mem];
	if (a->n_mem == a->cap_mem) {
		m = realloc(a->mem, (a->cap_mem * 2 + 16) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		a->mem = m;
		f = realloc(a->free_mem, (a->cap_mem * 2 + 16) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		a->free_mem = f;
		a->cap_mem = a->cap_mem * 2 + 16;
	}
	return a->n_mem++;
}

static void mem_key(enum kube_kind kind, const char *ns, const char *name,
		    char *key, size_t len)
{
	kube_dep_key(kind, ns, name, key, len);
}

static struct split_mem *mem_get(struct agent *a, enum kube_kind kind,
				 const char *ns, const char *name)
{
	char key[KUBE_DEP_KEY_LEN];
	struct split_mem *m;
	int i;

	mem_key(kind, ns, name, key, sizeof(key));
	i = names_get(&a->mem_ix, key);
	if (i >= 0)
		return &a->mem[i];
	i = mem_slot(a);
	if (i < 0)
		return NULL;
	m = &a->mem[i];
	memset(m, 0, sizeof(*m));
	m->key = strdup(key);
	if (!m->key || names_put(&a->mem_ix, m->key, i)) {
		free(m->key);
		m->key = NULL;
		a->free_mem[a->n_free_mem++] = i;
		return NULL;
	}
	m->kind = kind;
	snprintf(m->ns, sizeof(m->ns), "%s", ns);
	snprintf(m->name, sizeof(m->name), "%s", name);
	return m;
}

/* Drops what is remembered of splits that no longer exist. */
static void mem_sweep(struct agent *a)
{
	int i;

	for (i = 0; i < a->n_mem; i++) {
		if (!a->mem[i].key)
			continue;
		if (a->mem[i].seen)
			a->mem[i].seen = false;
		else
			mem_drop(a, i);
	}
}

void agent_mem_free(struct agent *a)
{
	int i;

	for (i = 0; i < a->n_mem; i++)
		if (a->mem[i].key)
			mem_drop(a, i);
	for (i = 0; i < a->n_deps; i++) {
		free(a->deps[i].key);
		free(a->deps[i].owners);
	}
	free(a->deps);
	free(a->mem);
	free(a->free_mem);
	names_free(&a->mem_ix);
	names_free(&a->dep_ix);
	agent_guarded_free(a);
}

static struct guarded *guarded_find(struct agent *a, const char *name)
{
	int i = names_get(&a->guarded_ix, name);

	return i < 0 ? NULL : &a->guarded[i];
}

static void guarded_del(struct agent *a, const char *name)
{
	struct guarded *g = guarded_find(a, name);
	int i;

	if (!g)
		return;
	i = g - a->guarded;
	names_del(&a->guarded_ix, g->name);
	free(g->packed);
	free(g->name);
	*g = a->guarded[--a->n_guarded];
	if (i < a->n_guarded)
		names_put(&a->guarded_ix, g->name, i); /* replaces */
}

/* A new entry for service @name, or NULL. */
static struct guarded *guarded_add(struct agent *a, const char *name)
{
	struct guarded *g, *grown;

	if (a->n_guarded == a->cap_guarded) {
		grown = realloc(a->guarded, (a->cap_guarded * 2 + 8) * sizeof(*g));
		if (!grown)
			return NULL;
		a->guarded = grown;
		a->cap_guarded = a->cap_guarded * 2 + 8;
	}
	g = &a->guarded[a->n_guarded];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	if (!g->name || names_put(&a->guarded_ix, g->name, a->n_guarded)) {
		free(g->name);
		return NULL;
	}
	a->n_guarded++;
	return g;
}

/* Service @svc now runs (id @id, or unknown when -1): tracked for the
 * guard poll when it has a guard. */
static void guarded_set(struct agent *a, const struct canary_service_cfg *svc,
			long id)
{
	struct guarded *g = guarded_find(a, svc->name);

	if (!svc->guard.on) {
		guarded_del(a, svc->name);
		return;
	}
	if (!g)
		g = guarded_add(a, svc->name);
	if (!g)
		return;
	free(g->packed);
	g->packed = config_service_pack(svc, &g->packed_len);
	g->n_versions = svc->n_versions;
	if (id >= 0) {
		g->id = id;
		g->id_known = true;
	}
}

void agent_guarded_free(struct agent *a)
{
	while (a->n_guarded > 0)
		guarded_del(a, a->guarded[a->n_guarded - 1].name);
	free(a->guarded);
	names_free(&a->guarded_ix);
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

/* Remembers the services split @m got: @n of them at @svc. */
static void mem_record(struct split_mem *m, const struct canary_service_cfg *svc,
		       int n)
{
	int i;

	mem_forget_services(m);
	m->names = calloc(n + 1, sizeof(*m->names));
	m->packed = calloc(n + 1, sizeof(*m->packed));
	m->packed_len = calloc(n + 1, sizeof(*m->packed_len));
	if (!m->names || !m->packed || !m->packed_len) {
		mem_forget_services(m);
		return;
	}
	m->n_names = n;
	for (i = 0; i < n; i++) {
		snprintf(m->names[i], sizeof(m->names[i]), "%s", svc[i].name);
		/* NULL (no memory): compares as changed next time */
		m->packed[i] = config_service_pack(&svc[i], &m->packed_len[i]);
	}
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
	mem_record(m, &want->svc[first], want->n_services - first);
	dep_link(a, m - a->mem, sp->refs, sp->n_refs);
	sp->refs = NULL;
	sp->n_refs = 0;
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

/* One line and one Event about owner @sp: service @n is new (@o NULL) or
 * changed from @o. */
static void log_service_change(struct agent *a, const struct split_plan *sp,
			       const struct canary_service_cfg *o,
			       const struct canary_service_cfg *n)
{
	char w[2048], e[2048], ip[CANARY_ADDR_STRLEN + 8], line[4800];

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

/* One line (and one Event about its owner) per changed service of @sp. */
static void log_split_changes(struct agent *a, const struct split_plan *sp,
			      const struct icfg *old,
			      const struct canary_config *want)
{
	const struct canary_service_cfg *o, *n;
	int i;

	for (i = sp->applied_first; i < sp->applied_first + sp->applied_n; i++) {
		n = &want->svc[i];
		o = find_svc(old, n->name);
		if (!o || !agent_svc_equal(o, n))
			log_service_change(a, sp, o, n);
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

/* Wall and this thread's CPU time, in ns, for the pass timings. */
static void pass_clock(__u64 *wall, __u64 *cpu)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	*wall = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	*cpu = ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* After a full pass: our services with a guard, by @want, with the ids
 * of those that ran before it (@old, @ids). */
static void guarded_rebuild(struct agent *a, const struct icfg *iold,
			    const __u32 *ids, const struct canary_config *want)
{
	int i, j;

	for (i = 0; i < a->n_guarded; i++) {
		a->guarded[i].id_known = false; /* ids are learned again */
		a->guarded[i].n_versions = -1;  /* gone unless set below */
	}
	for (i = 0; i < want->n_services; i++) {
		if (!is_ours(want->svc[i].name) || !want->svc[i].guard.on)
			continue;
		j = names_get(&iold->ix, want->svc[i].name);
		guarded_set(a, &want->svc[i], j >= 0 ? (long)ids[j] : -1);
	}
	for (i = a->n_guarded - 1; i >= 0; i--)
		if (a->guarded[i].n_versions < 0)
			guarded_del(a, a->guarded[i].name);
}

int agent_apply(struct agent *a, struct agent_plan *p)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct canary_config old, want;
	struct icfg iold = {}, iwant = {};
	struct canary_err err = {};
	struct canary_state st;
	__u64 t[4], c[4];
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
	a->synced = true; /* unless a dependency cannot be recorded */
	pass_clock(&t[0], &c[0]);
	ret = state_read_config(&st, &old, ids);
	pass_clock(&t[1], &c[1]);
	if (!ret)
		ret = want_build(a, p, &old, &want);
	if (!ret && (icfg_init(&iold, &old) || icfg_init(&iwant, &want)))
		ret = -ENOMEM;
	pass_clock(&t[2], &c[2]);
	if (!ret && (ours_differ(&iold, &iwant) || node_differs(a, &want))) {
		ret = state_transaction_on(&st, &old, ids, replace_cfg, &want,
					   &err) ? -EIO : 0;
		pass_clock(&t[3], &c[3]);
		pr_info("agent: full pass of %d services: read %.1f ms (CPU "
			"%.1f), config %.1f ms (CPU %.1f), transaction %.1f ms "
			"(CPU %.1f)\n", want.n_services, (t[1] - t[0]) / 1e6,
			(c[1] - c[0]) / 1e6, (t[2] - t[1]) / 1e6,
			(c[2] - c[1]) / 1e6, (t[3] - t[2]) / 1e6,
			(c[3] - c[2]) / 1e6);
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
	if (!ret) {
		a->flip_seen = flip_stamp(&st);
		guarded_rebuild(a, &iold, ids, &want);
	}
out_close:
	state_close(&st);
out:
	if (ret)
		a->synced = false;
	names_free(&iold.ix);
	names_free(&iwant.ix);
	config_free(&old);
	config_free(&want);
	free(ids);
	return ret;
}

/* What a pass over some owners changes: services to write (whole) and
 * to remove, by name, and the node section when it is news. */
struct delta {
	const struct canary_service_cfg **up;
	bool *known;        /* per up: its owner had it last time */
	int n_up;
	const char **rm;
	int n_rm;
	const struct canary_node_cfg *node;
};

/* Index of the service named @name among @m's, or -1 (a scan: an owner
 * has a few services). */
static int mem_find(const struct split_mem *m, const char *name)
{
	int i;

	for (i = 0; i < m->n_names; i++)
		if (!strcmp(m->names[i], name))
			return i;
	return -1;
}

/* Whether @svc differs from what @m got under its name. */
static bool mem_differs(const struct split_mem *m,
			const struct canary_service_cfg *svc)
{
	int i = mem_find(m, svc->name);
	size_t len;
	void *buf;
	bool same;

	if (i < 0 || !m->packed[i])
		return true;
	buf = config_service_pack(svc, &len);
	same = buf && len == m->packed_len[i] && !memcmp(buf, m->packed[i], len);
	free(buf);
	return !same;
}

/* Whether owner @sp of @p has a service named @name. */
static bool plan_has(const struct agent_plan *p, const struct split_plan *sp,
		     const char *name)
{
	int j;

	for (j = sp->first; j < sp->first + sp->n; j++)
		if (!strcmp(p->cfg.svc[j].name, name))
			return true;
	return false;
}

/* The changes owner @sp of @p brings into @d (room for them is there). */
static void delta_owner(struct agent *a, struct agent_plan *p,
			struct split_plan *sp, struct delta *d)
{
	struct split_mem *m = mem_get(a, sp->kind, sp->ns, sp->name);
	char owner[KUBE_NS_LEN + KUBE_OBJ_LEN + 16];
	const struct canary_service_cfg *svc;
	int i;

	if (!m)
		return;
	owner_of(sp, owner, sizeof(owner));
	split_report(a, m, sp, owner);
	m->seen = false; /* no sweep in these passes */
	if (sp->bad[0])
		return; /* what runs for it stays */
	for (i = sp->first; i < sp->first + sp->n; i++) {
		svc = &p->cfg.svc[i];
		if (!mem_differs(m, svc))
			continue;
		d->known[d->n_up] = mem_find(m, svc->name) >= 0;
		d->up[d->n_up++] = svc;
	}
	for (i = 0; i < m->n_names; i++)
		if (!plan_has(p, sp, m->names[i]))
			d->rm[d->n_rm++] = m->names[i];
}

/* The edit of a pass over some owners: @arg's services written or
 * removed by name, the others as they run. */
static int delta_edit(struct canary_config *cfg, void *arg,
		      struct canary_err *err)
{
	const struct delta *d = arg;
	struct names ix;
	int *pos = calloc(d->n_up + d->n_rm + 1, sizeof(*pos));
	bool *drop = calloc(cfg->n_services + 1, sizeof(*drop));
	int i, k, ret = 0;

	names_init(&ix);
	for (i = 0; pos && drop && i < cfg->n_services && !ret; i++)
		ret = names_put(&ix, cfg->svc[i].name, i);
	if (!pos || !drop || ret) {
		cerr_set(err, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	/* Positions first: appending may move the names ix points to. */
	for (i = 0; i < d->n_up; i++)
		pos[i] = names_get(&ix, d->up[i]->name);
	for (i = 0; i < d->n_rm; i++)
		pos[d->n_up + i] = names_get(&ix, d->rm[i]);
	for (i = 0; i < d->n_rm; i++)
		if (pos[d->n_up + i] >= 0)
			drop[pos[d->n_up + i]] = true;
	for (i = 0; i < d->n_up && !ret; i++) {
		if (pos[i] >= 0)
			cfg->svc[pos[i]] = *d->up[i];
		else if (config_add_service(cfg, err))
			cfg->svc[cfg->n_services - 1] = *d->up[i];
		else
			ret = -ENOMEM;
	}
	for (i = 0, k = 0; i < cfg->n_services; i++)
		if (!drop[i] && (k++ != i))
			cfg->svc[k - 1] = cfg->svc[i];
	cfg->n_services = k;
	if (d->node)
		cfg->node = *d->node;
out:
	names_free(&ix);
	free(pos);
	free(drop);
	return ret;
}

/* The log lines and Events of owner @sp's changes, before @m forgets
 * what it had. */
static void log_owner_delta(struct agent *a, const struct agent_plan *p,
			    const struct split_plan *sp,
			    const struct split_mem *m,
			    struct canary_service_cfg *scratch)
{
	const struct canary_service_cfg *n, *o;
	int i, j;

	for (i = sp->first; i < sp->first + sp->n; i++) {
		n = &p->cfg.svc[i];
		if (!mem_differs(m, n))
			continue;
		j = mem_find(m, n->name);
		o = j >= 0 && m->packed[j] &&
		    !config_service_unpack(m->packed[j], m->packed_len[j],
					   scratch) ? scratch : NULL;
		log_service_change(a, sp, o, n);
	}
	for (i = 0; i < m->n_names; i++)
		if (!plan_has(p, sp, m->names[i]))
			alog("service %s removed", m->names[i]);
}

/* After a pass over some owners went through: their memories, the
 * guarded services, the log. */
static void delta_done(struct agent *a, struct agent_plan *p,
		       char *const *gone, int n_gone, const struct delta *d)
{
	struct canary_service_cfg *scratch = malloc(sizeof(*scratch));
	struct split_plan *sp;
	struct split_mem *m;
	int i, k;

	for (i = 0; i < p->n_splits; i++) {
		sp = &p->splits[i];
		m = mem_get(a, sp->kind, sp->ns, sp->name);
		if (!m || sp->bad[0])
			continue;
		if (scratch)
			log_owner_delta(a, p, sp, m, scratch);
		for (k = 0; k < m->n_names; k++)
			if (!plan_has(p, sp, m->names[k]))
				guarded_del(a, m->names[k]);
		mem_record(m, &p->cfg.svc[sp->first], sp->n);
		for (k = sp->first; k < sp->first + sp->n; k++)
			guarded_set(a, &p->cfg.svc[k], -1);
	}
	for (i = 0; i < n_gone; i++) {
		k = names_get(&a->mem_ix, gone[i]);
		if (k < 0)
			continue;
		m = &a->mem[k];
		while (m->n_names > 0) {
			alog("service %s removed", m->names[m->n_names - 1]);
			guarded_del(a, m->names[--m->n_names]);
		}
		mem_drop(a, k);
	}
	if (d->node) {
		log_node(a, d->node);
		a->node_applied = *d->node;
	}
	log_terminating(p);
	free(scratch);
}

/* The services owner @key got last time, or 0. */
static int mem_count(struct agent *a, const char *key)
{
	int i = names_get(&a->mem_ix, key);

	return i < 0 ? 0 : a->mem[i].n_names;
}

/* Room in @d for every change @p and @gone could bring; 0 or -ENOMEM. */
static int delta_alloc(struct agent *a, const struct agent_plan *p,
		       char *const *gone, int n_gone, struct delta *d)
{
	char key[KUBE_NS_LEN + KUBE_OBJ_LEN + 16];
	const struct split_plan *sp;
	int i, n_rm = 0;

	for (i = 0; i < p->n_splits; i++) {
		sp = &p->splits[i];
		mem_key(sp->kind, sp->ns, sp->name, key, sizeof(key));
		n_rm += mem_count(a, key);
	}
	for (i = 0; i < n_gone; i++)
		n_rm += mem_count(a, gone[i]);
	memset(d, 0, sizeof(*d));
	d->up = calloc(p->cfg.n_services + 1, sizeof(*d->up));
	d->known = calloc(p->cfg.n_services + 1, sizeof(*d->known));
	d->rm = calloc(n_rm + 1, sizeof(*d->rm));
	return d->up && d->known && d->rm ? 0 : -ENOMEM;
}

/* Changes this small, of services that stay, are written one service
 * at a time (state_transaction_service()): each reads and writes that
 * service alone, whatever the number of services. */
#define ONE_BY_ONE_MAX 16

/* The edit of one service of a delta: @arg replaces its namesake (the
 * transaction hands over that service alone, or the whole config when
 * it falls back to a full one). */
static int replace_one(struct canary_config *cfg, void *arg,
		       struct canary_err *err)
{
	const struct canary_service_cfg *svc = arg;
	int i = config_find_index(cfg, svc->name);

	if (i < 0)
		return cerr_set(err, "service '%s' is not running", svc->name);
	cfg->svc[i] = *svc;
	return 0;
}

/* Writes the services @d changes one by one; 0, 1 when a full pass is
 * due instead, or -errno. */
static int write_each(struct agent *a, struct canary_state *st,
		      const struct delta *d)
{
	struct canary_err err = {};
	int i, ret = 0;

	for (i = 0; i < d->n_up && !ret; i++) {
		ret = state_transaction_service(st, d->up[i]->name, replace_one,
						(void *)d->up[i], &err);
		if (ret == EXIT_USAGE)
			pr_info("agent: service %s alone was refused (%s): full "
				"pass\n", d->up[i]->name, err.msg);
		else if (ret)
			alog("config not applied: %s", err.msg);
		ret = ret == EXIT_USAGE ? 1 : ret ? -EIO : 0;
	}
	if (!ret)
		a->flip_seen = flip_stamp(st);
	return ret;
}

/* Whether every service @d writes runs already (under a name the agent
 * gave it: its owner got it last time) and nothing goes. */
static bool delta_small(const struct delta *d, const bool *known)
{
	int i;

	if (d->n_rm || d->node || d->n_up > ONE_BY_ONE_MAX)
		return false;
	for (i = 0; i < d->n_up; i++)
		if (!known[i])
			return false;
	return true;
}

/* Writes @d in one transaction; 0, 1 when a full pass is due instead,
 * or -errno. With -v, what reading the running config and the
 * transaction cost (the parts that grow with the number of services). */
static int delta_write(struct agent *a, struct delta *d)
{
	__u32 *ids = calloc(CANARY_MAX_SERVICES, sizeof(*ids));
	struct canary_err err = {};
	struct canary_config old;
	struct canary_state st;
	__u64 t[3], c[3];
	int ret = -ENOMEM;

	config_init(&old);
	if (!ids)
		goto out;
	ret = -EIO;
	if (state_open(&st, a->pin_dir, &err)) {
		alog("%s", err.msg);
		goto out_close;
	}
	/* Someone else's change since our last pass makes what we remember
	 * stale. */
	if (flip_stamp(&st) != a->flip_seen) {
		ret = 1;
		goto out_close;
	}
	if (delta_small(d, d->known)) {
		pass_clock(&t[0], &c[0]);
		ret = write_each(a, &st, d);
		pass_clock(&t[1], &c[1]);
		pr_info("agent: %d services written one by one: %.1f ms (CPU "
			"%.1f)\n", d->n_up, (t[1] - t[0]) / 1e6,
			(c[1] - c[0]) / 1e6);
		goto out_close;
	}
	pass_clock(&t[0], &c[0]);
	ret = state_read_config(&st, &old, ids);
	pass_clock(&t[1], &c[1]);
	if (!ret) {
		ret = state_transaction_on(&st, &old, ids, delta_edit, d, &err);
		pass_clock(&t[2], &c[2]);
		pr_info("agent: %d services written, %d removed, of %d: read "
			"%.1f ms (CPU %.1f), transaction %.1f ms (CPU %.1f)\n",
			d->n_up, d->n_rm, old.n_services, (t[1] - t[0]) / 1e6,
			(c[1] - c[0]) / 1e6, (t[2] - t[1]) / 1e6,
			(c[2] - c[1]) / 1e6);
		if (ret == EXIT_USAGE)
			pr_info("agent: a change alone was refused (%s): full "
				"pass\n", err.msg);
		else if (ret)
			alog("config not applied: %s", err.msg);
		ret = ret == EXIT_USAGE ? 1 : ret ? -EIO : 0;
	}
	if (!ret)
		a->flip_seen = flip_stamp(&st);
out_close:
	state_close(&st);
out:
	config_free(&old);
	free(ids);
	return ret;
}

int agent_apply_changes(struct agent *a, struct agent_plan *p,
			char *const *gone, int n_gone)
{
	struct delta d;
	int i, ret;

	ret = delta_alloc(a, p, gone, n_gone, &d);
	for (i = 0; !ret && i < p->n_splits; i++)
		delta_owner(a, p, &p->splits[i], &d);
	for (i = 0; !ret && i < n_gone; i++) {
		int k = names_get(&a->mem_ix, gone[i]), j;

		for (j = 0; k >= 0 && j < a->mem[k].n_names; j++)
			d.rm[d.n_rm++] = a->mem[k].names[j];
	}
	if (!ret && node_differs(a, &p->cfg))
		d.node = &p->cfg.node;
	if (!ret && (d.n_up || d.n_rm || d.node))
		ret = delta_write(a, &d);
	if (!ret) {
		delta_done(a, p, gone, n_gone, &d);
		if (d.n_up || d.n_rm || d.node)
			a->cnt.changes++;
	}
	/* What each plan read, whether or not anything was written. */
	agent_learn_refs(a, p);
	free(d.up);
	free(d.known);
	free(d.rm);
	return ret;
}

void agent_learn_refs(struct agent *a, struct agent_plan *p)
{
	struct split_plan *sp;
	struct split_mem *m;
	int i;

	for (i = 0; i < p->n_splits; i++) {
		sp = &p->splits[i];
		m = mem_get(a, sp->kind, sp->ns, sp->name);
		if (!m) {
			a->synced = false; /* the next pass is a full one */
			continue;
		}
		dep_link(a, m - a->mem, sp->refs, sp->n_refs);
		sp->refs = NULL;
		sp->n_refs = 0;
	}
}

int agent_dirty_owners(struct agent *a, const struct dirty_set *d,
		       struct dirty_set *out)
{
	const struct dep *dep;
	int i, j, kind, ret = 0;

	for (i = 0; i < d->n && !ret; i++) {
		kind = atoi(d->keys[i]);
		if (d->keys[i][0] != 's' && (kind == KUBE_SPLIT ||
		    kind == KUBE_TCPROUTE || kind == KUBE_UDPROUTE))
			ret = dirty_add(out, d->keys[i]);
		dep = dep_of(a, d->keys[i], false);
		for (j = 0; dep && j < dep->n && !ret; j++)
			ret = dirty_add(out, a->mem[dep->owners[j]].key);
	}
	return ret;
}
