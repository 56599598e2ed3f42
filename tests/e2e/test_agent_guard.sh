#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The guard through the agent: a TrafficSplit's canary-bpf.io/guard
# annotation gives its service a guard, the data plane sheds the canary
# whose server refuses every connection, and the agent reports it: a log
# line, a GuardShed Event on the TrafficSplit, and /metrics (the version's
# guard_shed, the service's guard state, failures by reason, the handshake
# histogram). A weight change re-arms it; a malformed annotation leaves
# the split NotApplied, naming the key.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"

GUARD=canary-bpf.io/guard=max_failure_pct=5,min_flows=20,window_s=10

# Like test_agent.sh's seed, but hello-v2's pods serve on 5099, where
# nothing listens: every connection to it is refused.
seed() { seed_split 5099 "--annotation=$GUARD"; }

# guard_state: the service's guard state and its min_flows.
guard_state() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        g = s["guard"]
        print(g["state"], g.get("min_flows"), g.get("version"))' "$SVC"
}

e2e_setup
fk_up seed
attach_case attach_native native
agent_start
ready_case agent_ready
converge_case agent_converges "75,25|3,1" 5
res=$(guard_state)
[ "$res" = "armed 20 None" ] && pass annotation_arms_guard ||
	fail annotation_arms_guard "guard: $res"

# 400 fresh connections in order: hello-v2 refuses until the guard sheds.
take_ports 400 || bail "out of source ports"
nsx "$NS_CLIENT" "$PY" "$E2E_DIR/health.py" conns -n 400 --sport "$SPORT_AT" \
	--target "$VIP:$VPORT" >"$WORK/conns.json"
res=$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["refused"], d["ok"], max([i for i, t, x in d["order"] if x != "ok"] or [-1]))' \
	"$WORK/conns.json")
read -r refused ok last <<<"$res"
if [ "$refused" -ge 20 ] && [ "$refused" -le 40 ] && [ "$((refused + ok))" -eq 400 ] &&
	[ "$last" -lt 200 ]; then
	pass shed_after_min_flows
	info "$refused of 400 refused, the last at connection $last"
else
	fail shed_after_min_flows "refused $refused, ok $ok, last failure $last"
fi
res=$(guard_state)
[ "$res" = "shed 20 hello-v2" ] && pass status_shows_shed || fail status_shows_shed "$res"
wait_log "guard shed hello-v2: " 3 && pass shed_logged ||
	fail shed_logged "no 'guard shed' line in the agent log"
ok=""
for n in $(seq 30); do
	kctl events >"$WORK/events.json" 2>/dev/null
	if "$PY" -c 'import json, sys
evs = json.load(open(sys.argv[1]))
sys.exit(0 if any(e["reason"] == "GuardShed" and e["type"] == "Warning" and
                  e["involvedObject"]["kind"] == "TrafficSplit" and
                  e["involvedObject"]["name"] == "prod" and
                  "hello-v2" in e["message"] for e in evs) else 1)' "$WORK/events.json"; then
		ok=1
		break
	fi
	sleep 0.1
done
[ -n "$ok" ] && pass guard_shed_event || fail guard_shed_event "$(head -c 300 "$WORK/events.json")"
res=$(http metrics)
lbl="service=\"$SVC\",version=\"hello-v2\""
if grep -q "^canary_bpf_version_guard_shed{$lbl.*} 1$" <<<"$res" &&
	grep -q "^canary_bpf_service_guard_state{service=\"$SVC\".*} 2$" <<<"$res" &&
	grep -q "^canary_bpf_service_guard_sheds_total{service=\"$SVC\".*} 1$" <<<"$res" &&
	grep -q "^canary_bpf_version_connection_failures_total{$lbl.*,reason=\"refused\"} $refused$" <<<"$res" &&
	grep -q "^canary_bpf_version_failed_connections_total{$lbl.*} $refused$" <<<"$res" &&
	grep -q "^canary_bpf_version_handshake_seconds_count{service=\"$SVC\",version=\"hello-v1\".*} [1-9]" <<<"$res" &&
	grep -q "^canary_bpf_version_handshake_seconds_bucket{service=\"$SVC\",version=\"hello-v1\".*,le=\"+Inf\"} [1-9]" <<<"$res"; then
	pass guard_metrics
else
	fail guard_metrics "$(grep -E 'guard|failures|handshake_seconds_count' <<<"$res" | head -c 400)"
fi

# The rollout moves the weight: re-armed.
kctl split default prod prod-service hello-v1=80 hello-v2=20 "--annotation=$GUARD" >/dev/null
converge_case weight_change_converges "80,20|3,1" 3
res=$(guard_state)
[ "$res" = "armed 20 None" ] && pass weight_change_rearms || fail weight_change_rearms "$res"

# A malformed annotation: not applied, the key named; what runs stays.
kctl split default prod prod-service hello-v1=70 hello-v2=30 \
	--annotation=canary-bpf.io/guard=min_flows=0 >/dev/null
if wait_log "annotation canary-bpf.io/guard: min_flows '0' is out of range" 3; then
	res=$(svc_state "$SVC")
	[ "${res%%|*}" = "80,20" ] && pass bad_annotation_not_applied ||
		fail bad_annotation_not_applied "weights changed: $res"
else
	fail bad_annotation_not_applied "no log line naming the key"
fi
finish
