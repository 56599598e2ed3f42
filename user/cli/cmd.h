/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The subcommands: one file each (cmd_*.c), dispatched from main.c. */
#ifndef CANARY_USER_CMD_H
#define CANARY_USER_CMD_H

#include <getopt.h>
#include <stdbool.h>

struct cmd_opt {
	const char *flag;  /* "--mode native|generic|tc" */
	const char *help;  /* one line */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;        /* positional arguments, for the usage line */
	const char *summary;     /* one line for the command list */
	const struct cmd_opt *opts; /* NULL-terminated, may be NULL */
};

/* Global options every command sees. */
extern const char *opt_pin_dir;

extern const struct cmd cmd_attach, cmd_detach, cmd_apply, cmd_set_weight,
	cmd_service, cmd_endpoints, cmd_status, cmd_pin, cmd_unpin, cmd_flows,
	cmd_attach_cgroup, cmd_detach_cgroup;

void cmd_print_usage(const struct cmd *c, const char *prefix);

/*
 * getopt_long() over a command's argv with --help handled: returns the
 * option character, -1 at the end, 'h' after printing help (the caller
 * returns EXIT_OK), or '?' after reporting a bad option (the caller returns
 * EXIT_USAGE).
 */
int cmd_getopt(const struct cmd *c, int argc, char **argv, const char *short_opts,
	       const struct option *long_opts);

/* Reports a usage error naming the command and prints its usage line;
 * returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --kube, --namespace and --kubeconfig, as set-weight and status take them. */
#define CMD_KUBE_LONG_OPTS					\
	{ "kube", no_argument, NULL, 'K' },			\
	{ "namespace", required_argument, NULL, 'n' },		\
	{ "kubeconfig", required_argument, NULL, 'k' }

struct cmd_kube_opts {
	bool on;		/* --kube */
	const char *ns;		/* NULL: the context's namespace */
	const char *kubeconfig;	/* NULL: the default lookup */
};

/* Takes option @opt into @k if it is one of CMD_KUBE_LONG_OPTS; returns
 * whether it was. */
bool cmd_kube_opt(struct cmd_kube_opts *k, int opt);
/* After parsing: a usage error (EXIT_USAGE) when --namespace or
 * --kubeconfig came without --kube, else 0. */
int cmd_kube_check(const struct cmd *c, const struct cmd_kube_opts *k);

#endif /* CANARY_USER_CMD_H */
