#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Moving the weights must not break open connections: 100 keep-alive
# connections opened at v2=0 keep answering from their first pod after
# set-weight v2=100, a repeated attach and a re-apply with v2=100, while
# every new connection goes to v2; and still after the whole flow table
# is lost (canary-bpf flows clear): mid-connection packets are placed by
# the previous config during its grace period.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
write_yaml "$WORK/v2_0.yaml" 100 0
write_yaml "$WORK/v2_100.yaml" 0 100
attach_case attach_native native
expect apply_v2_0 cb apply -f "$WORK/v2_0.yaml"

hold_start 100
if hold_cmd "" hold_open; then
	check_share hold_open_all_v1 hold_open 100 0 v1=100 v2=0
else
	fail hold_open_all_v1 "no answer from client.py hold"
fi

expect set_weight_v2_100 cb set-weight prod-service v2=100
attach_case reattach native
expect reapply_v2_100 cb apply -f "$WORK/v2_100.yaml"

held_case long_lived_kept 100
split_case new_conns_all_v2 500 0 v1=0 v2=100

expect flow_table_lost cb flows clear
held_case long_lived_survive_table_loss 100
counter_case grace_placed_them "c['grace'] > 0"
split_case new_conns_still_v2 300 0 v1=0 v2=100
hold_quit
finish
