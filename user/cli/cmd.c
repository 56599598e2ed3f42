// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"

const char *opt_pin_dir;

void cmd_print_usage(const struct cmd *c, const char *prefix)
{
	const struct cmd_opt *o;

	printf("%scanary-bpf %s %s\n", prefix, c->name, c->args);
	if (!c->opts)
		return;
	for (o = c->opts; o->flag; o++)
		printf("%s    %-28s %s\n", prefix, o->flag, o->help);
}

int cmd_getopt(const struct cmd *c, int argc, char **argv,
	       const char *short_opts, const struct option *long_opts)
{
	int opt, idx = 0;

	opterr = 0;
	opt = getopt_long(argc, argv, short_opts, long_opts, &idx);
	if (opt == 'h') {
		printf("%s\n\n", c->summary);
		cmd_print_usage(c, "");
		return 'h';
	}
	if (opt == '?' || opt == ':') {
		if (optopt)
			cmd_usage_error(c, "option '-%c': %s", optopt,
					opt == ':' ? "needs a value" :
						     "unknown option");
		else
			cmd_usage_error(c, "option '%s': %s", argv[optind - 1],
					opt == ':' ? "needs a value" :
						     "unknown option");
		return '?';
	}
	return opt;
}

int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p_err("%s: %s", c->name, msg);
	if (!json_output) {
		fprintf(stderr, "usage: ");
		fflush(stderr);
		fprintf(stderr, "canary-bpf %s %s (see 'canary-bpf %s --help')\n",
			c->name, c->args, c->name);
	}
	return EXIT_USAGE;
}

bool cmd_kube_opt(struct cmd_kube_opts *k, int opt)
{
	if (opt == 'K')
		k->on = true;
	else if (opt == 'n')
		k->ns = optarg;
	else if (opt == 'k')
		k->kubeconfig = optarg;
	else
		return false;
	return true;
}

int cmd_kube_check(const struct cmd *c, const struct cmd_kube_opts *k)
{
	if (!k->on && (k->ns || k->kubeconfig))
		return cmd_usage_error(c, "--namespace and --kubeconfig need --kube");
	return 0;
}
