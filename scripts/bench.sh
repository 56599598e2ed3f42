#!/usr/bin/env bash
# make bench: runs the benchmarks and rewrites BENCHMARKS.md from what they
# printed. Never part of `make test`; exits 0 even when a target is missed
# (the report says which).
set -u
cd "$(dirname "$0")/.."

out=.output/bench-results.txt
mkdir -p .output docs
echo "bench: BPF_PROG_TEST_RUN per-packet cost and scaling (about a minute)"
if ! .output/bench/bench > "$out"; then
	echo "bench: the benchmark itself failed; see above" >&2
	exit 0
fi
cat "$out"

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

plot_scale
date=$(date -u +%Y-%m-%d)
kernel=$(uname -r)
{
	cat <<MD
# Benchmarks

Made by \`make bench\` on $date (kernel $kernel, $(nproc) cores). These
machines are shared and noisy: read ratios against the baselines measured in
the same run, not absolute nanoseconds.

## 1. Per-packet cost (BPF_PROG_TEST_RUN)

Median of $(val rounds) interleaved rounds of $(val repeat) packets each.
Rewriting cases run behind a wrapper that restores the frame before every
iteration (and, for new flows, gives it a fresh source address and port);
the wrapper's own cost, measured around a program that only returns, is
subtracted. After every call the data plane's counters are checked: every
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

## 2. Cost against cluster size

Same method, service 0 addressed, flow table emptied before each size.

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

![cost against cluster size](docs/bench-scale.png)

Raw output: \`.output/bench-results.txt\` (name=value lines).
MD
	[ -f docs/BENCH-NOTES.md ] && cat docs/BENCH-NOTES.md
} > BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md"
exit 0
