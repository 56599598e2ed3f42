# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Shared helpers for tests/e2e/test_*.sh and scripts/demo.sh; source it.
#
# Topology (the seed's cluster, in network namespaces named $PREFIX*):
#
#   client ns            node ns                         pod ns (x4)
#   c0 10.0.0.2/24 ----- n0 10.0.0.1/24   hv10 --------- eth0 10.244.1.11/32
#   default via .1       ip_forward=1     hv11, hv12 ... (hello-v1-1, -2)
#                        XDP+tc on n0     hv20 --------- eth0 10.244.1.21/32
#
# Pods route Calico-style: "default via 169.254.1.1 dev eth0 onlink"; the
# node answers ARP for that address with proxy_arp on hvXX and reaches each
# pod through a POD_IP/32 route. Nothing is added to the root namespace
# except a private bpffs mount under $WORK, which cleanup unmounts.
#
# POD_WIRING=bridge (set it after sourcing; the tests keep "routed") wires
# the pods flannel-style instead: hvXX are ports of a bridge cni0
# 10.244.1.1/24 in the node ns, pods have POD_IP/24 and "default via
# 10.244.1.1", no proxy_arp and no /32 routes.
#
# Reporting: every test case prints exactly one "PASS name" or
# "FAIL name: reason" line (or "SKIP name: reason" from skip(), only for
# a kernel feature a probe found missing); details go on lines starting
# with "  ".
# finish() exits 1 when any case failed.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
CANARY_BIN=${CANARY_BIN:-$REPO_DIR/canary-bpf}
PY=/usr/bin/python3
TEST_NAME=$(basename "$0" .sh)

VIP=10.96.0.10
VPORT=5000
PREFIX="cb$$-"
NS_CLIENT=${PREFIX}cl
NS_NODE=${PREFIX}nd
PODS=(hello-v1-0 hello-v1-1 hello-v1-2 hello-v2-0)
POD_IPS=(10.244.1.11 10.244.1.12 10.244.1.13 10.244.1.21)
POD_DEVS=(hv10 hv11 hv12 hv20)   # node-side veth; also the pod ns suffix

# Dual stack (topo_v6): IPv6 addresses next to the IPv4 ones above.
POD_IPS6=(fd00:244:1::11 fd00:244:1::12 fd00:244:1::13 fd00:244:1::21)

WORK=""          # temp dir: pin dir, ready files, JSON results
PIN_DIR=""
MOUNTED=""
NSS=()           # namespaces we created
PIDS=()          # processes we started
FAILS=0
SPORT_NEXT=2000  # next free client source port, see take_ports
SPORT_AT=0
# take_ports hands out ports up to SPORT_LAST; the client namespaces'
# automatic ports (connect() without bind) come from above it, or one
# could take a port client.py is about to bind (EADDRINUSE).
SPORT_LAST=39999
CLIENT_AUTO_PORTS="40000 65000"
STATUS_MODE=""   # status_case also checks n0's mode when set
POD_WIRING=routed # routed or bridge, see the top of this file

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2//$'\n'/ | }"; FAILS=$((FAILS + 1)); }
# skip NAME REASON: NAME cannot run because this kernel lacks a feature
# (REASON names it, found by a probe); never for a failure. scripts/
# run-tests.sh counts it; an empty REASON is a failure.
skip() {
	local reason=${2:-}
	if [ -z "${reason// /}" ]; then fail "$1" "skipped without a reason"; return; fi
	echo "SKIP $1: ${reason//$'\n'/ | }"
}
info() { echo "  $*"; }
# bail REASON: setup failed; report the whole script as one failure.
bail() { fail "$TEST_NAME" "$1"; exit 1; }
finish() { [ "$FAILS" -eq 0 ]; exit $?; }

# sys CMD...: runs CMD quietly; on failure shows its output and returns 1.
sys() {
	local out
	if ! out=$("$@" 2>&1); then
		echo "  command failed: $* :: ${out:0:300}" >&2
		return 1
	fi
}

# sys_nofail CMD...: runs CMD, ignoring failure and output (for cleanup).
sys_nofail() { "$@" >/dev/null 2>&1 || true; }

# expect NAME CMD...: PASS when CMD exits 0, else FAIL with its last line.
expect() {
	local name=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "$(printf '%s\n' "$out" | tail -n 1) [rc=$rc]"
	fi
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
pod_ns() { echo "${PREFIX}${POD_DEVS[$1]}"; }

# cb ARGS...: canary-bpf inside the node ns, with our pin dir.
cb() { nsx "$NS_NODE" "$CANARY_BIN" --pin-dir "$PIN_DIR" "$@"; }

# attach_args MODE: "attach n0" arguments, redirecting to every pod veth
# (with POD_WIRING=bridge, past cni0 too: --bridge cni0).
attach_args() {
	local dev
	printf '%s\n' n0 --mode "$1"
	for dev in "${POD_DEVS[@]}"; do printf '%s\n' --redirect-dev "$dev"; done
	if [ "$POD_WIRING" = bridge ]; then printf '%s\n' --bridge cni0; fi
}

# e2e_init: checks prerequisites, makes $WORK, installs the cleanup trap.
e2e_init() {
	local tool
	[ "$(id -u)" -eq 0 ] || bail "must run as root"
	for tool in ip tc ethtool mount umount "$PY"; do
		command -v "$tool" >/dev/null || bail "missing tool: $tool"
	done
	trap topo_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	WORK=$(mktemp -d /tmp/cb-XXXXXX) || bail "mktemp failed"
}

# need_cli: the CLI binary is a prerequisite; missing is a failure.
need_cli() {
	[ -x "$CANARY_BIN" ] ||
		bail "canary-bpf not found at $CANARY_BIN (run make canary-bpf)"
}

# pin_mount: a private bpffs for --pin-dir; /sys/fs/bpf is not usable
# under "ip netns exec", which remounts /sys, but this mount stays visible.
pin_mount() {
	PIN_DIR=$WORK/bpf
	mkdir -p "$PIN_DIR" && sys mount -t bpf bpf "$PIN_DIR" || return 1
	MOUNTED=$PIN_DIR
}

topo_client() {
	sys ip -n "$NS_NODE" link add n0 type veth peer name c0 netns "$NS_CLIENT" &&
	sys ip -n "$NS_CLIENT" addr add 10.0.0.2/24 dev c0 &&
	sys ip -n "$NS_CLIENT" link set lo up &&
	sys ip -n "$NS_CLIENT" link set c0 up &&
	sys ip -n "$NS_CLIENT" route add default via 10.0.0.1 &&
	# veth hands its peer CHECKSUM_PARTIAL skbs whose L4 checksum field
	# holds only the pseudo-header sum; a wire delivers finished sums.
	# XDP sees raw bytes without that skb state, so its incremental
	# checksum fixups would produce frames the pods drop. Make the
	# client's kernel compute full checksums, as a real client's NIC does.
	sys nsx "$NS_CLIENT" ethtool -K c0 tx off &&
	client_auto_ports "$NS_CLIENT"
}

# client_auto_ports NS: client ns NS's automatic source ports, apart from
# take_ports' and still many, so fresh connections do not reuse a 5-tuple
# during a run.
client_auto_ports() {
	sys nsx "$1" sysctl -qw net.ipv4.ip_local_port_range="$CLIENT_AUTO_PORTS"
}

topo_node() {
	sys ip -n "$NS_NODE" addr add 10.0.0.1/24 dev n0 &&
	sys ip -n "$NS_NODE" link set lo up &&
	sys ip -n "$NS_NODE" link set n0 up &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv4.ip_forward=1 || return 1
	if [ "$POD_WIRING" = bridge ]; then
		sys ip -n "$NS_NODE" link add cni0 type bridge &&
		sys ip -n "$NS_NODE" addr add 10.244.1.1/24 dev cni0 &&
		sys ip -n "$NS_NODE" link set cni0 up
		return
	fi
	# Stand-in for the node's uplink (a veth pair: no dummy module
	# needed): proxy ARP only answers for an address routed out another
	# device, so the pods' gateway 169.254.1.1 is routed here.
	sys ip -n "$NS_NODE" link add up0 type veth peer name up1 &&
	sys ip -n "$NS_NODE" link set up1 up &&
	sys ip -n "$NS_NODE" link set up0 up &&
	sys ip -n "$NS_NODE" route add 169.254.1.1/32 dev up0
}

# topo_pod I [NODE_NS]: pod ns I with eth0 <-> node-side POD_DEVS[I] in
# NODE_NS (default: the node), wired as POD_WIRING says.
topo_pod() {
	local ns dev=${POD_DEVS[$1]} ip=${POD_IPS[$1]} node=${2:-$NS_NODE}
	ns=$(pod_ns "$1")
	NSS+=("$ns")
	sys ip netns add "$ns" &&
	sys ip -n "$node" link add "$dev" type veth peer name eth0 netns "$ns" &&
	sys ip -n "$ns" link set lo up &&
	sys ip -n "$ns" link set eth0 up &&
	# XDP_REDIRECT into a veth needs NAPI on the receiving peer, which
	# the kernel enables for GRO (or an XDP program) on that peer.
	sys nsx "$ns" ethtool -K eth0 gro on || return 1
	if [ "$POD_WIRING" = bridge ]; then
		sys ip -n "$ns" addr add "$ip/24" dev eth0 &&
		sys ip -n "$ns" route add default via 10.244.1.1 dev eth0 &&
		sys ip -n "$node" link set "$dev" master cni0 &&
		sys ip -n "$node" link set "$dev" up
		return
	fi
	sys ip -n "$ns" addr add "$ip/32" dev eth0 &&
	sys ip -n "$ns" route add default via 169.254.1.1 dev eth0 onlink &&
	sys ip -n "$node" link set "$dev" up &&
	sys nsx "$node" sysctl -qw "net.ipv4.conf.$dev.proxy_arp=1" &&
	sys nsx "$node" sysctl -qw "net.ipv4.neigh.$dev.proxy_delay=0" &&
	sys ip -n "$node" route add "$ip/32" dev "$dev"
}

# topo_up: namespaces, links, addresses, routes and the pin dir.
topo_up() {
	local i
	NSS+=("$NS_CLIENT" "$NS_NODE")
	sys ip netns add "$NS_CLIENT" && sys ip netns add "$NS_NODE" &&
		topo_client && topo_node || return 1
	for i in "${!PODS[@]}"; do
		topo_pod "$i" || return 1
	done
	pin_mount
}

# topo_v6: IPv6 on the topo_up topology (nodad: usable at once). Client
# c0 fd00:10::2/64 via n0 fd00:10::1/64, IPv6 forwarding in the node;
# pod I gets POD_IPS6[I]/128 and, Calico-style again, "default via
# fe80::1 dev eth0", fe80::1 being the node side of its veth, with a
# POD_IP6/128 route back. Only our namespaces are touched.
topo_v6() {
	local i ns dev
	sys ip -n "$NS_CLIENT" addr add fd00:10::2/64 dev c0 nodad &&
	sys ip -n "$NS_CLIENT" -6 route add default via fd00:10::1 &&
	sys ip -n "$NS_NODE" addr add fd00:10::1/64 dev n0 nodad &&
	sys nsx "$NS_NODE" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	for i in "${!PODS[@]}"; do
		ns=$(pod_ns "$i")
		dev=${POD_DEVS[$i]}
		sys ip -n "$ns" addr add "${POD_IPS6[$i]}/128" dev eth0 nodad &&
		# ICMPv6 errors are rate limited per destination by default;
		# tests count a pod's port unreachables.
		sys nsx "$ns" sysctl -qw net.ipv6.icmp.ratelimit=0 &&
		sys ip -n "$NS_NODE" addr add fe80::1/64 dev "$dev" nodad &&
		sys ip -n "$ns" -6 route add default via fe80::1 dev eth0 &&
		sys ip -n "$NS_NODE" -6 route add "${POD_IPS6[$i]}/128" dev "$dev" ||
			return 1
	done
	v6_settle
}

# v6_settle: waits (5 s at most) until no address of our namespaces is
# tentative: the link-local ones the kernel made itself go through DAD,
# and neighbour discovery waits for it.
v6_settle() {
	local n ns busy
	for n in $(seq 50); do
		busy=""
		for ns in "${NSS[@]}"; do
			[ -n "$(ip -n "$ns" -6 addr show tentative 2>/dev/null)" ] && busy=$ns
		done
		[ -z "$busy" ] && return 0
		[ "$n" -lt 50 ] && sleep 0.1
	done
	echo "  addresses still tentative in $busy" >&2
	return 1
}

# pod_start: podserver.py in every pod ns; waits (10 s at most) until each
# has written its ready file.
pod_start() {
	local i n ver ready
	for i in "${!PODS[@]}"; do
		ver=${PODS[$i]#hello-}
		# Not through nsx: $! must be the server itself, not a subshell.
		ip netns exec "$(pod_ns "$i")" "$PY" "$E2E_DIR/podserver.py" \
			"${ver%%-*}" "${PODS[$i]}" --ready-file "$WORK/ready.$i" &
		PIDS+=("$!")
	done
	for n in $(seq 100); do
		ready=0
		for i in "${!PODS[@]}"; do
			[ -e "$WORK/ready.$i" ] && ready=$((ready + 1))
		done
		[ "$ready" -eq "${#PODS[@]}" ] && return 0
		[ "$n" -lt 100 ] && sleep 0.1
	done
	echo "  pod servers not ready after 10 s" >&2
	return 1
}

# The cgroup v2 mount, and the test's own cgroup (socket load balancing)
# once a test makes one as $CG; topo_down removes it.
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CG=""

cg_down() {
	[ -n "$CG" ] && [ -d "$CG" ] && rmdir "$CG" 2>/dev/null
	CG=""
}

# in_cg CMD...: runs CMD in the test cgroup, in the client namespace.
in_cg() {
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec ip netns exec "$@"' \
		in_cg "$CG" "$NS_CLIENT" "$@"
}

# topo_down: the EXIT trap. Kills only our PIDs, deletes our namespaces,
# unmounts our bpffs, removes $WORK. Safe to run twice.
topo_down() {
	local pid ns n
	for pid in "${PIDS[@]}"; do sys_nofail kill "$pid"; done
	for pid in "${PIDS[@]}"; do
		for n in $(seq 20); do
			kill -0 "$pid" 2>/dev/null || break
			[ "$n" -eq 20 ] && sys_nofail kill -KILL "$pid"
			sleep 0.1
		done
		wait "$pid" 2>/dev/null
	done
	PIDS=()
	cg_down
	for ns in "${NSS[@]}"; do sys_nofail ip netns del "$ns"; done
	NSS=()
	[ -n "$MOUNTED" ] && sys_nofail umount "$MOUNTED"
	MOUNTED=""
	[ -n "$WORK" ] && rm -rf "$WORK"
	WORK=""
}

# yaml_service NAME PROTO V1_PCT V2_PCT [POD_PORT]: one YAML service
# entry, the seed's three v1 pods and one v2 pod behind $VIP:$VPORT.
yaml_service() {
	local pp=${5:-5050}
	cat <<-EOF
	  - name: $1
	    vip: $VIP
	    port: $VPORT
	    protocol: $2
	    versions:
	      - name: v1
	        weight: $3
	        endpoints: [${POD_IPS[0]}:$pp, ${POD_IPS[1]}:$pp, ${POD_IPS[2]}:$pp]
	      - name: v2
	        weight: $4
	        endpoints: [${POD_IPS[3]}:$pp]
	EOF
}

# write_yaml FILE V1_PCT V2_PCT: the seed config, prod-service only.
write_yaml() {
	{ echo "services:"; yaml_service prod-service tcp "$2" "$3"; } >"$1"
}

# e2e_setup: prerequisites, topology, pod servers; bails on failure.
e2e_setup() {
	e2e_init
	need_cli
	topo_up || bail "topology setup failed"
	pod_start || bail "pod servers did not start"
}

# attach_case NAME MODE [--no-redirect|--listed]: "canary-bpf attach n0"
# as a case; --no-redirect lists no device (the automatic fast path
# still finds the pods' veths), --listed turns that off too.
attach_case() {
	local args
	mapfile -t args < <(attach_args "$2")
	[ "${3:-}" = --no-redirect ] && args=(n0 --mode "$2")
	[ "${3:-}" = --listed ] && args=(n0 --mode "$2" --fast-path listed)
	expect "$1" cb attach "${args[@]}"
}

# take_ports N: reserves N client source ports; the first is $SPORT_AT.
take_ports() {
	SPORT_AT=$SPORT_NEXT
	SPORT_NEXT=$((SPORT_NEXT + $1))
	[ "$SPORT_NEXT" -le $((SPORT_LAST + 1)) ]
}

# traffic KIND OUT N [ARGS...]: client.py KIND (burst or udp) with N fresh
# connections from the client ns; JSON goes to $WORK/OUT.json.
traffic() {
	local kind=$1 out=$2 n=$3
	shift 3
	take_ports "$n" || { echo "  out of source ports" >&2; return 1; }
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" "$kind" --vip "$VIP" \
		--port "$VPORT" -n "$n" --sport "$SPORT_AT" "$@" >"$WORK/$out.json"
}

# check_share NAME OUT N TOL VERSION=PCT... [--absent-pod POD]...: one
# PASS/FAIL line for the share measured in $WORK/OUT.json.
check_share() {
	local name=$1 out=$2 n=$3 tol=$4 res v exp=()
	shift 4
	while [ $# -gt 0 ]; do
		case $1 in
		--*) exp+=("$1" "$2"); shift 2 ;;
		*) exp+=(--expect "$1"); shift ;;
		esac
	done
	if res=$("$PY" "$E2E_DIR/check.py" share --n "$n" --tol "$tol" \
		"${exp[@]}" <"$WORK/$out.json"); then
		pass "$name"
		info "$name: $res"
	else
		fail "$name" "$res"
	fi
}

# split_case NAME N TOL VERSION=PCT...: burst of N then check_share.
split_case() {
	local name=$1 n=$2
	shift 2
	if ! traffic burst "$name" "$n"; then
		fail "$name" "client.py burst failed"
		return
	fi
	check_share "$name" "$name" "$n" "$@"
}

# udp_stream_start VIP PORT OUT: numbered UDP at 2000/s for 3 s over 32
# flows from the client ns, in the background; its JSON goes to
# $WORK/OUT.json. Sets UDP_STREAM_PID.
udp_stream_start() {
	take_ports 32 || return 1
	ip netns exec "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" stream \
		--vip "$1" --port "$2" --rate 2000 --seconds 3 --flows 32 \
		--sport "$SPORT_AT" >"$WORK/$3.json" &
	UDP_STREAM_PID=$!
	PIDS+=("$UDP_STREAM_PID")
}

# udp_stream_case NAME OUT [POD]: waits for udp_stream_start's stream;
# none of it lost, every answer from the VIP (and some of it from pod POD,
# when given).
udp_stream_case() {
	local res
	wait "$UDP_STREAM_PID"
	res=$(cat "$WORK/$2.json" 2>/dev/null)
	if [ -z "$res" ]; then
		fail "$1" "client.py stream gave no result"
	elif "$PY" -c '
import json, sys
r, pod = json.loads(sys.argv[1]), sys.argv[2]
sys.exit(0 if r["sent"] >= 5900 and r["lost"] == 0 and r["send_errors"] == 0
         and r["bad_source"] == 0 and (not pod or r["pods"].get(pod, 0) > 0)
         else 1)' "$res" "${3:-}"; then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "$res"
	fi
}

# unreachable_case NAME VIP PORT: 20 connected UDP sockets of VIP's family
# send to VIP:PORT, where the endpoints listen on nothing; PASS when every
# one gets ECONNREFUSED (the pod's ICMP port unreachable, translated back
# to be about VIP:PORT) rather than a timeout.
unreachable_case() {
	local res
	if res=$(nsx "$NS_CLIENT" "$PY" - "$2" "$3" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
refused = 0
for i in range(20):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((sys.argv[1], int(sys.argv[2])))
    try:
        s.send(b"ping")
        s.recv(100)
    except ConnectionRefusedError:
        refused += 1
    except socket.timeout:
        pass
    s.close()
print(refused)
sys.exit(0 if refused == 20 else 1)
PY
	); then
		pass "$1"
	else
		fail "$1" "ECONNREFUSED on $res of 20 sockets"
	fi
}

# status_case NAME SVC VERSION=PCT...: "canary-bpf -j status" has the
# documented keys, these weights, n0, and packets on every weighted version.
status_case() {
	local name=$1 svc=$2 res v exp=()
	shift 2
	for v in "$@"; do exp+=(--expect "$v"); done
	if ! res=$(cb -j status 2>&1); then
		fail "$name" "canary-bpf -j status failed: ${res:0:200}"
	elif res=$(printf '%s\n' "$res" | "$PY" "$E2E_DIR/check.py" status \
		--svc "$svc" --iface n0 --mode "$STATUS_MODE" --traffic \
		"${exp[@]}"); then
		pass "$name"
	else
		fail "$name" "$res"
	fi
}

# counter_snap FILE: saves the current counters for counter_case.
counter_snap() { cb -j status >"$WORK/$1.json" 2>/dev/null; }

# counter_case NAME PYEXPR [SNAP]: "canary-bpf -j status" counters satisfy
# PYEXPR, a Python expression over the dict c (e.g. "c['redirected'] > 0");
# with SNAP, c holds the growth since "counter_snap SNAP".
counter_case() {
	local name=$1 expr=$2 snap=${3:+$WORK/$3.json} res
	if ! res=$(cb -j status 2>&1); then
		fail "$name" "canary-bpf -j status failed: ${res:0:200}"
		return
	fi
	if res=$(printf '%s\n' "$res" | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["counters"]
if sys.argv[2]:
    b = json.load(open(sys.argv[2]))["counters"]
    c = {k: c[k] - b.get(k, 0) for k in c}
ok = eval(sys.argv[1], {}, {"c": c})
print(json.dumps(c))
sys.exit(0 if ok else 1)' "$expr" "$snap"); then
		pass "$name"
	else
		fail "$name" "counters do not satisfy $expr: $res"
	fi
}

# Long-lived connections: `client.py hold` runs as the coproc HOLD.

# hold_start N: N keep-alive connections from the client namespace.
hold_start() {
	take_ports "$1" || return 1
	coproc HOLD {
		exec ip netns exec "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" hold \
			--vip "$VIP" --port "$VPORT" --count "$1" --sport "$SPORT_AT"
	}
	PIDS+=("$HOLD_PID")
}

# hold_cmd CMD OUT: sends CMD (none if empty) to the HOLD coproc and saves
# its one-line JSON answer (60 s at most) as $WORK/OUT.json.
hold_cmd() {
	local line
	[ -n "${HOLD[1]:-}" ] || return 1
	[ -z "$1" ] || echo "$1" >&"${HOLD[1]}" || return 1
	read -r -t 60 line <&"${HOLD[0]}" || return 1
	printf '%s\n' "$line" >"$WORK/$2.json"
}

# held_case NAME N: one PASS/FAIL line: every one of the N held
# connections still answers from the pod it first reached.
held_case() {
	local res
	if ! hold_cmd check "$1"; then
		fail "$1" "no answer from client.py hold"
	elif res=$("$PY" "$E2E_DIR/check.py" held --n "$2" <"$WORK/$1.json"); then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "$res"
	fi
}

# hold_quit: ends the HOLD coproc, if any.
hold_quit() { [ -z "${HOLD[1]:-}" ] || echo quit >&"${HOLD[1]}"; }
