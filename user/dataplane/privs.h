/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Capability checks: what canary-bpf needs, asked of the kernel rather
 * than inferred from the user id. */
#ifndef CANARY_USER_PRIVS_H
#define CANARY_USER_PRIVS_H

#include "core/config.h"

/*
 * Checks that the process can use BPF (CAP_BPF, or CAP_SYS_ADMIN on
 * kernels without it) and manage interfaces (CAP_NET_ADMIN). Returns 0, or
 * EXIT_FAIL with the missing capabilities named in @err.
 */
int privs_check(struct canary_err *err);

/*
 * Loading the programs (attach, or the first use of a pin dir) needs
 * CAP_PERFMON too (or CAP_SYS_ADMIN): without it the verifier refuses them
 * with a bare EPERM. Returns 0, or EXIT_FAIL with the reason in @err.
 */
int privs_check_load(struct canary_err *err);

#endif /* CANARY_USER_PRIVS_H */
