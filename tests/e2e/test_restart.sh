#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Restarts and upgrades lose nothing. While a client streams numbered UDP
# datagrams (2000/s for 10 s over 8 flows, echoed by the pods) and holds 100
# TCP connections through the VIP: attach is re-run four times (each run
# loads the programs afresh and swaps them into the live links with
# bpf_link_update: what an upgrade to a newer build does), the same file
# is applied after each, and one apply is killed with SIGKILL halfway and
# then re-run. Every datagram must come back, no flow may change pod, every
# held connection must still answer from its first pod, the programs on n0
# must have been replaced and the counters kept.
# Also: a pin dir holding a canary_flow_v3 of another layout is refused with a
# message naming the map, exit 1, and nothing attached.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RATE=2000
# The stream runs until the churn below is done (four re-attaches, each
# verifying the programs again, and the applies between them), at most
# this long.
SECONDS_UDP=90
FLOWS=8

# xdp_prog IFACE: the id of the XDP program on IFACE in the node ns.
xdp_prog() {
	ip -n "$NS_NODE" -j -d link show "$1" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id", 0))'
}

# counter NAME: one node-wide counter from "-j status".
counter() {
	cb -j status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}

# killed_apply: an apply killed with SIGKILL 30 ms in (mid-transaction,
# or earlier or later: any point must be safe), then a clean one.
killed_apply() {
	local pid
	nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$PIN_DIR" apply -f "$WORK/cfg.yaml" \
		>/dev/null 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 0.03
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset 'PIDS[${#PIDS[@]}-1]'
	expect reapply_after_sigkill cb apply -f "$WORK/cfg.yaml"
}

# churn: the restarts, spread over the stream.
churn() {
	local i
	for i in 1 2 3 4; do
		sleep 0.5
		attach_case "reattach_$i" native
		expect "reapply_$i" cb apply -f "$WORK/cfg.yaml"
		[ "$i" -eq 2 ] && killed_apply
	done
}

stream_case() {
	local res
	if ! [ -s "$WORK/stream.json" ]; then
		fail udp_no_datagram_lost "client.py stream gave no result"
	elif res=$("$PY" -c '
import json, sys
r = json.load(sys.stdin)
print(json.dumps(r))
sys.exit(0 if r["sent"] >= int(sys.argv[1]) and r["lost"] == 0
         and r["send_errors"] == 0 and r["bad_source"] == 0 else 1)' \
		"$((RATE * 2))" <"$WORK/stream.json"); then
		pass udp_no_datagram_lost
		info "udp_no_datagram_lost: $res"
	else
		fail udp_no_datagram_lost "$res"
	fi
	if "$PY" -c 'import json,sys; sys.exit(json.load(sys.stdin)["flows_moved"])' \
		<"$WORK/stream.json"; then
		pass udp_flows_kept_their_pod
	else
		fail udp_flows_kept_their_pod "$(cat "$WORK/stream.json")"
	fi
}

# incompatible_case: a fresh pin dir with a canary_flow_v3 of 32-byte values.
incompatible_case() {
	local dir=$PIN_DIR/incompat out rc=0
	mkdir -p "$dir" &&
		sys bpftool map create "$dir/canary_flow_v3" type lru_hash key 16 \
			value 32 entries 1024 name canary_flow_v3 ||
		{ fail incompatible_layout_refused "could not make the map"; return; }
	out=$(nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$dir" attach up0 2>&1) || rc=$?
	if [ "$rc" -ne 1 ]; then
		fail incompatible_layout_refused "exit $rc, want 1: ${out:0:200}"
	elif ! [[ $out =~ "map 'canary_flow_v3'".*"does not match" ]]; then
		fail incompatible_layout_refused "message does not name the map: ${out:0:200}"
	elif [ "$(xdp_prog up0)" != 0 ] ||
		[ -n "$(nsx "$NS_NODE" bpftool net show dev up0 | grep -E 'xdp|tcx|tc' | grep -v '^[a-z]*:$')" ] ||
		[ "$(ls "$dir")" != canary_flow_v3 ]; then
		fail incompatible_layout_refused "something was attached or pinned: $(ls "$dir")"
	else
		pass incompatible_layout_refused
		info "incompatible_layout_refused: $out"
	fi
}

e2e_setup
{
	echo "services:"
	yaml_service prod-service tcp 75 25
	yaml_service prod-udp udp 75 25 5053
} >"$WORK/cfg.yaml"
attach_case attach_native native
expect apply_tcp_and_udp cb apply -f "$WORK/cfg.yaml"

hold_start 100
if hold_cmd "" hold_open; then
	check_share hold_opened hold_open 100 100 v1=75 v2=25
else
	fail hold_opened "no answer from client.py hold"
fi
prog_before=$(xdp_prog n0)
translated_before=$(counter translated)

take_ports "$FLOWS"
nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" stream --vip "$VIP" --port "$VPORT" \
	--sport "$SPORT_AT" --rate "$RATE" --seconds "$SECONDS_UDP" \
	--flows "$FLOWS" --timeout 3 --until "$WORK/stream.stop" >"$WORK/stream.json" &
stream_pid=$!
PIDS+=("$stream_pid")
churn
# The churn is only a test if the stream was still running through it.
if kill -0 "$stream_pid" 2>/dev/null; then
	pass restarts_during_stream
else
	fail restarts_during_stream "the stream ended before the last restart"
fi
: >"$WORK/stream.stop"
wait "$stream_pid"
stream_case
held_case tcp_connections_kept 100
prog_after=$(xdp_prog n0)
if [ "$prog_before" != 0 ] && [ "$prog_after" != 0 ] &&
	[ "$prog_before" != "$prog_after" ]; then
	pass programs_replaced_in_place
	info "programs_replaced_in_place: XDP program $prog_before -> $prog_after"
else
	fail programs_replaced_in_place "XDP program $prog_before -> $prog_after"
fi
sent=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["sent"])' <"$WORK/stream.json" 2>/dev/null)
counter_case counters_kept "c['translated'] >= $translated_before + ${sent:-1} and c['errors'] == 0"
incompatible_case
hold_quit
finish
