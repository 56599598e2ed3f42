// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pin NAME CIDR VERSION / unpin NAME CIDR: clients whose address is in CIDR
 * always go to VERSION, whatever the weights (the longest prefix wins).
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

struct pin_edit {
	const char *name;
	const char *cidr;
	struct canary_addr addr; /* of the service's family (validated) */
	__u8 prefixlen;
	const char *version; /* NULL: unpin */
};

static int edit_pin(struct canary_config *cfg, void *arg,
		    struct canary_err *err)
{
	struct pin_edit *e = arg;
	struct canary_service_cfg *svc = config_find(cfg, e->name);
	struct canary_pin_cfg *p;
	int i;

	if (!svc)
		return cerr_set(err, "service '%s' does not exist", e->name);
	i = config_find_pin(svc, &e->addr, e->prefixlen);
	if (!e->version) {
		if (i < 0)
			return cerr_set(err, "'%s' is not pinned in '%s'", e->cidr,
					e->name);
		svc->pins[i] = svc->pins[--svc->n_pins];
		return 0;
	}
	if (config_find_version(svc, e->version) < 0)
		return cerr_set(err, "service '%s' has no version '%s'", e->name,
				e->version);
	if (i < 0 && svc->n_pins == CANARY_MAX_PINS)
		return cerr_set(err, "service '%s' has %d pins already (the most)",
				e->name, CANARY_MAX_PINS);
	p = &svc->pins[i < 0 ? svc->n_pins++ : i];
	p->addr = e->addr;
	p->prefixlen = e->prefixlen;
	snprintf(p->version, sizeof(p->version), "%s", e->version);
	return 0;
}

static int run_pin(const struct cmd *c, int argc, char **argv, bool pin)
{
	struct pin_edit e = {};
	struct canary_err err = {};
	struct canary_state st;
	int opt, ret, want = pin ? 3 : 2;

	while ((opt = cmd_getopt(c, argc, argv)) != -1)
		return opt == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind != want)
		return cmd_usage_error(c, "expected %d arguments, got %d", want,
				       argc - optind);
	e.name = argv[optind];
	e.cidr = argv[optind + 1];
	e.version = pin ? argv[optind + 2] : NULL;
	if (parse_cidr(e.cidr, &e.addr, &e.prefixlen, &err))
		return cmd_usage_error(c, "CIDR: %s", err.msg);
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = cli_state_transaction(&st, edit_pin, &e);
	state_close(&st);
	if (!ret && pin)
		p_done("%s: clients in %s go to %s", e.name, e.cidr, e.version);
	else if (!ret)
		p_done("%s: %s unpinned", e.name, e.cidr);
	return ret;
}

static int do_pin(int argc, char **argv)
{
	return run_pin(&cmd_pin, argc, argv, true);
}

static int do_unpin(int argc, char **argv)
{
	return run_pin(&cmd_unpin, argc, argv, false);
}

const struct cmd cmd_pin = {
	.name = "pin",
	.fn = do_pin,
	.args = "NAME CIDR VERSION",
	.summary = "Send clients in CIDR to VERSION whatever the weights "
		   "(longest prefix wins)",
};

const struct cmd cmd_unpin = {
	.name = "unpin",
	.fn = do_unpin,
	.args = "NAME CIDR",
	.summary = "Remove a client pin",
};
