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

SMALL_MAPS=(canary_gen canary_svc_v2 canary_ver canary_ring_v2 canary_flow_v3
	    canary_backend canary_global canary_pins canary_tx
	    canary_svc6_v2 canary_ver6 canary_flow6_v3 canary_backend6 canary_pins6
	    canary_node_v2 canary_snat6)
BIG_MAPS=(canary_meta_v3 canary_stats canary_pinstat canary_svcguard)

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
	yaml_edit kube-name 's/name: prod-service/name: k8s.default.prod/'
	yaml_edit no-eps 's/endpoints: \[10.244.1.21:5050\]/endpoints: []/'
	yaml_edit bad-cidr 's/^\(    protocol: tcp\)$/\1\n    pins: [{cidr: 10.0.1.0\/33, version: v2}]/'
	yaml_edit pin-version 's/^\(    protocol: tcp\)$/\1\n    pins: [{cidr: 10.0.1.0\/24, version: v9}]/'
	yaml_edit guard-pct 's/^\(    protocol: tcp\)$/\1\n    guard: {max_failure_pct: 100}/'
	yaml_edit guard-flows 's/^\(    protocol: tcp\)$/\1\n    guard: {min_flows: 0}/'
	yaml_edit guard-window 's/^\(    protocol: tcp\)$/\1\n    guard: {window_s: 3601}/'
	yaml_edit guard-key 's/^\(    protocol: tcp\)$/\1\n    guard: {max_fail: 5}/'
	six_yaml six-snat '    snat: always'
	six_yaml six-local '    traffic_policy: local'
	six_yaml six-mixed-ep '' '10.244.1.11:8080'
	six_yaml six-mixed-pin '    pins: [{cidr: 10.0.0.0/8, version: v1}]'
	six_yaml six-host-bits '    pins: [{cidr: "2001:db8:ff::1/48", version: v1}]'
	six_yaml six-bad-ip '' '"[2001:db8::zz]:8080"'
	node_yaml six-snat-node six-snat 'address: 10.1.0.1, pod_cidr: 10.244.1.0/24'
	node_yaml six-local-node six-local 'address: 10.1.0.1, pod_cidr: 10.244.1.0/24, address6: "fd00::1"'
	node_yaml node6-bad-address seed \
		'address: 10.1.0.1, pod_cidr: 10.244.1.0/24, address6: 10.1.0.2, pod_cidr6: "fd00::/64"'
	node_yaml node6-bad-cidr seed 'address6: "fd00::1", pod_cidr6: "fd00::1/64"'
	{ echo 'timeouts: {tcp: 60, udp: 0}'; cat "$WORK/seed.yaml"; } >"$WORK/tmo-zero.yaml"
	{ echo 'timeouts: {tcp: 60, icmp: 5}'; cat "$WORK/seed.yaml"; } >"$WORK/tmo-key.yaml"
	{ echo 'flood_guard: -1'; cat "$WORK/seed.yaml"; } >"$WORK/flood.yaml"
}

# node_yaml NAME FROM NODE: $WORK/FROM.yaml with "node: {NODE}" first.
node_yaml() {
	{ printf 'node: {%s}\n' "$3"; cat "$WORK/$2.yaml"; } >"$WORK/$1.yaml"
}

# six_yaml NAME EXTRA [ENDPOINT]: the seed config plus an IPv6 service,
# with the line EXTRA and ENDPOINT (default [2001:db8::11]:8080).
six_yaml() {
	{
		cat "$WORK/seed.yaml"
		printf '  - name: six\n    vip: 2001:db8::10\n    port: 80\n'
		[ -n "$2" ] && printf '%s\n' "$2"
		printf '    versions:\n      - name: v1\n        weight: 100\n'
		printf '        endpoints: [%s]\n' "${3:-\"[2001:db8::11]:8080\"}"
	} >"$WORK/$1.yaml"
}

# at FILE: the FILE:LINE:COLUMN: prefix YAML errors carry.
at() { echo "$1\\.yaml:[0-9]+:[0-9]+: "; }

# A bad file on a pin dir with nothing pinned yet: refused before any
# map is created.
kube_name_fresh_dir() {
	local dir=$PIN_DIR/fresh out rc=0
	mkdir -p "$dir"
	out=$(nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$dir" apply -f "$WORK/kube-name.yaml" 2>&1) || rc=$?
	if [ "$rc" -eq 2 ] && [ -z "$(ls -A "$dir")" ] && [[ $out =~ Kubernetes\ agent ]]; then
		pass apply_kube_name_fresh_dir
	else
		fail apply_kube_name_fresh_dir "exit $rc, pins: $(ls "$dir" | head -3 | tr '\n' ' ') ${out:0:160}"
	fi
	rmdir "$dir" 2>/dev/null
}

apply_cases() {
	bad_case apply_missing_file 'nonexistent\.yaml' cb apply -f "$WORK/nonexistent.yaml"
	bad_case apply_no_file '-f FILE' cb apply
	bad_case apply_yaml_syntax_line_col "$(at syntax)" cb apply -f "$WORK/syntax.yaml"
	bad_case apply_kube_name "$(at kube-name).*belong to the Kubernetes agent" \
		cb apply -f "$WORK/kube-name.yaml"
	kube_name_fresh_dir
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
	bad_case apply_guard_pct "$(at guard-pct).*max_failure_pct '100' must be below 100" \
		cb apply -f "$WORK/guard-pct.yaml"
	bad_case apply_guard_min_flows "$(at guard-flows).*min_flows '0' is out of range" \
		cb apply -f "$WORK/guard-flows.yaml"
	bad_case apply_guard_window "$(at guard-window).*window_s '3601' is out of range" \
		cb apply -f "$WORK/guard-window.yaml"
	bad_case apply_guard_unknown_key "$(at guard-key).*unknown key 'max_fail' in a guard" \
		cb apply -f "$WORK/guard-key.yaml"
	# No node section: checked against the node the maps hold (none).
	bad_case apply_ipv6_snat_always_running_node_without_address6 \
		"service 'six': snat: always on an IPv6 service needs this node's IPv6 address \\(node: address6\\)" \
		cb apply -f "$WORK/six-snat.yaml"
	bad_case apply_ipv6_traffic_local_running_node_without_pod_cidr6 \
		"service 'six': traffic_policy: local on an IPv6 service needs this node's IPv6 pod CIDR \\(node: pod_cidr6\\)" \
		cb apply -f "$WORK/six-local.yaml"
	bad_case apply_ipv6_snat_always_node_without_address6 \
		"$(at six-snat-node)service 'six': snat: always .*\\(node: address6\\)" \
		cb apply -f "$WORK/six-snat-node.yaml"
	bad_case apply_ipv6_traffic_local_node_without_pod_cidr6 \
		"$(at six-local-node)node has no 'pod_cidr6'" \
		cb apply -f "$WORK/six-local-node.yaml"
	bad_case apply_node_address6_not_ipv6 "$(at node6-bad-address).*'10\\.1\\.0\\.2' is not an IPv6 address" \
		cb apply -f "$WORK/node6-bad-address.yaml"
	bad_case apply_node_pod_cidr6_host_bits "$(at node6-bad-cidr).*'fd00::1/64' has host bits" \
		cb apply -f "$WORK/node6-bad-cidr.yaml"
	bad_case apply_ipv6_mixed_endpoint "$(at six-mixed-ep).*10\\.244\\.1\\.11:8080 of 'six' is IPv4" \
		cb apply -f "$WORK/six-mixed-ep.yaml"
	bad_case apply_ipv6_mixed_pin "$(at six-mixed-pin).*pin 10\\.0\\.0\\.0/8 of 'six' is IPv4" \
		cb apply -f "$WORK/six-mixed-pin.yaml"
	bad_case apply_ipv6_pin_host_bits "$(at six-host-bits).*2001:db8:ff::1/48.*host bits" \
		cb apply -f "$WORK/six-host-bits.yaml"
	bad_case apply_ipv6_bad_endpoint "$(at six-bad-ip).*'2001:db8::zz' is not an IP address" \
		cb apply -f "$WORK/six-bad-ip.yaml"
	bad_case apply_timeout_zero "$(at tmo-zero).*timeouts: 'udp' is '0'" \
		cb apply -f "$WORK/tmo-zero.yaml"
	bad_case apply_timeout_unknown_key "$(at tmo-key).*unknown key 'icmp' in a timeouts section" \
		cb apply -f "$WORK/tmo-key.yaml"
	bad_case apply_flood_guard_negative "$(at flood).*flood_guard '-1'" \
		cb apply -f "$WORK/flood.yaml"
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
	bad_case service_add_bad_ipv6 "'2001:db8::zz' is not an IP address" cb service add x --vip '[2001:db8::zz]:80'
	bad_case service_add_ipv6_no_brackets "2001:db8::10:80.*brackets" cb service add x --vip 2001:db8::10:80
	bad_case service_add_ipv6_unclosed "'\\[2001:db8::10:80'" cb service add x --vip '[2001:db8::10:80'
	bad_case service_add_ipv6_vip_taken "\\[2001:db8::10\\]:80/tcp" cb service add x --vip '[2001:db8::10]:80'
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
	bad_case endpoints_ipv4_in_ipv6_service "10\\.244\\.1\\.11:8080 of 'six' is IPv4" cb endpoints set six v1 10.244.1.11:8080
	bad_case endpoints_ipv6_in_ipv4_service "\\[2001:db8::11\\]:5050 of 'prod-service' is IPv6" cb endpoints set prod-service v1 '[2001:db8::11]:5050'
	bad_case endpoints_bad_ipv6 "'2001:db8::zz' is not an IP address" cb endpoints set six v1 '[2001:db8::zz]:8080'
	bad_case endpoints_ipv6_duplicate "\\[2001:db8::11\\]:8080 is listed twice" cb endpoints set six v1 '[2001:db8::11]:8080' '[2001:db8::11]:8080'
	bad_case pin_ipv6_host_bits "2001:db8:ff::1/48.*host bits" cb pin six 2001:db8:ff::1/48 v1
	bad_case pin_ipv6_prefix_129 "2001:db8::/129.*0 to 128" cb pin six 2001:db8::/129 v1
	bad_case pin_ipv6_bad_cidr "2001:db8::zz/64" cb pin six 2001:db8::zz/64 v1
	bad_case pin_ipv6_in_ipv4_service "pin 2001:db8::/32 of 'prod-service' is IPv6" cb pin prod-service 2001:db8::/32 v2
	bad_case pin_ipv4_in_ipv6_service "pin 10\\.0\\.0\\.0/8 of 'six' is IPv4" cb pin six 10.0.0.0/8 v1
	bad_case unpin_ipv6_not_pinned "2001:db8:ee::/48" cb unpin six 2001:db8:ee::/48
}

other_cases() {
	bad_case flows_bad_action "'flush'" cb flows flush
	bad_case flows_list_bad_limit "--limit: 'x'" cb flows list --limit x
	bad_case flows_list_unknown_service "--service: service 'nosuch-svc' does not exist" \
		cb flows list --service nosuch-svc
	bad_case flows_count_with_list_option "--service and --limit go with 'list' only" \
		cb flows count --limit 5
	bad_case status_unknown_service nosuch-svc cb status nosuch-svc
	bad_case status_namespace_without_kube '--namespace and --kubeconfig need --kube' cb status --namespace prod
	bad_case set_weight_namespace_without_kube '--namespace and --kubeconfig need --kube' cb set-weight --namespace prod prod-service v2=10
	bad_case agent_node_name_bad "--node-name 'Node_1'.*node name" \
		cb agent --no-attach --kubeconfig "$WORK/nonexistent" --node-name Node_1
	bad_case agent_node_name_env_bad "'n&x=1' \(or \\\$NODE_NAME\)" \
		env NODE_NAME='n&x=1' "$CANARY_BIN" --pin-dir "$PIN_DIR" agent --no-attach \
		--kubeconfig "$WORK/nonexistent"
	bad_case unknown_command frobnicate cb frobnicate
	bad_case guard_pct_100 "--max-failure-pct: max_failure_pct '100' must be below 100" \
		cb guard prod-service --max-failure-pct 100
	bad_case guard_pct_not_a_number "max_failure_pct: 'x' is not a percentage" \
		cb guard prod-service --max-failure-pct x
	bad_case guard_min_flows_zero "--min-flows: min_flows '0' is out of range" \
		cb guard prod-service --min-flows 0
	bad_case guard_window_not_a_number "--window-s: window_s '1s' is not a whole number" \
		cb guard prod-service --window-s 1s
	bad_case guard_unknown_service "service 'nosuch' does not exist" \
		cb guard nosuch --min-flows 10
	bad_case guard_reset_unknown_service "service 'nosuch' does not exist" \
		cb guard nosuch --reset
	bad_case guard_reset_without_guard "service 'prod-service' has no guard" \
		cb guard prod-service --reset
	bad_case guard_nothing_asked "--off or --reset: one of them" cb guard prod-service
	bad_case guard_off_and_reset "--off or --reset: one of them" \
		cb guard prod-service --off --reset
	bad_case top_delay_zero "--delay '0': expected 1-60 seconds" cb top --delay 0
	bad_case top_argument "expected no arguments" cb top now
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

# six_status: status shows the IPv6 service as users write it, plain and
# JSON.
six_status() {
	local out
	out=$(cb status six 2>&1)
	if [[ $out == *"six  [2001:db8::10]:80/tcp"* &&
	      $out == *"[2001:db8::11]:8080 [2001:db8::12]:8080(draining)"* &&
	      $out == *"pin 2001:db8:ff::/48 -> v1"* ]]; then
		pass status_ipv6_service
	else
		fail status_ipv6_service "${out:0:300}"
	fi
	out=$(cb -j status six 2>&1)
	if python3 -c 'import json, sys
s = json.loads(sys.argv[1])["services"][0]
eps = s["versions"][0]["endpoints"]
sys.exit(0 if s["vip"] == "2001:db8::10" and s["family"] == "ipv6" and
         s["port"] == 80 and eps[0]["ip"] == "2001:db8::11" and
         s["pins"][0]["cidr"] == "2001:db8:ff::/48" else 1)' "$out"; then
		pass status_json_ipv6_service
	else
		fail status_json_ipv6_service "${out:0:300}"
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
# An IPv6 service too, so the IPv6 maps have entries to keep.
expect service_add_six cb service add six --vip '[2001:db8::10]:80/tcp'
expect endpoints_six cb endpoints set six v1 '[2001:db8::11]:8080' \
	--draining '[2001:db8::12]:8080'
expect pin_six cb pin six 2001:db8:ff::/48 v1
six_status
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
