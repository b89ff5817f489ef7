#!/usr/bin/env bash
# build-control-plane.sh — build a pinned Kubernetes control plane and Helm
# from Go modules (no release tarballs are reachable from this environment).
#
# Produces, outside the repo:
#   $HPG_CACHE/bin/promtool-<PROMETHEUS_VERSION>   (checks and tests the chart's alerts)
#   $HPG_CACHE/bin/etcd-<ETCD_VERSION>
#   $HPG_CACHE/bin/kube-apiserver-<K8S_VERSION>
#   $HPG_CACHE/bin/kube-controller-manager-<K8S_VERSION>
#   $HPG_CACHE/bin/kube-scheduler-<K8S_VERSION>
#   $HPG_CACHE/bin/kubectl-<K8S_VERSION>
#   $HPG_CACHE/bin/helm-<HELM_VERSION>
# Binaries are keyed by version; one that already exists is never rebuilt,
# so a second run is a no-op that does not even start the go tool.
#
# Env:
#   HPG_CACHE  cache root (default: $HOME/.cache/hostport-guard)
#                         (also $HPG_CACHE/path/ gets unversioned symlinks)
#   K8S_VERSION           default v1.37.2 (staging modules use v0.<minor>.<patch>)
#   ETCD_VERSION          default v3.7.3
#   HELM_VERSION          default v3.22.0 (Helm 3 only: the ldflags paths are v3's)
#   PROMETHEUS_VERSION    default v0.316.0 (the Go module version of Prometheus 3.16)
#   GOTOOLCHAIN           passed through to go; only needed if a module ever
#                         requires a newer Go than the installed one
#   FORCE_REBUILD=1       rebuild even if the versioned binaries exist
#
# Why wrapper modules: `go install pkg@version` refuses modules whose go.mod
# has replace directives, and both k8s.io/kubernetes and etcd's server module
# do. So we generate tiny main modules in the cache that depend on them and
# re-state the replaces in a form that works outside their repositories.
# GOPATH/GOCACHE are left at their defaults so later builds are warm.

set -euo pipefail

# shellcheck source=hack/lib/control-plane.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/control-plane.sh"
K8S_VERSION=$HPG_K8S_VERSION
ETCD_VERSION=$HPG_ETCD_VERSION
HELM_VERSION=$HPG_HELM_VERSION
PROMETHEUS_VERSION=$HPG_PROMETHEUS_VERSION
BIN_DIR=$HPG_BIN_DIR
SRC_DIR="$HPG_CACHE/src"

K8S_TOOLS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet)

log() { printf '[build-control-plane] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

fmt_secs() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

need_build() {
  [[ "${FORCE_REBUILD:-0}" == 1 ]] && return 0
  local f
  for f in "$@"; do [[ -x "$f" ]] || return 0; done
  return 1
}

# Static, reproducible-ish binaries; -trimpath keeps cache paths out of them.
export CGO_ENABLED=0
GO_BUILD=(go build -trimpath)

# Runs one `go build` with a timing line. The output goes to a temp file that
# is renamed into place only on success, so an interrupted build never leaves
# a half-written binary that later runs would mistake for a finished one.
# Usage: timed_build NAME OUTPUT LDFLAGS PACKAGE (run from the module dir).
timed_build() {
  local name=$1 out=$2 ldflags=$3 pkg=$4
  local start=$SECONDS
  log "building $name ..."
  if ! "${GO_BUILD[@]}" -ldflags "$ldflags" -o "$out.tmp.$$" "$pkg"; then
    rm -f "$out.tmp.$$"
    die "building $name failed"
  fi
  mv -f "$out.tmp.$$" "$out"
  log "building $name ... done in $(fmt_secs $((SECONDS - start)))"
}

# Reads the desired go.mod on stdin. Tidy (slow, touches the network) runs
# only when that input changed since the last successful tidy; go.mod.in
# remembers the input because tidy rewrites go.mod itself.
prepare_module() {
  local dir=$1 label=$2
  cat >"$dir/go.mod.in.new"
  if cmp -s "$dir/go.mod.in.new" "$dir/go.mod.in" 2>/dev/null && [[ -f "$dir/go.sum" ]]; then
    rm -f "$dir/go.mod.in.new"
    return 0
  fi
  log "tidying $label ..."
  cp "$dir/go.mod.in.new" "$dir/go.mod"
  (cd "$dir" && go mod tidy) || die "go mod tidy failed in $dir"
  mv -f "$dir/go.mod.in.new" "$dir/go.mod.in"
}

[[ -x /usr/local/go/bin/go ]] && PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "go not found in PATH (expected Go >= 1.26 at /usr/local/go/bin)"
mkdir -p "$BIN_DIR" "$SRC_DIR"

# Two cluster-ups (say, a dev cluster and a benchmark cluster in another
# state dir) may start at once; they share the wrapper modules and binaries.
exec 9>"$HPG_CACHE/.build.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it to finish ..."
  flock 9
fi
total_start=$SECONDS
built_any=0

# ---------------------------------------------------------------- kubernetes
k8s_bins=()
for t in "${K8S_TOOLS[@]}"; do k8s_bins+=("$BIN_DIR/$t-$K8S_VERSION"); done

if need_build "${k8s_bins[@]}"; then
  built_any=1
  [[ "$K8S_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "K8S_VERSION must look like v1.N.M, got $K8S_VERSION"
  k8s_minor=${BASH_REMATCH[1]}
  staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  mod_dir="$SRC_DIR/k8s-$K8S_VERSION"
  mkdir -p "$mod_dir"

  log "resolving k8s.io/kubernetes@$K8S_VERSION ..."
  step=$SECONDS
  k8s_src=$(cd "$mod_dir" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n "$k8s_src" && -f "$k8s_src/go.mod" ]] || die "could not download k8s.io/kubernetes@$K8S_VERSION"

  # Every staging module is replaced upstream by a local path that is absent
  # from the published module zip; the matching published v0.N.M tag is the
  # same code.
  mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$k8s_src/go.mod")
  ((${#staging[@]} > 0)) || die "found no staging replaces in $k8s_src/go.mod"
  go_directive=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$k8s_src/go.mod")

  {
    echo "// Generated by hostport-guard hack/build-control-plane.sh; do not edit."
    echo "module hostport-guard.local/k8s-tools"
    echo
    echo "go ${go_directive:-1.26.0}"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "tool ("
    for t in "${K8S_TOOLS[@]}"; do echo "	k8s.io/kubernetes/cmd/$t"; done
    echo ")"
    echo
    echo "replace ("
    for m in "${staging[@]}"; do echo "	$m => $m $staging_version"; done
    echo ")"
  } | prepare_module "$mod_dir" "kubernetes wrapper (${#staging[@]} staging modules -> $staging_version)"
  log "resolved modules in $(fmt_secs $((SECONDS - step)))"

  # Mirrors what kubernetes' hack/lib/version.sh injects, minus git state we
  # don't have. gitMinor matters: clients compare it numerically.
  vpkg=k8s.io/component-base/version
  build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  k8s_ldflags="-s -w \
-X $vpkg.gitVersion=$K8S_VERSION \
-X $vpkg.gitMajor=1 \
-X $vpkg.gitMinor=$k8s_minor \
-X $vpkg.gitTreeState=clean \
-X $vpkg.buildDate=$build_date"

  for t in "${K8S_TOOLS[@]}"; do
    out="$BIN_DIR/$t-$K8S_VERSION"
    if [[ -x "$out" && "${FORCE_REBUILD:-0}" != 1 ]]; then continue; fi
    (cd "$mod_dir" && timed_build "$t" "$out" "$k8s_ldflags" "k8s.io/kubernetes/cmd/$t")
  done
fi

# ---------------------------------------------------------------------- etcd
etcd_bin="$BIN_DIR/etcd-$ETCD_VERSION"
if need_build "$etcd_bin"; then
  built_any=1
  mod_dir="$SRC_DIR/etcd-$ETCD_VERSION"
  mkdir -p "$mod_dir"
  cat >"$mod_dir/main.go" <<'EOF'
// Generated by hostport-guard hack/build-control-plane.sh; do not edit.
// Equivalent of etcd's own top-level main, which lives in a module
// (go.etcd.io/etcd/v3) that is not published on the module proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  step=$SECONDS
  # server/v3 pins its sibling modules at the same version, so MVS lands on
  # a consistent set without any replaces of our own.
  prepare_module "$mod_dir" "etcd wrapper" <<EOF
// Generated by hostport-guard hack/build-control-plane.sh; do not edit.
module hostport-guard.local/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  log "resolved etcd modules in $(fmt_secs $((SECONDS - step)))"
  (cd "$mod_dir" && timed_build etcd "$etcd_bin" \
    "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" .)
fi

# ------------------------------------------------------------------ promtool
# Prometheus' own checker: the chart tests run `promtool check rules` and `promtool test
# rules` on the PrometheusRule the chart renders. Its module has no replace directives,
# so `go install` builds it as published.
if need_build "$HPG_PROMTOOL"; then
  built_any=1
  start=$SECONDS
  gobin="$SRC_DIR/promtool-$PROMETHEUS_VERSION.gobin"
  rm -rf "$gobin"
  log "building promtool ..."
  GOBIN="$gobin" GOFLAGS="-mod=mod" go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" ||
    die "building promtool failed"
  mv -f "$gobin/promtool" "$HPG_PROMTOOL"
  rm -rf "$gobin"
  log "building promtool ... done in $(fmt_secs $((SECONDS - start)))"
fi

# ---------------------------------------------------------------------- helm
helm_bin="$BIN_DIR/helm-$HELM_VERSION"
if need_build "$helm_bin"; then
  built_any=1
  [[ "$HELM_VERSION" =~ ^v3\. ]] || die "HELM_VERSION must be a Helm 3 release (v3.x.y), got $HELM_VERSION"
  # Helm has no replace directives, so plain `go install` works; a private
  # GOBIN keeps it out of ~/go/bin and lets us version the file name.
  # Helm's Makefile derives the default Capabilities.KubeVersion from its
  # client-go requirement; without it `helm template` claims Kubernetes 1.20.
  helm_mod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n "$helm_mod" ]] || die "could not download helm.sh/helm/v3@$HELM_VERSION"
  cg=$(sed -n 's#^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$helm_mod/go.mod" | head -n1)
  [[ -n "$cg" ]] || die "could not find helm's client-go version"
  helm_ldflags="-s -w \
-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$cg \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$cg"
  gobin="$SRC_DIR/helm-$HELM_VERSION.gobin"
  rm -rf "$gobin"
  start=$SECONDS
  log "building helm ..."
  GOBIN="$gobin" go install -trimpath -ldflags "$helm_ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ||
    die "building helm failed"
  mv -f "$gobin/helm" "$helm_bin"
  rm -rf "$gobin"
  log "building helm ... done in $(fmt_secs $((SECONDS - start)))"
fi

# Unversioned links so that a PATH entry gives the pinned tools; cheap, so
# refreshed on every run in case the pinned versions changed.
mkdir -p "$HPG_PATH_DIR"
for link in etcd:"$etcd_bin" kubectl:"$HPG_KUBECTL" helm:"$helm_bin" \
  kube-apiserver:"$HPG_KUBE_APISERVER" kube-controller-manager:"$HPG_KUBE_CONTROLLER_MANAGER" \
  kube-scheduler:"$HPG_KUBE_SCHEDULER" promtool:"$HPG_PROMTOOL"; do
  ln -sfn "${link#*:}" "$HPG_PATH_DIR/${link%%:*}"
done

if ((built_any)); then
  log "all binaries ready in $BIN_DIR (total $(fmt_secs $((SECONDS - total_start))))"
else
  log "all binaries already present in $BIN_DIR (nothing to do)"
fi
