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
#include <string.h>

#include "cli/cmd.h"
#include "cli/cmd_kube.h"
#include "util/log.h"
#include "cli/output.h"

static const struct cmd *const commands[] = {
	&cmd_attach,	 &cmd_detach,	&cmd_apply,  &cmd_set_weight,
	&cmd_service,	 &cmd_endpoints, &cmd_status,	&cmd_pin,
	&cmd_unpin,	 &cmd_flows,	 &cmd_attach_cgroup, &cmd_detach_cgroup,
	&cmd_agent,	 &cmd_kube_status,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: canary-bpf [--pin-dir DIR] [-v] [-j [-p]] COMMAND [ARGS]\n\n"
		   "global options:\n"
		   "    --pin-dir DIR    where maps and links are pinned (env %s,\n"
		   "                     default %s)\n"
		   "    -v, --verbose    more messages (twice: libbpf's too)\n"
		   "    -j, --json       JSON output; -p pretty-prints it\n"
		   "    -h, --help       this help\n\ncommands:\n",
		"CANARY_BPF_PIN_DIR", "/sys/fs/bpf/canary-bpf");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "    %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'canary-bpf COMMAND --help' shows a command's options.\n");
}

/* Exact name, or an unambiguous prefix (bpftool-style); NULL otherwise. */
static const struct cmd *find_command(const char *name, int *ambiguous)
{
	const struct cmd *found = NULL;
	size_t i;

	*ambiguous = 0;
	for (i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(commands[i]->name, name))
			return commands[i];
		if (strncmp(commands[i]->name, name, strlen(name)))
			continue;
		if (found)
			*ambiguous = 1;
		found = commands[i];
	}
	return *ambiguous ? NULL : found;
}

static int parse_global(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, verbosity = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:vjph", longs, NULL)) != -1) {
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
	int ret, ambiguous;

	ret = parse_global(argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	log_setup_libbpf();
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[optind], &ambiguous);
	if (!c) {
		p_err("'%s' is %s command (see 'canary-bpf --help')",
		      argv[optind], ambiguous ? "an ambiguous" : "not a");
		return EXIT_USAGE;
	}
	argv += optind;
	argc -= optind;
	optind = 0; /* the command parses its own argv from the start */
	return c->fn(argc, argv);
}
