#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# IPv6 end to end: the seed topology gets IPv6 addresses next to its IPv4
# ones (lib.sh's topo_v6: client fd00:10::2, node fd00:10::1, pods
# fd00:244:1::11..21 routed Calico-style through fe80::1), and an IPv6 service
# [2001:db8::10]:5000 sits beside the IPv4 one. Real TCP and UDP from the
# client are split by weight through native XDP (redirected straight to
# the pods' veths) and through tc; replies come from the VIP; held
# connections keep their pod through a weight change; a pod's ICMPv6 port
# unreachable reaches the client about the VIP; an AF_INET6 socket
# in a cgroup is balanced at connect() (IPv6, and IPv4-mapped to the IPv4
# service) with getpeername() showing the VIP.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

VIP4=$VIP
VIP6=2001:db8::10
POD6=("${POD_IPS6[@]}")
# yaml6 V1 V2: the IPv4 seed service and its IPv6 twin, TCP and UDP.
yaml6() {
	local eps="\"[${POD6[0]}]:5050\", \"[${POD6[1]}]:5050\", \"[${POD6[2]}]:5050\""
	echo "services:"
	VIP=$VIP4 yaml_service prod-service tcp "$1" "$2"
	cat <<-EOF
	  - name: prod-six
	    vip: $VIP6
	    port: $VPORT
	    protocol: tcp
	    versions:
	      - name: v1
	        weight: $1
	        endpoints: [$eps]
	      - name: v2
	        weight: $2
	        endpoints: ["[${POD6[3]}]:5050"]
	  - name: prod-six-udp
	    vip: $VIP6
	    port: $VPORT
	    protocol: udp
	    versions:
	      - name: v1
	        weight: 50
	        endpoints: [${eps//5050/5053}]
	      - name: v2
	        weight: 50
	        endpoints: ["[${POD6[3]}]:5053"]
	EOF
}

e2e_setup
topo_v6 || bail "IPv6 topology setup failed"
VIP=$VIP6

attach_case attach_native native
yaml6 75 25 >"$WORK/six.yaml"
expect apply_ipv6_service cb apply -f "$WORK/six.yaml"
counter_snap before
split_case xdp_tcp_split_75_25 2000 3 v1=75 v2=25
counter_case xdp_redirected_to_pods \
	"c['translated'] >= 2000 and c['redirected'] >= 2000 and c['errors'] == 0" before
if traffic udp udp6 400; then
	check_share udp_replies_from_vip udp6 400 8 v1=50 v2=50
else
	fail udp_replies_from_vip "client.py udp failed"
fi
if res=$(cb -j status | "$PY" -c '
import json, sys
s = {x["name"]: x for x in json.load(sys.stdin)["services"]}["prod-six"]
ok = s["family"] == "ipv6" and s["vip"] == sys.argv[1] and \
     sum(v["flows"] for v in s["versions"]) >= 2000
print(json.dumps({k: s[k] for k in ("name", "family", "vip")}))
sys.exit(0 if ok else 1)' "$VIP6" 2>&1); then
	pass status_shows_ipv6_service
else
	fail status_shows_ipv6_service "$res"
fi

# ICMPv6: a pod's port unreachable comes back about the VIP, so a
# connected socket sees ECONNREFUSED instead of a timeout.
expect add_dead_udp6 cb service add dead-six --vip "[$VIP6]:5001/udp" --versions v1
expect dead_udp6_endpoints cb endpoints set dead-six v1 \
	"[${POD6[0]}]:5999" "[${POD6[1]}]:5999"
counter_snap before_icmp
unreachable_case icmp6_port_unreachable_reaches_client "$VIP6" 5001
counter_case icmp6_counted "c['icmp'] >= 20" before_icmp

hold_start 50
hold_cmd "" hold_open || fail hold_open "no answer from client.py hold"
expect set_weight_v2_50 cb set-weight prod-six v2=50
held_case held_connections_keep_pod 50
split_case xdp_tcp_split_50_50 2000 3 v1=50 v2=50
hold_quit

expect detach_native cb detach n0
attach_case attach_tc tc
split_case tc_tcp_split_50_50 1000 4 v1=50 v2=50

# East-west: AF_INET6 sockets balanced at connect().
if [ -z "$CG_ROOT" ]; then
	fail socket_lb_ipv6 "no cgroup v2 hierarchy mounted"
else
	CG="$CG_ROOT/canary-e2e6-$$"
	mkdir "$CG" || bail "cannot create cgroup $CG"
	expect detach_interface cb detach n0
	expect attach_cgroup "$CANARY_BIN" --pin-dir "$PIN_DIR" attach-cgroup "$CG"
	counter_snap before_sock
	take_ports 1000
	if in_cg "$PY" "$E2E_DIR/client.py" burst --vip "$VIP6" --port "$VPORT" \
		-n 1000 --sport "$SPORT_AT" >"$WORK/sock6.json"; then
		check_share socket_lb_ipv6_getpeername_vip sock6 1000 5 v1=50 v2=50
	else
		fail socket_lb_ipv6_getpeername_vip "client.py burst failed"
	fi
	# client.py udp counts a reply from anything but VIP:port as an error:
	# sendmsg6 picks the pod, recvmsg6 puts the VIP back.
	take_ports 400
	if in_cg "$PY" "$E2E_DIR/client.py" udp --vip "$VIP6" --port "$VPORT" \
		-n 400 --sport "$SPORT_AT" >"$WORK/sockudp6.json"; then
		check_share socket_lb_ipv6_udp_sendmsg_recvmsg sockudp6 400 8 v1=50 v2=50
	else
		fail socket_lb_ipv6_udp_sendmsg_recvmsg "client.py udp failed"
	fi
	take_ports 400
	if in_cg "$PY" "$E2E_DIR/client.py" burst --vip "::ffff:$VIP4" \
		--port "$VPORT" -n 400 --sport "$SPORT_AT" >"$WORK/mapped.json"; then
		check_share socket_lb_v4_mapped_75_25 mapped 400 8 v1=75 v2=25
	else
		fail socket_lb_v4_mapped_75_25 "client.py burst failed"
	fi
	counter_case sockets_balanced_not_packets \
		"c['sock_lb'] >= 1800 and c['translated'] == 0" before_sock
	expect detach_cgroup "$CANARY_BIN" --pin-dir "$PIN_DIR" detach-cgroup "$CG"
fi
finish
