#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Concurrent writers on one pin dir end in one consistent state, never a
# mix: 50 set-weight calls with 50 different values, 5 applies of a file
# with yet another value and 10 status readers all start at once. The CLI
# serializes writers with a flock on the pin dir (user/dataplane/state.c lock_dir).
# Afterwards every call has succeeded, the weights are exactly one of the
# requested values, and the live slot's canary_svc_v2, canary_ver and
# canary_meta entries agree with each other and with status. Readers take
# no lock (user/dataplane/state_read.c): each status read during the storm
# shows one whole config (weights totalling 100, one of the requested
# values), and status answers while another process holds the pin dir's
# lock, which a writer waits for.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N_SET=50
N_APPLY=5
N_STATUS=10
APPLY_V1=62.5   # apply's weights: no set-weight call asks for these
APPLY_V2=37.5

# node_up: the node ns and a pin dir; no traffic is needed.
node_up() {
	NSS+=("$NS_NODE")
	sys ip netns add "$NS_NODE" && pin_mount
}

# storm: all calls at once, in the background; waits for them (each is
# bounded by timeout) and writes one "rc what" line per call.
storm() {
	local i pids=() what=()
	for i in $(seq 1 "$N_SET"); do
		timeout 60 "$CANARY_BIN" --pin-dir "$PIN_DIR" set-weight prod-service \
			"v2=$i.25" >/dev/null 2>"$WORK/err.set$i" &
		pids+=("$!")
		what+=("set-weight v2=$i.25")
		if [ "$i" -le "$N_APPLY" ]; then
			timeout 60 "$CANARY_BIN" --pin-dir "$PIN_DIR" apply \
				-f "$WORK/apply.yaml" >/dev/null 2>"$WORK/err.apply$i" &
			pids+=("$!")
			what+=("apply $i")
		fi
		if [ "$i" -le "$N_STATUS" ]; then
			timeout 60 "$CANARY_BIN" --pin-dir "$PIN_DIR" -j status \
				>"$WORK/status.$i" 2>&1 &
			pids+=("$!")
			what+=("status $i")
		fi
	done
	PIDS+=("${pids[@]}")
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		echo "$? ${what[$i]}"
	done >"$WORK/rcs"
	PIDS=()
}

# meta_of SLOT ID: canary_meta's entry for service ID in config slot SLOT.
meta_of() {
	local idx=$(($1 * 16384 + $2))
	bpftool -j map lookup pinned "$PIN_DIR/canary_meta_v3" key \
		$((idx & 255)) $((idx >> 8 & 255)) $((idx >> 16 & 255)) $((idx >> 24))
}

# consistent: the live slot's entries against each other, status
# and the requested values. Prints what it found.
consistent() {
	local gen id
	cb -j status >"$WORK/status.final" || { echo "status failed"; return 1; }
	bpftool -j map dump pinned "$PIN_DIR/canary_svc_v2" >"$WORK/svc.json" &&
	bpftool -j map dump pinned "$PIN_DIR/canary_ver" >"$WORK/ver.json" ||
		{ echo "bpftool map dump failed"; return 1; }
	gen=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["slot"])' \
		<"$WORK/svc.json") || { echo "no live slot"; return 1; }
	id=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["id"])' \
		<"$WORK/status.final") || { echo "no service in status"; return 1; }
	meta_of "$gen" "$id" >"$WORK/meta.json" || { echo "meta lookup failed"; return 1; }
	"$PY" - "$WORK" "$gen" "$N_SET" "$APPLY_V2" <<-'EOF'
	import json, sys
	work, gen, n_set, apply_v2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
	st = json.load(open(f"{work}/status.final"))
	svc = [e["formatted"] for e in json.load(open(f"{work}/svc.json"))]
	ver = [e["formatted"] for e in json.load(open(f"{work}/ver.json"))
	       if e["formatted"]["key"]["gen"] == gen]
	meta = json.load(open(f"{work}/meta.json"))["formatted"]["value"]
	s = st["services"][0]
	w = [round(v["weight"] * 100) for v in s["versions"]]
	allowed = {round((i + 0.25) * 100) for i in range(1, n_set + 1)} | {round(apply_v2 * 100)}
	errs = []
	if len(st["services"]) != 1 or len(svc) != 1:
	    errs.append(f"{len(st['services'])} services in status, {len(svc)} in canary_svc")
	if w[1] not in allowed or w[0] + w[1] != 10000:
	    errs.append(f"weights {w} are no requested value")
	if meta["in_use"] != 1 or meta["weight_bps"][:2] != w:
	    errs.append(f"canary_meta weights {meta['weight_bps'][:2]} != status {w}")
	if svc and svc[0]["value"]["live"]["cum_bps"][:2] != [w[0], 10000]:
	    errs.append(f"canary_svc_v2 cum_bps {svc[0]['value']['live']['cum_bps']} != {w}")
	n_eps = sorted((v["key"]["version"], v["value"]["n_endpoints"]) for v in ver
	               if v["key"]["svc_id"] == s["id"])
	if n_eps != [(0, 3), (1, 1)]:
	    errs.append(f"canary_ver endpoints {n_eps}, want v1: 3, v2: 1")
	print(f"slot {gen}: v1={w[0] / 100} v2={w[1] / 100}; " + "; ".join(errs))
	sys.exit(1 if errs else 0)
	EOF
}

e2e_init
need_cli
command -v bpftool >/dev/null || bail "missing tool: bpftool"
node_up || bail "node namespace setup failed"
write_yaml "$WORK/seed.yaml" 75 25
write_yaml "$WORK/apply.yaml" "$APPLY_V1" "$APPLY_V2"
expect apply_seed cb apply -f "$WORK/seed.yaml"

start=$(date +%s%N)
storm
ms=$((($(date +%s%N) - start) / 1000000))
n=$(wc -l <"$WORK/rcs")
bad=$(grep -v '^0 ' "$WORK/rcs" | head -n 3)
if [ "$n" -eq $((N_SET + N_APPLY + N_STATUS)) ] && [ -z "$bad" ]; then
	pass concurrent_calls_all_succeed
	info "concurrent_calls_all_succeed: $n calls in $ms ms"
else
	fail concurrent_calls_all_succeed "$n calls, failed: $bad $(cat "$WORK"/err.* | head -n 2)"
fi
# whole_config: a status -j on stdin shows one requested config.
whole_config='
import json, sys
n_set, apply_v2 = int(sys.argv[1]), float(sys.argv[2])
w = [round(v["weight"] * 100) for v in json.load(sys.stdin)["services"][0]["versions"]]
ok = {round((i + 0.25) * 100) for i in range(1, n_set + 1)} | {round(apply_v2 * 100), 2500}
sys.exit(0 if w[0] + w[1] == 10000 and w[1] in ok else 1)'
bad=""
for i in $(seq 1 "$N_STATUS"); do
	"$PY" -c "$whole_config" "$N_SET" "$APPLY_V2" <"$WORK/status.$i" >/dev/null 2>&1 ||
		bad="$bad status.$i"
done
if [ -z "$bad" ]; then pass concurrent_status_readable; else
	fail concurrent_status_readable "unreadable:$bad"; fi
# A writer holds the lock (flock on the pin dir, as lock_dir() takes
# it): status still answers, set-weight waits (and times out here). One
# process holds it, so that killing it frees the lock and the pin dir:
# "flock DIR sleep 30" would leave its sleep holding both, and the
# bpffs could not be unmounted at the end.
( exec 9<"$PIN_DIR" && flock -x 9 && exec sleep 30 ) &
holder=$!
PIDS+=("$holder")
sleep 0.5
if out=$(timeout 10 "$CANARY_BIN" --pin-dir "$PIN_DIR" -j status prod-service 2>&1) &&
	echo "$out" | "$PY" -c 'import json,sys; assert json.load(sys.stdin)["services"][0]["name"] == "prod-service"' &&
	timeout 10 "$CANARY_BIN" --pin-dir "$PIN_DIR" status >/dev/null 2>&1; then
	pass status_without_lock
else
	fail status_without_lock "status under a held lock: $out"
fi
timeout 2 "$CANARY_BIN" --pin-dir "$PIN_DIR" set-weight prod-service v2=33 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 124 ] && pass writer_waits_for_lock ||
	fail writer_waits_for_lock "set-weight under a held lock exited $rc, want 124 (timeout)"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
if res=$(consistent); then
	pass final_state_consistent
	info "final_state_consistent: $res"
else
	fail final_state_consistent "$res"
fi
finish
