#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Part 3 of the benchmarks: real traffic through veth in network namespaces,
# canary-bpf next to kube-proxy's iptables and nftables data planes set up
# by hand in the node namespace. Prints name=value lines; always exits 0.
#
#   bench/net.sh  (NET_SECS=2 NET_ROUNDS=5 NET_SIZES="1 5000"
#                  NET_WIRINGS="routed bridge nogro" NET_BRIDGE_ROUNDS=5
#                  NET_PLANES="default tuned tc iptables nftables" NET_TCP=1
#                  NET_SPLIT=1 NET_FIFO=1)
#
# NET_PLANES picks the data planes (canary-bpf as the README's commands
# attach it, tuned with --redirect-dev/--bridge, in tc mode; the two
# kube-proxy peers), NET_TCP=0 leaves out the TCP figures: both only to
# keep runs short while developing.
#
# NET_SPLIT=1 (the default) gives the generator and the data plane a core
# each: n0's NAPI runs in its own thread (threaded NAPI), pinned to CPU 0,
# the generator to CPU 1. Everything after n0 (the node's data plane, the
# hops into the pods) runs in that thread's softirq on CPU 0, as a NIC's
# receive runs on the core of its interrupt. NET_SPLIT=0 runs it all in
# the generator's own softirq on CPU 1, where the generator's cost (about
# half of the drop ceiling's) is part of every figure.
#
# NET_FIFO=1 (the default, with NET_SPLIT=1) runs n0's NAPI thread and
# the generator SCHED_FIFO on their cores: a NIC's softirq preempts any
# task on its core, and traffic from the network does not wait for this
# machine's other users. Without it, other users' processes took from
# half to three quarters of the data plane's core in loaded rounds (the
# thread's share is in every round's figures: *_napi_cpu_pct_rounds) and
# starved the generator below what canary-bpf takes (a drop ceiling of
# 0.55 Mpps instead of 2.1-2.5), so those rounds measured the machine's
# load. The kernel's RT throttling leaves others 5 % of each core; they
# get about that during the UDP rounds. A/A: NET_PLANES with "default2"
# measures the default attach a second time in every round.
#
# Topology: tests/e2e/lib.sh (client ns, node ns, 4 pods), under the prefix
# cbb$$-, set up once per pod wiring (see wiring): routed /32 veths, as
# Calico and Cilium wire pods, then a bridge cni0, as flannel does. Figures
# of the routed wiring are named net_*, those of the bridge net_bridge_*.
# Nothing is added to the root namespace but a private bpffs under /tmp;
# the EXIT trap removes everything.
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=../tests/e2e/lib.sh
. tests/e2e/lib.sh
PREFIX="cbb$$-"
NS_CLIENT=${PREFIX}cl
NS_NODE=${PREFIX}nd
BO=$PWD/.output/bench
# Rounds of 2 s: with NET_FIFO a round's figure hardly moves with its
# length (1 s rounds of one attach within about 5 %), while this
# machine's state changes over minutes (see docs/BENCH-NOTES.md): more
# rounds spread over more of the run, not longer ones, make the medians
# steadier.
SECS=${NET_SECS:-2}          # seconds per UDP/TCP round
ROUNDS=${NET_ROUNDS:-5}      # rounds per figure (median, min, max)
# Interleaved UDP rounds of the bridge wiring (issue 16's targets there);
# its other figures (ceiling, tc mode, TCP) and the nogro wiring's take
# SIDE_ROUNDS, to keep make bench short.
BRIDGE_ROUNDS=${NET_BRIDGE_ROUNDS:-5}
SIDE_ROUNDS=2
IROUNDS=$ROUNDS              # interleaved rounds of the current wiring
WIRINGS=${NET_WIRINGS:-"routed bridge nogro"}
SIZES=${NET_SIZES:-"1 5000"} # services (the measured TCP+UDP pair counts as 1)
PLANES=${NET_PLANES:-"default tuned tc iptables nftables"}
TCP=${NET_TCP:-1}
SPLIT=${NET_SPLIT:-1}
FIFO=${NET_FIFO:-1}          # see NET_FIFO above
GEN_PRIO=()                  # the generator's scheduling, see NET_FIFO
[ "$FIFO" = 1 ] && GEN_PRIO=(chrt -f 40)
NAPI_BEFORE=""               # napi/n0-* threads not ours, see napi_split
GEN_CPU=1                    # the generator's core
FLOWS=256                    # UDP flows (source ports) of the generator
LAT_RATE=1000                # new connections/s for the latency figure
PODX_SECS=${NET_PODX_SECS:-2} # seconds per round, pod-stack-excluded UDP
WRK_CONNS=32
BG=""                        # background XDP helper, see xdp_helper
PODX=()                      # XDP drop helpers in the pods, see pods_xdp
OUT=""
BASE=""                      # temp dir: OUT, and each wiring's WORK
NOGRO=""                     # set in the nogro wiring: pods without GRO
NP=net_                      # name prefix of the current wiring's figures

WIRING=""                    # the wiring being measured (routed, bridge, nogro)

note() { echo "# $WIRING: $*" >&2; }

net_down() {
	[ -n "$BG" ] && { kill "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; }
	pods_xdp_stop
	topo_down
	[ -n "$BASE" ] && rm -rf "$BASE"
	BASE=""
}

# stats NAME < numbers: NAME_median=, NAME_min=, NAME_max=. A "-" line
# (a round that failed, kept for the rounds' alignment) is left out.
stats() {
	grep -v '^-$' | sort -n | awk -v n="$1" '{ v[NR] = $1 }
		END { if (!NR) exit; m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%s_median=%.0f\n%s_min=%.0f\n%s_max=%.0f\n", n, m, n, v[1], n, v[NR] }'
}

pod_rx() {
	local i sum=0 n
	for i in "${!PODS[@]}"; do
		n=$(nsx "$(pod_ns "$i")" cat /sys/class/net/eth0/statistics/rx_packets)
		sum=$((sum + n))
	done
	echo "$sum"
}

# softirq_ticks: the machine's softirq time (/proc/stat ticks); with
# SPLIT=1 the data plane's core's busy time instead (n0's NAPI thread
# counts as system time, not softirq).
softirq_ticks() {
	if [ "$SPLIT" = 1 ]; then
		awk '/^cpu0 / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
	else
		awk '/^cpu / { print $8 }' /proc/stat
	fi
}

# gen_method GEN_OUTPUT: the generator's method= line, printed as
# ${NP}gen_method= the first time (and a note if it changes later).
GEN_METHOD_SEEN=""
gen_method() {
	local m
	m=$(sed -n 's/^method=//p' <<<"$1")
	[ "$m" = "$GEN_METHOD_SEEN" ] && return
	[ -z "$GEN_METHOD_SEEN" ] && echo "${NP}gen_method=$m" || note "generator now uses $m"
	GEN_METHOD_SEEN=$m
}

# udp_point NAME: ROUNDS x SECS of generated UDP to VIP:5000/udp.
udp_point() {
	udp_reset "$1"
	udp_rounds "$1" "$ROUNDS" || return 1
	udp_stats "$1"
}

# A UDP figure's files, $WORK/udp.NAME and these: softirq, offered load,
# data-plane CPU share, load average, one line per round each.
UDP_EXT=(.si .sent .dpcpu .load)

udp_reset() { local e; for e in "" "${UDP_EXT[@]}"; do : >"$WORK/udp.$1$e"; done; }

# napi_ns: the CPU time (ns) n0's NAPI thread and ksoftirqd/0 have run,
# from schedstat (with SPLIT=1; 0 without one): the data plane's time on
# CPU 0. Softirq work the thread triggers (the pods' veth NAPI after a
# redirect) runs at its local_bh_enable(), in its own context, and counts
# as its time; what the kernel defers from there runs in ksoftirqd/0.
napi_ns() {
	local t sum=0 ns
	[ "$SPLIT" = 1 ] || { echo 0; return; }
	for t in $(pgrep '^napi/n0-') $(pgrep -x 'ksoftirqd/0'); do
		[[ "$NAPI_BEFORE" == *" $t "* ]] && continue
		read -r ns _ <"/proc/$t/schedstat" 2>/dev/null || continue
		sum=$((sum + ns))
	done
	echo "$sum"
}

# udp_rounds NAME K: K more rounds of udp_point NAME, kept for udp_stats.
udp_rounds() {
	local name=$1 rx0 rx1 si0 si1 t0 t1 res secs f=$WORK/udp.$1 hz ns0 ns1
	hz=$(getconf CLK_TCK)
	for _ in $(seq "$2"); do
		rx0=$(pod_rx)
		napi_pin
		t0=$(date +%s.%N)
		si0=$(softirq_ticks)
		ns0=$(napi_ns)
		res=$(nsx "$NS_CLIENT" taskset -c "$GEN_CPU" "${GEN_PRIO[@]}" "$BO/gen" udp c0 "$N0_MAC" 10.0.0.2 "$VIP" \
			"$VPORT" "$FLOWS" "$SECS" 2>&1) || {
			note "$res"; note "$name: generator failed"
			skip_round "$name"
			return 1
		}
		ns1=$(napi_ns)
		si1=$(softirq_ticks)
		t1=$(date +%s.%N)
		sleep 0.2
		rx1=$(pod_rx)
		secs=$(sed -n 's/^seconds=//p' <<<"$res")
		gen_method "$res"
		echo "$res" | sed -n 's/^sent_pps=//p' >>"$f.sent"
		awk -v d=$((rx1 - rx0)) -v s="$secs" 'BEGIN { printf "%.0f\n", d / s }' >>"$f"
		# the share of the round's wall time the data plane ran on CPU 0
		# (the rest went to other tasks, or it idled)
		awk -v d=$((ns1 - ns0)) -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.0f\n", d / 1e7 / (b - a) }' >>"$f.dpcpu"
		cut -d' ' -f1 /proc/loadavg >>"$f.load"
		# over the ticks' own window (the generator's start and end too)
		awk -v d=$((si1 - si0)) -v a="$t0" -v b="$t1" -v hz="$hz" \
			-v n="$([ "$SPLIT" = 1 ] && echo 1 || nproc)" \
			'BEGIN { printf "%.0f\n", 100 * d / hz / (b - a) / n }' >>"$f.si"
	done
}

udp_stats() {
	local f=$WORK/udp.$1
	stats "${NP}${1}_udp_pps" <"$f"
	# every round's figure in order ("-": a failed round), for the report
	echo "${NP}${1}_udp_pps_rounds=$(paste -sd, "$f")"
	echo "${NP}${1}_udp_sent_pps_rounds=$(paste -sd, "$f.sent")"
	stats "${NP}${1}_udp_sent_pps" <"$f.sent"
	echo "${NP}${1}_napi_cpu_pct_rounds=$(paste -sd, "$f.dpcpu")"
	# rounds whose data plane idled a quarter of the time or more: the
	# generator, not the path, set their figure
	echo "${NP}${1}_unsaturated_rounds=$(awk '$1 != "-" && $1 < 75' "$f.dpcpu" | wc -l)"
	echo "${NP}${1}_load_rounds=$(paste -sd, "$f.load")"
	# with SPLIT=1 the data plane's core's busy time, see softirq_ticks
	stats "${NP}${1}_$([ "$SPLIT" = 1 ] && echo dp_core || echo softirq)_pct" <"$f.si"
}

# napi_split: with SPLIT=1, threaded NAPI on n0 (the node ns's sysfs:
# there is no rtnetlink attribute for it); the thread is pinned by
# napi_pin. Prints ${NP}cpu_split=1, or 0 where the kernel refuses it.
napi_split() {
	NAPI_BEFORE=" $(pgrep -d ' ' '^napi/n0-') "
	if [ "$SPLIT" = 1 ] && nsx "$NS_NODE" sh -c 'echo 1 > /sys/class/net/n0/threaded' 2>/dev/null; then
		napi_pin
		echo "${NP}cpu_split=1"
		return
	fi
	[ "$SPLIT" = 1 ] && note "threaded NAPI refused on n0: generator and data plane share CPU 1"
	SPLIT=0
	GEN_PRIO=()
	echo "${NP}cpu_split=0"
}

# napi_pin: n0's NAPI thread (one made after napi_split started, named
# napi/n0-ID) on CPU 0, SCHED_FIFO with NET_FIFO=1; again before each
# round, since an XDP attach may make a new one.
napi_pin() {
	local t
	[ "$SPLIT" = 1 ] || return 0
	for t in $(pgrep '^napi/n0-'); do
		[[ "$NAPI_BEFORE" == *" $t "* ]] && continue
		taskset -pc 0 "$t" >/dev/null 2>&1
		[ "$FIFO" = 1 ] && chrt -f -p 50 "$t" >/dev/null 2>&1
	done
}

# ceiling_point: ROUNDS x SECS of generated UDP counted and dropped by XDP
# on n0 (the drop program's own count: nothing reaches the pods).
ceiling_point() {
	local res secs f=$WORK/udp.ceiling
	: >"$f"
	: >"$f.sent"
	for _ in $(seq "$ROUNDS"); do
		xdp_helper drop || return 1
		napi_pin
		res=$(nsx "$NS_CLIENT" taskset -c "$GEN_CPU" "${GEN_PRIO[@]}" "$BO/gen" udp c0 "$N0_MAC" 10.0.0.2 "$VIP" \
			"$VPORT" "$FLOWS" "$SECS" 2>&1) || { note "$res"; xdp_helper_stop; return 1; }
		xdp_helper_stop
		secs=$(sed -n 's/^seconds=//p' <<<"$res")
		gen_method "$res"
		sed -n 's/^sent_pps=//p' <<<"$res" >>"$f.sent"
		sed -n 's/^counted=//p' "$WORK/xdp.out" |
			awk -v s="$secs" '{ printf "%.0f\n", $1 / s }' >>"$f"
	done
	stats "${NP}ceiling_udp_pps" <"$f"
	stats "${NP}ceiling_udp_sent_pps" <"$f.sent"
}

# fresh_tcp: no state left from the previous round: the node's conntrack
# table and the pods' TIME_WAIT sockets (which a reused, or SNAT-chosen,
# source port would otherwise run into).
fresh_tcp() {
	local i
	sys_nofail nsx "$NS_NODE" conntrack -F
	for i in "${!PODS[@]}"; do
		sys_nofail nsx "$(pod_ns "$i")" ss -K -tan state time-wait
	done
}

syn_retrans() { nsx "$NS_CLIENT" nstat -asz TcpExtTCPSynRetrans | awk '$1 == "TcpExtTCPSynRetrans" { print $2 }'; }

# tcp_point NAME: wrk (Connection: close) rounds, then connlat at LAT_RATE.
tcp_point() {
	local name=$1 f=$WORK/tcp.$1 res s0 p alive=0
	: >"$f"
	: >"$f.err"
	# A pod server that exited would make every later TCP figure 0.
	for p in "${HTTPD_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	echo "${NP}${name}_httpd_alive=$alive/${#HTTPD_PIDS[@]}"
	s0=$(syn_retrans)
	for _ in $(seq "$ROUNDS"); do
		fresh_tcp
		res=$(nsx "$NS_CLIENT" timeout $((SECS + 10)) wrk -t2 -c"$WRK_CONNS" -d"${SECS}s" \
			-H 'Connection: close' "http://$VIP:$VPORT/" 2>&1)
		awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' <<<"$res" >>"$f"
		awk '/Socket errors|Non-2xx/ { print }' <<<"$res" >>"$f.err"
	done
	stats "${NP}${name}_conn_per_s" <"$f"
	echo "${NP}${name}_wrk_errors=$(grep -c . "$f.err")"
	echo "${NP}${name}_wrk_syn_retrans=$(($(syn_retrans) - s0))"
	fresh_tcp
	s0=$(syn_retrans)
	res=$(nsx "$NS_CLIENT" timeout $((SECS + 10)) "$BO/connlat" "$VIP" "$VPORT" "$LAT_RATE" "$SECS")
	sed -n "s/^\(conns\|errors\|p50_us\|p99_us\)=/${NP}${name}_lat_\1=/p" <<<"$res"
	echo "${NP}${name}_lat_syn_retrans=$(($(syn_retrans) - s0))"
	# Who the pods saw as the client: kube-proxy masquerades, canary-bpf not.
	echo "${NP}${name}_client_addr_at_pod=$(nsx "$(pod_ns 0)" ss -Htan state time-wait |
		awk '{ sub(/:[0-9]+$/, "", $4); print $4; exit }')"
}

# xdp_helper noop|drop: attaches gen's noop or count_drop to n0 in the
# background (bounded to 10 minutes), waits until it is attached.
xdp_helper() {
	local n
	ip netns exec "$NS_NODE" "$BO/gen" xdp n0 "$1" 600 >"$WORK/xdp.out" 2>&1 &
	BG=$!
	for n in $(seq 50); do
		grep -qs '^attached=1' "$WORK/xdp.out" && return 0
		sleep 0.1
	done
	note "XDP helper did not attach: $(cat "$WORK/xdp.out")"
	return 1
}

xdp_helper_stop() {
	[ -n "$BG" ] || return 0
	kill "$BG" 2>/dev/null
	wait "$BG" 2>/dev/null
	BG=""
}

# pods_xdp: count_drop on every pod's eth0, so a delivered packet costs
# the pod nothing more (its stack is left out of the figure). Pods without
# GRO get it on tc ingress: an XDP program would give them NAPI.
pods_xdp() {
	local i n
	for i in "${!PODS[@]}"; do
		ip netns exec "$(pod_ns "$i")" "$BO/gen" "$([ -n "$NOGRO" ] && echo tc || echo xdp)" \
			eth0 drop 600 >"$WORK/podx.$i" 2>&1 &
		PODX+=("$!")
	done
	for n in $(seq 50); do
		[ "$(cat "$WORK"/podx.* 2>/dev/null | grep -c '^attached=1')" -eq "${#PODS[@]}" ] && return 0
		sleep 0.1
	done
	note "pod XDP helpers did not attach"
	pods_xdp_stop
	return 1
}

pods_xdp_stop() {
	local pid
	for pid in "${PODX[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PODX[@]}"; do wait "$pid" 2>/dev/null; done
	PODX=()
}

# counters: canary-bpf's global counters (translated, redirected,
# fib_fallback, passed). Asked through one service's status: the full
# status of 5,000 services takes about a second to print and parse.
counters() { cb -j status prod-service-udp 2>/dev/null | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["translated"], c["redirected"], c["fib_fallback"], c["passed"])'; }

# canary_name PLANE N: the figures' name of canary-bpf's PLANE with N
# services: default (the README's "attach n0", nothing else), tuned
# (native XDP with --redirect-dev per pod veth, and --bridge cni0 on the
# bridge), tc (--mode tc, tuned the same).
canary_name() {
	case $1 in
	default) echo "canary_default_$2" ;;
	default2) echo "canary_defaultaa_$2" ;;
	tuned) echo "canary_xdp_$2" ;;
	tc) echo "canary_tc_$2" ;;
	esac
}

# canary_attach PLANE: "attach" as canary_name PLANE says.
canary_attach() {
	local args
	case $1 in
	default | default2) args=(n0) ;;
	*) mapfile -t args < <(attach_args "$([ "$1" = tc ] && echo tc || echo native)") ;;
	esac
	cb attach "${args[@]}" >/dev/null
}

# canary_path NAME: the path figures of canary-bpf's rounds NAME, from
# the counters taken around each of its UDP rounds ($WORK/ctr.NAME).
canary_path() {
	awk -v n="$NP$1" '{ t += $5 - $1; r += $6 - $2; f += $7 - $3 }
		END { printf "%s_udp_translated=%d\n%s_udp_redirected=%d\n%s_udp_fib_fallback=%d\n", n, t, n, r, n, f
		      printf "%s_path=%s\n", n, (t > 0 && r >= 0.99 * t) ? "XDP_REDIRECT" : (r > 0 ? "mixed" : "kernel") }' \
		"$WORK/ctr.$1"
}

# canary_alone PLANE N: what of canary-bpf's PLANE is measured before any
# kube-proxy rule is loaded (their conntrack would then be in the kernel's
# path): tc mode's UDP rounds (it leaves packets to the kernel's
# forwarding; no target compares it), and the TCP figures (the pods'
# replies take the kernel's path on every data plane).
canary_alone() {
	local plane=$1 n=$2 name a b
	name=$(canary_name "$plane" "$n")
	[ "$plane" = tc ] || [ "$TCP" = 1 ] || return 0
	canary_attach "$plane" || { note "$name: attach failed"; return 1; }
	if [ "$plane" = tc ]; then
		: >"$WORK/ctr.$name"
		a=$(counters)
		udp_point "$name"
		b=$(counters)
		echo "$a $b" >>"$WORK/ctr.$name"
		canary_path "$name"
	fi
	[ "$TCP" = 1 ] && tcp_point "$name"
	cb detach n0 >/dev/null
}

# peer_rules N: kube-proxy's rules for N services in both modes, loaded
# side by side and left dormant (nft's table flag: no hook runs them);
# peer_on makes one mode's tables live, a switch of milliseconds, so that
# the data planes' rounds can interleave.
peer_rules() {
	local n=$1 kind t0 t1
	for kind in iptables nftables; do
		"$PY" bench/kube_rules.py "$kind" $((n > 1 ? n - 1 : 0)) "${EPS[@]}" >"$WORK/rules"
		t0=$(date +%s.%N)
		if [ "$kind" = iptables ]; then
			nsx "$NS_NODE" iptables-restore <"$WORK/rules" || { note "iptables-restore failed"; return 1; }
		else
			nsx "$NS_NODE" nft -f "$WORK/rules" || { note "nft -f failed"; return 1; }
		fi
		t1=$(date +%s.%N)
		echo "${NP}${kind}_${n}_load_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')"
		echo "${NP}${kind}_${n}_path=kernel"
	done
	peer_on none
}

# peer_on iptables|nftables|none: that mode's tables live, the other's
# dormant (iptables-nft's are the nft tables ip nat and ip filter).
peer_on() {
	local ipt=" flags dormant;" nft=" flags dormant;"
	[ "$1" = iptables ] && ipt=""
	[ "$1" = nftables ] && nft=""
	printf 'add table ip nat {%s }\nadd table ip filter {%s }\nadd table ip kube-proxy {%s }\n' \
		"$ipt" "$ipt" "$nft" | nsx "$NS_NODE" nft -f - || { note "nft: could not switch to $1"; return 1; }
}

# is_canary PLANE: whether PLANE of the rounds is canary-bpf's (XDP).
is_canary() { [[ $1 == default || $1 == default2 || $1 == tuned ]]; }

# plane_name PLANE N: the figures' name of any data plane of the rounds.
plane_name() {
	case $1 in
	default | default2 | tuned | tc) canary_name "$1" "$2" ;;
	*) echo "${1%_xdpnoop}$([[ $1 == *_xdpnoop ]] && echo _xdpnoop)_$2" ;;
	esac
}

# plane_on PLANE / plane_off PLANE: PLANE becomes / stops being the
# node's data plane (canary-bpf attached, or a kube-proxy mode's tables
# live, with the do-nothing XDP program on n0 for *_xdpnoop).
plane_on() {
	case $1 in
	default | default2 | tuned) canary_attach "$1" ;;
	*_xdpnoop) peer_on "${1%_xdpnoop}" && xdp_helper noop ;;
	*) peer_on "$1" ;;
	esac
}

plane_off() {
	case $1 in
	default | default2 | tuned) cb detach n0 >/dev/null ;;
	*_xdpnoop) xdp_helper_stop; peer_on none ;;
	*) peer_on none ;;
	esac
}

# round_planes: the data planes of the interleaved rounds, in order.
round_planes() {
	local plane
	for plane in default tuned default2 iptables iptables_xdpnoop nftables nftables_xdpnoop; do
		has_plane "${plane%_xdpnoop}" && echo "$plane"
	done
}

# rounds N: the UDP figures of every data plane but tc mode, with N
# services, their rounds interleaved: round 1 of every plane (its
# pods'-stacks round, then its pod-stack-excluded round), then round 2,
# and so on, so that a drift of this shared machine lands on all of
# them alike. Even rounds visit the planes in reverse order (default
# right after tuned, the peers before them), so that a steady drift
# within a round favours no plane over the rounds; every second visit
# takes its pod-stack-excluded round first, so that default's and
# tuned's (the within-10 % target's pair) run back to back. The
# targets' ratios are the median of the rounds' own ratios
# (round_ratios).
rounds() {
	local n=$1 plane name r planes i
	mapfile -t planes < <(round_planes)
	for plane in "${planes[@]}"; do
		name=$(plane_name "$plane" "$n")
		udp_reset "$name"
		udp_reset "${name}_podxdp"
		: >"$WORK/ctr.$name"
		: >"$WORK/ctr.${name}_podxdp"
	done
	for r in $(seq "$IROUNDS"); do
		mapfile -t planes < <(round_planes | if [ $((r % 2)) = 0 ]; then tac; else cat; fi)
		for i in "${!planes[@]}"; do
			visit "${planes[$i]}" "$(plane_name "${planes[$i]}" "$n")" "$r" \
				"$([ $((i % 2)) = 1 ] && echo podx || echo stack)"
		done
	done
	mapfile -t planes < <(round_planes)
	for plane in "${planes[@]}"; do
		name=$(plane_name "$plane" "$n")
		udp_stats "$name"
		udp_stats "${name}_podxdp"
		if is_canary "$plane"; then
			canary_path "$name"
			canary_path "${name}_podxdp"
		fi
	done
	round_ratios "$n"
}

# visit PLANE NAME R FIRST: round R of PLANE (figures named NAME): a UDP
# round with the pods' stacks and one with them left aside, in the order
# FIRST says (stack or podx), canary-bpf's counters around each (the
# path they took).
visit() {
	local plane=$1 name=$2 col
	if ! plane_on "$plane"; then
		note "$name: round $3: could not set it up"
		plane_off "$plane"
		skip_round "$name"
		skip_round "${name}_podxdp"
		return
	fi
	for col in $([ "$4" = podx ] && echo "podx stack" || echo "stack podx"); do
		if [ "$col" = stack ]; then
			counted_round "$plane" "$name" "$SECS"
		elif pods_xdp; then
			counted_round "$plane" "${name}_podxdp" "$PODX_SECS"
			pods_xdp_stop
		else
			skip_round "${name}_podxdp"
		fi
	done
	plane_off "$plane"
}

# skip_round NAME: a failed round of NAME, kept for the rounds' alignment.
skip_round() {
	local e
	for e in "" "${UDP_EXT[@]}"; do echo - >>"$WORK/udp.$1$e"; done
}

# counted_round PLANE NAME SECS: one UDP round NAME, with canary-bpf's
# counters around it (not for the peers: nothing of ours runs then).
counted_round() {
	local a
	is_canary "$1" || { SECS=$3 udp_rounds "$2" 1; return; }
	a=$(counters)
	SECS=$3 udp_rounds "$2" 1
	echo "$a $(counters)" >>"$WORK/ctr.$2"
}

# round_ratio NAME NUM DEN...: NAME= the median over the rounds of the
# round's NUM figure over the best of its DEN figures (files of one line
# per round; a round where NUM or every DEN failed is left out).
round_ratio() {
	local name=$1 num=$2
	shift 2
	[ -s "$num" ] && [ "$#" -gt 0 ] || return 0
	paste "$num" "$@" | awk '{
		b = 0; for (i = 2; i <= NF; i++) if ($i != "-" && $i > b) b = $i
		if ($1 != "-" && $1 > 0 && b > 0) printf "%.6f\n", $1 / b }' >"$WORK/ratio"
	# every round's ratio in round order, then their median
	awk -v n="$name" '{ printf "%s%.2f", (NR > 1 ? "," : n "_rounds="), $1 } END { if (NR) print "" }' "$WORK/ratio"
	sort -g "$WORK/ratio" | awk -v n="$name" '{ r[NR] = $1 }
		END { if (!NR) exit; m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
		      printf "%s=%.2f\n", n, m }'
}

# round_ratios N: canary-bpf (default, tuned) over the better peer (the
# best of the four kube-proxy rows in the same round), and default over
# tuned, for both UDP columns, each the median of the rounds' ratios.
round_ratios() {
	local n=$1 col c peers=() k
	for k in iptables iptables_xdpnoop nftables nftables_xdpnoop; do
		has_plane "${k%_xdpnoop}" && peers+=("$k")
	done
	for col in "" _podxdp; do
		local files=()
		for k in "${peers[@]}"; do files+=("$WORK/udp.${k}_$n$col"); done
		for c in default xdp; do
			[ -s "$WORK/udp.canary_${c}_$n$col" ] || continue
			round_ratio "${NP}canary_${c}_${n}${col}_over_best_peer" "$WORK/udp.canary_${c}_$n$col" "${files[@]}"
		done
		[ -s "$WORK/udp.canary_xdp_$n$col" ] &&
			round_ratio "${NP}canary_default_${n}${col}_over_tuned" "$WORK/udp.canary_default_$n$col" \
				"$WORK/udp.canary_xdp_$n$col"
		# an A/A pair (NET_PLANES with default2): the method's own spread
		[ -s "$WORK/udp.canary_defaultaa_$n$col" ] &&
			round_ratio "${NP}canary_default_${n}${col}_over_default2" "$WORK/udp.canary_default_$n$col" \
				"$WORK/udp.canary_defaultaa_$n$col"
	done
}

# peer_tcp N: the TCP figures of the kube-proxy modes with N services
# (their rules loaded by peer_rules), plain and, with TCP_NOOP=1, with
# the no-op XDP on n0.
peer_tcp() {
	local n=$1 kind
	[ "$TCP" = 1 ] || return 0
	for kind in iptables nftables; do
		has_plane "$kind" || continue
		note "kube-proxy $kind, $n services: TCP"
		peer_on "$kind" || continue
		tcp_point "${kind}_$n"
		if [ "$TCP_NOOP" = 1 ] && xdp_helper noop; then
			tcp_point "${kind}_xdpnoop_$n"
			xdp_helper_stop
		fi
	done
	peer_on none
}

# targets FILE WIRING: the issue's part-3 targets, from the current
# wiring's figures in FILE. Issue 16's (canary-bpf as the README's
# commands attach it, pods' stacks aside, >= 3x the better peer and
# within 10 % of tuned) are judged on its two wirings, routed and bridge
# (target_default_*); nogro is not one of them, its figure against 3x is
# for information (info_default_*). The older targets are judged on the
# tuned figures, on the routed wiring only.
targets() {
	awk -F= -v p="$NP" -v w="$2" -v judge="$([ "$NP" = net_ ] && echo 1)" \
		-v kind="$([ "$2" = nogro ] && echo info || echo target)" '{ v[$1] = $2 }
	function best(k, n,   b, x, i, kinds) {
		split("iptables iptables_xdpnoop nftables nftables_xdpnoop", kinds, " ")
		b = 0
		for (i = 1; i <= 4; i++) { x = v[p kinds[i] "_" n "_" k "_median"]; if (x > b) b = x }
		return b
	}
	function mark(ok) { return ok ? "met" : "MISSED" }
	function target(name, ok) { if (judge) printf "target_%s=%s\n", name, mark(ok) }
	# the median of the per-round ratios where the rounds interleaved
	# (round_ratios), else the quotient of the medians
	function ratio(name, c, b) {
		if ((p name) in v) return v[p name]
		if (b > 0 && c > 0) printf "%s%s=%.2f\n", p, name, c / b
		return b > 0 && c > 0 ? c / b : 0
	}
	function issue16(s,   c, b, t, r) {
		c = v[p "canary_default_" s "_podxdp_udp_pps_median"]
		b = best("podxdp_udp_pps", s)
		t = v[p "canary_xdp_" s "_podxdp_udp_pps_median"]
		if (c == "") return
		r = ratio("canary_default_" s "_podxdp_over_best_peer", c, b)
		if (b > 0) printf "%s_default_3x_peer_%s_%d=%s\n", kind, w, s,
			kind == "info" ? (r >= 3 ? "reached" : "not reached") : mark(r >= 3)
		r = ratio("canary_default_" s "_podxdp_over_tuned", c, t)
		if (t > 0) printf "%s_default_within_10pct_%s_%d=%s\n", kind, w, s, mark(r >= 0.9)
		ratio("canary_default_" s "_over_best_peer", v[p "canary_default_" s "_udp_pps_median"], best("udp_pps", s))
		ratio("canary_default_" s "_over_tuned", v[p "canary_default_" s "_udp_pps_median"], v[p "canary_xdp_" s "_udp_pps_median"])
	}
	END {
		ceil = v[p "ceiling_udp_pps_median"]
		c1 = v[p "canary_xdp_1_udp_pps_median"]; c5 = v[p "canary_xdp_5000_udp_pps_median"]
		for (s = 1; s <= 5000; s += 4999) {
			issue16(s)
			c = v[p "canary_xdp_" s "_udp_pps_median"]; b = best("udp_pps", s)
			if (c == "") continue
			printf "%sbest_peer_%d_udp_pps=%.0f\n", p, s, b
			r = ratio("canary_xdp_" s "_over_best_peer", c, b)
			target("udp_3x_peer_" s, r >= 3)
			if (ceil > 0) printf "%scanary_xdp_%d_of_ceiling_pct=%.1f\n", p, s, 100 * c / ceil
			if (ceil > 0) target("udp_40pct_ceiling_" s, c >= 0.4 * ceil)
			c = v[p "canary_xdp_" s "_podxdp_udp_pps_median"]; b = best("podxdp_udp_pps", s)
			printf "%sbest_peer_%d_podxdp_udp_pps=%.0f\n", p, s, b
			ratio("canary_xdp_" s "_podxdp_over_best_peer", c, b)
			if (ceil > 0) printf "%scanary_xdp_%d_podxdp_of_ceiling_pct=%.1f\n", p, s, 100 * c / ceil
			b = best("conn_per_s", s); c = v[p "canary_xdp_" s "_conn_per_s_median"]
			printf "%sbest_peer_%d_conn_per_s=%.0f\n", p, s, b
			if (b > 0) printf "%scanary_xdp_%d_conn_over_best_peer=%.2f\n", p, s, c / b
		}
		b = best("conn_per_s", 5000); c = v[p "canary_xdp_5000_conn_per_s_median"]
		if (c != "") target("conn_1.2x_peer_5000", b > 0 && c >= 1.2 * b)
		if (c1 > 0 && c5 != "") printf "%scanary_xdp_5000_over_1=%.3f\n", p, c5 / c1
		if (c1 > 0 && c5 != "") target("udp_5000_within_10pct", c5 >= 0.9 * c1 && c5 <= 1.1 * c1)
	}' "$1"
}

run() {
	local n i plane
	EPS=()
	for i in "${!POD_IPS[@]}"; do EPS+=("${POD_IPS[$i]}:5050"); done
	N0_MAC=$(nsx "$NS_NODE" cat /sys/class/net/n0/address)
	# veth accepts XDP_TX'd frames from c0 only with NAPI on n0: GRO on.
	sys nsx "$NS_NODE" ethtool -K n0 gro on || return 1
	napi_split
	HTTPD_PIDS=()
	for i in "${!PODS[@]}"; do
		ip netns exec "$(pod_ns "$i")" "$BO/httpd" 5050 2 1800 >/dev/null 2>&1 &
		PIDS+=("$!")
		HTTPD_PIDS+=("$!")
	done
	sleep 0.5
	echo "${NP}secs_per_round=$SECS"
	echo "${NP}rounds=$ROUNDS"
	echo "${NP}interleaved_rounds=$IROUNDS"
	echo "${NP}udp_flows=$FLOWS"
	echo "${NP}lat_rate=$LAT_RATE"
	echo "${NP}wrk_conns=$WRK_CONNS"
	echo "${NP}sizes=$SIZES"
	echo "${NP}podx_secs_per_round=$PODX_SECS"
	echo "${NP}planes=$PLANES"
	echo "${NP}tcp=$TCP"
	echo "${NP}tcp_xdpnoop=$TCP_NOOP"
	echo "${NP}fifo=$([ "$SPLIT" = 1 ] && echo "$FIFO" || echo 0)"

	echo "${NP}interleaved=1"

	note "ceiling: count and drop on n0"
	ceiling_point
	for n in $SIZES; do
		"$PY" bench/kube_rules.py yaml $((n > 1 ? n - 1 : 0)) "${EPS[@]}" >"$WORK/cfg.yaml"
		cb apply -f "$WORK/cfg.yaml" >/dev/null || { note "apply of $n services failed"; continue; }
		for plane in default tuned tc; do
			has_plane "$plane" || continue
			note "canary-bpf, $n services: $plane, alone"
			canary_alone "$plane" "$n"
		done
		if has_plane iptables || has_plane nftables; then
			peer_rules "$n" || { nsx "$NS_NODE" nft flush ruleset; continue; }
			# the kernel's deferred work of a 5,000-service load (freeing
			# the old rules, RCU) done before the first round
			sleep 1
		fi
		note "$n services: $(round_planes | tr '\n' ' ')in interleaved rounds"
		rounds "$n"
		peer_tcp "$n"
		nsx "$NS_NODE" nft flush ruleset
	done
}

has_plane() { [[ " $PLANES " == *" $1 "* ]]; }

# pods_gro_off: GRO off on every pod's eth0 (the nogro wiring).
pods_gro_off() {
	local i
	for i in "${!PODS[@]}"; do
		sys nsx "$(pod_ns "$i")" ethtool -K eth0 gro off
	done
}

# wiring routed|bridge|nogro: the topology with that pod wiring (lib.sh's
# POD_WIRING), every figure, its targets, the topology torn down again.
# Figures go to stdout, named ${NP}*.
wiring() {
	local t0=$SECONDS ROUNDS=$ROUNDS f
	local IROUNDS=$ROUNDS
	local PLANES=$PLANES TCP=$TCP TCP_NOOP=1
	NOGRO=""
	case $1 in
	routed) NP=net_ ;;
	# Issue 16's targets need its interleaved rounds; the figures no target
	# asks on the bridge are left out to pay for them: tc mode (it takes
	# the kernel's path, as on routed) and the peers' TCP with no-op XDP.
	bridge) NP=net_bridge_ ROUNDS=$SIDE_ROUNDS IROUNDS=$BRIDGE_ROUNDS TCP_NOOP=0
		PLANES=$(sed 's/\btc\b//' <<<"$PLANES") ;;
	# Routed pods as veth leaves them: no GRO, so no NAPI on their eth0,
	# which then takes no XDP frames (tuned's --redirect-dev would be
	# dropped there; tc mode is routed's). UDP only.
	nogro) NP=net_nogro_ NOGRO=1 TCP=0 ROUNDS=$SIDE_ROUNDS IROUNDS=$SIDE_ROUNDS
		PLANES=$(sed 's/\btuned\b//; s/\btc\b//' <<<"$PLANES") ;;
	*) echo "net_error=unknown wiring $1"; return ;;
	esac
	WIRING=$1
	POD_WIRING=$1
	# read by lib.sh's topo_up and attach_args: nogro's topology is routed
	# shellcheck disable=SC2034
	[ -z "$NOGRO" ] || POD_WIRING=routed
	WORK=$BASE/$1
	f=$BASE/out.$1
	mkdir "$WORK" || return
	if ! topo_up; then
		echo "${NP}error=topology setup failed"
		topo_down
		return
	fi
	[ "$1" = bridge ] &&
		echo "${NP}nf_call_iptables=$(nsx "$NS_NODE" cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)"
	[ -n "$NOGRO" ] && pods_gro_off
	# Not in a pipeline: run must add to PIDS in this shell for the trap.
	GEN_METHOD_SEEN=""
	run >"$f"
	cat "$f"
	targets "$f" "$1"
	topo_down
	echo "${NP}seconds=$((SECONDS - t0))"
}

main() {
	[ "$(id -u)" -eq 0 ] || { echo "net_error=must run as root"; return; }
	local tool w
	for tool in ip ss nstat ethtool iptables-restore nft wrk conntrack taskset "$BO/gen" "$BO/httpd" "$BO/connlat"; do
		command -v "$tool" >/dev/null || { echo "net_error=missing $tool"; return; }
	done
	[ -x "$CANARY_BIN" ] || { echo "net_error=no $CANARY_BIN"; return; }
	trap net_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	BASE=$(mktemp -d "/tmp/cbb$$-net-XXXXXX") || return
	OUT=$BASE/out
	echo "net_wirings=$WIRINGS" >"$OUT"
	for w in $WIRINGS; do
		wiring "$w" >>"$OUT"
	done
	cat "$OUT"
}

main
exit 0
