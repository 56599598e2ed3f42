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

if res=$(nsx "$NS_CLIENT" "$PY" - "$VIP" <<'PY'
import socket, sys
refused = 0
for i in range(20):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((sys.argv[1], 5001))
    try:
        s.send(b"ping")
        s.recv(100)
    except ConnectionRefusedError:
        refused += 1
    except socket.timeout:
        pass
    s.close()
print(refused)
sys.exit(0 if refused == 20 else 1)
PY
); then
	pass port_unreachable_reaches_client
else
	fail port_unreachable_reaches_client "ECONNREFUSED on $res of 20 sockets"
fi
counter_case icmp_counted "c['icmp'] >= 20"
finish
