#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The split in every attach mode: generic XDP (redirecting to the pod
# veths), tc, and native XDP without --redirect-dev (the kernel forwards).
# 2000 fresh connections each, within 3 points of 75/25.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# mode_case LABEL MODE [--no-redirect]: attach, split, status, detach.
mode_case() {
	attach_case "attach_$1" "$2" "${3:-}"
	[ "$1" = generic ] && expect apply_seed cb apply -f "$WORK/seed.yaml"
	split_case "split_$1" 2000 3 v1=75 v2=25
	STATUS_MODE=$2 status_case "status_$1" prod-service v1=75 v2=25
	expect "detach_$1" cb detach n0
}

e2e_setup
write_yaml "$WORK/seed.yaml" 75 25
mode_case generic generic
mode_case tc tc --no-redirect
counter_snap before_listed
mode_case native_listed native --listed
# --fast-path listed and no --redirect-dev: the kernel forwards all.
counter_case native_listed_uses_kernel_path \
	"c['redirected'] == 0 and c['fib_fallback'] >= c['translated'] > 0" \
	before_listed
counter_snap before_default
mode_case native_default native --no-redirect
# The README's "attach n0": the pods' veths take XDP frames (GRO on in
# every pod), so the automatic fast path redirects to them (a flow's
# first packet may wait for the neighbour: the kernel's path).
counter_case native_default_redirects \
	"c['translated'] > 0 and c['redirected'] >= 0.95 * c['translated']" \
	before_default
finish
