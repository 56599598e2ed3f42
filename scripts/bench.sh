#!/usr/bin/env bash
# make bench: runs the benchmarks and rewrites BENCHMARKS.md from what they
# printed. Never part of `make test`; exits 0 even when a target is missed
# (the report says which).
#
#   1-2. .output/bench/bench: per-packet cost with BPF_PROG_TEST_RUN
#   3.   bench/net.sh: real traffic in network namespaces, canary-bpf next
#        to kube-proxy's iptables and nftables data planes, pods routed and
#        on a bridge, routed pods without GRO (NET_SECS, NET_ROUNDS,
#        NET_SIZES, NET_WIRINGS, NET_SPLIT, NET_FIFO,
#        NET_BRIDGE_ROUNDS; BENCH_SKIP_NET=1 skips it)
#   4.   bench/ctl.sh: control plane (set-weight, apply, split accuracy),
#        then bench/scale.sh: the same at 1 to 10,000 services and the
#        agent at 1 to 3,000 TrafficSplits (about 5 minutes;
#        BENCH_SKIP_SCALE=1 skips it, SCALE_SIZES, SCALE_AGENT_SIZES)
#   5.   scripts/demo.sh: the seed rollout, measured v2 share per step
#        (BENCH_SKIP_DEMO=1 skips it)
set -u
cd "$(dirname "$0")/.." || exit 1

out=.output/bench-results.txt
mkdir -p .output docs

# Packages only the benchmarks need (the peers, wrk, plots), when missing.
bench_deps() {
	local p missing=()
	for p in iptables nftables conntrack wrk gnuplot-nox time; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || { echo "bench: missing ${missing[*]}" >&2; return 0; }
	echo "bench: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >/dev/null 2>&1; } ||
		echo "bench: could not install ${missing[*]}" >&2
}

# demo_rollout: scripts/demo.sh's steps as demo_step_N=TARGET,MEASURED,
# CONNECTIONS,ERRORS lines (v2 percentages).
demo_rollout() {
	local f=.output/bench-demo.dat step target measured total errors
	rm -f "$f"
	if ! DEMO_RESULTS=$PWD/$f scripts/demo.sh >/dev/null 2>&1 || ! [ -s "$f" ]; then
		echo "demo_error=scripts/demo.sh failed"
		return
	fi
	while read -r step target measured total errors; do
		echo "demo_step_$step=$target,$measured,$total,$errors"
	done <"$f"
}

# BENCH_REPORT_ONLY=1: rewrite BENCHMARKS.md from the last raw output.
if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
start=$(date +%s)
bench_deps
helpers=ok
make --no-print-directory -f bench/Makefile.inc || helpers=failed

echo "bench: BPF_PROG_TEST_RUN per-packet cost and scaling (about a minute)"
if ! .output/bench/bench > "$out"; then
	echo "bench: the per-packet benchmark failed; see above" >&2
fi
if [ "$helpers" = ok ]; then
	echo "bench: control plane (about 30 s)"
	bench/ctl.sh >> "$out"
	if [ "${BENCH_SKIP_SCALE:-0}" != 1 ]; then
		echo "bench: control plane at cluster scale (about 5 minutes)"
		bench/scale.sh >> "$out"
	fi
	if [ "${BENCH_SKIP_NET:-0}" != 1 ]; then
		echo "bench: real traffic in network namespaces (about 20 minutes)"
		bench/net.sh >> "$out"
	fi
else
	echo "bench_helpers=failed" >> "$out"
fi
if [ "${BENCH_SKIP_DEMO:-0}" != 1 ]; then
	echo "bench: the demo's rollout (about 30 s)"
	demo_rollout >> "$out"
fi
echo "bench_seconds=$(($(date +%s) - start))" >> "$out"
cat "$out"
fi

val() { sed -n "s/^$1=//p" "$out" | head -1; }

plot_scale() {
	command -v gnuplot >/dev/null || return 0
	local data=.output/bench-scale.dat
	grep -E '^scale_(services|endpoints)_[0-9]+_(established|new_flow|not_service)_ns=' "$out" |
		sed -E 's/^scale_([a-z]+)_([0-9]+)_([a-z_]+)_ns=(.*)$/\1 \2 \3 \4/' > "$data"
	gnuplot <<GP 2>/dev/null || true
set terminal pngcairo size 900,420
set output 'docs/bench-scale.png'
set multiplot layout 1,2 title 'canary-bpf: ns per packet vs cluster size (BPF\\_PROG\\_TEST\\_RUN)'
set logscale x
set yrange [0:*]
set key top left
set ylabel 'ns/packet'
set xlabel 'services'
plot '< grep "^services .* established" $data' u 2:4 w lp t 'established', \
     '< grep "^services .* not_service" $data' u 2:4 w lp t 'not a service'
set xlabel 'endpoints'
plot '< grep "^endpoints .* established" $data' u 2:4 w lp t 'established', \
     '< grep "^endpoints .* not_service" $data' u 2:4 w lp t 'not a service'
unset multiplot
GP
}

# fig NAME: "median (min-max)" of NAME_median/_min/_max, or "n/a".
fig() {
	local m
	m=$(val "$1_median")
	[ -n "$m" ] || { echo "n/a"; return; }
	echo "$m ($(val "$1_min")-$(val "$1_max"))"
}

# dp_label KIND: the table's name for a data plane.
dp_label() {
	case $1 in
	ceiling) echo "ceiling: XDP count+drop on n0" ;;
	canary_default) echo "canary-bpf default: attach n0" ;;
	canary_xdp) echo "canary-bpf tuned: --redirect-dev${2:+ --bridge cni0}" ;;
	canary_tc) echo "canary-bpf --mode tc" ;;
	iptables) echo "kube-proxy iptables" ;;
	iptables_xdpnoop) echo "kube-proxy iptables + no-op XDP on n0" ;;
	nftables) echo "kube-proxy nftables" ;;
	nftables_xdpnoop) echo "kube-proxy nftables + no-op XDP on n0" ;;
	esac
}

# dp_path KIND N [PREFIX]: which path the figure took, for the wiring
# whose figures are named PREFIX* (net_, the routed one, by default).
dp_path() {
	local p=${3:-net_} to="" r
	[ "$p" = net_bridge_ ] && to=", cni0"
	case $1 in
	ceiling) echo "XDP_DROP on n0" ;;
	canary_*)
		r=$(val "$p$1_$2_path")
		[ "$p" = net_bridge_ ] && [ "$r" = kernel ] &&
			r="$([ "$1" = canary_tc ] && echo TC_ACT_OK || echo XDP_PASS), kernel forwarding$to"
		[ "$p" = net_bridge_ ] && [ "$r" = XDP_REDIRECT ] &&
			r="XDP_REDIRECT past cni0 to the pod's veth"
		[ "$p" = net_nogro_ ] && [ "$r" = XDP_REDIRECT ] &&
			r="XDP translates and passes, canary_tc_fwd on XDP's note: bpf_redirect_peer into the pod"
		echo "${r:-n/a} ($(val "$p$1_$2_udp_redirected")/$(val "$p$1_$2_udp_translated") redirected, $(val "$p$1_$2_udp_fib_fallback") fib_fallback$(podx_path "$p$1_$2"))" ;;
	*_xdpnoop) echo "XDP_PASS, then netfilter$to" ;;
	*) echo "kernel: GRO, netfilter$to" ;;
	esac
}

# podx_path ROW: "; pod stack excluded: R/T redirected" where the
# counters were taken around those rounds too.
podx_path() {
	[ -n "$(val "$1_podxdp_udp_translated")" ] || return 0
	echo "; pod stack excluded: $(val "$1_podxdp_udp_redirected")/$(val "$1_podxdp_udp_translated") redirected, $(val "$1_podxdp_udp_fib_fallback") fib_fallback"
}

# pct A B: 100 * A / B with one decimal, or "n/a".
pct() {
	[ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ] || { echo "n/a"; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'
}

# gen_text METHOD: how bench/traffic/gen sent its frames.
gen_text() {
	case $1 in
	live_frames) echo "BPF_PROG_RUN, BPF_F_TEST_XDP_LIVE_FRAMES, XDP_TX out of c0; every header byte rewritten per frame" ;;
	af_xdp) echo "an AF_XDP socket in copy mode on c0, this kernel refusing BPF_PROG_RUN with live frames (EPERM); one prebuilt frame per flow, full checksums" ;;
	sendmmsg) echo "sendmmsg() on a packet socket on c0, this kernel refusing live frames and AF_XDP" ;;
	*) echo "method not recorded" ;;
	esac
}

md_net() {
	local s=net_ r=""
	[ -n "$(val net_rounds)" ] || s=net_bridge_
	[ -n "$(val ${s}rounds)" ] || { echo "Not run (\`BENCH_SKIP_NET=1\`, or a helper failed: $(val net_error))."; return; }
	[ -z "$(val net_rounds)" ] || r="$(val net_rounds) rounds (routed)"
	[ -z "$(val net_bridge_rounds)" ] ||
		r="${r:+$r, }$(val net_bridge_interleaved_rounds) (bridge, interleaved UDP rounds; its other figures $(val net_bridge_rounds))"
	[ -z "$(val net_nogro_rounds)" ] || r="${r:+$r, }$(val net_nogro_rounds) (nogro)"
	cat <<MD
Topology of \`tests/e2e/lib.sh\`: client ns -- veth c0/n0 -- node ns -- 4 pod
namespaces (3 v1 pods, 1 v2 pod; canary-bpf at v1=75/v2=25, kube-proxy at
1/4 per endpoint: the same split), in the two pod wirings Kubernetes CNIs
use, each measured with every data plane (\`NET_WIRINGS\`):
**routed** per-pod veths hvXX with /32 routes (like Calico and Cilium), and
pods on a **bridge** cni0 (like flannel); GRO on n0 and on every pod's
eth0. Then the routed wiring once more with the pods' eth0 as veth leaves
them, GRO off (**nogro**). Each figure: median (min-max) of $r of $(val ${s}secs_per_round) s
(shortened from the issue's 10 s: this machine's state changes over minutes, so
more rounds spread over the run make steadier medians than longer ones).
$(interleave_text "$(val ${s}interleaved)")

- **UDP pps delivered**: 64-byte UDP frames to 10.96.0.10:5000 from $(val ${s}udp_flows)
  source ports, generated in the client ns by \`.output/bench/gen\`
  ($(gen_text "$(val ${s}gen_method)")), counted by the sum of the pods' eth0
  \`rx_packets\`. $(split_text "$(val ${s}cpu_split)")$(fifo_text "$(val ${s}fifo)")
- **% of ceiling**: each figure against the ceiling measured in the same
  wiring: the generator into a count-and-drop XDP program on n0, the first
  hop (what every data plane pays before its own work).
- kube-proxy's UDP figures hardly move with 5,000 services because only a
  flow's first packet walks the rules; conntrack handles the rest. Its new
  connections do walk them: iptables' linear KUBE-SERVICES shows there,
  nftables' vmap does not.
- **UDP pps, pod stack excluded**: the same, with a count-and-drop XDP
  program on every pod's eth0 ($(val ${s}podx_secs_per_round) s rounds). Delivered packets then cost the
  pod nothing, so the figure is the node's data plane plus the veth hops.
  In the main column every pod runs each datagram through its own stack
  (skb, GRO, IP, UDP lookup, port unreachable), the same work for every
  data plane, which is most of the per-packet cost and compresses the
  ratios. For the peers, veth runs the pod's XDP program on an skb (it may
  copy it first), a cost canary-bpf's XDP_REDIRECT path (routed wiring)
  does not pay.
- **softirq %**: $(if [ "$(val ${s}cpu_split)" = 1 ]; then echo "with a core each, the data plane's core (CPU 0) busy during the UDP rounds, all kinds of time (/proc/stat; n0's NAPI thread counts as system time; other users of this shared machine count too). Empty where the run predates that figure (its softirq figure was taken over a window it then divided by the generator's time alone, over 100 % here)"; else echo "the whole machine's softirq time over both cores during the UDP rounds (/proc/stat; nothing else of ours runs meanwhile)"; fi).
- **new conn/s**: \`wrk -t2 -c$(val ${s}wrk_conns) -H 'Connection: close'\` (Debian's wrk), one
  HTTP request per TCP connection, against a small C server in each pod
  (\`bench/traffic/httpd.c\`; the python pod servers would be the
  bottleneck). Before each round the node's conntrack table and the pods'
  TIME_WAIT sockets are flushed (\`conntrack -F\`, \`ss -K\`), so no point
  inherits another's state. "SYN retrans" counts the client's SYN
  retransmissions (each costs 1 s): under wrk's load, with MASQUERADE, the
  node picks source ports that can meet a pod's TIME_WAIT entry of an
  earlier connection of the same round (the pods then count PAWS
  rejections), and the client waits for its SYN timeout; canary-bpf keeps
  the client's own ports and shows none. At the fixed $(val ${s}lat_rate)/s
  retransmissions are rare on every data plane (second number).
- **p50/p99**: \`bench/traffic/connlat.c\`, open loop, $(val ${s}lat_rate) new connections/s for
  $(val ${s}secs_per_round) s, connect() to EOF.
- **Services**: "1" is prod-service (a TCP and a UDP port on the VIP); 5000
  adds 4,999 filler services, with the measured ones in the middle of
  KUBE-SERVICES (a linear chain walks half of it on average).
- kube-proxy's rules are written by \`bench/kube_rules.py\` as kube-proxy
  writes them (iptables-nft backend, Debian 12's default). **kube-proxy
  masquerades** the off-cluster client (KUBE-MARK-MASQ, MASQUERADE
  --random-fully): pods see the node's address (10.0.0.1 routed,
  10.244.1.1 on the bridge). **canary-bpf keeps the client's address**:
  pods see 10.0.0.2.
- Fairness: each peer also runs with a do-nothing XDP program on n0; the
  targets compare against the better of the two.
MD
	if [ -n "$(val net_rounds)" ]; then md_net_routed; fi
	if [ -n "$(val net_bridge_rounds)" ]; then md_net_bridge; fi
	if [ -n "$(val net_nogro_rounds)" ]; then md_net_nogro; fi
	md_net_issue16
}

# interleave_text INTERLEAVED: how the data planes' UDP rounds were ordered.
interleave_text() {
	[ "$1" = 1 ] || return 0
	cat <<TXT

**Interleaved rounds**: the UDP rounds of canary-bpf (default and tuned)
and of the four kube-proxy rows run in turn, round 1 of every data plane,
then round 2, and so on (each visit: a round with the pods' stacks, then
one with them left aside), so that a drift of this shared machine lands
on all of them alike: the same unchanged path measured 264k and 698k pps
minutes apart in one earlier run. Even rounds visit the data planes in
reverse order (round 1: default, tuned, the peers; round 2: the peers,
tuned, default), so that a drift within a round favours none of them
over the rounds; every second visit takes its round without the pods'
stacks first, so that default's and tuned's in that column run back to
back; the first round starts a second after the peers' rules are
loaded. Each round's figures and ratios are in the raw output
(\`*_rounds=\`, in round order). Both kube-proxy modes' rules are loaded
once per size, side by side, and one mode is made live for its rounds
with nft's \`dormant\` table flag (a switch of milliseconds; a dormant
table's chains are unhooked); canary-bpf is attached for its rounds and
detached after. Every ratio in the targets below is the median of the
rounds' own ratios (canary-bpf's round against the best of the four peer
rows measured in the same round), as parts 1 and 2 take theirs, so it
need not equal the quotient of the medians in the tables. tc mode and
all TCP figures run apart, canary-bpf's before any kube-proxy rule is
loaded (the rules turn on conntrack, which the pods' replies would pay).
TXT
}

# split_text SPLIT: where the generator and the data plane ran.
split_text() {
	if [ "$1" = 1 ]; then
		cat <<TXT
The generator and the data plane run on a core each: n0's NAPI runs in
  its own thread (threaded NAPI) pinned to CPU 0, the generator is pinned to
  CPU 1, so everything after n0 (the node's data plane, the hops into the
  pods) runs on CPU 0, as a NIC's receive runs on the core of its
  interrupt, and the generator's own cost (about half of the one-core
  ceiling) is in no figure. A generator faster than the path fills n0's
  ring and the rest is dropped there ("sent" above "delivered"): the
  figure is what the path delivers on one core.
TXT
	else
		cat <<TXT
Generator pinned to CPU 1. The veth hops run in the
  generator's own softirq context on that CPU, so the generator only goes
  about as fast as the whole path, and the figure is the path's
  per-packet cost on one core, the generator's included
  (\`NET_SPLIT=0\`).
TXT
	fi
}

# fifo_text FIFO: how the data plane's and the generator's threads were
# scheduled (NET_FIFO).
fifo_text() {
	[ "$1" = 1 ] || return 0
	cat <<TXT

  Both run SCHED_FIFO on their cores (\`NET_FIFO=1\`): a NIC's softirq
  preempts any task on its core, and traffic from the network does not
  wait for this machine's other users. Scheduled as ordinary tasks,
  other users' processes took half to three quarters of the data
  plane's core in loaded rounds and starved the generator (a drop
  ceiling of 0.55 Mpps instead of 2.1-2.5), so those rounds measured the
  machine's load. The share of each round's time the data plane's
  threads ran is in the raw output (\`*_napi_cpu_pct_rounds=\`; with
  FIFO 81-93 %, the kernel's RT throttling keeping 5 % for
  others); a round below 75 % idled for want of frames, its figure the
  generator's (\`*_unsaturated_rounds=\`, listed with the targets).
TXT
}

# net_table PREFIX: the table of the wiring whose figures are named PREFIX*.
net_table() {
	local p=$1 n k row ceil
	ceil=$(val "${p}ceiling_udp_pps_median")
	cat <<MD
| data plane | services | path | UDP pps delivered | % of ceiling | softirq % | UDP pps, pod stack excluded | % of ceiling | new conn/s | p50 / p99 us @$(val "${p}lat_rate")/s | SYN retrans (wrk / lat) | client at pod |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
MD
	echo "| $(dp_label ceiling) | - | $(dp_path ceiling) | $(fig "${p}ceiling_udp_pps") | 100 | | | 100 | | | | |"
	for n in $(val "${p}sizes"); do
		for k in canary_default canary_xdp canary_tc iptables iptables_xdpnoop nftables nftables_xdpnoop; do
			row=$p${k}_$n
			[ -n "$(val "${row}_udp_pps_median")$(val "${row}_conn_per_s_median")" ] || continue
			echo "| $(dp_label $k "$([ "$p" = net_bridge_ ] && echo bridge)") | $n | $(dp_path $k "$n" "$p") | $(fig "${row}_udp_pps") | $(pct "$(val "${row}_udp_pps_median")" "$ceil") | $(val "${row}_$([ "$(val "${p}cpu_split")" = 1 ] && echo dp_core || echo softirq)_pct_median") | $(fig "${row}_podxdp_udp_pps") | $(pct "$(val "${row}_podxdp_udp_pps_median")" "$ceil") | $(fig "${row}_conn_per_s") | $(val "${row}_lat_p50_us") / $(val "${row}_lat_p99_us") | $(val "${row}_wrk_syn_retrans") / $(val "${row}_lat_syn_retrans") | $(val "${row}_client_addr_at_pod") |"
		done
	done
}

md_net_routed() {
	cat <<MD

### Routed pod veths (like Calico and Cilium)

Pods have POD_IP/32 and "default via 169.254.1.1 onlink"; the node reaches
each pod through a /32 route to its veth hvXX (proxy ARP answers for the
gateway). canary-bpf runs twice: as the README's commands attach it
(\`attach n0\` alone, "default"), and tuned with a \`--redirect-dev\` per
pod veth ("tuned"), which lets native XDP redirect a translated packet
straight into the pod's veth.

MD
	net_table net_
	cat <<MD

Generator offered load (sent pps, median): ceiling run $(val net_ceiling_udp_sent_pps_median);
each row's is in the raw output (\`net_*_udp_sent_pps_*\`).

![delivered UDP pps against services, routed](docs/bench-net.png)

Issue 16's targets (canary-bpf as the README's commands attach it) are
judged on both of its wirings at the end of this part.

Older targets, on the tuned figures (judged on this wiring only):

| target | figure | verdict |
| --- | --- | --- |
| native XDP >= 3x the better peer, 1 service | $(val net_canary_xdp_1_over_best_peer)x | $(val target_udp_3x_peer_1) |
| native XDP >= 3x the better peer, 5,000 services | $(val net_canary_xdp_5000_over_best_peer)x | $(val target_udp_3x_peer_5000) |
| native XDP >= 40 % of the drop ceiling, 1 service | $(val net_canary_xdp_1_of_ceiling_pct) % | $(val target_udp_40pct_ceiling_1) |
| native XDP >= 40 % of the drop ceiling, 5,000 services | $(val net_canary_xdp_5000_of_ceiling_pct) % | $(val target_udp_40pct_ceiling_5000) |
| native XDP at 5,000 within 10 % of 1 service | $(val net_canary_xdp_5000_over_1)x | $(val target_udp_5000_within_10pct) |
| new conn/s >= 1.2x the better peer, 5,000 services | $(val net_canary_xdp_5000_conn_over_best_peer)x | $(val target_conn_1.2x_peer_5000) |

The targets are judged on the main column (pods' own stack included).
For information, pod stack excluded: native XDP is $(val net_canary_xdp_1_podxdp_over_best_peer)x the better peer with
1 service and $(val net_canary_xdp_5000_podxdp_over_best_peer)x with 5,000, and $(val net_canary_xdp_1_podxdp_of_ceiling_pct) % / $(val net_canary_xdp_5000_podxdp_of_ceiling_pct) % of the ceiling.

$(pod_cost_note)

$(bounds_note)

Rule load time for 5,000 services: iptables-restore $(val net_iptables_5000_load_ms) ms,
nft -f $(val net_nftables_5000_load_ms) ms.
MD
}

md_net_bridge() {
	cat <<MD

### Pods on a bridge (like flannel's cni0)

The pods' node-side veths hvXX are ports of a bridge cni0 (10.244.1.1/24)
in the node ns; pods have 10.244.1.x/24 and "default via 10.244.1.1".
bridge-nf-call-iptables is $(val net_bridge_nf_call_iptables) in the node ns (the kernel's default and
what kube-proxy requires), so frames the bridge forwards also pass
netfilter. Same traffic, rules and columns as above; tuned canary-bpf
attaches with \`--bridge cni0\` as well. $(val net_bridge_interleaved_rounds) interleaved UDP rounds per figure
(\`NET_BRIDGE_ROUNDS\`: issue 16's targets are judged on them), $(val net_bridge_rounds) rounds
for the ceiling (measured in this topology) and the TCP figures. To pay
for those rounds within \`make bench\`'s time, two rows of the routed
table are not measured here: tc mode (it leaves every packet to the
kernel's path, as on the routed wiring) and the peers' TCP figures with
the no-op XDP program (their UDP figures with it are measured).

**Path**: XDP cannot redirect into a bridge device (a bridge has no
ndo_xdp_xmit), and canary-bpf's FIB lookup resolves a pod's address to
cni0. The loader copies the bridge's FDB ({cni0, pod MAC} -> port hvXX)
into the canary_port map, for pods that take XDP frames by itself (the
default attach) or behind \`attach --bridge cni0\`, and native XDP
redirects straight into the pod's veth, past the bridge and its netfilter
hooks (XDP_REDIRECT, hvXX). A pod whose MAC is not (yet) in that copy, or
whose veth cannot take XDP frames, goes the kernel path: XDP_PASS, the
kernel forwards into cni0, which bridges to the port. The path column
shows which per figure from the counters (redirected out of translated,
and fib_fallback: packets left to the kernel), for the rounds with the
pods' stacks and for those without.

MD
	net_table net_bridge_
	cat <<MD

![delivered UDP pps against services, bridge](docs/bench-net-bridge.png)

The older targets are judged on the routed wiring only (issue 16's, on
both, below). For information, on the bridge native XDP delivers $(val net_bridge_canary_xdp_1_over_best_peer)x the UDP pps of the better peer with 1
service and $(val net_bridge_canary_xdp_5000_over_best_peer)x with 5,000 ($(val net_bridge_canary_xdp_1_of_ceiling_pct) % / $(val net_bridge_canary_xdp_5000_of_ceiling_pct) % of the ceiling; pod stack
excluded $(val net_bridge_canary_xdp_1_podxdp_over_best_peer)x / $(val net_bridge_canary_xdp_5000_podxdp_over_best_peer)x), and $(val net_bridge_canary_xdp_1_conn_over_best_peer)x / $(val net_bridge_canary_xdp_5000_conn_over_best_peer)x its new connections per
second. Rule load time for 5,000 services: iptables-restore
$(val net_bridge_iptables_5000_load_ms) ms, nft -f $(val net_bridge_nftables_5000_load_ms) ms.
MD
}

md_net_nogro() {
	cat <<MD

### Routed pods as veth leaves them (nogro; for information, not one of issue 16's wirings)

Issue 16's targets are set on two wirings, routed pod veths and pods on
a bridge, both with GRO on the pods' eth0 (above); this third one is our
own addition and is judged against no target. The routed wiring once more, with GRO off on every pod's eth0, as a CNI
leaves a veth: the pods' eth0 then has no NAPI and takes no XDP frames
(\`ethtool -K eth0 gro off\`; the kernel's default for veth). With the
default attach, XDP translates and passes, leaving a note with its FIB
answer in a per-CPU table (\`bpf/fwd.h\`), and canary_tc_fwd on n0's tc
ingress hands the packet to the pod's eth0 by bpf_redirect_peer() on
that note (the path column). Tuned canary-bpf is left out (its --redirect-dev would send
frames the pods cannot take), and so is tc mode; UDP only,
$(val net_nogro_rounds) interleaved rounds per figure. Pod stack excluded here means a
count-and-drop program on the pods' **tc** ingress (an XDP program would
give them NAPI and the XDP path).

MD
	net_table net_nogro_
	cat <<MD

**3x is not reached here**: pods' stacks aside, default canary-bpf is
$(val net_nogro_canary_default_1_podxdp_over_best_peer)x the better peer with 1 service ($(val info_default_3x_peer_nogro_1)) and
$(val net_nogro_canary_default_5000_podxdp_over_best_peer)x with 5,000 ($(val info_default_3x_peer_nogro_5000)); per round: $(per_round net_nogro_canary_default_1_podxdp_over_best_peer) and
$(per_round net_nogro_canary_default_5000_podxdp_over_best_peer). A pod eth0 without NAPI takes no
XDP frame, so every packet leaves XDP as an skb (XDP_PASS) and pays
what the XDP_REDIRECT path of the other wirings does not: the skb's
allocation and the tc hop (canary_tc_fwd, 180-200 ns, then
bpf_redirect_peer()). The peers pay the same skb, so the part of the
path the data planes share is larger and the ratio smaller. Reaching the
XDP path needs GRO (or any XDP program) on the pod's eth0, which is the
CNI's choice, not the node's.
MD
}

# bounds_note: what bounds part 3, from perf and bpf_stats (issue 16's
# profiling session, 2026-12-07; not re-measured by make bench).
bounds_note() {
	cat <<'MD'
**What bounds these figures** (profiled on 2026-12-07 with `perf record`
and `kernel.bpf_stats_enabled`, 1 service, routed, pods' stacks aside;
not re-measured by each run). With the generator in the same softirq as
the data plane (`NET_SPLIT=0`, how part 3 ran before), about 600 ns of
every packet was the generator's own (AF_XDP copy-mode transmit: an skb,
the copy out of the UMEM, veth_xmit, the skb's destructor) and about
550 ns the first hop into n0 (veth turning that skb into an XDP buffer:
a copy, the skb's headroom being short): the drop ceiling, ~1,100 ns
(0.9 Mpps). Default canary-bpf added ~660 ns (canary_xdp 150-165 ns with
bpf_stats on, the redirect, the pod veth's NAPI and its drop program),
kube-proxy nftables ~2,700 ns, so that both paid the same 1,100 ns and
canary-bpf could not pass about 2x (measured: ceiling 949k, default
530k, 56 %, nftables 275k, 29 %: 1.9x). The generator's copy out of 4,096
UMEM chunks (8 MiB) missed caches and TLB (13 % of the samples); one chunk
per flow took that to 2.5 %. On two cores the generator and the data
plane now run on a core each (above): in a short run of that session
ceiling 1.0M, default 604k (83 %), nftables 187k (26 %): 3.2x. The first
hop's copy and the generator's skb destructor (its completion ring lock)
still run on the data plane's core and are in every figure, the ceiling's
included; a NIC's native XDP has neither. Pods without GRO (the nogro
table): canary_tc_fwd cost 370-390 ns per packet while it found the flow
again through canary_backend and asked the FIB afresh (XDP cannot leave
it a note in the packet's metadata here); with XDP's note in a per-CPU
table (bpf/fwd.h) it costs 180-200 ns, and a packet for no service
145-150 ns where it cost 160-170 (two interleaved pairs of 2 s runs,
bpf_stats on, 2026-12-07; canary_xdp 173-210 ns against 173-178, the
note's writing within the noise). That is on top of XDP's work and a
second skb for XDP_PASS; bpf_redirect_peer() instead of bpf_redirect()
took the path from 276k to 327k pps (4 interleaved rounds; nftables 198k).
MD
}

# per_round NAME: NAME's per-round figures (NAME_rounds), comma-spaced.
per_round() { val "$1_rounds" | sed 's/,/, /g'; }

# default_targets: issue 16's targets on its two wirings as a table.
default_targets() {
	local w p s u
	echo "| target | wiring | services | figure | per round | default's rounds generator-bound | verdict |"
	echo "| --- | --- | ---: | ---: | --- | ---: | --- |"
	for w in routed bridge; do
		p=net_
		[ "$w" = bridge ] && p=net_bridge_
		for s in 1 5000; do
			[ -n "$(val "target_default_3x_peer_${w}_$s")" ] || continue
			u=$(val "${p}canary_default_${s}_podxdp_unsaturated_rounds")
			echo "| default >= 3x the better peer, pod stack excluded | $w | $s | $(val "${p}canary_default_${s}_podxdp_over_best_peer")x | $(per_round "${p}canary_default_${s}_podxdp_over_best_peer") | ${u:-n/a} | $(val "target_default_3x_peer_${w}_$s") |"
			[ -n "$(val "target_default_within_10pct_${w}_$s")" ] &&
				echo "| default within 10 % of tuned, pod stack excluded | $w | $s | $(val "${p}canary_default_${s}_podxdp_over_tuned")x | $(per_round "${p}canary_default_${s}_podxdp_over_tuned") | ${u:-n/a} | $(val "target_default_within_10pct_${w}_$s") |"
			[ -n "$(val "${p}canary_default_${s}_podxdp_over_default2")" ] &&
				echo "| A/A, for information: default over default attached again, pod stack excluded | $w | $s | $(val "${p}canary_default_${s}_podxdp_over_default2")x | $(per_round "${p}canary_default_${s}_podxdp_over_default2") | ${u:-n/a} | - |"
		done
	done
}

# md_net_issue16: issue 16's targets, judged on its two wirings.
md_net_issue16() {
	[ -n "$(val net_rounds)$(val net_bridge_rounds)" ] || return 0
	cat <<MD

### Issue 16's targets (routed and bridge)

canary-bpf as the README's commands attach it ("default"), pods' stacks
aside, against the better kube-proxy row of the same round, on the
issue's two wirings: routed pod veths and pods on a bridge ("within
10 %": default >= 0.9 x tuned). Each figure is the median of the
interleaved rounds' own ratios, listed in round order ("per round").
Where the pods take XDP frames (routed, bridge), default and tuned take
the same path, the counters in the path columns say so: the same
program with the same per-packet lookups (the pod veths in canary_tx,
the bridge's FDB copied into canary_port, the same entries whether found
by the automatic fast path or listed), so what separates their figures
is the machine's noise; see the notes at the end for how large it is.

$(default_targets)

Not one of the issue's wirings, for information: nogro (above), pods'
stacks aside, default canary-bpf $(val net_nogro_canary_default_1_podxdp_over_best_peer)x / $(val net_nogro_canary_default_5000_podxdp_over_best_peer)x the better peer with
1 / 5,000 services: 3x $(val info_default_3x_peer_nogro_1) / $(val info_default_3x_peer_nogro_5000).
MD
}

# pod_cost_note: what the pods' own stacks cost per packet (1 service,
# routed), from the two UDP columns, against what the 3x target allows.
pod_cost_note() {
	local m x b
	m=$(val net_canary_xdp_1_udp_pps_median)
	x=$(val net_canary_xdp_1_podxdp_udp_pps_median)
	b=$(val net_best_peer_1_udp_pps)
	[ -n "$m" ] && [ -n "$x" ] && [ -n "$b" ] || return 0
	awk -v m="$m" -v x="$x" -v b="$b" -v sp="$(val net_cpu_split)" 'BEGIN {
		if (m <= 0 || x <= 0 || b <= 0) exit
		printf "Where the time goes (1 service, native XDP): the whole path costs %.0f ns\n", 1e9 / m
		printf "per delivered packet on the core that runs it (%s); with the pods'"'"' stacks\n",
			sp == 1 ? "CPU 0, the generator elsewhere" : "CPU 1, the generator included"
		printf "left out, %.0f ns (n0, XDP program, veth hops). So each pod'"'"'s own stack\n", 1e9 / x
		printf "(skb, GRO, IP, UDP, and the port-unreachable ICMP attempt that the host\n"
		printf "rate limit then suppresses) takes about %.0f ns of it, the same for every data\n", 1e9 / m - 1e9 / x
		printf "plane. 3x the better peer would need %.0f ns per packet in all%s\n", 1e9 / (3 * b),
			1e9 / (3 * b) < 1e9 / m - 1e9 / x ? ": less than the pods'"'"' stacks alone." : "."
	}'
}

md_ctl() {
	[ -n "$(val ctl_set_weight_1svc_ms_median)" ] || { echo "Not run."; return; }
	cat <<MD
Private bpffs under /tmp, no attach (the CLI only writes pinned maps).
Times are measured from just before fork() (\`bench/timeexec.c\`), so
they cover exec and dynamic linking. For set-weight, "to visible" ends at
the generation flip that makes the new weight live: the CLI stamps each
flip in canary_gen with CLOCK_MONOTONIC just before its last writes (the
VIP bitmap and the flip itself, tens of microseconds), and
timeexec reads that stamp back (\`--gen-map\`). The runs go back to back,
alternating two weights. "Whole process" ends when the CLI exits. After
the flip it waits for an RCU grace period, so that the next change may
rewrite the generation just retired without waiting first. Every 10th
set-weight is checked with \`status -j\`. Peak RSS is the child's
ru_maxrss from wait4().

| figure | median (min-max) | target |
| --- | ---: | --- |
| set-weight to visible, 1 service configured ($(val ctl_set_weight_1svc_runs) runs, $(val ctl_set_weight_1svc_failed) failed) | $(fig ctl_set_weight_1svc_ms) ms | < 5 ms: $(val target_set_weight) |
| its whole process | $(fig ctl_set_weight_1svc_wall_ms) ms | |
| set-weight to visible, 1,000 services configured ($(val ctl_set_weight_1000svc_runs) runs, $(val ctl_set_weight_1000svc_failed) failed) | $(fig ctl_set_weight_1000svc_ms) ms | |
| its whole process | $(fig ctl_set_weight_1000svc_wall_ms) ms | |
| \`canary-bpf --help\` (process start-up alone) | $(val ctl_cli_help_us) us | |
| apply -f, 1,000 services x 2 versions x 10 endpoints, fresh maps | $(fig ctl_apply_1000_ms) ms | < 2 s: $(val target_apply) |
| its peak RSS | $(fig ctl_apply_1000_maxrss_kb) KiB | |
| re-apply of the same file | $(fig ctl_reapply_1000_ms) ms | < 0.5 s: $(val target_reapply) |
| its peak RSS | $(fig ctl_reapply_1000_maxrss_kb) KiB | |

Split accuracy over $(val split_flows) synthetic flows (random clients in
10.0.0.0/8 with ephemeral ports to one VIP:port), through the data plane's
own version pick (\`include/canary_hash.h\`, \`bench/split.c\`):

| canary weight | measured share | error |
| ---: | ---: | ---: |
| 1 % | $(val split_1_measured_pct) % | $(val split_1_error_pt) pt |
| 5 % | $(val split_5_measured_pct) % | $(val split_5_error_pt) pt |
| 25 % | $(val split_25_measured_pct) % | $(val split_25_error_pt) pt |
| 50 % | $(val split_50_measured_pct) % | $(val split_50_error_pt) pt |

Largest error $(val split_max_error_pt) pt (target < 0.1): $(val target_split_accuracy).
MD
}

# md_scale: bench/scale.sh's figures, one row per size.
md_scale() {
	local n
	[ -n "$(val scale_sizes)" ] || { echo "Not run (\`BENCH_SKIP_SCALE=1\`)."; return; }
	cat <<MD
\`bench/scale.sh\`: services of 2 versions x 4 endpoints, private bpffs,
CLI only, $(val scale_runs) runs of each change on a middle service
(median (min-max); "visible" ends at the flip, as above). Map memory is
the sum of bpftool's memlock over the pinned maps; with no attach, the
two per-CPU counter arrays (canary_stats, canary_pinstat: 6.6 MiB on
this 2-CPU machine, more with more CPUs) do not exist yet: attach creates
them.

| services | first apply | re-apply unchanged (flipped) | set-weight | to visible | endpoints set | to visible | status NAME | map memory |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
MD
	for n in $(val scale_sizes); do
		echo "| $n | $(val scale_cli_${n}_apply_ms) ms | $(val scale_cli_${n}_reapply_ms) ms ($(val scale_cli_${n}_reapply_flipped)) | $(fig scale_cli_${n}_set_weight_ms) ms | $(val scale_cli_${n}_set_weight_visible_ms_median) ms | $(fig scale_cli_${n}_endpoints_ms) ms | $(val scale_cli_${n}_endpoints_visible_ms_median) ms | $(fig scale_cli_${n}_status_name_ms) ms | $(val scale_cli_${n}_map_kib) KiB |"
	done
	echo
	echo "The five largest maps (KiB, bpftool memlock) at each size:"
	echo
	for n in $(val scale_sizes); do
		echo "- $n services: $(val scale_cli_${n}_map_top_kib | sed 's/:/ /g; s/,/, /g')"
	done
	[ -n "$(val scale_agent_sizes)" ] || return
	cat <<MD

The agent (\`--no-attach\`) against \`tests/e2e/fakekube.py\` seeded with N
TrafficSplits like the seed's (two ports each: 2N services): first sync
from the agent's start to its "first full sync" line; a change from the
fake API server's answer to \`status NAME\` showing it (polled), and the
agent's CPU time over it (the sum of its threads' schedstat, in ns: a
change costs a few ms, which /proc/PID/stat's 10 ms ticks read as 0 or
10; the window, about 0.6 s, includes the agent's idle work, see the idle
column); idle CPU over 5 s with nothing changing. The first sync queues
an Event per object, which the agent sends at 50 a second after a burst
of 100 ("its Events sent": from the agent's start until its metrics show
none queued); the changes are measured after that, so that those
requests are not in their CPU windows.

| TrafficSplits | first sync | its Events sent | weight change | its CPU | endpoint removed | its CPU | idle CPU / 5 s | RSS | map memory | "queue full" lines |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
MD
	for n in $(val scale_agent_sizes); do
		echo "| $n | $(val scale_agent_${n}_first_sync_ms) ms | $(val scale_agent_${n}_events_drain_ms) ms | $(fig scale_agent_${n}_weight_ms) ms | $(val scale_agent_${n}_weight_cpu_ms_median) ms | $(fig scale_agent_${n}_endpoint_ms) ms | $(val scale_agent_${n}_endpoint_cpu_ms_median) ms | $(val scale_agent_${n}_idle_cpu_ms_per_5s) ms | $(val scale_agent_${n}_rss_kib) KiB | $(val scale_agent_${n}_map_kib) KiB | $(val scale_agent_${n}_queue_full_lines) |"
	done
	cat <<MD

Targets: set-weight and endpoints set at 10,000 services within 2x of 1
service (ratios $(val scale_set_weight_ratio), $(val scale_endpoints_ratio)) and visible in < 5 ms:
$(val target_scale_set_weight), $(val target_scale_endpoints); first apply of 10,000 <= 2 s:
$(val target_scale_apply_10000), of 1,000 <= 0.3 s: $(val target_scale_apply_1000); re-apply
of 10,000 unchanged <= 0.3 s: $(val target_scale_reapply_10000); map memory at 10,000 <= 128
MiB: $(val target_scale_memory); status NAME <= 20 ms at any size:
$(val target_scale_status_name); agent change at 3,000 within 2x of 1 in time and CPU
(ratios $(val scale_agent_weight_ratio), $(val scale_agent_weight_cpu_ratio)): $(val target_scale_agent_change);
first sync at 3,000 <= 3 s: $(val target_scale_agent_first_sync).
MD
}

md_demo() {
	local line step rest target measured total errors
	grep -q '^demo_step_' "$out" || { echo "Not run (\`BENCH_SKIP_DEMO=1\`, or: $(val demo_error))."; return; }
	cat <<MD
\`scripts/demo.sh\` (what \`make demo\` runs): the seed's prod-service with 3
v1 pods and 1 v2 pod, native XDP, v2's weight set with \`canary-bpf
set-weight\` at each step, then fresh HTTP connections from the client
namespace, each answered by the pod that got it.

| step | v2 weight | v2 share measured | error | connections (failed) |
| ---: | ---: | ---: | ---: | ---: |
MD
	while IFS= read -r line; do
		step=${line%%=*}
		step=${step#demo_step_}
		rest=${line#*=}
		IFS=, read -r target measured total errors <<<"$rest"
		echo "| $step | $target % | $measured % | $(awk -v a="$measured" -v b="$target" 'BEGIN { printf "%+.2f", a - b }') pt | $total ($errors) |"
	done < <(grep '^demo_step_' "$out")
	echo
	echo "![measured v2 share against its weight during the rollout](docs/bench-demo.png)"
}

plot_demo() {
	command -v gnuplot >/dev/null || return 0
	local data=.output/bench-demo-plot.dat
	grep -q '^demo_step_' "$out" || return 0
	sed -n 's/^demo_step_\([0-9]*\)=\([^,]*\),\([^,]*\),.*/\1 \2 \3/p' "$out" >"$data"
	gnuplot <<GP 2>/dev/null || true
set terminal pngcairo size 900,420
set output 'docs/bench-demo.png'
set title 'make demo: canary (v2) share of new connections, weight vs measured'
set xlabel 'rollout step'
set ylabel 'v2 share (%)'
set yrange [0:105]
set xtics 1
set key top left
set style fill solid 0.6
set boxwidth 0.35
plot '$data' u (\$1-0.18):2 w boxes lc rgb '#999999' t 'weight set', \
     '$data' u (\$1+0.18):3 w boxes lc rgb '#d95f02' t 'measured share'
GP
}

# plot_net PREFIX PNG NAME TITLE: delivered UDP pps against services for
# the wiring whose figures are named PREFIX*, into PNG.
plot_net() {
	command -v gnuplot >/dev/null || return 0
	local p=$1 png=$2 data=.output/bench-$3.dat n k b x path
	[ -n "$(val "${p}rounds")" ] || return 0
	path=$(val "${p}canary_xdp_$(val "${p}sizes" | cut -d' ' -f1)_path")
	[ "$path" = kernel ] && path=XDP_PASS
	path=${path//_/\\_} # gnuplot's enhanced text: _ makes a subscript
	: >"$data"
	for n in $(val "${p}sizes"); do
		printf '%s' "$n" >>"$data"
		for k in canary_xdp canary_tc iptables nftables; do
			b=$(val "$p${k}_${n}_udp_pps_median")
			x=$(val "$p${k}_xdpnoop_${n}_udp_pps_median")
			[ -n "$x" ] && [ "${x%.*}" -gt "${b%.*}" ] 2>/dev/null && b=$x
			printf ' %s' "${b:-NaN}" >>"$data"
		done
		printf ' %s' "$(val "${p}ceiling_udp_pps_median")" >>"$data"
		b=$(val "${p}canary_xdp_${n}_podxdp_udp_pps_median")
		printf ' %s' "${b:-NaN}" >>"$data"
		b=$(val "${p}best_peer_${n}_podxdp_udp_pps")
		printf ' %s\n' "${b:-NaN}" >>"$data"
	done
	gnuplot <<GP 2>/dev/null || true
set terminal pngcairo size 900,520
set output '$png'
set title 'UDP packets/s delivered to the pods (veth, network namespaces; $4)'
set logscale x
set xrange [0.5:10000]
set xtics (1, 10, 100, 1000, 5000)
set yrange [0:*]
set format y '%.1s%c'
set key below maxcols 2
set xlabel 'services  (* better of plain and with a no-op XDP on n0)'
set ylabel 'packets/s'
plot '$data' u 1:6 w l dt 2 lw 2 t 'ceiling (XDP drop)', \
     '$data' u 1:2 w lp lw 2 pt 7 t 'canary-bpf XDP${path:+ ($path)}', \
     '$data' u 1:3 w lp lw 2 pt 5 t 'canary-bpf tc', \
     '$data' u 1:4 w lp lw 2 pt 9 t 'kube-proxy iptables*', \
     '$data' u 1:5 w lp lw 2 pt 11 t 'kube-proxy nftables*', \
     '$data' u 1:7 w lp dt 3 lw 2 pt 6 t 'canary-bpf XDP, pod stack excl.', \
     '$data' u 1:8 w lp dt 3 lw 2 pt 8 t 'better peer*, pod stack excl.'
GP
}

plot_scale
plot_demo
plot_net net_ docs/bench-net.png net 'routed /32 pod veths'
plot_net net_bridge_ docs/bench-net-bridge.png net-bridge 'pods on a bridge cni0'
date=$(date -u +%Y-%m-%d)
kernel=$(uname -r)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
{
	cat <<MD
# Benchmarks

Made by \`make bench\` (which runs \`scripts/bench.sh\`) on $date, in $(val bench_seconds) s.
Machine: $(nproc) cores ($cpu), $mem of memory, kernel $kernel, Debian $(cat /etc/debian_version 2>/dev/null).
Settings: NET_SECS=${NET_SECS:-2} NET_ROUNDS=${NET_ROUNDS:-5} NET_SIZES="${NET_SIZES:-1 5000}" NET_WIRINGS="${NET_WIRINGS:-routed bridge nogro}" NET_SPLIT=${NET_SPLIT:-1} NET_BRIDGE_ROUNDS=${NET_BRIDGE_ROUNDS:-5} NET_FIFO=${NET_FIFO:-1}.
These machines are shared and noisy: read ratios against the baselines
measured in the same run, not absolute figures. Every figure is in the raw
output as name=value lines; a missed target says MISSED.

## 1. Per-packet cost (BPF_PROG_TEST_RUN)

Median of $(val rounds) interleaved rounds of $(val repeat) packets each.
Rewriting cases run behind a wrapper that restores the frame before every
iteration (and, for new flows, gives it a fresh source address and port;
a new flow's frame is a SYN, every other TCP frame an ACK);
the wrapper's own cost, measured around a program that only returns, is
subtracted. A ratio is the median of the rounds' own ratios (each case
against the baseline measured in the same round), so it need not equal
the quotient of the two medians shown. After every call the data plane's counters are checked: every
iteration took the path measured (\`paths_checked=$(val paths_checked)\`).

| case | ns/packet | ratio to parse+lookup | target |
| --- | ---: | ---: | --- |
| baseline: XDP_PASS | $(val xdp_pass_ns) | | |
| baseline: parse Eth/IPv4/TCP + one hash lookup | $(val parse_lookup_ns) | 1.00 | |
| established TCP flow (flow-table hit) | $(val established_ns) | $(val established_ratio) | <= 2.0: $(val target_established | cut -d' ' -f1) |
| new TCP flow (version + endpoint pick, flow insert) | $(val new_flow_ns) | $(val new_flow_ratio) | <= 4.0: $(val target_new_flow | cut -d' ' -f1) |
| UDP datagram of a known flow | $(val udp_ns) | $(val udp_ratio) | |
| not for any service | $(val not_service_ns) | $(val not_service_ratio) | <= 1.2: $(val target_not_service | cut -d' ' -f1) |
| reply path (tc egress, VIP restored) | $(val reply_ns) | $(val reply_ratio) | (tc baseline: $(val tc_pass_ns) ns) |

IPv6: the same cases, in the same rounds, with $(val frame6_bytes)-byte IPv6 frames
(Ethernet, IPv6 and TCP headers alone are 74 bytes; the IPv4 frames above
stay $(val frame_bytes) bytes, as in earlier runs) to the seed service's IPv6 twin,
[2001:db8::10]:5000 over TCP and UDP. They run behind wrappers of their own
(new flows get a fresh IPv6 source), whose cost is measured and subtracted
the same way, and the same counter check covers them. Ratios are to the
IPv4 parse+lookup baseline above. The IPv6 keys are larger: 20-byte
service and 40-byte flow keys against IPv4's 8 and 16, and the flow hash
folds the addresses first. No targets.

| case (IPv6) | ns/packet | ratio to parse+lookup | IPv4 ns |
| --- | ---: | ---: | ---: |
| baseline: XDP_PASS | $(val xdp_pass6_ns) | | $(val xdp_pass_ns) |
| established TCP flow (flow-table hit) | $(val established6_ns) | $(val established6_ratio) | $(val established_ns) |
| new TCP flow (version + endpoint pick, flow insert) | $(val new_flow6_ns) | $(val new_flow6_ratio) | $(val new_flow_ns) |
| UDP datagram of a known flow | $(val udp6_ns) | $(val udp6_ratio) | $(val udp_ns) |
| not for any service | $(val not_service6_ns) | $(val not_service6_ratio) | $(val not_service_ns) |
| reply path (tc egress, VIP restored) | $(val reply6_ns) | $(val reply6_ratio) | $(val reply_ns) |

The endpoint pick: one service of two versions of n endpoints each, a
load of its own per n, in the same rounds; n <= 16 picks by rendezvous
(one hash per endpoint), 17 is the smallest version with a Maglev table.

| endpoints per version | new flow ns | over its established flow | over 17's new flow |
| ---: | ---: | ---: | ---: |
| 4 (rendezvous) | $(val pick_4_endpoints_new_flow_ns) | $(val pick_4_endpoints_new_over_established) | $(val pick_4_endpoints_new_over_17) |
| 16 (rendezvous) | $(val pick_16_endpoints_new_flow_ns) | $(val pick_16_endpoints_new_over_established) | $(val pick_16_endpoints_new_over_17) |
| 17 (Maglev) | $(val pick_17_endpoints_new_flow_ns) | $(val pick_17_endpoints_new_over_established) | 1.000 |

## 2. Cost against cluster size

Same cases, service 0 addressed. Each size has its own load of the
programs and maps. Each of the $(val rounds) rounds runs every case in $(val scale_slices)
slices of $(val scale_slice_packets) packets, and each slice visits all six sizes, starting
one size further on each time, so that the sizes share the machine's good
and bad seconds (other processes slowed a new flow by up to a fifth for
seconds at a time); a size's figure for a round is the mean of its
slices. Scaling paths checked: \`scale_paths_checked=$(val scale_paths_checked)\`.

| size | established ns | new flow ns | not a service ns | map memory |
| --- | ---: | ---: | ---: | ---: |
MD
	for s in 1 1000 10000; do
		echo "| $s services | $(val scale_services_${s}_established_ns) | $(val scale_services_${s}_new_flow_ns) | $(val scale_services_${s}_not_service_ns) | $(sed -n "s/^map_memory_bytes_${s}_services_$((s * 2))_endpoints=//p" "$out") B |"
	done
	for e in 10 1000 100000; do
		echo "| $e endpoints | $(val scale_endpoints_${e}_established_ns) | $(val scale_endpoints_${e}_new_flow_ns) | $(val scale_endpoints_${e}_not_service_ns) | $(grep -E "^map_memory_bytes_[0-9]+_services_${e}_endpoints=" "$out" | tail -1 | cut -d= -f2) B |"
	done
	cat <<MD

Largest over smallest (target <= 1.1): established $(val scale_established_max_over_min),
new flow $(val scale_new_flow_max_over_min), not a service $(val scale_not_service_max_over_min).
These compare each size with the smallest (1 service) in the same round:
the median over the rounds of that round's quotient (\`scale_*_rel\` in
the raw output; per size below). All sizes drift together over a run, more
than they differ within a round, so the medians in the table above may
differ by more.

The sizes differ in endpoints per version as well as in cluster size, and
a new flow's pick costs by that (part 1: rendezvous hashes every endpoint
of a version of up to 16, a bigger version reads a table slot): the three
services sizes have 1 per version, 10 endpoints 5, 1,000 and 100,000
endpoints 50. Among sizes with the same pick, largest over smallest:
established $(val scale_established_same_pick_max_over_min), new flow $(val scale_new_flow_same_pick_max_over_min), not a service
$(val scale_not_service_same_pick_max_over_min).

| size | established | new flow | not a service |
| --- | ---: | ---: | ---: |
MD
	for s in 1 1000 10000; do
		echo "| $s services | $(val scale_services_${s}_established_rel) | $(val scale_services_${s}_new_flow_rel) | $(val scale_services_${s}_not_service_rel) |"
	done
	for e in 10 1000 100000; do
		echo "| $e endpoints | $(val scale_endpoints_${e}_established_rel) | $(val scale_endpoints_${e}_new_flow_rel) | $(val scale_endpoints_${e}_not_service_rel) |"
	done
	cat <<MD

![cost against cluster size](docs/bench-scale.png)

Raw output: \`.output/bench-results.txt\` (name=value lines).
MD
	echo
	echo "## 3. Real traffic through veth in network namespaces"
	echo
	md_net
	echo
	echo "## 4. The control plane"
	echo
	md_ctl
	echo
	echo "### At cluster scale"
	echo
	md_scale
	echo
	echo "## 5. The demo's rollout"
	echo
	md_demo
	echo
	[ -f docs/BENCH-NOTES.md ] && cat docs/BENCH-NOTES.md
} > BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md"
exit 0
