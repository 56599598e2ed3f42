// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * guard NAME [--max-failure-pct P] [--min-flows N] [--window-s S] | --off |
 * --reset: the data plane sheds a non-first version whose new connections
 * fail too often (include/canary.h, canary_svcguard).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"
#include "cli/output.h"
#include "cli/report.h"
#include "core/health.h"
#include "dataplane/state.h"
#include "dataplane/guard.h"

enum { OPT_PCT = 'P', OPT_FLOWS = 'F', OPT_WINDOW = 'W', OPT_OFF = 'O',
       OPT_RESET = 'R' };

static const struct cli_opt guard_opts[] = {
	{ .name = "max-failure-pct", .val = OPT_PCT, .metavar = "P",
	  .help = "shed when more than P % of new connections fail (default 5)" },
	{ .name = "min-flows", .val = OPT_FLOWS, .metavar = "N",
	  .help = "only judge a window with at least N new connections "
		  "(default 50)" },
	{ .name = "window-s", .val = OPT_WINDOW, .metavar = "S",
	  .help = "window length in seconds (default 10)" },
	{ .name = "off", .val = OPT_OFF, .help = "remove the guard" },
	{ .name = "reset", .val = OPT_RESET,
	  .help = "re-arm: a shed version takes new connections again" },
	{},
};

struct guard_edit {
	const char *name;
	bool off;
	/* keys given on the command line, by index of guard_keys */
	const char *val[3];
};

static int edit_guard(struct canary_config *cfg, void *arg,
		      struct canary_err *err)
{
	struct guard_edit *e = arg;
	struct canary_service_cfg *svc = config_find(cfg, e->name);
	int k, ret;

	if (!svc)
		return cerr_set(err, "guard: service '%s' does not exist", e->name);
	if (e->off) {
		memset(&svc->guard, 0, sizeof(svc->guard));
		return 0;
	}
	if (!svc->guard.on)
		guard_defaults(&svc->guard);
	for (k = 0; guard_keys[k]; k++) {
		ret = e->val[k] ? guard_set_key(&svc->guard, guard_keys[k],
						e->val[k], err) : 0;
		if (ret)
			return ret;
	}
	return 0;
}

/* --reset: the service's guard forgets its windows and sheds. */
static int reset_guard(struct canary_state *st, const char *name)
{
	int err = guard_rearm_service(st, name);

	if (err == -ENOENT || err == -ENODATA)
		return cmd_usage_error(&cmd_guard, err == -ENOENT ?
				       "service '%s' does not exist" :
				       "service '%s' has no guard", name);
	if (err) {
		p_err("Couldn't re-arm the guard of '%s': %s", name,
		      strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Options into @e, each value checked now: a bad one changes nothing. */
static int parse_guard_opts(int argc, char **argv, struct guard_edit *e,
			    bool *reset)
{
	struct canary_guard_cfg scratch;
	struct canary_err err = {};
	int opt, k;

	while ((opt = cmd_getopt(&cmd_guard, argc, argv)) != -1) {
		k = opt == OPT_PCT ? 0 : opt == OPT_FLOWS ? 1 :
		    opt == OPT_WINDOW ? 2 : -1;
		if (k >= 0) {
			guard_defaults(&scratch);
			if (guard_set_key(&scratch, guard_keys[k], optarg, &err))
				return cmd_usage_error(&cmd_guard, "--%s: %s",
						       guard_opts[k].name, err.msg);
			e->val[k] = optarg;
		} else if (opt == OPT_OFF) {
			e->off = true;
		} else if (opt == OPT_RESET) {
			*reset = true;
		} else {
			return opt == 'h' ? EXIT_OK : EXIT_USAGE;
		}
	}
	return -1;
}

static int do_guard(int argc, char **argv)
{
	struct guard_edit e = {};
	struct canary_state st;
	bool reset = false, any;
	int ret;

	ret = parse_guard_opts(argc, argv, &e, &reset);
	if (ret >= 0)
		return ret;
	any = e.val[0] || e.val[1] || e.val[2];
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_guard, "expected one NAME");
	if (e.off + reset + any != 1)
		return cmd_usage_error(&cmd_guard, "expected settings "
				       "(--max-failure-pct, --min-flows, "
				       "--window-s), --off or --reset: one of them");
	e.name = argv[optind];
	ret = cli_state_open_existing(&st, state_pin_dir(opt_pin_dir));
	if (!ret)
		ret = reset ? reset_guard(&st, e.name) :
			      cli_state_transaction(&st, edit_guard, &e);
	state_close(&st);
	if (!ret)
		p_done("%s: guard %s", e.name, reset ? "re-armed" :
		       e.off ? "off" : "set");
	return ret;
}

const struct cmd cmd_guard = {
	.name = "guard",
	.fn = do_guard,
	.args = "NAME [--max-failure-pct P] [--min-flows N] [--window-s S] | "
		"--off | --reset",
	.summary = "Shed a canary whose new connections fail too often, in "
		   "the data plane",
	.opts = guard_opts,
};
