#!/usr/bin/env bash
# nodes.sh — the real nodes of the local cluster: a kubelet with containerd and runc per
# node, each in namespaces of its own (see hack/lib/nodes.sh for the layout). Called by
# cluster-up.sh and cluster-down.sh; useful by hand too.
#
# Usage: hack/nodes.sh network-up   the bridge (before the API server, which listens on it)
#        hack/nodes.sh up           every node: namespaces, containerd, images, kubelet;
#                                   waits until each node is Ready (needs the API server)
#        hack/nodes.sh running      exit 0 when every node's processes are alive
#        hack/nodes.sh down         stops every node and removes its namespaces, cgroups,
#                                   pod processes and veth
#        hack/nodes.sh network-down removes the bridge (after the API server stopped)
#        hack/nodes.sh load-image TAR   imports an image archive into every running node
#        hack/nodes.sh leftovers    prints what of the project is still on the host
#                                   (processes, mounts, cgroups, namespaces, links,
#                                   routes, iptables rules); exit 1 when anything is
#
# Env: see hack/lib/control-plane.sh and hack/lib/nodes.sh (HPG_REAL_NODES, HPG_NET_ID).
# Needs root, and the Debian packages of hack/node-deps.sh (installed when missing).

set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=hack/lib/common.sh
source "$HACK_DIR/lib/common.sh"
# shellcheck source=hack/lib/control-plane.sh
source "$HACK_DIR/lib/control-plane.sh"
# shellcheck source=hack/lib/nodes.sh
source "$HACK_DIR/lib/nodes.sh"
# shellcheck source=hack/lib/pki.sh
source "$HACK_DIR/lib/pki.sh"

APISERVER_PORT="${HPG_APISERVER_PORT:-6443}"
SERVICE_CIDR="${HPG_SERVICE_CIDR:-10.96.0.0/16}"
UP_TIMEOUT="${HPG_UP_TIMEOUT:-120}"
# The bridge's alias names the cluster that owns it, so a second cluster with the same
# HPG_NET_ID fails at once instead of sharing (and later deleting) another's network.
BRIDGE_ALIAS="hostport-guard:$HPG_CLUSTER_DIR"

kubectl_admin() { "$HPG_KUBECTL" --kubeconfig "$HPG_KUBECONFIG" --request-timeout=10s "$@"; }

# ------------------------------------------------------------------ network
# The cluster dir named by the bridge's alias, or nothing when there is no bridge.
bridge_owner() {
  ip -o link show "$HPG_BRIDGE" 2>/dev/null | sed -n 's/.* alias hostport-guard:\(.*\)$/\1/p'
}

# True unless the bridge exists and belongs to another cluster: then every name derived
# from HPG_NET_ID (namespaces, veths, cgroup folders, routes) is that cluster's.
network_is_ours() {
  ip link show "$HPG_BRIDGE" >/dev/null 2>&1 || return 0
  [[ "$(bridge_owner)" == "$HPG_CLUSTER_DIR" ]]
}

refuse_foreign_network() {
  network_is_ours ||
    die "bridge $HPG_BRIDGE belongs to the cluster in $(bridge_owner); this one ($HPG_CLUSTER_DIR) must use another HPG_NET_ID"
}

network_up() {
  ((HPG_REAL_NODES > 0)) || return 0
  refuse_foreign_network
  if ! ip link show "$HPG_BRIDGE" >/dev/null 2>&1; then
    ip link add "$HPG_BRIDGE" type bridge
    ip link set dev "$HPG_BRIDGE" alias "$BRIDGE_ALIAS"
    ip addr add "$HPG_BRIDGE_IP/24" dev "$HPG_BRIDGE"
    ip link set "$HPG_BRIDGE" up
    log "bridge $HPG_BRIDGE $HPG_BRIDGE_IP/24"
  fi
}

network_down() {
  network_is_ours || return 0
  if ip link show "$HPG_BRIDGE" >/dev/null 2>&1; then
    ip link del "$HPG_BRIDGE"
    log "removed bridge $HPG_BRIDGE"
  fi
}

# node_network I: the node's namespace and veth, its address and default route, and the
# host's route to its pod subnet.
node_network() {
  local i=$1 ns veth ip cidr
  ns=$(hpg_node_netns "$i") veth=$(hpg_node_veth "$i") ip=$(hpg_node_ip "$i") cidr=$(hpg_node_pod_cidr "$i")
  ip netns list | grep -qx "$ns\( (id: [0-9]*)\)\?" || ip netns add "$ns"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$HPG_BRIDGE" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$HPG_BRIDGE_IP"
  fi
  ip route replace "$cidr" via "$ip" dev "$HPG_BRIDGE"
  # Forwarding inside the node (pod subnet <-> eth0) is the node's own setting: the write
  # goes to the namespace of the writer, never to the host's.
  nsenter --net="/run/netns/$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
  # The stand-in for kube-proxy's one rule that matters here: the `kubernetes` Service
  # (the webhook pods' in-cluster API address) leads to the API server on the bridge.
  local svc o1 o2 o3 o4
  IFS=./ read -r o1 o2 o3 o4 _ <<<"$SERVICE_CIDR"
  svc="$o1.$o2.$o3.$((o4 + 1))"
  local chain
  for chain in PREROUTING OUTPUT; do
    nsenter --net="/run/netns/$ns" iptables -w -t nat -C "$chain" -d "$svc/32" -p tcp --dport 443 \
      -j DNAT --to-destination "$HPG_BRIDGE_IP:$APISERVER_PORT" 2>/dev/null ||
      nsenter --net="/run/netns/$ns" iptables -w -t nat -A "$chain" -d "$svc/32" -p tcp --dport 443 \
        -j DNAT --to-destination "$HPG_BRIDGE_IP:$APISERVER_PORT"
  done
}

# ------------------------------------------------------------------ processes
# node_pid I ROLE: the recorded pid of a node's holder, containerd or kubelet, if that
# process still runs and still is that role of that node (pids are reused).
node_pid() {
  local i=$1 role=$2 file pid
  file="$HPG_PID_DIR/$(hpg_node_name "$i")-$role.pid"
  [[ -f "$file" ]] || return 1
  pid=$(<"$file")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$(hpg_node_path "$i")/" || return 1
  echo "$pid"
}

# ns_inode NSFILE: the inode that identifies a namespace.
ns_inode() { stat -L -c %i "$1" 2>/dev/null; }

# node_pids I: every process that belongs to node I: its holder, containerd, kubelet and
# shims (they share its network or mount namespace), and every container (they live in
# its cgroup folder), whether or not a pid file remembers them.
node_pids() {
  local i=$1 net_ino="" mnt_ino="" holder p pid cg
  net_ino=$(ns_inode "/run/netns/$(hpg_node_netns "$i")") || true
  if holder=$(node_pid "$i" holder); then mnt_ino=$(ns_inode "/proc/$holder/ns/mnt") || true; fi
  cg=$(hpg_node_cgroup "$i")
  {
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
      if [[ -n "$net_ino" && "$(ns_inode "$p/ns/net")" == "$net_ino" ]] ||
        [[ -n "$mnt_ino" && "$(ns_inode "$p/ns/mnt")" == "$mnt_ino" ]]; then
        echo "$pid"
      fi
    done
    local h
    while read -r h; do
      [[ -d "$h/$cg" ]] && find "$h/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
    done < <(hpg_cgroup_hierarchies)
  } | sort -un
}

# start_in_node I ROLE CMD...: runs CMD inside node I's namespaces in the background,
# logging to logs/node-I-ROLE.log and recording its pid.
start_in_node() {
  local i=$1 role=$2 holder name
  shift 2
  name=$(hpg_node_name "$i")
  holder=$(node_pid "$i" holder) || die "$name has no holder process"
  {
    echo
    echo "=== $(date -u +%FT%TZ) starting $role"
  } >>"$HPG_LOG_DIR/$name-$role.log"
  # nsenter execs CMD in place (no fork for mount and network namespaces), so $! is it.
  setsid nsenter --target "$holder" --mount --net -- "$@" >>"$HPG_LOG_DIR/$name-$role.log" 2>&1 </dev/null &
  echo $! >"$HPG_PID_DIR/$name-$role.pid"
}

# ------------------------------------------------------------------ a node's files
write_node_files() {
  local i=$1 dir name ip cidr
  dir=$(hpg_node_path "$i") name=$(hpg_node_name "$i") ip=$(hpg_node_ip "$i") cidr=$(hpg_node_pod_cidr "$i")
  mkdir -p "$dir"/{var-lib,var-log,sysctl,manifests,cni}
  chmod 700 "$dir"
  # Bind-mounted over /proc/sys in the node's mount namespace: they hold the values the
  # kubelet checks for (protectKernelDefaults), and anything written there stays here.
  echo 1 >"$dir/sysctl/overcommit_memory"
  echo 10 >"$dir/sysctl/panic"
  echo 1 >"$dir/sysctl/panic_on_oops"

  cat >"$dir/holder.sh" <<'EOF'
# The node's mount namespace: its own /run, /var/lib and /var/log, and sysctl files.
set -eu
dir=$1
mount -t tmpfs -o mode=755 tmpfs /run
mount --bind "$dir/var-lib" /var/lib
mount --bind "$dir/var-log" /var/log
mount --bind "$dir/sysctl/overcommit_memory" /proc/sys/vm/overcommit_memory
mount --bind "$dir/sysctl/panic" /proc/sys/kernel/panic
mount --bind "$dir/sysctl/panic_on_oops" /proc/sys/kernel/panic_on_oops
exec -a "hostport-guard-node-holder $dir/" sleep infinity
EOF

  cat >"$dir/cni/10-hostport-guard.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "hostport-guard",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$cidr" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  # restrict_oom_score_adj: root here may not lower oom_score_adj (no CAP_SYS_RESOURCE),
  # and runc fails every sandbox when containerd asks it to.
  cat >"$dir/containerd.toml" <<EOF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$HPG_PAUSE_IMAGE"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
EOF

  # The node's identity (Node authorizer: group system:nodes, user system:node:NAME) and
  # its serving certificate, which the API server checks against the cluster CA.
  hpg_gen_cert "$HPG_PKI_DIR" ca "$name-kubelet-client" "/O=system:nodes/CN=system:node:$name" clientAuth
  hpg_gen_cert "$HPG_PKI_DIR" ca "$name-kubelet-serving" "/O=system:nodes/CN=system:node:$name" serverAuth "IP:$ip,DNS:$name"
  umask 077
  cat >"$dir/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hostport-guard
  cluster:
    server: https://$HPG_APISERVER_HOST:$APISERVER_PORT
    certificate-authority: $HPG_PKI_DIR/ca.crt
users:
- name: $name
  user:
    client-certificate: $HPG_PKI_DIR/$name-kubelet-client.crt
    client-key: $HPG_PKI_DIR/$name-kubelet-client.key
contexts:
- name: hostport-guard
  context: { cluster: hostport-guard, user: $name }
current-context: hostport-guard
EOF
  umask 022

  # Settings this machine kind needs, and why (REAL-NODE facts): cgroup v1 is still
  # allowed (failCgroupV1: false) with the cgroupfs driver; protectKernelDefaults makes
  # the kubelet check rather than set the kernel sysctls (the holder's files hold the
  # values it wants); makeIPTablesUtilChains off so it adds no chains; image GC and
  # eviction thresholds out of the way of a busy CI disk. The kubelet listens on the
  # node's address in the node's namespace: 10250 is taken there as on any node.
  local cg
  cg=$(hpg_node_cgroup "$i")
  cat >"$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$cg
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
containerRuntimeEndpoint: unix://$dir/containerd.sock
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $HPG_PKI_DIR/$name-kubelet-serving.crt
tlsPrivateKeyFile: $HPG_PKI_DIR/$name-kubelet-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $HPG_PKI_DIR/ca.crt }
authorization:
  mode: Webhook
protectKernelDefaults: true
makeIPTablesUtilChains: false
failSwapOn: false
staticPodPath: $dir/manifests
podLogsDir: /var/log/pods
serializeImagePulls: false
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%"
  imagefs.available: "1%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
registerWithTaints:
- key: $HPG_REAL_NODE_TAINT_KEY
  value: "true"
  effect: NoSchedule
nodeStatusUpdateFrequency: 10s
EOF
}

# node_cgroups I: the cgroup folder under which the kubelet puts node I's pods, in every
# hierarchy (it must exist before the kubelet starts). cpuset folders start empty in
# cgroup v1 and take no tasks until given the parent's CPUs and memory nodes.
node_cgroups() {
  local i=$1 cg h
  cg=$(hpg_node_cgroup "$i")
  while read -r h; do
    [[ -d "$h/$cg" ]] || mkdir "$h/$cg"
    if [[ -f "$h/cpuset.cpus" && ! -s "$h/$cg/cpuset.cpus" ]] || [[ -f "$h/$cg/cpuset.cpus" && -z "$(tr -d '\n' <"$h/$cg/cpuset.cpus")" ]]; then
      cat "$h/cpuset.cpus" >"$h/$cg/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$cg/cpuset.mems"
    fi
  done < <(hpg_cgroup_hierarchies)
}

remove_node_cgroups() {
  local i=$1 cg h
  cg=$(hpg_node_cgroup "$i")
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local left=0
    while read -r h; do
      [[ -d "$h/$cg" ]] || continue
      find "$h/$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [[ -d "$h/$cg" ]] && left=1
    done < <(hpg_cgroup_hierarchies)
    ((left)) || return 0
    sleep 0.5
  done
  log "cgroup folders of $(hpg_node_name "$i") could not be removed (tasks still in them?)"
  return 1
}

# ------------------------------------------------------------------ up
# import_images I TAR...: imports the archives node I does not hold yet.
import_images() {
  local i=$1 dir tar id have
  shift
  dir=$(hpg_node_path "$i")
  for tar in "$@"; do
    id=$(<"$tar.id")
    # The image id is the digest of its config: equal ids, equal images.
    have=$(ctr -a "$dir/containerd.sock" -n k8s.io images ls 2>/dev/null | awk -v id="$id" '$0 ~ id {print "yes"; exit}')
    [[ "$have" == yes ]] && continue
    # Unpacking mounts snapshots, which exist only in the node's mount namespace.
    nsenter --target "$(node_pid "$i" holder)" --mount -- \
      ctr -a "$dir/containerd.sock" -n k8s.io images import --no-unpack=false "$tar" >/dev/null
  done
}

base_images() {
  local f
  for f in pause busybox; do
    [[ -f "$HPG_IMAGE_DIR/$f.tar" && -f "$HPG_IMAGE_DIR/$f.tar.id" ]] || {
      log "assembling the node images (pause, busybox) in $HPG_IMAGE_DIR"
      "$REPO_ROOT/node_modules/.bin/node" "$REPO_ROOT/hack/image/assemble.ts" base "$HPG_IMAGE_DIR"
      return
    }
  done
}

wait_until() {
  local what=$1 start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start <= UP_TIMEOUT)) || return 1
    sleep 0.5
  done
  log "$what ($((SECONDS - start))s)"
}

node_up() {
  local i=$1 dir name
  dir=$(hpg_node_path "$i") name=$(hpg_node_name "$i")
  if node_pid "$i" holder >/dev/null && node_pid "$i" containerd >/dev/null && node_pid "$i" kubelet >/dev/null; then
    return 0
  fi
  # A node half up (one process died) starts again whole, from its kept state.
  node_down "$i" quiet
  write_node_files "$i"
  node_network "$i"
  node_cgroups "$i"

  setsid nsenter --net="/run/netns/$(hpg_node_netns "$i")" -- \
    unshare --mount --propagation private -- bash "$dir/holder.sh" "$dir" \
    >>"$HPG_LOG_DIR/$name-holder.log" 2>&1 </dev/null &
  echo $! >"$HPG_PID_DIR/$name-holder.pid"
  wait_until "$name: namespaces ready" node_pid "$i" holder || die "$name: the holder did not start (see $HPG_LOG_DIR/$name-holder.log)"

  start_in_node "$i" containerd containerd --config "$dir/containerd.toml"
  wait_until "$name: containerd is up" ctr -a "$dir/containerd.sock" version ||
    die "$name: containerd did not start (see $HPG_LOG_DIR/$name-containerd.log)"
  import_images "$i" "$HPG_IMAGE_DIR/pause.tar" "$HPG_IMAGE_DIR/busybox.tar"
  if [[ -f "$HPG_IMAGE_DIR/webhook.tar.id" ]]; then import_images "$i" "$HPG_IMAGE_DIR/webhook.tar"; fi

  start_in_node "$i" kubelet "$HPG_KUBELET" \
    --config="$dir/kubelet.yaml" \
    --kubeconfig="$dir/kubelet.kubeconfig" \
    --hostname-override="$name" \
    --node-ip="$(hpg_node_ip "$i")" \
    --node-labels="$HPG_REAL_NODE_LABEL=true" \
    --v=1
}

node_ready() {
  [[ "$(kubectl_admin get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# inotify instances open for this user, in every process (a kubelet's cAdvisor and
# certificate watchers fail without one, and the kubelet then never becomes Ready).
inotify_in_use() {
  # find fails when a process exits while it reads /proc: what it did read still counts.
  { find /proc/[0-9]*/fd -user "$(id -u)" -lname 'anon_inode:inotify' 2>/dev/null || true; } | wc -l
}

# A real node's kubelet and containerd hold 8 inotify instances (measured: 7 and 1), from
# the user's limit that every process shares (fs.inotify.max_user_instances, 128 by
# default). Refuses before starting a node when they would not fit.
check_inotify() {
  local limit used need=$((HPG_REAL_NODES * 8))
  limit=$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null) || return 0
  used=$(inotify_in_use)
  ((limit - used >= need)) || die "$HPG_REAL_NODES real node(s) need about $need inotify instances, and only $((limit - used)) of this user's $limit (fs.inotify.max_user_instances) are free: stop another local cluster, or run with fewer real nodes (HPG_REAL_NODES)"
}

nodes_up() {
  ((HPG_REAL_NODES > 0)) || return 0
  [[ -x "$HPG_KUBELET" ]] || die "kubelet missing at $HPG_KUBELET (hack/build-control-plane.sh builds it)"
  check_inotify
  "$HACK_DIR/node-deps.sh"
  network_up
  mkdir -p "$HPG_NODE_DIR" "$HPG_PID_DIR" "$HPG_LOG_DIR" "$HPG_IMAGE_DIR"
  base_images
  local i name
  for ((i = 1; i <= HPG_REAL_NODES; i++)); do node_up "$i"; done
  for ((i = 1; i <= HPG_REAL_NODES; i++)); do
    name=$(hpg_node_name "$i")
    if ! wait_until "$name is Ready" node_ready "$name"; then
      tail -n 30 "$HPG_LOG_DIR/$name-kubelet.log" >&2
      if grep -q 'inotify_init: too many open files' "$HPG_LOG_DIR/$name-kubelet.log"; then
        log "$name: the kubelet found no free inotify instance (fs.inotify.max_user_instances): other processes took them after the check"
      fi
      die "$name is not Ready after ${UP_TIMEOUT}s (see $HPG_LOG_DIR/$name-kubelet.log)"
    fi
    # The TaintNodesByCondition admission plugin gave the new Node not-ready:NoSchedule;
    # the node-lifecycle controller that would lift it is off (the fake nodes send no
    # heartbeats), so it is lifted here once the kubelet reports Ready.
    kubectl_admin taint node "$name" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
  done
}

# ------------------------------------------------------------------ down
node_down() {
  local i=$1 quiet=${2:-} name pid pids
  name=$(hpg_node_name "$i")
  # The kubelet first, so it restarts nothing; then containerd, whose shims and
  # containers are then ended with the rest of the node's processes.
  if pid=$(node_pid "$i" kubelet); then stop_pid "$name kubelet" "$pid" 10; fi
  if pid=$(node_pid "$i" containerd); then stop_pid "$name containerd" "$pid" 10; fi
  local holder=""
  holder=$(node_pid "$i" holder) || true
  for _ in 1 2 3 4 5; do
    mapfile -t pids < <(node_pids "$i" | grep -vx "${holder:-none}" || true)
    ((${#pids[@]} == 0)) && break
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.3
  done
  # The holder last: with it goes the node's mount namespace, and every mount in it.
  if [[ -n "$holder" ]]; then stop_pid "$name namespaces" "$holder" 5; fi
  mapfile -t pids < <(node_pids "$i")
  ((${#pids[@]} == 0)) || { kill -KILL "${pids[@]}" 2>/dev/null || true; sleep 0.3; }
  rm -f "$HPG_PID_DIR/$name-"{holder,containerd,kubelet}.pid
  remove_node_cgroups "$i" || true
  local ns veth
  ns=$(hpg_node_netns "$i") veth=$(hpg_node_veth "$i")
  if ip link show "$veth" >/dev/null 2>&1; then ip link del "$veth"; fi
  if ip netns list | grep -q "^$ns\b"; then ip netns del "$ns"; fi
  ip route del "$(hpg_node_pod_cidr "$i")" 2>/dev/null || true
  [[ -n "$quiet" ]] || log "$name is down"
}

nodes_down() {
  local i pids=() status=0
  refuse_foreign_network
  # Every node this cluster may have made, not only HPG_REAL_NODES of today; side by
  # side, since each waits for its own processes.
  for ((i = 1; i <= 9; i++)); do
    if [[ -d "$(hpg_node_path "$i")" ]] || ip netns list | grep -q "^$(hpg_node_netns "$i")\b"; then
      node_down "$i" &
      pids+=($!)
    fi
  done
  for i in "${pids[@]}"; do wait "$i" || status=1; done
  return "$status"
}

# ------------------------------------------------------------------ images
load_image() {
  local tar=$1 i
  [[ -f "$tar" && -f "$tar.id" ]] || die "no image archive at $tar (with $tar.id)"
  for ((i = 1; i <= HPG_REAL_NODES; i++)); do
    node_pid "$i" containerd >/dev/null || die "$(hpg_node_name "$i") is not running"
    import_images "$i" "$tar"
  done
  log "$(basename "$tar") ($(<"$tar.id")) is on $HPG_REAL_NODES node(s)"
}

# ------------------------------------------------------------------ leftovers
leftovers() {
  local found=0 line
  report() {
    found=1
    printf '%s\n' "$*"
  }
  local p exe cmdline
  # Names derived from HPG_NET_ID belong to whichever cluster owns the bridge: when that
  # is another one, only this cluster's processes and mounts are looked for.
  local net_ours=1
  network_is_ours || net_ours=0
  for p in /proc/[0-9]*; do
    cmdline=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ "$cmdline" == *"$HPG_CLUSTER_DIR/"* ]] || continue
    exe=$(readlink "$p/exe" 2>/dev/null) || exe='?'
    report "process ${p#/proc/} ($exe): $cmdline"
  done
  while read -r line; do report "mount: $line"; done < <(grep -F "$HPG_CLUSTER_DIR" /proc/mounts || true)
  ((net_ours)) || {
    ((found == 0))
    return
  }
  local h i
  while read -r h; do
    for ((i = 1; i <= 9; i++)); do
      [[ -d "$h/$(hpg_node_cgroup "$i")" ]] && report "cgroup folder: $h/$(hpg_node_cgroup "$i")"
    done
  done < <(hpg_cgroup_hierarchies)
  while read -r line; do report "network namespace: $line"; done < <(ip netns list | grep "^$HPG_BRIDGE-" || true)
  while read -r line; do report "link: $line"; done < <(ip -o link show | awk -F': ' '{print $2}' | grep -E "^$HPG_BRIDGE(-|@|$)" || true)
  # Our addresses: the node network and every pod subnet this cluster may have made.
  local ours cidr
  ours="${HPG_NODE_NET_PREFIX//./\\.}\\.|$HPG_BRIDGE( |$|-)"
  for ((i = 1; i <= 9; i++)); do
    cidr=$(hpg_node_pod_cidr "$i")
    cidr=${cidr%.0/24}
    ours+="|${cidr//./\\.}\\."
  done
  while read -r line; do report "route: $line"; done < <(ip route show | grep -E "$ours" || true)
  if command -v iptables-save >/dev/null; then
    while read -r line; do report "iptables rule: $line"; done < <(iptables-save 2>/dev/null | grep -E "$ours" || true)
  fi
  ((found == 0))
}

# running: every real node's processes are alive.
nodes_running() {
  local i role
  for ((i = 1; i <= HPG_REAL_NODES; i++)); do
    for role in holder containerd kubelet; do node_pid "$i" "$role" >/dev/null || return 1; done
  done
}

case "${1:-}" in
  network-up) network_up ;;
  running) nodes_running ;;
  up) nodes_up ;;
  down) nodes_down ;;
  network-down) network_down ;;
  load-image) load_image "${2:?usage: $0 load-image TAR}" ;;
  leftovers) leftovers ;;
  -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  *) die "usage: $0 network-up|up|running|down|network-down|load-image TAR|leftovers" ;;
esac
