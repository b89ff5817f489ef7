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
  return refIn(pod, pod.metadata.namespace ?? defaultNamespace);
}

/** podRef with the namespace given. */
function refIn(pod: PodLike, namespace: string): PodRef {
  const meta = pod.metadata;
  const named = meta.name !== undefined && meta.name !== '';
  const generated = !named && meta.generateName !== undefined && meta.generateName !== '';
  const { uid } = meta;
  // Literals, never one spread into a copy with a uid added: the index keeps a ref per pod,
  // and such a copy keeps its properties outside the object (250 bytes against 50).
  if (generated) {
    const name = meta.generateName ?? '';
    return uid === undefined ? { namespace, name, generated: true } : { namespace, name, generated: true, uid };
  }
  const name = meta.name ?? '';
  return uid === undefined ? { namespace, name } : { namespace, name, uid };
}

/** The controlling owner of a pod, if any. */
export function controllerOf(pod: PodLike): OwnerRef | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  return owner === undefined ? undefined : { kind: owner.kind, name: owner.name, uid: owner.uid };
}

/**
 * Where an occupant takes the values that many pods repeat, instead of keeping copies of
 * its own: the index hands out one namespace string and one owner per owner to all its
 * pods (pod-index.ts). Called only for an occupant that is made.
 */
export interface Sharing {
  readonly namespace: (namespace: string) => string;
  readonly owner: (owner: OwnerRef) => OwnerRef;
  /** The pod's host ports, to be kept as they are: never changed afterwards. */
  readonly ports: (ports: readonly HostPort[]) => readonly HostPort[];
}

/**
 * The values as the pod has them, uncopied and uncounted: for an occupant made only to be
 * compared with another (sameOccupant) and then dropped.
 */
export const NO_COPIES: Sharing = { namespace: (namespace) => namespace, owner: (owner) => owner, ports: (ports) => ports };

/**
 * Every occupant keeps its own copies. Its ports are an exact-size copy: an array grown
 * by push (hostPortsOf) holds room for 16 more elements.
 */
const OWN_COPIES: Sharing = { namespace: (namespace) => namespace, owner: (owner) => owner, ports: (ports) => ports.slice() };

/**
 * What a pod holds on its node, or undefined when it holds nothing: it is not bound to a
 * node yet, it has finished (Succeeded or Failed), or it declares no host port. Pods
 * being deleted still hold their ports until they are gone.
 */
export function occupantOf(pod: PodLike): Occupant | undefined {
  return occupantWithPorts(pod, hostPortsOf(pod.spec));
}

/** occupantOf for a caller that already has the pod's host ports (the admission path). */
export function occupantWithPorts(pod: PodLike, ports: readonly HostPort[], sharing: Sharing = OWN_COPIES): Occupant | undefined {
  const node = pod.spec.nodeName;
  if (node === undefined || node === '') return undefined;
  if (TERMINAL_PHASES.has(pod.status?.phase ?? '')) return undefined;
  if (ports.length === 0) return undefined;
  const controller = controllerOf(pod);
  const owner = controller === undefined ? undefined : sharing.owner(controller);
  const { priority, priorityClassName } = pod.spec;
  return {
    pod: refIn(pod, sharing.namespace(pod.metadata.namespace ?? 'default')),
    node,
    hostNetwork: pod.spec.hostNetwork === true,
    terminating: pod.metadata.deletionTimestamp !== undefined,
    ports: sharing.ports(ports),
    ...(owner === undefined ? {} : { owner }),
    // The class name is kept only to resolve a missing priority (a hand-written state file).
    ...(priority !== undefined ? { priority } : priorityClassName !== undefined && priorityClassName !== '' ? { priorityClassName } : {}),
  };
}

/** True when two occupants hold the same: one pod incarnation, on one node, with the same ports, owner, priority and state. */
export function sameOccupant(a: Occupant, b: Occupant): boolean {
  return (
    a.pod.namespace === b.pod.namespace &&
    a.pod.name === b.pod.name &&
    a.pod.uid === b.pod.uid &&
    a.pod.generated === b.pod.generated &&
    a.node === b.node &&
    a.hostNetwork === b.hostNetwork &&
    a.terminating === b.terminating &&
    a.priority === b.priority &&
    a.priorityClassName === b.priorityClassName &&
    sameOwner(a.owner, b.owner) &&
    samePorts(a.ports, b.ports)
  );
}

function sameOwner(a: OwnerRef | undefined, b: OwnerRef | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.kind === b.kind && a.name === b.name && a.uid === b.uid;
}

function samePorts(a: readonly HostPort[], b: readonly HostPort[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i];
    return q !== undefined && p.protocol === q.protocol && p.hostIP === q.hostIP && p.port === q.port && p.container === q.container;
  });
}
