# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Helpers for the agent's e2e tests (test_agent*.sh); source it after
# lib.sh. The fake API server (fakekube.py, HTTPS with a certificate from
# lib_tls.sh) and the agent both run in the node namespace: the ports below are
# that namespace's own.

FK="$E2E_DIR/fakekube.py"
KPORT=16443
KURL=https://127.0.0.1:$KPORT
MADDR=127.0.0.1:19464
SVC=k8s.default.prod.http
FK_TOKEN=s3cret      # the bearer token fakekube accepts at start
FK_PID=""
AGENT_PID=""
# How the agent finds the API server: a kubeconfig unless a test sets
# AGENT_IN_CLUSTER=1 (service-account files in $WORK/sa, see sa_make).
AGENT_IN_CLUSTER=""

# shellcheck source-path=SCRIPTDIR source=lib_tls.sh
. "$E2E_DIR/lib_tls.sh"

# kctl VERB ARGS...: fakekube.py ctl against our server.
kctl() { nsx "$NS_NODE" "$PY" "$FK" ctl "$KURL" "$@"; }

# fk_start [ARGS...]: the fake API server; waits (5 s) for it.
fk_start() {
	local n
	rm -f "$WORK/fk.ready"
	ip netns exec "$NS_NODE" "$PY" "$FK" serve --port "$KPORT" \
		--cert "$WORK/cert.pem" --key "$WORK/key.pem" --token "$FK_TOKEN" \
		--state "$WORK/fk.state" --ready-file "$WORK/fk.ready" "$@" \
		>>"$WORK/fk.log" 2>&1 &
	FK_PID=$!
	PIDS+=("$FK_PID")
	for n in $(seq 50); do
		[ -e "$WORK/fk.ready" ] && return 0
		sleep 0.1
	done
	return 1
}

# seed_split [V2_PORT [ARGS...]]: the seed's objects: prod-service on
# the VIP, hello-v1's three pods and hello-v2's one (serving on V2_PORT,
# 5050 by default), and the TrafficSplit prod at 75/25 (ARGS: more
# options of "kctl split", such as --annotation=KEY=VALUE).
seed_split() {
	local v2port=${1:-5050}
	[ $# -eq 0 ] || shift
	kctl service default prod-service "$VIP" "http:$VPORT:5050" &&
	kctl service default hello-v1 10.96.1.1 "http:$VPORT:5050" &&
	kctl service default hello-v2 10.96.1.2 "http:$VPORT:$v2port" &&
	kctl slice default hello-v1-x7k2p hello-v1 http:5050 \
		"${POD_IPS[0]}" "${POD_IPS[1]}" "${POD_IPS[2]}" &&
	kctl slice default hello-v2-q9z4m hello-v2 "http:$v2port" "${POD_IPS[3]}" &&
	kctl split default prod prod-service hello-v1=75 hello-v2=25 "$@"
}

# fk_up SEED [ARGS...]: a certificate (make_tls), the fake API server
# (fk_start ARGS) and its objects, made by the function SEED; bails when
# any of it fails.
fk_up() {
	local seed=$1
	shift
	command -v openssl >/dev/null || bail "openssl missing"
	make_tls || bail "could not make a certificate"
	fk_start "$@" || bail "fakekube did not start"
	"$seed" >/dev/null || bail "could not seed the fake API server"
}

# agent_start: the agent in the node ns (the test attached n0 itself).
agent_start() {
	if [ -n "$AGENT_IN_CLUSTER" ]; then
		env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
			KUBERNETES_SERVICE_PORT=$KPORT CANARY_BPF_SA_DIR="$WORK/sa" \
			NODE_NAME=node-1 ip netns exec "$NS_NODE" "$CANARY_BIN" \
			--pin-dir "$PIN_DIR" agent --no-attach --resync 60 \
			--metrics-addr "$MADDR" >>"$WORK/agent.log" 2>&1 &
	else
		ip netns exec "$NS_NODE" "$CANARY_BIN" --pin-dir "$PIN_DIR" agent \
			--kubeconfig "$WORK/kubeconfig" --no-attach --resync 60 \
			--metrics-addr "$MADDR" --node-name node-1 >>"$WORK/agent.log" 2>&1 &
	fi
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
}

# http PATH: "CODE BODY" of GET http://$MADDR/PATH in the node ns.
http() {
	nsx "$NS_NODE" "$PY" - "http://$MADDR/$1" <<-'EOF'
	import sys, urllib.request, urllib.error
	try:
	    r = urllib.request.urlopen(sys.argv[1], timeout=3)
	    print(r.status, r.read().decode())
	except urllib.error.HTTPError as e:
	    print(e.code, e.read().decode())
	except OSError as e:
	    print(0, e)
	EOF
}

# wait_ready: /readyz answers 200 within 10 s.
wait_ready() {
	local n
	for n in $(seq 100); do
		[ "$(http readyz | cut -d' ' -f1)" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# ready_case NAME: PASS when /readyz answers 200 within 10 s.
ready_case() {
	if wait_ready; then
		pass "$1"
	else
		fail "$1" "/readyz not 200 within 10 s"
	fi
}

# svc_state NAME: "W1,W2|E1,E2|ID|FLOWS" from canary-bpf -j status, or "".
svc_state() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for s in d["services"]:
    if s["name"] == sys.argv[1]:
        print("%s|%s|%d|%d" % (
            ",".join("%g" % v["weight"] for v in s["versions"]),
            ",".join(str(len(v["endpoints"])) for v in s["versions"]),
            s["id"], sum(v["flows"] for v in s["versions"])))' "$1"
}

# wait_state NAME WANT SECS: polls (every 50 ms, SECS at most) until the
# weights|endpoints part of svc_state is WANT; prints the time taken (ms).
wait_state() {
	local start now got
	start=$(date +%s%N)
	while :; do
		got=$(svc_state "$1")
		got=${got%|*|*}
		now=$(date +%s%N)
		[ "$got" = "$2" ] && { echo $(((now - start) / 1000000)); return 0; }
		[ $(((now - start) / 1000000000)) -ge "$3" ] && {
			echo "have '$got', want '$2'"; return 1; }
		sleep 0.05
	done
}

# converge_case NAME WANT SECS [SERVICE]: PASS when wait_state gets
# SERVICE (default $SVC) there in time.
converge_case() {
	local out
	if out=$(wait_state "${4:-$SVC}" "$2" "$3"); then
		pass "$1"
		info "$1: ${out} ms"
	else
		fail "$1" "$out"
	fi
}

# wait_log TEXT SECS: the agent log gets a line containing TEXT (a fixed
# string: "[fd00::1]:80" is no bracket expression).
wait_log() {
	local n
	for n in $(seq $(($2 * 10))); do
		grep -qF -- "$1" "$WORK/agent.log" && return 0
		sleep 0.1
	done
	return 1
}

# sa_make: a service-account directory in $WORK/sa (token, ca.crt,
# namespace) as the kubelet projects it, for the in-cluster config.
sa_make() {
	mkdir -p "$WORK/sa" &&
	echo "$FK_TOKEN" >"$WORK/sa/token" &&
	cp "$WORK/cert.pem" "$WORK/sa/ca.crt" &&
	echo default >"$WORK/sa/namespace"
}

# flip_ns: canary_gen's stamp of the last flip (CLOCK_MONOTONIC ns).
flip_ns() {
	bpftool -j map dump pinned "$PIN_DIR/canary_gen" 2>/dev/null | "$PY" -c '
import json, sys
v = json.load(sys.stdin)[0]["formatted"]["value"]
print(v["prev_until_ns"] - v["grace_ns"])'
}
