import type { CollisionRule, Conflict, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { findConflicts, reservedConflicts, samePod } from '../engine/conflicts.js';
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
import { MAX_HOST_PORTS, overBudgetDenial, overBudgetWarning } from './budget.js';
import { cappedWarnings, denialMessage, MAX_WARNINGS, podName, warningText } from './messages.js';
import type { SpreadHolder, SpreadLine } from './spread.js';
import { outranks, spreadLines, spreadWarnings, summarisedSpread } from './spread.js';
import type { Subject } from './subject.js';
import { ownedBy } from './subject.js';
import { conflictWarning, maxSurgeWarning, mirrorWarning, preemptWarning, SURGE_WARNING, undeclaredWarning, waitWarning } from './warnings.js';

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

/**
 * Conflicts with pods a decision lists; past this they are only counted. Messages name 5,
 * audit annotations 20: the list only has to be long enough for those and for
 * `check -o json`, and a pathological pair of pods must not build millions of objects.
 */
export const MAX_LISTED_CONFLICTS = 1000;

/**
 * Held ports one decision looks at before it stops. A decision meets only the held ports
 * that collide (held-ports.ts), but a pod the scheduler places, with 1,024 ports that a
 * DaemonSet holds on each of 100 nodes, still meets 102,400 genuine conflicts: counting
 * them all held the event loop for 40 ms. 20,000 is a few milliseconds here, and more
 * than the 5,000 of the benchmarks' largest cluster for a port held on every node.
 */
export const MAX_EXAMINED_PORTS = 20_000;

interface DecisionBase {
  readonly mode: Mode;
  /** The node the subject is known to land on, or null when the scheduler decides later. */
  readonly node: string | null;
  /** The conflicts, with at most MAX_LISTED_CONFLICTS of them with pods (DecideOptions may ask for fewer). */
  readonly conflicts: readonly Conflict[];
  /** How many conflicts there are in all: more than `conflicts.length` when the list was cut. */
  readonly conflictCount: number;
  /**
   * The conflicts already exist on the node: the subject is a static pod's mirror, which
   * the kubelet runs whatever the answer. Counted apart in metrics and the log.
   */
  readonly existing: boolean;
  /**
   * Set when the search stopped after MAX_EXAMINED_PORTS held ports: conflictCount is then
   * a lower bound, and the messages say "at least".
   */
  readonly searchCut?: true;
  /**
   * How many host ports the subject declares, when that is past MAX_HOST_PORTS: the
   * decision then says so instead of looking for conflicts (budget.ts).
   */
  readonly overBudget?: number;
  /**
   * A pod that this answer lets in and that holds ports on a known node: the caller
   * reserves its ports until the watch shows it, so a twin created at the same moment
   * cannot get in too.
   */
  readonly admits?: Occupant;
}

/** How a caller wants a decision made. */
export interface DecideOptions {
  /**
   * How many conflicts with pods a decision lists where the scheduler places the subject
   * (MAX_LISTED_CONFLICTS unless given): its messages never read them, so a caller that
   * shows only a few (the webhook's audit annotation) saves building the rest. On a known
   * node the messages read them, and MAX_LISTED_CONFLICTS are always listed.
   */
  readonly listedAcrossNodes?: number;
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

/** The warnings of a decision, capped, with a last one saying the search stopped when it did. */
function finalWarnings(warnings: readonly string[], total: number, what: string, cut: boolean): string[] {
  if (!cut) return cappedWarnings(warnings, total, what);
  return [...warnings.slice(0, MAX_WARNINGS - 1), warningText(`and maybe more ${what}: hostport-guard stops after ${MAX_EXAMINED_PORTS} held ports`)];
}

function specOf(subject: Subject): PodSpecLike {
  return subject.kind === 'Pod' ? subject.pod.spec : subject.spec;
}

/** Live pods first, then node daemons, then pods on their way out: a denial names the live holder first. */
function rank(c: Conflict): number {
  if (c.kind === 'reserved') return 1;
  return c.holderTerminating ? 2 : 0;
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

/** What the search saw of every conflict with a pod on a known node, listed or only counted. */
interface Tally {
  /** Conflicts with live holders. */
  live: number;
  /** Conflicts with live holders the subject's pods may not preempt. */
  blocking: number;
  /** A live holder is an older pod of the incoming pod's own DaemonSet. */
  surge: boolean;
}

/** The search for a subject's conflicts with pods, and what it found of every one, listed or not. */
interface PodSearch {
  readonly conflicts: readonly PodConflict[];
  readonly total: number;
  readonly cut: boolean;
  /** On a known node: the tally findingsOf reads. */
  readonly tally?: Tally;
  /** Where the scheduler places the subject: the spread warnings' lines, port by port, made as they are read. */
  readonly spread: Iterable<readonly SpreadLine[]>;
}

/**
 * The subject's conflicts with pods: on its node when that is known (none when the
 * scheduler's filters keep it off that node anyway), else on every candidate node. The
 * lookups are keyed (held-ports.ts), so only colliding held ports are met; at most
 * `listed` are listed, and the search stops after MAX_EXAMINED_PORTS. Every conflict
 * found counts, listed or not. Where the scheduler places the subject, the view's
 * summaries answer without meeting the holders when they can (spread.ts).
 */
function searchPods(subject: Subject, ports: readonly HostPort[], placement: Placement, priority: Priority | undefined, view: PortView, listed: number): PodSearch {
  const candidate = candidateTest(placement, view);
  const { node } = placement;
  if (node !== null && !candidate(node)) return { conflicts: [], total: 0, cut: false, tally: { live: 0, blocking: 0, surge: false }, spread: [] };
  // On a known node the messages read the listed conflicts: they are listed in full there.
  const limits = { listed: node === null ? listed : MAX_LISTED_CONFLICTS, examined: MAX_EXAMINED_PORTS };
  if (node === null && placement.filter !== undefined) {
    const summarised = summarisedSpread(subject, ports, placement.filter, priority, view, limits, candidate);
    if (summarised !== undefined) return { conflicts: summarised.conflicts, total: summarised.total, cut: false, spread: summarised.lines };
  }
  // A pod never conflicts with itself, and a workload update ignores the pods it owns.
  const skip = (o: Occupant): boolean => samePod(o.pod, subject.ref) || ownedBy(subject, o) || (node === null && !candidate(o.node));
  const mine = subject.kind === 'Pod' ? controllerOf(subject.pod) : undefined;
  const tally: Tally = { live: 0, blocking: 0, surge: false };
  const spread = new Map<HostPort, SpreadHolder[]>();
  let last: { port: HostPort; holders: SpreadHolder[] } | undefined;
  const count = (port: HostPort, held: HostPort, holder: Occupant, rule: CollisionRule): void => {
    const blocking = !holder.terminating && !outranks(priority, holderPriority(holder.priority, holder.priorityClassName, view));
    if (node !== null) {
      if (!holder.terminating) tally.live += 1;
      if (blocking) tally.blocking += 1;
      if (!holder.terminating && mine?.kind === 'DaemonSet' && holder.owner?.uid === mine.uid) tally.surge = true;
      return;
    }
    // Conflicts arrive port by port: look the port's entry up once per run of them.
    if (last?.port !== port) {
      const holders = spread.get(port) ?? [];
      spread.set(port, holders);
      last = { port, holders };
    }
    last.holders.push({ node: holder.node, holder: holder.pod, container: held.container, terminating: holder.terminating, blocking, rule });
  };
  const lookup = node === null ? (p: HostPort) => view.heldAnywhere(p) : (p: HostPort) => view.heldOn(node, p);
  const search = findConflicts(ports, lookup, skip, limits, count);
  if (node !== null) {
    const conflicts = [...search.conflicts].sort((a, b) => rank(a) - rank(b));
    return { conflicts, total: search.total, cut: !search.complete, tally, spread: [] };
  }
  return { conflicts: search.conflicts, total: search.total, cut: !search.complete, spread: spreadLines(spread) };
}

/** A holder's priority, from its own or from its class; undefined when neither is known. */
function priorityOfHolder(c: PodConflict, view: PortView): number | undefined {
  return holderPriority(c.holderPriority, c.holderPriorityClassName, view);
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

/**
 * Counted over every conflict with a pod, not only the listed ones. A search that was cut
 * may have missed a live holder, so the pod is then never taken to only wait or preempt.
 */
function findingsOf(subject: Subject, placement: Placement, pods: PodSearch, onDaemons: readonly ReservedConflict[]): Findings {
  const { target } = placement;
  const onPods = pods.conflicts;
  const none = { onPods, onDaemons, waits: false, preempts: false, surge: false };
  if (subject.kind !== 'Pod' || target.kind !== 'pinned') return none;
  const { tally } = pods;
  if (tally === undefined) return none;
  const scheduled = !pods.cut && target.via !== 'nodeName' && onDaemons.length === 0 && pods.total > 0;
  const waits = scheduled && tally.live === 0;
  const preempts = scheduled && tally.live > 0 && tally.blocking === 0;
  return { onPods, onDaemons, waits, preempts, surge: tally.surge };
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

/** Warnings to give, how many there would be if all were written, and what they are about. */
interface Warnings {
  readonly warnings: readonly string[];
  readonly total: number;
  readonly what: string;
}

/**
 * The warnings for conflicts that are not denied; `podTotal` counts every conflict with
 * a pod, beyond the listed ones. finalWarnings keeps MAX_WARNINGS of them.
 */
function warningsFor(
  subject: Subject,
  placement: Placement,
  found: Findings,
  pods: PodSearch,
  priority: Priority | undefined,
  view: PortView,
): Warnings {
  const podTotal = pods.total;
  const hostNetwork = specOf(subject).hostNetwork === true;
  const reserved = [...new Set(found.onDaemons.map((c) => conflictWarning(hostNetwork, c)))];
  const surge = found.surge ? [SURGE_WARNING] : [];
  // Conflicts found but not listed (past MAX_LISTED_CONFLICTS): counted in "and N more".
  const unlisted = podTotal - found.onPods.length;
  if (placement.target.kind !== 'pinned') {
    const { filter, daemonSet } = placement;
    const candidates = (): number => (filter === undefined ? view.nodeCount() : view.countNodes(filter));
    const warnings = [...surge, ...spreadWarnings({ hostNetwork, daemonSet, candidates }, pods.spread), ...reserved];
    return { warnings, total: warnings.length, what: 'ports taken on some nodes' };
  }
  if (found.waits) {
    const warnings = [...surge, ...found.onPods.slice(0, MAX_WARNINGS).map((c) => waitWarning(hostNetwork, c))];
    return { warnings, total: surge.length + podTotal, what: 'conflicts' };
  }
  if (found.preempts) {
    const warnings = [...surge, ...preemptWarnings(hostNetwork, found.onPods, priority, view)];
    return { warnings, total: warnings.length + unlisted, what: 'conflicts' };
  }
  const warnings = [...surge, ...found.onPods.slice(0, MAX_WARNINGS).map((c) => conflictWarning(hostNetwork, c)), ...reserved];
  return { warnings, total: surge.length + podTotal + reserved.length, what: 'conflicts' };
}

/** The decision for a subject that holds no host port: allowed, or warned about when hostNetwork hides its ports. */
function undeclared(subject: Subject, spec: PodSpecLike, mode: Mode, node: string | null, rules: Rules): Decision {
  const base = { mode, node, conflicts: [], conflictCount: 0, existing: false };
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
export function decide(subject: Subject, mode: Mode, view: PortView, rules: Rules, options: DecideOptions = {}): Decision {
  const spec = specOf(subject);
  const ports = hostPortsOf(spec);
  const placement = placementOf(subject, spec, view);
  const { node } = placement;
  if (ports.length === 0) return undeclared(subject, spec, mode, node, rules);
  const priority = podPriority(spec, view);
  const admits = subject.kind === 'Pod' && node !== null ? admitted(subject.pod, spec, node, ports, priority) : undefined;
  if (ports.length > MAX_HOST_PORTS) return overBudget(subject, mode, node, admits, ports.length);

  const pods = searchPods(subject, ports, placement, priority, view, options.listedAcrossNodes ?? MAX_LISTED_CONFLICTS);
  const { cut } = pods;
  const onPods = pods.conflicts;
  const onDaemons = reservedConflicts(node, ports, rules.reservedPorts);
  const conflicts: Conflict[] = [...onPods, ...onDaemons];
  // On a known node, holders are named live ones first (the others follow the index).
  if (node !== null) conflicts.sort((a, b) => rank(a) - rank(b));
  const conflictCount = pods.total + onDaemons.length;
  const mirror = subject.kind === 'Pod' && subject.mirror;
  const base = {
    mode,
    node,
    conflicts,
    conflictCount,
    existing: mirror && conflictCount > 0,
    ...(cut ? { searchCut: true as const } : {}),
    ...(admits === undefined ? {} : { admits }),
  };
  const notes = subject.kind === 'Workload' && subject.maxSurge !== undefined ? [maxSurgeWarning(subject.maxSurge)] : [];

  if (mode === 'audit' || (conflictCount === 0 && notes.length === 0)) return { ...base, kind: 'allow' };
  const hostNetwork = spec.hostNetwork === true;
  if (mirror) {
    const warnings = conflicts.slice(0, MAX_WARNINGS).map((c) => mirrorWarning(hostNetwork, c));
    return { ...base, kind: 'warn', warnings: finalWarnings(warnings, conflictCount, 'conflicts', cut) };
  }
  const found = findingsOf(subject, placement, pods, onDaemons);
  if (mode === 'enforce' && denied(subject, placement.target, found)) {
    const { admits: _dropped, ...denial } = base;
    // Where the scheduler will pick the node, only the node daemons' ports are the reason.
    const named = node === null ? onDaemons : conflicts;
    const total = node === null ? onDaemons.length : conflictCount;
    return { ...denial, kind: 'deny', message: denialMessage(hostNetwork, named, { surge: found.surge, total, atLeast: node !== null && cut }) };
  }
  const given = warningsFor(subject, placement, found, pods, priority, view);
  return { ...base, kind: 'warn', warnings: finalWarnings([...notes, ...given.warnings], notes.length + given.total, given.what, cut) };
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

/**
 * The answer to a subject declaring more host ports than one decision may look at: deny,
 * warn or record, per mode. A static pod's mirror is never denied: the kubelet runs it anyway.
 */
function overBudget(subject: Subject, mode: Mode, node: string | null, admits: Occupant | undefined, count: number): Decision {
  const base = { mode, node, conflicts: [], conflictCount: 0, existing: false, overBudget: count };
  if (mode === 'enforce' && subject.kind === 'Pod' && !subject.mirror) return { ...base, kind: 'deny', message: overBudgetDenial(count) };
  const admitted = admits === undefined ? base : { ...base, admits };
  if (mode === 'audit') return { ...admitted, kind: 'allow' };
  return { ...admitted, kind: 'warn', warnings: [overBudgetWarning(count, subject.kind === 'Workload', mode === 'enforce')] };
}
