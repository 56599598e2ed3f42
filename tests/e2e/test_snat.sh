#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Two nodes behind a router: the client's traffic to the VIP reaches node A
# (where canary-bpf runs); v1's pods live on node A, v2's on node B. Flows
# to node B leave node A source-NATed to node A's address, and their
# replies, which come back to node A, are translated back. The split holds
# across both nodes, replies work from both, 100 long-lived connections
# survive a weight change and a reload (re-attach and re-apply).
#
#   client 10.0.0.2 -- router -- node A 10.1.0.1 (pods 10.244.1.11, .12)
#                             \- node B 10.2.0.1 (pods 10.244.2.21, .22)
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

NS_ROUTER=${PREFIX}rt
NS_NODE_B=${PREFIX}nb
PODS=(hello-v1-0 hello-v1-1 hello-v2-0 hello-v2-1)
POD_IPS=(10.244.1.11 10.244.1.12 10.244.2.21 10.244.2.22)
POD_DEVS=(hv10 hv11 hv20 hv21)

# link NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a veth between two namespaces.
link() {
	sys ip -n "$1" link add "$2" type veth peer name "$5" netns "$4" &&
	sys ip -n "$1" addr add "$3" dev "$2" && sys ip -n "$1" link set "$2" up &&
	sys ip -n "$4" addr add "$6" dev "$5" && sys ip -n "$4" link set "$5" up
}

# node NS GW: a node's forwarding, its gateway and the pods' gateway.
node_setup() {
	sys ip -n "$1" link set lo up &&
	sys nsx "$1" sysctl -qw net.ipv4.ip_forward=1 &&
	sys ip -n "$1" route add default via "$2" &&
	sys ip -n "$1" link add up0 type veth peer name up1 &&
	sys ip -n "$1" link set up0 up && sys ip -n "$1" link set up1 up &&
	sys ip -n "$1" route add 169.254.1.1/32 dev up0
}

# pod I NODE_NS: pod I on a node (lib.sh's topo_pod). Its replies reach
# node A's XDP after crossing veths: full checksums, as from a wire (see
# topo_client in lib.sh).
pod() {
	topo_pod "$1" "$2" && sys nsx "$(pod_ns "$1")" ethtool -K eth0 tx off
}

two_nodes_up() {
	local i
	NSS+=("$NS_CLIENT" "$NS_ROUTER" "$NS_NODE" "$NS_NODE_B")
	for ns in "$NS_CLIENT" "$NS_ROUTER" "$NS_NODE" "$NS_NODE_B"; do
		sys ip netns add "$ns" || return 1
	done
	link "$NS_CLIENT" c0 10.0.0.2/24 "$NS_ROUTER" r0 10.0.0.254/24 &&
	link "$NS_ROUTER" ra 10.1.0.254/24 "$NS_NODE" n0 10.1.0.1/24 &&
	link "$NS_ROUTER" rb 10.2.0.254/24 "$NS_NODE_B" n0 10.2.0.1/24 &&
	sys ip -n "$NS_CLIENT" link set lo up &&
	sys ip -n "$NS_CLIENT" route add default via 10.0.0.254 &&
	sys nsx "$NS_CLIENT" ethtool -K c0 tx off &&
	sys nsx "$NS_CLIENT" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" &&
	sys ip -n "$NS_ROUTER" link set lo up &&
	# Node A sends SNATed flows and their replies back out of n0 with
	# XDP_TX; a veth takes XDP frames only when its peer runs NAPI.
	sys nsx "$NS_ROUTER" ethtool -K ra gro on &&
	sys nsx "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 &&
	sys ip -n "$NS_ROUTER" route add "$VIP/32" via 10.1.0.1 &&
	sys ip -n "$NS_ROUTER" route add 10.244.1.0/24 via 10.1.0.1 &&
	sys ip -n "$NS_ROUTER" route add 10.244.2.0/24 via 10.2.0.1 &&
	node_setup "$NS_NODE" 10.1.0.254 && node_setup "$NS_NODE_B" 10.2.0.254 &&
	# SNATed packets that XDP hands to node A's kernel (XDP_PASS) carry
	# node A's own address as source: accept them on n0.
	sys nsx "$NS_NODE" sysctl -qw net.ipv4.conf.n0.accept_local=1 &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv4.conf.all.rp_filter=0 &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv4.conf.n0.rp_filter=0 || return 1
	for i in 0 1; do pod "$i" "$NS_NODE" || return 1; done
	for i in 2 3; do pod "$i" "$NS_NODE_B" || return 1; done
	pin_mount
}

e2e_init
need_cli
two_nodes_up || bail "topology setup failed"
pod_start || bail "pod servers did not start"

cat >"$WORK/snat.yaml" <<YAML
node: {address: 10.1.0.1, pod_cidr: 10.244.1.0/24, snat_ports: 20000-29999}
services:
  - name: prod-service
    vip: $VIP
    port: $VPORT
    versions:
      - {name: v1, weight: 50, endpoints: [10.244.1.11:5050, 10.244.1.12:5050]}
      - {name: v2, weight: 50, endpoints: [10.244.2.21:5050, 10.244.2.22:5050]}
YAML
attach_case attach_node_a native --no-redirect
expect apply_two_nodes cb apply -f "$WORK/snat.yaml"
split_case split_across_nodes 2000 4 v1=50 v2=50
counter_case remote_flows_snated_and_back \
	"c['snat'] >= 900 and c['snat_replies'] > c['snat'] and c['snat_full'] == 0"

hold_start 100
hold_cmd "" hold_open || fail hold_open "no answer from client.py hold"
expect set_weight_v2_100 cb set-weight prod-service v2=100
held_case long_lived_survive_weight_change 100
attach_case reattach native --no-redirect
expect reapply cb apply -f "$WORK/snat.yaml"
held_case long_lived_survive_reload 100
hold_quit

# ICMP errors through SNATed flows. A UDP port nobody listens on at node
# B's pods: their port unreachable, sent to node A about node A's packet,
# must reach the client as about its own (ECONNREFUSED at once). And a
# bulk echo through a SNATed flow with 1280-byte route MTUs on the router
# both ways (to node B's pods, and to the client): the frag-needed errors
# the router sends to node A (about the forward packets) and to the VIP
# (about the replies) must be translated for the client and the endpoint,
# or the transfer stalls (no MTU probing without them). The router is on
# both paths: an error that came back to it from its own address would be
# dropped as a martian, which is why node A sends it on from the VIP.
cat >"$WORK/bulk.py" <<'PY'
import socket, sys, threading
def serve(c):
    data = bytearray()
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    c.sendall(data)
    c.close()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", 5060))
ls.listen(16)
open(sys.argv[1], "w").close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
ip netns exec "$(pod_ns 2)" "$PY" "$WORK/bulk.py" "$WORK/bulk.ready" &
PIDS+=("$!")
cat >"$WORK/snat_icmp.yaml" <<YAML
node: {address: 10.1.0.1, pod_cidr: 10.244.1.0/24, snat_ports: 20000-29999}
services:
  - name: dead-udp
    vip: $VIP
    port: 5001
    protocol: udp
    versions:
      - {name: v1, weight: 100, endpoints: [10.244.2.21:5999, 10.244.2.22:5999]}
  - name: bulk
    vip: $VIP
    port: 5002
    versions:
      - {name: v1, weight: 100, endpoints: [10.244.2.21:5060]}
YAML
expect apply_snat_icmp cb apply -f "$WORK/snat_icmp.yaml"
for i in 2 3; do nsx "$(pod_ns "$i")" sysctl -qw net.ipv4.icmp_ratelimit=0; done
counter_snap before_icmp

unreachable_case snat_port_unreachable_reaches_client "$VIP" 5001

for n in $(seq 50); do [ -e "$WORK/bulk.ready" ] && break; sleep 0.1; done
if sys ip -n "$NS_ROUTER" route replace 10.244.2.0/24 via 10.2.0.1 mtu 1280 &&
	sys ip -n "$NS_ROUTER" route add 10.0.0.2/32 dev r0 mtu 1280 &&
	res=$(nsx "$NS_CLIENT" "$PY" - "$VIP" <<'PY'
import os, socket, sys
data = os.urandom(256 * 1024)
s = socket.create_connection((sys.argv[1], 5002), timeout=20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
back = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    back += b
print("%d of %d bytes echoed" % (len(back), len(data)))
sys.exit(0 if back == data else 1)
PY
); then
	pass snat_pmtu_bulk_echo_completes
	info "snat_pmtu_bulk_echo_completes: $res"
else
	fail snat_pmtu_bulk_echo_completes "${res:-transfer failed or timed out}"
fi
# Both ends learned the path MTU from the translated errors.
if ip -n "$NS_CLIENT" route get "$VIP" | grep -q "mtu 1280"; then
	pass client_learned_pmtu
else
	fail client_learned_pmtu "$(ip -n "$NS_CLIENT" route get "$VIP")"
fi
if nsx "$(pod_ns 2)" ip route get 10.1.0.1 | grep -q "mtu 1280"; then
	pass endpoint_learned_pmtu
else
	fail endpoint_learned_pmtu "$(nsx "$(pod_ns 2)" ip route get 10.1.0.1)"
fi
counter_case snat_icmp_counted "c['icmp'] >= 22 and c['errors'] == 0" before_icmp
finish
