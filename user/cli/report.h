/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The data plane's calls as the commands make them: the data plane fills
 * a struct canary_err and returns, and these report it through p_err()
 * (so -j gives {"error": ...}). Each returns what the call it wraps
 * returns.
 */
#ifndef CANARY_USER_REPORT_H
#define CANARY_USER_REPORT_H

#include "dataplane/loader.h"
#include "dataplane/state.h"

/* state_open(), state_open_existing(), state_open_unlocked(): an exit
 * code. */
int cli_state_open(struct canary_state *st, const char *dir);
int cli_state_open_existing(struct canary_state *st, const char *dir);
/* state_open_unlocked(): an exit code. */
int cli_state_open_unlocked(struct canary_state *st, const char *dir);
/* state_transaction(): an exit code. */
int cli_state_transaction(struct canary_state *st, config_edit_fn edit,
			  void *arg);
/* state_transaction_service(), reported. */
int cli_state_transaction_service(struct canary_state *st, const char *name,
				  config_edit_fn edit, void *arg);
/* loader_load(): 0 or a negative errno. */
int cli_loader_load(const char *pin_dir, struct canary_bpf **skel);
/* link_pin_new(): 0 or a negative errno. */
int cli_link_pin_new(int fd, const char *path);

#endif /* CANARY_USER_REPORT_H */
