/**
 * The synthetic cluster every benchmark uses: N nodes with 30 pods each, of which three
 * DaemonSets hold host ports on every node (a node exporter on 9100, a CNI agent on 9099
 * and 4244, a kube-proxy-like agent on 10256 and 127.0.0.1:10249) and about 2 % of all
 * pods hold a scattered hostPort (8080, 5353/UDP, ...). Pods are generated per node from
 * a seed, so any node's pods can be rebuilt without keeping 150,000 pods in memory.
 */
import type { NodeEntry } from '../../src/cluster/node-table.js';
import type { ContainerPortSpec, PodLike } from '../../src/engine/types.js';
import { seededRandom } from '../../test/support/prng.js';

/** Pods per node, as in a typical production node (the kubelet's default limit is 110). */
export const PODS_PER_NODE = 30;

/** Share of all pods that declare a hostPort without being a DaemonSet pod. */
export const SCATTERED_SHARE = 0.02;

/** The seed of every synthetic cluster. */
export const SEED = 20_260_101;

/** A DaemonSet whose pod holds host ports on every node. */
export interface HostDaemonSet {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ContainerPortSpec[];
}

/** The three node agents with host ports found in most clusters. */
export const DAEMONSETS: readonly HostDaemonSet[] = [
  { namespace: 'monitoring', name: 'node-exporter', ports: [{ name: 'metrics', containerPort: 9100, hostPort: 9100, protocol: 'TCP' }] },
  {
    namespace: 'kube-system',
    name: 'cni-agent',
    ports: [
      { name: 'health', containerPort: 9099, hostPort: 9099, protocol: 'TCP' },
      { name: 'peer', containerPort: 4244, hostPort: 4244, protocol: 'TCP' },
    ],
  },
  {
    namespace: 'kube-system',
    name: 'kube-proxy',
    ports: [
      { name: 'healthz', containerPort: 10256, hostPort: 10256, protocol: 'TCP' },
      { name: 'metrics', containerPort: 10249, hostPort: 10249, hostIP: '127.0.0.1', protocol: 'TCP' },
    ],
  },
];

/** Ports that ordinary workloads claim with a hostPort (ingress controllers, DNS caches, gossip). */
export const SCATTERED_PORTS: readonly { readonly port: number; readonly protocol: string }[] = [
  { port: 80, protocol: 'TCP' },
  { port: 443, protocol: 'TCP' },
  { port: 8080, protocol: 'TCP' },
  { port: 8443, protocol: 'TCP' },
  { port: 5353, protocol: 'UDP' },
  { port: 7946, protocol: 'TCP' },
  { port: 7946, protocol: 'UDP' },
  { port: 9090, protocol: 'TCP' },
  { port: 6060, protocol: 'TCP' },
  { port: 3000, protocol: 'TCP' },
];

/** The node pools of the synthetic cluster: one in four nodes is a tainted GPU node. */
const NODE_POOLS = ['general', 'general', 'memory', 'gpu'] as const;

/** The name of node `i` (0-based). */
export function nodeName(i: number): string {
  return `node-${String(i + 1).padStart(5, '0')}`;
}

/** The pod-template hash of a Deployment, in the alphabet the API server uses. */
function templateHash(seed: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const random = seededRandom(seed);
  let hash = '';
  for (let i = 0; i < 10; i++) hash += alphabet.charAt(random.below(alphabet.length));
  return hash;
}

const HASHES = Array.from({ length: 40 * 25 }, (_, i) => templateHash(i + 1));

/** The pods of node `i` as the informer decodes them from the API (convert.ts keeps these fields). */
export function podsOnNode(i: number): PodLike[] {
  const node = nodeName(i);
  const random = seededRandom((SEED ^ Math.imul(i + 1, 2_654_435_761)) >>> 0);
  const pods: PodLike[] = [];
  for (const ds of DAEMONSETS) {
    pods.push({
      metadata: {
        name: `${ds.name}-${i.toString(36)}`,
        namespace: ds.namespace,
        uid: `uid-${ds.name}-${i}`,
        ownerReferences: [{ kind: 'DaemonSet', name: ds.name, uid: `uid-ds-${ds.name}`, controller: true }],
      },
      spec: { nodeName: node, hostNetwork: true, containers: [{ name: ds.name, ports: ds.ports }] },
      status: { phase: 'Running' },
    });
  }
  const workloads = PODS_PER_NODE - DAEMONSETS.length;
  const scatteredChance = (SCATTERED_SHARE * PODS_PER_NODE) / workloads;
  const taken = new Set<string>();
  for (let slot = 0; slot < workloads; slot++) {
    const team = random.below(40);
    const service = random.below(25);
    const replicaSet = `svc-${service}-${HASHES[team * 25 + service] ?? 'x'}`;
    const ports: ContainerPortSpec[] = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
    if (random.next() < scatteredChance) {
      const free = SCATTERED_PORTS.filter((p) => !taken.has(`${p.protocol}/${p.port}`));
      const chosen = random.pick(free);
      taken.add(`${chosen.protocol}/${chosen.port}`);
      ports.splice(0, 1, { name: 'host', containerPort: chosen.port, hostPort: chosen.port, protocol: chosen.protocol });
    }
    pods.push({
      metadata: {
        name: `${replicaSet}-${i.toString(36)}${slot.toString(36)}`,
        namespace: `team-${team}`,
        uid: `uid-${i}-${slot}`,
        ownerReferences: [{ kind: 'ReplicaSet', name: replicaSet, uid: `uid-rs-${team}-${service}`, controller: true }],
      },
      spec: { nodeName: node, containers: [{ name: 'app', ports }] },
      status: { phase: 'Running' },
    });
  }
  return pods;
}

/** True when a pod declares a host port (hostNetwork, or a hostPort on a container). */
export function holdsHostPorts(pod: PodLike): boolean {
  return pod.spec.hostNetwork === true || pod.spec.containers.some((c) => (c.ports ?? []).some((p) => (p.hostPort ?? 0) > 0));
}

/** Every pod of a cluster of `nodes` nodes, node by node. */
export function* clusterPods(nodes: number): Generator<PodLike> {
  for (let i = 0; i < nodes; i++) yield* podsOnNode(i);
}

/**
 * The nodes of a cluster as the informer decodes them: the labels a cloud node carries
 * (hostname, os, arch, instance type, region, zone, pool), three zones, and one node in
 * four in a GPU pool with its taint.
 */
export function clusterNodes(nodes: number): NodeEntry[] {
  return Array.from({ length: nodes }, (_, i) => {
    const name = nodeName(i);
    const pool = NODE_POOLS[i % NODE_POOLS.length] ?? 'general';
    const labels = {
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': pool === 'gpu' ? 'g5.2xlarge' : 'm6i.2xlarge',
      'topology.kubernetes.io/region': 'eu-west-1',
      'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3] ?? 'a'}`,
      'node-pool': pool,
    };
    return pool === 'gpu' ? { name, labels, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] } : { name, labels };
  });
}
