// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* kube-status: the cluster's TrafficSplits next to this node's maps. */
#include "cli/cmd_kube.h"
#include "cli/kube_split.h"
#include "util/log.h"
#include "dataplane/state.h"

static const struct cli_opt kstatus_opts[] = {
	{ .name = "namespace", .val = CMD_OPT_NAMESPACE, .short_opt = true,
	  .metavar = "NS", .help = "one namespace (default: the context's)" },
	{ .name = "all-namespaces", .val = 'A', .short_opt = true,
	  .help = "every namespace" },
	{ .name = "kubeconfig", .val = CMD_OPT_KUBECONFIG, .metavar = "FILE",
	  .help = "kubeconfig (default: $KUBECONFIG, in-cluster, "
		  "~/.kube/config)" },
	{},
};

static int do_kube_status(int argc, char **argv)
{
	struct cmd_kube_opts k = { .on = true }; /* --kube is implied */
	int opt, all = 0;

	while ((opt = cmd_getopt(&cmd_kube_status, argc, argv)) != -1) {
		if (opt == 'A')
			all = 1;
		else if (!cmd_kube_opt(&k, opt))
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_kube_status, "unexpected argument '%s'",
				       argv[optind]);
	if (all && k.ns)
		return cmd_usage_error(&cmd_kube_status, "--namespace and -A exclude each other");
	return kube_status(k.kubeconfig, all ? "" : k.ns, state_pin_dir(opt_pin_dir));
}

const struct cmd cmd_kube_status = {
	.name = "kube-status",
	.fn = do_kube_status,
	.args = "[--namespace NS | -A] [--kubeconfig FILE]",
	.summary = "Show the cluster's TrafficSplits next to this node's weights",
	.opts = kstatus_opts,
};
