#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Any L4 protocol, not just HTTP: a UDP service on the same VIP:port as the
# TCP one. Replies must come back from VIP:5000 (client.py counts any other
# recvfrom source as an error) and 2000 datagrams from fresh sockets split
# 50/50 within 5 points; the TCP service beside it keeps its own 75/25.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
{
	echo "services:"
	yaml_service prod-service tcp 75 25
	yaml_service prod-udp udp 50 50 5053
} >"$WORK/udp.yaml"
attach_case attach_native native
expect apply_tcp_and_udp cb apply -f "$WORK/udp.yaml"
if traffic udp udp 2000 --timeout 1 --deadline 60; then
	# A tolerance of 100 points checks only the count and zero errors.
	check_share udp_replies_from_vip udp 2000 100 v1=50 v2=50
	check_share udp_split_50_50 udp 2000 5 v1=50 v2=50
else
	fail udp_replies_from_vip "client.py udp failed"
fi
split_case tcp_beside_udp 1000 4 v1=75 v2=25
status_case status_udp prod-udp v1=50 v2=50
finish
