#!/usr/bin/env bash
# cluster-down.sh — stop the local cluster started by cluster-up.sh.
#
# Stops the real nodes (kubelets, containerds, every pod process, their
# namespaces, cgroup folders and veths), then kube-scheduler,
# kube-controller-manager, kube-apiserver and etcd (reverse start order) using
# the pid files in the state dir, then removes the nodes' bridge, and finally
# checks that nothing of the cluster is left on the host (processes, mounts,
# cgroup folders, network namespaces, links, routes, iptables rules:
# hack/nodes.sh leftovers) and fails if anything is. Safe to run when nothing
# is running.
#
# Usage: hack/cluster-down.sh [--purge]
#   --purge   also delete the state dir (certs, etcd data, logs, kubeconfigs);
#             the next cluster-up starts with an empty cluster.
#
# Env (all optional):
#   HPG_CACHE         cache root (default $HOME/.cache/hostport-guard)
#   HPG_CLUSTER_DIR   state dir (default $HPG_CACHE/cluster)
#   HPG_STOP_TIMEOUT  seconds to wait after SIGTERM before SIGKILL (default 20)

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"

purge=0
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    -h | --help)
      sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$arg' (usage: $0 [--purge])" ;;
  esac
done

# The nodes first (the demo's webhook pods go with them), while the API server runs.
"$HACK_DIR/nodes.sh" down

stopped=0
for ((i = ${#HPG_COMPONENTS[@]} - 1; i >= 0; i--)); do
  name=${HPG_COMPONENTS[i]}
  if pid=$(hpg_live_pid "$name"); then
    stop_pid "$name" "$pid"
    stopped=$((stopped + 1))
  fi
  rm -f "$HPG_PID_DIR/$name.pid"
done

# Processes started by an earlier cluster-up whose pid file is gone.
mapfile -t strays < <(hpg_stray_pids)
for pid in "${strays[@]}"; do
  stop_pid "stray $(readlink "/proc/$pid/exe" 2>/dev/null || echo process)" "$pid"
  stopped=$((stopped + 1))
done

mapfile -t left < <(hpg_stray_pids)
if ((${#left[@]} > 0)); then
  die "processes still running after stop: ${left[*]}"
fi

if ((stopped == 0)); then
  log "no control-plane process was running"
else
  log "all control-plane processes stopped"
fi
"$HACK_DIR/nodes.sh" network-down

if ! leftovers=$("$HACK_DIR/nodes.sh" leftovers); then
  printf '%s\n' "$leftovers" >&2
  die "the cluster left the above on this machine"
fi

if ((purge)); then
  # Guard against an empty or root path slipping through the env var.
  case "$HPG_CLUSTER_DIR" in
    "" | / | "$HOME" | "$HPG_CACHE") die "refusing to purge suspicious state dir '$HPG_CLUSTER_DIR'" ;;
  esac
  rm -rf "$HPG_CLUSTER_DIR"
  log "purged $HPG_CLUSTER_DIR"
fi
