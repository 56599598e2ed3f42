// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* /metrics, /healthz, /readyz over libmicrohttpd (see metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "util/dl.h"

#include "agent/metrics.h"
#include "core/parse.h"
#include "dataplane/stats.h"
#include "core/health.h"

#define METRICS_MAX_ADDRS 4

struct metrics_server {
	struct MHD_Daemon *d[METRICS_MAX_ADDRS];
	int n;
	struct agent *a;
};

static void help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* "NAME{service=...,version=...,vip=...,port=...,protocol=...": a
 * version's series, open for more labels (@v < 0: the service's). */
static void series(FILE *f, const char *name, const struct canary_service_cfg *s,
		   int v)
{
	char ip[CANARY_ADDR_STRLEN];

	fprintf(f, "%s{service=\"%s\",", name, s->name);
	if (v >= 0)
		fprintf(f, "version=\"%s\",", s->v[v].name);
	fprintf(f, "vip=\"%s\",port=\"%u\",protocol=\"%s\"",
		addr_str(&s->vip, ip, sizeof(ip)), ntohs(s->port),
		s->proto == CANARY_PROTO_UDP ? "udp" : "tcp");
}

/* One line per service and version of @d for the field picked by @pick. */
static void per_version(FILE *f, const struct stats_snap *d, const char *name,
			const char *type, const char *text,
			double (*pick)(const struct stats_snap *d, int i, int v))
{
	const struct canary_service_cfg *s;
	int i, v;

	help(f, name, type, text);
	for (i = 0; i < d->cfg.n_services; i++) {
		s = &d->cfg.svc[i];
		for (v = 0; v < s->n_versions; v++) {
			series(f, name, s, v);
			fprintf(f, "} %.17g\n", pick(d, i, v));
		}
	}
}

static double pick_conns(const struct stats_snap *d, int i, int v)
{
	return (double)d->health[i][v].new_conns;
}

static double pick_failed(const struct stats_snap *d, int i, int v)
{
	return (double)health_failed(&d->health[i][v]);
}

static double pick_shed(const struct stats_snap *d, int i, int v)
{
	return guard_version_state(&d->guard[i], v) == GUARD_SHED;
}

/* Failed new connections per version, by reason. */
static void failures(FILE *f, const struct stats_snap *d)
{
	static const char *const name = "canary_bpf_version_connection_failures_total";
	const struct canary_service_cfg *s;
	const struct canary_health *h;
	int i, v;

	help(f, name, "counter", "New connections that failed, by reason: "
	     "refused (RST to the SYN; UDP: ICMP unreachable), reset_early "
	     "(RST soon after the SYN-ACK), unanswered (SYN sent again, still "
	     "unanswered).");
	for (i = 0; i < d->cfg.n_services; i++) {
		s = &d->cfg.svc[i];
		for (v = 0; v < s->n_versions; v++) {
			h = &d->health[i][v];
			series(f, name, s, v);
			fprintf(f, ",reason=\"refused\"} %llu\n",
				(unsigned long long)h->refused);
			series(f, name, s, v);
			fprintf(f, ",reason=\"reset_early\"} %llu\n",
				(unsigned long long)h->reset_early);
			series(f, name, s, v);
			fprintf(f, ",reason=\"unanswered\"} %llu\n",
				(unsigned long long)h->unanswered);
		}
	}
}

/* The handshake times of version @v of service @i as a Prometheus
 * histogram in seconds (buckets are cumulative there). */
static void handshake_one(FILE *f, const char *name, const struct stats_snap *d,
			  int i, int v)
{
	const struct canary_health *h = &d->health[i][v];
	char metric[96];
	__u64 cum = 0;
	int b;

	snprintf(metric, sizeof(metric), "%s_bucket", name);
	for (b = 0; b < CANARY_HS_BUCKETS; b++) {
		cum += h->hs_bucket[b];
		series(f, metric, &d->cfg.svc[i], v);
		if (b == CANARY_HS_BUCKETS - 1)
			fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		else
			fprintf(f, ",le=\"%g\"} %llu\n", (double)(2ull << b) / 1e6,
				(unsigned long long)cum);
	}
	snprintf(metric, sizeof(metric), "%s_sum", name);
	series(f, metric, &d->cfg.svc[i], v);
	fprintf(f, "} %.6f\n", h->hs_us_total / 1e6);
	snprintf(metric, sizeof(metric), "%s_count", name);
	series(f, metric, &d->cfg.svc[i], v);
	fprintf(f, "} %llu\n", (unsigned long long)cum);
}

static void handshakes(FILE *f, const struct stats_snap *d)
{
	static const char *const name = "canary_bpf_version_handshake_seconds";
	int i, v;

	help(f, name, "histogram", "TCP handshake time at this node, SYN in to "
	     "SYN-ACK out.");
	for (i = 0; i < d->cfg.n_services; i++)
		for (v = 0; v < d->cfg.svc[i].n_versions; v++)
			handshake_one(f, name, d, i, v);
}

/* Per service: the guard's state and how often it shed. */
static void guards(FILE *f, const struct stats_snap *d)
{
	static const char *const name = "canary_bpf_service_guard_sheds_total";
	const struct canary_svc_guard *g;
	int i, v;

	help(f, name, "counter", "Times the data plane's guard shed a version "
	     "of the service (only services with a guard).");
	for (i = 0; i < d->cfg.n_services; i++) {
		g = &d->guard[i];
		if (!(g->flags & CANARY_GUARD_F_ON))
			continue;
		series(f, name, &d->cfg.svc[i], -1);
		fprintf(f, "} %u\n", g->sheds);
	}
	help(f, "canary_bpf_service_guard_state", "gauge",
	     "The guard's state: 0 off, 1 armed, 2 shed (a version's new "
	     "connections go to the first version).");
	for (i = 0; i < d->cfg.n_services; i++) {
		series(f, "canary_bpf_service_guard_state", &d->cfg.svc[i], -1);
		fprintf(f, "} %d\n", guard_service_state(&d->guard[i],
			d->cfg.svc[i].n_versions, &v));
	}
}

static void health(FILE *f, const struct stats_snap *d)
{
	per_version(f, d, "canary_bpf_version_new_connections_total", "counter",
		    "New connections (TCP SYNs placed; UDP new flows).", pick_conns);
	per_version(f, d, "canary_bpf_version_failed_connections_total", "counter",
		    "New connections that failed: refused + reset early + "
		    "unanswered.", pick_failed);
	failures(f, d);
	handshakes(f, d);
	per_version(f, d, "canary_bpf_version_guard_shed", "gauge",
		    "1 while the guard sheds this version: its new connections "
		    "go to the first version.", pick_shed);
	guards(f, d);
}

static double pick_packets(const struct stats_snap *d, int i, int v)
{
	return (double)d->st[i][v].packets;
}

static double pick_bytes(const struct stats_snap *d, int i, int v)
{
	return (double)d->st[i][v].bytes;
}

static double pick_flows(const struct stats_snap *d, int i, int v)
{
	return (double)d->st[i][v].new_flows;
}

static double pick_weight(const struct stats_snap *d, int i, int v)
{
	return d->cfg.svc[i].v[v].weight_bps / 100.0;
}

static double pick_eff(const struct stats_snap *d, int i, int v)
{
	__u16 cum[CANARY_MAX_VERSIONS] = {};

	config_effective_cum(&d->cfg.svc[i], cum);
	return (cum[v] - (v ? cum[v - 1] : 0)) / 100.0;
}

static double pick_eps(const struct stats_snap *d, int i, int v)
{
	return d->cfg.svc[i].v[v].n_endpoints;
}

static void node_counters(FILE *f, const struct canary_global *g)
{
	help(f, "canary_bpf_node_packets_total", "counter",
	     "Node-wide packet counters of the data plane, by result.");
#define C(x) fprintf(f, "canary_bpf_node_packets_total{result=\"" #x "\"} %llu\n", \
		     (unsigned long long)g->x)
	C(passed);
	C(translated);
	C(redirected);
	C(fib_fallback);
	C(replies);
	C(fragments);
	C(no_endpoint);
	C(errors);
#undef C
}

static void data_plane(FILE *f, const struct stats_snap *d)
{
	per_version(f, d, "canary_bpf_version_packets_total", "counter",
		    "Packets translated to this version.", pick_packets);
	per_version(f, d, "canary_bpf_version_bytes_total", "counter",
		    "Bytes (L2 included) translated to this version.", pick_bytes);
	per_version(f, d, "canary_bpf_version_new_flows_total", "counter",
		    "New flows that picked this version.", pick_flows);
	per_version(f, d, "canary_bpf_version_weight_percent", "gauge",
		    "Weight asked for, in percent.", pick_weight);
	per_version(f, d, "canary_bpf_version_effective_weight_percent", "gauge",
		    "Weight in use (versions without endpoints give theirs away).",
		    pick_eff);
	per_version(f, d, "canary_bpf_version_endpoints", "gauge",
		    "Endpoints taking new flows.", pick_eps);
	node_counters(f, &d->global);
	health(f, d);
}

static void agent_part(FILE *f, struct agent *a, int maps_ok)
{
	int k;

	help(f, "canary_bpf_agent_reconciles_total", "counter", "Reconcile passes.");
	fprintf(f, "canary_bpf_agent_reconciles_total %lu\n", (unsigned long)a->cnt.reconciles);
	help(f, "canary_bpf_agent_changes_total", "counter",
	     "Reconcile passes that changed the maps.");
	fprintf(f, "canary_bpf_agent_changes_total %lu\n", (unsigned long)a->cnt.changes);
	help(f, "canary_bpf_agent_errors_total", "counter",
	     "Failed reconcile passes and rejected TrafficSplits and routes.");
	fprintf(f, "canary_bpf_agent_errors_total %lu\n", (unsigned long)a->cnt.errors);
	help(f, "canary_bpf_agent_watch_restarts_total", "counter",
	     "Watch connections lost or refused, by resource.");
	for (k = 0; k < KUBE_KINDS; k++)
		fprintf(f, "canary_bpf_agent_watch_restarts_total{resource=\"%s\"} %lu\n",
			kube_kind_names[k], (unsigned long)a->cnt.restarts[k]);
	help(f, "canary_bpf_agent_events_total", "counter",
	     "Kubernetes Events created, and those refused, unreachable or dropped.");
	fprintf(f, "canary_bpf_agent_events_total{result=\"sent\"} %lu\n",
		(unsigned long)a->events.sent);
	fprintf(f, "canary_bpf_agent_events_total{result=\"failed\"} %lu\n",
		(unsigned long)a->events.failed);
	help(f, "canary_bpf_agent_events_queued", "gauge",
	     "Events waiting to be sent (rate limited after a burst).");
	fprintf(f, "canary_bpf_agent_events_queued %d\n",
		kube_events_queued(&a->events));
	help(f, "canary_bpf_agent_last_sync_age_seconds", "gauge",
	     "Seconds since the last successful reconcile (-1: none yet).");
	fprintf(f, "canary_bpf_agent_last_sync_age_seconds %ld\n", agent_sync_age(a));
	help(f, "canary_bpf_agent_ready", "gauge", "1 once the first full sync is applied.");
	fprintf(f, "canary_bpf_agent_ready %d\n", a->cnt.ready ? 1 : 0);
	help(f, "canary_bpf_agent_maps_readable", "gauge", "1 if this scrape read the maps.");
	fprintf(f, "canary_bpf_agent_maps_readable %d\n", maps_ok);
}

int metrics_write(FILE *f, struct agent *a)
{
	struct stats_snap *d = calloc(1, sizeof(*d));
	struct canary_err err = {};
	struct canary_state st;
	int ret = -ENOMEM;

	if (d) {
		config_init(&d->cfg);
		ret = state_open_unlocked(&st, a->pin_dir, &err) ? -ENOENT : 0;
		if (ret)
			alog("metrics: %s", err.msg);
		if (!ret)
			ret = stats_load(&st, d, NULL);
		state_close(&st);
		if (!ret)
			data_plane(f, d);
		config_free(&d->cfg);
		free(d);
	}
	agent_part(f, a, !ret);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     char *body, size_t len, const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned int code,
			    const char *msg)
{
	char *body = strdup(msg);

	return body ? reply(c, code, body, strlen(body), "text/plain") : MHD_NO;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_len, void **ctx)
{
	struct agent *a = cls;
	size_t len = 0;
	char *body = NULL;
	FILE *f;

	(void)version, (void)upload, (void)upload_len, (void)ctx;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only\n");
	if (!strcmp(url, "/healthz"))
		return text(c, MHD_HTTP_OK, "ok\n");
	if (!strcmp(url, "/readyz"))
		return a->cnt.ready ? text(c, MHD_HTTP_OK, "ready\n") :
			text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not synced yet\n");
	if (strcmp(url, "/metrics"))
		return text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	metrics_write(f, a);
	fclose(f);
	return reply(c, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4");
}

/* One daemon on one "IP:PORT". */
static struct MHD_Daemon *serve_one(const char *addr, struct agent *a,
				    struct canary_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct canary_ep_cfg ep;
	struct MHD_Daemon *d;

	if (parse_endpoint(addr, &ep, err))
		return NULL;
	if (addr_is_v6(&ep.addr)) {
		cerr_set(err, "--metrics-addr '%s': IPv4 only", addr);
		return NULL;
	}
	sa.sin_addr.s_addr = ep.addr.v4;
	sa.sin_port = ep.port;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, ntohs(ep.port),
			     NULL, NULL, handle, a, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d)
		cerr_set(err, "--metrics-addr '%s': cannot listen there (in use?)", addr);
	return d;
}

struct metrics_server *metrics_start(const char *addrs, struct agent *a,
				     struct canary_err *err)
{
	struct metrics_server *m = calloc(1, sizeof(*m));
	char buf[256], *tok, *save = NULL;

	if (!m)
		return cerr_set(err, "out of memory"), NULL;
	m->a = a;
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (m->n == METRICS_MAX_ADDRS) {
			cerr_set(err, "--metrics-addr: at most %d addresses", METRICS_MAX_ADDRS);
			break;
		}
		m->d[m->n] = serve_one(tok, a, err);
		if (!m->d[m->n])
			break;
		m->n++;
	}
	if (!tok && m->n)
		return m;
	if (!m->n && !tok)
		cerr_set(err, "--metrics-addr '%s': no address", addrs);
	metrics_stop(m);
	return NULL;
}

void metrics_stop(struct metrics_server *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		MHD_stop_daemon(m->d[i]);
	free(m);
}
