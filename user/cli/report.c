// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>

#include "cli/output.h"
#include "cli/report.h"
#include "dataplane/links.h"

/* Reports @err if @ret says the call failed; returns @ret. */
static int report(int ret, const struct canary_err *err)
{
	if (ret)
		p_err("%s", err->msg[0] ? err->msg :
			    ret < 0 ? strerror(-ret) : "failed");
	return ret;
}

int cli_state_open(struct canary_state *st, const char *dir)
{
	struct canary_err err = {};

	return report(state_open(st, dir, &err), &err);
}

int cli_state_open_existing(struct canary_state *st, const char *dir)
{
	struct canary_err err = {};

	return report(state_open_existing(st, dir, &err), &err);
}

int cli_state_open_unlocked(struct canary_state *st, const char *dir)
{
	struct canary_err err = {};

	return report(state_open_unlocked(st, dir, &err), &err);
}

int cli_state_transaction(struct canary_state *st, config_edit_fn edit,
			  void *arg)
{
	struct canary_err err = {};

	return report(state_transaction(st, edit, arg, &err), &err);
}

int cli_loader_load(const char *pin_dir, struct canary_bpf **skel)
{
	struct canary_err err = {};

	return report(loader_load(pin_dir, skel, &err), &err);
}

int cli_link_pin_new(int fd, const char *path)
{
	struct canary_err err = {};

	return report(link_pin_new(fd, path, &err), &err);
}

int cli_state_transaction_service(struct canary_state *st, const char *name,
				  config_edit_fn edit, void *arg)
{
	struct canary_err err = {};

	return report(state_transaction_service(st, name, edit, arg, &err),
		      &err);
}
