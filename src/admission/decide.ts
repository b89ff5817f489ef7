import type { Conflict, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { addPodConflicts, conflictsOn, reservedConflicts, samePod, schedulerAgrees } from '../engine/conflicts.js';
import { hostPortsOf } from '../engine/host-ports.js';
import { controllerOf, occupantWithPorts } from '../engine/occupancy.js';
import type { TargetNode } from '../engine/target-node.js';
import { targetNodeOf } from '../engine/target-node.js';
import type { HostPort, Occupant, PodSpecLike, ReservedPort } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import {
  conflictWarning,
  denialMessage,
  freeingWarning,
  MAX_WARNINGS,
  maxSurgeWarning,
  mirrorWarning,
  spreadWarning,
  SURGE_WARNING,
  undeclaredWarning,
  waitWarning,
} from './messages.js';
import type { Subject } from './subject.js';
import { ownedBy } from './subject.js';

/** How a conflict is answered: deny it, allow it with warnings, or only record it. */
export type Mode = 'enforce' | 'warn' | 'audit';

/** Every mode, in the order the docs list them. */
export const MODES: readonly Mode[] = ['enforce', 'warn', 'audit'];

/** Whether a hostNetwork pod or template that declares no ports gets a warning. */
export type UndeclaredPorts = 'ignore' | 'warn';

/** Every undeclaredPorts setting. */
export const UNDECLARED_PORTS: readonly UndeclaredPorts[] = ['ignore', 'warn'];

/** What decisions apply besides the pods of the cluster. */
export interface Rules {
  /** Ports node daemons hold on every node, outside any pod (the kubelet's 10250, ...). */
  readonly reservedPorts: readonly ReservedPort[];
  readonly undeclaredPorts: UndeclaredPorts;
}

interface DecisionBase {
  readonly mode: Mode;
  /** The node the subject is known to land on, or null when the scheduler decides later. */
  readonly node: string | null;
  readonly conflicts: readonly Conflict[];
  /**
   * The conflicts already exist on the node: the subject is a static pod's mirror, which
   * the kubelet runs whatever the answer. Counted apart in metrics and the log.
   */
  readonly existing: boolean;
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

/** Conflicts of `ports` on every node where some pod already holds them. */
function conflictsAnywhere(subject: Subject, ports: readonly HostPort[], view: PortView): PodConflict[] {
  const found: PodConflict[] = [];
  const seen = new Set<Occupant>();
  for (const port of new Set(ports.map((p) => p.port))) {
    for (const occupant of view.holdersOfPort(port)) {
      if (seen.has(occupant)) continue;
      seen.add(occupant);
      if (samePod(occupant.pod, subject.ref) || ownedBy(subject, occupant)) continue;
      addPodConflicts(found, occupant.node, ports, occupant);
    }
  }
  return found;
}

/**
 * One warning per incoming port, naming a few of the nodes where live pods hold it, and
 * one naming the nodes where only terminating pods hold it (pods wait there; they are
 * not kept out).
 */
function spreadWarnings(subject: Subject, conflicts: readonly PodConflict[], nodeCount: number): string[] {
  const byPort = new Map<HostPort, { live: Set<string>; terminating: Set<string>; stricter: boolean }>();
  for (const c of conflicts) {
    const entry = byPort.get(c.port) ?? { live: new Set<string>(), terminating: new Set<string>(), stricter: false };
    (c.holderTerminating ? entry.terminating : entry.live).add(c.node);
    if (!schedulerAgrees(c.rule)) entry.stricter = true;
    byPort.set(c.port, entry);
  }
  const daemonSet = subject.kind === 'Workload' && subject.workloadKind === 'DaemonSet';
  const consequence = daemonSet ? 'its pods cannot run there' : 'pods needing it cannot run there';
  const who = daemonSet ? 'its pods' : 'pods needing it';
  return [...byPort].flatMap(([port, { live, terminating, stricter }]) => {
    const freeing = [...terminating].filter((node) => !live.has(node)).sort();
    return [
      ...(live.size === 0 ? [] : [spreadWarning(port, [...live].sort(), nodeCount, consequence, stricter)]),
      ...(freeing.length === 0 ? [] : [freeingWarning(port, freeing, nodeCount, who, stricter)]),
    ];
  });
}

function specOf(subject: Subject): PodSpecLike {
  return subject.kind === 'Pod' ? subject.pod.spec : subject.spec;
}

/** Live pods first, then node daemons, then pods on their way out: a denial names the live holder first. */
function rank(c: Conflict): number {
  if (c.kind === 'reserved') return 1;
  return c.holderTerminating ? 2 : 0;
}

/** A subject's conflicts, sorted by kind of holder, and what they mean; worked out once per decision. */
interface Findings {
  readonly onPods: readonly PodConflict[];
  /** Node daemons' reserved ports, one line each however many of the subject's ports meet them. */
  readonly onDaemons: readonly ReservedConflict[];
  /**
   * A pod the scheduler places that collides only with terminating pods: the scheduler
   * keeps it Pending and binds it once they are gone, so it waits rather than fails. A
   * `nodeName` pod bypasses the scheduler, and the kubelet refuses it meanwhile.
   */
  readonly waits: boolean;
  /** A live holder is an older pod of the incoming pod's own DaemonSet: the pod is a surge pod. */
  readonly surge: boolean;
}

function findingsOf(subject: Subject, target: TargetNode, onPods: readonly PodConflict[], onDaemons: readonly ReservedConflict[]): Findings {
  if (subject.kind !== 'Pod' || target.kind !== 'pinned') return { onPods, onDaemons, waits: false, surge: false };
  const waits = target.via !== 'nodeName' && onDaemons.length === 0 && onPods.length > 0 && onPods.every((c) => c.holderTerminating);
  const mine = controllerOf(subject.pod);
  const surge = mine?.kind === 'DaemonSet' && onPods.some((c) => !c.holderTerminating && c.holderOwner?.uid === mine.uid);
  return { onPods, onDaemons, waits, surge };
}

/**
 * Whether `enforce` denies a pod: any node daemon's port (the scheduler cannot see them,
 * so the pod would take or lose that port on whatever node it lands), and any pod
 * holding its port on its known node, unless the pod only waits for terminating pods.
 */
function denied(subject: Subject, target: TargetNode, found: Findings): boolean {
  if (subject.kind !== 'Pod') return false;
  if (found.onDaemons.length > 0) return true;
  return target.kind === 'pinned' && found.onPods.length > 0 && !found.waits;
}

/** The warnings for conflicts that are not denied, at most MAX_WARNINGS. */
function warningsFor(subject: Subject, target: TargetNode, found: Findings, nodeCount: number): string[] {
  const reserved = [...new Set(found.onDaemons.map(conflictWarning))];
  let warnings: string[];
  if (target.kind !== 'pinned') warnings = [...spreadWarnings(subject, found.onPods, nodeCount), ...reserved];
  else if (found.waits) warnings = found.onPods.map(waitWarning);
  else warnings = [...found.onPods.slice(0, MAX_WARNINGS).map(conflictWarning), ...reserved];
  if (found.surge) warnings.unshift(SURGE_WARNING);
  return warnings.slice(0, MAX_WARNINGS);
}

/** The decision for a subject that holds no host port: allowed, or warned about when hostNetwork hides its ports. */
function undeclared(subject: Subject, spec: PodSpecLike, mode: Mode, node: string | null, rules: Rules): Decision {
  const base = { mode, node, conflicts: [], existing: false };
  // A mirror's static pod already runs from a file on the node: nobody reading the warning could act on it.
  const mirror = subject.kind === 'Pod' && subject.mirror;
  if (mode === 'audit' || mirror || rules.undeclaredPorts !== 'warn' || spec.hostNetwork !== true) return { ...base, kind: 'allow' };
  return { ...base, kind: 'warn', warnings: [undeclaredWarning(subject.kind === 'Workload')] };
}

/**
 * Decides one subject against the pods holding host ports and the node daemons' ports.
 *
 * In `enforce` a pod is denied when it takes a node daemon's port (wherever it lands) or
 * a port held on its known node, except that a pod the scheduler places only waits for
 * terminating holders (admitted with a warning) and a static pod's mirror is never
 * denied (the kubelet runs it anyway). Pods the scheduler places and workloads are
 * otherwise warned about, never denied; `warn` turns every denial into warnings and
 * `audit` only records conflicts.
 */
export function decide(subject: Subject, mode: Mode, view: PortView, rules: Rules): Decision {
  const spec = specOf(subject);
  const ports = hostPortsOf(spec);
  const isDaemonSet = subject.kind === 'Workload' && subject.workloadKind === 'DaemonSet';
  const target: TargetNode = isDaemonSet ? { kind: 'unpinned' } : targetNodeOf(spec, (h) => view.nodeForHostname(h));
  const node = target.kind === 'pinned' ? target.node : null;
  if (ports.length === 0) return undeclared(subject, spec, mode, node, rules);
  const admits =
    subject.kind === 'Pod' && node !== null ? occupantWithPorts({ ...subject.pod, spec: { ...spec, nodeName: node } }, ports) : undefined;

  const onPods =
    node === null
      ? conflictsAnywhere(subject, ports, view)
      : conflictsOn(node, ports, view.occupantsOn(node), subject.ref, (o) => ownedBy(subject, o)).sort((a, b) => rank(a) - rank(b));
  const onDaemons = reservedConflicts(node, ports, rules.reservedPorts);
  const conflicts: Conflict[] = [...onPods, ...onDaemons];
  // On a known node, holders are named live ones first (the others follow the index).
  if (node !== null) conflicts.sort((a, b) => rank(a) - rank(b));
  const mirror = subject.kind === 'Pod' && subject.mirror;
  const base = { mode, node, conflicts, existing: mirror && conflicts.length > 0, ...(admits === undefined ? {} : { admits }) };
  const notes = subject.kind === 'Workload' && subject.maxSurge !== undefined ? [maxSurgeWarning(subject.maxSurge)] : [];

  if (mode === 'audit' || (conflicts.length === 0 && notes.length === 0)) return { ...base, kind: 'allow' };
  if (mirror) return { ...base, kind: 'warn', warnings: conflicts.slice(0, MAX_WARNINGS).map(mirrorWarning) };
  const found = findingsOf(subject, target, onPods, onDaemons);
  if (mode === 'enforce' && denied(subject, target, found)) {
    const { admits: _dropped, ...denial } = base;
    // Where the scheduler will pick the node, only the node daemons' ports are the reason.
    const named = node === null ? onDaemons : conflicts;
    return { ...denial, kind: 'deny', message: denialMessage(spec.hostNetwork === true, named, { surge: found.surge }) };
  }
  return { ...base, kind: 'warn', warnings: [...notes, ...warningsFor(subject, target, found, view.nodeCount())].slice(0, MAX_WARNINGS) };
}
