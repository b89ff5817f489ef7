/**
 * The synthetic cluster in the forms the servers load: a cluster-state file for
 * `hostport-guard serve --cluster-state` (what `kubectl get pods,nodes -A -o json` prints,
 * as one List; JSON is YAML, and writing it is 15 times faster than YAML for 14 MB), and
 * OPA documents (keyed by node, and Gatekeeper's inventory layout).
 */
import type { PodLike } from '../../src/engine/types.js';
import { clusterPods, holdsHostPorts, nodeName } from './synthetic.js';
import type { Json } from './wire.js';

/** The pods of a cluster of `nodes` nodes that hold host ports: all that either engine keeps. */
export function hostPortPods(nodes: number): PodLike[] {
  return [...clusterPods(nodes)].filter(holdsHostPorts);
}

function podObject(pod: PodLike): Json {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, spec: pod.spec, ...(pod.status === undefined ? {} : { status: pod.status }) };
}

/** A cluster-state file (JSON): every node, and the pods holding host ports. */
export function stateFile(nodes: number, pods: readonly PodLike[]): string {
  const items: Json[] = Array.from({ length: nodes }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: nodeName(i), labels: { 'kubernetes.io/hostname': nodeName(i), 'kubernetes.io/os': 'linux' } },
  }));
  for (const pod of pods) items.push(podObject(pod));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 1);
}

/** OPA's document for data.cluster.nodes: node name to the pods holding host ports there. */
export function podsByNode(pods: readonly PodLike[]): Record<string, Json[]> {
  const byNode: Record<string, Json[]> = {};
  for (const pod of pods) {
    const node = pod.spec.nodeName ?? '';
    (byNode[node] ??= []).push({ metadata: pod.metadata, spec: pod.spec });
  }
  return byNode;
}

/** Gatekeeper's inventory layout for data.inventory: namespace[NS].v1.Pod[NAME]. */
export function inventory(pods: readonly PodLike[]): Json {
  const namespaces: Record<string, { v1: { Pod: Record<string, Json> } }> = {};
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? 'default';
    const entry = (namespaces[ns] ??= { v1: { Pod: {} } });
    entry.v1.Pod[pod.metadata.name ?? ''] = { metadata: pod.metadata, spec: pod.spec };
  }
  return { namespace: namespaces };
}
