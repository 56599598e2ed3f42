// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* agent: keep this node's maps equal to the cluster's TrafficSplits and
 * Gateway API routes. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "agent/agent.h"
#include "dataplane/bridge.h"
#include "cli/cmd.h"
#include "cli/cmd_kube.h"
#include "agent/iface.h"
#include "kube/kube_client.h"
#include "kube/kube_logic.h"
#include "util/log.h"
#include "agent/metrics.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/state.h"

#define DEFAULT_METRICS_ADDR "127.0.0.1:9464"
#define DEFAULT_RESYNC_S 300

static const struct cli_opt agent_opts[] = {
	{ .name = "kubeconfig", .val = 'k', .metavar = "FILE",
	  .help = "kubeconfig to use (default: in-cluster, $KUBECONFIG, "
		  "~/.kube/config)" },
	{ .name = "metrics-addr", .val = 'm', .metavar = "IP:PORT[,...]",
	  .help = "serve /metrics /healthz /readyz (default "
		  DEFAULT_METRICS_ADDR ")" },
	{ .name = "node-name", .val = 'n', .metavar = "NAME",
	  .help = "this node's name: its Node gives NodePort addresses and the "
		  "node section, Events name it (default $NODE_NAME)" },
	{ .name = "resync", .val = 'r', .metavar = "SECONDS",
	  .help = "relist every watched resource this often (default 300)" },
	{ .name = "iface", .val = 'i', .metavar = "IFACE",
	  .help = "attach to IFACE (default: the default-route interface)" },
	{ .name = "mode", .val = 'M', .metavar = "native|generic|tc",
	  .help = "attach mode (default: attach's default)" },
	{ .name = "bridge", .val = 'b', .metavar = "BR",
	  .help = "attach with --bridge BR: XDP forwards past bridge BR "
		  "(e.g. cni0)" },
	{ .name = "fast-path", .val = 'F', .metavar = "auto|listed",
	  .help = "attach's --fast-path (default auto: XDP redirects to every "
		  "local pod veth that takes XDP frames, followed through "
		  "netlink events)" },
	{ .name = "no-attach", .val = 'A',
	  .help = "only program the maps; something else attaches" },
	{},
};

struct agent_args {
	const char *kubeconfig, *metrics_addr, *node, *iface, *mode, *bridge;
	const char *fast_path;
	long resync_s;
	bool attach;
};

static void on_signal(int sig)
{
	(void)sig;
	kube_stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int parse_args(struct agent_args *a, int argc, char **argv)
{
	char *end;
	int opt;

	*a = (struct agent_args){ .metrics_addr = DEFAULT_METRICS_ADDR,
				  .node = getenv("NODE_NAME"),
				  .resync_s = DEFAULT_RESYNC_S, .attach = true };
	while ((opt = cmd_getopt(&cmd_agent, argc, argv)) != -1) {
		switch (opt) {
		case 'h': return -1;
		case 'k': a->kubeconfig = optarg; break;
		case 'm': a->metrics_addr = optarg; break;
		case 'n': a->node = optarg; break;
		case 'i': a->iface = optarg; break;
		case 'M': a->mode = optarg; break;
		case 'A': a->attach = false; break;
		case 'F':
			if (strcmp(optarg, "auto") && strcmp(optarg, "listed"))
				return cmd_usage_error(&cmd_agent, "--fast-path '%s': "
						       "not auto or listed", optarg);
			a->fast_path = optarg;
			break;
		case 'b':
			if (!bridge_is_bridge(optarg))
				return cmd_usage_error(&cmd_agent, "--bridge '%s': "
						       "not a bridge", optarg);
			a->bridge = optarg;
			break;
		case 'r':
			a->resync_s = strtol(optarg, &end, 10);
			if (*end || a->resync_s < 10 || a->resync_s > 86400)
				return cmd_usage_error(&cmd_agent, "--resync '%s': "
						       "seconds from 10 to 86400", optarg);
			break;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_agent, "unexpected argument '%s'", argv[optind]);
	if (a->node && *a->node && !kube_dns_subdomain(a->node))
		return cmd_usage_error(&cmd_agent, "--node-name '%s' (or $NODE_NAME): "
				       "not a Kubernetes node name (lowercase letters, "
				       "digits, '-' and '.')", a->node);
	return 0;
}

/* Runs "canary-bpf attach" (this binary) for the interface: it is
 * idempotent and keeps maps, flows and counters on a re-run. */
static int run_attach(const struct agent_args *a, const char *pin_dir)
{
	char iface[IF_NAMESIZE];
	const char *argv[12] = { "canary-bpf", "--pin-dir", pin_dir, "attach" };
	int n = 4, status, err;
	pid_t pid;

	if (a->iface) {
		snprintf(iface, sizeof(iface), "%s", a->iface);
	} else if ((err = iface_default_route(NULL, iface))) {
		p_err("agent: no --iface given and no default route to take it from: %s",
		      strerror(-err));
		return EXIT_FAIL;
	}
	argv[n++] = iface;
	if (a->mode) {
		argv[n++] = "--mode";
		argv[n++] = a->mode;
	}
	if (a->bridge) {
		argv[n++] = "--bridge";
		argv[n++] = a->bridge;
	}
	if (a->fast_path) {
		argv[n++] = "--fast-path";
		argv[n++] = a->fast_path;
	}
	alog("attaching to %s", iface);
	pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		p_err("agent: 'canary-bpf attach %s' failed", iface);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Creates the maps if needed, so /metrics and a later attach find them. */
static int ensure_maps(const char *pin_dir)
{
	struct canary_state st;
	int ret = cli_state_open(&st, pin_dir);

	state_close(&st);
	return ret;
}

static int agent_main(const struct agent_args *args, struct kube_config *kc,
		      const char *pin_dir)
{
	struct metrics_server *m;
	struct canary_err err;
	struct agent a;
	int ret;

	agent_init(&a, kc, pin_dir, args->node, args->resync_s);
	m = metrics_start(args->metrics_addr, &a, &err);
	if (!m) {
		p_err("agent: %s", err.msg);
		agent_free(&a);
		return EXIT_USAGE;
	}
	alog("node %s: watching %s (pin dir %s, metrics on %s)",
	     args->node ? args->node : "(unnamed)", kc->server, pin_dir,
	     args->metrics_addr);
	ret = agent_run(&a);
	if (ret)
		p_err("agent: could not start the watches: %s", strerror(-ret));
	else
		alog("stopping; the data plane keeps forwarding");
	metrics_stop(m);
	agent_free(&a);
	return ret ? EXIT_FAIL : EXIT_OK;
}

static int do_agent(int argc, char **argv)
{
	const char *pin_dir = state_pin_dir(opt_pin_dir);
	struct agent_args args;
	struct kube_config kc;
	struct canary_err err;
	int ret;

	ret = parse_args(&args, argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (kubeconfig_auto(&kc, args.kubeconfig, &err)) {
		p_err("agent: %s", err.msg);
		return EXIT_USAGE;
	}
	install_signals();
	srandom((unsigned int)time(NULL) ^ (unsigned int)getpid()); /* backoff jitter */
	ret = kube_global_init() ? EXIT_FAIL : ensure_maps(pin_dir);
	if (!ret && args.attach)
		ret = run_attach(&args, pin_dir);
	if (!ret)
		ret = agent_main(&args, &kc, pin_dir);
	kubeconfig_free(&kc);
	return ret;
}

const struct cmd cmd_agent = {
	.name = "agent",
	.fn = do_agent,
	.args = "[--kubeconfig FILE] [--metrics-addr IP:PORT] [--node-name NAME] "
		"[--resync SECONDS] [--iface IFACE [--bridge BR] [--fast-path auto|listed] | --no-attach]",
	.summary = "Kubernetes DaemonSet agent: program this node from "
		   "TrafficSplits, TCPRoutes and UDPRoutes, Services, "
		   "EndpointSlices and its Node",
	.opts = agent_opts,
};
