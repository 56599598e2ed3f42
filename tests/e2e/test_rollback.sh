#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A rollback rolls back for clients that reuse their source ports (NAT
# gateways, proxies, busy clients): 1,500 connections from fixed client
# ports at 50/50, then `set-weight v2=0`, and the same 1,500 ports connect
# again: not one new connection reaches v2 (a SYN is placed by the config
# now, whatever an ended connection left in the flow table), while 100
# keep-alive connections held on v2 all through keep their pod. The same
# for a client pin to v1. `flows list` shows the held flows.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=1500

# burst_at NAME: N connections from the fixed ports $FIXED.. (the server
# closes first, so each port is free again at once); JSON in $WORK/NAME.json.
burst_at() {
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" burst --vip "$VIP" \
		--port "$VPORT" -n "$N" --sport "$FIXED" >"$WORK/$1.json"
}

# fixed_case NAME TOL VERSION=PCT...: burst_at, then check_share.
fixed_case() {
	local name=$1
	shift
	if burst_at "$name"; then
		check_share "$name" "$name" "$N" "$@"
	else
		fail "$name" "client.py burst failed"
	fi
}

# flows_list_case NAME MIN: `flows list -j --service prod-service` has
# every documented key and at least MIN open TCP flows on v2.
flows_list_case() {
	local res
	if res=$(cb -j flows list --service prod-service --limit 0 2>&1 |
		"$PY" -c '
import json, sys
d = json.load(sys.stdin)
keys = {"protocol", "client", "client_port", "vip", "port", "service",
        "service_id", "version", "endpoint", "endpoint_port", "snat_port",
        "state", "idle_s", "expired"}
bad = [f for f in d["flows"] if set(f) != keys]
v2 = [f for f in d["flows"] if f["version"] == "v2" and f["state"] == "open"
      and not f["expired"]]
print("%d flows, %d open on v2, total %d" % (len(d["flows"]), len(v2),
                                             d["total"]))
sys.exit(1 if bad or len(v2) < int(sys.argv[1]) or
         d["total"] != len(d["flows"]) else 0)' "$2"); then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "$res"
	fi
}

e2e_setup
write_yaml "$WORK/v2_100.yaml" 0 100
write_yaml "$WORK/v2_50.yaml" 50 50
attach_case attach_native native
expect apply_v2_100 cb apply -f "$WORK/v2_100.yaml"
hold_start 100
if hold_cmd "" hold_open; then
	check_share held_open_on_v2 hold_open 100 0 v1=0 v2=100
else
	fail held_open_on_v2 "no answer from client.py hold"
fi
take_ports "$N" || bail "out of source ports"
FIXED=$SPORT_AT

expect apply_50_50 cb apply -f "$WORK/v2_50.yaml"
fixed_case fixed_ports_50_50 5 v1=50 v2=50
expect rollback_v2_0 cb set-weight prod-service v2=0
fixed_case fixed_ports_after_rollback_none_on_v2 0 v1=100 v2=0
held_case held_on_v2_kept_through_rollback 100
flows_list_case flows_list_shows_held_on_v2 100

expect back_to_50_50 cb set-weight prod-service v2=50
fixed_case fixed_ports_50_50_again 5 v1=50 v2=50
expect pin_client_v1 cb pin prod-service 10.0.0.2/32 v1
fixed_case fixed_ports_after_pin_none_on_v2 0 v1=100 v2=0
held_case held_on_v2_kept_through_pin 100
hold_quit
finish
