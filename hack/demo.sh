#!/usr/bin/env bash
# demo.sh — see hostport-guard reject a host-port collision on a real (local)
# Kubernetes control plane. Run by `make demo` after `npm ci && npm run build`.
#
# Usage: hack/demo.sh [start]   start the cluster (hack/cluster-up.sh) and the
#                               webhook, register it, and tell the story
#        hack/demo.sh stop      stop the demo's webhook and remove its
#                               registration (the cluster keeps running)
#
# The webhook runs on this machine (node bin/hostport-guard.js serve) and is
# registered with the ValidatingWebhookConfiguration rendered from the chart
# (charts/hostport-guard, templates/webhook.yaml) with webhook.url pointing at
# it. Cluster and webhook are left running so you can try things yourself.
# Running the demo again restarts the webhook and replays the story.
#
# Files live in $HPG_DEMO_DIR (default $HPG_CACHE/demo):
#   webhook.log, webhook.pid, pki/ (CA and serving cert), manifests/
#
# Env (all optional):
#   HPG_CACHE              cache root (default $HOME/.cache/hostport-guard)
#   HPG_DEMO_DIR           see above
#   HPG_DEMO_PORT          webhook HTTPS port on 127.0.0.1 (default 9443)
#   HPG_DEMO_HEALTH_PORT   /readyz and /metrics port (default 9444)

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"

DEMO_DIR="${HPG_DEMO_DIR:-$HPG_CACHE/demo}"
PORT="${HPG_DEMO_PORT:-9443}"
HEALTH_PORT="${HPG_DEMO_HEALTH_PORT:-9444}"
PID_FILE="$DEMO_DIR/webhook.pid"
LOG_FILE="$DEMO_DIR/webhook.log"
MANIFESTS="$DEMO_DIR/manifests"
RELEASE=hpg
RELEASE_NAMESPACE=hostport-guard
CONFIGURATION=hpg-hostport-guard
NS=demo
NS_WARN=demo-warn
HOST_PORT=8080

# Node 24 from `npm ci` (the system node may be too old for the webhook).
NODE_BIN="$REPO_ROOT/node_modules/.bin/node"
[[ -x "$NODE_BIN" ]] || NODE_BIN=node

if [[ -t 1 ]]; then
  BOLD=$'\e[1m' DIM=$'\e[2m' GREEN=$'\e[32m' RED=$'\e[31m' YELLOW=$'\e[33m' RESET=$'\e[0m'
else
  BOLD='' DIM='' GREEN='' RED='' YELLOW='' RESET=''
fi

log() { printf '%s[demo] %s%s\n' "$DIM" "$*" "$RESET" >&2; }
die() {
  printf '[demo] ERROR: %s\n' "$*" >&2
  exit 1
}

# Loopback traffic (kubectl -> API server, API server -> webhook) never goes through a proxy.
for v in HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; do unset "$v"; done
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

# What a user has after `source hack/cluster-env.sh`: the pinned kubectl first on PATH.
export KUBECONFIG="$HPG_KUBECONFIG"
export PATH="$HPG_PATH_DIR:$PATH"

k() { "$HPG_KUBECTL" --request-timeout=10s "$@"; }

# ---------------------------------------------------------------- webhook
# The pid of the demo's webhook if it is still running (and is really ours:
# pids are reused, so the command line is checked too).
webhook_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'hostport-guard.js serve' || return 1
  echo "$pid"
}

stop_webhook() {
  local pid start=$SECONDS
  if pid=$(webhook_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS - start >= 20)); then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    log "stopped the webhook (pid $pid)"
  fi
  rm -f "$PID_FILE"
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

readyz() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$HEALTH_PORT/readyz")" == 200 ]]; }

start_webhook() {
  local p
  for p in "$PORT" "$HEALTH_PORT"; do
    port_in_use "$p" && die "port $p is in use by another process; pick others with HPG_DEMO_PORT / HPG_DEMO_HEALTH_PORT"
  done
  [[ -f "$REPO_ROOT/dist/cli/main.js" ]] || die "dist/ is missing: run \`npm run build\` (or \`make demo\`)"
  {
    echo
    echo "=== $(date -u +%FT%TZ) starting the demo webhook"
  } >>"$LOG_FILE"
  # HOSTPORT_GUARD_* settings in the caller's shell would change what the demo shows,
  # so they are removed; the two set here keep the webhook on loopback.
  # setsid: its own session, so a Ctrl-C at the terminal that ran `make demo` spares it.
  local unset_args=()
  local name
  while read -r name; do unset_args+=(-u "$name"); done < <(compgen -e | grep '^HOSTPORT_GUARD_' || true)
  (
    cd "$REPO_ROOT"
    exec setsid env "${unset_args[@]}" HOSTPORT_GUARD_HOST=127.0.0.1 HOSTPORT_GUARD_HEALTH_HOST=127.0.0.1 \
      "$NODE_BIN" bin/hostport-guard.js serve \
      --kubeconfig "$HPG_KUBECONFIG" \
      --tls-cert "$DEMO_DIR/pki/tls.crt" --tls-key "$DEMO_DIR/pki/tls.key" \
      --port "$PORT" --health-port "$HEALTH_PORT" \
      --mode enforce --log-level info
  ) >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local start=$SECONDS
  until readyz; do
    if ! webhook_pid >/dev/null; then
      tail -n 20 "$LOG_FILE" >&2
      die "the webhook exited (log: $LOG_FILE)"
    fi
    ((SECONDS - start < 60)) || {
      tail -n 20 "$LOG_FILE" >&2
      die "the webhook is not ready after 60s (log: $LOG_FILE)"
    }
    sleep 0.5
  done
  log "webhook ready on https://127.0.0.1:$PORT/validate (pid $(<"$PID_FILE"), log $LOG_FILE)"
}

# helm template ... | kubectl apply -f -: the chart's own webhook configuration.
register() {
  "$HPG_HELM" template "$RELEASE" "$REPO_ROOT/charts/hostport-guard" --namespace "$RELEASE_NAMESPACE" \
    --show-only templates/webhook.yaml \
    --set "webhook.url=https://127.0.0.1:$PORT/validate" \
    --set tls.mode=secret --set tls.secret.name=hostport-guard-demo-tls \
    --set-string "tls.secret.caBundle=$(base64 -w0 <"$DEMO_DIR/pki/ca.crt")" |
    k apply -f - >/dev/null
}

# ------------------------------------------------------------- namespaces
# No kubelet runs the pods, so a pod bound to a node is never confirmed gone:
# it has to be force-deleted before its namespace can go.
delete_namespace() {
  local ns=$1 start=$SECONDS
  k get namespace "$ns" >/dev/null 2>&1 || return 0
  k -n "$ns" delete pods --all --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
  k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  while k get namespace "$ns" >/dev/null 2>&1; do
    ((SECONDS - start < 90)) || die "namespace $ns is still there after 90s"
    k -n "$ns" delete pods --all --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
    sleep 1
  done
}

create_namespace() {
  local ns=$1 start=$SECONDS
  shift
  k create namespace "$ns" >/dev/null
  (($# == 0)) || k label namespace "$ns" "$@" >/dev/null
  until k -n "$ns" get serviceaccount default >/dev/null 2>&1; do
    ((SECONDS - start < 60)) || die "no default ServiceAccount in $ns after 60s"
    sleep 0.5
  done
}

# pod_manifest NAME NAMESPACE: a host-networked pod pinned to worker-1 on HOST_PORT.
pod_manifest() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: $2
spec:
  nodeName: worker-1
  hostNetwork: true
  containers:
  - name: web
    image: nginx
    ports:
    - containerPort: $HOST_PORT
EOF
}

# until_dry_run EXPECT FILE: server-side dry runs (they go through the webhook but
# create nothing) until the outcome is EXPECT (denied|warned), so the story never
# races the API server picking up the registration or the webhook's watch.
until_dry_run() {
  local expect=$1 file=$2 start=$SECONDS out
  while :; do
    out=$(cd "$MANIFESTS" && k create --dry-run=server -f "$file" 2>&1) || true
    case "$expect" in
      denied) [[ "$out" == *"denied the request"* ]] && return 0 ;;
      warned) [[ "$out" == Warning:* ]] && return 0 ;;
    esac
    ((SECONDS - start < 60)) || die "the webhook did not answer as expected within 60s; last answer: $out (log: $LOG_FILE)"
    sleep 0.5
  done
}

# ------------------------------------------------------------------ story
step() { printf '\n%s%s%s\n' "$BOLD" "$*" "$RESET"; }
say() { printf '%s\n' "$*"; }

# show_apply FILE: prints and runs `kubectl apply -f FILE` in the manifests dir,
# with its output exactly as kubectl printed it (in colour on a terminal).
show_apply() {
  local file=$1 out err rc=0
  printf '%s$ kubectl apply -f %s%s\n' "$BOLD" "$file" "$RESET"
  out=$(mktemp)
  err=$(mktemp)
  (cd "$MANIFESTS" && kubectl apply -f "$file") >"$out" 2>"$err" || rc=$?
  # kubectl prints warnings and errors (stderr) before the result line (stdout).
  if [[ -s "$err" ]]; then
    if ((rc == 0)); then printf '%s' "$YELLOW"; else printf '%s' "$RED"; fi
    cat "$err"
    printf '%s' "$RESET"
  fi
  if [[ -s "$out" ]]; then
    printf '%s' "$GREEN"
    cat "$out"
    printf '%s' "$RESET"
  fi
  printf '%s(exit code %d)%s\n' "$DIM" "$rc" "$RESET"
  rm -f "$out" "$err"
}

story() {
  step "1) A host-networked pod pinned to worker-1 on port $HOST_PORT is admitted"
  say "${DIM}# $MANIFESTS/web-1.yaml${RESET}"
  sed 's/^/    /' "$MANIFESTS/web-1.yaml"
  show_apply web-1.yaml

  until_dry_run denied web-2.yaml
  step "2) A second one on the same node and port is rejected, naming the pod that holds it"
  say "Without hostport-guard it would be accepted and then fail on the node with NodePorts, naming nobody."
  show_apply web-2.yaml

  until_dry_run warned web-3.yaml
  step "3) In a namespace labelled hostport-guard.io/mode=warn the same collision is admitted with a warning"
  printf '%s$ kubectl get namespace %s --show-labels%s\n' "$BOLD" "$NS_WARN" "$RESET"
  kubectl get namespace "$NS_WARN" --show-labels
  show_apply web-3.yaml
}

next_steps() {
  local stop_hint
  if grep -q 'demo.sh' "$HACK_DIR/cluster-down.sh" 2>/dev/null; then
    stop_hint="make cluster-down        # stops the webhook and the cluster"
  else
    stop_hint="hack/demo.sh stop && make cluster-down"
  fi
  step "4) What to try next"
  cat <<EOF
The cluster and the webhook keep running. In another shell:

  export KUBECONFIG=$HPG_KUBECONFIG
  export PATH=$HPG_PATH_DIR:\$PATH   # kubectl $HPG_K8S_VERSION at $HPG_KUBECTL (or: source hack/cluster-env.sh)

  kubectl get pods -A -o wide          # Pending forever: the nodes are fake, no kubelet runs pods

  # Decide manifests without applying them, against the live cluster (from $REPO_ROOT)
  # or against a dump of one (--state FILE):
  node_modules/.bin/node bin/hostport-guard.js check $MANIFESTS/web-2.yaml

  sed 's/web-2/web-4/; s/worker-1/worker-2/' $MANIFESTS/web-2.yaml | kubectl apply -f -   # another node: admitted
  kubectl label namespace $NS hostport-guard.io/mode=audit --overwrite
  kubectl apply -f $MANIFESTS/web-2.yaml    # audit: admitted silently, counted in the metrics

  tail -f $LOG_FILE    # one JSON line per decision
  curl -s http://127.0.0.1:$HEALTH_PORT/metrics | grep '^hostport_guard_decisions'

Stop everything:  $stop_hint
Only the webhook: hack/demo.sh stop
EOF
}

start() {
  command -v curl >/dev/null || die "curl is required"
  mkdir -p "$DEMO_DIR" "$MANIFESTS"
  log "starting the local control plane (hack/cluster-up.sh; the first run builds it)"
  "$HACK_DIR/cluster-up.sh" >/dev/null

  stop_webhook
  "$HACK_DIR/e2e-certs.sh" "$DEMO_DIR/pki"
  start_webhook
  register
  log "registered: helm template $RELEASE charts/hostport-guard --show-only templates/webhook.yaml --set webhook.url=https://127.0.0.1:$PORT/validate ... | kubectl apply -f -"

  delete_namespace "$NS"
  delete_namespace "$NS_WARN"
  create_namespace "$NS"
  create_namespace "$NS_WARN" hostport-guard.io/mode=warn
  pod_manifest web-1 "$NS" >"$MANIFESTS/web-1.yaml"
  pod_manifest web-2 "$NS" >"$MANIFESTS/web-2.yaml"
  pod_manifest web-3 "$NS_WARN" >"$MANIFESTS/web-3.yaml"

  story
  next_steps
}

case "${1:-start}" in
  start) start ;;
  stop)
    stop_webhook
    if [[ -f "$HPG_KUBECONFIG" && -x "$HPG_KUBECTL" ]] && k get --raw=/readyz >/dev/null 2>&1; then
      k delete validatingwebhookconfiguration "$CONFIGURATION" --ignore-not-found >/dev/null
      log "removed the webhook registration $CONFIGURATION"
    fi
    ;;
  -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  *) die "unknown command '$1' (usage: $0 [start|stop])" ;;
esac
