import type { Conflict, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { podConflicts, reservedConflicts, schedulerAgrees } from '../engine/conflicts.js';
import { hostPortsOf } from '../engine/host-ports.js';
import type { NodeFilter } from '../engine/node-filter.js';
import { daemonPodTolerations, nodeFilterOf } from '../engine/node-filter.js';
import { controllerOf, occupantWithPorts } from '../engine/occupancy.js';
import type { Priority } from '../engine/priority.js';
import { holderPriority, podPriority } from '../engine/priority.js';
import type { TargetNode } from '../engine/target-node.js';
import { targetNodeOf } from '../engine/target-node.js';
import type { HostPort, Occupant, PodLike, PodSpecLike, ReservedPort } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import { denialMessage, MAX_WARNINGS, podName } from './messages.js';
import type { Spread } from './warnings.js';
import {
  conflictWarning,
  maxSurgeWarning,
  mirrorWarning,
  preemptWarning,
  spreadWarning,
  SURGE_WARNING,
  undeclaredWarning,
  waitWarning,
} from './warnings.js';
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

function specOf(subject: Subject): PodSpecLike {
  return subject.kind === 'Pod' ? subject.pod.spec : subject.spec;
}

/** Live pods first, then node daemons, then pods on their way out: a denial names the live holder first. */
function rank(c: Conflict): number {
  if (c.kind === 'reserved') return 1;
  return c.holderTerminating ? 2 : 0;
}

/** Every holder of any of `ports`' numbers, across the cluster (an occupant may come more than once). */
function* holdersOf(ports: readonly HostPort[], view: PortView): Generator<Occupant> {
  for (const port of new Set(ports.map((p) => p.port))) yield* view.holdersOfPort(port);
}

/** What a decision works out once about a subject's placement, before any conflict is looked at. */
interface Placement {
  readonly target: TargetNode;
  /** The node it lands on, or null while the scheduler has still to pick one. */
  readonly node: string | null;
  /**
   * The scheduler's filters for where its pods can go; undefined for a `nodeName` pod,
   * which bypasses the scheduler (and so its filters, and preemption).
   */
  readonly filter: NodeFilter | undefined;
  readonly daemonSet: boolean;
}

function placementOf(subject: Subject, spec: PodSpecLike, view: PortView): Placement {
  const daemonSet = subject.kind === 'Workload' && subject.workloadKind === 'DaemonSet';
  // A DaemonSet's pods are pinned one per node by the controller: the template is about all of them.
  const target: TargetNode = daemonSet ? { kind: 'unpinned' } : targetNodeOf(spec, (h) => view.nodeForHostname(h));
  const node = target.kind === 'pinned' ? target.node : null;
  const scheduled = target.kind === 'unpinned' || target.via !== 'nodeName';
  const filter = scheduled ? nodeFilterOf(spec, daemonSet ? daemonPodTolerations(spec) : []) : undefined;
  return { target, node, filter, daemonSet };
}

/** Whether the scheduler could put the subject's pods on `node`; a node the view does not know is given the benefit of the doubt. */
function candidateTest(placement: Placement, view: PortView): (node: string) => boolean {
  const { filter } = placement;
  if (filter === undefined) return () => true;
  const known = new Map<string, boolean>();
  return (node) => {
    let ok = known.get(node);
    if (ok === undefined) {
      const info = view.node(node);
      ok = info === undefined || filter.accepts(info);
      known.set(node, ok);
    }
    return ok;
  };
}

/**
 * The subject's conflicts with pods: on its node when that is known (none when the
 * scheduler's filters keep it off that node anyway), else on every candidate node.
 */
function podConflictsOf(subject: Subject, ports: readonly HostPort[], placement: Placement, view: PortView): PodConflict[] {
  const candidate = candidateTest(placement, view);
  const { node } = placement;
  if (node === null) return podConflicts(ports, holdersOf(ports, view), subject.ref, (o) => ownedBy(subject, o) || !candidate(o.node));
  if (!candidate(node)) return [];
  return podConflicts(ports, view.occupantsOn(node), subject.ref, (o) => o.node !== node || ownedBy(subject, o)).sort((a, b) => rank(a) - rank(b));
}

/** A holder's priority, from its own or from its class; undefined when neither is known. */
function priorityOfHolder(c: PodConflict, view: PortView): number | undefined {
  return holderPriority(c.holderPriority, c.holderPriorityClassName, view);
}

/** Whether the subject's pods may evict the holder: they may preempt, and it is strictly lower. */
function outranks(priority: Priority | undefined, c: PodConflict, view: PortView): boolean {
  if (priority === undefined || !priority.preempts) return false;
  const held = priorityOfHolder(c, view);
  return held !== undefined && held < priority.value;
}

/**
 * Warnings for a port held on some candidate nodes of a pod the scheduler places or of a
 * workload's pods. A node counts as `lower-priority` for a port when every live holder of
 * any of the subject's ports there is outranked (the scheduler frees a node for a pod
 * only whole), `taken` when a live holder there is not, and `freeing` when only
 * terminating pods hold the port there.
 */
function spreadWarnings(
  subject: Subject,
  placement: Placement,
  conflicts: readonly PodConflict[],
  priority: Priority | undefined,
  view: PortView,
): string[] {
  if (conflicts.length === 0) return [];
  const blocked = new Set(conflicts.filter((c) => !c.holderTerminating && !outranks(priority, c, view)).map((c) => c.node));
  const byPort = new Map<HostPort, PodConflict[]>();
  for (const c of conflicts) byPort.set(c.port, [...(byPort.get(c.port) ?? []), c]);
  const candidates = placement.filter === undefined ? view.nodeCount() : view.countNodes(placement.filter);
  const hostNetwork = specOf(subject).hostNetwork === true;
  const warnings: string[] = [];
  for (const [port, found] of byPort) {
    const live = new Set(found.filter((c) => !c.holderTerminating).map((c) => c.node));
    const spreadOf = (c: PodConflict): Spread => {
      if (!live.has(c.node)) return 'freeing';
      return blocked.has(c.node) ? 'taken' : 'lower-priority';
    };
    for (const spread of ['taken', 'lower-priority', 'freeing'] as const) {
      // The holders that make a node what it is: live ones, except where only terminating pods hold it.
      const named = found.filter((c) => spreadOf(c) === spread && (spread === 'freeing' || !c.holderTerminating));
      if (named.length === 0) continue;
      const holders = named
        .map((c) => ({ node: c.node, holder: c.holder, container: c.held.container }))
        .sort((a, b) => a.node.localeCompare(b.node) || podName(a.holder).localeCompare(podName(b.holder)));
      const nodes = [...new Set(holders.map((h) => h.node))];
      const stricter = named.some((c) => !schedulerAgrees(c.rule));
      warnings.push(spreadWarning({ spread, hostNetwork, port, nodes, holders, candidates, daemonSet: placement.daemonSet, stricter }));
    }
  }
  return warnings;
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
  /**
   * A pod the scheduler places whose every live holder has a lower priority, while it may
   * preempt: the scheduler evicts them and binds it (a `nodeName` pod bypasses the
   * scheduler, and the kubelet never preempts for ports). Terminating holders it waits for.
   */
  readonly preempts: boolean;
  /** A live holder is an older pod of the incoming pod's own DaemonSet: the pod is a surge pod. */
  readonly surge: boolean;
}

function findingsOf(
  subject: Subject,
  placement: Placement,
  onPods: readonly PodConflict[],
  onDaemons: readonly ReservedConflict[],
  priority: Priority | undefined,
  view: PortView,
): Findings {
  const { target } = placement;
  const none = { onPods, onDaemons, waits: false, preempts: false, surge: false };
  if (subject.kind !== 'Pod' || target.kind !== 'pinned') return none;
  const scheduled = target.via !== 'nodeName' && onDaemons.length === 0 && onPods.length > 0;
  const live = onPods.filter((c) => !c.holderTerminating);
  const waits = scheduled && live.length === 0;
  const preempts = scheduled && live.length > 0 && live.every((c) => outranks(priority, c, view));
  const mine = controllerOf(subject.pod);
  const surge = mine?.kind === 'DaemonSet' && live.some((c) => c.holderOwner?.uid === mine.uid);
  return { onPods, onDaemons, waits, preempts, surge };
}

/**
 * Whether `enforce` denies a pod: any node daemon's port (the scheduler cannot see them,
 * so the pod would take or lose that port on whatever node it lands), and any pod
 * holding its port on its known node, unless the scheduler resolves it: the pod only
 * waits for terminating pods, or preempts lower-priority ones.
 */
function denied(subject: Subject, target: TargetNode, found: Findings): boolean {
  if (subject.kind !== 'Pod') return false;
  if (found.onDaemons.length > 0) return true;
  return target.kind === 'pinned' && found.onPods.length > 0 && !found.waits && !found.preempts;
}

/** The warnings of a pod on a known node that preempts: one per pod it evicts, then the pods it waits for. */
function preemptWarnings(hostNetwork: boolean, onPods: readonly PodConflict[], priority: Priority | undefined, view: PortView): string[] {
  const victims = new Map<string, PodConflict>();
  for (const c of onPods) if (!c.holderTerminating && !victims.has(podName(c.holder))) victims.set(podName(c.holder), c);
  const waits = onPods.filter((c) => c.holderTerminating);
  return [
    ...[...victims.values()].map((c) => preemptWarning(hostNetwork, c, priorityOfHolder(c, view) ?? 0, priority?.value ?? 0)),
    ...waits.map((c) => waitWarning(hostNetwork, c)),
  ];
}

/** The warnings for conflicts that are not denied, at most MAX_WARNINGS. */
function warningsFor(subject: Subject, placement: Placement, found: Findings, priority: Priority | undefined, view: PortView): string[] {
  const hostNetwork = specOf(subject).hostNetwork === true;
  const reserved = [...new Set(found.onDaemons.map((c) => conflictWarning(hostNetwork, c)))];
  let warnings: string[];
  if (placement.target.kind !== 'pinned') warnings = [...spreadWarnings(subject, placement, found.onPods, priority, view), ...reserved];
  else if (found.waits) warnings = found.onPods.map((c) => waitWarning(hostNetwork, c));
  else if (found.preempts) warnings = preemptWarnings(hostNetwork, found.onPods, priority, view);
  else warnings = [...found.onPods.slice(0, MAX_WARNINGS).map((c) => conflictWarning(hostNetwork, c)), ...reserved];
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
 * Pods the scheduler places, and workloads' pods, are looked for only on their candidate
 * nodes: those the scheduler's filters (node selector, required node affinity, taints
 * and tolerations, cordons) let them onto. In `enforce` a pod is denied when it takes a
 * node daemon's port (wherever it lands) or a port held on its known node, except that
 * a pod the scheduler places only waits for terminating holders or preempts
 * lower-priority ones (admitted with a warning), and a static pod's mirror is never
 * denied (the kubelet runs it anyway). Pods the scheduler places and workloads are
 * otherwise warned about, never denied; `warn` turns every denial into warnings and
 * `audit` only records conflicts.
 */
export function decide(subject: Subject, mode: Mode, view: PortView, rules: Rules): Decision {
  const spec = specOf(subject);
  const ports = hostPortsOf(spec);
  const placement = placementOf(subject, spec, view);
  const { node } = placement;
  if (ports.length === 0) return undeclared(subject, spec, mode, node, rules);
  const priority = podPriority(spec, view);
  const admits = subject.kind === 'Pod' && node !== null ? admitted(subject.pod, spec, node, ports, priority) : undefined;

  const onPods = podConflictsOf(subject, ports, placement, view);
  const onDaemons = reservedConflicts(node, ports, rules.reservedPorts);
  const conflicts: Conflict[] = [...onPods, ...onDaemons];
  // On a known node, holders are named live ones first (the others follow the index).
  if (node !== null) conflicts.sort((a, b) => rank(a) - rank(b));
  const mirror = subject.kind === 'Pod' && subject.mirror;
  const base = { mode, node, conflicts, existing: mirror && conflicts.length > 0, ...(admits === undefined ? {} : { admits }) };
  const notes = subject.kind === 'Workload' && subject.maxSurge !== undefined ? [maxSurgeWarning(subject.maxSurge)] : [];

  if (mode === 'audit' || (conflicts.length === 0 && notes.length === 0)) return { ...base, kind: 'allow' };
  const hostNetwork = spec.hostNetwork === true;
  if (mirror) return { ...base, kind: 'warn', warnings: conflicts.slice(0, MAX_WARNINGS).map((c) => mirrorWarning(hostNetwork, c)) };
  const found = findingsOf(subject, placement, onPods, onDaemons, priority, view);
  if (mode === 'enforce' && denied(subject, placement.target, found)) {
    const { admits: _dropped, ...denial } = base;
    // Where the scheduler will pick the node, only the node daemons' ports are the reason.
    const named = node === null ? onDaemons : conflicts;
    return { ...denial, kind: 'deny', message: denialMessage(hostNetwork, named, { surge: found.surge }) };
  }
  return { ...base, kind: 'warn', warnings: [...notes, ...warningsFor(subject, placement, found, priority, view)].slice(0, MAX_WARNINGS) };
}

/**
 * What a pod let in on a known node holds until the watch shows it: its ports, and its
 * priority as resolved here (a manifest checked offline has no `spec.priority`).
 */
function admitted(pod: PodLike, spec: PodSpecLike, node: string, ports: readonly HostPort[], priority: Priority | undefined): Occupant | undefined {
  const occupant = occupantWithPorts({ ...pod, spec: { ...spec, nodeName: node } }, ports);
  if (occupant === undefined || priority === undefined || occupant.priority === priority.value) return occupant;
  const { priorityClassName: _resolved, ...rest } = occupant;
  return { ...rest, priority: priority.value };
}
