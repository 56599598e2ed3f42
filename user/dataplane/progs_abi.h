/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef CANARY_DATAPLANE_PROGS_ABI_H
#define CANARY_DATAPLANE_PROGS_ABI_H

#include <stdbool.h>

/*
 * Whether every program attached through the links pinned in @pin_dir
 * picks the endpoint of a version without a Maglev table by rendezvous
 * (true with no link at all: whatever attaches later is this build or
 * newer). An older build's programs read such a version as having no
 * endpoint, so while one runs, every version keeps its table.
 */
bool progs_pick_by_rendezvous(const char *pin_dir);

#endif
