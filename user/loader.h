/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Loading the BPF object with its maps pinned under the pin dir. */
#ifndef CANARY_USER_LOADER_H
#define CANARY_USER_LOADER_H

struct canary_bpf;

/*
 * Opens and loads the BPF object; maps pinned under @pin_dir are reused,
 * missing ones created and pinned. Returns 0 or a negative errno, with the
 * error reported.
 */
int loader_load(const char *pin_dir, struct canary_bpf **skel);
void loader_close(struct canary_bpf *skel);

#endif /* CANARY_USER_LOADER_H */
