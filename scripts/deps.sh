#!/usr/bin/env bash
# Installs the Debian packages that build, test and demo need, when missing.
# Run as root on Debian 12; does nothing when everything is present.
set -euo pipefail

# libclang-rt-14-dev: ASan, UBSan and libFuzzer for clang (make sanitize).
pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev
      libjson-c-dev libmnl-dev pkg-config make gcc iproute2 ethtool python3 util-linux
      libcurl4-openssl-dev libmicrohttpd-dev openssl libclang-rt-14-dev)
# kubectl for deploy/ and for tests/e2e/test_manifests.sh (kubectl
# --dry-run=client against a discovery-only fake server). Debian's
# kubernetes-client ships /usr/bin/kubectl, which clashes with another
# kubectl package: an existing kubectl is kept.
command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
