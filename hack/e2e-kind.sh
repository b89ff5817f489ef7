#!/usr/bin/env bash
# e2e-kind.sh — run the release stories (test/kind) on a cluster with real kubelets: a kind
# cluster running the image built from this checkout (`make e2e-kind`).
#
# 1. creates the kind cluster (one control plane, two workers; its own kubeconfig file,
#    ~/.kube/config is not touched),
# 2. builds hostport-guard:e2e with docker and loads it into the nodes,
# 3. installs the chart as release `hpg` in namespace `hostport-guard` with the
#    Helm-generated CA (tls.mode=helm) and waits for the rollout,
# 4. runs the `kind` jest project (test/kind: stories against the installed release on
#    real kubelets) with KUBECONFIG pointing at the cluster and HPG_E2E_TARGET=kind.
#    The full e2e project starts its own webhook on 127.0.0.1 and pins pods to the
#    local control plane's fake nodes, so it runs there (make test), not on kind,
# 5. deletes the cluster, whatever happened (unless HPG_KIND_KEEP=1).
#
# Needs: docker with a running engine, kind, kubectl, helm, and `npm ci` done (Node.js 24
# in node_modules/.bin). Arguments are passed to jest, e.g. a test path.
#
# Env (all optional):
#   HPG_KIND_CLUSTER     cluster name (default hostport-guard-e2e)
#   HPG_KIND_NODE_IMAGE  node image for `kind create cluster --image`
#   HPG_KIND_KEEP=1      keep the cluster afterwards, to look around
#   HPG_KIND_REPLICAS    webhook replicas (default 2)
#   KUBECTL, HELM                   the binaries (default: kubectl and helm on PATH)

set -euo pipefail

CLUSTER="${HPG_KIND_CLUSTER:-hostport-guard-e2e}"
REPLICAS="${HPG_KIND_REPLICAS:-2}"
IMAGE_REPOSITORY=hostport-guard
IMAGE_TAG=e2e
RELEASE=hpg
NAMESPACE=hostport-guard
WAIT=180s

log() { printf '[e2e-kind] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# Only shell builtins until every prerequisite is known to be there, so a machine
# without them gets one clear message and nothing else.
here="${BASH_SOURCE[0]%/*}"
[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.
ROOT="$(cd "$here/.." && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
HELM="${HELM:-helm}"
NODE="$ROOT/node_modules/.bin/node"

missing=()
for tool in docker kind "$KUBECTL" "$HELM"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -x "$NODE" ]] || missing+=("Node.js 24 in node_modules/.bin (run npm ci)")
if ((${#missing[@]} > 0)); then
  log "ERROR: make e2e-kind needs docker, kind, kubectl and helm; missing:"
  for m in "${missing[@]}"; do log "  - $m"; done
  log "install them (kind: https://kind.sigs.k8s.io/docs/user/quick-start/) or run the local suite: make test-e2e"
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  log "ERROR: docker is installed but cannot reach the Docker engine (is the daemon running, and may this user use it?)"
  exit 2
fi
clusters="$(kind get clusters 2>/dev/null || true)"
if grep -qx "$CLUSTER" <<<"$clusters"; then
  die "a kind cluster named $CLUSTER already exists: delete it (kind delete cluster --name $CLUSTER) or set HPG_KIND_CLUSTER"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/hostport-guard-kind.XXXXXX")"
export KUBECONFIG="$WORK/kubeconfig"
created=false

cleanup() {
  local status=$?
  if ((status != 0)) && [[ "$created" == true ]]; then
    log "failed (exit $status); cluster state:"
    "$KUBECTL" get nodes,pods -A -o wide >&2 || true
    "$KUBECTL" -n "$NAMESPACE" logs "deployment/$RELEASE-hostport-guard" --all-containers --tail=100 >&2 || true
  fi
  if [[ "$created" == true ]]; then
    if [[ "${HPG_KIND_KEEP:-}" == 1 ]]; then
      log "keeping cluster $CLUSTER (kubeconfig $KUBECONFIG); delete it with: kind delete cluster --name $CLUSTER"
      return
    fi
    log "deleting cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" >&2 || log "could not delete cluster $CLUSTER"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "creating kind cluster $CLUSTER"
created=true
kind_args=(create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait "$WAIT" --config -)
[[ -n "${HPG_KIND_NODE_IMAGE:-}" ]] && kind_args+=(--image "$HPG_KIND_NODE_IMAGE")
kind "${kind_args[@]}" <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
  - role: worker
  - role: worker
EOF

log "building $IMAGE_REPOSITORY:$IMAGE_TAG"
docker build -t "$IMAGE_REPOSITORY:$IMAGE_TAG" "$ROOT"
kind load docker-image "$IMAGE_REPOSITORY:$IMAGE_TAG" --name "$CLUSTER"

log "installing release $RELEASE in namespace $NAMESPACE"
"$HELM" install "$RELEASE" "$ROOT/charts/hostport-guard" \
  --namespace "$NAMESPACE" --create-namespace \
  --set tls.mode=helm \
  --set image.repository="$IMAGE_REPOSITORY" \
  --set image.tag="$IMAGE_TAG" \
  --set image.pullPolicy=Never \
  --set replicaCount="$REPLICAS" \
  --set "config.exemptNamespaces[0]=hpg-e2e-exempt"
"$KUBECTL" -n "$NAMESPACE" rollout status "deployment/$RELEASE-hostport-guard" --timeout="$WAIT"

log "running the release stories (test/kind) against $CLUSTER"
mkdir -p "$WORK/logs"
cd "$ROOT"
KUBECTL="$(command -v "$KUBECTL")" \
  HELM="$(command -v "$HELM")" \
  HPG_CLUSTER_DIR="$WORK" \
  HPG_E2E_TARGET=kind \
  HPG_E2E_RELEASE="$RELEASE" \
  HPG_E2E_NAMESPACE="$NAMESPACE" \
  PATH="$ROOT/node_modules/.bin:$PATH" \
  "$NODE" --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects kind --runInBand "$@"
log "PASS"
