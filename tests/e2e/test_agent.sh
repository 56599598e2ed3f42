#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The Kubernetes agent against a fake API server (fakekube.py, HTTPS with
# a certificate made here, bearer token) in the node namespace: the maps
# converge to TrafficSplit + Services + EndpointSlices, updates land
# within a second, terminating endpoints drain, bad weights are
# refused, the watches survive dropped connections, 410 Gone and server
# restarts, a SIGKILLed agent resumes without touching established flows,
# missing Gateway API CRDs do not keep it from working,
# set-weight --kube sends the right merge patch, /metrics /healthz /readyz
# answer, and SIGTERM leaves the data plane forwarding. A new pod veth
# joins the fast path, and leaves it with GRO off, within 3 s (netlink).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"

e2e_setup
fk_up seed_split
attach_case attach_native native
printf 'services:\n  - name: local-svc\n    vip: 10.96.0.99\n    port: 80\n    versions:\n      - name: v1\n        weight: 100\n        endpoints: [10.244.1.11:5050]\n' \
	>"$WORK/local.yaml"
expect apply_local cb apply -f "$WORK/local.yaml"

agent_start
ready_case agent_ready
converge_case agent_converges "75,25|3,1" 5
[ "$(svc_state local-svc | cut -d'|' -f1,2)" = "100|1" ] && pass agent_keeps_local ||
	fail agent_keeps_local "local-svc changed: $(svc_state local-svc)"
split_case split_75_25 1000 5 v1=75 v2=25
# A pod's veth appearing, and its eth0 turning GRO off (XDP can no longer
# send to it: tc does), reach the fast path through the agent's netlink
# events, not its 30 s refresh.
pod_path_case() {
	local n got=""
	for n in $(seq 30); do
		got=$(cb -j status 2>/dev/null | "$PY" -c '
import json, sys
p = {e["dev"]: e["path"] for e in json.load(sys.stdin)["local_pods"]}
print(p.get(sys.argv[1], "absent"))' "$2")
		[ "$got" = "$3" ] && { pass "$1"; info "$1: after $n tenths of a second"; return; }
		sleep 0.1
	done
	fail "$1" "$2: path $got after 3 s, want $3"
}
NEW_NS=${PREFIX}hv30
NSS+=("$NEW_NS")
if sys ip netns add "$NEW_NS" &&
	sys ip -n "$NS_NODE" link add hv30 type veth peer name eth0 netns "$NEW_NS" &&
	sys ip -n "$NEW_NS" link set eth0 up && sys nsx "$NEW_NS" ethtool -K eth0 gro on &&
	sys ip -n "$NS_NODE" link set hv30 up; then
	pod_path_case agent_follows_new_pod_veth hv30 xdp_redirect
	sys nsx "$NEW_NS" ethtool -K eth0 gro off
	pod_path_case agent_follows_gro_off hv30 tc_redirect
else
	fail agent_follows_new_pod_veth "could not make the veth"
fi

# A local apply -f leaves the agent's k8s.* services alone.
expect reapply_local cb apply -f "$WORK/local.yaml"
[ "$(svc_state "$SVC" | cut -d'|' -f1,2)" = "75,25|3,1" ] && pass apply_keeps_agent_services ||
	fail apply_keeps_agent_services "$SVC after apply -f: $(svc_state "$SVC")"

res=$(http healthz)
[ "${res%% *}" = 200 ] && pass healthz || fail healthz "$res"
res=$(http metrics)
if [[ "$res" == 200* ]] &&
	grep -q "canary_bpf_version_new_flows_total{service=\"$SVC\",version=\"hello-v2\"" <<<"$res" &&
	grep -q '^canary_bpf_agent_reconciles_total [1-9]' <<<"$res" &&
	grep -q '^canary_bpf_agent_last_sync_age_seconds [0-9]' <<<"$res" &&
	grep -q '^canary_bpf_agent_events_queued [0-9]' <<<"$res" &&
	grep -q "canary_bpf_version_weight_percent{service=\"$SVC\",version=\"hello-v1\".* 75" <<<"$res"; then
	pass metrics
else
	fail metrics "$(head -c 300 <<<"$res")"
fi
[ "$(http nosuch | cut -d' ' -f1)" = 404 ] && pass metrics_404 || fail metrics_404 "not 404"

kctl split default prod prod-service hello-v1=90 hello-v2=10 >/dev/null
converge_case weight_update_1s "90,10|3,1" 1
wait_log "hello-v1 75->90 hello-v2 25->10" 2 && pass change_logged ||
	fail change_logged "no 'old->new' line in the agent log"
kctl slice default hello-v1-x7k2p hello-v1 http:5050 "${POD_IPS[0]}" "${POD_IPS[1]}" >/dev/null
converge_case endpoint_update_1s "90,10|2,1" 1
kctl slice default hello-v1-x7k2p hello-v1 http:5050 "${POD_IPS[0]}" \
	"${POD_IPS[1]}:terminating" "${POD_IPS[2]}" >/dev/null
converge_case terminating_drains "90,10|3,1" 1
res=$(cb -j status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
s = [x for x in d["services"] if x["name"] == sys.argv[1]][0]
print(" ".join("%s=%s" % (e["ip"], e.get("draining")) for e in s["versions"][0]["endpoints"]))' "$SVC")
if [[ "$res" == *"${POD_IPS[1]}=True"* ]] && [[ "$res" == *"${POD_IPS[2]}=False"* ]] &&
	wait_log "~${POD_IPS[1]}:5050(draining)" 2 && wait_log "endpoint(s) draining" 2; then
	pass terminating_logged
else
	fail terminating_logged "endpoints: $res"
fi
kctl slice default hello-v1-x7k2p hello-v1 http:5050 \
	"${POD_IPS[0]}" "${POD_IPS[1]}" "${POD_IPS[2]}" >/dev/null
converge_case endpoints_back "90,10|3,1" 1
for n in $(seq 20); do
	res=$(cb -j status | grep -o '"draining": *true' | head -1)
	[ -z "$res" ] && break
	sleep 0.05
done
[ -z "$res" ] && wait_log "~${POD_IPS[1]}:5050(ready)" 1 && pass drain_ends ||
	fail drain_ends "an endpoint still drains after 1 s"
# An IPv6 slice feeds only IPv6 services (prod-service has none); an
# FQDN slice feeds nothing, with one log line.
kctl slice default hello-v1-v6xyz hello-v1 http:5050 fd00::1 --address-type=IPv6 >/dev/null
kctl slice default hello-v1-fqdn hello-v1 http:5050 pod.example --address-type=FQDN >/dev/null
if wait_log "hello-v1-fqdn: addressType is neither IPv4 nor IPv6: ignored" 2; then
	sleep 0.2
	[ "$(svc_state "$SVC" | cut -d'|' -f1,2)" = "90,10|3,1" ] && pass other_family_slices_ignored ||
		fail other_family_slices_ignored "$SVC changed: $(svc_state "$SVC")"
else
	fail other_family_slices_ignored "no log line for the FQDN slice"
fi
kctl delete endpointslices default hello-v1-v6xyz >/dev/null
kctl delete endpointslices default hello-v1-fqdn >/dev/null

kctl split default prod prod-service hello-v1=-5 hello-v2=10 >/dev/null
if wait_log "prod: not applied" 2 && [ "$(wait_state "$SVC" "90,10|3,1" 1)" ]; then
	sleep 0.3
	[ "$(svc_state "$SVC" | cut -d'|' -f1)" = "90,10" ] && pass bad_weights_refused ||
		fail bad_weights_refused "weights changed: $(svc_state "$SVC")"
else
	fail bad_weights_refused "no 'not applied' line"
fi
kctl split default prod prod-service a=1 b=1 c=1 d=1 e=1 >/dev/null
wait_log "5 backends" 2 && [ "$(svc_state "$SVC" | cut -d'|' -f1)" = "90,10" ] &&
	pass too_many_backends_refused || fail too_many_backends_refused "$(svc_state "$SVC")"
kctl split default prod prod-service hello-v1=0 hello-v2=0 >/dev/null
wait_log "all weights are zero" 2 && pass zero_weights_refused ||
	fail zero_weights_refused "no log line"
kctl split default prod prod-service hello-v1=1 hello-v2=1 >/dev/null
converge_case valid_again "50,50|3,1" 1

kctl drop >/dev/null
sleep 0.3
kctl split default prod prod-service hello-v1=70 hello-v2=30 >/dev/null
converge_case after_dropped_watch "70,30|3,1" 3
res=$(http metrics)
grep -q 'canary_bpf_agent_watch_restarts_total{resource="trafficsplits"} [1-9]' <<<"$res" &&
	pass watch_restarts_counted || fail watch_restarts_counted "counter still 0"

kctl compact >/dev/null
sleep 0.3
kctl split default prod prod-service hello-v1=60 hello-v2=40 >/dev/null
converge_case after_410_relist "60,40|3,1" 3
gone=$(kctl stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["gone"])')
[ "${gone:-0}" -gt 0 ] && pass got_410 || fail got_410 "no watch was answered 410"

# Every watch relists (410 again) and finds what it had: the agent
# writes nothing, not even a flip of the same config.
metric() { http metrics | sed -n "s/^$1 //p"; }
flip0=$(flip_ns)
changes0=$(metric canary_bpf_agent_changes_total)
kctl compact >/dev/null
kctl drop >/dev/null
for _ in $(seq 50); do
	g=$(kctl stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["gone"])')
	[ "${g:-0}" -ge $((gone + 3)) ] && break
	sleep 0.1
done
sleep 1.5
if [ "${g:-0}" -ge $((gone + 3)) ] && [ -n "$flip0" ] && [ "$(flip_ns)" = "$flip0" ] &&
	[ "$(metric canary_bpf_agent_changes_total)" = "$changes0" ]; then
	pass relist_writes_nothing
	info "relist_writes_nothing: $((g - gone)) watches relisted, no flip, changes_total $changes0"
else
	fail relist_writes_nothing "410s ${gone}->${g}, flip $flip0 -> $(flip_ns), changes $changes0 -> $(metric canary_bpf_agent_changes_total)"
fi

# API server restart, now serving v1alpha1 (weights are quantities).
sys_nofail kill "$FK_PID"
wait "$FK_PID" 2>/dev/null
sleep 1
fk_start --split-version v1alpha1 || bail "fakekube did not restart"
kctl split default prod prod-service hello-v1=800m hello-v2=200m --quantity >/dev/null
converge_case after_server_restart_v1alpha1 "80,20|3,1" 10

# No Gateway API here (fakekube without --gateway-api answers 404, as
# without the CRDs): the agent got ready all the same, and says so once
# per kind however often it asks again.
res=""
for k in gateways tcproutes udproutes; do
	res+="$k=$(grep -c "agent: $k: not served by the API server" "$WORK/agent.log") "
done
[ "$res" = "gateways=1 tcproutes=1 udproutes=1 " ] && pass missing_gateway_crds_logged_once ||
	fail missing_gateway_crds_logged_once "log lines: $res"

# SIGKILL and restart: held connections keep their pods, ids and
# counters carry on.
hold_start 50
hold_cmd "" hold_open || fail kill9_resume "no answer from client.py hold"
before=$(svc_state "$SVC")
flows_before=$(nsx "$NS_NODE" bpftool map dump pinned "$PIN_DIR/canary_flow_v3" 2>/dev/null | grep -c '"key"')
sys_nofail kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
agent_start
ok=""
wait_ready && ok=1
after=$(svc_state "$SVC")
flows_after=$(nsx "$NS_NODE" bpftool map dump pinned "$PIN_DIR/canary_flow_v3" 2>/dev/null | grep -c '"key"')
if [ -z "$ok" ]; then
	fail kill9_resume "restarted agent not ready"
elif [ "${before%|*}" != "${after%|*}" ] || [ "${after##*|}" -lt "${before##*|}" ] ||
	[ "$flows_after" -lt "$flows_before" ]; then
	fail kill9_resume "before $before ($flows_before flows), after $after ($flows_after)"
else
	pass kill9_resume
	info "kill9_resume: $before -> $after, flow entries $flows_before -> $flows_after"
fi
held_case kill9_flows_kept 50
echo quit >&"${HOLD[1]}" 2>/dev/null

# set-weight --kube: a merge patch of the whole backends list.
expect set_weight_kube cb set-weight --kube --kubeconfig "$WORK/kubeconfig" \
	--namespace default prod hello-v2=35
res=$(kctl patches | "$PY" -c '
import json, sys
p = json.load(sys.stdin)[-1]
assert p["content_type"] == "application/merge-patch+json", p
assert p["path"].endswith("/v1alpha1/namespaces/default/trafficsplits/prod"), p
b = p["body"]["spec"]["backends"]
assert [x["service"] for x in b] == ["hello-v1", "hello-v2"], b
assert [x["weight"] for x in b] == ["65", "35"], b
print(json.dumps(p["body"]))' 2>&1) && pass set_weight_kube_patch ||
	fail set_weight_kube_patch "$res"
converge_case set_weight_kube_applied "65,35|3,1" 2
npatch=$(kctl patches | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
out=$(cb set-weight --kube --kubeconfig "$WORK/kubeconfig" prod hello-v2=140 2>&1)
rc=$?
npatch2=$(kctl patches | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$rc" = 2 ] && [ "$npatch" = "$npatch2" ] && [[ "$out" == *140* ]] &&
	pass set_weight_kube_bad || fail set_weight_kube_bad "rc $rc, $out"
res=$(cb -j kube-status --kubeconfig "$WORK/kubeconfig" 2>&1)
grep -q "\"node_weight_pct\": *{ *\"$SVC\": *65" <<<"$res" && pass kube_status ||
	fail kube_status "${res:0:300}"
# A node with no data plane yet: still the cluster's view, one JSON
# document on stdout, the reason on stderr, exit 0.
res=$(nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$PIN_DIR/none" -j kube-status \
	--kubeconfig "$WORK/kubeconfig" 2>"$WORK/ks.err")
rc=$?
if [ "$rc" = 0 ] && grep -q 'no data plane on this node' "$WORK/ks.err" &&
	"$PY" -c 'import json,sys; d=json.load(sys.stdin)
assert [x["name"] for x in d] == ["prod"], d' <<<"$res" 2>/dev/null; then
	pass kube_status_without_data_plane
else
	fail kube_status_without_data_plane "rc $rc, ${res:0:200} / $(head -c 200 "$WORK/ks.err")"
fi
res=$(cb -j status --kube --kubeconfig "$WORK/kubeconfig" 2>&1)
grep -q "\"node_weight_pct\": *{ *\"$SVC\": *65" <<<"$res" && pass status_kube ||
	fail status_kube "${res:0:300}"
sa_make
res=$(env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
	KUBERNETES_SERVICE_PORT=$KPORT CANARY_BPF_SA_DIR="$WORK/sa" \
	ip netns exec "$NS_NODE" "$CANARY_BIN" --pin-dir "$PIN_DIR" -j kube-status 2>&1)
grep -q '"name": *"prod"' <<<"$res" && pass in_cluster_config ||
	fail in_cluster_config "${res:0:300}"

# SIGTERM: exit 0, links and services stay.
sys_nofail kill -TERM "$AGENT_PID"
rc=""
for n in $(seq 50); do
	kill -0 "$AGENT_PID" 2>/dev/null || { wait "$AGENT_PID"; rc=$?; break; }
	sleep 0.1
done
if [ "$rc" = 0 ] && [ -n "$(svc_state "$SVC")" ] &&
	cb -j status | grep -q '"attached": *true'; then
	pass sigterm_leaves_data_plane
else
	fail sigterm_leaves_data_plane "rc '$rc', state '$(svc_state "$SVC")'"
fi
split_case forwarding_after_exit 400 8 v1=65 v2=35
[ "$FAILS" -eq 0 ] || { echo "  agent log:"; sed 's/^/    /' "$WORK/agent.log" | tail -n 40; }
finish
