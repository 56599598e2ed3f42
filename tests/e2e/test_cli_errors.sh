#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Bad input is a usage error (exit 2) whose message names what was wrong,
# and it changes nothing: "canary-bpf -j status" is the same before and
# after all of them, packet counters aside.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# bad_case NAME RCS TOKEN CMD...: CMD must exit with one of RCS ("2" or
# "1 2") and print TOKEN in its message.
bad_case() {
	local name=$1 rcs=$2 token=$3 out rc=0
	shift 3
	out=$("$@" 2>&1) || rc=$?
	case " $rcs " in
	*" $rc "*) ;;
	*) fail "$name" "exit $rc, want $rcs: ${out:0:200}"; return ;;
	esac
	case "$out" in
	*"$token"*) pass "$name" ;;
	*) fail "$name" "message lacks '$token': ${out:0:200}" ;;
	esac
}

# config_now FILE: the config part of "-j status" (check.py norm).
config_now() {
	cb -j status | "$PY" "$E2E_DIR/check.py" norm >"$1"
}

e2e_setup
write_yaml "$WORK/seed.yaml" 75 25
attach_case attach_native native
expect apply_seed cb apply -f "$WORK/seed.yaml"
traffic burst warmup 100
config_now "$WORK/before.json" || bail "canary-bpf -j status failed"

printf 'services:\n  - name: x\n    vip: [10.96.0.10\n' >"$WORK/syntax-err.yaml"
sed 's/^\(    protocol: tcp\)$/\1\n    colour: blue/' "$WORK/seed.yaml" \
	>"$WORK/unknown-key.yaml"
mkdir -p "$WORK/plain"

bad_case unknown_service 2 nosuch-svc cb set-weight nosuch-svc v2=10
bad_case unknown_version 2 v9 cb set-weight prod-service v9=10
bad_case weights_total_90 2 90 cb set-weight prod-service v1=50 v2=40
bad_case weight_100_001 2 100.001 cb set-weight prod-service v2=100.001
bad_case weight_negative 2 -5 cb set-weight prod-service v2=-5
bad_case bad_vip_ip 2 10.96.0.300 cb service add bad-ip --vip 10.96.0.300:80
bad_case bad_vip_port 2 70000 cb service add bad-port --vip 10.96.0.11:70000
bad_case attach_unknown_iface 2 nosuch0 cb attach nosuch0
bad_case yaml_syntax_error 2 syntax-err.yaml cb apply -f "$WORK/syntax-err.yaml"
bad_case yaml_unknown_key 2 colour cb apply -f "$WORK/unknown-key.yaml"
bad_case pin_dir_not_bpffs "1 2" "$WORK/plain" \
	nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$WORK/plain" apply -f "$WORK/seed.yaml"
bad_case json_error 2 '"error"' cb -j set-weight nosuch-svc v2=10

if ! config_now "$WORK/after.json"; then
	fail config_unchanged "canary-bpf -j status failed"
elif d=$(diff "$WORK/before.json" "$WORK/after.json"); then
	pass config_unchanged
else
	fail config_unchanged "$(printf '%s\n' "$d" | grep '^[<>]' | head -n 4)"
fi
finish
