import { hostPortsOf } from './host-ports.js';
import type { HostPort, Occupant, OwnerRef, PodLike, PodRef } from './types.js';

/** Phases after which a pod holds nothing on its node. */
const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** The namespace/name/uid of a pod, with the namespace a request or manifest implies. */
export function podRef(pod: PodLike, defaultNamespace = 'default'): PodRef {
  const meta = pod.metadata;
  const ref: PodRef = {
    namespace: meta.namespace ?? defaultNamespace,
    name: meta.name ?? meta.generateName ?? '',
  };
  return meta.uid === undefined ? ref : { ...ref, uid: meta.uid };
}

/** The controlling owner of a pod, if any. */
export function controllerOf(pod: PodLike): OwnerRef | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  return owner === undefined ? undefined : { kind: owner.kind, name: owner.name, uid: owner.uid };
}

/**
 * What a pod holds on its node, or undefined when it holds nothing: it is not bound to a
 * node yet, it has finished (Succeeded or Failed), or it declares no host port. Pods
 * being deleted still hold their ports until they are gone.
 */
export function occupantOf(pod: PodLike): Occupant | undefined {
  return occupantWithPorts(pod, hostPortsOf(pod.spec));
}

/** occupantOf for a caller that already has the pod's host ports (the admission path). */
export function occupantWithPorts(pod: PodLike, ports: readonly HostPort[]): Occupant | undefined {
  const node = pod.spec.nodeName;
  if (node === undefined || node === '') return undefined;
  if (TERMINAL_PHASES.has(pod.status?.phase ?? '')) return undefined;
  if (ports.length === 0) return undefined;
  const owner = controllerOf(pod);
  const occupant: Occupant = {
    pod: podRef(pod),
    node,
    hostNetwork: pod.spec.hostNetwork === true,
    terminating: pod.metadata.deletionTimestamp !== undefined,
    ports,
  };
  return owner === undefined ? occupant : { ...occupant, owner };
}
