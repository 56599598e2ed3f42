# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An apply -f file of n services x 2 versions (90 % and 10 %) x eps
# endpoints each, every address distinct, for the control-plane benches
# (bench/ctl.sh, bench/scale.sh):
#
#   awk -v n=N -v eps=E -f bench/gen_yaml.awk
#
# Service s: svc-s, VIP 10.(96 + s / 62500).(s / 250 % 250).(s % 250 + 1)
# port 80; endpoint e of version v: the (s * 2 * eps + (v - 1) * eps + e)th
# address from 10.128.0.0, port 8080.
BEGIN {
	print "services:"
	for (s = 0; s < n; s++) {
		printf "  - name: svc-%d\n    vip: 10.%d.%d.%d\n    port: 80\n", s,
		       96 + int(s / 62500), int(s / 250) % 250, s % 250 + 1
		print "    protocol: tcp\n    versions:"
		for (v = 1; v <= 2; v++) {
			printf "      - name: v%d\n        weight: %d\n        endpoints: [",
			       v, v == 1 ? 90 : 10
			for (e = 0; e < eps; e++) {
				i = s * 2 * eps + (v - 1) * eps + e
				printf "%s10.%d.%d.%d:8080", e ? ", " : "",
				       128 + int(i / 65536), int(i / 256) % 256, i % 256
			}
			print "]"
		}
	}
}
