#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The agent in a dual-stack cluster, against fakekube.py: a root Service
# with an IPv4 and an IPv6 cluster IP and v1/v2 backends with IPv4 and
# IPv6 EndpointSlices give two services (the IPv4 one named as ever, the
# IPv6 one ".v6"), each with the endpoints of its own family only and the
# TrafficSplit's weights; real IPv4 and IPv6 TCP traffic is split by
# them (IPv6 on the lib.sh topology with topo_v6 addresses); weight and
# IPv6 endpoint changes land within a second; status, kube-status,
# /metrics, the log and kube-status show the IPv6 service with its
# address; NodePorts
# answer on the Node's IPv6 address too; the node section gets the Node's
# IPv6 InternalIP and pod CIDR; externalTrafficPolicy Local keeps the
# IPv6 twin (Local) while the Node has an IPv6 pod CIDR, and drops it
# with one log line and keeps IPv4 when it has none.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"

VIP6=fd00:96::a
SVC6=$SVC.v6
NODE_IP6=fd00:10::1   # n0's IPv6 address: the Node's IPv6 InternalIP
NODE_PORT=30080
NP_SVC6=k8s.default.prod.nodeport-$NODE_PORT.fd00-10--1

# seed: prod-service dual stack; hello-v1 x3 and hello-v2 x1 in both
# families (IPv4 and IPv6 slices); this node with both families.
seed() {
	kctl service default prod-service "$VIP,$VIP6" "http:$VPORT:5050" &&
	kctl service default hello-v1 10.96.1.1,fd00:96::1:1 "http:$VPORT:5050" &&
	kctl service default hello-v2 10.96.1.2,fd00:96::1:2 "http:$VPORT:5050" &&
	kctl slice default hello-v1-x7k2p hello-v1 http:5050 \
		"${POD_IPS[0]}" "${POD_IPS[1]}" "${POD_IPS[2]}" &&
	kctl slice default hello-v1-6hj2k hello-v1 http:5050 --address-type=IPv6 \
		"${POD_IPS6[0]}" "${POD_IPS6[1]}" "${POD_IPS6[2]}" &&
	kctl slice default hello-v2-q9z4m hello-v2 http:5050 "${POD_IPS[3]}" &&
	kctl slice default hello-v2-6bv8n hello-v2 http:5050 --address-type=IPv6 \
		"${POD_IPS6[3]}" &&
	kctl node node-1 "10.0.0.1,$NODE_IP6" 10.244.1.0/24,fd00:244:1::/64 &&
	kctl split default prod prod-service hello-v1=75 hello-v2=25
}

# svc_detail NAME: "VIP FAMILY|ip:port,...|ip:port,..." of NAME in
# canary-bpf -j status (endpoints sorted per version), or "".
svc_detail() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print("%s %s|%s" % (s["vip"], s["family"], "|".join(
            ",".join(sorted("%s:%s" % (e["ip"], e["port"]) for e in v["endpoints"]))
            for v in s["versions"])))' "$1"
}

# detail_case NAME SERVICE WANT: svc_detail SERVICE is WANT.
detail_case() {
	local got
	got=$(svc_detail "$2")
	[ "$got" = "$3" ] && pass "$1" || fail "$1" "have '$got', want '$3'"
}

e2e_init
need_cli
topo_up || bail "topology setup failed"
topo_v6 || bail "IPv6 topology setup failed"
pod_start || bail "pod servers did not start"
fk_up seed
attach_case attach_native native

agent_start
ready_case agent_ready
converge_case v4_converges "75,25|3,1" 5
converge_case v6_converges "75,25|3,1" 5 "$SVC6"
v4eps=$(printf '%s:5050,' "${POD_IPS[@]:0:3}")
v6eps=$(printf '%s:5050,' "${POD_IPS6[@]:0:3}")
detail_case v4_service_endpoints "$SVC" "$VIP ipv4|${v4eps%,}|${POD_IPS[3]}:5050"
detail_case v6_service_endpoints "$SVC6" "$VIP6 ipv6|${v6eps%,}|${POD_IPS6[3]}:5050"
res=$(cb -j status | "$PY" -c '
import json, sys
print(sorted(s["name"] for s in json.load(sys.stdin)["services"]
             if s["name"].startswith("k8s.")))')
[ "$res" = "['$SVC', '$SVC.v6']" ] && pass only_two_services ||
	fail only_two_services "$res"

split_case v4_split_75_25 1000 5 v1=75 v2=25
VIP=$VIP6 split_case v6_split_75_25 1000 5 v1=75 v2=25

kctl split default prod prod-service hello-v1=90 hello-v2=10 >/dev/null
converge_case v4_weight_update_1s "90,10|3,1" 1
converge_case v6_weight_update_1s "90,10|3,1" 1 "$SVC6"
wait_log "service $SVC6 changed [$VIP6]:$VPORT/tcp: weights hello-v1 75->90 hello-v2 25->10" 2 &&
	wait_log "service $SVC6 added [$VIP6]:$VPORT/tcp" 1 && pass v6_changes_logged ||
	fail v6_changes_logged "no line with [$VIP6]:$VPORT in the agent log"
# An IPv6 slice change moves the IPv6 service only.
kctl slice default hello-v1-6hj2k hello-v1 http:5050 --address-type=IPv6 \
	"${POD_IPS6[0]}" "${POD_IPS6[1]}:terminating" >/dev/null
converge_case v6_endpoint_update_1s "90,10|2,1" 1 "$SVC6"
[ "$(svc_state "$SVC" | cut -d'|' -f1,2)" = "90,10|3,1" ] && pass v4_untouched_by_v6_slice ||
	fail v4_untouched_by_v6_slice "$(svc_state "$SVC")"
wait_log "~[${POD_IPS6[1]}]:5050(draining)" 2 && pass v6_draining_logged ||
	fail v6_draining_logged "no draining line for [${POD_IPS6[1]}]:5050"
VIP=$VIP6 split_case v6_split_90_10 600 6 v1=90 v2=10 --absent-pod hello-v1-2

res=$(http metrics)
grep -q "canary_bpf_version_weight_percent{service=\"$SVC6\",version=\"hello-v1\",vip=\"$VIP6\",port=\"$VPORT\",protocol=\"tcp\"} 90" <<<"$res" &&
	grep -q "canary_bpf_version_new_flows_total{service=\"$SVC6\",version=\"hello-v2\",vip=\"$VIP6\"" <<<"$res" &&
	grep -q "canary_bpf_version_weight_percent{service=\"$SVC\",version=\"hello-v1\",vip=\"$VIP\"" <<<"$res" &&
	pass v6_metrics || fail v6_metrics "$(grep "$SVC6" <<<"$res" | head -3)"
res=$(cb -j kube-status --kubeconfig "$WORK/kubeconfig" 2>&1)
if "$PY" -c '
import json, sys
s = json.loads(sys.argv[1])[0]
b = s["backends"][0]
assert b["node_weight_pct"] == {sys.argv[2]: 90, sys.argv[2] + ".v6": 90}, b
assert sorted(s["node_services"]) == [sys.argv[2], sys.argv[2] + ".v6"], s
assert s["node_service_addrs"] == {sys.argv[2]: sys.argv[3] + ":5000/tcp",
    sys.argv[2] + ".v6": "[" + sys.argv[4] + "]:5000/tcp"}, s
' "$res" "$SVC" "$VIP" "$VIP6" 2>&1; then
	pass kube_status_both_families
else
	fail kube_status_both_families "${res:0:300}"
fi
res=$(cb kube-status --kubeconfig "$WORK/kubeconfig" 2>&1)
[[ "$res" == *"on this node: $SVC6 [$VIP6]:$VPORT/tcp"* ]] &&
	[[ "$res" == *"$SVC6=90.00%"* ]] && pass kube_status_plain_v6 ||
	fail kube_status_plain_v6 "${res:0:400}"

res=$(cb status "$SVC6" 2>&1)
[[ "$res" == *"[$VIP6]:$VPORT/tcp"* ]] && [[ "$res" == *"[${POD_IPS6[3]}]:5050"* ]] &&
	pass v6_status_plain || fail v6_status_plain "${res:0:300}"

# NodePorts: the Node's IPv4 and IPv6 addresses, IPv6 traffic to it.
kctl service default prod-service "$VIP,$VIP6" "http:$VPORT:5050:$NODE_PORT" >/dev/null
converge_case v6_nodeport "90,10|2,1" 2 "$NP_SVC6"
detail_case v6_nodeport_address "$NP_SVC6" \
	"$NODE_IP6 ipv6|${POD_IPS6[0]}:5050,${POD_IPS6[1]}:5050|${POD_IPS6[3]}:5050"
VIP=$NODE_IP6 VPORT=$NODE_PORT split_case v6_nodeport_split 400 8 v1=90 v2=10 \
	--absent-pod hello-v1-2

# svc_policy NAME: "snat traffic_policy" of NAME in canary-bpf -j status.
svc_policy() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print(s["snat"], s["traffic_policy"])' "$1"
}

# node_status: "address pod_cidr address6 pod_cidr6" of -j status's node.
node_status() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
n = json.load(sys.stdin)["node"] or {}
print(n.get("address"), n.get("pod_cidr"), n.get("address6"), n.get("pod_cidr6"))'
}

# The node section from the Node, both families.
res=$(node_status)
[ "$res" = "10.0.0.1 10.244.1.0/24 $NODE_IP6 fd00:244:1::/64" ] &&
	wait_log "node node-1: IPv6 SNAT address $NODE_IP6, pod CIDR fd00:244:1::/64" 2 &&
	pass node_section_ipv6_from_node || fail node_section_ipv6_from_node "$res"

# externalTrafficPolicy Local: the Node has an IPv6 pod CIDR, so the IPv6
# twin stays, Local (its pods are all in fd00:244:1::/64), and IPv6
# traffic keeps splitting; a Node without an IPv6 pod CIDR drops the
# IPv6 twin with one log line and keeps IPv4.
kctl service default prod-service "$VIP,$VIP6" "http:$VPORT:5050:$NODE_PORT" --local >/dev/null
for n in $(seq 40); do
	[ "$(svc_policy "$SVC6")" = "auto local" ] && break
	sleep 0.05
done
res="v6 '$(svc_policy "$SVC6")' $(svc_state "$SVC6" | cut -d'|' -f1,2)"
[ "$res" = "v6 'auto local' 90,10|2,1" ] && pass local_keeps_v6 ||
	fail local_keeps_v6 "$res"
VIP=$VIP6 split_case v6_local_split 400 8 v1=90 v2=10
kctl node node-1 "10.0.0.1,$NODE_IP6" 10.244.1.0/24 >/dev/null
for n in $(seq 40); do
	[ -z "$(svc_state "$SVC6")" ] && [ -z "$(svc_state "$NP_SVC6")" ] && break
	sleep 0.05
done
if [ -z "$(svc_state "$SVC6")" ] && [ -z "$(svc_state "$NP_SVC6")" ] &&
	[ "$(svc_state "$SVC" | cut -d'|' -f1,2)" = "90,10|3,1" ] &&
	wait_log "prod: IPv6 addresses skipped: externalTrafficPolicy Local" 2; then
	sleep 0.3
	n=$(grep -c "IPv6 addresses skipped" "$WORK/agent.log")
	[ "$n" = 1 ] && pass local_without_cidr6_skips_v6 ||
		fail local_without_cidr6_skips_v6 "$n log lines"
else
	fail local_without_cidr6_skips_v6 "v6 '$(svc_state "$SVC6")', v4 '$(svc_state "$SVC")'"
fi
kctl node node-1 "10.0.0.1,$NODE_IP6" 10.244.1.0/24,fd00:244:1::/64 >/dev/null
kctl service default prod-service "$VIP,$VIP6" "http:$VPORT:5050" >/dev/null
converge_case v6_back_without_local "90,10|2,1" 2 "$SVC6"

[ "$FAILS" -eq 0 ] || { echo "  agent log:"; sed 's/^/    /' "$WORK/agent.log" | tail -n 40; }
finish
