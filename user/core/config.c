// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The configuration model: storage, lookup, validation, effective weights. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/names.h"
#include "core/parse.h"

int cerr_set(struct canary_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void config_init(struct canary_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->grace_s = CANARY_GRACE_KEEP;
}

void config_timeouts_default(struct canary_timeouts_cfg *t)
{
	t->set = true;
	t->tcp_s = CANARY_TMO_TCP_DEFAULT_S;
	t->tcp_closing_s = CANARY_TMO_CLOSING_DEFAULT_S;
	t->udp_s = CANARY_TMO_UDP_DEFAULT_S;
}

void config_free(struct canary_config *cfg)
{
	free(cfg->svc);
	config_init(cfg);
}

int config_find_index(const struct canary_config *cfg, const char *name)
{
	int i;

	for (i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->svc[i].name, name))
			return i;
	return -1;
}

struct canary_service_cfg *config_find(struct canary_config *cfg,
				       const char *name)
{
	int i = config_find_index(cfg, name);

	return i < 0 ? NULL : &cfg->svc[i];
}

int config_find_version(const struct canary_service_cfg *svc, const char *name)
{
	int i;

	for (i = 0; i < svc->n_versions; i++)
		if (!strcmp(svc->v[i].name, name))
			return i;
	return -1;
}

struct canary_service_cfg *config_add_service(struct canary_config *cfg,
					      struct canary_err *err)
{
	struct canary_service_cfg *svc;
	int cap;

	if (cfg->n_services >= CANARY_MAX_SERVICES) {
		cerr_set(err, "too many services (at most %d)", CANARY_MAX_SERVICES);
		return NULL;
	}
	if (cfg->n_services == cfg->cap) {
		cap = cfg->cap ? cfg->cap * 2 : 8;
		svc = realloc(cfg->svc, cap * sizeof(*svc));
		if (!svc) {
			cerr_set(err, "out of memory adding a service");
			return NULL;
		}
		cfg->svc = svc;
		cfg->cap = cap;
	}
	svc = &cfg->svc[cfg->n_services++];
	memset(svc, 0, sizeof(*svc));
	return svc;
}

int config_del_service(struct canary_config *cfg, const char *name)
{
	struct canary_service_cfg *svc = config_find(cfg, name);
	int i;

	if (!svc)
		return -ENOENT;
	i = svc - cfg->svc;
	memmove(svc, svc + 1, (cfg->n_services - i - 1) * sizeof(*svc));
	cfg->n_services--;
	return 0;
}

/* By address (addr_cmp: for IPv4 the numeric order), then port. */
static int ep_cmp(const void *a, const void *b)
{
	const struct canary_ep_cfg *x = a, *y = b;
	__u16 px = ntohs(x->port), py = ntohs(y->port);
	int c = addr_cmp(&x->addr, &y->addr);

	if (c)
		return c;
	return px < py ? -1 : px > py;
}

void config_sort_endpoints(struct canary_version_cfg *ver)
{
	if (ver->n_endpoints > 1)
		qsort(ver->ep, ver->n_endpoints, sizeof(ver->ep[0]), ep_cmp);
}

static bool ep_equal(const struct canary_ep_cfg *a,
		     const struct canary_ep_cfg *b)
{
	return addr_eq(&a->addr, &b->addr) && a->port == b->port;
}

/* "10.0.0.1:80" or "[2001:db8::1]:80", for messages. */
#define EP_STR(ep) addr_port_str(&(ep)->addr, ntohs((ep)->port), \
				 (char[CANARY_ADDR_STRLEN + 8]){0}, \
				 CANARY_ADDR_STRLEN + 8)

/* Checks one version's name, endpoint count and endpoint values. */
static int validate_version(const struct canary_service_cfg *svc, int vi,
			    struct canary_err *err)
{
	const struct canary_version_cfg *v = &svc->v[vi];
	const struct canary_ep_cfg *ep;
	struct canary_err tmp;
	int i, ret;

	ret = parse_name(v->name, sizeof(v->name), "version", &tmp);
	if (ret)
		return cerr_set(err, "service '%s': %s", svc->name, tmp.msg);
	if (config_find_version(svc, v->name) != vi)
		return cerr_set(err, "version '%s' appears twice in '%s'",
				v->name, svc->name);
	if (v->n_endpoints < 0 || v->n_endpoints > CANARY_MAX_ENDPOINTS)
		return cerr_set(err, "version '%s' of '%s' has %d endpoints (at most %d)",
				v->name, svc->name, v->n_endpoints,
				CANARY_MAX_ENDPOINTS);
	if (v->weight_bps > CANARY_BPS_TOTAL)
		return cerr_set(err, "version '%s' of '%s' has weight %u bps (at most %d)",
				v->name, svc->name, v->weight_bps, CANARY_BPS_TOTAL);
	for (i = 0; i < v->n_endpoints; i++) {
		ep = &v->ep[i];
		if (!svc->n_ports && (addr_is_unset(&ep->addr) || !ep->port))
			return cerr_set(err, "endpoint %s of '%s' needs an address and a port",
					EP_STR(ep), svc->name);
		if (svc->n_ports && (addr_is_unset(&ep->addr) || ep->port))
			return cerr_set(err, "endpoint '%s' of '%s': a service with "
					"'ports' lists endpoint addresses only (the "
					"target port comes from 'ports')",
					EP_STR(ep), svc->name);
		/* One family per service: the maps of a family hold its
		 * VIP, endpoints and pins together. */
		if (ep->addr.af != svc->vip.af)
			return cerr_set(err, "endpoint %s of '%s' is %s but the VIP %s is %s: "
					"a service's endpoints are of its VIP's family",
					EP_STR(ep), svc->name,
					addr_is_v6(&ep->addr) ? "IPv6" : "IPv4",
					ADDR_STR(&svc->vip),
					addr_is_v6(&svc->vip) ? "IPv6" : "IPv4");
	}
	return 0;
}

/* Is endpoint @e of version @vi listed again later in the service? */
static bool ep_listed_later(const struct canary_service_cfg *svc, int vi, int e)
{
	const struct canary_ep_cfg *ep = &svc->v[vi].ep[e];
	int v, i;

	for (v = vi; v < svc->n_versions; v++)
		for (i = v == vi ? e + 1 : 0; i < svc->v[v].n_endpoints; i++)
			if (ep_equal(ep, &svc->v[v].ep[i]))
				return true;
	return false;
}

static int validate_endpoints_unique(const struct canary_service_cfg *svc,
				     struct canary_err *err)
{
	int v, i;

	for (v = 0; v < svc->n_versions; v++) {
		for (i = 0; i < svc->v[v].n_endpoints; i++) {
			if (!ep_listed_later(svc, v, i))
				continue;
			return cerr_set(err, "endpoint %s is listed twice in '%s'",
					EP_STR(&svc->v[v].ep[i]), svc->name);
		}
	}
	return 0;
}

static int validate_weights(const struct canary_service_cfg *svc,
			    struct canary_err *err)
{
	unsigned int total = 0;
	char buf[16];
	int i;

	for (i = 0; i < svc->n_versions; i++)
		total += svc->v[i].weight_bps;
	if (total != CANARY_BPS_TOTAL)
		return cerr_set(err, "weights of '%s' total %s, not 100", svc->name,
				total > 0xffff ? "over 100" :
				fmt_percent(total, buf, sizeof(buf)));
	return 0;
}

int config_ports(const struct canary_service_cfg *svc,
		 struct canary_port_cfg *out)
{
	int i, n = svc->n_ports;

	if (!n) {
		out[0].port = svc->port;
		out[0].target = 0;
		return 1;
	}
	if (n > CANARY_MAX_PORTS)
		n = CANARY_MAX_PORTS;
	for (i = 0; i < n; i++)
		out[i] = svc->ports[i];
	return n;
}

/* The port of @s already used by @o on the same VIP and protocol, or 0. */
static __be16 shared_port(const struct canary_service_cfg *s,
			  const struct canary_service_cfg *o)
{
	struct canary_port_cfg a[CANARY_MAX_PORTS], b[CANARY_MAX_PORTS];
	int na, nb, i, j;

	if (!addr_eq(&o->vip, &s->vip) || o->proto != s->proto)
		return 0;
	na = config_ports(s, a);
	nb = config_ports(o, b);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a[i].port == b[j].port)
				return a[i].port;
	return 0;
}

/* Does an earlier service than @i use @i's name or a (vip, port, proto)? */
static int validate_unique_service(const struct canary_config *cfg, int i,
				   struct canary_err *err)
{
	const struct canary_service_cfg *s = &cfg->svc[i], *o;
	char where[CANARY_ADDR_STRLEN + 8];
	__be16 port;
	int j;

	for (j = 0; j < i; j++) {
		o = &cfg->svc[j];
		if (!strcmp(o->name, s->name))
			return cerr_set(err, "service '%s' is defined twice", s->name);
		port = shared_port(s, o);
		if (port)
			return cerr_set(err, "services '%s' and '%s' both use %s/%s",
					o->name, s->name,
					addr_port_str(&s->vip, ntohs(port), where,
						      sizeof(where)),
					s->proto == CANARY_PROTO_UDP ? "udp" : "tcp");
	}
	return 0;
}

/* Either one port, or a ports list of distinct ports with targets. */
static int validate_ports(const struct canary_service_cfg *s,
			  struct canary_err *err)
{
	int i, j;

	if (s->n_ports < 0 || s->n_ports > CANARY_MAX_PORTS)
		return cerr_set(err, "service '%s' has %d ports (at most %d)",
				s->name, s->n_ports, CANARY_MAX_PORTS);
	if (!s->n_ports && !s->port)
		return cerr_set(err, "service '%s' has no port", s->name);
	if (s->n_ports && s->port)
		return cerr_set(err, "service '%s' has both 'port' and 'ports'",
				s->name);
	for (i = 0; i < s->n_ports; i++) {
		if (!s->ports[i].port || !s->ports[i].target)
			return cerr_set(err, "port %d of '%s' needs a port and a "
					"target port", i + 1, s->name);
		for (j = 0; j < i; j++)
			if (s->ports[j].port == s->ports[i].port)
				return cerr_set(err, "port %u is listed twice in '%s'",
						ntohs(s->ports[i].port), s->name);
	}
	return 0;
}

/* Checks a service's own fields: name, address, protocol, version count. */
static int validate_service_fields(const struct canary_service_cfg *s,
				   struct canary_err *err)
{
	int ret;

	ret = parse_name(s->name, sizeof(s->name), "service", err);
	if (ret)
		return ret;
	if (addr_is_unset(&s->vip))
		return cerr_set(err, "service '%s' has no VIP", s->name);
	ret = validate_ports(s, err);
	if (ret)
		return ret;
	if (s->proto != CANARY_PROTO_TCP && s->proto != CANARY_PROTO_UDP)
		return cerr_set(err, "service '%s' has protocol %u (tcp or udp)",
				s->name, s->proto);
	if (s->n_versions < 1 || s->n_versions > CANARY_MAX_VERSIONS)
		return cerr_set(err, "service '%s' has %d versions (1 to %d)",
				s->name, s->n_versions, CANARY_MAX_VERSIONS);
	return 0;
}

static int validate_pins(const struct canary_service_cfg *svc,
			 struct canary_err *err);

/* The rest of a service's checks, after its uniqueness. */
static int validate_service_rest(const struct canary_service_cfg *s,
				 struct canary_err *err)
{
	int v, ret = 0;

	for (v = 0; !ret && v < s->n_versions; v++)
		ret = validate_version(s, v, err);
	if (!ret)
		ret = validate_weights(s, err);
	if (!ret)
		ret = validate_endpoints_unique(s, err);
	if (!ret)
		ret = validate_pins(s, err);
	if (!ret && s->affinity > CANARY_AFFINITY_CLIENT_IP)
		ret = cerr_set(err, "service '%s' has affinity %u", s->name,
			       s->affinity);
	return ret;
}

int config_validate_service(const struct canary_config *cfg, int i,
			    struct canary_err *err)
{
	const struct canary_service_cfg *s = &cfg->svc[i];
	int ret;

	ret = validate_service_fields(s, err);
	if (!ret)
		ret = validate_unique_service(cfg, i, err);
	return ret ? ret : validate_service_rest(s, err);
}

void config_index_init(struct config_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void config_index_free(struct config_index *ix)
{
	while (ix->n_owned)
		free(ix->owned[--ix->n_owned]);
	free(ix->owned);
	names_free(&ix->names);
	names_free(&ix->ports);
	config_index_init(ix);
}

/* @n hex digits of @v at @p; returns the end. */
static char *put_hex(char *p, unsigned long v, int n)
{
	static const char digit[] = "0123456789abcdef";
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 4)
		p[i] = digit[v & 15];
	return p + n;
}

/* The key of (@s's VIP, @port, its protocol) in ix->ports: its family,
 * address words, port and protocol in fixed-width hex, written by hand
 * (every service of a file is keyed twice). @buf has PORT_KEY_LEN bytes. */
#define PORT_KEY_LEN (2 + 1 + 32 + 1 + 4 + 1 + 2 + 1)
static void port_key(const struct canary_service_cfg *s, __be16 port,
		     char *buf)
{
	const bool v6 = s->vip.af == AF_INET6;
	char *p = put_hex(buf, s->vip.af, 2);
	int w;

	*p++ = ':';
	for (w = 0; w < 4; w++)
		p = put_hex(p, v6 ? s->vip.v6[w] : w ? 0 : s->vip.v4, 8);
	*p++ = ':';
	p = put_hex(p, ntohs(port), 4);
	*p++ = ':';
	p = put_hex(p, s->proto, 2);
	*p = '\0';
}

/* Indexes a copy of @key with value @val in @n. */
static int own_put(struct config_index *ix, struct names *n, const char *key,
		   int val)
{
	char **grown, *k;

	if (ix->n_owned == ix->cap_owned) {
		ix->cap_owned = ix->cap_owned ? ix->cap_owned * 2 : 64;
		grown = realloc(ix->owned, ix->cap_owned * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ix->owned = grown;
	}
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	ix->owned[ix->n_owned++] = k;
	return names_put(n, k, val);
}

/* validate_unique_service() against the services indexed in @ix. */
static int unique_in_index(const struct canary_config *cfg, int i,
			   const struct config_index *ix, struct canary_err *err)
{
	const struct canary_service_cfg *s = &cfg->svc[i];
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	char key[PORT_KEY_LEN], where[CANARY_ADDR_STRLEN + 8];
	int p, n = config_ports(s, ports), j;

	if (names_get(&ix->names, s->name) >= 0)
		return cerr_set(err, "service '%s' is defined twice", s->name);
	for (p = 0; p < n; p++) {
		port_key(s, ports[p].port, key);
		j = names_get(&ix->ports, key);
		if (j >= 0)
			return cerr_set(err, "services '%s' and '%s' both use %s/%s",
					ix->owned[j], s->name,
					addr_port_str(&s->vip, ntohs(ports[p].port),
						      where, sizeof(where)),
					s->proto == CANARY_PROTO_UDP ? "udp" : "tcp");
	}
	return 0;
}

int config_index_add(struct config_index *ix, const struct canary_config *cfg,
		     int i)
{
	const struct canary_service_cfg *s = &cfg->svc[i];
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	int p, n = config_ports(s, ports), name_at = ix->n_owned;
	char key[PORT_KEY_LEN];

	if (own_put(ix, &ix->names, s->name, i))
		return -ENOMEM;
	/* A port names its service by the copy of the name: @cfg's slot i
	 * may hold another service later (a loader that drops some). */
	for (p = 0; p < n; p++) {
		port_key(s, ports[p].port, key);
		if (own_put(ix, &ix->ports, key, name_at))
			return -ENOMEM;
	}
	return 0;
}

int config_validate_service_ix(const struct canary_config *cfg, int i,
			       struct config_index *ix, struct canary_err *err)
{
	const struct canary_service_cfg *s = &cfg->svc[i];
	int ret;

	ret = validate_service_fields(s, err);
	if (!ret)
		ret = unique_in_index(cfg, i, ix, err);
	if (!ret)
		ret = validate_service_rest(s, err);
	if (!ret && config_index_add(ix, cfg, i))
		ret = cerr_set(err, "out of memory checking service '%s'", s->name);
	return ret;
}

int config_active_endpoints(const struct canary_version_cfg *ver)
{
	int i, n = 0;

	for (i = 0; i < ver->n_endpoints; i++)
		n += !(ver->ep[i].flags & CANARY_EP_F_DRAINING);
	return n;
}

int config_find_pin(const struct canary_service_cfg *svc,
		    const struct canary_addr *addr, __u8 prefixlen)
{
	int i;

	for (i = 0; i < svc->n_pins; i++)
		if (addr_eq(&svc->pins[i].addr, addr) &&
		    svc->pins[i].prefixlen == prefixlen)
			return i;
	return -1;
}

/* Pins name versions of the service, each CIDR at most once. */
static int validate_pins(const struct canary_service_cfg *svc,
			 struct canary_err *err)
{
	char ip[CANARY_ADDR_STRLEN];
	int i;

	if (svc->n_pins < 0 || svc->n_pins > CANARY_MAX_PINS)
		return cerr_set(err, "service '%s' has %d pins (at most %d)",
				svc->name, svc->n_pins, CANARY_MAX_PINS);
	for (i = 0; i < svc->n_pins; i++) {
		const struct canary_pin_cfg *p = &svc->pins[i];

		addr_str(&p->addr, ip, sizeof(ip));
		if (p->addr.af != svc->vip.af)
			return cerr_set(err, "pin %s/%u of '%s' is %s but the VIP %s is %s: "
					"a service's pins are of its VIP's family",
					ip, p->prefixlen, svc->name,
					addr_is_v6(&p->addr) ? "IPv6" : "IPv4",
					ADDR_STR(&svc->vip),
					addr_is_v6(&svc->vip) ? "IPv6" : "IPv4");
		if (p->prefixlen > addr_bits(&p->addr) ||
		    !addr_host_bits_zero(&p->addr, p->prefixlen))
			return cerr_set(err, "pin %s/%u of '%s' is not a network "
					"(prefix too long or host bits set)",
					ip, p->prefixlen, svc->name);
		if (config_find_version(svc, p->version) < 0)
			return cerr_set(err, "pin %s/%u of '%s': no version '%s'",
					ip, p->prefixlen, svc->name, p->version);
		if (config_find_pin(svc, &p->addr, p->prefixlen) != i)
			return cerr_set(err, "pin %s/%u is listed twice in '%s'",
					ip, p->prefixlen, svc->name);
	}
	return 0;
}

int config_check_weighted_endpoints(const struct canary_service_cfg *svc,
				    struct canary_err *err)
{
	int v;

	for (v = 0; v < svc->n_versions; v++)
		if (svc->v[v].weight_bps && !svc->v[v].n_endpoints)
			return cerr_set(err, "version '%s' of '%s' has no endpoints",
					svc->v[v].name, svc->name);
	return 0;
}

int config_validate(const struct canary_config *cfg, struct canary_err *err)
{
	struct config_index ix;
	int i, ret = 0;

	if (cfg->n_services > CANARY_MAX_SERVICES)
		return cerr_set(err, "too many services (%d, at most %d)",
				cfg->n_services, CANARY_MAX_SERVICES);
	config_index_init(&ix);
	for (i = 0; i < cfg->n_services && !ret; i++)
		ret = config_validate_service_ix(cfg, i, &ix, err);
	config_index_free(&ix);
	if (ret)
		return ret;
	return cfg->node.set ? config_check_node(cfg, &cfg->node, err) : 0;
}

/*
 * Effective weight of each version in @eff. The rounding remainder goes to
 * the last version that gets a share, so the total is exactly 10000 and a
 * version with weight 0 never receives traffic while others have weight.
 */
static void effective_weights(const struct canary_service_cfg *svc, int n,
			      __u32 *eff)
{
	__u32 sum = 0, live = 0, given = 0;
	int i, last = -1;

	for (i = 0; i < n; i++) {
		if (!config_active_endpoints(&svc->v[i]))
			continue;
		sum += svc->v[i].weight_bps;
		live++;
	}
	for (i = 0; i < n; i++) {
		eff[i] = 0;
		if (!config_active_endpoints(&svc->v[i]))
			continue;
		if (sum)
			eff[i] = (__u32)svc->v[i].weight_bps * CANARY_BPS_TOTAL / sum;
		else
			eff[i] = CANARY_BPS_TOTAL / live;
		if (!sum || svc->v[i].weight_bps)
			last = i;
		given += eff[i];
	}
	if (last >= 0)
		eff[last] += CANARY_BPS_TOTAL - given;
}

void config_effective_cum(const struct canary_service_cfg *svc, __u16 *cum)
{
	__u32 eff[CANARY_MAX_VERSIONS], acc = 0;
	int i, n = svc->n_versions;

	if (n > CANARY_MAX_VERSIONS)
		n = CANARY_MAX_VERSIONS;
	effective_weights(svc, n, eff);
	for (i = 0; i < n; i++) {
		acc += eff[i];
		cum[i] = (__u16)acc;
	}
}

bool config_is_local(const struct canary_node_cfg *node, __be32 addr)
{
	__u32 mask = node->pod_len ? ~0u << (32 - node->pod_len) : 0;

	return node->pod_net && (ntohl(addr) & mask) == ntohl(node->pod_net);
}

bool config_node_has_address6(const struct canary_node_cfg *node)
{
	return node->address6[0] | node->address6[1] | node->address6[2] |
	       node->address6[3];
}

bool config_node_has_cidr6(const struct canary_node_cfg *node)
{
	return node->pod_len6 > 0;
}

bool config_is_local_addr(const struct canary_node_cfg *node,
			  const struct canary_addr *addr)
{
	struct canary_addr net;

	if (!addr_is_v6(addr))
		return config_is_local(node, addr->v4);
	net = addr_v6(node->pod_net6);
	return config_node_has_cidr6(node) &&
	       addr_in_prefix(addr, &net, node->pod_len6);
}

int config_check_node(const struct canary_config *cfg,
		      const struct canary_node_cfg *node, struct canary_err *err)
{
	const struct canary_service_cfg *s;
	int i;

	for (i = 0; i < cfg->n_services; i++) {
		s = &cfg->svc[i];
		if (!config_is_v6(s))
			continue;
		if (s->snat == CANARY_SNAT_ALWAYS && !s->local &&
		    !config_node_has_address6(node))
			return cerr_set(err, "service '%s': snat: always on an IPv6 "
					"service needs this node's IPv6 address "
					"(node: address6)", s->name);
		if (s->local && !config_node_has_cidr6(node))
			return cerr_set(err, "service '%s': traffic_policy: local on "
					"an IPv6 service needs this node's IPv6 pod "
					"CIDR (node: pod_cidr6)", s->name);
	}
	return 0;
}

static bool ep_same(const struct canary_ep_cfg *a,
		    const struct canary_ep_cfg *b)
{
	return addr_eq(&a->addr, &b->addr) && a->port == b->port &&
	       a->flags == b->flags;
}

/* Whether versions @x and @y list the same endpoints, in any order. */
static bool same_eps(const struct canary_version_cfg *x,
		     const struct canary_version_cfg *y)
{
	static __thread struct canary_version_cfg sx, sy;
	int e;

	if (x->n_endpoints != y->n_endpoints)
		return false;
	for (e = 0; e < x->n_endpoints && ep_same(&x->ep[e], &y->ep[e]); e++)
		;
	if (e == x->n_endpoints) /* in the same order: no sorting */
		return true;
	sx.n_endpoints = sy.n_endpoints = x->n_endpoints;
	memcpy(sx.ep, x->ep, x->n_endpoints * sizeof(x->ep[0]));
	memcpy(sy.ep, y->ep, y->n_endpoints * sizeof(y->ep[0]));
	config_sort_endpoints(&sx);
	config_sort_endpoints(&sy);
	for (e = 0; e < sx.n_endpoints; e++)
		if (!ep_same(&sx.ep[e], &sy.ep[e]))
			return false;
	return true;
}

bool config_service_same(const struct canary_service_cfg *x,
			 const struct canary_service_cfg *y)
{
	int v;

	if (strcmp(x->name, y->name) || !addr_eq(&x->vip, &y->vip) ||
	    x->port != y->port || x->n_ports != y->n_ports ||
	    memcmp(x->ports, y->ports, x->n_ports * sizeof(x->ports[0])) ||
	    x->proto != y->proto || x->affinity != y->affinity ||
	    x->snat != y->snat || x->local != y->local ||
	    x->n_versions != y->n_versions || x->n_pins != y->n_pins ||
	    x->guard.on != y->guard.on ||
	    (x->guard.on && (x->guard.max_fail_bps != y->guard.max_fail_bps ||
			     x->guard.min_flows != y->guard.min_flows ||
			     x->guard.window_s != y->guard.window_s)))
		return false;
	for (v = 0; v < x->n_versions; v++)
		if (strcmp(x->v[v].name, y->v[v].name) ||
		    x->v[v].weight_bps != y->v[v].weight_bps ||
		    !same_eps(&x->v[v], &y->v[v]))
			return false;
	for (v = 0; v < x->n_pins; v++)
		if (!addr_eq(&x->pins[v].addr, &y->pins[v].addr) ||
		    x->pins[v].prefixlen != y->pins[v].prefixlen ||
		    strcmp(x->pins[v].version, y->pins[v].version))
			return false;
	return true;
}

#define SVC_HEAD offsetof(struct canary_service_cfg, v)
#define SVC_TAIL offsetof(struct canary_service_cfg, n_pins)
#define VER_HEAD offsetof(struct canary_version_cfg, ep)

/* Bytes config_service_pack() makes of @svc. */
static size_t packed_size(const struct canary_service_cfg *svc)
{
	size_t n = SVC_HEAD + sizeof(*svc) - SVC_TAIL;
	int v;

	for (v = 0; v < svc->n_versions; v++)
		n += VER_HEAD + svc->v[v].n_endpoints * sizeof(svc->v[v].ep[0]);
	return n;
}

/* @svc packed into @p (packed_size() bytes of room). */
static void pack_to(const struct canary_service_cfg *svc, unsigned char *p)
{
	size_t n;
	int v;

	memcpy(p, svc, SVC_HEAD);
	p += SVC_HEAD;
	for (v = 0; v < svc->n_versions; v++) {
		n = VER_HEAD + svc->v[v].n_endpoints * sizeof(svc->v[v].ep[0]);
		memcpy(p, &svc->v[v], n);
		p += n;
	}
	memcpy(p, (const char *)svc + SVC_TAIL, sizeof(*svc) - SVC_TAIL);
}

void *config_service_pack(const struct canary_service_cfg *svc, size_t *len)
{
	void *buf;

	if (svc->n_versions < 0 || svc->n_versions > CANARY_MAX_VERSIONS)
		return NULL;
	*len = packed_size(svc);
	buf = malloc(*len);
	if (buf)
		pack_to(svc, buf);
	return buf;
}

int config_service_unpack(const void *buf, size_t len,
			  struct canary_service_cfg *svc)
{
	const unsigned char *p = buf, *end = p + len;
	struct canary_version_cfg *ver;
	int v;

	memset(svc, 0, sizeof(*svc));
	if (len < SVC_HEAD + sizeof(*svc) - SVC_TAIL)
		return -EINVAL;
	memcpy(svc, p, SVC_HEAD);
	p += SVC_HEAD;
	if (svc->n_versions < 0 || svc->n_versions > CANARY_MAX_VERSIONS)
		return -EINVAL;
	for (v = 0; v < svc->n_versions; v++) {
		ver = &svc->v[v];
		if ((size_t)(end - p) < VER_HEAD)
			return -EINVAL;
		memcpy(ver, p, VER_HEAD);
		p += VER_HEAD;
		if (ver->n_endpoints < 0 || ver->n_endpoints > CANARY_MAX_ENDPOINTS ||
		    (size_t)(end - p) < ver->n_endpoints * sizeof(ver->ep[0]))
			return -EINVAL;
		memcpy(ver->ep, p, ver->n_endpoints * sizeof(ver->ep[0]));
		p += ver->n_endpoints * sizeof(ver->ep[0]);
	}
	if ((size_t)(end - p) != sizeof(*svc) - SVC_TAIL)
		return -EINVAL;
	memcpy((char *)svc + SVC_TAIL, p, sizeof(*svc) - SVC_TAIL);
	return 0;
}

int config_reserve(struct canary_config *cfg, int n)
{
	struct canary_service_cfg *svc;

	if (n <= cfg->cap)
		return 0;
	svc = realloc(cfg->svc, (size_t)n * sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	cfg->svc = svc;
	cfg->cap = n;
	return 0;
}

int config_copy(struct canary_config *dst, const struct canary_config *src)
{
	config_init(dst);
	if (config_reserve(dst, src->n_services ? src->n_services : 1))
		return -ENOMEM;
	memcpy(dst->svc, src->svc, (size_t)src->n_services * sizeof(*src->svc));
	dst->n_services = src->n_services;
	dst->grace_s = src->grace_s;
	dst->node = src->node;
	return 0;
}

_Static_assert(offsetof(struct canary_service_cfg, name) == 0,
	       "a packed service begins with its name");

void config_packed_init(struct config_packed *p)
{
	memset(p, 0, sizeof(*p));
}

void config_packed_free(struct config_packed *p)
{
	free(p->bytes);
	free(p->off);
	config_packed_init(p);
}

/* Room for one more service of @len bytes; 0 or -ENOMEM. */
static int packed_grow(struct config_packed *p, size_t len)
{
	size_t cap;
	void *more;

	if ((size_t)p->n + 1 >= p->cap_off) {
		cap = p->cap_off ? p->cap_off * 2 : 64;
		more = realloc(p->off, cap * sizeof(*p->off));
		if (!more)
			return -ENOMEM;
		p->off = more;
		p->cap_off = cap;
	}
	if (p->used + len > p->cap) {
		cap = p->cap ? p->cap * 2 : 64 * 1024;
		while (cap < p->used + len)
			cap *= 2;
		more = realloc(p->bytes, cap);
		if (!more)
			return -ENOMEM;
		p->bytes = more;
		p->cap = cap;
	}
	return 0;
}

int config_packed_add(struct config_packed *p,
		      const struct canary_service_cfg *svc)
{
	size_t len;

	if (svc->n_versions < 0 || svc->n_versions > CANARY_MAX_VERSIONS)
		return -EINVAL;
	len = packed_size(svc);
	if (packed_grow(p, len))
		return -ENOMEM;
	pack_to(svc, p->bytes + p->used);
	p->off[p->n] = p->used;
	p->used += len;
	p->off[++p->n] = p->used;
	return 0;
}

const char *config_packed_name(const struct config_packed *p, int i)
{
	return (const char *)p->bytes + p->off[i];
}

int config_packed_get(const struct config_packed *p, int i,
		      struct canary_service_cfg *svc)
{
	return config_service_unpack(p->bytes + p->off[i],
				     p->off[i + 1] - p->off[i], svc);
}

int config_packed_to_config(const struct config_packed *p,
			    struct canary_config *cfg)
{
	struct canary_service_cfg *svc;
	int i, err;

	if (config_reserve(cfg, cfg->n_services + p->n + 1))
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		svc = &cfg->svc[cfg->n_services];
		err = config_packed_get(p, i, svc);
		if (err)
			return err;
		cfg->n_services++;
	}
	return 0;
}
