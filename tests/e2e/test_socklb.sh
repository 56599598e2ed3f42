#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# East-west: socket-level load balancing for processes in a cgroup. Nothing
# is attached to any interface: connect() and sendmsg() to the VIP go to
# the chosen pod directly, getpeername() and recvfrom() still show the VIP.
# The split holds over 4,000 connections, UDP request/response works, and
# set-weight moves new connections only.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# cg_burst KIND NAME N [ARGS]: client.py KIND from inside the cgroup.
cg_burst() {
	take_ports "$3" || return 1
	in_cg "$PY" "$E2E_DIR/client.py" "$1" --vip "$VIP" --port "$VPORT" \
		-n "$3" --sport "$SPORT_AT" "${@:4}" >"$WORK/$2.json"
}

e2e_setup
[ -n "$CG_ROOT" ] || bail "no cgroup v2 hierarchy mounted"
CG="$CG_ROOT/canary-e2e-$$"
mkdir "$CG" || bail "cannot create cgroup $CG"

{
	echo "services:"
	yaml_service prod-service tcp 75 25
	yaml_service prod-udp udp 50 50 5053
} >"$WORK/seed.yaml"
expect apply_seed cb apply -f "$WORK/seed.yaml"
# In the root mount namespace: `ip netns exec` hides the cgroup mount.
expect attach_cgroup "$CANARY_BIN" --pin-dir "$PIN_DIR" attach-cgroup "$CG"

# client.py burst fails a connection whose getpeername() is not the VIP.
if cg_burst burst split 4000; then
	check_share split_75_25_getpeername_vip split 4000 2 v1=75 v2=25
else
	fail split_75_25_getpeername_vip "client.py burst failed"
fi
counter_case no_packet_rewritten \
	"c['translated'] == 0 and c['sock_lb'] >= 4000"
# client.py udp counts a reply from anything but VIP:port as an error.
if cg_burst udp udp 1000; then
	check_share udp_via_sendmsg_recvmsg udp 1000 5 v1=50 v2=50
else
	fail udp_via_sendmsg_recvmsg "client.py udp failed"
fi

take_ports 50
coproc HOLD {
	exec sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec ip netns exec "$@"' \
		hold "$CG" "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" hold \
		--vip "$VIP" --port "$VPORT" --count 50 --sport "$SPORT_AT"
}
PIDS+=("$HOLD_PID")
hold_cmd "" hold_open || fail hold_open "no answer from client.py hold"
expect set_weight_v2_100 cb set-weight prod-service v2=100
held_case open_connections_stay 50
if cg_burst burst after 500; then
	check_share new_connections_all_v2 after 500 0 v1=0 v2=100
else
	fail new_connections_all_v2 "client.py burst failed"
fi
hold_quit

# Connection health as the kernel tells it (sockops): every balanced
# connect() so far counted and timed, none failed.
counter_case_health() {
	local name=$1 expr=$2 res
	if res=$(cb -j status | "$PY" -c 'import json, sys
s = [x for x in json.load(sys.stdin)["services"] if x["name"] == "prod-service"][0]
v = {x["name"]: x for x in s["versions"]}
g = s["guard"]
ok = eval(sys.argv[1])
print(ok, {k: (x["new_connections"], x["handshakes"], x["refused"], x["failed"]) for k, x in v.items()}, g["state"])
sys.exit(0 if ok is True else 1)' "$expr" 2>&1); then
		pass "$name"
		info "$name: $res"
	else
		fail "$name" "$res"
	fi
}
counter_case_health socket_connections_counted \
	"sum(x['new_connections'] for x in v.values()) >= 4550 and sum(x['handshakes'] for x in v.values()) >= 4550 and sum(x['failed'] for x in v.values()) == 0"
# v2 (100 % now) stops listening: its connect()s are refused, and the
# guard sheds it without a packet rewritten.
expect v2_refuses cb endpoints set prod-service v2 "${POD_IPS[3]}:5099"
expect guard_on cb guard prod-service --min-flows 20 --max-failure-pct 5
if cg_burst burst refused 300 --parallel 1; then
	res=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["errors"])' \
		"$WORK/refused.json")
	if [ "$res" -ge 20 ] && [ "$res" -le 40 ]; then
		pass socket_refused_until_shed
		info "socket_refused_until_shed: $res of 300 refused"
	else
		fail socket_refused_until_shed "$res of 300 failed"
	fi
else
	fail socket_refused_until_shed "client.py burst failed"
fi
counter_case_health socket_guard_shed \
	"g['state'] == 'shed' and v['v2']['refused'] >= 20"
if cg_burst burst after_shed 200; then
	check_share socket_after_shed_all_v1 after_shed 200 0 v1=100 v2=0
else
	fail socket_after_shed_all_v1 "client.py burst failed"
fi

# A service without any endpoint refuses connect() (the packet path drops).
expect empty_v1 cb endpoints set prod-service v1
expect empty_v2 cb endpoints set prod-service v2
if res=$(in_cg "$PY" -c '
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except PermissionError:
    sys.exit(0)
except OSError as e:
    print(e)
sys.exit(1)' "$VIP" "$VPORT" 2>&1); then
	pass no_endpoint_connect_refused
else
	fail no_endpoint_connect_refused "connect() did not fail with EPERM: $res"
fi

expect detach_cgroup "$CANARY_BIN" --pin-dir "$PIN_DIR" detach-cgroup "$CG"
finish
