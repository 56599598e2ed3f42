#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# ICMP errors through the VIP: a UDP service whose pods have nothing on the
# target port answers with ICMP port unreachable from the pod; canary-bpf
# translates it back (outer source and quoted destination become the VIP),
# so the client's connected socket sees ECONNREFUSED at once instead of a
# silent timeout.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
attach_case attach_native native
expect add_dead_udp cb service add dead-udp --vip "$VIP:5001/udp" --versions v1
expect dead_udp_endpoints cb endpoints set dead-udp v1 \
	10.244.1.11:5999 10.244.1.12:5999
# The node must send ICMP itself at its normal rate: allow a burst.
nsx "$NS_NODE" sysctl -qw net.ipv4.icmp_ratelimit=0
for pod in 0 1; do nsx "$(pod_ns "$pod")" sysctl -qw net.ipv4.icmp_ratelimit=0; done

unreachable_case port_unreachable_reaches_client "$VIP" 5001
counter_case icmp_counted "c['icmp'] >= 20"
finish
