#!/usr/bin/env bash
# with-cluster.sh CMD [ARGS...] — run CMD with the local cluster up, the webhook image of
# this tree loaded into its real nodes, and its KUBECONFIG, KUBECTL and HELM exported. A
# cluster that was already running is left running (it may be a developer's demo); one
# this script started is stopped again, whatever CMD's outcome, and that stop must leave
# nothing behind on the machine (hack/cluster-down.sh checks, and its failure fails this
# script), so `make test` leaves the host as it found it.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

was_running=0
if eval "$("$HACK_DIR/cluster-env.sh")" && "$KUBECTL" get --raw=/readyz >/dev/null 2>&1; then
  was_running=1
fi

stop_if_started() {
  local status=$?
  if [[ "$was_running" == 0 ]]; then
    "$HACK_DIR/cluster-down.sh" || status=$((status == 0 ? 1 : status))
  fi
  exit "$status"
}
trap stop_if_started EXIT

"$HACK_DIR/cluster-up.sh"
"$HACK_DIR/image-local.sh"
eval "$("$HACK_DIR/cluster-env.sh")"
"$@"
