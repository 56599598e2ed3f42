#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Per-service config slots under traffic: service "flip" alternates, 20
# times, between two configs that share no endpoint and differ in both
# weights and tables:
#   X: v1 = [hello-v1-0] at 100 %, v2 = [hello-v1-1] at 0 %
#   Y: v1 = [hello-v1-2] at 0 %,   v2 = [hello-v2-0] at 100 %
# while fresh connections to it run. A packet that read X's weights with
# Y's tables would reach hello-v1-2, Y's weights with X's tables
# hello-v1-1: neither may answer any connection (never a mix), and both
# configs must have answered some. A connection in flight to a pod that a
# change removes (not drains) may fail: at most 2 % may. Service "other"
# (another VIP, all four pods) is in the same file, unchanged: its
# canary_svc_v2 entry is never rewritten and every connection to it
# succeeds. Alternately by apply -f
# (whole transactions) and by set-weight + endpoints set (one-service
# ones, which flip twice: those intermediate configs only use X's or Y's
# pods for the versions they weigh).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

OTHER=10.96.0.11
ROUNDS=12

# conf_yaml X|Y: both services, "flip" in config X or Y.
conf_yaml() {
	local w1=100 w2=0 e1=${POD_IPS[0]} e2=${POD_IPS[1]}
	[ "$1" = Y ] && { w1=0; w2=100; e1=${POD_IPS[2]}; e2=${POD_IPS[3]}; }
	cat <<-EOF
	services:
	  - name: flip
	    vip: $VIP
	    port: $VPORT
	    versions:
	      - {name: v1, weight: $w1, endpoints: [$e1:5050]}
	      - {name: v2, weight: $w2, endpoints: [$e2:5050]}
	  - name: other
	    vip: $OTHER
	    port: $VPORT
	    versions:
	      - name: v1
	        weight: 100
	        endpoints: [${POD_IPS[0]}:5050, ${POD_IPS[1]}:5050, ${POD_IPS[2]}:5050, ${POD_IPS[3]}:5050]
	EOF
}

# other_entry: the canary_svc_v2 entry of "other" (slot and flip time).
other_entry() {
	nsx "$NS_NODE" bpftool -j map dump pinned "$PIN_DIR/canary_svc_v2" | "$PY" -c '
import json, socket, sys
vip = int.from_bytes(socket.inet_aton(sys.argv[1]), "little")
for e in json.load(sys.stdin):
    if e["formatted"]["key"]["vip"] == vip:
        v = e["formatted"]["value"]
        print(v["slot"], v["prev_slot"], v["flip_ns"])' "$OTHER"
}

# burst_bg OUT N VIP: client.py burst of N fresh connections in the
# background (its PID in BURST_PID).
burst_bg() {
	take_ports "$2" || return 1
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" burst --vip "$3" \
		--port "$VPORT" -n "$2" --sport "$SPORT_AT" --parallel 8 \
		>"$WORK/$1.json" &
	BURST_PID=$!
	PIDS+=("$BURST_PID")
}

# flip_to X|Y MODE: service flip to config X or Y, by apply (MODE file)
# or by set-weight and endpoints set (MODE one).
flip_to() {
	if [ "$2" = file ]; then
		cb apply -f "$WORK/$1.yaml" >/dev/null
		return
	fi
	if [ "$1" = Y ]; then
		cb endpoints set flip v2 "${POD_IPS[3]}:5050" >/dev/null &&
		cb set-weight flip v1=0 v2=100 >/dev/null &&
		cb endpoints set flip v1 "${POD_IPS[2]}:5050" >/dev/null
	else
		cb endpoints set flip v1 "${POD_IPS[0]}:5050" >/dev/null &&
		cb set-weight flip v1=100 v2=0 >/dev/null &&
		cb endpoints set flip v2 "${POD_IPS[1]}:5050" >/dev/null
	fi
}

# flips MODE: ROUNDS changes of "flip" while connections run to both
# services; results in $WORK/flip-MODE.json and other-MODE.json.
flips() {
	local mode=$1 i c=X bad=0
	burst_bg "flip-$mode" 3000 "$VIP" || return 1
	local fpid=$BURST_PID
	burst_bg "other-$mode" 1500 "$OTHER" || return 1
	local opid=$BURST_PID
	for i in $(seq "$ROUNDS"); do
		c=$([ "$c" = X ] && echo Y || echo X)
		flip_to "$c" "$mode" || bad=$((bad + 1))
		sleep 0.3
	done
	wait "$fpid" || bad=$((bad + 1))
	wait "$opid" || bad=$((bad + 1))
	[ "$bad" -eq 0 ]
}

# no_mix_case NAME MODE: the connections to "flip" reached only X's v1 pod
# and Y's v2 pod, both; those to "other" all succeeded.
no_mix_case() {
	local res
	if res=$("$PY" - "$WORK/flip-$2.json" "$WORK/other-$2.json" <<-'PY'
	import json, sys
	f, o = (json.load(open(p)) for p in sys.argv[1:3])
	pods = f.get("pods", {})
	bad = {p: n for p, n in pods.items() if p in ("hello-v1-1", "hello-v1-2")}
	ok = pods.get("hello-v1-0", 0) > 0 and pods.get("hello-v2-0", 0) > 0
	print(f"flip: {pods}, {f['errors']} errors; other: {o.get('pods')}, {o['errors']} errors")
	sys.exit(0 if not bad and ok and f["errors"] <= 0.02 * f["total"] and
	         not o["errors"] else 1)
	PY
	); then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "$res"
	fi
}

e2e_setup
command -v bpftool >/dev/null || bail "missing tool: bpftool"
conf_yaml X >"$WORK/X.yaml"
conf_yaml Y >"$WORK/Y.yaml"
attach_case attach_native native
expect apply_x cb apply -f "$WORK/X.yaml"
before=$(other_entry)
if flips file; then pass flips_by_apply; else fail flips_by_apply "a change or a burst failed"; fi
no_mix_case never_a_mix_by_apply file
cb apply -f "$WORK/X.yaml" >/dev/null
if flips one; then pass flips_by_one_service; else fail flips_by_one_service "a change or a burst failed"; fi
no_mix_case never_a_mix_by_one_service one
after=$(other_entry)
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	pass other_service_untouched
	info "other_service_untouched: slot, previous slot, flip: $after"
else
	fail other_service_untouched "entry was '$before', now '$after'"
fi
finish
