// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The `apply -f` YAML file, read with libyaml's document API. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "core/config_yaml.h"
#include "core/parse.h"
#include "core/health.h"

struct yctx {
	const char *path;
	yaml_document_t *doc;
	struct canary_err *err;
	struct config_index ix; /* the services loaded so far */
	yaml_service_filter keep; /* NULL: keep every service */
	void *keep_arg;
};

/* Keys of one kind of mapping; the index of a key is its bit in `seen`. */
static const char *const svc_keys[] = { "name", "vip", "port", "protocol",
					"versions", "affinity", "pins", "ports",
					"snat", "traffic_policy", "guard", NULL };
enum { SK_NAME, SK_VIP, SK_PORT, SK_PROTO, SK_VERSIONS, SK_AFFINITY, SK_PINS,
       SK_PORTS, SK_SNAT, SK_POLICY, SK_GUARD };
static const char *const node_keys[] = { "address", "pod_cidr", "snat_ports",
					 "address6", "pod_cidr6", NULL };
enum { NK_ADDRESS, NK_POD_CIDR, NK_SNAT_PORTS, NK_ADDRESS6, NK_POD_CIDR6 };
static const char *const port_keys[] = { "port", "targetPort", NULL };
enum { PO_PORT, PO_TARGET };
static const char *const ver_keys[] = { "name", "weight", "endpoints",
					"draining", NULL };
enum { VK_NAME, VK_WEIGHT, VK_ENDPOINTS, VK_DRAINING };
static const char *const tmo_keys[] = { "tcp", "tcp_closing", "udp", NULL };
enum { TK_TCP, TK_CLOSING, TK_UDP };
static const char *const pin_keys[] = { "cidr", "version", NULL };
enum { PK_CIDR, PK_VERSION };

/* "FILE:LINE:COL: reason" at @node's start; returns -EINVAL. */
static int yerr(struct yctx *y, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int yerr(struct yctx *y, const yaml_node_t *node, const char *fmt, ...)
{
	char reason[sizeof(y->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return cerr_set(y->err, "%s:%zu:%zu: %s", y->path,
			node->start_mark.line + 1, node->start_mark.column + 1,
			reason);
}

static yaml_node_t *ynode(struct yctx *y, int idx)
{
	return yaml_document_get_node(y->doc, idx);
}

static const char *scalar_str(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* An empty value, "~" or "null", written without quotes. */
static bool is_null(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar_str(node);
	return !*s || !strcmp(s, "~") || !strcasecmp(s, "null");
}

/* The text of @node, which must be a scalar: the value of @key. */
static int get_scalar(struct yctx *y, const yaml_node_t *node,
		      const char *key, const char **s)
{
	if (node->type != YAML_SCALAR_NODE)
		return yerr(y, node, "'%s' must be a single value, not a %s", key,
			    node->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
	*s = scalar_str(node);
	return 0;
}

static void join_keys(const char *const *keys, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; keys[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				keys[i]);
}

/* Index of @key_node in @keys; an error if unknown, not a scalar or seen. */
static int lookup_key(struct yctx *y, const yaml_node_t *key_node,
		      const char *const *keys, const char *what,
		      unsigned int *seen)
{
	char list[128];
	const char *k;
	int i;

	if (key_node->type != YAML_SCALAR_NODE)
		return yerr(y, key_node, "keys of a %s must be plain words", what);
	k = scalar_str(key_node);
	for (i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			break;
	if (!keys[i]) {
		join_keys(keys, list, sizeof(list));
		return yerr(y, key_node, "unknown key '%s' in a %s (expected %s)",
			    k, what, list);
	}
	if (*seen & (1u << i))
		return yerr(y, key_node, "duplicate key '%s' in a %s", k, what);
	*seen |= 1u << i;
	return i;
}

/* Error for the first of @keys (indexes in @required) missing in @seen. */
static int check_required(struct yctx *y, const yaml_node_t *map,
			  const char *const *keys, unsigned int required,
			  unsigned int seen, const char *what)
{
	int i;

	for (i = 0; keys[i]; i++)
		if ((required & (1u << i)) && !(seen & (1u << i)))
			return yerr(y, map, "%s has no '%s'", what, keys[i]);
	return 0;
}

/* Parses scalar @node with @parse into @out; errors point at the value. */
#define PARSE_VALUE(y, node, key, parse, ...)                            \
	({                                                               \
		struct canary_err __e;                                   \
		const char *__s = NULL;                                  \
		int __r = get_scalar(y, node, key, &__s);                \
		if (!__r && parse(__s, __VA_ARGS__, &__e))               \
			__r = yerr(y, node, "%s", __e.msg);              \
		__r;                                                     \
	})

static int load_name(struct yctx *y, const yaml_node_t *node, char *name,
		     size_t len, const char *what)
{
	int ret = PARSE_VALUE(y, node, "name", parse_name, len, what);

	if (!ret)
		strcpy(name, scalar_str(node));
	return ret;
}

/* Appends the IP:PORT list @node to @ver's endpoints, with @flags. */
static int load_endpoints(struct yctx *y, const yaml_node_t *node,
			  struct canary_version_cfg *ver, __u16 flags)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	int ret;

	if (is_null(node))
		return 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return yerr(y, node, "'endpoints' must be a list of IP:PORT");
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = ynode(y, *it);
		if (ver->n_endpoints == CANARY_MAX_ENDPOINTS)
			return yerr(y, item, "too many endpoints (at most %d)",
				    CANARY_MAX_ENDPOINTS);
		ret = PARSE_VALUE(y, item, flags ? "draining" : "endpoints",
				  parse_endpoint_or_ip, &ver->ep[ver->n_endpoints]);
		if (ret)
			return ret;
		ver->ep[ver->n_endpoints++].flags = flags;
	}
	config_sort_endpoints(ver);
	return 0;
}

static int load_version_key(struct yctx *y, int key, const yaml_node_t *val,
			    struct canary_version_cfg *ver)
{
	switch (key) {
	case VK_NAME:
		return load_name(y, val, ver->name, sizeof(ver->name), "version");
	case VK_WEIGHT:
		return PARSE_VALUE(y, val, "weight", parse_percent,
				   &ver->weight_bps);
	case VK_DRAINING:
		return load_endpoints(y, val, ver, CANARY_EP_F_DRAINING);
	default:
		return load_endpoints(y, val, ver, 0);
	}
}

static int load_version(struct yctx *y, const yaml_node_t *node, void *out)
{
	struct canary_version_cfg *ver = out;
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "a version must be a mapping (name, weight, endpoints)");
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), ver_keys, "version", &seen);
		if (key < 0)
			return key;
		ret = load_version_key(y, key, ynode(y, p->value), ver);
		if (ret)
			return ret;
	}
	return check_required(y, node, ver_keys,
			      1u << VK_NAME | 1u << VK_WEIGHT, seen, "version");
}

/* Loads one item of a list into @out. */
typedef int (*item_loader)(struct yctx *y, const yaml_node_t *item, void *out);

/*
 * Loads the list @node (called @key, made of @shape): each item into
 * @base + *n * @size through @load, at most @max of them; *n counts them.
 */
static int load_list(struct yctx *y, const yaml_node_t *node, const char *key,
		     const char *shape, void *base, size_t size, int max, int *n,
		     item_loader load)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	int ret;

	if (node->type != YAML_SEQUENCE_NODE)
		return yerr(y, node, "'%s' must be a list%s", key, shape);
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = ynode(y, *it);
		if (*n == max)
			return yerr(y, item, "too many %s (at most %d)", key, max);
		ret = load((struct yctx *)y, item, (char *)base + *n * size);
		if (ret)
			return ret;
		(*n)++;
	}
	return 0;
}

static int load_versions(struct yctx *y, const yaml_node_t *node,
			 struct canary_service_cfg *svc)
{
	return load_list(y, node, "versions", "", svc->v, sizeof(svc->v[0]),
			 CANARY_MAX_VERSIONS, &svc->n_versions,
			 load_version);
}

static int load_pin(struct yctx *y, const yaml_node_t *node, void *out)
{
	struct canary_pin_cfg *pin = out;
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	yaml_node_t *val;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "a pin must be a mapping (cidr, version)");
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), pin_keys, "pin", &seen);
		if (key < 0)
			return key;
		val = ynode(y, p->value);
		if (key == PK_CIDR)
			ret = PARSE_VALUE(y, val, "cidr", parse_cidr, &pin->addr,
					  &pin->prefixlen);
		else
			ret = load_name(y, val, pin->version, sizeof(pin->version),
					"version");
		if (ret)
			return ret;
	}
	return check_required(y, node, pin_keys,
			      1u << PK_CIDR | 1u << PK_VERSION, seen, "pin");
}

static int load_pins(struct yctx *y, const yaml_node_t *node,
		     struct canary_service_cfg *svc)
{
	if (is_null(node))
		return 0;
	return load_list(y, node, "pins", " of {cidr, version}", svc->pins,
			 sizeof(svc->pins[0]), CANARY_MAX_PINS, &svc->n_pins,
			 load_pin);
}

static int load_port(struct yctx *y, const yaml_node_t *node, void *out)
{
	struct canary_port_cfg *port = out;
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	yaml_node_t *val;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "a port must be a mapping (port, targetPort)");
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), port_keys, "port", &seen);
		if (key < 0)
			return key;
		val = ynode(y, p->value);
		ret = PARSE_VALUE(y, val, port_keys[key], parse_port,
				  key == PO_PORT ? &port->port : &port->target);
		if (ret)
			return ret;
	}
	if (!port->target) /* like a Service: targetPort defaults to port */
		port->target = port->port;
	return check_required(y, node, port_keys, 1u << PO_PORT, seen, "port");
}

static int load_ports(struct yctx *y, const yaml_node_t *node,
		      struct canary_service_cfg *svc)
{
	if (node->type == YAML_SEQUENCE_NODE &&
	    node->data.sequence.items.start == node->data.sequence.items.top)
		return yerr(y, node, "'ports' must list at least one port");
	return load_list(y, node, "ports", " of {port, targetPort}", svc->ports,
			 sizeof(svc->ports[0]), CANARY_MAX_PORTS, &svc->n_ports,
			 load_port);
}

static const char *const snat_modes[] = { "auto", "always", "never", NULL };
static const char *const policies[] = { "cluster", "local", NULL };

/* A scalar that must be one of @choices; its index into @out. */
static int load_choice(struct yctx *y, const yaml_node_t *node, const char *key,
		       const char *const *choices, __u8 *out)
{
	const char *s = NULL;
	char list[64];
	int i, ret = get_scalar(y, node, key, &s);

	if (ret)
		return ret;
	for (i = 0; choices[i]; i++) {
		if (!strcmp(s, choices[i])) {
			*out = i;
			return 0;
		}
	}
	join_keys(choices, list, sizeof(list));
	return yerr(y, node, "%s '%s' is not one of %s", key, s, list);
}

/* guard: {max_failure_pct: 5, min_flows: 50, window_s: 10}; keys left out
 * take their defaults. */
static int load_guard(struct yctx *y, const yaml_node_t *node,
		      struct canary_guard_cfg *g)
{
	struct canary_err e;
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	const char *s = NULL;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "'guard' must be a mapping (max_failure_pct, "
			    "min_flows, window_s)");
	guard_defaults(g);
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), guard_keys, "guard", &seen);
		if (key < 0)
			return key;
		ret = get_scalar(y, ynode(y, p->value), guard_keys[key], &s);
		if (!ret && guard_set_key(g, guard_keys[key], s, &e))
			ret = yerr(y, ynode(y, p->value), "%s", e.msg);
		if (ret)
			return ret;
	}
	return 0;
}

static int load_service_key(struct yctx *y, int key, const yaml_node_t *val,
			    struct canary_service_cfg *svc)
{
	switch (key) {
	case SK_NAME:
		return load_name(y, val, svc->name, sizeof(svc->name), "service");
	case SK_VIP:
		return PARSE_VALUE(y, val, "vip", parse_addr, &svc->vip);
	case SK_PORT:
		return PARSE_VALUE(y, val, "port", parse_port, &svc->port);
	case SK_PROTO:
		return PARSE_VALUE(y, val, "protocol", parse_proto, &svc->proto);
	case SK_AFFINITY:
		return PARSE_VALUE(y, val, "affinity", parse_affinity,
				   &svc->affinity);
	case SK_PINS:
		return load_pins(y, val, svc);
	case SK_PORTS:
		return load_ports(y, val, svc);
	case SK_SNAT:
		return load_choice(y, val, "snat", snat_modes, &svc->snat);
	case SK_POLICY:
		return load_choice(y, val, "traffic_policy", policies,
				   &svc->local);
	case SK_GUARD:
		return load_guard(y, val, &svc->guard);
	default:
		return load_versions(y, val, svc);
	}
}

static int load_service(struct yctx *y, const yaml_node_t *node,
			struct canary_service_cfg *svc)
{
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "a service must be a mapping (name, vip, port, protocol, versions)");
	svc->proto = CANARY_PROTO_TCP;
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), svc_keys, "service", &seen);
		if (key < 0)
			return key;
		ret = load_service_key(y, key, ynode(y, p->value), svc);
		if (ret)
			return ret;
	}
	if (!(seen & (1u << SK_PORT | 1u << SK_PORTS)))
		return yerr(y, node, "service needs 'port' or 'ports'");
	return check_required(y, node, svc_keys,
			      1u << SK_NAME | 1u << SK_VIP | 1u << SK_VERSIONS,
			      seen, "service");
}

/* Loads one service and checks it against the ones before it. */
static int add_service(struct yctx *y, const yaml_node_t *node,
		       struct canary_config *cfg)
{
	struct canary_service_cfg *svc;
	struct canary_err e;
	int ret;

	svc = config_add_service(cfg, &e);
	if (!svc)
		return yerr(y, node, "%s", e.msg);
	ret = load_service(y, node, svc);
	if (ret)
		return ret;
	if (config_validate_service_ix(cfg, cfg->n_services - 1, &y->ix, &e) ||
	    config_check_weighted_endpoints(&cfg->svc[cfg->n_services - 1], &e))
		return yerr(y, node, "%s", e.msg);
	if (!y->keep)
		return 0;
	cerr_clear(&e);
	ret = y->keep(&cfg->svc[cfg->n_services - 1], y->keep_arg, &e);
	if (ret < 0)
		return yerr(y, node, "%s", e.msg[0] ? e.msg : strerror(-ret));
	if (!ret)
		cfg->n_services--; /* checked and indexed, not kept */
	return 0;
}

static int load_services(struct yctx *y, const yaml_node_t *node,
			 struct canary_config *cfg)
{
	yaml_node_item_t *it;
	int ret;

	if (is_null(node))
		return 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return yerr(y, node, "'services' must be a list");
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		ret = add_service(y, ynode(y, *it), cfg);
		if (ret)
			return ret;
	}
	return 0;
}

/* grace_period: whole seconds, 0 to 3600. */
static int load_grace(struct yctx *y, const yaml_node_t *node,
		      struct canary_config *cfg)
{
	const char *s = scalar_str(node);
	char *end;
	long v;

	if (node->type != YAML_SCALAR_NODE || !s || !*s)
		return yerr(y, node, "'grace_period' must be seconds (0 to 3600)");
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 3600)
		return yerr(y, node, "grace_period '%s' is not seconds from 0 to 3600",
			    s);
	cfg->grace_s = v;
	return 0;
}

/* One timeout of the timeouts: section: whole seconds, 1 to
 * CANARY_TMO_MAX_S. */
static int load_timeout(struct yctx *y, const yaml_node_t *node,
			const char *key, __u32 *out)
{
	const char *s = NULL;
	char *end;
	long v;
	int ret = get_scalar(y, node, key, &s);

	if (ret)
		return ret;
	v = *s ? strtol(s, &end, 10) : -1;
	if (!*s || *end || v < 1 || v > CANARY_TMO_MAX_S)
		return yerr(y, node, "timeouts: '%s' is '%s', not seconds from 1 "
			    "to %d", key, s, CANARY_TMO_MAX_S);
	*out = v;
	return 0;
}

/* flood_guard: SYNs recorded per second per CPU, 1 to
 * CANARY_SYN_RATE_MAX. */
static int load_syn_rate(struct yctx *y, const yaml_node_t *node, __u32 *out)
{
	const char *s = NULL;
	char *end;
	long v;
	int ret = get_scalar(y, node, "flood_guard", &s);

	if (ret)
		return ret;
	v = *s ? strtol(s, &end, 10) : -1;
	if (!*s || *end || v < 1 || v > CANARY_SYN_RATE_MAX)
		return yerr(y, node, "flood_guard '%s' is not SYNs per second per "
			    "CPU from 1 to %d", s, CANARY_SYN_RATE_MAX);
	*out = v;
	return 0;
}

/* timeouts: {tcp, tcp_closing, udp}: the flows' idle timeouts; a key
 * left out takes its default. */
static int load_timeouts(struct yctx *y, const yaml_node_t *node,
			 struct canary_timeouts_cfg *t)
{
	__u32 *field[] = { &t->tcp_s, &t->tcp_closing_s, &t->udp_s };
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "'timeouts' must be a mapping (tcp, "
			    "tcp_closing, udp)");
	config_timeouts_default(t);
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), tmo_keys, "timeouts section",
				 &seen);
		if (key < 0)
			return key;
		ret = load_timeout(y, ynode(y, p->value), tmo_keys[key],
				   field[key]);
		if (ret)
			return ret;
	}
	return 0;
}

/* "MIN-MAX" source ports for SNAT. */
static int parse_port_range(const char *s, __u16 *min, __u16 *max,
			    struct canary_err *err)
{
	unsigned int a, b;
	char tail;

	if (sscanf(s, "%u-%u%c", &a, &b, &tail) != 2 || !a || a > b || b > 65535)
		return cerr_set(err, "'%s' is not a port range MIN-MAX (1-65535)", s);
	*min = a;
	*max = b;
	return 0;
}

static int load_node_key(struct yctx *y, int key, const yaml_node_t *val,
			 struct canary_node_cfg *n)
{
	switch (key) {
	case NK_ADDRESS:
		return PARSE_VALUE(y, val, "address", parse_ipv4, &n->address);
	case NK_POD_CIDR:
		return PARSE_VALUE(y, val, "pod_cidr", parse_cidr4, &n->pod_net,
				   &n->pod_len);
	case NK_ADDRESS6:
		return PARSE_VALUE(y, val, "address6", parse_ipv6, n->address6);
	case NK_POD_CIDR6:
		return PARSE_VALUE(y, val, "pod_cidr6", parse_cidr6, n->pod_net6,
				   &n->pod_len6);
	default:
		return PARSE_VALUE(y, val, "snat_ports", parse_port_range,
				   &n->port_min, &n->port_max);
	}
}

/*
 * node: {address, pod_cidr, address6, pod_cidr6, snat_ports}: this node,
 * for SNAT and local endpoints. One key per family and field, as the
 * service keys are single values: an address and its pod CIDR come
 * together; IPv4, IPv6 or both (IPv4 when neither is given).
 */
static int load_node(struct yctx *y, const yaml_node_t *node,
		     struct canary_node_cfg *n)
{
	const unsigned int v4 = 1u << NK_ADDRESS | 1u << NK_POD_CIDR,
			   v6 = 1u << NK_ADDRESS6 | 1u << NK_POD_CIDR6;
	unsigned int seen = 0;
	yaml_node_pair_t *p;
	int key, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yerr(y, node, "'node' must be a mapping (address, pod_cidr, "
			    "address6, pod_cidr6, snat_ports)");
	n->port_min = CANARY_SNAT_PORT_MIN;
	n->port_max = CANARY_SNAT_PORT_MAX;
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		key = lookup_key(y, ynode(y, p->key), node_keys, "node", &seen);
		if (key < 0)
			return key;
		ret = load_node_key(y, key, ynode(y, p->value), n);
		if (ret)
			return ret;
	}
	n->set = true;
	ret = (seen & v4) || !(seen & v6) ?
		      check_required(y, node, node_keys, v4, seen, "node") : 0;
	return ret ? ret : (seen & v6) ?
		      check_required(y, node, node_keys, v6, seen, "node") : 0;
}

static int load_root(struct yctx *y, struct canary_config *cfg)
{
	static const char *const root_keys[] = { "services", "grace_period",
						 "node", "timeouts", "flood_guard",
						 NULL };
	yaml_node_t *root = yaml_document_get_root_node(y->doc);
	const yaml_node_t *node_sec = NULL;
	unsigned int seen = 0;
	struct canary_err e;
	yaml_node_pair_t *p;
	int ret;

	if (!root || is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return yerr(y, root, "the file must be a mapping with a 'services' list");
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		ret = lookup_key(y, ynode(y, p->key), root_keys, "file", &seen);
		if (ret < 0)
			return ret;
		if (ret == 1)
			ret = load_grace(y, ynode(y, p->value), cfg);
		else if (ret == 2)
			ret = load_node(y, node_sec = ynode(y, p->value), &cfg->node);
		else if (ret == 3)
			ret = load_timeouts(y, ynode(y, p->value), &cfg->timeouts);
		else if (ret == 4)
			ret = load_syn_rate(y, ynode(y, p->value),
					    &cfg->timeouts.syn_rate);
		else
			ret = load_services(y, ynode(y, p->value), cfg);
		if (ret)
			return ret;
	}
	/* What the services ask of the node section, told at the section
	 * (without one, apply checks against the node the maps hold). */
	if (node_sec && config_check_node(cfg, &cfg->node, &e))
		return yerr(y, node_sec, "%s", e.msg);
	return 0;
}

static int syntax_error(const char *path, const yaml_parser_t *parser,
			struct canary_err *err)
{
	const yaml_mark_t *m = &parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR) {
		cerr_set(err, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (parser->error == YAML_READER_ERROR)
		return cerr_set(err, "%s: %s at byte %zu", path,
				parser->problem ? parser->problem : "read error",
				parser->problem_offset);
	return cerr_set(err, "%s:%zu:%zu: %s%s%s", path, m->line + 1,
			m->column + 1,
			parser->problem ? parser->problem : "syntax error",
			parser->context ? " " : "",
			parser->context ? parser->context : "");
}

/* Fails if the stream holds a second document after the first. */
static int check_single_doc(const char *path, yaml_parser_t *parser,
			    struct canary_err *err)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_load(parser, &doc))
		return syntax_error(path, parser, err);
	root = yaml_document_get_root_node(&doc);
	if (root)
		ret = cerr_set(err, "%s:%zu:%zu: only one YAML document is allowed",
			       path, root->start_mark.line + 1,
			       root->start_mark.column + 1);
	yaml_document_delete(&doc);
	return ret;
}

struct yaml_file {
	const char *path;
	yaml_document_t doc;
	bool loaded;  /* doc holds a document */
};

int yaml_file_parse(const char *path, struct yaml_file **out,
		    struct canary_err *err)
{
	struct yaml_file *yf = calloc(1, sizeof(*yf));
	yaml_parser_t parser;
	FILE *f;
	int ret;

	*out = yf;
	if (!yf) {
		cerr_set(err, "%s: out of memory", path);
		return -ENOMEM;
	}
	yf->path = path;
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		cerr_set(err, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		cerr_set(err, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	yf->loaded = yaml_parser_load(&parser, &yf->doc);
	ret = yf->loaded ? check_single_doc(path, &parser, err) :
			   syntax_error(path, &parser, err);
	yaml_parser_delete(&parser);
	fclose(f);
	return ret;
}

void yaml_file_free(struct yaml_file *yf)
{
	if (yf && yf->loaded)
		yaml_document_delete(&yf->doc);
	free(yf);
}

/* Each service is checked as it is loaded, against those before it and
 * those @cfg had, the node section against the services at its end
 * (load_root()). On error @cfg keeps only the services it had. */
int yaml_file_load(struct yaml_file *yf, struct canary_config *cfg,
		   yaml_service_filter keep, void *arg, struct canary_err *err)
{
	struct yctx y = { .path = yf->path, .doc = &yf->doc, .err = err,
			  .keep = keep, .keep_arg = arg };
	int i, ret = 0, n0 = cfg->n_services;

	config_index_init(&y.ix);
	for (i = 0; i < cfg->n_services && !ret; i++)
		ret = config_index_add(&y.ix, cfg, i);
	if (ret)
		cerr_set(err, "%s: out of memory", yf->path);
	else
		ret = load_root(&y, cfg);
	config_index_free(&y.ix);
	if (ret)
		cfg->n_services = n0;
	return ret;
}

int yaml_load_config_filter(const char *path, struct canary_config *cfg,
			    yaml_service_filter keep, void *arg,
			    struct canary_err *err)
{
	struct yaml_file *yf;
	int ret = yaml_file_parse(path, &yf, err);

	if (!ret)
		ret = yaml_file_load(yf, cfg, keep, arg, err);
	yaml_file_free(yf);
	return ret;
}

int yaml_load_config(const char *path, struct canary_config *cfg,
		     struct canary_err *err)
{
	return yaml_load_config_filter(path, cfg, NULL, NULL, err);
}
