// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* set-weight NAME VERSION=PCT [VERSION=PCT ...] */
#include <errno.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/kube_split.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/state.h"
#include "dataplane/guard.h"
#include "core/weights.h"

static const struct cli_opt weight_opts[] = {
	{ .name = "kube", .val = CMD_OPT_KUBE,
	  .help = "patch the Kubernetes TrafficSplit NAME instead (merge patch)" },
	{ .name = "namespace", .val = CMD_OPT_NAMESPACE, .short_opt = true,
	  .metavar = "NS",
	  .help = "with --kube: its namespace (default: the context's)" },
	{ .name = "kubeconfig", .val = CMD_OPT_KUBECONFIG, .metavar = "FILE",
	  .help = "with --kube: kubeconfig (default: $KUBECONFIG, in-cluster, "
		  "~/.kube/config)" },
	{},
};

struct weight_edit {
	const char *name;
	int n;
	char *const *assign;
};

static int edit_weights(struct canary_config *cfg, void *arg,
			struct canary_err *err)
{
	struct weight_edit *w = arg;
	struct canary_service_cfg *svc = config_find(cfg, w->name);

	if (!svc)
		return cerr_set(err, "set-weight: service '%s' does not exist",
				w->name);
	return weights_apply(svc, w->n, w->assign, err);
}

static int do_set_weight(int argc, char **argv)
{
	struct cmd_kube_opts k = {};
	struct weight_edit w;
	struct canary_state st;
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_set_weight, argc, argv)) != -1)
		if (!cmd_kube_opt(&k, opt))
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind < 2)
		return cmd_usage_error(&cmd_set_weight,
				       "expected NAME and at least one VERSION=PCT");
	ret = cmd_kube_check(&cmd_set_weight, &k);
	if (ret)
		return ret;
	w.name = argv[optind];
	w.n = argc - optind - 1;
	w.assign = argv + optind + 1;
	if (k.on)
		return kube_set_weight(k.kubeconfig, k.ns, w.name, w.n, w.assign);
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = cli_state_transaction_service(&st, w.name, edit_weights, &w);
	/* An operator's decision re-arms the guard, even with the same
	 * weights (a changed weight re-arms it in the transaction). */
	if (!ret) {
		int e = guard_rearm_service(&st, w.name);

		if (e && e != -ENODATA)
			pr_warn("Couldn't re-arm the guard of '%s': %s\n",
				w.name, strerror(-e));
	}
	state_close(&st);
	if (!ret)
		p_done("weights of %s updated", w.name);
	return ret;
}

const struct cmd cmd_set_weight = {
	.name = "set-weight",
	.fn = do_set_weight,
	.args = "[--kube [--namespace NS]] NAME VERSION=PCT [VERSION=PCT ...]",
	.summary = "Set version weights in percent (two decimals; on two "
		   "versions, naming one gives the other the rest)",
	.opts = weight_opts,
};
