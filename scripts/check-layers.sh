#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Checks that user/'s layers depend one way (docs/ARCHITECTURE.md): every
# #include "layer/file.h" in user/LAYER/ names LAYER itself or a layer
# allowed below. Prints "PASS layers" or one "FAIL layers: ..." line per
# include that breaks the rule; exit 1 then.
set -u
cd "$(dirname "$0")/.." || exit 1

# allowed LAYER: the layers LAYER may include from, itself included.
allowed() {
	case $1 in
	main) echo "cli util" ;;
	cli) echo "cli agent kube dataplane core util" ;;
	agent) echo "agent kube dataplane core util" ;;
	kube) echo "kube core util" ;;
	dataplane) echo "dataplane core util" ;;
	core) echo "core util" ;;
	util) echo "util" ;;
	*) echo "" ;;
	esac
}

bad=0
while IFS= read -r f; do
	case $f in
	user/main.c) layer=main ;;
	user/*/*) layer=${f#user/}; layer=${layer%%/*} ;;
	*) echo "FAIL layers: $f is not in a layer folder"; bad=1; continue ;;
	esac
	ok=" $(allowed "$layer") "
	if [ "$ok" = "  " ]; then
		echo "FAIL layers: $f: unknown layer '$layer'"
		bad=1
		continue
	fi
	while IFS= read -r inc; do
		dep=${inc%%/*}
		case $inc in */*) ;; *) continue ;; esac
		case $ok in *" $dep "*) ;; *)
			echo "FAIL layers: $f includes $inc ($layer may use:$ok)"
			bad=1 ;;
		esac
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(git ls-files 'user/*.c' 'user/*.h' 2>/dev/null || find user -name '*.[ch]')
[ "$bad" -eq 0 ] && echo "PASS layers"
exit "$bad"
