#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Tests the counting of scripts/run-tests.sh: fake test programs (the C
# harness's tests/lib/harness_selftest, a shell one, one using the e2e
# skip helper) go through its run_one, and the PASS/FAIL/SKIP totals and
# the summary line must come out as those programs' lines say. The fakes'
# own lines go to /dev/null, so only this script's lines get counted.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SELFTEST=$REPO/.output/tests/lib/harness_selftest
CANARY_RUN_TESTS_LIB=1 source "$REPO/scripts/run-tests.sh" || exit 1
dir=$(mktemp -d /tmp/cb-harness-XXXXXX) || exit 1
trap 'rm -rf "$dir" "$log"' EXIT
FAILS=0

# expect_counts NAME PASSED FAILED SKIPPED: the totals run_one left.
expect_counts() {
	local got="$passed $failed $skipped" want="$2 $3 $4"
	if [ "$got" = "$want" ]; then
		echo "PASS $1"
	else
		echo "FAIL $1: passed/failed/skipped $got, want $want"
		FAILS=$((FAILS + 1))
	fi
	passed=0 failed=0 skipped=0 fails=() skips=()
}

# fake NAME LINE...: writes a program printing LINEs and exiting 0.
fake() {
	local f=$dir/$1
	shift
	printf '#!/bin/bash\n' >"$f"
	printf 'echo %q\n' "$@" >>"$f"
	chmod +x "$f"
}

# The C harness: 2 PASS, 5 FAIL (one a skip without a reason, two a skip
# mixed with a failure), 2 SKIP; the probes add a PASS and a SKIP.
if [ "$(id -u)" -eq 0 ]; then
	run_one selftest 30 "$SELFTEST" probe >/dev/null
	expect_counts "harness/c-harness" 3 5 3
else
	run_one selftest 30 "$SELFTEST" >/dev/null
	expect_counts "harness/c-harness" 2 5 2
fi

fake lines "PASS a" "SKIP b: no bpf_fib_lookup" "SKIP c" "SKIP d: " \
	"SKIP e:f:  " "FAIL g"
run_one lines 30 "$dir/lines" >/dev/null
expect_counts "harness/skip-needs-reason" 1 4 1

# A program that dies without a FAIL line still counts as one failure.
fake dies "PASS a"
echo "exit 3" >>"$dir/dies"
run_one dies 30 "$dir/dies" >/dev/null
expect_counts "harness/exit-status" 1 1 0

cat >"$dir/e2e" <<EOS
#!/bin/bash
source "$REPO/tests/e2e/lib.sh"
skip e2e-a "kernel lacks bpf_sk_assign"
skip e2e-b ""
skip e2e-c
pass e2e-d
EOS
chmod +x "$dir/e2e"
run_one e2e 30 "$dir/e2e" >/dev/null
expect_counts "harness/e2e-skip" 1 2 1

passed=4 failed=1 skipped=2 fails=("FAIL x") skips=("SKIP y: z")
line=$(summary | tail -n 1)
passed=0 failed=0 skipped=0 fails=() skips=()
if [ "$line" = "4 passed, 1 failed, 2 skipped" ]; then
	echo "PASS harness/summary"
else
	echo "FAIL harness/summary: last line '$line'"
	FAILS=$((FAILS + 1))
fi
[ "$FAILS" -eq 0 ]
