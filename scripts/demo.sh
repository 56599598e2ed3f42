#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The seed scenario ("Kubernetes deployment strategies (3): Canary") on
# canary-bpf: three hello-v1 pods and one hello-v2 pod behind
# prod-service 10.96.0.10:5000, in network namespaces (tests/e2e/lib.sh).
# Where the post's Service split 75:25 by replica count, here the canary's
# share is set directly: v2 walks 0 -> 25 -> 50 -> 100 %, measured over
# 2000 fresh HTTP connections per step; then one canary pod takes 10 %
# while the three stable pods share 90 %. Builds nothing: `make demo`
# builds canary-bpf first. Root needed; cleans up on every exit, Ctrl-C
# included. DEMO_RESULTS=FILE appends one line per step to FILE, "STEP
# TARGET_V2_PCT MEASURED_V2_PCT CONNECTIONS ERRORS" (make bench plots it).
set -u
# shellcheck source-path=SCRIPTDIR source=../tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"
TEST_NAME=demo
CONNS=2000

die() { echo "demo: $*" >&2; exit 1; }

# step V2_PCT TITLE: sets v2's weight, sends CONNS connections, shows the
# measured shares per version and per pod.
step() {
	local w2=$1 w1=$((100 - $1))
	echo
	echo "== $2"
	cb set-weight prod-service "v2=$w2" >/dev/null || die "set-weight failed"
	traffic burst "step$w2" "$CONNS" || die "client.py burst failed"
	"$PY" "$E2E_DIR/check.py" table --expect "v1=$w1" --expect "v2=$w2" \
		--json "$WORK/step$w2.json"
	[ -z "${DEMO_RESULTS:-}" ] || record "$w2" "$WORK/step$w2.json"
}

STEP=0
# record V2_PCT JSON: a DEMO_RESULTS line for client.py's burst JSON.
record() {
	STEP=$((STEP + 1))
	"$PY" -c '
import json, sys
r = json.load(open(sys.argv[3]))
ok = sum(r["versions"].values())
v2 = r["versions"].get("v2", 0)
print(sys.argv[1], sys.argv[2], "%.2f" % (100.0 * v2 / ok if ok else 0),
      r["total"], r["errors"])' "$STEP" "$1" "$2" >>"$DEMO_RESULTS"
}

echo "Setting up the client, the node and 4 pods (namespaces ${PREFIX}*)..."
e2e_setup
write_yaml "$WORK/prod-service.yaml" 100 0
# As the README says: no flags; the pods' veths join the fast path by
# themselves (status shows which path each gets).
echo "\$ canary-bpf attach n0"
cb attach n0 || die "attach failed"
echo "\$ canary-bpf apply -f prod-service.yaml    # v1 100 %, v2 0 %"
cb apply -f "$WORK/prod-service.yaml" || die "apply failed"

step 0 "hello-v2 deployed, no traffic yet (v2 = 0 %)"
step 25 "canary at 25 %: the post's 3:1 replica ratio, now just a weight"
step 50 "canary at 50 %: one v2 pod takes as much as three v1 pods"
step 100 "promoted: v2 = 100 %, no v1 pod is needed any more"
step 10 "back to 10 %: one canary pod takes 10 %, three stable pods 90 %"

echo
echo "\$ canary-bpf status"
cb status
