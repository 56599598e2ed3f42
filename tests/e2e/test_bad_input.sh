#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The bad-input matrix: every subcommand with every class of invalid value.
# Each case must exit 2 (usage error), print a message naming what was
# wrong (a regex, FILE:LINE:COLUMN for YAML), and leave the pinned state
# byte-identical: every map is dumped with "bpftool -j map dump" before and
# after. No traffic runs (the attached veth's peer stays down, IPv6 off),
# so counters and the flow table are compared too. The three big arrays
# (canary_meta, canary_stats, canary_pinstat: seconds per dump) are
# compared once around the whole matrix, the other maps around each case.
# Supersedes test_cli_errors.sh.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SMALL_MAPS=(canary_gen canary_svc canary_ver canary_ring canary_flow
	    canary_backend canary_global canary_pins canary_tx)
BIG_MAPS=(canary_meta canary_stats canary_pinstat)

# dump_state FILE MAP...: the maps' JSON dumps and the pin dir's listing.
dump_state() {
	local out=$1 m
	shift
	{
		ls -l "$PIN_DIR" | awk '{print $1, $NF}'
		for m in "$@"; do
			echo "== $m"
			bpftool -j map dump pinned "$PIN_DIR/$m" || return 1
		done
	} >"$out" 2>&1
}

# node_up: the node ns alone, n0 up with its peer down: nothing arrives.
node_up() {
	NSS+=("$NS_NODE")
	sys ip netns add "$NS_NODE" &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
	sys ip -n "$NS_NODE" link add n0 type veth peer name n1 &&
	sys ip -n "$NS_NODE" link set n0 up && pin_mount
}

# bad_case NAME REGEX CMD...: CMD exits 2, its output matches REGEX, and
# the small maps are as in $WORK/small.before.
bad_case() {
	local name=$1 re=$2 out rc=0 d
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 2 ]; then
		fail "$name" "exit $rc, want 2: ${out:0:200}"
	elif ! [[ $out =~ $re ]]; then
		fail "$name" "message does not match '$re': ${out:0:200}"
	elif ! dump_state "$WORK/small.after" "${SMALL_MAPS[@]}"; then
		fail "$name" "bpftool map dump failed"
	elif ! d=$(diff "$WORK/small.before" "$WORK/small.after"); then
		fail "$name" "state changed: $(printf '%s\n' "$d" | head -c 200)"
	else
		pass "$name"
	fi
}

# yaml_edit NAME SED: the seed config through sed into $WORK/NAME.yaml.
yaml_edit() { sed "$2" "$WORK/seed.yaml" >"$WORK/$1.yaml"; }

make_yamls() {
	write_yaml "$WORK/seed.yaml" 75 25
	printf 'services:\n  - name: x\n    vip: [10.96.0.10\n' >"$WORK/syntax.yaml"
	yaml_edit unknown-key 's/^\(    protocol: tcp\)$/\1\n    colour: blue/'
	yaml_edit total-90 's/weight: 25/weight: 15/'
	yaml_edit negative 's/weight: 75/weight: -5/'
	yaml_edit over-100 's/weight: 75/weight: 101/'
	yaml_edit decimals 's/weight: 75/weight: 74.995/'
	yaml_edit bad-ip 's/10.244.1.12:5050/10.244.1.300:5050/'
	yaml_edit ep-port 's/10.244.1.12:5050/10.244.1.12:70000/'
	yaml_edit bad-vip 's/vip: .*/vip: 10.96.0.300/'
	yaml_edit vip-port 's/port: 5000/port: 70000/'
	yaml_edit proto 's/protocol: tcp/protocol: sctp/'
	yaml_edit dup-ep 's/10.244.1.12:5050/10.244.1.11:5050/'
	yaml_edit no-eps 's/endpoints: \[10.244.1.21:5050\]/endpoints: []/'
	yaml_edit bad-cidr 's/^\(    protocol: tcp\)$/\1\n    pins: [{cidr: 10.0.1.0\/33, version: v2}]/'
	yaml_edit pin-version 's/^\(    protocol: tcp\)$/\1\n    pins: [{cidr: 10.0.1.0\/24, version: v9}]/'
}

# at FILE: the FILE:LINE:COLUMN: prefix YAML errors carry.
at() { echo "$1\\.yaml:[0-9]+:[0-9]+: "; }

apply_cases() {
	bad_case apply_missing_file 'nonexistent\.yaml' cb apply -f "$WORK/nonexistent.yaml"
	bad_case apply_no_file '-f FILE' cb apply
	bad_case apply_yaml_syntax_line_col "$(at syntax)" cb apply -f "$WORK/syntax.yaml"
	bad_case apply_unknown_key "$(at unknown-key).*colour" cb apply -f "$WORK/unknown-key.yaml"
	bad_case apply_weights_total_90 "$(at total-90).*90" cb apply -f "$WORK/total-90.yaml"
	bad_case apply_weight_negative "$(at negative).*-5" cb apply -f "$WORK/negative.yaml"
	bad_case apply_weight_over_100 "$(at over-100).*101" cb apply -f "$WORK/over-100.yaml"
	bad_case apply_weight_3_decimals "$(at decimals).*74\\.995" cb apply -f "$WORK/decimals.yaml"
	bad_case apply_bad_endpoint_ip "$(at bad-ip).*10\\.244\\.1\\.300" cb apply -f "$WORK/bad-ip.yaml"
	bad_case apply_endpoint_port_range "$(at ep-port).*70000" cb apply -f "$WORK/ep-port.yaml"
	bad_case apply_bad_vip "$(at bad-vip).*10\\.96\\.0\\.300" cb apply -f "$WORK/bad-vip.yaml"
	bad_case apply_vip_port_range "$(at vip-port).*70000" cb apply -f "$WORK/vip-port.yaml"
	bad_case apply_bad_protocol "$(at proto).*sctp" cb apply -f "$WORK/proto.yaml"
	bad_case apply_duplicate_endpoint "$(at dup-ep).*10\\.244\\.1\\.11:5050" cb apply -f "$WORK/dup-ep.yaml"
	bad_case apply_weighted_no_endpoints "$(at no-eps).*v2" cb apply -f "$WORK/no-eps.yaml"
	bad_case apply_bad_pin_cidr "$(at bad-cidr).*10\\.0\\.1\\.0/33" cb apply -f "$WORK/bad-cidr.yaml"
	bad_case apply_pin_unknown_version "$(at pin-version).*v9" cb apply -f "$WORK/pin-version.yaml"
}

attach_cases() {
	bad_case attach_unknown_iface nosuch0 cb attach nosuch0
	bad_case attach_no_iface IFACE cb attach
	bad_case attach_bad_mode turbo cb attach n0 --mode turbo
	bad_case attach_unknown_redirect_dev nosuch1 cb attach n0 --redirect-dev nosuch1
	bad_case detach_unknown_iface nosuch0 cb detach nosuch0
	bad_case detach_not_attached "n1.*not attached" cb detach n1
}

weight_cases() {
	bad_case set_weight_unknown_service nosuch-svc cb set-weight nosuch-svc v2=10
	bad_case set_weight_unknown_version v9 cb set-weight prod-service v9=10
	bad_case set_weight_total_90 'total 90' cb set-weight prod-service v1=50 v2=40
	bad_case set_weight_negative "'-5'" cb set-weight prod-service v2=-5
	bad_case set_weight_over_100 "'101'" cb set-weight prod-service v2=101
	bad_case set_weight_3_decimals 12\\.345 cb set-weight prod-service v2=12.345
	bad_case set_weight_not_a_number "'abc'" cb set-weight prod-service v2=abc
	bad_case set_weight_malformed "'v2' is not VERSION=PERCENT" cb set-weight prod-service v2
	bad_case set_weight_json_error '"error"' cb -j set-weight nosuch-svc v2=10
}

service_cases() {
	bad_case service_add_bad_ip 10\\.96\\.0\\.300 cb service add x --vip 10.96.0.300:80
	bad_case service_add_port_range 70000 cb service add x --vip 10.96.0.11:70000
	bad_case service_add_port_zero "'0'" cb service add x --vip 10.96.0.11:0
	bad_case service_add_malformed_vip "'10\\.96\\.0\\.11'" cb service add x --vip 10.96.0.11
	bad_case service_add_bad_protocol sctp cb service add x --vip 10.96.0.11:80/sctp
	bad_case service_add_bad_affinity sticky cb service add x --vip 10.96.0.11:80 --affinity sticky
	bad_case service_add_bad_name "'bad name!'" cb service add 'bad name!' --vip 10.96.0.11:80
	bad_case service_add_existing "prod-service.*exists" cb service add prod-service --vip 10.96.0.11:80
	bad_case service_add_vip_taken 10\\.96\\.0\\.10:5000 cb service add x --vip 10.96.0.10:5000
	bad_case service_del_unknown nosuch-svc cb service del nosuch-svc
}

endpoint_pin_cases() {
	bad_case endpoints_unknown_service nosuch-svc cb endpoints set nosuch-svc v1 10.244.1.11:5050
	bad_case endpoints_unknown_version v9 cb endpoints set prod-service v9 10.244.1.11:5050
	bad_case endpoints_malformed "'10\\.244\\.1\\.11'" cb endpoints set prod-service v1 10.244.1.11
	bad_case endpoints_port_range 70000 cb endpoints set prod-service v1 10.244.1.11:70000
	bad_case endpoints_duplicate 10\\.244\\.1\\.11:5050 cb endpoints set prod-service v1 10.244.1.11:5050 10.244.1.11:5050
	bad_case endpoints_bad_draining 10\\.244\\.1\\.300 cb endpoints set prod-service v1 10.244.1.11:5050 --draining 10.244.1.300:5050
	bad_case pin_bad_cidr 10\\.0\\.1\\.0/33 cb pin prod-service 10.0.1.0/33 v2
	bad_case pin_host_bits 10\\.0\\.1\\.1/24 cb pin prod-service 10.0.1.1/24 v2
	bad_case pin_unknown_version v9 cb pin prod-service 10.0.1.0/24 v9
	bad_case pin_unknown_service nosuch-svc cb pin nosuch-svc 10.0.1.0/24 v2
	bad_case unpin_unknown_service nosuch-svc cb unpin nosuch-svc 10.0.1.0/24
	bad_case unpin_bad_cidr 10\\.0\\.1\\.0/40 cb unpin prod-service 10.0.1.0/40
	bad_case unpin_not_pinned 10\\.0\\.9\\.0/24 cb unpin prod-service 10.0.9.0/24
}

other_cases() {
	bad_case flows_bad_action "'flush'" cb flows flush
	bad_case status_unknown_service nosuch-svc cb status nosuch-svc
	bad_case status_namespace_without_kube '--namespace and --kubeconfig need --kube' cb status --namespace prod
	bad_case set_weight_namespace_without_kube '--namespace and --kubeconfig need --kube' cb set-weight --namespace prod prod-service v2=10
	bad_case agent_node_name_bad "--node-name 'Node_1'.*node name" \
		cb agent --no-attach --kubeconfig "$WORK/nonexistent" --node-name Node_1
	bad_case agent_node_name_env_bad "'n&x=1' \(or \\\$NODE_NAME\)" \
		env NODE_NAME='n&x=1' "$CANARY_BIN" --pin-dir "$PIN_DIR" agent --no-attach \
		--kubeconfig "$WORK/nonexistent"
	bad_case unknown_command frobnicate cb frobnicate
	mkdir -p "$WORK/plain"
	for args in status "set-weight prod-service v2=10" "apply -f $WORK/seed.yaml" \
		"attach n0" flows; do
		# shellcheck disable=SC2086 # word splitting wanted
		bad_case "pin_dir_not_bpffs_${args%% *}" "$WORK/plain.*not on a bpf" \
			nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$WORK/plain" $args
	done
	if [ -z "$(ls -A "$WORK/plain")" ]; then
		pass pin_dir_not_bpffs_left_empty
	else
		fail pin_dir_not_bpffs_left_empty "$(ls -A "$WORK/plain" | head -n 3)"
	fi
}

e2e_init
need_cli
command -v bpftool >/dev/null || bail "missing tool: bpftool"
node_up || bail "node namespace setup failed"
make_yamls
expect attach_n0 cb attach n0 --mode native
expect apply_seed cb apply -f "$WORK/seed.yaml"
expect pin_seed cb pin prod-service 10.0.5.0/24 v2
dump_state "$WORK/big.before" "${BIG_MAPS[@]}" &&
	dump_state "$WORK/small.before" "${SMALL_MAPS[@]}" ||
	bail "bpftool map dump failed"
apply_cases
attach_cases
weight_cases
service_cases
endpoint_pin_cases
other_cases
if ! dump_state "$WORK/big.after" "${BIG_MAPS[@]}"; then
	fail big_maps_unchanged "bpftool map dump failed"
elif cmp -s "$WORK/big.before" "$WORK/big.after"; then
	pass big_maps_unchanged
else
	fail big_maps_unchanged "canary_meta, canary_stats or canary_pinstat changed"
fi
finish
