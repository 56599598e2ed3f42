#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs libFuzzer targets (.output/fuzz/fuzz_<name>, see `make sanitize`).
#
#   fuzz.sh BIN...               regression pass: each target runs every
#                                input of tests/fuzz/corpus/<name>/ once
#   fuzz.sh --seconds N BIN...   fuzzes each target for N seconds from a
#                                copy of that corpus (.output/fuzz/corpus/)
#
# One "PASS fuzz/<name>" or "FAIL fuzz/<name>: reason" line per target.
# Crashing inputs are saved as .output/fuzz/crashes/<name>-crash-*; add
# them to the corpus once fixed. A target without a corpus fails.
set -u
cd "$(dirname "$0")/.." || exit 1

CORPUS=tests/fuzz/corpus
OUT=.output/fuzz
seconds=0
fails=0

if [ "${1:-}" = --seconds ]; then
	seconds=$2
	shift 2
fi
[ $# -gt 0 ] || { echo "FAIL fuzz: no fuzz targets given (run make sanitize)"; exit 1; }

fail() { echo "FAIL fuzz/$1: $2"; fails=$((fails + 1)); }

# run_target BIN: one libFuzzer run of BIN, regression or timed.
run_target() {
	local bin=$1 name dir log rc n
	name=$(basename "$bin")
	dir=$CORPUS/$name
	n=$(find "$dir" -type f 2>/dev/null | wc -l)
	[ -x "$bin" ] || { fail "$name" "$bin not built"; return; }
	[ "$n" -gt 0 ] || { fail "$name" "empty seed corpus $dir"; return; }
	mkdir -p "$OUT/crashes" "$OUT/corpus/$name" "$OUT/logs"
	log=$OUT/logs/$name.log
	if [ "$seconds" -eq 0 ]; then
		"$bin" -runs=0 -timeout=10 -artifact_prefix="$OUT/crashes/$name-" \
			"$dir" >"$log" 2>&1
	else
		cp -n "$dir"/* "$OUT/corpus/$name/"
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$OUT/crashes/$name-" \
			"$OUT/corpus/$name" >"$log" 2>&1
	fi
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit $rc: $(grep -m1 -E 'ERROR|check .* failed|runtime error' "$log")"
		sed -n '1,40p' "$log" | sed 's/^/  /' | grep -E 'ERROR|SUMMARY|check|#[0-9]+ 0x' | head -n 12
		return
	fi
	echo "PASS fuzz/$name"
	if [ "$seconds" -eq 0 ]; then
		echo "  fuzz/$name: $n corpus inputs, no crash"
	else
		echo "  fuzz/$name: $(grep -m1 -o 'number_of_executed_units: [0-9]*' "$log" |
			grep -o '[0-9]*$') runs in $seconds s," \
			"corpus now $(find "$OUT/corpus/$name" -type f | wc -l) inputs"
	fi
}

for bin in "$@"; do
	case $bin in *.d) continue ;; esac # make's dependency files
	run_target "$bin"
done
[ "$fails" -eq 0 ]
