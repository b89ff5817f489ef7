#!/usr/bin/env bash
# node-deps.sh — installs the Debian packages a real node of the local cluster needs,
# when any is missing: containerd, runc, the CNI plugins, a static busybox (the pause
# and test images are made of it), iptables (the CNI bridge and portmap plugins write
# rules, in the node's own network namespace), iproute2 and util-linux (ip, nsenter,
# unshare). Needs root; a no-op when everything is there.

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"

# command-or-file -> the package that brings it
declare -A need=(
  [containerd]=containerd
  [ctr]=containerd
  [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/lib/cni/portmap]=containernetworking-plugins
  [/usr/lib/cni/host-local]=containernetworking-plugins
  [/usr/lib/cni/loopback]=containernetworking-plugins
  [/bin/busybox]=busybox-static
  [iptables]=iptables
  [ip]=iproute2
  [nsenter]=util-linux
  [unshare]=util-linux
  [openssl]=openssl
  [curl]=curl
)
missing=()
for what in "${!need[@]}"; do
  if [[ "$what" == /* ]]; then [[ -x "$what" ]] && continue; else command -v "$what" >/dev/null && continue; fi
  missing+=("${need[$what]}")
done
((${#missing[@]} == 0)) && exit 0

mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
((EUID == 0)) || die "missing packages (${packages[*]}); run as root, or: apt-get install -y ${packages[*]}"
log "installing ${packages[*]}"
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
log "installed in $(fmt_secs $((SECONDS - start)))"
