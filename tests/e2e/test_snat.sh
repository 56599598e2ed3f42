#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Two nodes behind a router: the client's traffic to the VIP reaches node A
# (where canary-bpf runs); v1's pods live on node A, v2's on node B. Flows
# to node B leave node A source-NATed to node A's address, and their
# replies, which come back to node A, are translated back. The split holds
# across both nodes, replies work from both, 100 long-lived connections
# survive a weight change and a reload (re-attach and re-apply).
# Then the same for IPv6 on the same namespaces (dual stack, TCP and UDP),
# where the pods also see who talks to them: node A for SNATed flows, the
# client for node A's pods, for traffic_policy: local and for a listener
# on node A's own address (a hostNetwork pod); and path MTU discovery
# through a SNATed flow.
#
#   client 10.0.0.2 -- router -- node A 10.1.0.1 (pods 10.244.1.11, .12)
#                             \- node B 10.2.0.1 (pods 10.244.2.21, .22)
#   client fd00:c::2 -- router -- node A fd00:a::1 (pods fd00:244:1::11, ::12)
#                              \- node B fd00:b::1 (pods fd00:244:2::21, ::22)
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

NS_ROUTER=${PREFIX}rt
NS_NODE_B=${PREFIX}nb
PODS=(hello-v1-0 hello-v1-1 hello-v2-0 hello-v2-1)
POD_IPS=(10.244.1.11 10.244.1.12 10.244.2.21 10.244.2.22)
POD_DEVS=(hv10 hv11 hv20 hv21)
POD_IPS6=(fd00:244:1::11 fd00:244:1::12 fd00:244:2::21 fd00:244:2::22)
VIP6=2001:db8::10

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
	client_auto_ports "$NS_CLIENT" &&
	sys ip -n "$NS_ROUTER" link set lo up &&
	# Node A sends SNATed flows and their replies back out of n0 by an
	# XDP redirect; a veth takes XDP frames only when its peer runs NAPI.
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

# node6 NS ADDR GW: a node's IPv6 address on n0, forwarding, gateway.
node6() {
	sys ip -n "$1" addr add "$2/64" dev n0 nodad &&
	sys nsx "$1" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
	sys ip -n "$1" -6 route add default via "$3"
}

# pod6 I NODE_NS: POD_IPS6[I] on pod I, routed Calico-style through
# fe80::1 on the node side of its veth (as lib.sh's topo_v6).
pod6() {
	local ns dev=${POD_DEVS[$1]}
	ns=$(pod_ns "$1")
	sys ip -n "$ns" addr add "${POD_IPS6[$1]}/128" dev eth0 nodad &&
	sys nsx "$ns" sysctl -qw net.ipv6.icmp.ratelimit=0 &&
	sys ip -n "$2" addr add fe80::1/64 dev "$dev" nodad &&
	sys ip -n "$ns" -6 route add default via fe80::1 dev eth0 &&
	sys ip -n "$2" -6 route add "${POD_IPS6[$1]}/128" dev "$dev"
}

# two_nodes_v6: IPv6 on the two-node topology.
two_nodes_v6() {
	sys ip -n "$NS_CLIENT" addr add fd00:c::2/64 dev c0 nodad &&
	sys ip -n "$NS_CLIENT" -6 route add default via fd00:c::fe &&
	sys ip -n "$NS_ROUTER" addr add fd00:c::fe/64 dev r0 nodad &&
	sys ip -n "$NS_ROUTER" addr add fd00:a::fe/64 dev ra nodad &&
	sys ip -n "$NS_ROUTER" addr add fd00:b::fe/64 dev rb nodad &&
	sys nsx "$NS_ROUTER" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
	sys ip -n "$NS_ROUTER" -6 route add "$VIP6/128" via fd00:a::1 &&
	sys ip -n "$NS_ROUTER" -6 route add fd00:244:1::/64 via fd00:a::1 &&
	sys ip -n "$NS_ROUTER" -6 route add fd00:244:2::/64 via fd00:b::1 &&
	node6 "$NS_NODE" fd00:a::1 fd00:a::fe &&
	node6 "$NS_NODE_B" fd00:b::1 fd00:b::fe &&
	pod6 0 "$NS_NODE" && pod6 1 "$NS_NODE" &&
	pod6 2 "$NS_NODE_B" && pod6 3 "$NS_NODE_B" && v6_settle
}

e2e_init
need_cli
two_nodes_up || bail "topology setup failed"
two_nodes_v6 || bail "IPv6 topology setup failed"
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
# n0 (a veth whose peer has GRO) joined the fast path by itself: XDP sends
# SNATed flows and their replies back out of it by a redirect, and every
# one arrives (XDP_TX there would leave them in the router's ring).
counter_case snat_sent_back_by_xdp \
	"c['redirected'] >= 0.95 * (c['translated'] + c['snat_replies']) and c['fib_fallback'] < 50"

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
# One dual-stack listener (IPv4-mapped too) serves the IPv4 and the IPv6
# bulk echo.
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
ls = socket.socket(socket.AF_INET6)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
ls.bind(("::", 5060))
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

# bulk_echo VIP: 256 KiB echoed through VIP:5002 within 60 s (20 s at
# most without progress); prints what came back.
cat >"$WORK/bulk_client.py" <<'PY'
import os, socket, sys, time
deadline = time.time() + 60
data = os.urandom(256 * 1024)
s = socket.create_connection((sys.argv[1], 5002), timeout=20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
back = bytearray()
while time.time() < deadline:
    b = s.recv(65536)
    if not b:
        break
    back += b
print("%d of %d bytes echoed" % (len(back), len(data)))
sys.exit(0 if back == data else 1)
PY
bulk_echo() { nsx "$NS_CLIENT" timeout 90 "$PY" "$WORK/bulk_client.py" "$1"; }

for n in $(seq 50); do [ -e "$WORK/bulk.ready" ] && break; sleep 0.1; done
if sys ip -n "$NS_ROUTER" route replace 10.244.2.0/24 via 10.2.0.1 mtu 1280 &&
	sys ip -n "$NS_ROUTER" route add 10.0.0.2/32 dev r0 mtu 1280 &&
	res=$(bulk_echo "$VIP"); then
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

# ---- IPv6 ----
# whoami.py PORT READY: answers each TCP connection with "POD PEER\n",
# the address it sees the connection come from.
cat >"$WORK/whoami.py" <<'PY'
import socket, sys, threading
def serve(c, peer):
    c.sendall(("%s %s\n" % (sys.argv[3], peer[0])).encode())
    c.close()
ls = socket.socket(socket.AF_INET6)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("::", int(sys.argv[1])))
ls.listen(64)
open(sys.argv[2], "w").close()
while True:
    c, peer = ls.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
PY
for i in 0 2; do
	ip netns exec "$(pod_ns "$i")" "$PY" "$WORK/whoami.py" 5070 \
		"$WORK/whoami.$i" "${PODS[$i]}" &
	PIDS+=("$!")
done
# A hostNetwork pod on node A: its endpoint is node A's own address.
ip netns exec "$NS_NODE" "$PY" "$WORK/whoami.py" 5072 "$WORK/whoami.node" \
	host-net &
PIDS+=("$!")
# who_case NAME PORT N WANT: N connections to [VIP6]:PORT; PASS when the
# sorted "POD PEER: count" lines are WANT (counts as POD PEER=MIN..MAX).
who_case() {
	local res
	if res=$(nsx "$NS_CLIENT" "$PY" - "$VIP6" "$2" "$3" "$4" <<'PY'
import collections, socket, sys, time
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = collections.Counter()
deadline = time.time() + 30
for i in range(n):
    if time.time() > deadline:
        break
    try:
        s = socket.create_connection((vip, port), timeout=2)
        seen[s.makefile().readline().strip()] += 1
        s.close()
    except OSError as e:
        seen["error " + type(e).__name__] += 1
print(", ".join("%s: %d" % kv for kv in sorted(seen.items())))
want = dict(w.split("=") for w in sys.argv[4].split(","))
ok = set(want) == set(seen) and all(
    int(r.split("..")[0]) <= seen[k] <= int(r.split("..")[-1])
    for k, r in want.items())
sys.exit(0 if ok else 1)
PY
	); then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "${res:-client failed}"
	fi
}

cat >"$WORK/snat6.yaml" <<YAML
node: {address: 10.1.0.1, pod_cidr: 10.244.1.0/24, address6: "fd00:a::1",
       pod_cidr6: "fd00:244:1::/64", snat_ports: 20000-29999}
services:
  - name: prod-six
    vip: "$VIP6"
    port: $VPORT
    versions:
      - {name: v1, weight: 50, endpoints: ["[${POD_IPS6[0]}]:5050", "[${POD_IPS6[1]}]:5050"]}
      - {name: v2, weight: 50, endpoints: ["[${POD_IPS6[2]}]:5050", "[${POD_IPS6[3]}]:5050"]}
  - name: prod-six-udp
    vip: "$VIP6"
    port: $VPORT
    protocol: udp
    versions:
      - {name: v1, weight: 50, endpoints: ["[${POD_IPS6[0]}]:5053", "[${POD_IPS6[1]}]:5053"]}
      - {name: v2, weight: 50, endpoints: ["[${POD_IPS6[2]}]:5053", "[${POD_IPS6[3]}]:5053"]}
  - name: who-six
    vip: "$VIP6"
    port: 5070
    versions:
      - {name: v1, weight: 100, endpoints: ["[${POD_IPS6[0]}]:5070", "[${POD_IPS6[2]}]:5070"]}
  - name: who-six-local
    vip: "$VIP6"
    port: 5071
    traffic_policy: local
    versions:
      - {name: v1, weight: 100, endpoints: ["[${POD_IPS6[0]}]:5070", "[${POD_IPS6[2]}]:5070"]}
  - name: who-six-always
    vip: "$VIP6"
    port: 5073
    snat: always
    versions:
      - {name: v1, weight: 100, endpoints: ["[${POD_IPS6[0]}]:5070", "[${POD_IPS6[2]}]:5070"]}
  - name: who-node-six
    vip: "$VIP6"
    port: 5072
    versions:
      - {name: v1, weight: 100, endpoints: ["[fd00:a::1]:5072"]}
  - name: dead-six
    vip: "$VIP6"
    port: 5001
    protocol: udp
    versions:
      - {name: v1, weight: 100, endpoints: ["[${POD_IPS6[2]}]:5999", "[${POD_IPS6[3]}]:5999"]}
  - name: bulk-six
    vip: "$VIP6"
    port: 5002
    versions:
      - {name: v1, weight: 100, endpoints: ["[${POD_IPS6[2]}]:5060"]}
YAML
VIP=$VIP6
expect apply_ipv6_two_nodes cb apply -f "$WORK/snat6.yaml"
counter_snap before6
split_case split_across_nodes6 2000 4 v1=50 v2=50
if traffic udp udp6 400; then
	check_share udp_split_across_nodes6_replies_from_vip udp6 400 8 v1=50 v2=50
else
	fail udp_split_across_nodes6_replies_from_vip "client.py udp failed"
fi
counter_case remote_flows6_snated_and_back \
	"c['snat'] >= 1000 and c['snat_replies'] > c['snat'] and c['snat_full'] == 0 and c['errors'] == 0" before6
for n in $(seq 50); do [ -e "$WORK/whoami.0" ] && [ -e "$WORK/whoami.2" ] && break; sleep 0.1; done
who_case snat6_remote_pod_sees_node_a 5070 60 \
	"${PODS[0]} fd00:c::2=10..50,${PODS[2]} fd00:a::1=10..50"
who_case local6_keeps_client_address 5071 30 "${PODS[0]} fd00:c::2=30"
who_case snat6_always_both_nodes 5073 60 \
	"${PODS[0]} fd00:c::2=10..50,${PODS[2]} fd00:a::1=10..50"
# Not SNATed (node A to itself): the reply of a socket on node A to node
# A's own address and SNAT port would be delivered there, never translated.
for n in $(seq 50); do [ -e "$WORK/whoami.node" ] && break; sleep 0.1; done
who_case snat6_endpoint_at_node_address_keeps_client 5072 10 "host-net fd00:c::2=10"
unreachable_case snat6_port_unreachable_reaches_client "$VIP6" 5001

hold_start 100
hold_cmd "" hold_open6 || fail hold_open6 "no answer from client.py hold"
expect set_weight_v2_100_six cb set-weight prod-six v2=100
held_case long_lived6_survive_weight_change 100
attach_case reattach6 native --no-redirect
expect reapply6 cb apply -f "$WORK/snat6.yaml"
held_case long_lived6_survive_reload 100
hold_quit

# Path MTU discovery through a SNATed IPv6 flow, as for IPv4 above: the
# router's routes to node B's pods and to the client allow 1280 bytes
# (IPv6's minimum MTU), every link 1500. Its packet-too-big errors, to
# node A about the forward packets and to the VIP about the replies,
# must reach the client and the endpoint translated, or the echo stalls.
counter_snap before_pmtu6
if sys ip -n "$NS_ROUTER" -6 route replace fd00:244:2::/64 via fd00:b::1 mtu 1280 &&
	sys ip -n "$NS_ROUTER" -6 route add fd00:c::2/128 dev r0 mtu 1280 &&
	res=$(bulk_echo "$VIP6"); then
	pass snat6_pmtu_bulk_echo_completes
	info "snat6_pmtu_bulk_echo_completes: $res"
else
	fail snat6_pmtu_bulk_echo_completes "${res:-transfer failed or timed out}"
fi
if ip -n "$NS_CLIENT" -6 route get "$VIP6" | grep -q "mtu 1280"; then
	pass client_learned_pmtu6
else
	fail client_learned_pmtu6 "$(ip -n "$NS_CLIENT" -6 route get "$VIP6")"
fi
if nsx "$(pod_ns 2)" ip -6 route get fd00:a::1 | grep -q "mtu 1280"; then
	pass endpoint_learned_pmtu6
else
	fail endpoint_learned_pmtu6 "$(nsx "$(pod_ns 2)" ip -6 route get fd00:a::1)"
fi
counter_case snat6_pmtu_errors_translated \
	"c['icmp'] >= 2 and c['errors'] == 0 and c['snat_full'] == 0" before_pmtu6
info "snat6_pmtu_errors_translated: $(cb -j status 2>/dev/null | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["counters"]["icmp"] -
      json.load(open(sys.argv[1]))["counters"]["icmp"])' "$WORK/before_pmtu6.json") ICMPv6 errors translated"
finish
