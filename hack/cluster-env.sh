#!/usr/bin/env bash
# cluster-env.sh — tell other tools where the local cluster and the pinned
# kubectl/helm are, without starting or building anything.
#
# Either source it (exports into the current shell):
#   source hack/cluster-env.sh
# or execute it and eval the output (works from any POSIX shell):
#   eval "$(hack/cluster-env.sh)"
# or read single values (for scripts in other languages):
#   hack/cluster-env.sh --get KUBECONFIG
#
# Exports:
#   KUBECONFIG            admin kubeconfig (system:masters) of the local cluster
#   KUBECTL               kubectl binary (Kubernetes version pinned in hack/lib/control-plane.sh)
#   HELM                  helm binary (pinned version)
#   PROMTOOL              Prometheus' promtool (pinned version), for the chart's alert tests
#   HPG_CLUSTER_DIR  state dir (logs/, pki/ with ca.crt, nodes/, ...)
#   HPG_IMAGE_DIR    the image archives the real nodes import (webhook.tar, ...)
#   PATH                  prefixed with a dir holding unversioned kubectl/helm links
#   NO_PROXY / no_proxy   extended with loopback, so no proxy sees cluster traffic
#
# Env read: HPG_CACHE, HPG_CLUSTER_DIR (see cluster-up.sh).
# Does not check that the cluster is running: `$KUBECTL get --raw=/readyz` does.

# When sourced, re-run this file as a child and eval its output, so the
# caller's shell gets only the exported variables: none of our helpers, and
# no `set -euo pipefail` leaking into an interactive shell.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  eval "$(bash "${BASH_SOURCE[0]}")"
  return
fi

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"
# shellcheck source=hack/lib/nodes.sh
source "$HACK_DIR/lib/nodes.sh"

no_proxy_val="${NO_PROXY:-}"
for addr in 127.0.0.1 localhost ::1 "$HPG_APISERVER_HOST"; do
  case ",$no_proxy_val," in
    *",$addr,"*) ;;
    *) no_proxy_val="$addr${no_proxy_val:+,$no_proxy_val}" ;;
  esac
done
case ":$PATH:" in
  *":$HPG_PATH_DIR:"*) path_val="$PATH" ;;
  *) path_val="$HPG_PATH_DIR:$PATH" ;;
esac

vars=(
  "KUBECONFIG=$HPG_KUBECONFIG"
  "KUBECTL=$HPG_KUBECTL"
  "HELM=$HPG_HELM"
  "PROMTOOL=$HPG_PROMTOOL"
  "HPG_CLUSTER_DIR=$HPG_CLUSTER_DIR"
  "HPG_IMAGE_DIR=$HPG_IMAGE_DIR"
  "PATH=$path_val"
  "NO_PROXY=$no_proxy_val"
  "no_proxy=$no_proxy_val"
)

case "${1:-}" in
  --get)
    [[ -n "${2:-}" ]] || {
      echo "usage: $0 --get NAME" >&2
      exit 2
    }
    for kv in "${vars[@]}"; do
      if [[ "${kv%%=*}" == "$2" ]]; then
        printf '%s\n' "${kv#*=}"
        exit 0
      fi
    done
    echo "cluster-env.sh: unknown variable '$2'" >&2
    exit 2
    ;;
  "")
    for kv in "${vars[@]}"; do
      printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
    ;;
  *)
    echo "usage: $0 [--get NAME]   (or: source $0)" >&2
    exit 2
    ;;
esac
