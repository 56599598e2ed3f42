#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An in-place upgrade across map renames: a pin dir as older releases
# left it (canary_meta with 352-byte entries, Maglev chunks in
# canary_ring, canary_node with IPv4 fields only, canary_flow6 without
# snat_port, canary_svc and canary_svc6 with an entry per generation,
# canary_flow and canary_flow6_v2 without the handshake, canary_hs and
# canary_hs6; made here from the running maps with bpftool, the new names
# unpinned) is taken over by a re-attach of this build, which carries them
# into canary_meta_v3, canary_ring_v2, canary_node_v2, canary_flow_v3,
# canary_flow6_v3, canary_svc_v2 and canary_svc6_v2 (canary_hs and
# canary_hs6 are unpinned, their handshakes dropped). Three upgrades in
# turn, each from the release that had those maps: held IPv6 connections
# keep their pods through a weight change after it (no grace period:
# only their carried flow entries keep them) and the node section
# survives; then held IPv4 connections keep their pods, the config and
# its weights survive, new connections split as before through the old
# Maglev tables (an older release gave every version one; this build
# none up to 16 endpoints), and set-weight works on the carried config,
# after which the split holds by rendezvous; then held IPv4 connections
# keep their pods through a weight change with their flow entries
# carried from canary_flow, and connection health goes on counting.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# old_layout MAP...: older releases' pins of the MAPs named (canary_meta,
# canary_ring: before IPv6; canary_node, canary_flow6: before IPv6 SNAT;
# canary_svc, canary_svc6: before per-service slots; canary_flow,
# canary_flow6_v2, canary_hs, canary_hs6: before handshakes in flow
# entries), filled from their running successors, which are unpinned
# (canary_hs and canary_hs6: one made-up handshake each). Prints the
# number of entries copied per map.
old_layout() {
	"$PY" - "$PIN_DIR" "$@" <<'PY' || return 1
import json, subprocess, sys
pin, maps = sys.argv[1], sys.argv[2:]
def bt(*a):
    return subprocess.run(["bpftool", "-j"] + list(a), check=True,
                          capture_output=True, text=True).stdout
def hexs(b):
    return [format(x, "02x") for x in b]
def key32(i):
    return hexs(i.to_bytes(4, "little"))
def meta():
    bt("map", "create", pin + "/canary_meta", "type", "array", "key", "4",
       "value", "352", "entries", str(16384 * 3), "name", "canary_meta")
    n = 0
    for e in json.loads(bt("map", "dump", "pinned", pin + "/canary_meta_v3")):
        bt("map", "update", "pinned", pin + "/canary_meta", "key", "hex",
           *[x[2:] for x in e["key"]], "value", "hex",
           *[x[2:] for x in e["value"][:352]])
        n += 1
    return n
def copy_hash(name, kind, key, value, size, src=None, flags_at=None):
    # flags_at: the flags byte of a flow value, whose handshake bits
    # (CANARY_FLOW_HS_MASK) no older release set
    bt("map", "create", pin + "/" + name, "type", kind, "key", str(key),
       "value", str(size), "entries", "262144" if kind == "hash" else "65536",
       *(["flags", "1"] if kind == "hash" else []), "name", name)
    n = 0
    for e in json.loads(bt("map", "dump", "pinned", pin + "/" + (src or name + "_v2"))):
        v = [int(x, 16) for x in e["value"][:size]]
        if flags_at is not None:
            v[flags_at] &= ~0x0c
        bt("map", "update", "pinned", pin + "/" + name, "key", "hex",
           *[x[2:] for x in e["key"]], "value", "hex", *hexs(v))
        n += 1
    return n
def node():
    bt("map", "create", pin + "/canary_node", "type", "array", "key", "4",
       "value", "16", "entries", "1", "name", "canary_node")
    v = json.loads(bt("map", "lookup", "pinned", pin + "/canary_node_v2",
                      "key", "hex", *key32(0)))["value"]
    bt("map", "update", "pinned", pin + "/canary_node", "key", "hex",
       *key32(0), "value", "hex", *[x[2:] for x in v[:16]])
    return 1
def hs(name, key):
    bt("map", "create", pin + "/" + name, "type", "lru_hash", "key", str(key),
       "value", "16", "entries", "65536", "name", name)
    bt("map", "update", "pinned", pin + "/" + name, "key", "hex",
       *(["0a"] * key), "value", "hex", *(["01"] * 16))
    return 1
def svc(name, key):
    # one entry per generation the service has (live, and previous while
    # in grace), the generation in the key's last byte; the live slots
    # must be the generation canary_gen names active, as an older
    # release kept them
    active = json.loads(bt("map", "dump", "pinned", pin + "/canary_gen"))[0]["formatted"]["value"]["active"]
    bt("map", "create", pin + "/" + name, "type", "hash", "key", str(key),
       "value", "16", "entries", str(16384 * 3), "name", name)
    n = 0
    for e in json.loads(bt("map", "dump", "pinned", pin + "/" + name + "_v2")):
        k = [x[2:] for x in e["key"]]
        v = [x[2:] for x in e["value"]]
        slot, prev = int(v[32], 16), int(v[33], 16)
        if slot != active:
            raise SystemExit(f"{name}: live slot {slot}, canary_gen active {active}")
        bt("map", "update", "pinned", pin + "/" + name, "key", "hex",
           *k[:-1], format(slot, "02x"), "value", "hex", *v[:16])
        n += 1
        if prev != slot:
            bt("map", "update", "pinned", pin + "/" + name, "key", "hex",
               *k[:-1], format(prev, "02x"), "value", "hex", *v[16:32])
    return n
def ring():
    # as the release before IPv6 wrote them: every version with endpoints
    # taking new flows has a table (this build gives versions of up to
    # 16 none): one 4,093-slot chunk naming them in turn, its size in
    # the canary_ver entry
    n = copy_hash("canary_ring", "hash", 8, 4096, 4096)
    for e in json.loads(bt("map", "dump", "pinned", pin + "/canary_ver")):
        k, v = [x[2:] for x in e["key"]], [int(x, 16) for x in e["value"]]
        n_ep, n_act = v[0] | v[1] << 8, v[2] | v[3] << 8
        if not n_act or any(v[4:8]):
            continue
        act = [i for i in range(n_ep) if not v[8 + 8 * i + 6] & 1]
        chunk = [act[s % len(act)] if s < 4093 else 0 for s in range(4096)]
        bt("map", "update", "pinned", pin + "/canary_ring", "key", "hex",
           *k[:6], "00", "00", "value", "hex", *hexs(chunk))
        v[4:8] = list((4093).to_bytes(4, "little"))
        bt("map", "update", "pinned", pin + "/canary_ver", "key", "hex",
           *k, "value", "hex", *hexs(v))
        n += 1
    return n
make = {"canary_meta": meta, "canary_node": node,
        "canary_svc": lambda: svc("canary_svc", 8),
        "canary_svc6": lambda: svc("canary_svc6", 20),
        "canary_ring": ring,
        "canary_flow": lambda: copy_hash("canary_flow", "lru_hash", 16, 24, 16,
                                         "canary_flow_v3", 7),
        "canary_flow6": lambda: copy_hash("canary_flow6", "lru_hash", 40, 32, 24,
                                          "canary_flow6_v3", 19),
        "canary_flow6_v2": lambda: copy_hash("canary_flow6_v2", "lru_hash", 40,
                                             32, 28, "canary_flow6_v3", 19),
        "canary_hs": lambda: hs("canary_hs", 16),
        "canary_hs6": lambda: hs("canary_hs6", 40)}
succ = {"canary_meta": "canary_meta_v3", "canary_flow": "canary_flow_v3",
        "canary_flow6": "canary_flow6_v3", "canary_flow6_v2": "canary_flow6_v3"}
counts = [str(make[m]()) for m in maps]
for m in set(succ.get(m, m + "_v2") for m in maps if not m.startswith("canary_hs")):
    subprocess.run(["rm", pin + "/" + m], check=True)
print(" ".join(counts))
PY
}

VIP6=2001:db8::10
# upgrade.yaml: the seed service, its IPv6 twin at 75/25, this node, and
# no grace period.
upgrade_yaml() {
	local eps="\"[${POD_IPS6[0]}]:5050\", \"[${POD_IPS6[1]}]:5050\", \"[${POD_IPS6[2]}]:5050\""
	cat <<-EOF
	grace_period: 0
	node: {address: 10.0.0.1, pod_cidr: 10.244.1.0/24, snat_ports: 21000-21999}
	services:
	EOF
	yaml_service prod-service tcp 75 25
	cat <<-EOF
	  - name: prod-six
	    vip: "$VIP6"
	    port: $VPORT
	    versions:
	      - {name: v1, weight: 75, endpoints: [$eps]}
	      - {name: v2, weight: 25, endpoints: ["[${POD_IPS6[3]}]:5050"]}
	EOF
}

# node_section: "address pod_cidr address6 ports" from -j status.
node_section() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
n = json.load(sys.stdin)["node"] or {}
print(n.get("address"), n.get("pod_cidr"), n.get("address6"),
      "%s-%s" % (n.get("snat_port_min"), n.get("snat_port_max")))'
}

# old_pins_case NAME MAP...: the MAPs' old pins are gone, their
# successors (canary_meta_v3, canary_flow_v3, canary_flow6_v3, the
# others' _v2; canary_hs and canary_hs6 have none) there.
old_pins_case() {
	local name=$1 m s bad=""
	shift
	for m in "$@"; do
		[ -e "$PIN_DIR/$m" ] && bad+=" $m"
		case $m in
		canary_meta) s=canary_meta_v3 ;;
		canary_flow) s=canary_flow_v3 ;;
		canary_flow6*) s=canary_flow6_v3 ;;
		canary_hs*) s=canary_flow_v3 ;;
		*) s=${m}_v2 ;;
		esac
		[ -e "$PIN_DIR/$s" ] || bad+=" no $s"
	done
	[ -z "$bad" ] && pass "$name" || fail "$name" "$bad"
}

# flow_count MAP: the entries in the pinned flow table MAP.
flow_count() {
	nsx "$NS_NODE" bpftool -j map dump pinned "$PIN_DIR/$1" |
		"$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# health_new_conns: new connections of prod-service, all versions, from -j status.
health_new_conns() {
	cb -j status 2>/dev/null | "$PY" -c '
import json, sys
s = [s for s in json.load(sys.stdin)["services"] if s["name"] == "prod-service"][0]
print(sum(v["new_connections"] for v in s["versions"]))'
}

reattach_case() {
	expect "$1" cb attach "$(attach_args native | head -1)" \
		$(attach_args native | tail -n +2)
}

e2e_setup
topo_v6 || bail "IPv6 topology setup failed"
attach_case attach_native native

# From the release before IPv6 SNAT: canary_node and canary_flow6.
upgrade_yaml >"$WORK/six.yaml"
expect apply_dual_stack cb apply -f "$WORK/six.yaml"
VIP=$VIP6 hold_start 50
hold_cmd "" hold_open6 || fail hold_open6 "no answer from client.py hold"
if counts=$(old_layout canary_node canary_flow6 canary_svc canary_svc6 2>&1) &&
	read -r _ flows6 n4 n6 <<<"$counts" && [ "$flows6" -ge 50 ] &&
	[ "$n4" = 1 ] && [ "$n6" = 1 ]; then
	pass old_node_and_flow6_pinned
	info "old_node_and_flow6_pinned: $flows6 canary_flow6 entries"
else
	fail old_node_and_flow6_pinned "${counts:-}"
fi
reattach_case reattach_carries_node_and_flow6
old_pins_case old_node_and_flow6_pins_removed canary_node canary_flow6 \
	canary_svc canary_svc6
res=$(flow_count canary_flow6_v3)
[ "${res:-0}" -ge 50 ] && pass ipv6_flows_carried ||
	fail ipv6_flows_carried "canary_flow6_v3 holds '$res' entries"
res=$(node_section)
[ "$res" = "10.0.0.1 10.244.1.0/24 None 21000-21999" ] &&
	pass node_section_carried || fail node_section_carried "$res"
expect set_weight_six_v2_100 cb set-weight prod-six v2=100
held_case held_ipv6_connections_keep_pod 50
hold_quit
wait "$HOLD_PID" 2>/dev/null

# From the release before IPv6: canary_meta, canary_ring (and canary_node).
write_yaml "$WORK/seed.yaml" 75 25
expect apply_seed cb apply -f "$WORK/seed.yaml"
hold_start 50
hold_cmd "" hold_open || fail hold_open "no answer from client.py hold"
if counts=$(old_layout canary_meta canary_ring canary_node canary_svc 2>&1) &&
	read -r _ chunks _ n4 <<<"$counts" && [ "$chunks" -gt 0 ] && [ "$n4" = 1 ]; then
	pass old_layout_pinned
	info "old_layout_pinned: canary_meta, canary_node, $chunks canary_ring chunks"
else
	fail old_layout_pinned "${counts:-}"
fi
reattach_case reattach_carries_maps_over
old_pins_case old_pins_removed canary_meta canary_ring canary_node canary_svc
status_case config_and_weights_kept prod-service v1=75 v2=25
held_case held_connections_keep_pod 50
split_case new_connections_split_75_25 1000 4 v1=75 v2=25
expect set_weight_after_upgrade cb set-weight prod-service v2=50
split_case split_50_50_after_set_weight 1000 4 v1=50 v2=50
hold_quit
wait "$HOLD_PID" 2>/dev/null

# From the release before handshakes in flow entries: canary_flow,
# canary_flow6_v2, canary_hs and canary_hs6. No grace period: only the
# carried flow entries keep the held connections on their pods.
expect apply_for_flow_v3 cb apply -f "$WORK/six.yaml"
hold_start 50
hold_cmd "" hold_open_flow || fail hold_open_flow "no answer from client.py hold"
if counts=$(old_layout canary_flow canary_flow6_v2 canary_hs canary_hs6 2>&1) &&
	read -r flows4 _ _ _ <<<"$counts" && [ "$flows4" -ge 50 ]; then
	pass old_flow_and_hs_pinned
	info "old_flow_and_hs_pinned: $flows4 canary_flow entries"
else
	fail old_flow_and_hs_pinned "${counts:-}"
fi
reattach_case reattach_carries_flow_and_hs
old_pins_case old_flow_and_hs_pins_removed canary_flow canary_flow6_v2 \
	canary_hs canary_hs6
res=$(flow_count canary_flow_v3)
[ "${res:-0}" -ge 50 ] && pass ipv4_flows_carried ||
	fail ipv4_flows_carried "canary_flow_v3 holds '$res' entries"
expect set_weight_v2_100_after_flow_v3 cb set-weight prod-service v2=100
held_case held_ipv4_keep_pod_after_flow_v3 50
before=$(health_new_conns)
split_case all_v2_after_flow_v3 200 0 v1=0 v2=100
after=$(health_new_conns)
[ -n "$before" ] && [ -n "$after" ] && [ "$((after - before))" -ge 200 ] &&
	pass health_counts_after_flow_v3 ||
	fail health_counts_after_flow_v3 "new_conns $before -> $after"
hold_quit
finish
