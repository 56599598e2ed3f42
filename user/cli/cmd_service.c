// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Imperative helpers for scripts:
 *   service add NAME --vip IP:PORT[/tcp|udp] [--versions v1,v2]
 *   service del NAME
 *   endpoints set NAME VERSION [IP:PORT ...]
 * An IPv6 address goes in brackets: [2001:db8::10]:80.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "core/parse.h"
#include "dataplane/state.h"

static const struct cli_opt service_opts[] = {
	{ .name = "vip", .val = 'V', .metavar = "IP:PORT[/tcp|udp]",
	  .help = "service address (add; default tcp; IPv6 as [ADDR]:PORT)" },
	{ .name = "versions", .val = 'v', .metavar = "A,B,...",
	  .help = "version names (add; default v1,v2; the first takes 100 %)" },
	{ .name = "affinity", .val = 'a', .metavar = "none|client-ip",
	  .help = "session affinity (add; default none)" },
	{},
};

#define SERVICE_EXPECTED "expected 'add NAME' or 'del NAME'"

struct service_edit {
	const char *name;
	bool del;
	struct canary_addr vip;
	__be16 port;
	__u8 proto;
	int n_versions;
	char vnames[CANARY_MAX_VERSIONS][CANARY_VNAME_LEN];
	__u8 affinity;
	const char *vip_arg, *versions_arg; /* as given; add parses them */
};

static int edit_service(struct canary_config *cfg, void *arg,
			struct canary_err *err)
{
	struct service_edit *e = arg;
	struct canary_service_cfg *svc;
	int v;

	if (e->del) {
		if (config_del_service(cfg, e->name))
			return cerr_set(err, "service del: service '%s' does not exist",
					e->name);
		return 0;
	}
	if (config_find(cfg, e->name))
		return cerr_set(err, "service add: service '%s' exists already",
				e->name);
	svc = config_add_service(cfg, err);
	if (!svc)
		return -EINVAL;
	snprintf(svc->name, sizeof(svc->name), "%s", e->name);
	svc->vip = e->vip;
	svc->port = e->port;
	svc->proto = e->proto;
	svc->affinity = e->affinity;
	svc->n_versions = e->n_versions;
	for (v = 0; v < e->n_versions; v++) {
		snprintf(svc->v[v].name, sizeof(svc->v[v].name), "%s",
			 e->vnames[v]);
		svc->v[v].weight_bps = v == 0 ? CANARY_BPS_TOTAL : 0;
	}
	return 0;
}

/* Splits "v1,v2" into e->vnames. */
static int parse_versions(const char *list, struct service_edit *e)
{
	char buf[256], *tok, *save = NULL;
	struct canary_err err = {};

	snprintf(buf, sizeof(buf), "%s", list);
	e->n_versions = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (e->n_versions == CANARY_MAX_VERSIONS)
			return cmd_usage_error(&cmd_service,
					       "--versions '%s': at most %d versions",
					       list, CANARY_MAX_VERSIONS);
		if (parse_name(tok, CANARY_VNAME_LEN, "version", &err))
			return cmd_usage_error(&cmd_service, "--versions: %s",
					       err.msg);
		snprintf(e->vnames[e->n_versions++], CANARY_VNAME_LEN, "%s", tok);
	}
	if (!e->n_versions)
		return cmd_usage_error(&cmd_service, "--versions '%s': no version",
				       list);
	return 0;
}

/* NAME, the one operand of add and del. */
static int service_name(struct service_edit *e, int argc, char **argv)
{
	struct canary_err err = {};

	if (argc != 1)
		return cmd_usage_error(&cmd_service, SERVICE_EXPECTED);
	e->name = argv[0];
	if (parse_name(e->name, CANARY_NAME_LEN, "service", &err))
		return cmd_usage_error(&cmd_service, "%s", err.msg);
	return 0;
}

static int service_add(int argc, char **argv, void *arg)
{
	struct service_edit *e = arg;
	struct canary_err err = {};
	int ret;

	ret = service_name(e, argc, argv);
	if (ret)
		return ret;
	if (!e->vip_arg)
		return cmd_usage_error(&cmd_service, "add: --vip IP:PORT is required");
	if (parse_vip(e->vip_arg, &e->vip, &e->port, &e->proto, &err))
		return cmd_usage_error(&cmd_service, "--vip: %s", err.msg);
	return parse_versions(e->versions_arg, e);
}

static int service_del(int argc, char **argv, void *arg)
{
	struct service_edit *e = arg;

	e->del = true;
	return service_name(e, argc, argv);
}

static const struct cmd_verb service_verbs[] = {
	{ "add", service_add },
	{ "del", service_del },
	{},
};

static int parse_service_args(int argc, char **argv, struct service_edit *e)
{
	struct canary_err err = {};
	int opt, ret;

	e->versions_arg = "v1,v2";
	while ((opt = cmd_getopt(&cmd_service, argc, argv)) != -1) {
		if (opt == 'h')
			return -1;
		if (opt == '?')
			return EXIT_USAGE;
		if (opt == 'V')
			e->vip_arg = optarg;
		else if (opt == 'a' && parse_affinity(optarg, &e->affinity, &err))
			return cmd_usage_error(&cmd_service, "--affinity: %s",
					       err.msg);
		else if (opt == 'v')
			e->versions_arg = optarg;
	}
	ret = cmd_run_verb(&cmd_service, service_verbs, argc - optind,
			   argv + optind, e);
	if (ret == CMD_NO_VERB)
		return cmd_usage_error(&cmd_service, SERVICE_EXPECTED);
	return ret;
}

static int do_service(int argc, char **argv)
{
	struct service_edit e = {};
	struct canary_state st;
	int ret;

	ret = parse_service_args(argc, argv, &e);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = e.del ? cli_state_open_existing(&st, state_pin_dir(opt_pin_dir)) :
		      cli_state_open(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = cli_state_transaction(&st, edit_service, &e);
	state_close(&st);
	if (!ret)
		p_done("service %s %s", e.name, e.del ? "deleted" : "added");
	return ret;
}

const struct cmd cmd_service = {
	.name = "service",
	.fn = do_service,
	.args = "add NAME --vip IP:PORT[/tcp|udp] [--versions A,B] "
		"[--affinity none|client-ip] | del NAME",
	.summary = "Add or delete one service",
	.opts = service_opts,
};

struct endpoints_edit {
	const char *name;
	const char *version;
	int n;
	struct canary_ep_cfg ep[CANARY_MAX_ENDPOINTS];
};

static int edit_endpoints(struct canary_config *cfg, void *arg,
			  struct canary_err *err)
{
	struct endpoints_edit *e = arg;
	struct canary_service_cfg *svc = config_find(cfg, e->name);
	int v;

	if (!svc)
		return cerr_set(err, "endpoints set: service '%s' does not exist",
				e->name);
	v = config_find_version(svc, e->version);
	if (v < 0)
		return cerr_set(err, "endpoints set: service '%s' has no version '%s'",
				e->name, e->version);
	svc->v[v].n_endpoints = e->n;
	memcpy(svc->v[v].ep, e->ep, sizeof(e->ep[0]) * e->n);
	return 0;
}

/* Appends endpoint @s (with @flags) to @e; returns 0 or EXIT_USAGE. */
static int add_endpoint(struct endpoints_edit *e, const char *s, __u16 flags)
{
	struct canary_err err = {};

	if (e->n == CANARY_MAX_ENDPOINTS)
		return cmd_usage_error(&cmd_endpoints,
				       "at most %d endpoints per version",
				       CANARY_MAX_ENDPOINTS);
	if (parse_endpoint(s, &e->ep[e->n], &err))
		return cmd_usage_error(&cmd_endpoints, "%s%s",
				       flags ? "--draining: " : "", err.msg);
	e->ep[e->n++].flags = flags;
	return 0;
}

#define ENDPOINTS_EXPECTED "expected 'set NAME VERSION [IP:PORT ...]'"

/* set NAME VERSION [IP:PORT ...] */
static int endpoints_set(int argc, char **argv, void *arg)
{
	struct endpoints_edit *e = arg;
	int ret, i;

	if (argc < 2)
		return cmd_usage_error(&cmd_endpoints, ENDPOINTS_EXPECTED);
	e->name = argv[0];
	e->version = argv[1];
	for (i = 2; i < argc; i++) {
		ret = add_endpoint(e, argv[i], 0);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct cmd_verb endpoints_verbs[] = {
	{ "set", endpoints_set },
	{},
};

static int do_endpoints(int argc, char **argv)
{
	struct endpoints_edit e = {};
	struct canary_state st;
	int opt, ret;

	while ((opt = cmd_getopt(&cmd_endpoints, argc, argv)) != -1) {
		if (opt != 'd')
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		ret = add_endpoint(&e, optarg, CANARY_EP_F_DRAINING);
		if (ret)
			return ret;
	}
	ret = cmd_run_verb(&cmd_endpoints, endpoints_verbs, argc - optind,
			   argv + optind, &e);
	if (ret == CMD_NO_VERB)
		return cmd_usage_error(&cmd_endpoints, ENDPOINTS_EXPECTED);
	if (ret)
		return ret;
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = cli_state_transaction_service(&st, e.name, edit_endpoints,
						    &e);
	state_close(&st);
	if (!ret)
		p_done("endpoints of %s/%s set (%d)", e.name, e.version, e.n);
	return ret;
}

static const struct cli_opt endpoints_opts[] = {
	{ .name = "draining", .val = 'd', .short_opt = true,
	  .metavar = "IP:PORT",
	  .help = "an endpoint that keeps its flows but takes no new ones "
		  "(repeatable; IPv6 as [ADDR]:PORT)" },
	{},
};

const struct cmd cmd_endpoints = {
	.name = "endpoints",
	.fn = do_endpoints,
	.args = "set NAME VERSION [IP:PORT ...] [--draining IP:PORT]...",
	.summary = "Replace the endpoints of one version (none: it takes no "
		   "new flows)",
	.opts = endpoints_opts,
};
