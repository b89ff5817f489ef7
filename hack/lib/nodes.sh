# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this
# Settings of the real nodes of the local cluster (hack/nodes.sh). Sourced after
# lib/control-plane.sh, never executed; it changes no shell options.
#
# A real node is what a kind node container is, made of namespaces instead of Docker:
#   - a network namespace  hpg<K>-node-<i>, joined to the host by a veth on the bridge
#     hpg<K> (node network 10.199.<K>.0/24: the bridge is .1, node i is .(10+i));
#   - a private mount namespace (held open by a "holder" process) in which the node has
#     its own /run, /var/lib and /var/log, and sysctl files the kubelet may "set" without
#     reaching the host's;
#   - its own containerd (socket in the node's folder) and kubelet, both in those two
#     namespaces; pods get addresses from 10.244.<16K+i>.0/24 on the node's cni0 bridge;
#   - a cgroup folder hpg<K>-node-<i> in each hierarchy, under which the kubelet puts
#     every pod.
# The host gets only the bridge, its address, one route per node to the pod subnet (so
# the API server reaches pods, e.g. a webhook's endpoints), and the veths: all of them go
# with the bridge in cluster-down.
#
# Env (all optional):
#   HPG_REAL_NODES  number of real nodes node-1..N (default 2; 0 = fake nodes only)
#   HPG_NET_ID      K above, 0..15 (default 0): two clusters on one machine need two
#   HPG_NODE_DIR    where the nodes keep their state (default $HPG_CLUSTER_DIR/nodes)

HPG_REAL_NODES="${HPG_REAL_NODES:-2}"
HPG_NET_ID="${HPG_NET_ID:-0}"
HPG_NODE_DIR="${HPG_NODE_DIR:-$HPG_CLUSTER_DIR/nodes}"
# Checked where this file is read, so a bad value stops a script before it starts or
# stops anything (a cluster-up that had started etcd would leave it running).
[[ "$HPG_REAL_NODES" =~ ^[0-9]+$ && "$HPG_REAL_NODES" -le 9 ]] || die "HPG_REAL_NODES must be 0..9, got '$HPG_REAL_NODES'"
[[ "$HPG_NET_ID" =~ ^[0-9]+$ && "$HPG_NET_ID" -le 15 ]] || die "HPG_NET_ID must be 0..15, got '$HPG_NET_ID'"
HPG_IMAGE_DIR="$HPG_CACHE/images"

HPG_BRIDGE="hpg$HPG_NET_ID"
HPG_NODE_NET_PREFIX="10.199.$HPG_NET_ID"
HPG_BRIDGE_IP="$HPG_NODE_NET_PREFIX.1"
# The taint real nodes register with, so that only pods meant for them land there (the
# fake nodes' stories let the scheduler pick among worker-1..3).
HPG_REAL_NODE_TAINT_KEY="hostport-guard.dev/real-node"
HPG_REAL_NODE_LABEL="hostport-guard.dev/real-node"
# The images every real node holds (hack/image/assemble.ts base).
HPG_PAUSE_IMAGE="hostport-guard.local/pause:1"
HPG_BUSYBOX_IMAGE="hostport-guard.local/busybox:1"
# The webhook image the chart runs on the local cluster (hack/image/assemble.ts webhook).
HPG_WEBHOOK_IMAGE="hostport-guard:dev"

hpg_node_name() { echo "node-$1"; }
hpg_node_netns() { echo "$HPG_BRIDGE-node-$1"; }
hpg_node_veth() { echo "$HPG_BRIDGE-n$1"; }
hpg_node_ip() { echo "$HPG_NODE_NET_PREFIX.$((10 + $1))"; }
hpg_node_pod_cidr() { echo "10.244.$((16 * HPG_NET_ID + $1)).0/24"; }
hpg_node_cgroup() { echo "$HPG_BRIDGE-node-$1"; }
hpg_node_path() { echo "$HPG_NODE_DIR/$(hpg_node_name "$1")"; }

# The address the API server listens on and the kubeconfigs name: the bridge when real
# nodes need to reach it, loopback otherwise.
if ((HPG_REAL_NODES > 0)); then
  HPG_APISERVER_HOST="$HPG_BRIDGE_IP"
else
  HPG_APISERVER_HOST="127.0.0.1"
fi

# cgroup v1 hierarchies the kubelet and runc use (and cgroup2's, in a hybrid layout).
hpg_cgroup_hierarchies() {
  local d
  for d in /sys/fs/cgroup/*/; do
    d=${d%/}
    [[ -d "$d" ]] && echo "$d"
  done
}
