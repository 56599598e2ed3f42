// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* apply -f FILE: the running config becomes exactly the file. */
#include <errno.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/state.h"
#include "core/config_yaml.h"
#include "kube/kube_logic.h"

static const struct cli_opt apply_opts[] = {
	{ .name = "file", .val = 'f', .short_opt = true, .metavar = "FILE",
	  .help = "YAML config to apply (required)" },
	{},
};

/*
 * Replaces the running config with the file's (loaded beforehand), except
 * the services the Kubernetes agent owns ("k8s.*"): the file cannot name
 * them, and they stay as the agent set them.
 */
static int replace_config(struct canary_config *cfg, void *arg,
			  struct canary_err *err)
{
	struct canary_config *want = arg;
	struct canary_service_cfg *s;
	int i;

	for (i = 0; i < want->n_services; i++)
		if (!strncmp(want->svc[i].name, KUBE_SVC_PREFIX,
			     strlen(KUBE_SVC_PREFIX)))
			return cerr_set(err, "service '%s': names starting with "
					"'%s' belong to the Kubernetes agent",
					want->svc[i].name, KUBE_SVC_PREFIX);
	for (i = 0; i < cfg->n_services; i++) {
		if (strncmp(cfg->svc[i].name, KUBE_SVC_PREFIX,
			    strlen(KUBE_SVC_PREFIX)))
			continue;
		s = config_add_service(want, err);
		if (!s)
			return -EINVAL;
		*s = cfg->svc[i];
	}
	config_free(cfg);
	*cfg = *want;
	config_init(want); /* ownership moved to cfg */
	return 0;
}

static int do_apply(int argc, char **argv)
{
	struct canary_config want;
	struct canary_err err = {};
	struct canary_state st;
	const char *file = NULL;
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_apply, argc, argv)) != -1) {
		if (opt == 'h')
			return EXIT_OK;
		if (opt == '?')
			return EXIT_USAGE;
		file = optarg;
	}
	if (!file)
		return cmd_usage_error(&cmd_apply, "-f FILE is required");
	if (optind != argc)
		return cmd_usage_error(&cmd_apply, "unexpected argument '%s'",
				       argv[optind]);
	config_init(&want);
	ret = yaml_load_config(file, &want, &err);
	if (ret) {
		p_err("%s", err.msg[0] ? err.msg : strerror(-ret));
		config_free(&want);
		/* An unreadable file is a bad argument too. */
		return EXIT_USAGE;
	}
	ret = cli_state_open(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = cli_state_transaction(&st, replace_config, &want);
	state_close(&st);
	config_free(&want);
	if (!ret)
		p_done("applied %s", file);
	return ret;
}

const struct cmd cmd_apply = {
	.name = "apply",
	.fn = do_apply,
	.args = "-f FILE",
	.summary = "Make the running config exactly FILE (services added, "
		   "changed, removed)",
	.opts = apply_opts,
};
