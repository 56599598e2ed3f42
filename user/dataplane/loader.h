/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Loading the BPF object with its maps pinned under the pin dir. */
#ifndef CANARY_USER_LOADER_H
#define CANARY_USER_LOADER_H

#include <linux/types.h>
#include "core/config.h"

struct canary_bpf;

/*
 * The flow table's size for loads from now on, when none is pinned yet
 * (attach --flow-entries); 0 means CANARY_FLOW_ENTRIES. A pinned table of
 * another size makes loader_load() fail with -EEXIST: resizing would lose
 * every flow.
 */
void loader_set_flow_entries(__u32 n);

/*
 * Opens and loads the BPF object; maps pinned under @pin_dir are reused,
 * missing ones created and pinned. A pinned map whose layout differs from
 * this build's is refused by name (-EINVAL); one an older release pinned
 * under a name since retired is carried over (migrate.h). Returns 0 or a
 * negative errno, with the reason in @err.
 */
int loader_load(const char *pin_dir, struct canary_bpf **skel,
		struct canary_err *err);
/*
 * loader_load() without the programs: creates (or checks, or carries
 * over) the pinned maps only, sparing the verifier's few hundred ms when
 * no program is wanted (a first apply into an empty pin dir). The
 * skeleton's programs are then not loaded, nor the counter maps
 * canary_stats and canary_pinstat created (only the programs write
 * them): the first loader_load() creates them.
 */
int loader_load_maps(const char *pin_dir, struct canary_bpf **skel,
		     struct canary_err *err);
void loader_close(struct canary_bpf *skel);

#endif /* CANARY_USER_LOADER_H */
