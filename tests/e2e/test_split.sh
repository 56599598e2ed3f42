#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The seed's split, set by weight instead of replica count: 75/25 over the
# 3+1 pods, then 90/10, each measured over 5000 fresh connections (native
# XDP, redirecting to the pod veths). A connection only completes when the
# replies carry the VIP as source, so zero errors also checks the tc side.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
write_yaml "$WORK/seed.yaml" 75 25
attach_case attach_native native
expect apply_seed cb apply -f "$WORK/seed.yaml"
split_case split_75_25 5000 2 v1=75 v2=25
# Native XDP with --redirect-dev: translated packets leave by XDP_REDIRECT,
# not through the kernel (only a flow's first packets may, before the
# node has resolved the pod's neighbour entry).
counter_case xdp_redirect_fast_path \
	"c['translated'] > 0 and c['redirected'] >= 0.9 * c['translated']"
expect set_weight_v2_10 cb set-weight prod-service v2=10
split_case split_90_10 5000 2 v1=90 v2=10
status_case status_json prod-service v1=90 v2=10
finish
