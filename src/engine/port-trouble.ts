/**
 * Pods that cannot run because a port is taken, as Kubernetes itself reports them, and
 * the pods that hold those ports. Kubernetes never names the holder (SEMANTICS.md, "What
 * users see today"): the scheduler says how many nodes had no free port, the kubelet says
 * only that its NodePorts check failed.
 */
import type { PodConflict } from './conflicts.js';
import { findConflicts, samePod } from './conflicts.js';
import { hostPortsOf } from './host-ports.js';
import { podRef } from './occupancy.js';
import { podOrder } from './existing-conflicts.js';
import type { HostPort, PodLike } from './types.js';
import type { PortView } from './view.js';

/** `status.reason` of a pod the kubelet refused because a host port is taken on its node. */
export const NODE_PORTS_REASON = 'NodePorts';

/**
 * What the scheduler's NodePorts plugin writes into the PodScheduled condition (and the
 * FailedScheduling event): `0/5 nodes are available: 2 node(s) didn't have free ports
 * for the requested pod ports, ...`.
 */
export const NO_FREE_PORTS = "didn't have free ports";

const NODES_WITHOUT_FREE_PORTS = /([0-9]+) node\(s\) didn't have free ports/;

/** Why a pod cannot run because of a port. */
export type PortTrouble =
  /** Pending: the scheduler found no node with the pod's ports free. */
  | { readonly kind: 'unschedulable'; readonly message: string; readonly nodesWithoutFreePorts?: number }
  /** Failed: the kubelet of `node` refused the pod (reason NodePorts). */
  | { readonly kind: 'rejected'; readonly node: string; readonly message: string };

/**
 * Why `pod` cannot run because of a port, or undefined. A pod counts as unschedulable
 * while it is not bound and its PodScheduled condition is False with the NodePorts
 * plugin's words: the condition holds the scheduler's last attempt, where an event may
 * describe an older one. A pod counts as rejected when it Failed with reason NodePorts.
 */
export function portTroubleOf(pod: PodLike): PortTrouble | undefined {
  const status = pod.status;
  if (status === undefined) return undefined;
  const node = pod.spec.nodeName;
  if (status.phase === 'Failed' && status.reason === NODE_PORTS_REASON && node !== undefined && node !== '') {
    return { kind: 'rejected', node, message: status.message ?? '' };
  }
  if ((node === undefined || node === '') && (status.phase === undefined || status.phase === 'Pending')) {
    const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
    const message = scheduled?.message ?? '';
    if (scheduled?.status !== 'False' || !message.includes(NO_FREE_PORTS)) return undefined;
    const count = NODES_WITHOUT_FREE_PORTS.exec(message)?.[1];
    return count === undefined ? { kind: 'unschedulable', message } : { kind: 'unschedulable', message, nodesWithoutFreePorts: Number(count) };
  }
  return undefined;
}

/**
 * The pods holding what a troubled pod asks for. A rejected pod is compared with the pods
 * on its node; an unschedulable one with every pod holding one of its port numbers,
 * anywhere (its node affinity is the scheduler's business: these are the nodes where
 * the port is taken). Ordered by node, then holder.
 */
export function holdersFor(pod: PodLike, trouble: PortTrouble, view: PortView): PodConflict[] {
  const ports: readonly HostPort[] = hostPortsOf(pod.spec);
  const self = podRef(pod);
  const skip = (o: { readonly pod: typeof self }): boolean => samePod(o.pod, self);
  // The keyed lookups of the index: only the held ports that collide are visited.
  const lookup = trouble.kind === 'rejected' ? (p: HostPort) => view.heldOn(trouble.node, p) : (p: HostPort) => view.heldAnywhere(p);
  return sorted([...findConflicts(ports, lookup, skip).conflicts]);
}

function sorted(conflicts: PodConflict[]): PodConflict[] {
  return conflicts.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : podOrder(a.holder, b.holder) || a.port.port - b.port.port));
}
