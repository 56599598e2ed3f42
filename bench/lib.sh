# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# What bench/ctl.sh and bench/scale.sh share; source it from the top of
# the repository. A private bpffs under a temp dir (bench_mount), torn
# down with the processes in PIDS on every exit; the NAME_median/_min/_max
# lines scripts/bench.sh reads; and bench_run, which prints a script's
# figures followed by its targets.

WORK=""          # temp dir of this run
MNT=""           # private bpffs under $WORK, the CLI's and agent's --pin-dir
PIDS=()          # processes we started
OUT=""           # the figures as main prints them (bench_run)

bench_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
	[ -n "$OUT" ] && rm -f "$OUT"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bench_mount TAG: makes WORK and mounts a bpffs at MNT inside it; prints
# TAG_error=... and returns 1 when it cannot.
bench_mount() {
	WORK=$(mktemp -d "/tmp/cbb$$-$1-XXXXXX") || return 1
	MNT=$WORK/bpf
	mkdir -p "$MNT" && mount -t bpf bpf "$MNT" ||
		{ MNT=""; echo "$1_error=bpffs mount failed"; return 1; }
}

# stats NAME: median, min and max of the numbers on stdin, as NAME_*=.
stats() {
	sort -n | awk -v n="$1" '{ v[NR] = $1 }
		END { if (!NR) exit; m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%s_median=%.2f\n%s_min=%.2f\n%s_max=%.2f\n", n, m, n, v[1], n, v[NR] }'
}

# gen_yaml N EPS: N services x 2 versions x EPS endpoints, all distinct.
gen_yaml() { awk -v n="$1" -v eps="$2" -f bench/gen_yaml.awk; }

# bench_run TAG: the caller's main, then its targets computed from what
# main printed, all on stdout; exits 0 (targets say met or MISSED).
bench_run() {
	OUT=$(mktemp "/tmp/cbb$$-$1-out-XXXXXX") || exit 0
	main >"$OUT"
	targets "$OUT" >>"$OUT"
	cat "$OUT"
	exit 0
}
