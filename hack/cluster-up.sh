#!/usr/bin/env bash
# cluster-up.sh — start a real local Kubernetes cluster for hostport-guard's e2e
# tests and demos (`make cluster-up`).
#
# Runs etcd, kube-apiserver, kube-controller-manager and kube-scheduler as
# local processes (binaries from hack/build-control-plane.sh, built first if
# missing), registers fake Nodes that look Ready so the real scheduler binds
# pods to them (nothing ever runs those pods: they stay Pending), and starts
# real nodes beside them (hack/nodes.sh): a kubelet with containerd and runc
# each, in namespaces of their own, that really run their pods. Real nodes
# carry the taint hostport-guard.dev/real-node=true:NoSchedule, so only pods
# meant for them (nodeName, or a toleration) land there.
#
# Idempotent: if the cluster is already up and healthy it only says so; if it
# is half up (a component died), it stops the survivors and starts again
# from the same state (certs and etcd data are kept).
#
# Env (all optional):
#   HPG_CACHE          cache root (default $HOME/.cache/hostport-guard)
#   HPG_CLUSTER_DIR    state dir (default $HPG_CACHE/cluster):
#                                 pki/, etcd/, logs/<component>.log, pids/, *.kubeconfig
#   HPG_APISERVER_PORT kube-apiserver https port on 127.0.0.1 (default 6443)
#   HPG_ETCD_PORT      etcd client port (default 2379; peer port is +1)
#   HPG_KCM_PORT       kube-controller-manager https port (default 10257)
#   HPG_SCHEDULER_PORT kube-scheduler https port (default 10259)
#   HPG_NODES          number of fake nodes worker-1..N (default 3)
#   HPG_REAL_NODES     number of real nodes node-1..N (default 2; 0 = none, and
#                      the API server listens on 127.0.0.1 only)
#   HPG_NET_ID         0..15, the real nodes' network (default 0; see lib/nodes.sh)
#   HPG_NODE_CPU / _NODE_MEMORY / _NODE_PODS
#                                 allocatable per node (default 8 / 32Gi / 110)
#   HPG_SERVICE_CIDR   service cluster IP range (default 10.96.0.0/16)
#   HPG_UP_TIMEOUT     seconds to wait for each component (default 120)
#
# Ports only take effect when the cluster is (re)started; a running cluster
# keeps the ports it was started with.
#
# With real nodes the API server listens on the real nodes' bridge
# ($HPG_BRIDGE_IP, a host address the nodes reach) rather than on 127.0.0.1,
# and every kubeconfig names that address.
#
# Caveat for test authors: there is no kubelet, so a pod bound to a fake
# node is never confirmed deleted. A normal `kubectl delete pod` only sets
# deletionTimestamp and the pod lingers forever (and so does a namespace
# being deleted around it). Delete such pods with
#   kubectl delete pod NAME --grace-period=0 --force
# Pods that were never bound (no spec.nodeName) delete normally.

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"
# shellcheck source=hack/lib/nodes.sh
source "$HACK_DIR/lib/nodes.sh"
# shellcheck source=hack/lib/pki.sh
source "$HACK_DIR/lib/pki.sh"

APISERVER_PORT="${HPG_APISERVER_PORT:-6443}"
ETCD_PORT="${HPG_ETCD_PORT:-2379}"
ETCD_PEER_PORT=$((ETCD_PORT + 1))
KCM_PORT="${HPG_KCM_PORT:-10257}"
SCHEDULER_PORT="${HPG_SCHEDULER_PORT:-10259}"
NODES="${HPG_NODES:-3}"
NODE_CPU="${HPG_NODE_CPU:-8}"
NODE_MEMORY="${HPG_NODE_MEMORY:-32Gi}"
NODE_PODS="${HPG_NODE_PODS:-110}"
SERVICE_CIDR="${HPG_SERVICE_CIDR:-10.96.0.0/16}"
UP_TIMEOUT="${HPG_UP_TIMEOUT:-120}"

# Every component talks only to this machine; a corporate proxy picked up from
# the environment must never see that traffic (in particular the apiserver's
# calls to admission webhooks, kubelets and pods).
hpg_no_proxy "$HPG_APISERVER_HOST" "$HPG_NODE_NET_PREFIX.0/24" 10.244.0.0/16

kubectl_admin() { "$HPG_KUBECTL" --kubeconfig "$HPG_KUBECONFIG" --request-timeout=10s "$@"; }

# ------------------------------------------------------------------ checks
for tool in openssl curl; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install -y $tool)"
done
[[ "$NODES" =~ ^[0-9]+$ ]] || die "HPG_NODES must be a number, got '$NODES'"
if ((HPG_REAL_NODES > 0)); then
  ((EUID == 0)) || die "real nodes need root (namespaces, cgroups, a bridge); run as root or with HPG_REAL_NODES=0"
  "$HACK_DIR/node-deps.sh"
fi

"$HACK_DIR/build-control-plane.sh"

mkdir -p "$HPG_PKI_DIR" "$HPG_PID_DIR" "$HPG_LOG_DIR"
# Private keys and etcd data live here; nobody else on the box needs them.
chmod 700 "$HPG_CLUSTER_DIR"

print_usage_hint() {
  log "kubectl $("$HPG_KUBECTL" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -n1) at $HPG_KUBECTL"
  log "helm at $HPG_HELM"
  log "logs in $HPG_LOG_DIR; stop with hack/cluster-down.sh"
  echo "export KUBECONFIG=$HPG_KUBECONFIG"
}

cluster_healthy() {
  local c
  for c in "${HPG_COMPONENTS[@]}"; do hpg_live_pid "$c" >/dev/null || return 1; done
  [[ -f "$HPG_KUBECONFIG" ]] || return 1
  grep -q "server: https://$HPG_APISERVER_HOST:$APISERVER_PORT\$" "$HPG_KUBECONFIG" || return 1
  [[ "$(kubectl_admin get --raw=/readyz 2>/dev/null)" == ok ]] || return 1
  "$HACK_DIR/nodes.sh" running
}

# ------------------------------------------------------------ fake nodes
# Nodes are created and then given a status through the status subresource
# (the main resource ignores status). Re-applying is harmless, so this runs
# on every start, which also refreshes the heartbeat timestamps.
register_nodes() {
  local now resources node i status
  now=$(date -u +%FT%TZ)
  resources="{\"cpu\":\"$NODE_CPU\",\"memory\":\"$NODE_MEMORY\",\"pods\":\"$NODE_PODS\",\"ephemeral-storage\":\"100Gi\"}"
  cond() { printf '{"type":"%s","status":"%s","reason":"%s","message":"fake node without a kubelet (hostport-guard dev cluster)","lastHeartbeatTime":"%s","lastTransitionTime":"%s"}' "$1" "$2" "$3" "$now" "$now"; }
  for ((i = 1; i <= NODES; i++)); do
    node="worker-$i"
    kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    hostport-guard.dev/fake-node: "true"
EOF
    status='{"status":{'
    status+="\"capacity\":$resources,\"allocatable\":$resources,"
    status+="\"conditions\":[$(cond Ready True KubeletReady),$(cond MemoryPressure False KubeletHasSufficientMemory),$(cond DiskPressure False KubeletHasNoDiskPressure),$(cond PIDPressure False KubeletHasSufficientPID)],"
    status+="\"addresses\":[{\"type\":\"Hostname\",\"address\":\"$node\"}],"
    status+='"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},'
    status+="\"nodeInfo\":{\"kubeletVersion\":\"$HPG_K8S_VERSION\",\"operatingSystem\":\"linux\",\"architecture\":\"amd64\",\"containerRuntimeVersion\":\"fake://0\",\"osImage\":\"fake\",\"kernelVersion\":\"\",\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\"}"
    status+='}}'
    kubectl_admin patch node "$node" --subresource=status --type=merge -p "$status" >/dev/null
    # The TaintNodesByCondition admission plugin puts not-ready:NoSchedule on
    # every new Node; normally the node-lifecycle-controller lifts it once the
    # kubelet reports Ready, but that controller is off here, so we do it.
    kubectl_admin patch node "$node" --type=merge -p '{"spec":{"taints":null}}' >/dev/null
  done
  log "$NODES fake node(s) registered"
}

# Tests may delete nodes; a healthy cluster missing one of ours gets it back.
nodes_missing() {
  local i
  for ((i = 1; i <= NODES; i++)); do
    kubectl_admin get node "worker-$i" -o name >/dev/null 2>&1 || return 0
  done
  return 1
}

if cluster_healthy; then
  if nodes_missing; then register_nodes; fi
  "$HACK_DIR/nodes.sh" up
  log "cluster already running and healthy ($(kubectl_admin config view --minify -o jsonpath='{.clusters[0].cluster.server}'))"
  print_usage_hint
  exit 0
fi

# Half-running clusters are restarted whole: the order of startup matters
# (the apiserver needs etcd, the controllers need the apiserver) and that is
# simpler to guarantee from scratch than by patching up.
running=()
for c in "${HPG_COMPONENTS[@]}"; do
  if hpg_live_pid "$c" >/dev/null; then running+=("$c"); fi
done
if ((${#running[@]} > 0)) || [[ -n "$(hpg_stray_pids)" ]]; then
  log "cluster is partly running (${running[*]:-stray processes}); restarting it"
  "$HACK_DIR/cluster-down.sh"
fi

for p in "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" "$KCM_PORT" "$SCHEDULER_PORT"; do
  if port_in_use "$p"; then
    die "port $p is already in use by another process ($(ss -Htlnp "sport = :$p" | awk '{print $NF}' | head -n1)); pick other ports with HPG_*_PORT"
  fi
done

# -------------------------------------------------------------------- PKI
# Throwaway CAs per state dir, kubeadm-style: "ca" signs serving and client
# certs, "front-proxy-ca" only the apiserver's aggregation proxy identity
# (so an ordinary client cert can never pose as the front proxy). EC keys
# keep generation instant; the service-account key is RSA because every
# token consumer accepts that.
pki() { printf '%s/%s' "$HPG_PKI_DIR" "$1"; }

if [[ ! -f "$(pki ca.crt)" || ! -f "$(pki ca.key)" || ! -f "$(pki front-proxy-ca.crt)" ]]; then
  log "generating CAs and certificates in $HPG_PKI_DIR"
  # Leaf certs signed by an earlier CA would no longer verify.
  rm -f "$HPG_PKI_DIR"/*
fi

gen_ca() { hpg_gen_ca "$HPG_PKI_DIR" "$@"; }
gen_cert() { hpg_gen_cert "$HPG_PKI_DIR" "$@"; }

gen_ca ca hostport-guard-dev-ca
gen_ca front-proxy-ca hostport-guard-dev-front-proxy-ca
# First IP of the service range: the in-cluster "kubernetes" Service.
IFS=./ read -r o1 o2 o3 o4 _ <<<"$SERVICE_CIDR"
kubernetes_svc_ip="$o1.$o2.$o3.$((o4 + 1))"
loopback_san="IP:127.0.0.1,IP:::1,DNS:localhost"
apiserver_san="$loopback_san,IP:$HPG_APISERVER_HOST"
# A certificate from a run with another address would fail every node's TLS check.
if [[ -f "$(pki apiserver.crt)" ]] && ! openssl x509 -in "$(pki apiserver.crt)" -noout -checkip "$HPG_APISERVER_HOST" | grep -q 'does match'; then
  rm -f "$(pki apiserver.crt)" "$(pki apiserver.key)"
fi
gen_cert ca apiserver "/CN=kube-apiserver" serverAuth \
  "$apiserver_san,IP:$kubernetes_svc_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
# Without these the two components serve a self-signed cert, and health
# checks could not verify them.
gen_cert ca kube-controller-manager-serving "/CN=kube-controller-manager" serverAuth "$loopback_san"
gen_cert ca kube-scheduler-serving "/CN=kube-scheduler" serverAuth "$loopback_san"
# Client identities match the bootstrap RBAC roles, so each component gets
# exactly the permissions it has in a kubeadm cluster, not cluster-admin.
gen_cert ca admin "/O=system:masters/CN=kubernetes-admin" clientAuth
gen_cert ca kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
gen_cert ca kube-scheduler "/CN=system:kube-scheduler" clientAuth
gen_cert ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
gen_cert front-proxy-ca front-proxy-client "/CN=front-proxy-client" clientAuth
if [[ ! -f "$(pki sa.key)" ]]; then
  openssl genrsa -out "$(pki sa.key)" 2048 2>/dev/null
  openssl rsa -in "$(pki sa.key)" -pubout -out "$(pki sa.pub)" 2>/dev/null
fi
chmod 600 "$HPG_PKI_DIR"/*.key

# Kubeconfigs embed their certs so they stay valid when copied elsewhere
# (e.g. into a test's temp dir or a TypeScript client that ignores paths).
write_kubeconfig() {
  local file=$1 cert=$2 user=$3
  umask 077
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hostport-guard
  cluster:
    server: https://$HPG_APISERVER_HOST:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$(pki ca.crt)")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$(pki "$cert.crt")")
    client-key-data: $(base64 -w0 <"$(pki "$cert.key")")
contexts:
- name: hostport-guard
  context:
    cluster: hostport-guard
    user: $user
current-context: hostport-guard
EOF
}
write_kubeconfig "$HPG_KUBECONFIG" admin kubernetes-admin
write_kubeconfig "$HPG_CLUSTER_DIR/kube-controller-manager.kubeconfig" kube-controller-manager system:kube-controller-manager
write_kubeconfig "$HPG_CLUSTER_DIR/kube-scheduler.kubeconfig" kube-scheduler system:kube-scheduler

# ------------------------------------------------------------- processes
# setsid gives each component its own session so that a Ctrl-C aimed at
# `make` does not reach them (Go programs re-enable SIGINT even when started
# with it ignored). Started from a non-interactive shell, setsid does not
# need to fork, so $! is the component's own pid.
start_component() {
  local name=$1
  shift
  local logfile="$HPG_LOG_DIR/$name.log"
  {
    echo
    echo "=== $(date -u +%FT%TZ) starting $name"
  } >>"$logfile"
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$HPG_PID_DIR/$name.pid"
}

# wait_for NAME WHAT CHECK_CMD...: polls until CHECK_CMD succeeds, failing
# fast (with the log tail) if component NAME's process exits meanwhile.
wait_for() {
  local name=$1 what=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! hpg_live_pid "$name" >/dev/null; then
      sleep 0.5 # let a just-exec'd process show its real executable
      if ! hpg_live_pid "$name" >/dev/null; then
        log "$name exited; last lines of $HPG_LOG_DIR/$name.log:"
        tail -n 25 "$HPG_LOG_DIR/$name.log" >&2
        die "$name failed to start"
      fi
    fi
    if ((SECONDS - start > UP_TIMEOUT)); then
      tail -n 25 "$HPG_LOG_DIR/$name.log" >&2
      die "$what: not done after ${UP_TIMEOUT}s (see $HPG_LOG_DIR/$name.log)"
    fi
    sleep 0.5
  done
  log "$what ($((SECONDS - start))s)"
}

https_ok() { [[ "$(curl -sS --max-time 3 --cacert "$(pki ca.crt)" --cert "$(pki admin.crt)" --key "$(pki admin.key)" "$1")" == ok ]]; }
etcd_ok() { curl -sS --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }

t0=$SECONDS

mkdir -p "$HPG_ETCD_DATA_DIR"
chmod 700 "$HPG_ETCD_DATA_DIR"
# No fsync: this is disposable test state and fsync latency on shared CI
# disks is what makes a small etcd slow. cluster-down stops it cleanly.
start_component etcd "$HPG_ETCD" \
  --name=hostport-guard \
  --data-dir="$HPG_ETCD_DATA_DIR" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="hostport-guard=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync=true \
  --log-level=warn
wait_for etcd "etcd is up" etcd_ok

# The real nodes' bridge first: the API server listens on it.
"$HACK_DIR/nodes.sh" network-up

# Left to itself the apiserver would advertise the host's primary IP (and
# fail to start on a host without a default route). It advertises the address
# it listens on instead, keeping the cluster independent of the host's
# network. With real nodes that is the nodes' bridge, a valid endpoint for the
# "kubernetes" Service, which webhook pods use (through the DNAT rule each node
# holds in place of kube-proxy); without them it is loopback, which is not a
# valid endpoint address, so the endpoint reconciler is off.
# The apiserver reaches kubelets on their InternalIP (no DNS here) and checks
# their serving certificates against the cluster CA. With aggregator routing
# it calls a webhook Service through a ready endpoint's pod IP, as it does for
# aggregated APIs, so the chart's webhook is reachable without kube-proxy.
# In-flight limits are lowered so a runaway test cannot starve 2 cores.
# A long-lived watch (e.g. a webhook server's informer) otherwise keeps the
# apiserver's HTTP server from shutting down for a minute after SIGTERM;
# the watch grace period makes it close watches promptly instead.
if ((HPG_REAL_NODES > 0)); then reconciler=lease; else reconciler=none; fi
start_component kube-apiserver "$HPG_KUBE_APISERVER" \
  --bind-address="$HPG_APISERVER_HOST" \
  --advertise-address="$HPG_APISERVER_HOST" \
  --endpoint-reconciler-type="$reconciler" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --kubelet-certificate-authority="$(pki ca.crt)" \
  --enable-aggregator-routing=true \
  --enable-admission-plugins=NodeRestriction \
  --secure-port="$APISERVER_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$(pki apiserver.crt)" \
  --tls-private-key-file="$(pki apiserver.key)" \
  --client-ca-file="$(pki ca.crt)" \
  --kubelet-client-certificate="$(pki apiserver-kubelet-client.crt)" \
  --kubelet-client-key="$(pki apiserver-kubelet-client.key)" \
  --requestheader-client-ca-file="$(pki front-proxy-ca.crt)" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$(pki front-proxy-client.crt)" \
  --proxy-client-key-file="$(pki front-proxy-client.key)" \
  --service-account-issuer="https://kubernetes.default.svc.cluster.local" \
  --service-account-key-file="$(pki sa.pub)" \
  --service-account-signing-key-file="$(pki sa.key)" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --authorization-mode=Node,RBAC \
  --allow-privileged=true \
  --max-requests-inflight=100 \
  --max-mutating-requests-inflight=50 \
  --shutdown-watch-termination-grace-period=2s \
  --profiling=false \
  --v=1
wait_for kube-apiserver "kube-apiserver is ready" https_ok "https://$HPG_APISERVER_HOST:$APISERVER_PORT/readyz"

# node-lifecycle-controller is off because nothing heartbeats for the fake
# nodes: it would mark them NotReady after ~40s, taint them and evict pods.
start_component kube-controller-manager "$HPG_KUBE_CONTROLLER_MANAGER" \
  --kubeconfig="$HPG_CLUSTER_DIR/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$HPG_CLUSTER_DIR/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$HPG_CLUSTER_DIR/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --tls-cert-file="$(pki kube-controller-manager-serving.crt)" \
  --tls-private-key-file="$(pki kube-controller-manager-serving.key)" \
  --controllers='*,-node-lifecycle-controller' \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$(pki sa.key)" \
  --root-ca-file="$(pki ca.crt)" \
  --cluster-signing-cert-file="$(pki ca.crt)" \
  --cluster-signing-key-file="$(pki ca.key)" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --leader-elect=false \
  --profiling=false \
  --v=1
wait_for kube-controller-manager "kube-controller-manager is up" https_ok "https://127.0.0.1:$KCM_PORT/healthz"

start_component kube-scheduler "$HPG_KUBE_SCHEDULER" \
  --kubeconfig="$HPG_CLUSTER_DIR/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$HPG_CLUSTER_DIR/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="$HPG_CLUSTER_DIR/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHEDULER_PORT" \
  --tls-cert-file="$(pki kube-scheduler-serving.crt)" \
  --tls-private-key-file="$(pki kube-scheduler-serving.key)" \
  --leader-elect=false \
  --profiling=false \
  --v=1
wait_for kube-scheduler "kube-scheduler is up" https_ok "https://127.0.0.1:$SCHEDULER_PORT/healthz"

register_nodes
"$HACK_DIR/nodes.sh" up

# Pods in a namespace are rejected until the ServiceAccount admission plugin
# finds the "default" ServiceAccount, which the controller-manager creates
# asynchronously; waiting here saves every caller from a startup race.
default_sa_exists() { kubectl_admin -n default get serviceaccount default; }
wait_for kube-controller-manager "default ServiceAccount exists" default_sa_exists

log "cluster up in $((SECONDS - t0))s"
kubectl_admin get nodes >&2
print_usage_hint
