#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A service with two ports (80 and 8080, both served by the pods' 5050),
# beside the seed service on port 5000 of the same VIP: real connections
# to each port reach the pods and get their answers from VIP:port.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# burst_port NAME PORT N: N connections to VIP:PORT into $WORK/NAME.json.
burst_port() {
	take_ports "$3" || return 1
	nsx "$NS_CLIENT" "$PY" "$E2E_DIR/client.py" burst --vip "$VIP" \
		--port "$2" -n "$3" --sport "$SPORT_AT" >"$WORK/$1.json"
}

e2e_setup
write_yaml "$WORK/seed.yaml" 75 25
cat >>"$WORK/seed.yaml" <<YAML
  - name: web
    vip: $VIP
    ports: [{port: 80, targetPort: 5050}, {port: 8080, targetPort: 5050}]
    versions:
      - {name: v1, weight: 50, endpoints: [10.244.1.11, 10.244.1.12]}
      - {name: v2, weight: 50, endpoints: [10.244.1.21]}
YAML
attach_case attach_native native
expect apply_two_services cb apply -f "$WORK/seed.yaml"
for port in 80 8080; do
	if burst_port "web$port" "$port" 1000; then
		check_share "web_port_$port" "web$port" 1000 5 v1=50 v2=50
	else
		fail "web_port_$port" "client.py burst failed"
	fi
done
split_case seed_port_5000_beside 1000 4 v1=75 v2=25
finish
