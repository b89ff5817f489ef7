#!/usr/bin/env bash
# demo.sh — see hostport-guard at work on a real local cluster: a host-networked pod
# that really runs and answers on its port, a second one denied at apply time naming
# it, and what the kubelet alone says about the same pod. Run by `make demo` after
# `npm ci && npm run build`.
#
# Usage: hack/demo.sh [start]   start the cluster (hack/cluster-up.sh, real nodes
#                               included), load the image of this tree into its
#                               nodes, install the chart, and tell the story
#        hack/demo.sh stop      uninstall the demo's release (the cluster keeps running)
#
# The webhook is installed the way a user installs it: `helm install` of
# charts/hostport-guard (a Helm-generated CA, two replicas), from the image
# hostport-guard:dev that hack/image-local.sh assembles from the Dockerfile, on the
# cluster's real nodes. Cluster and webhook are left running so you can try things
# yourself; running the demo again replays the story.
#
# Files live in $HPG_DEMO_DIR (default $HPG_CACHE/demo): manifests/
#
# Env (all optional):
#   HPG_CACHE              cache root (default $HOME/.cache/hostport-guard)
#   HPG_DEMO_DIR           see above

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"

# shellcheck source=hack/lib/nodes.sh
source "$HACK_DIR/lib/nodes.sh"

DEMO_DIR="${HPG_DEMO_DIR:-$HPG_CACHE/demo}"
MANIFESTS="$DEMO_DIR/manifests"
RELEASE=hpg
RELEASE_NAMESPACE=hostport-guard
NS=demo
NS_WARN=demo-warn
# The chart's exemptNamespaces: the API server never asks the webhook about this one,
# which shows what a cluster without hostport-guard does.
NS_OFF=demo-without-webhook
HOST_PORT=8080
NODE=node-1

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

# Cluster traffic (kubectl -> API server -> webhook pods and kubelets) never goes through a proxy.
for v in HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy; do unset "$v"; done
export NO_PROXY="127.0.0.1,localhost,::1,$HPG_APISERVER_HOST,$HPG_NODE_NET_PREFIX.0/24${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

# What a user has after `source hack/cluster-env.sh`: the pinned kubectl first on PATH.
export KUBECONFIG="$HPG_KUBECONFIG"
export PATH="$HPG_PATH_DIR:$PATH"

k() { "$HPG_KUBECTL" --request-timeout=10s "$@"; }

# ---------------------------------------------------------------- webhook
release_installed() {
  [[ -f "$HPG_KUBECONFIG" && -x "$HPG_HELM" ]] && k get --raw=/readyz >/dev/null 2>&1 &&
    "$HPG_HELM" status "$RELEASE" --namespace "$RELEASE_NAMESPACE" >/dev/null 2>&1
}

install_release() {
  log "installing the chart: helm upgrade --install $RELEASE charts/hostport-guard (image $HPG_WEBHOOK_IMAGE, 2 replicas on the real nodes)"
  "$HPG_HELM" upgrade --install "$RELEASE" "$REPO_ROOT/charts/hostport-guard" \
    --namespace "$RELEASE_NAMESPACE" --create-namespace \
    --set image.repository="${HPG_WEBHOOK_IMAGE%%:*}" --set image.tag="${HPG_WEBHOOK_IMAGE##*:}" --set image.pullPolicy=Never \
    --set replicaCount=2 \
    --set "config.exemptNamespaces[0]=$NS_OFF" \
    --set-json "tolerations=[{\"key\":\"$HPG_REAL_NODE_TAINT_KEY\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]" \
    --set-json "nodeSelector={\"$HPG_REAL_NODE_LABEL\":\"true\"}" \
    --wait --timeout 180s >/dev/null ||
    die "helm install failed; see: kubectl -n $RELEASE_NAMESPACE get pods,events"
  log "webhook pods: $(k -n "$RELEASE_NAMESPACE" get pods -l app.kubernetes.io/instance=$RELEASE -o jsonpath='{range .items[*]}{.metadata.name} on {.spec.nodeName} ({.status.podIP}); {end}')"
}

# ------------------------------------------------------------- namespaces
delete_namespace() {
  local ns=$1 start=$SECONDS
  k get namespace "$ns" >/dev/null 2>&1 || return 0
  k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  while k get namespace "$ns" >/dev/null 2>&1; do
    ((SECONDS - start < 90)) || die "namespace $ns is still there after 90s"
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

# pod_manifest NAME NAMESPACE: a host-networked web server pinned to $NODE on
# HOST_PORT (busybox httpd, answering with its pod's name).
pod_manifest() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: $2
spec:
  nodeName: $NODE
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: $HPG_BUSYBOX_IMAGE
    imagePullPolicy: Never
    command: ["sh", "-c", "mkdir -p /tmp/www && echo \$POD_NAME >/tmp/www/index.html && exec httpd -f -p $HOST_PORT -h /tmp/www"]
    env:
    - name: POD_NAME
      valueFrom: { fieldRef: { fieldPath: metadata.name } }
    ports:
    - containerPort: $HOST_PORT
EOF
}

# until_dry_run EXPECT FILE: server-side dry runs (they go through the webhook but
# create nothing) until the outcome is EXPECT (denied|warned), so the story never
# races the webhook's watch.
until_dry_run() {
  local expect=$1 file=$2 start=$SECONDS out
  while :; do
    out=$(cd "$MANIFESTS" && k create --dry-run=server -f "$file" 2>&1) || true
    case "$expect" in
      denied) [[ "$out" == *"denied the request"* ]] && return 0 ;;
      warned) [[ "$out" == Warning:* ]] && return 0 ;;
    esac
    ((SECONDS - start < 60)) || die "the webhook did not answer as expected within 60s; last answer: $out"
    sleep 0.5
  done
}

# until_pod NS NAME JSONPATH VALUE: waits until the pod's field has the value.
until_pod() {
  local ns=$1 name=$2 path=$3 want=$4 start=$SECONDS
  until [[ "$(k -n "$ns" get pod "$name" -o "jsonpath=$path" 2>/dev/null)" == "$want" ]]; do
    ((SECONDS - start < 120)) || die "pod $ns/$name: $path is not $want after 120s ($(k -n "$ns" get pod "$name" -o wide 2>&1 | tail -n1))"
    sleep 0.5
  done
}

# ------------------------------------------------------------------ story
step() { printf '\n%s%s%s\n' "$BOLD" "$*" "$RESET"; }
say() { printf '%s\n' "$*"; }
cmd() { printf '%s$ %s%s\n' "$BOLD" "$*" "$RESET"; }

# show_apply FILE: prints and runs `kubectl apply -f FILE` in the manifests dir,
# with its output exactly as kubectl printed it (in colour on a terminal).
show_apply() {
  local file=$1 out err rc=0
  cmd "kubectl apply -f $file"
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
  local node_ip
  node_ip=$(k get node "$NODE" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')

  step "1) A host-networked web server pinned to $NODE on port $HOST_PORT is admitted, and runs"
  say "${DIM}# $MANIFESTS/web-1.yaml${RESET}"
  sed 's/^/    /' "$MANIFESTS/web-1.yaml"
  show_apply web-1.yaml
  until_pod "$NS" web-1 '{.status.containerStatuses[0].ready}' true
  cmd "kubectl get pod web-1 -n $NS -o wide"
  kubectl get pod web-1 -n "$NS" -o wide
  cmd "curl http://$node_ip:$HOST_PORT/     # $NODE's address"
  curl -sS --max-time 5 "http://$node_ip:$HOST_PORT/"

  until_dry_run denied web-2.yaml
  step "2) A second one on the same node and port is rejected at apply time, naming the pod that holds it"
  show_apply web-2.yaml

  step "3) Without hostport-guard (namespace $NS_OFF, which the webhook is not asked about), the same pod is accepted..."
  show_apply web-2-without-webhook.yaml
  until_pod "$NS_OFF" web-2 '{.status.phase}' Failed
  say "...and then refused by the kubelet on $NODE, naming nobody:"
  cmd "kubectl get pod web-2 -n $NS_OFF -o jsonpath='{.status.phase}: {.status.reason}: {.status.message}'"
  kubectl get pod web-2 -n "$NS_OFF" -o jsonpath='{.status.phase}: {.status.reason}: {.status.message}{"\n"}'

  until_dry_run warned web-3.yaml
  step "4) In a namespace labelled hostport-guard.io/mode=warn the collision is admitted with a warning"
  cmd "kubectl get namespace $NS_WARN --show-labels"
  kubectl get namespace "$NS_WARN" --show-labels
  show_apply web-3.yaml
  say "${DIM}(web-3 then meets the kubelet's refusal, as in 3)${RESET}"

  say
  cmd "curl http://$node_ip:$HOST_PORT/"
  curl -sS --max-time 5 "http://$node_ip:$HOST_PORT/"
  say "${DIM}web-1 kept its port throughout.${RESET}"
}

next_steps() {
  step "5) What to try next"
  cat <<EOF
The cluster and the webhook keep running. In another shell:

  source hack/cluster-env.sh        # KUBECONFIG, and kubectl $HPG_K8S_VERSION first on PATH

  kubectl get nodes -o wide         # worker-1..3 are fake (their pods stay Pending); node-1 and
                                    # node-2 run pods (a NoSchedule taint keeps other pods off)
  kubectl -n $RELEASE_NAMESPACE logs deploy/$RELEASE-hostport-guard   # one JSON line per decision

  # Decide manifests without applying them, against the live cluster (from $REPO_ROOT):
  node_modules/.bin/node bin/hostport-guard.js check $MANIFESTS/web-2.yaml

  sed 's/web-2/web-4/; s/$NODE/node-2/' $MANIFESTS/web-2.yaml | kubectl apply -f -   # another node: admitted, runs
  kubectl label namespace $NS hostport-guard.io/mode=audit --overwrite
  kubectl apply -f $MANIFESTS/web-2.yaml    # audit: admitted silently, then refused by the kubelet

Stop everything:  make cluster-down
Only the webhook: hack/demo.sh stop
EOF
}

start() {
  command -v curl >/dev/null || die "curl is required"
  ((HPG_REAL_NODES > 0)) || die "the demo runs pods on real nodes: HPG_REAL_NODES must be at least 1"
  mkdir -p "$DEMO_DIR" "$MANIFESTS"
  log "starting the local cluster (hack/cluster-up.sh; the first run builds it)"
  "$HACK_DIR/cluster-up.sh" >/dev/null
  "$HACK_DIR/image-local.sh"

  delete_namespace "$NS"
  delete_namespace "$NS_WARN"
  delete_namespace "$NS_OFF"
  install_release
  create_namespace "$NS"
  create_namespace "$NS_WARN" hostport-guard.io/mode=warn
  create_namespace "$NS_OFF"
  pod_manifest web-1 "$NS" >"$MANIFESTS/web-1.yaml"
  pod_manifest web-2 "$NS" >"$MANIFESTS/web-2.yaml"
  pod_manifest web-2 "$NS_OFF" >"$MANIFESTS/web-2-without-webhook.yaml"
  pod_manifest web-3 "$NS_WARN" >"$MANIFESTS/web-3.yaml"

  story
  next_steps
}

case "${1:-start}" in
  start) start ;;
  stop)
    if release_installed; then
      "$HPG_HELM" uninstall "$RELEASE" --namespace "$RELEASE_NAMESPACE" --wait >/dev/null
      log "uninstalled the release $RELEASE"
    fi
    ;;
  -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  *) die "unknown command '$1' (usage: $0 [start|stop])" ;;
esac
