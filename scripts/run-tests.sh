#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs every test, in order: the harness's own test, the include-layer
# check, the unit test binaries (plain, then under sanitizers), the
# libFuzzer corpus pass, the BPF test runner, then the e2e scripts (root
# needed). Each prints "PASS name", "FAIL name" or
# "SKIP name: reason" lines (SKIP only for a kernel feature a probe found
# missing); this script counts them, repeats the FAIL and SKIP lines at
# the end and ends with "N passed, N failed, N skipped"; exit 1 when
# anything failed. A missing test program, one that exits non-zero without
# a FAIL line, or a SKIP line without a reason counts as a failure: nothing
# is skipped silently. `make test` builds everything first.
# Sourced with CANARY_RUN_TESTS_LIB=1, it only defines its functions
# (tests/lib/test_harness.sh tests the counting).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

passed=0
failed=0
skipped=0
fails=()
skips=()
interrupted=0
log=$(mktemp /tmp/cb-tests-XXXXXX) || exit 1
trap 'rm -f "$log"' EXIT
trap 'interrupted=1' INT

# note_fail LINE: counts and remembers one failure.
note_fail() {
	echo "$1"
	failed=$((failed + 1))
	fails+=("$1")
}

# count_skips NAME: tallies the SKIP lines of $log; one without a reason
# ("SKIP name: reason") is a failure.
count_skips() {
	local name=$1 line
	while IFS= read -r line; do
		if [[ $line =~ ^SKIP\ [^\ ].*:\ +[^\ ] ]]; then
			skipped=$((skipped + 1))
			skips+=("$line ($name)")
		else
			note_fail "FAIL $line ($name): a skip needs a reason"
		fi
	done < <(grep '^SKIP' "$log")
}

# run_one NAME LIMIT CMD...: runs CMD (LIMIT seconds at most), shows its
# output and tallies its PASS/FAIL/SKIP lines.
run_one() {
	local name=$1 limit=$2 rc line nfail=0
	shift 2
	echo "== $name"
	# --foreground: Ctrl-C reaches the test, whose trap cleans up;
	# tee -i keeps the pipe open while it does.
	timeout --foreground -k 30 "$limit" "$@" 2>&1 | tee -i "$log"
	rc=${PIPESTATUS[0]}
	passed=$((passed + $(grep -c '^PASS' "$log")))
	while IFS= read -r line; do
		failed=$((failed + 1))
		nfail=$((nfail + 1))
		fails+=("$line ($name)")
	done < <(grep '^FAIL' "$log")
	count_skips "$name"
	if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
		note_fail "FAIL $name: exited with status $rc without a FAIL line"
	fi
}

# run_all WHAT LIMIT FILE...: run_one for each existing executable FILE;
# none at all is a failure.
run_all() {
	local what=$1 limit=$2 f n=0
	shift 2
	for f in "$@"; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		case $f in *.d | *.o) continue ;; esac
		[ "$interrupted" -eq 0 ] || return
		run_one "$f" "$limit" "$f"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || note_fail "FAIL $what: no test programs found (run make all)"
}

# summary: the FAIL and SKIP lines again, then the totals.
summary() {
	local line
	echo
	echo "== summary"
	for line in "${fails[@]}" "${skips[@]}"; do echo "$line"; done
	echo "$passed passed, $failed failed, $skipped skipped"
}

[ -z "${CANARY_RUN_TESTS_LIB:-}" ] || return 0

run_all harness-tests 120 tests/lib/test_*.sh
# The layers of user/ depend one way (docs/ARCHITECTURE.md).
run_one layers 60 scripts/check-layers.sh
run_all unit-tests 300 .output/tests/unit/test_*
# The same under ASan+UBSan, then every libFuzzer target over its seed
# corpus (`make sanitize` builds both).
run_all asan-unit-tests 300 .output/asan/tests/unit/test_*
[ "$interrupted" -eq 0 ] && run_one fuzz-corpus 300 scripts/fuzz.sh .output/fuzz/fuzz_*
run_all bpf-tests 300 .output/tests/bpf/test_bpf
run_all e2e-tests 900 tests/e2e/test_*.sh
[ "$interrupted" -eq 0 ] || note_fail "FAIL run-tests: interrupted"

summary
[ "$failed" -eq 0 ]
