# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this
# Shared settings for hack/build-control-plane.sh, hack/cluster-*.sh.
# Sourced, never executed: it must not change the caller's shell options,
# because hack/cluster-env.sh may be sourced into an interactive shell.
#
# Env (all optional):
#   HPG_CACHE        cache root (default $HOME/.cache/hostport-guard)
#   HPG_CLUSTER_DIR  cluster state: certs, etcd data, logs, pids
#                               (default $HPG_CACHE/cluster)
#   K8S_VERSION / ETCD_VERSION / HELM_VERSION / PROMETHEUS_VERSION   pinned tool versions

HPG_CACHE="${HPG_CACHE:-$HOME/.cache/hostport-guard}"
HPG_BIN_DIR="$HPG_CACHE/bin"
# Unversioned names (kubectl, helm, ...) for PATH use; rebuilt by the build
# script so that they always point at the pinned versions below.
HPG_PATH_DIR="$HPG_CACHE/path"
HPG_CLUSTER_DIR="${HPG_CLUSTER_DIR:-$HPG_CACHE/cluster}"

HPG_K8S_VERSION="${K8S_VERSION:-v1.37.2}"
HPG_ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
HPG_HELM_VERSION="${HELM_VERSION:-v3.22.0}"
HPG_PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"

HPG_ETCD="$HPG_BIN_DIR/etcd-$HPG_ETCD_VERSION"
HPG_KUBE_APISERVER="$HPG_BIN_DIR/kube-apiserver-$HPG_K8S_VERSION"
HPG_KUBE_CONTROLLER_MANAGER="$HPG_BIN_DIR/kube-controller-manager-$HPG_K8S_VERSION"
HPG_KUBE_SCHEDULER="$HPG_BIN_DIR/kube-scheduler-$HPG_K8S_VERSION"
HPG_KUBECTL="$HPG_BIN_DIR/kubectl-$HPG_K8S_VERSION"
HPG_KUBELET="$HPG_BIN_DIR/kubelet-$HPG_K8S_VERSION"
HPG_HELM="$HPG_BIN_DIR/helm-$HPG_HELM_VERSION"
HPG_PROMTOOL="$HPG_BIN_DIR/promtool-$HPG_PROMETHEUS_VERSION"

HPG_KUBECONFIG="$HPG_CLUSTER_DIR/admin.kubeconfig"
HPG_PKI_DIR="$HPG_CLUSTER_DIR/pki"
HPG_PID_DIR="$HPG_CLUSTER_DIR/pids"
HPG_LOG_DIR="$HPG_CLUSTER_DIR/logs"
HPG_ETCD_DATA_DIR="$HPG_CLUSTER_DIR/etcd"

# Start order; cluster-down walks it backwards.
HPG_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

hpg_component_bin() {
  case "$1" in
    etcd) echo "$HPG_ETCD" ;;
    kube-apiserver) echo "$HPG_KUBE_APISERVER" ;;
    kube-controller-manager) echo "$HPG_KUBE_CONTROLLER_MANAGER" ;;
    kube-scheduler) echo "$HPG_KUBE_SCHEDULER" ;;
    *) return 1 ;;
  esac
}

# Prints the pid recorded for a component if that pid is still one of our
# processes. Checking the executable guards against pid reuse after a crash
# or reboot, where a stale pid file could otherwise make us signal an
# unrelated process.
hpg_live_pid() {
  local name=$1 pidfile="$HPG_PID_DIR/$1.pid" pid exe bin
  [[ -f "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  bin=$(hpg_component_bin "$name") || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  # A binary replaced on disk while running shows up as "path (deleted)".
  [[ "$exe" == "$bin" || "$exe" == "$bin (deleted)" ]] || return 1
  echo "$pid"
}

# Pids of any process running one of our control-plane binaries against this
# cluster dir, whether or not a pid file remembers it (e.g. the pid dir was
# deleted by hand). Matching both the exact executable path and the state
# dir in the command line keeps this from touching anyone else's processes.
hpg_stray_pids() {
  local p pid exe bin name cmdline
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    for name in "${HPG_COMPONENTS[@]}"; do
      bin=$(hpg_component_bin "$name")
      [[ "$exe" == "$bin" ]] || continue
      cmdline=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
      [[ "$cmdline" == *"$HPG_CLUSTER_DIR/"* ]] && echo "$pid"
    done
  done
}
