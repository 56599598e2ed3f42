#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The XDP fast path past a bridge: pods flannel-style on cni0 (lib.sh's
# POD_WIRING=bridge, plus IPv6 fd00:244:1::/64 on cni0), native XDP on n0
# with "attach --bridge cni0". The FIB resolves every pod to cni0, which
# takes no XDP frames; canary_port (the bridge FDB copied by the loader)
# names the pod's veth, and XDP redirects straight to it.
# Checks: a bad --bridge is refused (exit 2, nothing attached); the ports
# join canary_tx and every pod's MAC is in canary_port after a refresh;
# TCP and UDP over IPv4 and IPv6 split by weight with replies from the VIP
# and redirected ~= translated; held connections keep their pod through a
# weight change; a deleted canary_port entry and a pod whose veth was
# re-created (new ifindex, same MAC) fall back to the kernel path without
# losing a datagram, and the next refresh brings the fast path back; a
# port whose pod stops taking XDP frames (GRO off) leaves canary_tx.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

POD_WIRING=bridge
VIP4=$VIP
VIP6=2001:db8::10

# topo_bridge_v6: IPv6 on the bridge wiring; only our namespaces.
topo_bridge_v6() {
	local i ns
	sys ip -n "$NS_CLIENT" addr add fd00:10::2/64 dev c0 nodad &&
	sys ip -n "$NS_CLIENT" -6 route add default via fd00:10::1 &&
	sys ip -n "$NS_NODE" addr add fd00:10::1/64 dev n0 nodad &&
	sys ip -n "$NS_NODE" addr add fd00:244:1::1/64 dev cni0 nodad &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	for i in "${!PODS[@]}"; do
		ns=$(pod_ns "$i")
		sys ip -n "$ns" addr add "${POD_IPS6[$i]}/64" dev eth0 nodad &&
		sys ip -n "$ns" -6 route add default via fd00:244:1::1 dev eth0 ||
			return 1
	done
	v6_settle
}

# yaml_bridge V1 V2: TCP and UDP services over IPv4 and IPv6.
yaml_bridge() {
	local p eps6
	echo "services:"
	VIP=$VIP4 yaml_service prod-service tcp "$1" "$2"
	VIP=$VIP4 yaml_service prod-udp udp "$1" "$2" 5053
	for p in tcp:5050 udp:5053; do
		eps6="\"[${POD_IPS6[0]}]:${p#*:}\", \"[${POD_IPS6[1]}]:${p#*:}\", \"[${POD_IPS6[2]}]:${p#*:}\""
		cat <<-EOF
		  - name: six-${p%%:*}
		    vip: $VIP6
		    port: $VPORT
		    protocol: ${p%%:*}
		    versions:
		      - name: v1
		        weight: $1
		        endpoints: [$eps6]
		      - name: v2
		        weight: $2
		        endpoints: ["[${POD_IPS6[3]}]:${p#*:}"]
		EOF
	done
}

ifindex() { ip -n "$1" -j link show "$2" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])'; }
mac() { ip -n "$1" -j link show "$2" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }

# port_map: canary_port as "BRIDGE MAC PORT" lines (markers have MAC 0).
port_map() {
	bpftool -j map dump pinned "$PIN_DIR/canary_port" | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    k, v = e["formatted"]["key"], e["formatted"]["value"]
    print(k["ifindex"], ":".join("%02x" % b for b in k["mac"]), v["ifindex"])'
}

# port_case NAME I: pod I's MAC is in canary_port behind cni0, pointing
# at the node-side veth of pod I.
port_case() {
	local want got
	want="$(ifindex "$NS_NODE" cni0) $(mac "$(pod_ns "$2")" eth0) $(ifindex "$NS_NODE" "${POD_DEVS[$2]}")"
	got=$(port_map)
	if grep -qx "$want" <<<"$got"; then
		pass "$1"
	else
		fail "$1" "want '$want' in canary_port: $got"
	fi
}

# tx_case NAME I yes|no: whether pod I's node-side veth is in canary_tx.
tx_case() {
	local idx got
	idx=$(ifindex "$NS_NODE" "${POD_DEVS[$2]}")
	got=$(bpftool -j map dump pinned "$PIN_DIR/canary_tx" | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    k = e.get("formatted", {}).get("key")
    if k is None:
        k = int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little")
    print(k)')
	if grep -qx "$idx" <<<"$got"; then got="yes ($got)"; else got="no ($got)"; fi
	if [ "${got%% *}" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "ifindex $idx in canary_tx: want $3, got $got"
	fi
}

# port_key I: bpftool's "key hex" bytes of pod I's canary_port entry.
port_key() {
	local br m
	br=$(ifindex "$NS_NODE" cni0)
	m=$(mac "$(pod_ns "$1")" eth0)
	printf '%02x %02x %02x %02x %s 00 00' $((br & 255)) $((br >> 8 & 255)) \
		$((br >> 16 & 255)) $((br >> 24)) "${m//:/ }"
}

# bad_bridge_case NAME ARG: "attach --bridge ARG" exits 2 naming --bridge.
bad_bridge_case() {
	local out rc=0
	out=$(cb attach n0 --bridge "$2" 2>&1) || rc=$?
	if [ "$rc" -eq 2 ] && [[ $out == *"--bridge '$2'"* ]]; then
		pass "$1"
	else
		fail "$1" "exit $rc, want 2 naming --bridge '$2': ${out:0:200}"
	fi
}

# refresh NAME: a no-op apply, which re-reads the bridge FDB.
refresh() { expect "$1" cb apply -f "$WORK/b.yaml"; }

# recreate_pod I: pod I's veth pair deleted and made again, same names,
# MAC and addresses: a new ifindex behind the same MAC, as when a CNI
# re-creates a pod's interface. The pod server keeps running.
recreate_pod() {
	local ns dev=${POD_DEVS[$1]} m
	ns=$(pod_ns "$1")
	m=$(mac "$ns" eth0)
	sys ip -n "$NS_NODE" link del "$dev" &&
	sys ip -n "$NS_NODE" link add "$dev" type veth peer name eth0 netns "$ns" &&
	# The port forwards before the pod's addresses join their multicast
	# groups: neighbour discovery reaches it through the bridge.
	sys ip -n "$NS_NODE" link set "$dev" master cni0 &&
	sys ip -n "$NS_NODE" link set "$dev" up &&
	sys ip -n "$ns" link set eth0 address "$m" &&
	sys ip -n "$ns" link set eth0 up &&
	sys nsx "$ns" ethtool -K eth0 gro on &&
	sys ip -n "$ns" addr add "${POD_IPS[$1]}/24" dev eth0 &&
	sys ip -n "$ns" addr add "${POD_IPS6[$1]}/64" dev eth0 nodad &&
	sys ip -n "$ns" route add default via 10.244.1.1 dev eth0 &&
	sys ip -n "$ns" -6 route add default via fd00:244:1::1 dev eth0 &&
	v6_settle &&
	# The pod says hello, as a starting pod does (DAD, router
	# solicitation): the bridge learns its MAC on the new port.
	sys nsx "$ns" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.sendto(b"hello", (sys.argv[1], 9))' fd00:244:1::1
}

FAST="c['translated'] >= 2000 and c['redirected'] >= 0.98 * c['translated'] and c['errors'] == 0"

e2e_setup
# A bridge whose MAC was never set takes its lowest port's, so deleting a
# port can change it under the pods' neighbour caches; CNIs pin it.
sys ip -n "$NS_NODE" link set cni0 address "$(mac "$NS_NODE" cni0)" ||
	bail "could not pin cni0's MAC"
topo_bridge_v6 || bail "IPv6 bridge topology setup failed"
yaml_bridge 75 25 >"$WORK/b.yaml"

bad_bridge_case bad_bridge_not_a_bridge n0
bad_bridge_case bad_bridge_no_such_iface nosuch0
if ! ip -n "$NS_NODE" -j -d link show n0 | grep -q '"xdp"' &&
	! [ -e "$PIN_DIR/canary_tx" ]; then
	pass bad_bridge_nothing_attached
else
	fail bad_bridge_nothing_attached "n0 has XDP or maps were made"
fi

# --fast-path listed: only the registered bridge's ports, and no tc
# forwarding behind XDP, so the fallbacks below are the kernel's path
# (test_fastpath.sh covers the automatic mode).
expect attach_bridge cb attach n0 --mode native --bridge cni0 --fast-path listed
expect apply_bridge cb apply -f "$WORK/b.yaml"
# Pods' MACs are learned once they talk: a first burst goes the kernel
# path (the node resolves the pods), the refresh after it copies them.
split_case warmup_kernel_path 400 100 v1=75 v2=25
traffic udp warmup_udp6 200 --vip "$VIP6" >/dev/null
refresh refresh_after_warmup
for i in "${!PODS[@]}"; do port_case "port_entry_${PODS[$i]}" "$i"; done

counter_snap fast4
split_case tcp4_split_75_25 2000 3 v1=75 v2=25
counter_case tcp4_fast_path "$FAST" fast4
if traffic udp udp4 1000; then
	check_share udp4_replies_from_vip_split udp4 1000 6 v1=75 v2=25
else
	fail udp4_replies_from_vip_split "client.py udp failed"
fi
counter_snap fast6
VIP=$VIP6 split_case tcp6_split_75_25 2000 3 v1=75 v2=25
counter_case tcp6_fast_path "$FAST" fast6
if VIP=$VIP6 traffic udp udp6 1000; then
	check_share udp6_replies_from_vip_split udp6 1000 6 v1=75 v2=25
else
	fail udp6_replies_from_vip_split "client.py udp failed"
fi

hold_start 100
if hold_cmd "" hold_open; then
	check_share hold_open hold_open 100 100 v1=75 v2=25
else
	fail hold_open "no answer from client.py hold"
fi
expect set_weight_v2_100 cb set-weight prod-service v2=100
held_case held_kept_their_pod 100
split_case new_conns_all_v2 500 0 v1=0 v2=100
hold_quit
expect set_weight_back cb set-weight prod-service v1=75 v2=25

# Fallback 1: hello-v2-0's entry deleted (as if never learned) while a
# stream runs; its share goes the kernel path, nothing is lost.
counter_snap del
udp_stream_start "$VIP4" "$VPORT" del_stream || bail "out of source ports"
sleep 1
# shellcheck disable=SC2046 # the key is a list of byte arguments
expect delete_port_entry bpftool map delete pinned "$PIN_DIR/canary_port" \
	key hex $(port_key 3)
udp_stream_case stream_while_entry_deleted del_stream
split_case split_entry_deleted 1000 4 v1=75 v2=25
counter_case entry_deleted_uses_kernel_path \
	"c['fib_fallback'] > 100 and c['redirected'] > 100 and c['errors'] == 0" del
refresh refresh_after_delete
port_case port_entry_back "3"

# Fallback 2: hello-v2-0's veth re-created: canary_port still names the
# old ifindex, which the kernel took out of canary_tx with the device.
recreate_pod 3 || bail "re-creating hello-v2-0's veth failed"
counter_snap moved
udp_stream_start "$VIP4" "$VPORT" moved_stream || bail "out of source ports"
udp_stream_case stream_after_port_moved moved_stream
VIP=$VIP6 split_case split6_after_port_moved 1000 4 v1=75 v2=25
counter_case moved_uses_kernel_path \
	"c['fib_fallback'] > 100 and c['errors'] == 0" moved
refresh refresh_after_move
port_case port_entry_moved 3
counter_snap back
split_case tcp4_fast_again 2000 3 v1=75 v2=25
counter_case fast_path_again "$FAST" back

# A pod whose eth0 stops taking XDP frames (GRO off: no NAPI, so the
# kernel would drop frames redirected to its veth) leaves canary_tx and
# canary_port at the next refresh: the kernel path serves it.
tx_case port_in_tx 3 yes
sys nsx "$(pod_ns 3)" ethtool -K eth0 gro off || bail "ethtool failed"
refresh refresh_after_gro_off
tx_case port_without_napi_left_tx 3 no
counter_snap nonapi
split_case split_pod_without_napi 1000 4 v1=75 v2=25
counter_case pod_without_napi_kernel_path \
	"c['fib_fallback'] > 100 and c['redirected'] > 100 and c['errors'] == 0" nonapi
sys nsx "$(pod_ns 3)" ethtool -K eth0 gro on || bail "ethtool failed"
refresh refresh_after_gro_on
tx_case port_with_napi_back 3 yes
port_case port_entry_with_napi_back 3

expect detach_all cb detach n0
if [ -z "$(port_map)" ]; then
	pass detach_clears_ports
else
	fail detach_clears_ports "canary_port: $(port_map)"
fi
finish
