#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The fast path to local pods without flags: "attach n0" alone, the
# README's command, on the routed wiring of lib.sh (Calico-style /32
# veths; test_bridge.sh covers the bridge wiring with --bridge).
# Checks: status -j lists the four pods' veths (not n0) with path
# xdp_redirect and a reason; TCP and UDP split by weight with
# redirected ~= translated; a pod whose eth0 turns GRO off (its veth then
# takes no XDP frames) leaves canary_tx at the next refresh, status says
# why, and tc (canary_tc_fwd) hands its packets to its eth0 instead
# (bpf_redirect_peer: the veth's own transmit counter stays still), until
# GRO is back on;
# "--fast-path listed" leaves every pod to the kernel and says so; a UDP
# stream to the VIP loses no datagram while hello-v2-0's veth is
# re-created under it (a new pair made, its route moved over, the old
# pair deleted), and the next refresh puts the new veth on the fast path.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"


# yaml_fast V1 V2: prod-service over TCP and prod-udp over UDP (pods'
# UDP echo port 5053) on the VIP.
yaml_fast() {
	echo "services:"
	yaml_service prod-service tcp "$1" "$2"
	yaml_service prod-udp udp "$1" "$2" 5053
}

# link_packets NS DEV rx|tx: DEV's packet counter in NS (netlink, ip -j).
link_packets() {
	ip -n "$1" -s -j link show dev "$2" |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]]["packets"])' "$3"
}

# refresh NAME: a no-op apply, which refreshes the fast path.
refresh() { expect "$1" cb apply -f "$WORK/f.yaml"; }

# pods_case NAME EXPR: "status -j"'s local_pods satisfy EXPR, a Python
# expression over p, the dict dev name -> entry.
pods_case() {
	local res
	if ! res=$(cb -j status 2>&1); then
		fail "$1" "status -j failed: ${res:0:200}"
		return
	fi
	if res=$(printf '%s\n' "$res" | "$PY" -c '
import json, sys
p = {e["dev"]: e for e in json.load(sys.stdin)["local_pods"]}
print(json.dumps(p))
sys.exit(0 if eval(sys.argv[1], {}, {"p": p}) else 1)' "$2"); then
		pass "$1"
	else
		fail "$1" "local_pods do not satisfy $2: ${res:0:600}"
	fi
}

# recreate_pod I NEW: pod I gets a new veth pair (node side NEW, pod side
# eth1, GRO on as before), its /32 route and its default route move to
# it, and the old pair is deleted, as a CNI re-creating a pod's
# interface does, minus the gap in which any data plane loses packets.
recreate_pod() {
	local ns ip=${POD_IPS[$1]} old=${POD_DEVS[$1]} new=$2
	ns=$(pod_ns "$1")
	sys ip -n "$NS_NODE" link add "$new" type veth peer name eth1 netns "$ns" &&
	sys nsx "$ns" ethtool -K eth1 gro on &&
	sys ip -n "$ns" link set eth1 up &&
	sys ip -n "$ns" addr add "$ip/32" dev eth1 &&
	sys ip -n "$NS_NODE" link set "$new" up &&
	sys nsx "$NS_NODE" sysctl -qw "net.ipv4.conf.$new.proxy_arp=1" &&
	sys nsx "$NS_NODE" sysctl -qw "net.ipv4.neigh.$new.proxy_delay=0" &&
	sys ip -n "$NS_NODE" route replace "$ip/32" dev "$new" &&
	sys ip -n "$ns" route replace default via 169.254.1.1 dev eth1 onlink &&
	# past the FIB cache's bound (100 ms and a tick) before the old
	# pair goes: nothing is sent to it any more
	sleep 0.3 &&
	sys ip -n "$NS_NODE" link del "$old"
}

FAST="c['translated'] >= 1000 and c['redirected'] >= 0.98 * c['translated'] and c['errors'] == 0"

e2e_setup
yaml_fast 75 25 >"$WORK/f.yaml"
expect attach_default cb attach n0
expect apply_fast cb apply -f "$WORK/f.yaml"
pods_case status_lists_pods_on_fast_path \
	"sorted(p) == ['hv10', 'hv11', 'hv12', 'hv20'] and all(e['path'] == 'xdp_redirect' and e['reason'] and not e['listed'] for e in p.values())"

split_case warmup 200 100 v1=75 v2=25
counter_snap fast
split_case tcp_split_75_25 2000 3 v1=75 v2=25
if traffic udp udp 1000; then
	check_share udp_replies_from_vip_split udp 1000 6 v1=75 v2=25
else
	fail udp_replies_from_vip_split "client.py udp failed"
fi
counter_case default_attach_fast_path "$FAST" fast

# A pod without NAPI: its veth would drop redirected frames.
sys nsx "$(pod_ns 3)" ethtool -K eth0 gro off || bail "ethtool failed"
refresh refresh_after_gro_off
pods_case pod_without_napi_tc_path \
	"p['hv20']['path'] == 'tc_redirect' and 'GRO' in p['hv20']['reason'] and 'bpf_redirect_peer' in p['hv20']['reason'] and p['hv10']['path'] == 'xdp_redirect'"
counter_snap nonapi
tx0=$(link_packets "$NS_NODE" hv20 tx)
rx0=$(link_packets "$(pod_ns 3)" eth0 rx)
split_case split_pod_without_napi 1000 4 v1=75 v2=25
# XDP passes hello-v2-0's packets, tc redirects them: all redirected.
counter_case pod_without_napi_redirected_by_tc "$FAST" nonapi
# ... by bpf_redirect_peer(), onto the pod's eth0: past hv20's transmit.
tx1=$(link_packets "$NS_NODE" hv20 tx)
rx1=$(link_packets "$(pod_ns 3)" eth0 rx)
if [ $((rx1 - rx0)) -ge 200 ] && [ $((tx1 - tx0)) -lt $(((rx1 - rx0) / 10)) ]; then
	pass pod_without_napi_by_redirect_peer
else
	fail pod_without_napi_by_redirect_peer "hv20 sent $((tx1 - tx0)), the pod's eth0 got $((rx1 - rx0))"
fi
sys nsx "$(pod_ns 3)" ethtool -K eth0 gro on || bail "ethtool failed"
refresh refresh_after_gro_on
pods_case pod_with_napi_back "p['hv20']['path'] == 'xdp_redirect'"

expect attach_listed cb attach n0 --fast-path listed
refresh refresh_listed
pods_case listed_leaves_pods_to_kernel \
	"all(e['path'] == 'kernel' and 'listed' in e['reason'] for e in p.values())"
counter_snap listed
split_case split_listed 1000 4 v1=75 v2=25
counter_case listed_kernel_path \
	"c['redirected'] == 0 and c['fib_fallback'] >= c['translated'] > 0" listed
expect attach_auto_again cb attach n0

# hello-v2-0's veth re-created under a stream to the VIP.
split_case warmup_again 200 100 v1=75 v2=25
udp_stream_start "$VIP" "$VPORT" recreate || bail "out of source ports"
sleep 1
expect recreate_veth_under_stream recreate_pod 3 hv21
udp_stream_case stream_while_veth_recreated recreate hello-v2-0
pods_case new_veth_listed "'hv20' not in p and 'hv21' in p"
refresh refresh_after_recreate
pods_case new_veth_on_fast_path "p['hv21']['path'] == 'xdp_redirect'"
split_case warmup_new_veth 200 100 v1=75 v2=25
counter_snap again
split_case tcp_fast_again 2000 3 v1=75 v2=25
counter_case fast_path_again "$FAST" again

expect detach cb detach n0
finish
