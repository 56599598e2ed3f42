#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# UDP flows age out like conntrack's: with `timeouts: {udp: 5}` in the
# apply file, a client on a fixed port that goes quiet after v2 0 -> 100
# keeps its v1 pod while its flow is fresh, and once idle past the timeout
# its next datagram is placed by the weights now (v2); four clients that
# keep sending (one datagram a second each) through the same change and
# wait keep their pods, none lost. status shows the timeouts.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TMO=5
# A flow expires between its timeout and the timeout plus two stamp
# units (2 x 4.3 s, see include/canary.h): wait past both.
WAIT=$((TMO + 10))

udp_yaml() {
	echo "timeouts: {udp: $TMO}"
	echo "services:"
	yaml_service prod-udp udp "$1" "$2" 5053
}

# one_dgram NAME: one datagram from the fixed port $IDLE_PORT.
one_dgram() {
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" udp --vip "$VIP" \
		--port "$VPORT" -n 1 --sport "$IDLE_PORT" --timeout 2 \
		>"$WORK/$1.json"
}

# dgram_case NAME VERSION: one_dgram answered by VERSION.
dgram_case() {
	if one_dgram "$1"; then
		check_share "$1" "$1" 1 0 "$2=100"
	else
		fail "$1" "client.py udp failed"
	fi
}

e2e_setup
udp_yaml 100 0 >"$WORK/udp.yaml"
attach_case attach_native native
expect apply_udp_timeout_5 cb apply -f "$WORK/udp.yaml"
if res=$(cb -j status | "$PY" -c '
import json, sys
t = json.load(sys.stdin)["timeouts"]
print(t)
sys.exit(0 if t == {"tcp_s": 21600, "tcp_closing_s": 10, "udp_s": 5} else 1)'); then
	pass status_shows_timeouts
else
	fail status_shows_timeouts "$res"
fi
take_ports 5 || bail "out of source ports"
IDLE_PORT=$SPORT_AT
STREAM_PORT=$((SPORT_AT + 1))

dgram_case idle_client_first_on_v1 v1
ip netns exec "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" stream --vip "$VIP" \
	--port "$VPORT" --sport "$STREAM_PORT" --flows 4 --rate 4 \
	--seconds $((WAIT + 4)) >"$WORK/stream.json" &
STREAM_PID=$!
PIDS+=("$STREAM_PID")
sleep 1
expect set_weight_v2_100 cb set-weight prod-udp v2=100
dgram_case idle_client_within_timeout_kept v1
sleep "$WAIT"
if res=$(cb -j flows list --service prod-udp | "$PY" -c '
import json, sys
port = int(sys.argv[1])
f = [f for f in json.load(sys.stdin)["flows"] if f["client_port"] == port]
print(f)
sys.exit(0 if len(f) == 1 and f[0]["expired"] and f[0]["state"] == "udp"
         else 1)' "$IDLE_PORT"); then
	pass flows_list_shows_idle_flow_expired
else
	fail flows_list_shows_idle_flow_expired "$res"
fi
dgram_case idle_client_replaced_on_v2 v2
if wait "$STREAM_PID" && res=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps(r))
sys.exit(0 if r["sent"] > 0 and r["lost"] == 0 and r["flows_moved"] == 0 and
         r["bad_source"] == 0 and not any("v2" in p for p in r["pods"]) else 1)
' "$WORK/stream.json"); then
	pass busy_clients_keep_their_pods
	info "busy_clients_keep_their_pods: $res"
else
	fail busy_clients_keep_their_pods "${res:-stream failed}"
fi
finish
