/**
 * Where the scheduler places the subject (a pod without a node, or a workload's pods),
 * its ports may be taken on some of its candidate nodes: the spread warnings say on how
 * many, how (taken, held by lower-priority pods, being freed) and by whom. Their lines
 * come from the conflicts a search met one by one (spreadLines), or from the view's
 * summaries of the held ports without meeting them (summarisedSpread); both give the
 * same lines, which decide-summary.test.ts holds them to.
 */
import type { CollisionRule, PodConflict, SearchLimits } from '../engine/conflicts.js';
import { collision, podConflict, schedulerAgrees } from '../engine/conflicts.js';
import type { NodeFilter } from '../engine/node-filter.js';
import type { FirstOfGroup, HolderOrder, Holding, PortSummary } from '../engine/port-summary.js';
import { keepFirst } from '../engine/port-summary.js';
import type { Priority } from '../engine/priority.js';
import { holderPriority } from '../engine/priority.js';
import type { HostPort, PodRef } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import { MAX_WARNINGS, podName } from './messages.js';
import type { Subject } from './subject.js';
import { ownedBy } from './subject.js';
import type { HeldOn, Spread } from './warnings.js';
import { MAX_NAMED_HOLDERS, spreadWarning } from './warnings.js';

/** One pod holding an incoming port on a candidate node, for the spread warnings. */
export interface SpreadHolder extends HeldOn {
  readonly terminating: boolean;
  /** Live, and not one the subject's pods may preempt. */
  readonly blocking: boolean;
  readonly rule: CollisionRule;
}

/** What one spread warning says besides what it says of the subject: how an incoming port is held on candidate nodes, and by whom. */
export interface SpreadLine {
  readonly port: HostPort;
  readonly spread: Spread;
  readonly nodes: number;
  /** The first holders in node, then pod order: as many as a warning names. */
  readonly holders: readonly HeldOn[];
  readonly holderCount: number;
  readonly stricter: boolean;
}

/** Whether the subject's pods may evict a holder of priority `held`: they may preempt, and it is strictly lower. */
export function outranks(priority: Priority | undefined, held: number | undefined): boolean {
  if (priority === undefined || !priority.preempts) return false;
  return held !== undefined && held < priority.value;
}

/** The order in which warnings name holders: by node, then by pod. */
function byNodeThenPod(nodeA: string, podA: PodRef, nodeB: string, podB: PodRef): number {
  return nodeA.localeCompare(nodeB) || podName(podA).localeCompare(podName(podB));
}

/** byNodeThenPod for the view's summaries: one function, so a view keeps one summary per key. */
const SUMMARY_ORDER: HolderOrder = (a, b) => byNodeThenPod(a.occupant.node, a.occupant.pod, b.occupant.node, b.occupant.pod);

/**
 * The MAX_NAMED_HOLDERS first of `holders` in node, then pod order: the ones a warning
 * names. Sorting thousands of holders to show three costs more than finding the decision.
 */
function firstNamed(holders: readonly HeldOn[]): HeldOn[] {
  const order = (a: HeldOn, b: HeldOn): number => byNodeThenPod(a.node, a.holder, b.node, b.holder);
  const first: HeldOn[] = [];
  for (const h of holders) keepFirst(first, h, order, MAX_NAMED_HOLDERS);
  return first;
}

/**
 * The lines of the spread warnings, port by port, over every conflict the search found
 * (not only the listed ones). A node counts as `lower-priority` for a port when every
 * live holder of any of the subject's ports there is outranked (the scheduler frees a
 * node for a pod only whole), `taken` when a live holder there is not, and `freeing` when
 * only terminating pods hold the port there. A port's lines are worked out when read.
 */
export function* spreadLines(spread: ReadonlyMap<HostPort, readonly SpreadHolder[]>): Generator<SpreadLine[]> {
  const blocked = new Set<string>();
  for (const found of spread.values()) for (const h of found) if (h.blocking) blocked.add(h.node);
  for (const [port, found] of spread) {
    const live = new Set(found.filter((h) => !h.terminating).map((h) => h.node));
    const spreadOf = (h: SpreadHolder): Spread => {
      if (!live.has(h.node)) return 'freeing';
      return blocked.has(h.node) ? 'taken' : 'lower-priority';
    };
    const lines: SpreadLine[] = [];
    for (const kind of ['taken', 'lower-priority', 'freeing'] as const) {
      // The holders that make a node what it is: live ones, except where only terminating pods hold it.
      const named = found.filter((h) => spreadOf(h) === kind && (kind === 'freeing' || !h.terminating));
      if (named.length === 0) continue;
      const nodes = new Set(named.map((h) => h.node)).size;
      const stricter = named.some((h) => !schedulerAgrees(h.rule));
      lines.push({ port, spread: kind, nodes, holders: firstNamed(named), holderCount: named.length, stricter });
    }
    yield lines;
  }
}

/** What summarisedSpread found: the conflicts listed, how many there are in all, and the lines. */
export interface SummarisedSpread {
  readonly conflicts: readonly PodConflict[];
  readonly total: number;
  readonly lines: readonly (readonly SpreadLine[])[];
}

/**
 * The conflicts of a pod the scheduler places (or of a workload's pods) and the lines of
 * its spread warnings, from the view's summaries of the ports it asks for
 * (port-summary.ts): one step per set of node traits, not one per holder, for the same
 * answer. Every holder of a summary is on the IPv4 wildcard, so each is a conflict. A
 * port's nodes where live pods hold it get one line, `taken` when the subject's pods may
 * preempt none of its holders and `lower-priority` when they may preempt them all; its
 * nodes where only terminating pods hold it get a `freeing` line.
 *
 * Undefined when a summary cannot give that answer and the holders must be met one by
 * one: the view keeps none, the subject's own pod may be among the holders, a workload's
 * own pods are some of them (all of them, it passes over), the subject may preempt some
 * holders and not others (of one port, or across its ports), the filters read node
 * names, or the search would stop after `limits.examined` held ports. At most
 * `limits.listed` conflicts are listed, in the order a search lists them; `candidate` is
 * the search's own test of a node.
 */
export function summarisedSpread(
  subject: Subject,
  ports: readonly HostPort[],
  filter: NodeFilter,
  priority: Priority | undefined,
  view: PortView,
  limits: SearchLimits,
  candidate: (node: string) => boolean,
): SummarisedSpread | undefined {
  if (view.summary === undefined || filter.readsIdentity || view.mayHold?.(subject.ref) !== false) return undefined;
  const lines: SpreadLine[][] = [];
  const conflicts: PodConflict[] = [];
  let total = 0;
  let examined = 0;
  // What the live holders of every port are to the subject: a node is taken if any of them there blocks.
  let liveSpread: Spread | undefined;
  for (const port of ports) {
    const summary = view.summary(port, SUMMARY_ORDER, MAX_NAMED_HOLDERS);
    if (summary === undefined) {
      // Nobody holds the key, or what holds it collides with this port in ways a summary does not say.
      if (!isEmpty(view.heldAnywhere(port))) return undefined;
      continue;
    }
    examined += summary.held.length;
    if (examined > limits.examined) return undefined;
    if (subject.kind === 'Workload') {
      // A workload's update passes over its own pods: a DaemonSet's holding the port on every node, say.
      const owned = ownedHeld(subject, summary);
      if (owned === undefined) return undefined;
      if (owned === summary.held.length) continue;
      if (owned > 0) return undefined;
    }
    const spread = spreadOfAll(summary, priority, view);
    if (spread === undefined) return undefined;
    const on = onCandidates(summary, filter);
    if (on.held === 0) continue;
    total += on.held;
    const portLines: SpreadLine[] = [];
    if (on.live.held > 0) {
      // With ports of both kinds, whether a node is taken is a question of each node.
      if (liveSpread !== undefined && liveSpread !== spread) return undefined;
      liveSpread = spread;
      portLines.push({ port, spread, nodes: on.live.nodes, holders: firstAccepted(summary.firstLive, on.accepted), holderCount: on.live.held, stricter: false });
    }
    if (on.freeing.held > 0) {
      const holders = firstAccepted(summary.firstFreeing, on.accepted);
      portLines.push({ port, spread: 'freeing', nodes: on.freeing.nodes, holders, holderCount: on.freeing.held, stricter: false });
    }
    lines.push(portLines);
    for (const { occupant, held: heldPort } of summary.held) {
      if (conflicts.length >= limits.listed) break;
      if (!candidate(occupant.node)) continue;
      const rule = collision(port, heldPort);
      if (rule === undefined) return undefined;
      conflicts.push(podConflict(port, heldPort, occupant, rule));
    }
  }
  return { conflicts, total, lines };
}

/** A summary's tallies over the groups of nodes `filter` accepts, and which groups those are. */
function onCandidates(summary: PortSummary, filter: NodeFilter): { held: number; live: Holding; freeing: Holding; accepted: boolean[] } {
  let held = 0;
  const live = { nodes: 0, held: 0 };
  const freeing = { nodes: 0, held: 0 };
  const accepted = summary.groups.map((group) => {
    // Nodes the view does not know are given the benefit of the doubt, as candidateTest does.
    const accepts = group.sample === undefined || filter.accepts(group.sample);
    if (accepts) {
      held += group.held;
      live.nodes += group.live.nodes;
      live.held += group.live.held;
      freeing.nodes += group.freeing.nodes;
      freeing.held += group.freeing.held;
    }
    return accepts;
  });
  return { held, live, freeing, accepted };
}

/** The first MAX_NAMED_HOLDERS of `first` on nodes of accepted groups, as a warning names them. */
function firstAccepted(first: readonly FirstOfGroup[], accepted: readonly boolean[]): HeldOn[] {
  const holders: HeldOn[] = [];
  for (const { entry, group } of first) {
    if (holders.length >= MAX_NAMED_HOLDERS) break;
    if (accepted[group] === true) holders.push({ node: entry.occupant.node, holder: entry.occupant.pod, container: entry.held.container });
  }
  return holders;
}

/**
 * What a summary's holders are to the subject's pods, all alike: `taken` when none may be
 * preempted, `lower-priority` when every one may; undefined when some may and some not,
 * or the holders' priorities are too many to list.
 */
function spreadOfAll(summary: PortSummary, priority: Priority | undefined, view: PortView): Spread | undefined {
  if (priority?.preempts !== true) return 'taken';
  if (summary.priorities === undefined) return undefined;
  const outranked = summary.priorities.filter(({ occupant: o }) => outranks(priority, holderPriority(o.priority, o.priorityClassName, view))).length;
  if (outranked === 0) return 'taken';
  return outranked === summary.priorities.length ? 'lower-priority' : undefined;
}

/** How many of a summary's held ports `subject`'s own pods hold; undefined when the owners are too many to list. */
function ownedHeld(subject: Subject, summary: PortSummary): number | undefined {
  if (summary.owners === undefined) return undefined;
  let owned = 0;
  for (const { occupant, held } of summary.owners) if (ownedBy(subject, occupant)) owned += held;
  return owned;
}

function isEmpty(items: Iterable<unknown>): boolean {
  for (const _ of items) return false;
  return true;
}

/** What spread warnings say of the subject. */
export interface SpreadSubject {
  readonly hostNetwork: boolean;
  /** The subject is a DaemonSet: its pods are placed on every candidate node. */
  readonly daemonSet: boolean;
  /** How many candidate nodes it has; asked only when there is a warning to write. */
  readonly candidates: () => number;
}

/**
 * Warnings for ports held on some candidate nodes of a pod the scheduler places or of a
 * workload's pods, one per line of `spread`. Only as many ports as can be shown are
 * written.
 */
export function spreadWarnings(subject: SpreadSubject, spread: Iterable<readonly SpreadLine[]>): string[] {
  const { hostNetwork, daemonSet } = subject;
  const warnings: string[] = [];
  let candidates: number | undefined;
  for (const lines of spread) {
    if (warnings.length >= MAX_WARNINGS) break;
    candidates ??= subject.candidates();
    for (const line of lines) warnings.push(spreadWarning({ ...line, hostNetwork, candidates, daemonSet }));
  }
  return warnings;
}
