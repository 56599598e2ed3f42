#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The manifests under deploy/ through kubectl itself: `kubectl create
# --dry-run=client` against kubediscovery.py, a server that only answers
# API discovery for the kinds deploy/ uses (kubectl maps every object to
# a resource through discovery even in a dry run, and no cluster runs
# here). Every document of every file must come out as an object of its
# kind, and a misspelt kind must be refused, so the check can fail.
# Schema validation needs a server's OpenAPI documents, which nothing
# here has (--validate=false); tests/unit/test_kube_deploy.c checks the
# fields that matter. Loopback only; no namespace, no root.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SRV_PID=""
down() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap down EXIT
WORK=$(mktemp -d /tmp/cb-XXXXXX) || bail "mktemp failed"
command -v kubectl >/dev/null || bail "kubectl not found (scripts/deps.sh installs kubernetes-client)"

"$PY" "$E2E_DIR/kubediscovery.py" --port-file "$WORK/port" &
SRV_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || bail "kubediscovery.py did not start"
SERVER=http://127.0.0.1:$(cat "$WORK/port")

# dry FILE: kubectl's dry run of FILE, one "kind/name" line per object.
dry() {
	KUBECONFIG=/dev/null timeout 30 kubectl --server "$SERVER" create \
		--dry-run=client --validate=false -o name -f "$1"
}

# docs FILE: how many YAML documents of FILE hold an object (a kind).
docs() { grep -c '^kind:' "$1"; }

for f in "$REPO_DIR"/deploy/*.yaml "$REPO_DIR"/deploy/examples/*.yaml; do
	name=manifest_$(basename "$f" .yaml)
	if ! out=$(dry "$f" 2>&1); then
		fail "$name" "kubectl refused it: $(printf '%s\n' "$out" | tail -n 1)"
	elif [ "$(printf '%s\n' "$out" | grep -c '/')" -ne "$(docs "$f")" ]; then
		fail "$name" "$(docs "$f") objects in the file, kubectl made: ${out//$'\n'/ }"
	else
		pass "$name"
		info "$name: ${out//$'\n'/ }"
	fi
done

sed 's/^kind: DaemonSet$/kind: DaemonSett/' "$REPO_DIR/deploy/canary-bpf.yaml" >"$WORK/typo.yaml"
if out=$(dry "$WORK/typo.yaml" 2>&1); then
	fail misspelt_kind_refused "kubectl accepted kind DaemonSett: $out"
elif printf '%s\n' "$out" | grep -q 'DaemonSett'; then
	pass misspelt_kind_refused
else
	fail misspelt_kind_refused "refused for another reason: $(printf '%s\n' "$out" | tail -n 1)"
fi
finish
