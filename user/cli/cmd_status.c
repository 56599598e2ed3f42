// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* status [NAME]: config next to what the data plane counted. */
#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cli/cmd.h"
#include "dataplane/fastpath.h"
#include "dataplane/links.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "core/parse.h"
#include "dataplane/state.h"
#include "dataplane/stats.h"
#include "dataplane/guard.h"
#include "core/health.h"
#include "cli/kube_split.h"

static const char *proto_name(__u8 proto)
{
	return proto == CANARY_PROTO_UDP ? "udp" : "tcp";
}

static double share_pct(__u64 part, __u64 total)
{
	return total ? 100.0 * part / total : 0.0;
}

/* ---- JSON ---- */

static json_object *json_endpoints(const struct canary_version_cfg *ver)
{
	json_object *arr = json_object_new_array();
	char ip[CANARY_ADDR_STRLEN];
	int e;

	for (e = 0; e < ver->n_endpoints; e++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ip", json_object_new_string(
			addr_str(&ver->ep[e].addr, ip, sizeof(ip))));
		json_object_object_add(o, "port",
				       json_object_new_int(ntohs(ver->ep[e].port)));
		json_object_object_add(o, "draining", json_object_new_boolean(
			ver->ep[e].flags & CANARY_EP_F_DRAINING));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* Connection outcomes of version @v of service @i into @o. */
static void json_health(json_object *o, const struct stats_snap *d, int i,
			int v)
{
	const struct canary_health *h = &d->health[i][v];

#define ADD(k, x) json_object_object_add(o, k, json_object_new_uint64(x))
	ADD("new_connections", h->new_conns);
	ADD("failed", health_failed(h));
	ADD("refused", h->refused);
	ADD("reset_early", h->reset_early);
	ADD("unanswered", h->unanswered);
	ADD("handshakes", h->handshakes);
#undef ADD
	json_object_object_add(o, "failure_pct", json_object_new_double(
		share_pct(health_failed(h), h->new_conns)));
	json_object_object_add(o, "handshake_p50_us", json_object_new_double(
		stats_hs_us(d, i, v, 0.5)));
	json_object_object_add(o, "handshake_p99_us", json_object_new_double(
		stats_hs_us(d, i, v, 0.99)));
	json_object_object_add(o, "guard", json_object_new_string(
		guard_state_names[guard_version_state(&d->guard[i], v)]));
}

static json_object *json_version(const struct stats_snap *d, int i, int v,
				 const __u16 *cum)
{
	const struct canary_version_cfg *ver = &d->cfg.svc[i].v[v];
	const struct canary_vstats *s = &d->st[i][v];
	json_object *o = json_object_new_object();
	__u16 eff = cum[v] - (v ? cum[v - 1] : 0);

	json_object_object_add(o, "name", json_object_new_string(ver->name));
	json_object_object_add(o, "weight",
			       json_object_new_double(ver->weight_bps / 100.0));
	json_object_object_add(o, "weight_effective",
			       json_object_new_double(eff / 100.0));
	json_object_object_add(o, "endpoints", json_endpoints(ver));
	json_object_object_add(o, "packets", json_object_new_uint64(s->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(s->bytes));
	json_object_object_add(o, "flows", json_object_new_uint64(s->new_flows));
	json_object_object_add(o, "flow_share_pct", json_object_new_double(
		share_pct(s->new_flows, stats_service_flows(d, i))));
	json_object_object_add(o, "flows_since_weight_change",
			       json_object_new_uint64(d->since[i][v]));
	json_object_object_add(o, "share_since_weight_change_pct",
			       json_object_new_double(share_pct(
				       d->since[i][v], stats_service_flows_since(d, i))));
	json_health(o, d, i, v);
	return o;
}

/* "2026-12-07T17:30:00Z" for CLOCK_MONOTONIC ns @mono. */
static const char *fmt_since(__u64 mono, char *buf, size_t len)
{
	time_t t = (time_t)guard_wall_time(mono);
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return buf;
}

/* The guard's config, state, why, and since when (null when off). */
static json_object *json_guard(const struct stats_snap *d, int i)
{
	const struct canary_svc_guard *g = &d->guard[i];
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	json_object *o = json_object_new_object();
	enum guard_state gs;
	char buf[256];
	int v;

	gs = guard_service_state(g, svc->n_versions, &v);
	json_object_object_add(o, "state",
			       json_object_new_string(guard_state_names[gs]));
	json_object_object_add(o, "reason", json_object_new_string(
		guard_reason(g, svc, buf, sizeof(buf))));
	json_object_object_add(o, "since", gs == GUARD_OFF ? NULL :
		json_object_new_string(fmt_since(gs == GUARD_SHED ?
			g->v[v].shed_ns : g->armed_ns, buf, sizeof(buf))));
	json_object_object_add(o, "version", v < 0 ? NULL :
			       json_object_new_string(svc->v[v].name));
	if (gs == GUARD_OFF)
		return o;
	json_object_object_add(o, "max_failure_pct",
			       json_object_new_double(g->max_fail_bps / 100.0));
	json_object_object_add(o, "min_flows", json_object_new_int64(g->min_flows));
	json_object_object_add(o, "window_s",
			       json_object_new_int64(g->window_ms / 1000));
	json_object_object_add(o, "sheds", json_object_new_int64(g->sheds));
	return o;
}

/* Every service port with its target (null: each endpoint's own port). */
static json_object *json_ports(const struct canary_service_cfg *svc)
{
	struct canary_port_cfg ports[CANARY_MAX_PORTS];
	json_object *arr = json_object_new_array();
	int p, n = config_ports(svc, ports);

	for (p = 0; p < n; p++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "port",
				       json_object_new_int(ntohs(ports[p].port)));
		json_object_object_add(o, "target_port", ports[p].target ?
				       json_object_new_int(ntohs(ports[p].target)) :
				       NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *json_pins(const struct stats_snap *d, int i)
{
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	json_object *arr = json_object_new_array();
	char ip[CANARY_ADDR_STRLEN], cidr[CANARY_ADDR_STRLEN + 4];
	int p;

	for (p = 0; p < svc->n_pins; p++) {
		json_object *o = json_object_new_object();

		snprintf(cidr, sizeof(cidr), "%s/%u",
			 addr_str(&svc->pins[p].addr, ip, sizeof(ip)),
			 svc->pins[p].prefixlen);
		json_object_object_add(o, "cidr", json_object_new_string(cidr));
		json_object_object_add(o, "version",
				       json_object_new_string(svc->pins[p].version));
		json_object_object_add(o, "flows",
				       json_object_new_uint64(d->pin_flows[i][p]));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *json_service(const struct stats_snap *d, int i)
{
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	json_object *o = json_object_new_object();
	json_object *vers = json_object_new_array();
	__u16 cum[CANARY_MAX_VERSIONS] = {};
	char ip[CANARY_ADDR_STRLEN];
	int v;

	config_effective_cum(svc, cum);
	json_object_object_add(o, "name", json_object_new_string(svc->name));
	json_object_object_add(o, "id", json_object_new_int(d->ids[i]));
	json_object_object_add(o, "vip", json_object_new_string(
		addr_str(&svc->vip, ip, sizeof(ip))));
	json_object_object_add(o, "family", json_object_new_string(
		config_is_v6(svc) ? "ipv6" : "ipv4"));
	json_object_object_add(o, "port", json_object_new_int(ntohs(svc->port)));
	json_object_object_add(o, "ports", json_ports(svc));
	json_object_object_add(o, "protocol",
			       json_object_new_string(proto_name(svc->proto)));
	for (v = 0; v < svc->n_versions; v++)
		json_object_array_add(vers, json_version(d, i, v, cum));
	json_object_object_add(o, "versions", vers);
	json_object_object_add(o, "affinity", json_object_new_string(
		svc->affinity == CANARY_AFFINITY_CLIENT_IP ? "client-ip" : "none"));
	json_object_object_add(o, "pins", json_pins(d, i));
	json_object_object_add(o, "snat", json_object_new_string(
		svc->snat == CANARY_SNAT_ALWAYS ? "always" :
		svc->snat == CANARY_SNAT_NEVER ? "never" : "auto"));
	json_object_object_add(o, "traffic_policy", json_object_new_string(
		svc->local ? "local" : "cluster"));
	json_object_object_add(o, "guard", json_guard(d, i));
	return o;
}

static void json_iface(const char *path, int ifindex, enum link_kind kind,
		       void *arg)
{
	json_object *o, *arr = arg;
	char name[IF_NAMESIZE] = "";

	if (kind == LINK_TC_OUT || kind == LINK_TC_FWD)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(
		if_indextoname(ifindex, name) ? name : ""));
	json_object_object_add(o, "ifindex", json_object_new_int(ifindex));
	json_object_object_add(o, "mode",
			       json_object_new_string(link_kind_mode(kind)));
	json_object_object_add(o, "attached",
			       json_object_new_boolean(link_is_live(path)));
	json_object_array_add(arr, o);
}

static json_object *json_counters(const struct canary_global *g)
{
	json_object *o = json_object_new_object();

#define ADD(f) json_object_object_add(o, #f, json_object_new_uint64(g->f))
	ADD(passed);
	ADD(translated);
	ADD(redirected);
	ADD(fib_fallback);
	ADD(replies);
	ADD(fragments);
	ADD(no_endpoint);
	ADD(errors);
	ADD(grace);
	ADD(pinned);
	ADD(icmp);
	ADD(sock_lb);
	ADD(snat);
	ADD(snat_replies);
	ADD(snat_full);
	ADD(flow_inserts);
#undef ADD
	return o;
}

/* Cgroup ids with socket load balancing (pins "cglink_<id>_connect4"). */
static int cgroup_ids(const char *dir, unsigned long long *ids, int max)
{
	unsigned long long id;
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;
	char hook[32];

	while (d && (de = readdir(d)) && n < max)
		if (sscanf(de->d_name, "cglink_%llu_%31s", &id, hook) == 2 &&
		    !strcmp(hook, "connect4"))
			ids[n++] = id;
	if (d)
		closedir(d);
	return n;
}

static json_object *json_cgroups(const char *dir)
{
	json_object *arr = json_object_new_array();
	unsigned long long ids[64];
	int i, n = cgroup_ids(dir, ids, 64);

	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_uint64(ids[i]));
	return arr;
}

/* A CIDR's text ("10.244.1.0/24"), or NULL when @len says none. */
static const char *cidr_str(const struct canary_addr *net, __u8 len, char *buf,
			    size_t size)
{
	char a[CANARY_ADDR_STRLEN];

	if (!len)
		return NULL;
	snprintf(buf, size, "%s/%u", addr_str(net, a, sizeof(a)), len);
	return buf;
}

/* The node section: its addresses and pod CIDRs per family (null when
 * unset) and the SNAT port range; null when never written. */
static json_object *json_node(const struct canary_node_cfg *n)
{
	struct canary_addr a4 = addr_v4(n->address), net4 = addr_v4(n->pod_net),
			   a6 = addr_v6(n->address6), net6 = addr_v6(n->pod_net6);
	char buf[CANARY_ADDR_STRLEN + 8];
	json_object *o;
	const char *c;

	if (!n->set)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "address", n->address ?
			       json_object_new_string(ADDR_STR(&a4)) : NULL);
	c = cidr_str(&net4, n->pod_net ? n->pod_len : 0, buf, sizeof(buf));
	json_object_object_add(o, "pod_cidr", c ? json_object_new_string(c) : NULL);
	json_object_object_add(o, "address6", config_node_has_address6(n) ?
			       json_object_new_string(ADDR_STR(&a6)) : NULL);
	c = cidr_str(&net6, n->pod_len6, buf, sizeof(buf));
	json_object_object_add(o, "pod_cidr6", c ? json_object_new_string(c) : NULL);
	json_object_object_add(o, "snat_port_min", json_object_new_int(n->port_min));
	json_object_object_add(o, "snat_port_max", json_object_new_int(n->port_max));
	return o;
}

/* The local pods (their node-side veths) and the path each gets, read
 * once per status run (fastpath_report()). */
#define STATUS_MAX_PODS 256
static struct fastpath_dev pods[STATUS_MAX_PODS];
static int n_pods;
static bool pods_read; /* not for `status NAME` */

static json_object *json_pods(void)
{
	json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < n_pods; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dev", json_object_new_string(pods[i].name));
		json_object_object_add(o, "ifindex", json_object_new_int(pods[i].ifindex));
		json_object_object_add(o, "bridge", pods[i].bridge[0] ?
				       json_object_new_string(pods[i].bridge) : NULL);
		json_object_object_add(o, "path", json_object_new_string(
			fastpath_path_name(pods[i].path)));
		json_object_object_add(o, "listed", json_object_new_boolean(pods[i].listed));
		json_object_object_add(o, "reason", json_object_new_string(pods[i].reason));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void print_pods(void)
{
	int i;

	printf("local pods (node-side veth: path of translated packets, why):\n");
	if (!n_pods)
		printf("  none\n");
	for (i = 0; i < n_pods; i++)
		printf("  %s%s%s: %s, %s\n", pods[i].name,
		       pods[i].bridge[0] ? " on " : "", pods[i].bridge,
		       fastpath_path_name(pods[i].path), pods[i].reason);
}

static json_object *json_timeouts(const struct canary_timeouts_cfg *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tcp_s", json_object_new_int64(t->tcp_s));
	json_object_object_add(o, "tcp_closing_s",
			       json_object_new_int64(t->tcp_closing_s));
	json_object_object_add(o, "udp_s", json_object_new_int64(t->udp_s));
	return o;
}

static json_object *json_flood_guard(const struct stats_snap *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "syns_per_s_per_cpu",
			       json_object_new_int64(d->timeouts.syn_rate));
	json_object_object_add(o, "syns_not_recorded",
			       json_object_new_uint64(d->syn_skipped));
	return o;
}

static void print_json(const struct canary_state *st,
		       const struct stats_snap *d, int only)
{
	json_object *root = json_object_new_object();
	json_object *svcs = json_object_new_array();
	json_object *ifaces = json_object_new_array();
	int i;

	for (i = 0; i < d->cfg.n_services; i++)
		if (only < 0 || only == i)
			json_object_array_add(svcs, json_service(d, i));
	links_for_each(st->pin_dir, 0, json_iface, ifaces);
	json_object_object_add(root, "socket_lb_cgroups", json_cgroups(st->pin_dir));
	json_object_object_add(root, "pin_dir", json_object_new_string(st->pin_dir));
	json_object_object_add(root, "generation", json_object_new_int(d->gen));
	json_object_object_add(root, "grace_period_s", json_object_new_int(
		(int)(d->gs.grace_ns / 1000000000ull)));
	json_object_object_add(root, "timeouts", json_timeouts(&d->timeouts));
	json_object_object_add(root, "flood_guard", json_flood_guard(d));
	json_object_object_add(root, "node", json_node(&d->cfg.node));
	json_object_object_add(root, "services", svcs);
	json_object_object_add(root, "interfaces", ifaces);
	if (pods_read)
		json_object_object_add(root, "local_pods", json_pods());
	json_object_object_add(root, "counters", json_counters(&d->global));
	json_object_object_add(root, "flow_table_entries",
			       json_object_new_uint64(d->flow_entries));
	json_object_object_add(root, "flow_evictions",
			       json_object_new_uint64(d->flow_evictions));
	puts(json_object_to_json_string_ext(root, json_pretty ?
					    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE :
					    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

/* ---- plain ---- */

/* "5000", or "80->8080,443->8443" for a multi-port service. */
static const char *fmt_ports(const struct canary_service_cfg *svc, char *buf,
			     size_t len)
{
	size_t off = 0;
	int p;

	if (!svc->n_ports) {
		snprintf(buf, len, "%u", ntohs(svc->port));
		return buf;
	}
	buf[0] = '\0';
	for (p = 0; p < svc->n_ports && off < len; p++)
		off += snprintf(buf + off, len - off, "%s%u->%u", p ? "," : "",
				ntohs(svc->ports[p].port),
				ntohs(svc->ports[p].target));
	return buf;
}

static void print_endpoints(const struct canary_version_cfg *ver)
{
	char ip[CANARY_ADDR_STRLEN + 8];
	int e;

	for (e = 0; e < ver->n_endpoints; e++) {
		/* a multi-port service's endpoints are bare addresses */
		if (ver->ep[e].port)
			addr_port_str(&ver->ep[e].addr, ntohs(ver->ep[e].port),
				      ip, sizeof(ip));
		else
			addr_str(&ver->ep[e].addr, ip, sizeof(ip));
		printf(" %s", ip);
		printf("%s", ver->ep[e].flags & CANARY_EP_F_DRAINING ?
			     "(draining)" : "");
	}
	printf("%s\n", config_active_endpoints(ver) ? "" :
						       " (none: takes no new flows)");
}

static void print_pins(const struct stats_snap *d, int i)
{
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	char ip[CANARY_ADDR_STRLEN];
	int p;

	for (p = 0; p < svc->n_pins; p++)
		printf("  pin %s/%u -> %s: %llu flows\n",
		       addr_str(&svc->pins[p].addr, ip, sizeof(ip)),
		       svc->pins[p].prefixlen, svc->pins[p].version,
		       (unsigned long long)d->pin_flows[i][p]);
}

/* Each version's connection outcomes, then the guard. */
static void print_health(const struct stats_snap *d, int i)
{
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	const struct canary_svc_guard *g = &d->guard[i];
	enum guard_state gs;
	char buf[256];
	int v;

	printf("  %-10s %10s %8s %8s %8s %10s %10s %10s %6s\n", "VERSION",
	       "NEW-CONNS", "FAILED", "REFUSED", "RESET", "UNANSWERED",
	       "HS-P50-US", "HS-P99-US", "GUARD");
	for (v = 0; v < svc->n_versions; v++) {
		const struct canary_health *h = &d->health[i][v];

		printf("  %-10s %10llu %8llu %8llu %8llu %10llu %10.0f %10.0f %6s\n",
		       svc->v[v].name, (unsigned long long)h->new_conns,
		       (unsigned long long)health_failed(h),
		       (unsigned long long)h->refused,
		       (unsigned long long)h->reset_early,
		       (unsigned long long)h->unanswered, stats_hs_us(d, i, v, 0.5),
		       stats_hs_us(d, i, v, 0.99),
		       guard_state_names[guard_version_state(g, v)]);
	}
	gs = guard_service_state(g, svc->n_versions, &v);
	printf("  guard: %s: %s", guard_state_names[gs],
	       guard_reason(g, svc, buf, sizeof(buf)));
	if (gs != GUARD_OFF)
		printf(" (since %s)", fmt_since(gs == GUARD_SHED ? g->v[v].shed_ns :
						g->armed_ns, buf, sizeof(buf)));
	printf("\n");
}

/*
 * One service: each version's weight next to the share of new flows it
 * took since the weights last changed (the figure to compare), and the
 * totals since the service was created.
 */
static void print_service(const struct stats_snap *d, int i)
{
	const struct canary_service_cfg *svc = &d->cfg.svc[i];
	__u64 since = stats_service_flows_since(d, i);
	char ip[CANARY_ADDR_STRLEN], w[8], ports[96];
	int v;

	/* "10.96.0.10:80/tcp", "[2001:db8::10]:80/tcp" */
	printf(config_is_v6(svc) ? "%s  [%s]:%s/%s%s\n" : "%s  %s:%s/%s%s\n",
	       svc->name, addr_str(&svc->vip, ip, sizeof(ip)),
	       fmt_ports(svc, ports, sizeof(ports)),
	       proto_name(svc->proto),
	       svc->affinity == CANARY_AFFINITY_CLIENT_IP ?
		       "  affinity client-ip" : "");
	printf("  %-10s %7s %8s %10s %11s %12s %14s  %s\n", "VERSION", "WEIGHT",
	       "SHARE", "NEW-FLOWS", "FLOWS-TOTAL", "PACKETS", "BYTES",
	       "ENDPOINTS");
	for (v = 0; v < svc->n_versions; v++) {
		const struct canary_version_cfg *ver = &svc->v[v];
		const struct canary_vstats *s = &d->st[i][v];

		printf("  %-10s %6s%% %7.2f%% %10llu %11llu %12llu %14llu ",
		       ver->name, fmt_percent(ver->weight_bps, w, sizeof(w)),
		       share_pct(d->since[i][v], since),
		       (unsigned long long)d->since[i][v],
		       (unsigned long long)s->new_flows,
		       (unsigned long long)s->packets,
		       (unsigned long long)s->bytes);
		print_endpoints(ver);
	}
	print_pins(d, i);
	print_health(d, i);
}

static void print_iface(const char *path, int ifindex, enum link_kind kind,
			void *arg)
{
	char name[IF_NAMESIZE] = "?";

	(void)arg;
	if (kind == LINK_TC_OUT || kind == LINK_TC_FWD)
		return;
	printf("  %s (ifindex %d): %s%s\n",
	       if_indextoname(ifindex, name) ? name : "?", ifindex,
	       link_kind_mode(kind), link_is_live(path) ? "" : " (detached: device gone)");
}

/* "node: address 10.1.0.1, pod CIDR 10.244.1.0/24, address6 ..., SNAT
 * ports 20000-29999", each family when set. */
static void print_node(const struct canary_node_cfg *n)
{
	struct canary_addr a4 = addr_v4(n->address), net4 = addr_v4(n->pod_net),
			   a6 = addr_v6(n->address6), net6 = addr_v6(n->pod_net6);
	char buf[CANARY_ADDR_STRLEN + 8];

	if (!n->set) {
		printf("node: not set (no SNAT, no local endpoints)\n");
		return;
	}
	printf("node:");
	if (n->address)
		printf(" address %s,", ADDR_STR(&a4));
	if (n->pod_net)
		printf(" pod CIDR %s,", cidr_str(&net4, n->pod_len, buf, sizeof(buf)));
	if (config_node_has_address6(n))
		printf(" address6 %s,", ADDR_STR(&a6));
	if (config_node_has_cidr6(n))
		printf(" pod CIDR6 %s,", cidr_str(&net6, n->pod_len6, buf, sizeof(buf)));
	printf(" SNAT ports %u-%u\n", n->port_min, n->port_max);
}

static void print_plain(const struct canary_state *st,
			const struct stats_snap *d, int only)
{
	const struct canary_global *g = &d->global;
	int i;

	for (i = 0; i < d->cfg.n_services; i++)
		if (only < 0 || only == i)
			print_service(d, i);
	if (!d->cfg.n_services)
		printf("no services\n");
	{
		unsigned long long ids[64];
		int c, n = cgroup_ids(st->pin_dir, ids, 64);

		if (n)
			printf("socket load balancing in cgroup ids:");
		for (c = 0; c < n; c++)
			printf(" %llu", ids[c]);
		if (n)
			printf("\n");
	}
	print_node(&d->cfg.node);
	printf("interfaces:\n");
	if (!links_for_each(st->pin_dir, 0, print_iface, NULL))
		printf("  none\n");
	if (pods_read)
		print_pods();
	printf("SHARE and NEW-FLOWS count new flows since the weights last "
	       "changed; FLOWS-TOTAL since the service was created.\n");
	printf("flow table: %llu flows, %llu evicted by its LRU so far\n",
	       (unsigned long long)d->flow_entries,
	       (unsigned long long)d->flow_evictions);
	printf("grace period for mid-connection packets: %llu s\n",
	       (unsigned long long)(d->gs.grace_ns / 1000000000ull));
	printf("flow idle timeouts: tcp %u s, tcp closing %u s, udp %u s\n",
	       d->timeouts.tcp_s, d->timeouts.tcp_closing_s, d->timeouts.udp_s);
	printf("SYN flood guard: %u SYNs per second per CPU recorded at once; "
	       "%llu recorded at their next packet instead\n",
	       d->timeouts.syn_rate, (unsigned long long)d->syn_skipped);
	printf("counters: passed %llu, translated %llu (redirected %llu, "
	       "to kernel %llu), replies %llu, fragments %llu, "
	       "no endpoint %llu, errors %llu, placed by previous config %llu\n",
	       (unsigned long long)g->passed, (unsigned long long)g->translated,
	       (unsigned long long)g->redirected,
	       (unsigned long long)g->fib_fallback,
	       (unsigned long long)g->replies, (unsigned long long)g->fragments,
	       (unsigned long long)g->no_endpoint, (unsigned long long)g->errors,
	       (unsigned long long)g->grace);
	/* Dropped: no free port, or no node address of the flow's family. */
	printf("SNAT: new flows %llu, replies %llu, dropped %llu\n",
	       (unsigned long long)g->snat, (unsigned long long)g->snat_replies,
	       (unsigned long long)g->snat_full);
}

static int do_status(int argc, char **argv)
{
	struct cmd_kube_opts k = {};
	struct stats_snap *d;
	struct canary_state st;
	int opt, ret, only = -1;

	while ((opt = cmd_getopt(&cmd_status, argc, argv)) != -1) {
		if (opt == 'h' || opt == '?')
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		if (!cmd_kube_opt(&k, opt))
			json_output = true;
	}
	ret = cmd_kube_check(&cmd_status, &k);
	if (ret)
		return ret;
	if (k.on) /* What the cluster asks for next to this node's maps. */
		return kube_status(k.kubeconfig, k.ns, state_pin_dir(opt_pin_dir));
	if (argc - optind > 1)
		return cmd_usage_error(&cmd_status, "expected at most one NAME");
	d = calloc(1, sizeof(*d));
	if (!d)
		return EXIT_FAIL;
	/* No lock: status never waits for a writer, nor a writer for it. */
	ret = cli_state_open_unlocked(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = stats_load(&st, d, argc - optind == 1 ? argv[optind] : NULL);
	if (ret == -ENOENT) {
		ret = cmd_usage_error(&cmd_status, "service '%s' does not exist",
				      argv[optind]);
	} else if (ret < 0) {
		p_err("Couldn't read the maps under '%s': %s", st.pin_dir,
		      strerror(-ret));
		ret = EXIT_FAIL;
	}
	if (!ret)
		state_read_node(&st, &d->cfg.node);
	/* The local pods' paths: a netlink dump, so only for the whole
	 * status; `status NAME` costs one service. */
	if (!ret && argc - optind == 0) {
		n_pods = fastpath_report(&st, pods, STATUS_MAX_PODS);
		if (n_pods < 0)
			pr_warn("Couldn't list the local pods' veths: %s\n",
				strerror(-n_pods));
		n_pods = n_pods < 0 ? 0 : n_pods;
		pods_read = true;
	}
	if (!ret && json_output)
		print_json(&st, d, only);
	else if (!ret)
		print_plain(&st, d, only);
	state_close(&st);
	config_free(&d->cfg);
	free(d);
	return ret;
}

static const struct cli_opt status_opts[] = {
	{ .name = "json", .val = 'j', .short_opt = true,
	  .help = "JSON output (same as the global -j)" },
	{ .name = "kube", .val = CMD_OPT_KUBE,
	  .help = "the cluster's TrafficSplits next to this node's maps "
		  "(as kube-status)" },
	{ .name = "namespace", .val = CMD_OPT_NAMESPACE, .short_opt = true,
	  .metavar = "NS",
	  .help = "with --kube: one namespace (default: the context's)" },
	{ .name = "kubeconfig", .val = CMD_OPT_KUBECONFIG, .metavar = "FILE",
	  .help = "with --kube: kubeconfig to use" },
	{},
};

const struct cmd cmd_status = {
	.name = "status",
	.fn = do_status,
	.args = "[NAME] [--json] [--kube [--namespace NS]]",
	.summary = "Show services, weights next to the measured share of new "
		   "flows, interfaces and counters",
	.opts = status_opts,
};
