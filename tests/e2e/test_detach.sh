#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# detach leaves n0 as it found it: the same "ip -d link", tc filters and
# bpftool net view as before attach, no pinned links, and the VIP no
# longer translated. bpftool 7.1 and tc do not show tcx links, so the
# egress hook is also checked by its effect: a pod's replies to a client
# port that had a VIP flow must leave the node untouched.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# snapshot FILE: what n0 looks like to the usual tools.
snapshot() {
	{
		nsx "$NS_NODE" ip -d link show n0
		nsx "$NS_NODE" tc filter show dev n0 ingress
		nsx "$NS_NODE" tc filter show dev n0 egress
		if command -v bpftool >/dev/null; then
			nsx "$NS_NODE" bpftool net show dev n0
		fi
	} >"$1" 2>&1
	nsx "$NS_NODE" tc qdisc show dev n0 >"$1.qdisc" 2>&1
}

# same_file NAME A B: PASS when the files are identical, else the 1st diff.
same_file() {
	local d
	if d=$(diff "$2" "$3"); then
		pass "$1"
	else
		fail "$1" "$(printf '%s\n' "$d" | grep '^[<>]' | head -n 2)"
	fi
}

e2e_setup
command -v bpftool >/dev/null || info "bpftool not found: not comparing its view"
write_yaml "$WORK/seed.yaml" 75 25
snapshot "$WORK/before"
attach_case attach_native native
expect apply_seed cb apply -f "$WORK/seed.yaml"
snapshot "$WORK/attached"
if cmp -s "$WORK/before" "$WORK/attached"; then
	fail attach_visible "ip/tc/bpftool show no change after attach"
else
	pass attach_visible
fi
split_case translated_before_detach 200 100 v1=75 v2=25
flow_ports=$SPORT_AT

expect detach cb detach n0
snapshot "$WORK/after"
same_file detach_restores_n0 "$WORK/before" "$WORK/after"
same_file detach_restores_qdisc "$WORK/before.qdisc" "$WORK/after.qdisc"
links=$(find "$PIN_DIR" -maxdepth 1 -name 'link_*' -printf '%f ')
if [ -z "$links" ]; then pass detach_unpins_links; else
	fail detach_unpins_links "still pinned: $links"; fi

traffic burst untranslated 20 --timeout 1
expect vip_not_translated "$PY" "$E2E_DIR/check.py" none --n 20 \
	--json "$WORK/untranslated.json"

# The 200 client ports above have reverse entries towards all four pods;
# direct connections from them must work with no egress program left.
bad=""
for ip in "${POD_IPS[@]}"; do
	traffic burst "direct_$ip" 200 --vip "$ip" --port 5050 --sport "$flow_ports"
	"$PY" "$E2E_DIR/check.py" share --n 200 --tol 100 \
		--json "$WORK/direct_$ip.json" >/dev/null || bad="$bad $ip"
done
if [ -z "$bad" ]; then pass egress_detached; else
	fail egress_detached "direct connections failed to:$bad"; fi
finish
