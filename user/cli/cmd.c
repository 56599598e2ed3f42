// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"

const char *opt_pin_dir;

/* Added to every command's table. */
static const struct cli_opt help_opts[] = {
	{ .name = "help", .val = 'h', .short_opt = true,
	  .help = "show this help" },
	{},
};

void cmd_print_usage(const struct cmd *c, const char *prefix)
{
	printf("%scanary-bpf %s %s\n", prefix, c->name, c->args);
	if (c->opts)
		cli_opts_help(stdout, c->opts, prefix);
	cli_opts_help(stdout, help_opts, prefix);
}

/* Names the option as it was written: getopt_long() sets optopt to the
 * val of a long option too, which need not be a short option. */
static int report_bad_option(const struct cmd *c, int opt, char **argv)
{
	const char *why = opt == ':' ? "needs a value" : "unknown option";
	const char *arg = argv[optind - 1];

	if (optopt && strncmp(arg, "--", 2))
		cmd_usage_error(c, "option '-%c': %s", optopt, why);
	else
		cmd_usage_error(c, "option '%s': %s", arg, why);
	return '?';
}

int cmd_getopt(const struct cmd *c, int argc, char **argv)
{
	struct cli_getopt g;
	int opt, idx = 0;

	cli_opts_init(&g, ":");
	if (cli_opts_add(&g, help_opts) || (c->opts && cli_opts_add(&g, c->opts))) {
		p_err("%s: more than %d options", c->name, CLI_MAX_OPTS);
		return '?';
	}
	opterr = 0;
	opt = getopt_long(argc, argv, g.shorts, g.longs, &idx);
	if (opt == 'h') {
		printf("%s\n\n", c->summary);
		cmd_print_usage(c, "");
		return 'h';
	}
	if (opt == '?' || opt == ':')
		return report_bad_option(c, opt, argv);
	return opt;
}

int cmd_run_verb(const struct cmd *c, const struct cmd_verb *verbs, int argc,
		 char **argv, void *arg)
{
	const char *names[16];
	char list[256];
	size_t n;
	int i;

	for (n = 0; verbs[n].name && n < sizeof(names) / sizeof(names[0]); n++)
		names[n] = verbs[n].name;
	if (argc < 1)
		return CMD_NO_VERB;
	i = cli_match(argv[0], names, n);
	if (i == CLI_AMBIGUOUS) {
		cli_match_list(argv[0], names, n, list, sizeof(list));
		return cmd_usage_error(c, "'%s' is ambiguous: %s", argv[0], list);
	}
	if (i < 0)
		return CMD_NO_VERB;
	return verbs[i].fn(argc - 1, argv + 1, arg);
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
	if (opt == CMD_OPT_KUBE)
		k->on = true;
	else if (opt == CMD_OPT_NAMESPACE)
		k->ns = optarg;
	else if (opt == CMD_OPT_KUBECONFIG)
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
