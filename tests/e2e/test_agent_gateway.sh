#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The agent with the Gateway API, its Node and Events, running in-cluster
# (service-account token file) against fakekube.py --gateway-api: a
# TCPRoute 75/25 and a UDPRoute 50/50 on a Gateway's address split real
# traffic, a route weight change lands within a second, NodePorts of a
# TrafficSplit's root Service answer on the Node's InternalIP, the Node
# fills the node section, each change is an Event about its route, Event
# failures are counted and harmless, and a rotated token is picked up
# from the file.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"

AGENT_IN_CLUSTER=1
TCP_SVC=k8s.default.tcproute.prod.tcp.10-96-0-10
UDP_SVC=k8s.default.udproute.prod-udp.udp.10-96-0-10
NODE_IP=10.0.0.1      # n0: the node's InternalIP, where NodePorts answer
NODE_PORT=30080
NP_SVC=k8s.default.np.nodeport-$NODE_PORT.10-0-0-1

# seed: hello-v1 x3 and hello-v2 x1 behind Services with a TCP port
# (5000 -> 5050) and a UDP one (5000 -> 5053); a Gateway on $VIP with a
# TCP and a UDP listener; the routes; this node; a NodePort Service split
# by a TrafficSplit.
seed() {
	kctl service default hello-v1 10.96.1.1 "tcp:$VPORT:5050" "udp:$VPORT:5053/UDP" &&
	kctl service default hello-v2 10.96.1.2 "tcp:$VPORT:5050" "udp:$VPORT:5053/UDP" &&
	kctl slice default hello-v1-x7k2p hello-v1 tcp:5050,udp:5053/UDP \
		"${POD_IPS[0]}" "${POD_IPS[1]}" "${POD_IPS[2]}" &&
	kctl slice default hello-v2-q9z4m hello-v2 tcp:5050,udp:5053/UDP "${POD_IPS[3]}" &&
	kctl gateway default edge "$VIP" "tcp:$VPORT/TCP" "udp:$VPORT/UDP" &&
	kctl tcproute default prod "edge#tcp" "hello-v1:$VPORT=75" "hello-v2:$VPORT=25" &&
	kctl udproute default prod-udp "edge@$VPORT" "hello-v1:$VPORT" "hello-v2:$VPORT" &&
	kctl node node-1 "$NODE_IP" 10.244.1.0/24 &&
	kctl service default np-service 10.96.0.30 "tcp:$VPORT:5050:$NODE_PORT" &&
	kctl split default np np-service hello-v1=90 hello-v2=10
}

# events_case NAME PYEXPR: within 3 s, the Events fakekube received
# satisfy PYEXPR over the list ev (newest last). Events are sent after
# the maps change, by a thread of their own: poll.
events_case() {
	local res n
	for n in $(seq 30); do
		res=$(kctl events | "$PY" -c '
import json, sys
ev = json.load(sys.stdin)
ok = eval(sys.argv[1], {}, {"ev": ev})
print("%d events; last: %s" % (len(ev), json.dumps(ev[-1:])[:400]))
sys.exit(0 if ok else 1)' "$2" 2>&1) && { pass "$1"; return; }
		sleep 0.1
	done
	fail "$1" "$res"
}

# metric NAME: the value of one /metrics line starting with NAME.
metric() { http metrics | grep -F "$1 " | head -1 | awk '{print $NF}'; }

# node_map: "address pod_net pod_mask" of the pinned canary_node_v2 map.
node_map() {
	nsx "$NS_NODE" bpftool -j map dump pinned "$PIN_DIR/canary_node_v2" 2>/dev/null |
		"$PY" -c '
import json, socket, struct, sys
v = json.load(sys.stdin)[0]["formatted"]["value"]
ip = lambda n: socket.inet_ntoa(struct.pack("<I", n))
print(ip(v["address"]), ip(v["pod_net"]), ip(v["pod_mask"]))'
}

e2e_setup
fk_up seed --gateway-api
sa_make || bail "could not make the service-account files"
attach_case attach_native native
agent_start
ready_case agent_ready_in_cluster

converge_case tcproute_converges "75,25|3,1" 5 "$TCP_SVC"
split_case tcproute_split_75_25 1000 5 v1=75 v2=25
converge_case udproute_converges "50,50|3,1" 5 "$UDP_SVC"
if traffic udp udproute_udp 1000 --timeout 1 --deadline 60; then
	check_share udproute_split_50_50 udproute_udp 1000 5 v1=50 v2=50
else
	fail udproute_split_50_50 "client.py udp failed"
fi

kctl tcproute default prod "edge#tcp" "hello-v1:$VPORT=90" "hello-v2:$VPORT=10" >/dev/null
converge_case tcproute_weight_update_1s "90,10|3,1" 1 "$TCP_SVC"
split_case tcproute_split_90_10 1000 4 v1=90 v2=10
events_case event_weights_changed '[e for e in ev if e["reason"] == "WeightsChanged"
	and e["involvedObject"]["kind"] == "TCPRoute" and e["involvedObject"]["name"] == "prod"
	and e["involvedObject"]["uid"] == "uid-tcproutes-default-prod"
	and e["involvedObject"]["apiVersion"] == "gateway.networking.k8s.io/v1alpha2"
	and e["reportingComponent"] == "canary-bpf" and e["reportingInstance"] == "node-1"
	and e["type"] == "Normal" and "hello-v1 75->90 hello-v2 25->10" in e["message"]]'
kctl slice default hello-v1-x7k2p hello-v1 tcp:5050,udp:5053/UDP "${POD_IPS[0]}" "${POD_IPS[1]}" >/dev/null
converge_case tcproute_endpoint_update_1s "90,10|2,1" 1 "$TCP_SVC"
events_case event_endpoints_changed '[e for e in ev if e["reason"] == "EndpointsChanged"
	and e["involvedObject"]["kind"] == "UDPRoute" and "-'"${POD_IPS[2]}"':5053" in e["message"]]'
kctl slice default hello-v1-x7k2p hello-v1 tcp:5050,udp:5053/UDP \
	"${POD_IPS[0]}" "${POD_IPS[1]}" "${POD_IPS[2]}" >/dev/null
converge_case tcproute_endpoints_back "90,10|3,1" 1 "$TCP_SVC"

# A route the agent refuses: a Warning Event, and what runs stays.
kctl tcproute default prod "edge#tcp" "hello-v1:$VPORT=0" "hello-v2:$VPORT=0" >/dev/null
wait_log "tcproute default/prod: not applied" 2 &&
	[ "$(svc_state "$TCP_SVC" | cut -d'|' -f1)" = "90,10" ] && pass tcproute_bad_weights_refused ||
	fail tcproute_bad_weights_refused "$(svc_state "$TCP_SVC")"
events_case event_not_applied '[e for e in ev if e["reason"] == "NotApplied"
	and e["type"] == "Warning" and "all weights are zero" in e["message"]]'

# NodePorts: the TrafficSplit's root Service on this node's address.
converge_case nodeport_converges "90,10|3,1" 5 "$NP_SVC"
VIP=$NODE_IP VPORT=$NODE_PORT split_case nodeport_split_90_10 1000 4 v1=90 v2=10
res=$(node_map)
[ "$res" = "10.0.0.1 10.244.1.0 255.255.255.0" ] && pass node_section_from_node ||
	fail node_section_from_node "canary_node holds '$res'"
wait_log "node node-1: SNAT address 10.0.0.1, pod CIDR 10.244.1.0/24" 1 &&
	pass node_section_logged || fail node_section_logged "no log line"

# Event failures: counted, logged, never in the way.
sent=$(metric 'canary_bpf_agent_events_total{result="sent"}')
[ "${sent:-0}" -ge 3 ] && pass events_counted || fail events_counted "sent '$sent'"
kctl events-fail on >/dev/null
kctl tcproute default prod "edge#tcp" "hello-v1:$VPORT=80" "hello-v2:$VPORT=20" >/dev/null
converge_case applied_while_events_fail "80,20|3,1" 1 "$TCP_SVC"
for n in $(seq 30); do
	failed=$(metric 'canary_bpf_agent_events_total{result="failed"}')
	[ "${failed:-0}" -ge 1 ] && break
	sleep 0.1
done
[ "${failed:-0}" -ge 1 ] && wait_log "refused: HTTP 503" 1 && pass event_failure_counted ||
	fail event_failure_counted "failed '$failed'"
kctl events-fail off >/dev/null

# Token rotation: the API server takes only the new token (its open
# watches end); once the kubelet rewrites the file the agent goes on.
kctl token tok-2 >/dev/null
for n in $(seq 50); do
	unauth=$(kctl stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["unauthorized"])')
	[ "${unauth:-0}" -gt 0 ] && break
	sleep 0.1
done
[ "${unauth:-0}" -gt 0 ] && pass old_token_refused || fail old_token_refused "no 401 within 5 s"
echo tok-2 >"$WORK/sa/token.new" && mv "$WORK/sa/token.new" "$WORK/sa/token"
kctl tcproute default prod "edge#tcp" "hello-v1:$VPORT=60" "hello-v2:$VPORT=40" >/dev/null
converge_case synced_after_token_rotation "60,40|3,1" 10 "$TCP_SVC"
kctl udproute default prod-udp "edge@$VPORT" "hello-v1:$VPORT=1" "hello-v2:$VPORT=3" >/dev/null
converge_case udp_synced_after_token_rotation "25,75|3,1" 5 "$UDP_SVC"

# Deleting a route removes its services, and leaves the other route's.
kctl delete udproutes default prod-udp >/dev/null
for n in $(seq 20); do
	[ -z "$(svc_state "$UDP_SVC")" ] && break
	sleep 0.1
done
[ -z "$(svc_state "$UDP_SVC")" ] && [ -n "$(svc_state "$TCP_SVC")" ] &&
	pass route_deleted || fail route_deleted "udp '$(svc_state "$UDP_SVC")'"

hold_quit
[ "$FAILS" -eq 0 ] || { echo "  agent log:"; sed 's/^/    /' "$WORK/agent.log" | tail -n 40; }
finish
