#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An in-place upgrade from a real older release: the CLI of commit
# $OLD_RELEASE, built from git history (once, cached under .output/upgrade/
# by commit), attaches to n0 and applies IPv4 and IPv6 services at 75/25, a
# UDP service, a two-port service with a client pin and a node section;
# 100 TCP connections per family are held open and a UDP stream runs.
# Then this build re-attaches on the same pin dir, mid-stream. After it:
# the programs on n0 were replaced; `flows list` shows every held flow,
# open, its idle time unknown (the old release's stamp 0) and not expired,
# then stamped once it carries a packet; every held connection answers
# from its first pod, also after set-weight moves every new flow to v2
# with no grace period (only the carried flow entries keep them there);
# no datagram is lost and no UDP flow changes pod; `status -j` shows the
# same services, weights, endpoints, pins and node section, and no counter
# lower than before; new connections split 75/25 in both families and
# the pin still steers; after a change that this build writes (50/50),
# new connections split so and reach every pod in both families; detach
# leaves n0 as it was before the old attach.
# A repository without the release's commit (a shallow clone) is a FAIL.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# The last release before flow ageing ("BENCHMARKS: make bench after the
# review commits"): its flow entries hold 0 where this build stamps them.
OLD_RELEASE=7284bcd
OLD_BIN=""
VIP6=2001:db8::10
VIP_WEB=10.96.0.20
HELD=100
RATE=1000
SECONDS_UDP=8
FLOWS=8

# old_build: sets OLD_BIN to the release's binary, built from `git
# archive` in $WORK (removed on exit) unless .output/upgrade/COMMIT has
# it. Prints the reason and returns 1 when it cannot.
old_build() {
	local full src cache
	if ! full=$(git -C "$REPO_DIR" rev-parse -q --verify \
		"$OLD_RELEASE^{commit}" 2>/dev/null); then
		echo "commit $OLD_RELEASE (the release to upgrade from) is not in" \
			"the repository at $REPO_DIR: a shallow clone? run" \
			"'git fetch --unshallow'"
		return 1
	fi
	cache=$REPO_DIR/.output/upgrade/$full/canary-bpf
	OLD_BIN=$cache
	[ -x "$cache" ] && return 0
	src=$WORK/old-src
	mkdir -p "$src" "${cache%/*}" || return 1
	git -C "$REPO_DIR" archive "$full" | tar -x -C "$src" ||
		{ echo "git archive $full failed"; return 1; }
	# Not the caller's make flags: `make test` may run this script.
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$src" -j2 canary-bpf >"$WORK/old-build.log" 2>&1; then
		echo "make canary-bpf at $OLD_RELEASE failed: $(tail -n 3 "$WORK/old-build.log")"
		return 1
	fi
	cp "$src/canary-bpf" "$cache.$$" && mv "$cache.$$" "$cache" &&
		rm -rf "$src"
}

# cb_old ARGS...: the old release's CLI on our pin dir.
cb_old() { nsx "$NS_NODE" "$OLD_BIN" --pin-dir "$PIN_DIR" "$@"; }

# config_yaml: grace period 0, the node, prod-service (TCP) and prod-udp
# at 75/25, prod-six (IPv6, 75/25) and web (ports 80 and 8080, 50/50,
# the client's /24 pinned to v2).
config_yaml() {
	local e6="\"[${POD_IPS6[0]}]:5050\", \"[${POD_IPS6[1]}]:5050\", \"[${POD_IPS6[2]}]:5050\""
	cat <<-EOF
	grace_period: 0
	node: {address: 10.0.0.1, pod_cidr: 10.244.1.0/24, address6: "fd00:10::1", pod_cidr6: "fd00:244:1::/64", snat_ports: 21000-21999}
	services:
	EOF
	yaml_service prod-service tcp 75 25
	yaml_service prod-udp udp 75 25 5053
	cat <<-EOF
	  - name: prod-six
	    vip: "$VIP6"
	    port: $VPORT
	    versions:
	      - {name: v1, weight: 75, endpoints: [$e6]}
	      - {name: v2, weight: 25, endpoints: ["[${POD_IPS6[3]}]:5050"]}
	  - name: web
	    vip: $VIP_WEB
	    ports: [{port: 80, targetPort: 5050}, {port: 8080, targetPort: 5050}]
	    pins: [{cidr: 10.0.0.0/24, version: v2}]
	    versions:
	      - {name: v1, weight: 50, endpoints: [${POD_IPS[0]}, ${POD_IPS[1]}]}
	      - {name: v2, weight: 50, endpoints: [${POD_IPS[3]}]}
	EOF
}

# hold_bg NAME VIP COUNT: client.py hold with COUNT connections to
# VIP:VPORT in the background, talking through two FIFOs opened
# read-write (so no open blocks); hold_use NAME points HOLD at them.
hold_bg() {
	local name=$1 r w
	take_ports "$3" || return 1
	mkfifo "$WORK/$name.in" "$WORK/$name.out" || return 1
	exec {w}<>"$WORK/$name.in" {r}<>"$WORK/$name.out"
	ip netns exec "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" hold --vip "$2" \
		--port "$VPORT" --count "$3" --sport "$SPORT_AT" \
		<"$WORK/$name.in" >"$WORK/$name.out" &
	PIDS+=("$!")
	printf -v "H_$name" '%s %s' "$r" "$w"
}

hold_use() {
	local v="H_$1"
	read -r -a HOLD <<<"${!v}"
}

# hold_open_case NAME VIP: opens $HELD connections as hold NAME; PASS
# when all of them answered.
hold_open_case() {
	if hold_bg "$1" "$2" "$HELD" && hold_use "$1" &&
		hold_cmd "" "$1_open"; then
		check_share "$1_opened" "$1_open" "$HELD" 100 v1=75 v2=25
	else
		fail "$1_opened" "no answer from client.py hold"
	fi
}

# snapshot FILE: n0 as ip, tc and bpftool show it (see test_detach.sh).
snapshot() {
	{
		nsx "$NS_NODE" ip -d link show n0
		nsx "$NS_NODE" tc filter show dev n0 ingress
		nsx "$NS_NODE" tc filter show dev n0 egress
		nsx "$NS_NODE" tc qdisc show dev n0
		nsx "$NS_NODE" bpftool net show dev n0
	} >"$1" 2>&1
}

# xdp_prog: the id of the XDP program on n0.
xdp_prog() {
	ip -n "$NS_NODE" -j -d link show n0 | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0].get("xdp", {}).get("prog", {}).get("id", 0))'
}

# stream_start: client.py stream to prod-udp in the background.
stream_start() {
	take_ports "$FLOWS" || return 1
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" stream --vip "$VIP" \
		--port "$VPORT" --sport "$SPORT_AT" --rate "$RATE" \
		--seconds "$SECONDS_UDP" --flows "$FLOWS" --timeout 3 \
		>"$WORK/stream.json" &
	STREAM_PID=$!
	PIDS+=("$STREAM_PID")
}

# stream_case: every datagram came back from VIP:port, no flow moved.
stream_case() {
	local res
	wait "$STREAM_PID"
	if res=$("$PY" -c '
import json, sys
r = json.load(sys.stdin)
print(json.dumps(r))
sys.exit(0 if r["sent"] >= int(sys.argv[1]) * 0.99 and r["lost"] == 0
         and r["send_errors"] == 0 and r["bad_source"] == 0
         and r["flows_moved"] == 0 else 1)' "$((RATE * SECONDS_UDP))" \
		<"$WORK/stream.json" 2>&1); then
		pass udp_stream_lost_nothing
		info "udp_stream_lost_nothing: $res"
	else
		fail udp_stream_lost_nothing "$res"
	fi
}

# held_flows_case NAME IDLE: `flows list` has every held connection of
# both families (by VIP and client port), TCP, open, not expired, to the
# endpoint of the pod it first reached (client.py's first_pods); IDLE
# "unknown": no idle time (an old entry's stamp 0), "known": at most 10 s.
held_flows_case() {
	local res i pods=()
	for i in "${!PODS[@]}"; do
		pods+=("${PODS[$i]}=${POD_IPS[$i]}=${POD_IPS6[$i]}")
	done
	if ! cb -j flows list --limit 0 >"$WORK/$1.json" 2>&1; then
		fail "$1" "flows list failed: $(head -c 200 "$WORK/$1.json")"
	elif res=$("$PY" - "$2" "$WORK/$1.json" "$VIP" "$WORK/h4_open.json" \
		"$VIP6" "$WORK/h6_open.json" "${pods[@]}" 2>&1 <<'PY'
import json, sys
idle, flows, v4, h4, v6, h6 = sys.argv[1:7]
ip = {}
for p in sys.argv[7:]:
    name, a4, a6 = p.split("=")
    ip[v4, name], ip[v6, name] = a4, a6
want = {}
for vip, f in ((v4, h4), (v6, h6)):
    for port, pod in json.load(open(f))["first_pods"].items():
        want[vip, int(port)] = ip[vip, pod]
rows = {(r["vip"], r["client_port"]): r for r in json.load(open(flows))["flows"]
        if r["protocol"] == "tcp" and r["port"] == 5000}
bad = []
for k in sorted(want):
    r = rows.get(k)
    if r is None:
        bad.append("%s:%d missing" % k)
    elif r["endpoint"] != want[k]:
        bad.append("%s:%d to %s, first reached %s" % (k + (r["endpoint"], want[k])))
    elif r["state"] != "open" or r["expired"]:
        bad.append("%s:%d %s expired=%s" % (k + (r["state"], r["expired"])))
    elif (r["idle_s"] is not None) if idle == "unknown" else \
            (r["idle_s"] is None or not 0 <= r["idle_s"] <= 10):
        bad.append("%s:%d idle_s %s" % (k + (r["idle_s"],)))
print("%d held flows open to their first pod, idle %s" % (len(want), idle)
      if not bad else "%d of %d bad: %s" % (len(bad), len(want), "; ".join(bad[:4])))
sys.exit(1 if bad or not want else 0)
PY
	); then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "$res"
	fi
}
# status_kept_case: the new build's `status -j` has every key of the old
# one's services (but counters), pins and node section with the same
# values, and every counter, node-wide and per version, at least as high.
# No flow starts between the two looks, so the measured shares (derived
# from the flow counts) must match exactly too.
status_kept_case() {
	local res
	if ! cb -j status >"$WORK/status_after.json" 2>&1; then
		fail status_carried "status failed: $(head -c 200 "$WORK/status_after.json")"
	elif res=$("$PY" - "$WORK/status_before.json" "$WORK/status_after.json" \
		2>&1 <<'PY'
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
COUNTERS = ("packets", "bytes", "flows")
bad = []
def same(path, old, new):
    """Every key of old in new with its value; counters not lower."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            bad.append("%s: %r -> %r" % (path, old, new))
            return
        for k, v in old.items():
            if k not in new:
                bad.append("%s.%s gone" % (path, k))
            elif k in COUNTERS or path.endswith("counters"):
                if new[k] < v:
                    bad.append("%s.%s %s -> %s" % (path, k, v, new[k]))
            else:
                same(path + "." + k, v, new[k])
    elif isinstance(old, list) and old and isinstance(old[0], dict):
        if len(old) != len(new):
            bad.append("%s: %d entries -> %d" % (path, len(old), len(new)))
            return
        for i, (o, n) in enumerate(zip(old, new)):
            same("%s[%s]" % (path, o.get("name", i)), o, n)
    elif old != new:
        bad.append("%s: %r -> %r" % (path, old, new))
names = lambda s: sorted(x["name"] for x in s["services"])
if names(b) != names(a):
    bad.append("services %s -> %s" % (names(b), names(a)))
key = lambda s: s["name"]
same("services", sorted(b["services"], key=key),
     sorted(a["services"], key=key))
same("node", b["node"], a["node"])
same("counters", b["counters"], a["counters"])
print("%d services, node section and counters kept: %s" % (
    len(b["services"]), json.dumps(a["counters"])) if not bad
    else "; ".join(bad[:5]))
sys.exit(1 if bad else 0)
PY
	); then
		pass status_carried
		info "status_carried: $res"
	else
		fail status_carried "$res"
	fi
}

# burst_to NAME VIP PORT N: N fresh connections to VIP:PORT.
burst_to() {
	traffic burst "$1" "$4" --vip "$2" --port "$3" ||
		fail "$1" "client.py burst failed"
}

# pods_case NAME OUT N: every pod answered at least a tenth of the N
# connections in $WORK/OUT.json (each endpoint is in its version's table).
pods_case() {
	local res
	if res=$("$PY" - "$3" "$WORK/$2.json" "${PODS[@]}" 2>&1 <<'PY'
import json, sys
n, pods = int(sys.argv[1]), json.load(open(sys.argv[2]))["pods"]
low = [p for p in sys.argv[3:] if pods.get(p, 0) < n // 10]
print(json.dumps(pods) if not low else "too few for %s: %s" % (low, pods))
sys.exit(1 if low else 0)
PY
	); then
		pass "$1"
		info "$1: $res"
	else
		fail "$1" "$res"
	fi
}

e2e_init
need_cli
t0=$SECONDS
if old_build >"$WORK/old_build.msg"; then
	pass old_release_built
	info "old_release_built: $OLD_RELEASE, ${OLD_BIN#"$REPO_DIR"/} ($((SECONDS - t0)) s)"
else
	bail "old_release_built: $(cat "$WORK/old_build.msg")"
fi
{ topo_up && topo_v6; } || bail "topology setup failed"
pod_start || bail "pod servers did not start"
snapshot "$WORK/n0_before"

# The old release: attach, config, held connections, a stream.
CANARY_BIN=$OLD_BIN attach_case old_attach native
config_yaml >"$WORK/cfg.yaml"
expect old_apply cb_old apply -f "$WORK/cfg.yaml"
hold_open_case h4 "$VIP"
hold_open_case h6 "$VIP6"
burst_to old_web_pinned "$VIP_WEB" 80 100 &&
	check_share old_web_pinned old_web_pinned 100 0 v1=0 v2=100
stream_start || bail "client.py stream did not start"
sleep 2
cb_old -j status >"$WORK/status_before.json" 2>&1 ||
	fail old_status "$(head -c 200 "$WORK/status_before.json")"
prog_old=$(xdp_prog)

# The upgrade, mid-stream.
attach_case upgrade_attach native
prog_new=$(xdp_prog)
if [ "$prog_old" != 0 ] && [ "$prog_new" != 0 ] && [ "$prog_old" != "$prog_new" ]; then
	pass programs_replaced_in_place
	info "programs_replaced_in_place: XDP program $prog_old -> $prog_new"
else
	fail programs_replaced_in_place "XDP program $prog_old -> $prog_new"
fi
if kill -0 "$STREAM_PID" 2>/dev/null; then
	pass upgrade_during_stream
else
	fail upgrade_during_stream "the stream ended before the upgrade"
fi
held_flows_case carried_flows_listed_unstamped unknown
hold_use h4
held_case held_ipv4_keep_pod "$HELD"
hold_use h6
held_case held_ipv6_keep_pod "$HELD"
held_flows_case carried_flows_stamped known
stream_case
status_kept_case

# The carried config on this build: splits, pin, set-weight.
split_case new_ipv4_split_75_25 1000 4 v1=75 v2=25
burst_to new_ipv6_split_75_25 "$VIP6" "$VPORT" 1000 &&
	check_share new_ipv6_split_75_25 new_ipv6_split_75_25 1000 4 v1=75 v2=25
burst_to web_pin_kept "$VIP_WEB" 8080 100 &&
	check_share web_pin_kept web_pin_kept 100 0 v1=0 v2=100
expect set_weight_ipv4_v2_100 cb set-weight prod-service v2=100
expect set_weight_ipv6_v2_100 cb set-weight prod-six v2=100
split_case new_ipv4_all_v2 200 0 v1=0 v2=100
hold_use h4
held_case held_ipv4_keep_pod_after_set_weight "$HELD"
hold_use h6
held_case held_ipv6_keep_pod_after_set_weight "$HELD"
held_flows_case held_flows_not_expired known
# A change after the upgrade: this build writes the versions' tables
# that the old release left.
expect set_weight_ipv4_50_50 cb set-weight prod-service v2=50
expect set_weight_ipv6_50_50 cb set-weight prod-six v2=50
split_case ipv4_split_50_50_after_change 1000 5 v1=50 v2=50
pods_case ipv4_every_pod_after_change ipv4_split_50_50_after_change 1000
burst_to ipv6_split_50_50_after_change "$VIP6" "$VPORT" 1000 &&
	check_share ipv6_split_50_50_after_change \
		ipv6_split_50_50_after_change 1000 5 v1=50 v2=50
pods_case ipv6_every_pod_after_change ipv6_split_50_50_after_change 1000
for h in h4 h6; do hold_use "$h"; hold_quit; done

expect detach cb detach n0
snapshot "$WORK/n0_after"
if d=$(diff "$WORK/n0_before" "$WORK/n0_after"); then
	pass detach_leaves_n0_as_found
else
	fail detach_leaves_n0_as_found "$(printf '%s\n' "$d" | grep '^[<>]' | head -n 2)"
fi
finish
