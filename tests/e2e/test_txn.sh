#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Config transactions and canary_txn (include/canary.h): a change of one
# service writes its spare config slot and flips that service alone
# (another service's entry stays as it was); a transaction killed half
# way leaves nothing behind once the next one has run; and the RCU wait
# happens after the flips, recorded so that back-to-back changes do not
# wait before writing.
#
# No traffic: a private bpffs, and the CLI writing pinned maps.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BIG=3000  # services in the apply that gets killed: enough that the kill lands before its flips

ctl() { "$CANARY_BIN" --pin-dir "$PIN_DIR" "$@"; }

# gen_yaml N FIRST: N services svc-FIRST.., 2 versions x 20 endpoints each
# (more than CANARY_HRW_MAX: Maglev tables, whose build makes the big
# apply slow enough to kill half way, and whose chunks orphans() checks).
gen_yaml() {
	"$PY" - "$1" "$2" <<-'EOF'
	import sys
	n, first = int(sys.argv[1]), int(sys.argv[2])
	print("services:")
	for s in range(first, first + n):
	    print(f"  - name: svc-{s}\n    vip: 10.96.{s // 250}.{s % 250 + 1}\n    port: 80")
	    print("    protocol: tcp\n    versions:")
	    for v in (1, 2):
	        eps = ", ".join(f"10.{128 + i // 65536}.{i // 256 % 256}.{i % 256}:8080"
	                        for i in (s * 40 + (v - 1) * 20 + e for e in range(20)))
	        print(f"      - name: v{v}\n        weight: {90 if v == 1 else 10}\n        endpoints: [{eps}]")
	EOF
}

# svc_entry N: "slot prev_slot flip_ns" of the canary_svc_v2 entry of
# svc-N (VIP 10.96.N/250.N%250+1, port 80).
svc_entry() {
	bpftool -j map dump pinned "$PIN_DIR/canary_svc_v2" | "$PY" -c '
import json, socket, sys
n = int(sys.argv[1])
vip = int.from_bytes(socket.inet_aton(f"10.96.{n // 250}.{n % 250 + 1}"), "little")
for e in json.load(sys.stdin):
    k, v = e["formatted"]["key"], e["formatted"]["value"]
    if k["vip"] == vip:
        print(v["slot"], v["prev_slot"], v["flip_ns"])' "$1"
}

# map_count MAP: entries of pinned MAP.
map_count() {
	bpftool -j map dump pinned "$PIN_DIR/$1" 2>/dev/null | "$PY" -c '
import json, sys
print(len(json.load(sys.stdin)))'
}

# orphans: entries of canary_ver, canary_ring_v2 and canary_backend that
# belong to no service, live slots without their versions, and versions
# whose tables are missing or incomplete. Prints them (nothing when
# clean) and the entry counts.
orphans() {
	local m
	for m in canary_svc_v2 canary_ver canary_ring_v2 canary_backend canary_gen; do
		bpftool -j map dump pinned "$PIN_DIR/$m" >"$WORK/$m.json" ||
			{ echo "bpftool dump of $m failed"; return 1; }
	done
	"$PY" - "$WORK" <<-'EOF'
	import json, sys
	w = sys.argv[1]
	load = lambda m: [e["formatted"] for e in json.load(open(f"{w}/{m}.json"))]
	svc, ver, ring, be = load("canary_svc_v2"), load("canary_ver"), load("canary_ring_v2"), load("canary_backend")
	gen = load("canary_gen")[0]["value"]["active"]
	ids = {e["value"]["live"]["id"] for e in svc}
	live = {(e["value"]["slot"], e["value"]["live"]["id"]) for e in svc}
	bad = [f"ver {e['key']}" for e in ver if e["key"]["svc_id"] not in ids]
	bad += [f"ring {e['key']}" for e in ring if e["key"]["svc_id"] not in ids]
	have = {(e["key"]["gen"], e["key"]["svc_id"]) for e in ver}
	bad += [f"live slot {s} of id {i} has no versions" for s, i in live if (s, i) not in have]
	eps = {(ep["addr"], ep["port"]) for e in ver if (e["key"]["gen"], e["key"]["svc_id"]) in live
	       for ep in e["value"]["ep"][:e["value"]["n_endpoints"]]}
	bad += [f"backend {e['key']}" for e in be
	        if e["key"]["gen"] == gen and (e["key"]["addr"], e["key"]["port"]) not in eps]
	chunks = {}
	for e in ring:
	    k = (e["key"]["gen"], e["key"]["svc_id"], e["key"]["version"])
	    chunks[k] = chunks.get(k, 0) + 1
	# a table of ring_size slots: that many 4 KiB chunks, no more, no fewer
	want = {(e["key"]["gen"], e["key"]["svc_id"], e["key"]["version"]):
	        (e["value"]["ring_size"] + 4095) // 4096 for e in ver}
	bad += [f"ring {k}: {n} chunks, want {want.get(k)}" for k, n in chunks.items()
	        if n != want.get(k)]
	bad += [f"ver {e['key']} has no table" for e in ver if e["value"]["ring_size"]
	        and (e["key"]["gen"], e["key"]["svc_id"], e["key"]["version"]) not in chunks]
	print(f"{len(svc)} svc, {len(ver)} ver, {len(ring)} ring, {len(be)} backend entries")
	for b in bad[:5]:
	    print(b)
	sys.exit(1 if bad else 0)
	EOF
}

# plant_orphan SLOT: a canary_ver entry of config slot SLOT for id 9999.
plant_orphan() {
	local key value
	key=$(printf '0x%02x ' $((9999 & 255)) $((9999 >> 8)) 0 0 0 "$1" 0 0)
	value=$(printf '0x01 0x00 0x01 0x00 0x00 0x00 0x00 0x00 0x0a 0x80 0x00 0x01 0x1f 0x90 0x00 0x00 ')
	value+=$(printf '0x00 %.0s' $(seq $((8 * 127))))
	# shellcheck disable=SC2086 # one argument per byte
	bpftool map update pinned "$PIN_DIR/canary_ver" key $key value $value
}

# txn_state: "busy quiet_flip_ns" from canary_txn.
txn_state() {
	bpftool -j map dump pinned "$PIN_DIR/canary_txn" | "$PY" -c '
import json, sys
t = json.load(sys.stdin)[0]["formatted"]["value"]
print(t["busy"], t["quiet_flip_ns"])'
}

e2e_init
need_cli
command -v bpftool >/dev/null || bail "missing tool: bpftool"
pin_mount || bail "bpffs mount failed"
gen_yaml 2 0 >"$WORK/small.yaml"
gen_yaml "$BIG" 100 >"$WORK/big.yaml"
expect apply_small ctl apply -f "$WORK/small.yaml"
read -r s0 p0 f0 <<<"$(svc_entry 0)"
read -r s1 p1 f1 <<<"$(svc_entry 1)"
expect set_weight ctl set-weight svc-0 v2=20
read -r s0b p0b f0b <<<"$(svc_entry 0)"
expect set_weight_again ctl set-weight svc-0 v2=30
read -r s0c p0c f0c <<<"$(svc_entry 0)"

# svc-0 went through its three slots, each flip keeping the one before
# as the previous slot; svc-1 was not written at all.
if [ -n "$s0c" ] && [ "$s0" = "$p0" ] && [ "$p0b" = "$s0" ] && [ "$s0b" != "$s0" ] &&
	[ "$p0c" = "$s0b" ] && [ "$s0c" != "$s0b" ] && [ "$s0c" != "$s0" ] &&
	[ "$f0" -lt "$f0b" ] && [ "$f0b" -lt "$f0c" ]; then
	pass flip_cycles_slots
	info "flip_cycles_slots: svc-0 slots $s0 -> $s0b -> $s0c"
else
	fail flip_cycles_slots "svc-0: $s0/$p0 -> $s0b/$p0b -> $s0c/$p0c, flips $f0 $f0b $f0c"
fi
if [ "$(svc_entry 1)" = "$s1 $p1 $f1" ]; then
	pass other_service_untouched
else
	fail other_service_untouched "svc-1 was '$s1 $p1 $f1', now '$(svc_entry 1)'"
fi

# Each transaction is recorded quiet (its RCU wait done) and not busy by
# the process that made it.
read -r busy quiet <<<"$(txn_state)"
if [ "$busy" = 0 ] && [ -n "$quiet" ] && [ "$quiet" -ge "$f0c" ]; then
	pass txn_records_flip
	info "txn_records_flip: quiet since $quiet, last flip $f0c"
else
	fail txn_records_flip "busy=$busy quiet=$quiet flip=$f0c"
fi
if res=$(orphans); then pass no_orphans_after_changes; info "no_orphans_after_changes: $res"
else fail no_orphans_after_changes "$res"; fi

# Endpoints change, then weights: each slot gets a new table for the
# changed version and keeps or copies the others.
sed 's/10.128.0.0:8080, //' "$WORK/small.yaml" >"$WORK/fewer.yaml"
expect apply_fewer_endpoints ctl apply -f "$WORK/fewer.yaml"
for w in 21 22 23; do
	expect "set_weight_$w" ctl set-weight svc-0 "v2=$w"
done
if res=$(orphans); then pass tables_after_endpoint_change; info "tables_after_endpoint_change: $res"
else fail tables_after_endpoint_change "$res"; fi
n=$(ctl -j status svc-0 | "$PY" -c '
import json, sys
print(len(json.load(sys.stdin)["services"][0]["versions"][0]["endpoints"]))')
if [ "$n" = 19 ]; then pass endpoint_removed; else fail endpoint_removed "v1 lists $n endpoints, want 19"; fi
# Down to CANARY_HRW_MAX (16) endpoints: the version picks by rendezvous,
# its entry says no table and the rewritten slot keeps no chunk of it
# (orphans() counts them against ring_size).
sed 's/10.128.0.[0-3]:8080, //g' "$WORK/small.yaml" >"$WORK/sixteen.yaml"
expect apply_sixteen_endpoints ctl apply -f "$WORK/sixteen.yaml"
if res=$(orphans); then pass no_table_at_16_endpoints; info "no_table_at_16_endpoints: $res"
else fail no_table_at_16_endpoints "$res"; fi
expect apply_small_again ctl apply -f "$WORK/small.yaml"

# A big apply, killed once it has written services into their slots,
# before it flipped them (600 new services, then the small two removed).
nver=$(map_count canary_ver)
"$CANARY_BIN" --pin-dir "$PIN_DIR" apply -f "$WORK/big.yaml" >/dev/null 2>&1 &
APID=$!   # the CLI itself, not a subshell: kill -9 must hit it
PIDS+=("$APID")
n=0
for _ in $(seq 200); do
	n=$(map_count canary_ver)
	[ "${n:-0}" -ge $((nver + 10)) ] && break
	kill -0 "$APID" 2>/dev/null || break
	sleep 0.02
done
kill -9 "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
PIDS=()
read -r busy _ <<<"$(txn_state)"
nsvc=$(map_count canary_svc_v2)
if [ "${n:-0}" -ge $((nver + 10)) ] && [ "$busy" = 1 ] && [ "$nsvc" = 2 ]; then
	pass killed_apply_left_partial
	info "killed_apply_left_partial: $((n - nver)) version entries written, $nsvc services live"
else
	fail killed_apply_left_partial "version entries $nver -> $n, busy=$busy, $nsvc services live"
fi
# Whatever the kill interrupted (a Maglev table without its version entry,
# say), one such entry for certain: a version of service id 9999.
plant_orphan 1 || fail plant_orphan "bpftool map update failed"
if orphans >/dev/null; then fail orphan_planted "orphans() did not see it"; fi
expect status_after_kill ctl status svc-0
expect apply_after_kill ctl apply -f "$WORK/small.yaml"
expect set_weight_after_kill ctl set-weight svc-1 v2=40
if res=$(orphans); then pass killed_apply_leaves_nothing; info "killed_apply_leaves_nothing: $res"
else fail killed_apply_leaves_nothing "$res"; fi
if ctl -j status | "$PY" -c '
import json, sys
s = json.load(sys.stdin)["services"]
w = {x["name"]: x["versions"][1]["weight"] for x in s}
sys.exit(0 if w == {"svc-0": 10.0, "svc-1": 40.0} else 1)'; then
	pass weights_after_kill
else
	fail weights_after_kill "$(ctl status 2>&1 | head -n 6)"
fi
# A re-apply of the running file writes nothing: no flip, no entry; a
# file with one service changed writes that one.
digest() {
	local m
	for m in "$PIN_DIR"/canary_*; do
		[ -f "$m" ] || continue
		echo "$m"
		bpftool -j map dump pinned "$m" || echo "dump failed"
	done | md5sum
}
# flip_stamp: canary_gen's stamp of the last transaction.
flip_stamp() {
	bpftool -j map dump pinned "$PIN_DIR/canary_gen" | "$PY" -c '
import json, sys
v = json.load(sys.stdin)[0]["formatted"]["value"]
print(v["prev_until_ns"] - v["grace_ns"])'
}
expect apply_file_again ctl apply -f "$WORK/small.yaml"
before=$(digest)
expect reapply_same ctl apply -f "$WORK/small.yaml"
[ "$(digest)" = "$before" ] && pass reapply_writes_nothing ||
	fail reapply_writes_nothing "maps changed"
sed '/name: svc-1$/,$ s/weight: 90/weight: 75/; /name: svc-1$/,$ s/weight: 10$/weight: 25/' \
	"$WORK/small.yaml" >"$WORK/one.yaml"
flip=$(flip_stamp)
expect apply_one_changed ctl apply -f "$WORK/one.yaml"
flip2=$(flip_stamp)
if [ -n "$flip" ] && [ "$flip2" != "$flip" ] && ctl -j status | "$PY" -c '
import json, sys
s = json.load(sys.stdin)["services"]
w = {x["name"]: x["versions"][1]["weight"] for x in s}
sys.exit(0 if w == {"svc-0": 10.0, "svc-1": 25.0} else 1)'; then
	pass apply_one_changed_written
else
	fail apply_one_changed_written "flip $flip -> $flip2: $(ctl status 2>&1 | head -n 8)"
fi
head -n "$(grep -n 'name: svc-1$' "$WORK/one.yaml" | cut -d: -f1)" "$WORK/one.yaml" |
	head -n -1 >"$WORK/first.yaml"
expect apply_drops_one ctl apply -f "$WORK/first.yaml"
[ "$(ctl -j status | "$PY" -c 'import json,sys; print([x["name"] for x in json.load(sys.stdin)["services"]])')" = "['svc-0']" ] &&
	pass apply_removes_unnamed || fail apply_removes_unnamed "$(ctl status 2>&1 | head -n 4)"
finish
