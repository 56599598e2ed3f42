#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Part 4 of the benchmarks: the control plane. Prints name=value lines;
# always exits 0 (targets say met or MISSED).
#
#   bench/ctl.sh [CANARY_BIN]
#
# Uses a private bpffs under /tmp as --pin-dir (no attach, no traffic, no
# network change: the CLI only writes pinned maps). Needs .output/bench/
# timeexec and split (make -f bench/Makefile.inc).
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${1:-$PWD/canary-bpf}
TX=$PWD/.output/bench/timeexec
RUNS=${CTL_RUNS:-100}   # set-weight runs with one service
RUNS_BIG=${CTL_RUNS_BIG:-20} # with 1,000 services (each run is slower)
APPLY_ROUNDS=3          # fresh apply + re-apply rounds
# shellcheck source-path=SCRIPTDIR source=lib.sh
. bench/lib.sh

# v2_weight PIN SVC: the canary's weight as status -j reads it from the maps.
v2_weight() {
	"$BIN" --pin-dir "$1" -j status "$2" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
print(s["versions"][1]["weight"])'
}

# set_weight_case TAG PIN SVC: RUNS timed set-weight runs back to back,
# alternating 10 % and 20 %, checking every 10th that the map holds the
# new weight. Two figures per run: start to the flip that made the weight
# live (timeexec --gen-map reads the flip's stamp from canary_gen), and
# the whole process (it waits for an RCU grace period after the flip).
set_weight_case() {
	local tag=$1 pin=$2 svc=$3 runs=$4 i w bad=0 f=$WORK/sw.$1
	: >"$f"
	: >"$f.wall"
	for i in $(seq "$runs"); do
		w=$((i % 2 ? 20 : 10))
		"$TX" --gen-map "$pin/canary_gen" "$BIN" --pin-dir "$pin" \
			set-weight "$svc" "v2=$w" >"$WORK/tx" || bad=$((bad + 1))
		sed -n 's/^visible_us=//p' "$WORK/tx" | awk '$1 >= 0 { print $1 / 1000 }' >>"$f"
		grep -q '^visible_us=[0-9]' "$WORK/tx" || bad=$((bad + 1))
		sed -n 's/^wall_us=//p' "$WORK/tx" | awk '{ print $1 / 1000 }' >>"$f.wall"
		if [ $((i % 10)) -eq 0 ] && [ "$(v2_weight "$pin" "$svc")" != "$w.0" ]; then
			bad=$((bad + 1))
		fi
	done
	stats "ctl_set_weight_${tag}_ms" <"$f"
	stats "ctl_set_weight_${tag}_wall_ms" <"$f.wall"
	echo "ctl_set_weight_${tag}_runs=$runs"
	echo "ctl_set_weight_${tag}_failed=$bad"
}

main() {
	local r pin
	bench_mount ctl || return
	gen_yaml 1 10 >"$WORK/one.yaml"
	gen_yaml 1000 10 >"$WORK/big.yaml"
	echo "ctl_apply_file_bytes=$(stat -c %s "$WORK/big.yaml")"

	# set-weight with one service configured.
	mkdir "$MNT/one" && "$BIN" --pin-dir "$MNT/one" apply -f "$WORK/one.yaml" >/dev/null &&
		set_weight_case 1svc "$MNT/one" svc-0 "$RUNS"
	"$TX" "$BIN" --help | sed -n 's/^wall_us=/ctl_cli_help_us=/p'
	rm -rf "$MNT/one"

	# apply of 1,000 services on fresh maps, then the same file again.
	for r in $(seq "$APPLY_ROUNDS"); do
		pin=$MNT/r$r
		mkdir "$pin"
		"$TX" "$BIN" --pin-dir "$pin" apply -f "$WORK/big.yaml" >"$WORK/a.$r"
		"$TX" "$BIN" --pin-dir "$pin" apply -f "$WORK/big.yaml" >"$WORK/re.$r"
		[ "$r" -eq "$APPLY_ROUNDS" ] || rm -rf "$pin"
	done
	cat "$WORK"/a.* | sed -n 's/^wall_us=//p' | awk '{ print $1 / 1000 }' | stats ctl_apply_1000_ms
	cat "$WORK"/a.* | sed -n 's/^maxrss_kb=//p' | stats ctl_apply_1000_maxrss_kb | sed 's/\.00$//'
	cat "$WORK"/re.* | sed -n 's/^wall_us=//p' | awk '{ print $1 / 1000 }' | stats ctl_reapply_1000_ms
	cat "$WORK"/re.* | sed -n 's/^maxrss_kb=//p' | stats ctl_reapply_1000_maxrss_kb | sed 's/\.00$//'
	echo "ctl_apply_1000_failed=$(cat "$WORK"/a.* "$WORK"/re.* | grep -c '^rc=[^0]')"
	echo "ctl_apply_1000_services_after=$("$BIN" --pin-dir "$pin" -j status 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["services"]))')"

	# set-weight with the 1,000 services in place.
	set_weight_case 1000svc "$pin" svc-500 "$RUNS_BIG"
	rm -rf "$pin"

	.output/bench/split
}

# targets FILE: the issue's part-4 targets from the figures in FILE.
targets() {
	awk -F= '{ v[$1] = $2 }
	function mark(ok) { return ok ? "met" : "MISSED" }
	END {
		if ("ctl_set_weight_1svc_ms_median" in v)
			printf "target_set_weight=%s\n", mark(v["ctl_set_weight_1svc_ms_median"] < 5)
		if ("ctl_apply_1000_ms_median" in v)
			printf "target_apply=%s\n", mark(v["ctl_apply_1000_ms_median"] < 2000 && !v["ctl_apply_1000_failed"])
		if ("ctl_reapply_1000_ms_median" in v)
			printf "target_reapply=%s\n", mark(v["ctl_reapply_1000_ms_median"] < 500)
	}' "$1"
}

bench_run ctl
