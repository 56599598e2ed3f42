// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * canary-bpf: weighted canary / blue-green split of Service VIPs in XDP.
 * Global options, then one subcommand from the table below.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 usage error (bad argument,
 * bad file, unknown name). A failed command leaves the data plane as it was.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cmd.h"
#include "cli/cmd_kube.h"
#include "util/log.h"
#include "cli/output.h"

static const struct cmd *const commands[] = {
	&cmd_attach,	 &cmd_detach,	&cmd_apply,  &cmd_set_weight,
	&cmd_service,	 &cmd_endpoints, &cmd_status,	&cmd_pin,
	&cmd_unpin,	 &cmd_flows,	 &cmd_attach_cgroup, &cmd_detach_cgroup,
	&cmd_agent,	 &cmd_kube_status, &cmd_guard, &cmd_top,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_opt global_opts[] = {
	{ .name = "pin-dir", .val = 'P', .metavar = "DIR",
	  .help = "where maps and links are pinned (env CANARY_BPF_PIN_DIR, "
		  "default /sys/fs/bpf/canary-bpf)" },
	{ .name = "verbose", .val = 'v', .short_opt = true,
	  .help = "more messages (twice: libbpf's too)" },
	{ .name = "json", .val = 'j', .short_opt = true, .help = "JSON output" },
	{ .name = "pretty", .val = 'p', .short_opt = true,
	  .help = "pretty-printed JSON output (implies -j)" },
	{ .name = "help", .val = 'h', .short_opt = true, .help = "this help" },
	{},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: canary-bpf [--pin-dir DIR] [-v] [-j [-p]] COMMAND [ARGS]\n\n"
		   "global options:\n");
	cli_opts_help(f, global_opts, "");
	fprintf(f, "\ncommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "    %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'canary-bpf COMMAND --help' shows a command's options.\n");
}

/* Exact name, or an unambiguous prefix (bpftool-style): an index into
 * commands[], CLI_NO_MATCH or CLI_AMBIGUOUS. */
static int find_command(const char *word)
{
	const char *names[N_COMMANDS];
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i]->name;
	return cli_match(word, names, N_COMMANDS);
}

static int parse_global(int argc, char **argv)
{
	struct cli_getopt g;
	int opt, verbosity = 0;

	cli_opts_init(&g, "+:");
	cli_opts_add(&g, global_opts);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (opt) {
		case 'P':
			opt_pin_dir = optarg;
			break;
		case 'v':
			verbosity++;
			break;
		case 'p':
			json_pretty = true;
			/* fall through */
		case 'j':
			json_output = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			p_err("option '%s': %s", argv[optind - 1],
			      opt == ':' ? "needs a value" : "unknown option");
			return EXIT_USAGE;
		}
	}
	log_set_level(verbosity >= 2 ? LOG_DEBUG :
		      verbosity ? LOG_INFO : LOG_WARN);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int ret, i;

	ret = parse_global(argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	log_setup_libbpf();
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	i = find_command(argv[optind]);
	if (i < 0) {
		p_err("'%s' is %s command (see 'canary-bpf --help')", argv[optind],
		      i == CLI_AMBIGUOUS ? "an ambiguous" : "not a");
		return EXIT_USAGE;
	}
	c = commands[i];
	argv += optind;
	argc -= optind;
	optind = 0; /* the command parses its own argv from the start */
	return c->fn(argc, argv);
}
