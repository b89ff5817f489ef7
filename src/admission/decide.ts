import type { Conflict } from '../engine/conflicts.js';
import { collision, conflictsOn, samePod, schedulerAgrees } from '../engine/conflicts.js';
import { hostPortsOf } from '../engine/host-ports.js';
import { occupantWithPorts } from '../engine/occupancy.js';
import type { TargetNode } from '../engine/target-node.js';
import { targetNodeOf } from '../engine/target-node.js';
import type { HostPort, Occupant, PodSpecLike } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import { conflictWarning, denialMessage, MAX_WARNINGS, spreadWarning } from './messages.js';
import type { Subject } from './subject.js';
import { ownedBy } from './subject.js';

/** How a conflict is answered: deny it, allow it with warnings, or only record it. */
export type Mode = 'enforce' | 'warn' | 'audit';

/** Every mode, in the order the docs list them. */
export const MODES: readonly Mode[] = ['enforce', 'warn', 'audit'];

interface DecisionBase {
  readonly mode: Mode;
  /** The node the subject is known to land on, or null when the scheduler decides later. */
  readonly node: string | null;
  readonly conflicts: readonly Conflict[];
  /**
   * A pod that this answer lets in and that holds ports on a known node: the caller
   * reserves its ports until the watch shows it, so a twin created at the same moment
   * cannot get in too.
   */
  readonly admits?: Occupant;
}

/** The answer to one subject; a policy outcome is a value, never an exception. */
export type Decision =
  | (DecisionBase & { readonly kind: 'allow' })
  | (DecisionBase & { readonly kind: 'warn'; readonly warnings: readonly string[] })
  | (DecisionBase & { readonly kind: 'deny'; readonly message: string });

/** The words a decision shows a user: the denial, or the warnings. */
export function messagesOf(decision: Decision): readonly string[] {
  switch (decision.kind) {
    case 'deny':
      return [decision.message];
    case 'warn':
      return decision.warnings;
    case 'allow':
      return [];
  }
}

function nodeOf(target: TargetNode): string | null {
  return target.kind === 'pinned' ? target.node : null;
}

/** Conflicts of `ports` on every node where some pod already holds them. */
function conflictsAnywhere(
  subject: Subject,
  ports: readonly HostPort[],
  view: PortView,
): Conflict[] {
  const found: Conflict[] = [];
  const seen = new Set<Occupant>();
  for (const port of new Set(ports.map((p) => p.port))) {
    for (const occupant of view.holdersOfPort(port)) {
      if (seen.has(occupant)) continue;
      seen.add(occupant);
      if (samePod(occupant.pod, subject.ref) || ownedBy(subject, occupant)) continue;
      for (const mine of ports) {
        for (const held of occupant.ports) {
          const rule = collision(mine, held);
          if (rule !== undefined) {
            found.push({
              node: occupant.node,
              port: mine,
              held,
              holder: occupant.pod,
              holderTerminating: occupant.terminating,
              rule,
            });
          }
        }
      }
    }
  }
  return found;
}

/** One warning per incoming port, naming a few of the nodes where it is taken. */
function spreadWarnings(subject: Subject, conflicts: readonly Conflict[], nodeCount: number): string[] {
  const byPort = new Map<HostPort, { nodes: Set<string>; stricter: boolean }>();
  for (const c of conflicts) {
    const entry = byPort.get(c.port) ?? { nodes: new Set<string>(), stricter: false };
    entry.nodes.add(c.node);
    if (!schedulerAgrees(c.rule)) entry.stricter = true;
    byPort.set(c.port, entry);
  }
  const consequence =
    subject.kind === 'Workload' && subject.workloadKind === 'DaemonSet'
      ? 'its pods cannot run there'
      : 'pods needing it cannot run there';
  return [...byPort].map(([port, { nodes, stricter }]) =>
    spreadWarning(port, [...nodes].sort(), nodeCount, consequence, stricter),
  );
}

function specOf(subject: Subject): PodSpecLike {
  return subject.kind === 'Pod' ? subject.pod.spec : subject.spec;
}

/**
 * Decides one subject against the pods already holding host ports.
 *
 * A pod pinned to a node (nodeName, DaemonSet affinity, hostname selector) whose ports
 * are taken there is denied in `enforce`, warned about in `warn`, and only recorded in
 * `audit`. Pods the scheduler will place, and workloads, are never denied (their pods
 * are, once a node is known): they get one warning per port taken on some node.
 */
export function decide(subject: Subject, mode: Mode, view: PortView): Decision {
  const spec = specOf(subject);
  const ports = hostPortsOf(spec);
  const isDaemonSet = subject.kind === 'Workload' && subject.workloadKind === 'DaemonSet';
  const target: TargetNode = isDaemonSet ? { kind: 'unpinned' } : targetNodeOf(spec, (h) => view.nodeForHostname(h));
  const node = nodeOf(target);
  if (ports.length === 0) return { mode, node, kind: 'allow', conflicts: [] };
  const admits =
    subject.kind === 'Pod' && node !== null ? occupantWithPorts({ ...subject.pod, spec: { ...spec, nodeName: node } }, ports) : undefined;
  const base = admits === undefined ? { mode, node } : { mode, node, admits };

  if (node !== null) {
    const conflicts = conflictsOn(node, ports, view.occupantsOn(node), subject.ref, (o) => ownedBy(subject, o));
    if (conflicts.length === 0 || mode === 'audit') return { ...base, kind: 'allow', conflicts };
    if (mode === 'enforce' && subject.kind === 'Pod') {
      const { admits: _dropped, ...denied } = base;
      return { ...denied, kind: 'deny', conflicts, message: denialMessage(spec.hostNetwork === true, conflicts) };
    }
    return { ...base, kind: 'warn', conflicts, warnings: conflicts.slice(0, MAX_WARNINGS).map(conflictWarning) };
  }

  const conflicts = conflictsAnywhere(subject, ports, view);
  if (conflicts.length === 0 || mode === 'audit') return { ...base, kind: 'allow', conflicts };
  return { ...base, kind: 'warn', conflicts, warnings: spreadWarnings(subject, conflicts, view.nodeCount()).slice(0, MAX_WARNINGS) };
}
