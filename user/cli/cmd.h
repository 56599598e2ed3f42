/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The subcommands: one file each (cmd_*.c), dispatched from main.c. */
#ifndef CANARY_USER_CMD_H
#define CANARY_USER_CMD_H

#include <stdbool.h>

#include "cli/opts.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;        /* positional arguments, for the usage line */
	const char *summary;     /* one line for the command list */
	/* Its options, ended by an all-zero entry; may be NULL. -h/--help
	 * is added to every command. */
	const struct cli_opt *opts;
};

/* A sub-command word such as "add" in "service add NAME". */
struct cmd_verb {
	const char *name;
	/* Gets the words after the verb and the caller's @arg; returns an
	 * exit code. */
	int (*fn)(int argc, char **argv, void *arg);
};

/* Global options every command sees. */
extern const char *opt_pin_dir;

extern const struct cmd cmd_attach, cmd_detach, cmd_apply, cmd_set_weight,
	cmd_service, cmd_endpoints, cmd_status, cmd_pin, cmd_unpin, cmd_flows,
	cmd_attach_cgroup, cmd_detach_cgroup, cmd_guard, cmd_top;

void cmd_print_usage(const struct cmd *c, const char *prefix);

/*
 * getopt_long() over a command's argv with the options of its table and
 * --help handled: returns the option's val, -1 at the end, 'h' after
 * printing help (the caller returns EXIT_OK), or '?' after reporting a bad
 * option (the caller returns EXIT_USAGE).
 */
int cmd_getopt(const struct cmd *c, int argc, char **argv);

/* cmd_run_verb() when argv names no verb of the table: the caller reports
 * it in its own words. Not an exit code. */
#define CMD_NO_VERB (-1)

/*
 * Runs the entry of @verbs (ended by an all-zero entry, 16 entries at
 * most) that argv[0] names, or is the unambiguous prefix of, with the
 * words after it and @arg; returns what it returns. CMD_NO_VERB when @argc is 0 or argv[0]
 * names none; EXIT_USAGE after reporting an ambiguous argv[0].
 */
int cmd_run_verb(const struct cmd *c, const struct cmd_verb *verbs, int argc,
		 char **argv, void *arg);

/* Reports a usage error naming the command and prints its usage line;
 * returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The vals of --kube, --namespace (also -n) and --kubeconfig in the
 * tables of set-weight, status and kube-status. */
#define CMD_OPT_KUBE 'K'
#define CMD_OPT_NAMESPACE 'n'
#define CMD_OPT_KUBECONFIG 'k'

struct cmd_kube_opts {
	bool on;		/* --kube */
	const char *ns;		/* NULL: the context's namespace */
	const char *kubeconfig;	/* NULL: the default lookup */
};

/* Takes option @opt into @k if it is one of the CMD_OPT_KUBE* vals;
 * returns whether it was. */
bool cmd_kube_opt(struct cmd_kube_opts *k, int opt);
/* After parsing: a usage error (EXIT_USAGE) when --namespace or
 * --kubeconfig came without --kube, else 0. */
int cmd_kube_check(const struct cmd *c, const struct cmd_kube_opts *k);

#endif /* CANARY_USER_CMD_H */
