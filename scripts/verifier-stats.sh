#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# What the verifier says about each program of the data plane: processed
# instructions, total and peak states (the stats line of log level 4),
# verified_insns, xlated and jited bytes. Loads the object in a private
# mount namespace with its own bpffs, so its pinned maps touch nothing
# else, and attaches nothing. Needs root.
#
#   scripts/verifier-stats.sh [OBJECT...]   (default .output/canary.bpf.o)
#
# Given two objects (say main's and a branch's), prints both tables and
# one of "before -> after" per program.
set -eu
cd "$(dirname "$0")/.." || exit 1

tool=.output/verifier-stats
if [ ! -x "$tool" ] || [ scripts/verifier-stats.c -nt "$tool" ]; then
	mkdir -p .output
	${CC:-cc} -g -O2 -Wall -Werror scripts/verifier-stats.c -lbpf -o "$tool"
fi
[ $# -gt 0 ] || set -- .output/canary.bpf.o

# stats OBJECT: the table for one object.
stats() {
	unshare -m sh -c 'mount -t bpf bpf /sys/fs/bpf && mkdir /sys/fs/bpf/s &&
		exec "$0" "$1" /sys/fs/bpf/s' "$(realpath "$tool")" "$(realpath "$1")"
}

tables=()
for obj in "$@"; do
	echo "== $obj"
	t=$(stats "$obj")
	echo "$t"
	tables+=("$t")
done
[ $# -eq 2 ] || exit 0
echo "== before -> after"
join <(echo "${tables[0]}" | tail -n +2 | sort) <(echo "${tables[1]}" | tail -n +2 | sort) |
	awk '{ printf "%-22s insns %s -> %s, states %s -> %s, peak %s -> %s, xlated %s -> %s, jited %s -> %s\n",
		$1, $2, $8, $3, $9, $4, $10, $6, $12, $7, $13 }'
