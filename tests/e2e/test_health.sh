#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Connection health with real TCP: per-version outcomes counted in the
# data plane, the guard shedding a canary whose server is stopped (every
# connection refused) within the first few dozen failed connections while
# a healthy canary under the same traffic is never shed (IPv4, and IPv6
# for the shed), a slow canary (a full accept queue: handshakes wait for
# the SYN's retransmission) seen in the handshake histogram and as
# unanswered, and `canary-bpf top` driven in a pseudo-terminal.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

VIP_R=10.96.0.10   # "refuse": v2's endpoint port has no listener
VIP_H=10.96.0.11   # "healthy": v2 serves
VIP_S=10.96.0.12   # "slow": v2's listener accepts one connection a second
VIP6=fd00:96::10   # "refuse6": refuse over IPv6

# service NAME VIP V2_PORT V2_PCT [GUARD]: one YAML service entry.
service() {
	cat <<-EOF
	  - name: $1
	    vip: $2
	    port: $VPORT
	    versions:
	      - {name: v1, weight: $((100 - $4)), endpoints: [${POD_IPS[0]}:5050, ${POD_IPS[1]}:5050, ${POD_IPS[2]}:5050]}
	      - {name: v2, weight: $4, endpoints: [${POD_IPS[3]}:$3]}
	EOF
	[ -n "${5:-}" ] && echo "    guard: {$5}"
}

# conns OUT N TARGET...: health.py conns from the client ns.
conns() {
	local out=$1 n=$2 t args=()
	shift 2
	for t in "$@"; do args+=(--target "$t:$VPORT"); done
	take_ports "$n" || { echo "  out of source ports" >&2; return 1; }
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/health.py" conns -n "$n" \
		--sport "$SPORT_AT" "${args[@]}" "${CONNS_ARGS[@]}" >"$WORK/$out.json"
}
CONNS_ARGS=()

# jcase NAME PYEXPR: PYEXPR over s (service name -> status -j service) and
# r (name -> health.py JSON file) holds.
jcase() {
	local name=$1 expr=$2 res
	cb -j status >"$WORK/status.json" 2>&1
	if res=$("$PY" - "$WORK" "$expr" <<-'PY'
		import glob, json, os, re, sys
		work, expr = sys.argv[1], sys.argv[2]
		st = json.load(open(os.path.join(work, "status.json")))
		s = {x["name"]: x for x in st["services"]}
		r = {}
		for f in glob.glob(os.path.join(work, "*.json")):
		    try:
		        r[os.path.basename(f)[:-5]] = json.load(open(f))
		    except ValueError:
		        pass
		def v(svc, ver):
		    return [x for x in s[svc]["versions"] if x["name"] == ver][0]
		ok = eval(expr)
		print(ok)
		sys.exit(0 if ok is True else 1)
		PY
	); then
		pass "$name"
	else
		fail "$name" "$expr: $res"
	fi
}

# vinfo SVC VER: one line of the version's health, for the log.
vinfo() {
	"$PY" -c 'import json, sys
st = json.load(open(sys.argv[1]))
s = [x for x in st["services"] if x["name"] == sys.argv[2]][0]
v = [x for x in s["versions"] if x["name"] == sys.argv[3]][0]
print("%s %s: new %d failed %d (refused %d reset_early %d unanswered %d) "
      "handshakes %d p50 %.0f us p99 %.0f us; guard %s" % (sys.argv[2],
      sys.argv[3], v["new_connections"], v["failed"], v["refused"],
      v["reset_early"], v["unanswered"], v["handshakes"],
      v["handshake_p50_us"], v["handshake_p99_us"], s["guard"]["state"]))' \
		"$WORK/status.json" "$1" "$2"
}

e2e_setup
topo_v6 || bail "IPv6 setup failed"
{
	echo "services:"
	service refuse "$VIP_R" 5099 25 "max_failure_pct: 5, min_flows: 50, window_s: 10"
	service healthy "$VIP_H" 5050 25 "max_failure_pct: 5, min_flows: 50, window_s: 10"
	service slow "$VIP_S" 5098 50
	cat <<-EOF
	  - name: refuse6
	    vip: "$VIP6"
	    port: $VPORT
	    guard: {max_failure_pct: 5, min_flows: 50, window_s: 10}
	    versions:
	      - {name: v1, weight: 75, endpoints: ["[${POD_IPS6[0]}]:5050", "[${POD_IPS6[1]}]:5050", "[${POD_IPS6[2]}]:5050"]}
	      - {name: v2, weight: 25, endpoints: ["[${POD_IPS6[3]}]:5099"]}
	EOF
} >"$WORK/health.yaml"
attach_case attach_native native
expect apply_health cb apply -f "$WORK/health.yaml"
jcase guard_armed_after_apply \
	"s['refuse']['guard']['state'] == 'armed' and s['healthy']['guard']['state'] == 'armed' and s['slow']['guard']['state'] == 'off'"

# 2,000 fresh connections to each of refuse and healthy, alternating, in
# order: refuse's v2 (25 %) refuses until the guard sheds it.
if conns burst1 4000 "$VIP_R" "$VIP_H"; then
	jcase refuse_failures_before_shed_at_most_150 \
		"0 < r['burst1']['by_target']['$VIP_R:$VPORT']['refused'] <= 150"
	jcase refuse_guard_shed_v2 \
		"s['refuse']['guard']['state'] == 'shed' and s['refuse']['guard']['version'] == 'v2' and s['refuse']['guard']['sheds'] == 1"
	# The guard judges after min_flows (50) new connections: every one
	# of them failed, and the shed followed the next failure at once.
	jcase refuse_counted_as_refused \
		"v('refuse','v2')['refused'] == r['burst1']['by_target']['$VIP_R:$VPORT']['refused'] and v('refuse','v2')['failed'] == v('refuse','v2')['refused'] and 50 <= v('refuse','v2')['refused'] <= 150"
	# In order, each connection ends before the next starts: once shed,
	# none fails (refuse's share is every other connection).
	jcase refuse_failures_all_early \
		"max(i for i, t, x in r['burst1']['order'] if x != 'ok') < 1000"
	jcase healthy_never_shed \
		"s['healthy']['guard']['state'] == 'armed' and s['healthy']['guard']['sheds'] == 0 and r['burst1']['by_target']['$VIP_H:$VPORT']['ok'] == 2000 and v('healthy','v2')['failed'] == 0 and v('healthy','v2')['new_connections'] > 300"
	jcase healthy_handshakes_timed \
		"v('healthy','v2')['handshakes'] == v('healthy','v2')['new_connections'] and 0 < v('healthy','v2')['handshake_p99_us'] < 200000"
	info "$(vinfo refuse v2)"
	info "$(vinfo healthy v2)"
	info "client: $("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: d["by_target"][k] for k in d["by_target"]})' "$WORK/burst1.json")"
else
	fail burst1 "health.py conns failed"
fi

# After the shed: 1,000 more, none fails; v2's new connections went to v1.
if conns burst2 1000 "$VIP_R"; then
	jcase refuse_none_fail_after_shed \
		"r['burst2']['ok'] == 1000"
else
	fail burst2 "health.py conns failed"
fi

# guard --reset re-arms: v2 takes new connections again, fails, is shed
# again within the minimum.
expect guard_reset cb guard refuse --reset
jcase guard_rearmed "s['refuse']['guard']['state'] == 'armed'"
if conns burst3 1000 "$VIP_R"; then
	jcase refuse_shed_again_after_reset \
		"s['refuse']['guard']['state'] == 'shed' and s['refuse']['guard']['sheds'] == 2 and 50 <= r['burst3']['refused'] <= 150"
else
	fail burst3 "health.py conns failed"
fi
expect set_weight_rearms cb set-weight refuse v2=25
jcase set_weight_rearmed "s['refuse']['guard']['state'] == 'armed'"

# The same over IPv6: 1,000 fresh connections, v2 shed after 50.
if conns burst6 1000 "[$VIP6]"; then
	jcase refuse6_shed_after_50 \
		"s['refuse6']['guard']['state'] == 'shed' and v('refuse6','v2')['refused'] == r['burst6']['refused'] == 50 and r['burst6']['ok'] == 950"
	jcase refuse6_v1_handshakes_timed \
		"v('refuse6','v1')['handshakes'] == v('refuse6','v1')['new_connections'] > 600 and v('refuse6','v1')['failed'] == 0"
else
	fail burst6 "health.py conns failed"
fi

# Slow: v2's server takes one connection every 0.5 s with a backlog of 1.
# 40 connections at once: v2's SYNs beyond its queue are dropped by its
# kernel and retransmitted by the clients after 1 s (and 3 s).
ip netns exec "$(pod_ns 3)" "$PY" "$E2E_DIR/health.py" stuck --port 5098 \
	--every 0.5 --ready-file "$WORK/stuck.ready" &
PIDS+=("$!")
for n in $(seq 50); do [ -e "$WORK/stuck.ready" ] && break; sleep 0.1; done
CONNS_ARGS=(--parallel 40 --timeout 12)
if conns slow 40 "$VIP_S"; then
	jcase slow_unanswered_counted \
		"v('slow','v2')['unanswered'] >= 3 and v('slow','v1')['unanswered'] == 0"
	jcase slow_handshake_p99_over_500ms \
		"v('slow','v2')['handshake_p99_us'] >= 500000 and v('slow','v1')['handshake_p99_us'] < 200000"
	info "$(vinfo slow v1)"
	info "$(vinfo slow v2)"
else
	fail slow "health.py conns failed"
fi
CONNS_ARGS=()

# top in a pseudo-terminal while traffic flows: frames every second with
# healthy's connections per second, q ends it, the terminal is restored.
conns top_traffic 3000 "$VIP_H" &
TRAFFIC=$!
PIDS+=("$TRAFFIC")
nsx "$NS_NODE" "$PY" "$E2E_DIR/health.py" top --frames 3 --key q -- \
	"$CANARY_BIN" --pin-dir "$PIN_DIR" top >"$WORK/top_q.json"
jcase top_q_ends_cleanly \
	"r['top_q']['rc'] == 0 and r['top_q']['frames'] >= 3 and r['top_q']['restored'] and r['top_q']['left_screen']"
jcase top_shows_services \
	"all(x in r['top_q']['output_tail'] for x in ('healthy', 'refuse', 'slow', 'HS-P99us', 'armed'))"
# healthy's v1 line with a live rate: weight, share, then CONN/S > 0
jcase top_shows_live_rates \
	"re.search(r'healthy +v1 +75% +[0-9.]+% +[1-9]', r['top_q']['output_tail']) is not None"
nsx "$NS_NODE" "$PY" "$E2E_DIR/health.py" top --frames 2 --key C -- \
	"$CANARY_BIN" --pin-dir "$PIN_DIR" top >"$WORK/top_c.json"
jcase top_ctrl_c_ends_cleanly \
	"r['top_c']['rc'] == 0 and r['top_c']['restored'] and r['top_c']['left_screen']"
wait "$TRAFFIC"
# Not a terminal: two plain frames, no escape sequences.
out=$(TERM=dumb cb top --iterations 2 </dev/null 2>&1)
if [ "$(grep -c CONN/S <<<"$out")" -eq 2 ] && ! grep -q $'\e' <<<"$out"; then
	pass top_plain_terminal
else
	fail top_plain_terminal "${out:0:300}"
fi
finish
