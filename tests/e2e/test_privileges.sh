#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Least privilege. The pin dir is created 0700 and every pin 0600, even
# under umask 000. As uid 65534 with only CAP_BPF, CAP_NET_ADMIN and
# CAP_PERFMON (setpriv: inheritable, ambient and bounding sets), attach,
# apply, set-weight, status and detach all work on a pin dir that uid owns;
# with no capability, CAP_BPF alone, or without CAP_PERFMON for attach,
# the CLI stops with the privilege message naming what is missing, exit 1.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

NOBODY=65534
LP_DIR=""

# as_user CAPS CMD...: CMD in the node ns as $NOBODY with exactly CAPS
# (e.g. "+bpf,+net_admin"; "" for none).
as_user() {
	local caps="-all${1:+,$1}"
	shift
	nsx "$NS_NODE" setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		--inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" "$@"
}

# lp CAPS ARGS...: canary-bpf as_user on the unprivileged pin dir.
lp() {
	local caps=$1
	shift
	as_user "$caps" "$CANARY_BIN" --pin-dir "$LP_DIR" "$@"
}

# node_up: the node ns with n0 (for the unprivileged user) and n1 (for
# root), peers of each other, both up: no traffic reaches them from outside.
node_up() {
	NSS+=("$NS_NODE")
	sys ip netns add "$NS_NODE" &&
	sys ip -n "$NS_NODE" link add n0 type veth peer name n1 &&
	sys ip -n "$NS_NODE" link set n0 up && pin_mount &&
	# Traversable (not readable) down to the unprivileged pin dir.
	chmod 0711 "$WORK" "$PIN_DIR" && LP_DIR=$PIN_DIR/lp &&
	mkdir -m 0700 "$LP_DIR" && chown "$NOBODY:$NOBODY" "$LP_DIR"
}

# refused_case NAME REGEX CAPS ARGS...: exit 1 and the privilege message.
refused_case() {
	local name=$1 re=$2 caps=$3 out rc=0
	shift 3
	out=$(lp "$caps" "$@" 2>&1) || rc=$?
	if [ "$rc" -eq 1 ] && [[ $out =~ $re ]]; then
		pass "$name"
		info "$name: $out"
	else
		fail "$name" "exit $rc (want 1): ${out:0:200}"
	fi
}

# modes_case NAME DIR: DIR is 0700 and everything in it 0600.
modes_case() {
	local name=$1 dir=$2 bad
	bad=$( { stat -c '%a %n' "$dir" | grep -v '^700 '
		find "$dir" -mindepth 1 -exec stat -c '%a %n' {} + | grep -v '^600 '; } )
	if [ -z "$bad" ] && [ -n "$(ls "$dir")" ]; then
		pass "$name"
	else
		fail "$name" "${bad:-empty dir}"
	fi
}

status_case_lp() {
	local res
	if ! res=$(lp +bpf,+net_admin,+perfmon -j status 2>&1); then
		fail least_caps_status "${res:0:200}"
	elif res=$(printf '%s\n' "$res" | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
v = {x["name"]: x["weight"] for x in s["services"][0]["versions"]}
i = [x["name"] for x in s["interfaces"] if x["attached"]]
print(v, i)
sys.exit(0 if v == {"v1": 50, "v2": 50} and "n0" in i else 1)'); then
		pass least_caps_status
		info "least_caps_status: weights and interfaces $res"
	else
		fail least_caps_status "$res"
	fi
}

e2e_init
need_cli
command -v setpriv >/dev/null || bail "missing tool: setpriv"
node_up || bail "node namespace setup failed"
write_yaml "$WORK/seed.yaml" 75 25
chmod 0644 "$WORK/seed.yaml"

# Root, under umask 000: the CLI makes the dir and pins private by itself.
(umask 000 && nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$PIN_DIR/root" \
	attach n1 --mode generic >/dev/null) || fail root_attach "attach n1 failed"
modes_case root_pin_dir_0700_pins_0600 "$PIN_DIR/root"

expect least_caps_attach lp +bpf,+net_admin,+perfmon attach n0 --mode generic
expect least_caps_apply lp +bpf,+net_admin,+perfmon apply -f "$WORK/seed.yaml"
expect least_caps_set_weight lp +bpf,+net_admin,+perfmon set-weight prod-service v2=50
status_case_lp
modes_case least_caps_pins_0600 "$LP_DIR"
refused_case no_caps_refused "insufficient privileges: missing CAP_BPF and CAP_NET_ADMIN" \
	"" status
refused_case bpf_only_refused "insufficient privileges: missing CAP_NET_ADMIN" \
	+bpf status
refused_case attach_without_perfmon_refused "insufficient privileges.*missing CAP_PERFMON" \
	+bpf,+net_admin attach n0 --mode generic
expect status_without_perfmon lp +bpf,+net_admin status
expect least_caps_detach lp +bpf,+net_admin,+perfmon detach n0
finish
