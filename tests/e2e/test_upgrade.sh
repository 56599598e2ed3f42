#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An in-place upgrade across a map rename: a pin dir as the release before
# IPv6 left it (canary_meta with 352-byte entries, Maglev chunks in
# canary_ring; made here from the running maps with bpftool, the new
# names unpinned) is taken over by a re-attach of this build, which
# carries both maps into canary_meta_v2 and canary_ring_v2. Held
# connections keep their pods, the config and its weights survive, new
# connections split as before, and set-weight works on the carried config.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# old_layout: the pre-IPv6 pins, filled from the running v2 maps.
old_layout() {
	"$PY" - "$PIN_DIR" <<'PY'
import json, subprocess, sys
pin = sys.argv[1]
def bt(*a):
    return subprocess.run(["bpftool", "-j"] + list(a), check=True,
                          capture_output=True, text=True).stdout
def hexs(b):
    return [format(x, "02x") for x in b]
def key32(i):
    return hexs(i.to_bytes(4, "little"))
bt("map", "create", pin + "/canary_meta", "type", "array", "key", "4",
   "value", "352", "entries", str(16384 * 3), "name", "canary_meta")
for gen in range(3):
    k = gen * 16384  # service id 0 in each generation
    v = json.loads(bt("map", "lookup", "pinned", pin + "/canary_meta_v2",
                      "key", "hex", *key32(k)))["value"]
    raw = bytes(int(x, 16) for x in v)
    bt("map", "update", "pinned", pin + "/canary_meta", "key", "hex",
       *key32(k), "value", "hex", *hexs(raw[:352]))
bt("map", "create", pin + "/canary_ring", "type", "hash", "key", "8",
   "value", "4096", "entries", "262144", "flags", "1", "name", "canary_ring")
n = 0
for e in json.loads(bt("map", "dump", "pinned", pin + "/canary_ring_v2")):
    bt("map", "update", "pinned", pin + "/canary_ring", "key", "hex",
       *[x[2:] for x in e["key"]], "value", "hex", *[x[2:] for x in e["value"]])
    n += 1
print(n)
PY
}

e2e_setup
attach_case attach_native native
write_yaml "$WORK/seed.yaml" 75 25
expect apply_seed cb apply -f "$WORK/seed.yaml"
hold_start 50
hold_cmd "" hold_open || fail hold_open "no answer from client.py hold"

if chunks=$(old_layout 2>&1) && [ "$chunks" -gt 0 ] &&
	rm "$PIN_DIR/canary_meta_v2" "$PIN_DIR/canary_ring_v2"; then
	pass old_layout_pinned
	info "old_layout_pinned: canary_meta and $chunks canary_ring chunks"
else
	fail old_layout_pinned "${chunks:-}"
fi
expect reattach_carries_maps_over cb attach "$(attach_args native | head -1)" \
	$(attach_args native | tail -n +2)
if [ ! -e "$PIN_DIR/canary_meta" ] && [ ! -e "$PIN_DIR/canary_ring" ] &&
	[ -e "$PIN_DIR/canary_meta_v2" ] && [ -e "$PIN_DIR/canary_ring_v2" ]; then
	pass old_pins_removed
else
	fail old_pins_removed "$(ls "$PIN_DIR" | tr '\n' ' ')"
fi
status_case config_and_weights_kept prod-service v1=75 v2=25
held_case held_connections_keep_pod 50
split_case new_connections_split_75_25 1000 4 v1=75 v2=25
expect set_weight_after_upgrade cb set-weight prod-service v2=50
split_case split_50_50_after_set_weight 1000 4 v1=50 v2=50
hold_quit
finish
