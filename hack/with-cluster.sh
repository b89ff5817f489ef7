#!/usr/bin/env bash
# with-cluster.sh CMD [ARGS...] — run CMD with the local cluster up, the webhook image of
# this tree loaded into its real nodes, and its KUBECONFIG, KUBECTL and HELM exported.
#
# A cluster already running at HPG_CLUSTER_DIR is used as it is and left running (a
# developer iterating on tests keeps one up), unless the demo's release is installed on
# it: the demo's webhook would judge the tests' pods too, so that is refused.
#
# Otherwise the tests get a cluster of their own, started from empty state in
# "$HPG_CLUSTER_DIR-test" (what a stopped demo cluster holds is neither used nor
# touched), and stopped again whatever CMD's outcome. That stop must leave nothing
# behind on the machine (hack/cluster-down.sh checks, and its failure fails this script),
# so `make test` leaves the host as it found it. The state dir stays, for its logs.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The demo's release (hack/demo.sh).
DEMO_RELEASE=hpg
DEMO_NAMESPACE=hostport-guard

eval "$("$HACK_DIR/cluster-env.sh")"
started=0
if "$KUBECTL" get --raw=/readyz >/dev/null 2>&1; then
  if "$HELM" status "$DEMO_RELEASE" --namespace "$DEMO_NAMESPACE" >/dev/null 2>&1; then
    printf '[with-cluster] ERROR: the cluster at %s runs the demo (release %s in namespace %s), whose webhook would judge the tests'"'"' pods too.\n' \
      "$HPG_CLUSTER_DIR" "$DEMO_RELEASE" "$DEMO_NAMESPACE" >&2
    printf '[with-cluster] Uninstall it (hack/demo.sh stop) or stop that cluster (make cluster-down), then run again.\n' >&2
    exit 2
  fi
  printf '[with-cluster] using the cluster already running at %s (left running)\n' "$HPG_CLUSTER_DIR" >&2
else
  export HPG_CLUSTER_DIR="$HPG_CLUSTER_DIR-test"
  # Stops what an interrupted run may have left, and empties the last run's state.
  "$HACK_DIR/cluster-down.sh" --purge
  started=1
fi

stop_if_started() {
  local status=$?
  if ((started)); then
    "$HACK_DIR/cluster-down.sh" || status=$((status == 0 ? 1 : status))
  fi
  exit "$status"
}
trap stop_if_started EXIT

"$HACK_DIR/cluster-up.sh"
"$HACK_DIR/image-local.sh"
eval "$("$HACK_DIR/cluster-env.sh")"
"$@"
