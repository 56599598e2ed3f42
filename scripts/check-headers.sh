#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Compiles each bpf/*.h on its own with the BPF flags: every header must
# include what it uses, not lean on what canary.bpf.c included before it.
# Run by `make` (the .output/headers.ok stamp); needs .output/vmlinux.h.
#
#   scripts/check-headers.sh [CLANG [BPF_CFLAGS...]]
set -u
cd "$(dirname "$0")/.." || exit 1

clang=${1:-clang}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I.output -Iinclude
bad=0
for h in bpf/*.h; do
	if ! echo "#include \"$h\"" |
		"$clang" "$@" -I. -x c -fsyntax-only -o /dev/null -; then
		echo "check-headers: $h does not compile on its own" >&2
		bad=1
	fi
done
exit $bad
