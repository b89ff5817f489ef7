#!/usr/bin/env bash
# cluster-smoke.sh — check that the local cluster from cluster-up.sh really
# schedules: a Deployment's pods are created by the controller-manager and
# bound to fake nodes by the scheduler, a DaemonSet gets one pod per node,
# and bound pods can only be removed by a forced delete (no kubelet).
#
# Leaves nothing behind (its namespace is deleted at the end).
#
# Env: HPG_CACHE, HPG_CLUSTER_DIR (see cluster-up.sh);
#      HPG_SMOKE_NAMESPACE (default hpg-smoke-<random>);
#      HPG_SMOKE_TIMEOUT seconds per wait (default 60).

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"

# A fresh name per run: a namespace from an aborted run may still be
# terminating, and new objects cannot be created in it.
NS="${HPG_SMOKE_NAMESPACE:-hpg-smoke-$(openssl rand -hex 3)}"
TIMEOUT="${HPG_SMOKE_TIMEOUT:-60}"

log() { printf '[cluster-smoke] %s\n' "$*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}
k() { "$HPG_KUBECTL" --kubeconfig "$HPG_KUBECONFIG" --request-timeout=10s "$@"; }

[[ -x "$HPG_KUBECTL" && -f "$HPG_KUBECONFIG" ]] || die "no cluster found; run hack/cluster-up.sh first"
[[ "$(k get --raw=/readyz 2>/dev/null)" == ok ]] || die "apiserver not ready; run hack/cluster-up.sh"

# eventually DESCRIPTION CMD...: retries CMD until it succeeds or times out.
eventually() {
  local what=$1 start=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - start < TIMEOUT)) || die "timed out after ${TIMEOUT}s waiting for: $what"
    sleep 1
  done
  log "ok: $what ($((SECONDS - start))s)"
}

# Bound pods survive a plain delete, so a namespace holding them would stay
# Terminating forever. Deleting the namespace first stops controllers from
# creating replacements; then force-deleting whatever pods remain lets the
# namespace controller finish.
cleanup() {
  local start=$SECONDS
  k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  while k get namespace "$NS" >/dev/null 2>&1; do
    k -n "$NS" delete pods --all --grace-period=0 --force >/dev/null 2>&1 || true
    if ((SECONDS - start > TIMEOUT)); then
      log "namespace $NS still terminating after ${TIMEOUT}s"
      return 1
    fi
    sleep 1
  done
}
trap cleanup EXIT

# Only cluster-up's fake nodes count: tests may register nodes of their own
# (tainted, NotReady, ...) on the same cluster.
node_count=$(k get nodes -l hostport-guard.dev/fake-node=true -o name | wc -l)
((node_count > 0)) || die "cluster has no fake nodes (label hostport-guard.dev/fake-node=true)"
log "cluster has $node_count fake node(s)"

k create namespace "$NS" --dry-run=client -o yaml | k apply -f - >/dev/null
eventually "default ServiceAccount in $NS" k -n "$NS" get serviceaccount default -o name >/dev/null

k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: smoke-deploy
spec:
  replicas: 3
  selector:
    matchLabels: {app: smoke-deploy}
  template:
    metadata:
      labels: {app: smoke-deploy}
    spec:
      containers:
      - name: c
        image: registry.invalid/pause:never-pulled
        resources:
          requests: {cpu: 10m, memory: 16Mi}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: smoke-ds
spec:
  selector:
    matchLabels: {app: smoke-ds}
  template:
    metadata:
      labels: {app: smoke-ds}
    spec:
      nodeSelector: {hostport-guard.dev/fake-node: "true"}
      containers:
      - name: c
        image: registry.invalid/pause:never-pulled
        ports:
        - containerPort: 9000
          hostPort: 9000
EOF

# count_bound SELECTOR: pods of SELECTOR that the scheduler has bound.
count_bound() {
  k -n "$NS" get pods -l "$1" -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c . || true
}
bound_is() { [[ "$(count_bound "$1")" == "$2" ]]; }

eventually "3 Deployment pods bound to nodes" bound_is app=smoke-deploy 3
eventually "$node_count DaemonSet pods bound (one per node)" bound_is app=smoke-ds "$node_count"
distinct=$(k -n "$NS" get pods -l app=smoke-ds -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | wc -l)
[[ "$distinct" == "$node_count" ]] || die "DaemonSet pods are on $distinct distinct nodes, want $node_count"
log "ok: DaemonSet pods on $distinct distinct nodes"
k -n "$NS" get pods -o wide >&2

# The behaviour test authors must know about: graceful delete never finishes.
victim=$(k -n "$NS" get pods -l app=smoke-deploy -o jsonpath='{.items[0].metadata.name}')
k -n "$NS" delete pod "$victim" --wait=false >/dev/null
sleep 3
ts=$(k -n "$NS" get pod "$victim" -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null || true)
[[ -n "$ts" ]] || die "expected $victim to linger with a deletionTimestamp after a graceful delete"
log "ok: gracefully deleted bound pod lingers (deletionTimestamp=$ts)"
k -n "$NS" delete pod "$victim" --grace-period=0 --force >/dev/null 2>&1
gone() { ! k -n "$NS" get pod "$victim" >/dev/null 2>&1; }
eventually "force-deleted pod $victim is gone" gone

trap - EXIT
cleanup || die "could not delete namespace $NS"
log "ok: namespace $NS deleted"
log "PASS"
