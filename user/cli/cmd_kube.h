/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The Kubernetes commands (kept out of cmd.h, which other work edits). */
#ifndef CANARY_USER_CMD_KUBE_H
#define CANARY_USER_CMD_KUBE_H

#include "cli/cmd.h"

extern const struct cmd cmd_agent, cmd_kube_status;

#endif /* CANARY_USER_CMD_KUBE_H */
