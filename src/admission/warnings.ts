/**
 * The warnings decisions send back. Each names the incoming port the way denials do
 * (`hostNetwork port 8080/TCP` or `hostPort 8080/TCP`) and at least one pod holding it,
 * and fits the API server's limits (messages.ts fitWarning): the most detailed wording
 * that fits about 120 characters, else a shorter one, never past 256.
 */
import type { Conflict, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { schedulerAgrees } from '../engine/conflicts.js';
import type { HostPort, PodRef } from '../engine/types.js';
import { fitWarning, holderText, podHolderText, podName, portLabel, portPhrase, reservedLabel, STRICTER_TAG, warningText } from './messages.js';
import { shown } from './text.js';

/** Holders named in one warning about a port taken on several nodes, at most. */
export const MAX_NAMED_HOLDERS = 3;

/** The stricter-than-the-scheduler note of a conflict, as a warning's tail. */
function tagOf(c: Conflict): string {
  return schedulerAgrees(c.rule) ? '' : STRICTER_TAG;
}

/** One warning for one conflict on a known node, or with a node daemon's port. */
export function conflictWarning(hostNetwork: boolean, c: Conflict): string {
  if (c.kind === 'reserved') return reservedWarning(hostNetwork, c);
  const said = (brief: boolean): string => `${portPhrase(hostNetwork, c.port)} on node ${shown(c.node)} is used by ${podHolderText(c, brief)}`;
  return fitWarning([said(false), said(true)], tagOf(c));
}

/** A node daemon's port, which the scheduler cannot see: said the same for every pod, so kubectl prints it once. */
export function reservedWarning(hostNetwork: boolean, c: ReservedConflict): string {
  const held = reservedLabel(c.held) === portLabel(c.port) ? 'it' : reservedLabel(c.held);
  return warningText(`${portPhrase(hostNetwork, c.port)} is a node daemon's port: ${shown(c.held.owner)} holds ${held} on every node, unseen by the scheduler`);
}

/** A pod the scheduler places once a terminating holder is gone. */
export function waitWarning(hostNetwork: boolean, c: PodConflict): string {
  const said = (container: string): string =>
    `pod waits for terminating pod ${podName(c.holder)} to free ${portPhrase(hostNetwork, c.port)} on node ${shown(c.node)}${container}`;
  return fitWarning([said(` (container ${shown(c.held.container)})`), said('')], tagOf(c));
}

/**
 * A pod the scheduler places on a node where only lower-priority pods hold its ports:
 * the scheduler evicts them (preemption) and binds the pod once they are gone.
 */
export function preemptWarning(hostNetwork: boolean, c: PodConflict, held: number, priority: number): string {
  const said = (container: boolean, priorities: boolean): string =>
    `pod preempts lower-priority pod ${podName(c.holder)}${container ? ` (container ${shown(c.held.container)})` : ''} on node ${shown(c.node)}` +
    ` for ${portPhrase(hostNetwork, c.port)}${priorities ? ` (priority ${held} < ${priority})` : ''}`;
  return fitWarning([said(true, true), said(false, true), said(false, false)], tagOf(c));
}

/** The mirror of a static pod whose ports collide: the kubelet runs it anyway. */
export function mirrorWarning(hostNetwork: boolean, c: Conflict): string {
  const where = c.node === null ? '' : ` on node ${shown(c.node)}`;
  const said = (brief: boolean): string => `static pod already running${where}: ${portPhrase(hostNetwork, c.port)} is also used by ${holderText(c, brief)}`;
  return fitWarning([said(false), said(true)]);
}

/** A DaemonSet pod (in warn mode) colliding with the older pod it is meant to replace. */
export const SURGE_WARNING = "surge pod: with a host port the old pod has to go first, so it can never start; set the DaemonSet's maxSurge: 0";

/** A DaemonSet that surges while its pods hold host ports. */
export function maxSurgeWarning(maxSurge: string): string {
  return warningText(`maxSurge ${maxSurge}: with host ports the old pod must go first, so surge pods never start; set maxSurge 0, maxUnavailable 1`);
}

/**
 * A hostNetwork pod (or template) that declares no ports binds whatever its program
 * binds, unseen by every check. The text names no object, so kubectl, which prints each
 * distinct warning once per command, says it once for a hundred such pods.
 */
export function undeclaredWarning(workload: boolean): string {
  return workload
    ? 'hostNetwork pods declare no ports: no check here or in the scheduler sees what they bind; declare containers[].ports'
    : 'hostNetwork pod declares no ports: no check here or in the scheduler sees what it binds; declare containers[].ports';
}

/** One pod holding the port on one node, for a warning about several nodes. */
export interface HeldOn {
  readonly node: string;
  readonly holder: PodRef;
  readonly container: string;
}

/**
 * What a port looks like across the candidate nodes of a pod the scheduler places (or of
 * a workload's pods): `taken` by pods it cannot displace, held only by `lower-priority`
 * pods it may preempt, or `freeing` (held only by terminating pods, which it waits for).
 */
export type Spread = 'taken' | 'lower-priority' | 'freeing';

/** The facts of one spread warning. */
export interface SpreadFacts {
  readonly spread: Spread;
  readonly hostNetwork: boolean;
  /** The incoming port. */
  readonly port: HostPort;
  /** How many candidate nodes hold it so. */
  readonly nodes: number;
  /** The first pods holding it there in node, then pod order: at least the MAX_NAMED_HOLDERS a warning may name. */
  readonly holders: readonly HeldOn[];
  /** How many pods hold it there in all. */
  readonly holderCount: number;
  /** How many candidate nodes the pod has; not said when the holders sit on nodes the view does not know. */
  readonly candidates: number;
  /** The subject is a DaemonSet: its pods are placed on every candidate node. */
  readonly daemonSet: boolean;
  readonly stricter: boolean;
}

/** `3 of 5 candidate nodes`; `3 candidate nodes` when the total is not known to be larger. */
function nodesText(count: number, candidates: number): string {
  const total = candidates >= count ? ` of ${candidates}` : '';
  return `${count}${total} candidate node${count === 1 && total === '' ? '' : 's'}`;
}

function consequence(spread: Spread, daemonSet: boolean): string {
  switch (spread) {
    case 'taken':
      return daemonSet ? 'its pods cannot run there' : 'pods needing it cannot run there';
    case 'lower-priority':
      return daemonSet ? 'its pods will preempt them' : 'the scheduler may preempt them';
    case 'freeing':
      return daemonSet ? 'its pods wait there' : 'pods needing it wait there';
  }
}

/** A holder's node, pod and container as a warning shows them. */
interface ShownHolder {
  readonly node: string;
  readonly pod: string;
  readonly container: string;
}

/** `worker-1 by team-a/api-7d9f (container web), worker-2 by ..., and 2 more`: the first `named` of `count` holders. */
function holdersText(holders: readonly ShownHolder[], count: number, named: number, containers: boolean, nodes: boolean): string {
  const listed = holders.slice(0, named).map((h) => {
    const who = `${h.pod}${containers ? ` (container ${h.container})` : ''}`;
    return nodes ? `${h.node} by ${who}` : who;
  });
  const rest = count - listed.length;
  if (rest === 0) return listed.join(', ');
  return nodes ? `${listed.join(', ')}, and ${rest} more` : `${listed.join(', ')} and ${rest} more`;
}

/**
 * One warning for a port held on some candidate nodes of a pod the scheduler places or
 * of a workload's pods, naming who holds it there: as many holders (node, pod,
 * container) as fit, at least one, and how many more.
 */
export function spreadWarning(f: SpreadFacts): string {
  const phrase = portPhrase(f.hostNetwork, f.port);
  const where = nodesText(f.nodes, f.candidates);
  const verb = f.spread === 'freeing' ? 'is being freed on' : 'is taken on';
  const by = f.spread === 'lower-priority' ? ' by lower-priority pods' : '';
  const tail = consequence(f.spread, f.daemonSet);
  // Each variant names some of the same holders: make their text once.
  const holders = f.holders.slice(0, MAX_NAMED_HOLDERS).map((h) => ({ node: shown(h.node), pod: podName(h.holder), container: shown(h.container) }));
  const variants: string[] = [];
  for (let named = holders.length; named >= 1; named -= 1) {
    for (const containers of [true, false]) {
      variants.push(`${phrase} ${verb} ${where}${by}: ${holdersText(holders, f.holderCount, named, containers, true)}; ${tail}`);
    }
  }
  const lastly = f.spread === 'lower-priority' ? ' by lower-priority ' : ' by ';
  variants.push(`${phrase} ${verb} ${where}${lastly}${holdersText(holders, f.holderCount, 1, false, false)}; ${tail}`);
  return fitWarning(variants, f.stricter ? STRICTER_TAG : '');
}
