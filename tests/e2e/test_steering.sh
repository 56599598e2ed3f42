#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Steering beyond weights, with real connections: a client pin sends the
# client's /24 to v2 at weight 0 (the seed's "specific IPs go to the new
# app") and unpin sends it back; a draining pod keeps its open connections
# and gets no new ones; a removed pod gets nothing.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
write_yaml "$WORK/seed.yaml" 100 0
attach_case attach_native native
expect apply_v2_0 cb apply -f "$WORK/seed.yaml"

expect pin_client_net cb pin prod-service 10.0.0.0/24 v2
split_case pinned_clients_on_v2 300 0 v1=0 v2=100
status_pin=$(cb -j status)
if printf '%s' "$status_pin" | "$PY" -c '
import json, sys
pins = json.load(sys.stdin)["services"][0]["pins"]
sys.exit(0 if pins and pins[0]["cidr"] == "10.0.0.0/24" and
         pins[0]["version"] == "v2" and pins[0]["flows"] >= 300 else 1)'; then
	pass status_shows_pin
else
	fail status_shows_pin "status JSON pins: ${status_pin:0:300}"
fi
expect unpin_client_net cb unpin prod-service 10.0.0.0/24
split_case unpinned_clients_on_v1 300 0 v1=100 v2=0

hold_start 30
hold_cmd "" hold_open || fail hold_open "no answer from client.py hold"

expect drain_hello_v1_2 cb endpoints set prod-service v1 \
	10.244.1.11:5050 10.244.1.12:5050 --draining 10.244.1.13:5050
held_case draining_keeps_connections 30
if traffic burst drained 600; then
	check_share draining_gets_no_new drained 600 0 v1=100 v2=0 \
		--absent-pod hello-v1-2
else
	fail draining_gets_no_new "client.py burst failed"
fi

expect remove_hello_v1_2 cb endpoints set prod-service v1 \
	10.244.1.11:5050 10.244.1.12:5050
if traffic burst removed 600; then
	check_share removed_gets_nothing removed 600 0 v1=100 v2=0 \
		--absent-pod hello-v1-2
else
	fail removed_gets_nothing "client.py burst failed"
fi
hold_quit
finish
