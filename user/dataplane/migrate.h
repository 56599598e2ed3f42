/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * In-place upgrades across a map rename (the _v2 rule of include/canary.h):
 * the entries of a map an older release pinned under its old name are
 * carried into its successor, so a re-attach with a new build keeps the
 * running config, flows and counters.
 */
#ifndef CANARY_USER_MIGRATE_H
#define CANARY_USER_MIGRATE_H

#include "core/config.h"

struct canary_bpf;

/*
 * Copies canary_meta (352-byte entries, before IPv6) and canary_meta_v2
 * (an array) into canary_meta_v3 (a hash, the entries in use),
 * canary_ring (the Maglev chunks; the tables keep the size their version
 * records, so the data plane picks exactly as before) into
 * canary_ring_v2, canary_node (IPv4 only) into canary_node_v2,
 * canary_flow (no handshake) into canary_flow_v3, canary_flow6 (no
 * snat_port) and canary_flow6_v2 (no handshake) into canary_flow6_v3
 * (every flow kept; the handshakes in flight in canary_hs and canary_hs6
 * are dropped, their maps unpinned), canary_svc and
 * canary_svc6 (an entry per generation) into canary_svc_v2 and
 * canary_svc6_v2 (an entry per service naming its live and previous
 * slots: the generations it had), then unpins the old maps. Does nothing
 * when @pin_dir holds none of them. Returns 0 or a negative errno, with
 * the reason in @err; the old pins stay until a copy succeeds, so a
 * retry starts over.
 */
int migrate_old_maps(const char *pin_dir, struct canary_bpf *skel,
		     struct canary_err *err);

#endif /* CANARY_USER_MIGRATE_H */
