import { hostPortsOf } from './host-ports.js';
import type { HostPort, Occupant, OwnerRef, PodLike, PodRef } from './types.js';

/** Phases after which a pod holds nothing on its node. */
const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/**
 * The namespace/name/uid of a pod, with the namespace a request or manifest implies. A
 * pod that names only a `generateName` is referred to by that prefix, marked generated:
 * the API server picks the rest of the name when it creates the pod.
 */
export function podRef(pod: PodLike, defaultNamespace = 'default'): PodRef {
  const meta = pod.metadata;
  const namespace = meta.namespace ?? defaultNamespace;
  const named = meta.name !== undefined && meta.name !== '';
  const generated = !named && meta.generateName !== undefined && meta.generateName !== '';
  const ref: PodRef = generated ? { namespace, name: meta.generateName ?? '', generated: true } : { namespace, name: meta.name ?? '' };
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
  const { priority, priorityClassName } = pod.spec;
  return {
    pod: podRef(pod),
    node,
    hostNetwork: pod.spec.hostNetwork === true,
    terminating: pod.metadata.deletionTimestamp !== undefined,
    ports,
    ...(owner === undefined ? {} : { owner }),
    // The class name is kept only to resolve a missing priority (a hand-written state file).
    ...(priority !== undefined ? { priority } : priorityClassName !== undefined && priorityClassName !== '' ? { priorityClassName } : {}),
  };
}
