/**
 * What every held port of one protocol and port number amounts to across the cluster, so
 * that a pod the scheduler places, asking for a port a DaemonSet holds on every node, is
 * decided without visiting each holder: "taken on 3,750 of 3,750 candidate nodes: a, b,
 * c, and 3,747 more" costs one step per set of node traits, not one per node.
 *
 * A summary is made only when the answer it gives is the one a search through every
 * holder would give (decide.ts keeps that search, and a property test holds the two to
 * the same decisions): every held port is on the IPv4 wildcard (so it collides with any
 * hostIP of the key, by the scheduler's own rule), and no holder is terminating (so each
 * holder's node is simply taken, or freed by preemption). Otherwise there is no summary,
 * and the decision searches. A view keeps a summary until a held port of its key comes or
 * goes, or the nodes' traits change.
 */
import { IPV4_ANY } from './ip.js';
import type { NodeInfo } from './node-filter.js';
import type { HeldPort, Occupant } from './types.js';

/** The order in which a warning names holders (node, then pod); equal holders keep the order they were found in. */
export type HolderOrder = (a: HeldPort, b: HeldPort) => number;

/** Distinct priorities or owners a summary lists before it stops listing them. */
export const MAX_SUMMARY_KINDS = 16;

/** The holders on nodes of one set of traits (or on nodes the view does not know). */
export interface HolderGroup {
  /** A node with these traits, to test a filter on; undefined for nodes the view does not know. */
  readonly sample: NodeInfo | undefined;
  /** Held ports on these nodes. */
  readonly held: number;
  /** Nodes holding the port. */
  readonly nodes: number;
}

/** A held port among the first of its group: its place in the order the view's lookup found it, and which group. */
export interface FirstOfGroup {
  readonly entry: HeldPort;
  readonly at: number;
  readonly group: number;
}

/** Every held port of one key, summarised. */
export interface PortSummary {
  readonly order: HolderOrder;
  /** How many holders each group names first. */
  readonly named: number;
  /** Every held port, in the order the view's lookup (heldAnywhere) returns them. */
  readonly held: readonly HeldPort[];
  readonly groups: readonly HolderGroup[];
  /**
   * The first `named` held ports of every group, all in the summary's order: the first
   * `named` of those whose group a filter accepts are the first on the nodes it accepts.
   */
  readonly first: readonly FirstOfGroup[];
  /** One holder of each distinct priority (its own, or its class's name); undefined past MAX_SUMMARY_KINDS. */
  readonly priorities: readonly Occupant[] | undefined;
  /** One holder of each distinct owner and namespace; undefined past MAX_SUMMARY_KINDS. Holders without an owner are not listed. */
  readonly owners: readonly Occupant[] | undefined;
}

/** On the IPv4 wildcard, the hostIP that collides with every address of its key under the scheduler's rule. */
function onIPv4Wildcard(entry: HeldPort): boolean {
  return entry.held.hostIP === '' || entry.held.hostIP === IPV4_ANY;
}

/** Keeps one occupant per key, up to MAX_SUMMARY_KINDS keys; undefined once there are more. */
class Distinct {
  readonly #seen = new Map<string, Occupant>();
  #over = false;

  add(key: string, occupant: Occupant): void {
    if (this.#over || this.#seen.has(key)) return;
    if (this.#seen.size >= MAX_SUMMARY_KINDS) this.#over = true;
    else this.#seen.set(key, occupant);
  }

  list(): Occupant[] | undefined {
    return this.#over ? undefined : [...this.#seen.values()];
  }
}

function priorityKey(o: Occupant): string {
  // A pod's own priority wins over its class (holderPriority), and no class at all counts as 0.
  return o.priority !== undefined ? `=${o.priority}` : `@${o.priorityClassName ?? ''}`;
}

function ownerKey(o: Occupant): string | undefined {
  const owner = o.owner;
  return owner === undefined ? undefined : JSON.stringify([o.pod.namespace, owner.kind, owner.name, owner.uid]);
}

/** Same priority, class, namespace and owner object: nothing new to list. */
function sameKinds(a: Occupant, b: Occupant): boolean {
  return a.priority === b.priority && a.priorityClassName === b.priorityClassName && a.owner === b.owner && a.pod.namespace === b.pod.namespace;
}

interface GroupBuilder {
  readonly sample: NodeInfo | undefined;
  readonly index: number;
  held: number;
  nodes: number;
  readonly first: FirstOfGroup[];
}

/**
 * The summary of `held`, every held port of one key as the view's lookup returns them:
 * node by node, each node's in the order they were added. Undefined when a held port is
 * not on the IPv4 wildcard or a holder is terminating. `nodeOf` reads a node's traits;
 * its traits object stands for every node sharing it.
 */
export function summariseHeld(held: readonly HeldPort[], nodeOf: (name: string) => NodeInfo | undefined, order: HolderOrder, named: number): PortSummary | undefined {
  const groups = new Map<object | undefined, GroupBuilder>();
  const priorities = new Distinct();
  const owners = new Distinct();
  let lastNode: string | undefined;
  let group: GroupBuilder | undefined;
  // A DaemonSet's holders share one owner object and one priority: key each run of them once.
  let last: Occupant | undefined;
  for (let at = 0; at < held.length; at++) {
    const entry = held[at];
    if (entry === undefined) continue;
    const { occupant } = entry;
    if (!onIPv4Wildcard(entry) || occupant.terminating) return undefined;
    if (group === undefined || occupant.node !== lastNode) {
      lastNode = occupant.node;
      const info = nodeOf(occupant.node);
      const traits = info?.traits;
      group = groups.get(traits);
      if (group === undefined) {
        group = { sample: info, index: groups.size, held: 0, nodes: 0, first: [] };
        groups.set(traits, group);
      }
      group.nodes += 1;
    }
    group.held += 1;
    keepFirst(group.first, { entry, at, group: group.index }, order, named);
    if (last === undefined || !sameKinds(last, occupant)) {
      priorities.add(priorityKey(occupant), occupant);
      const owner = ownerKey(occupant);
      if (owner !== undefined) owners.add(owner, occupant);
    }
    last = occupant;
  }
  const built = [...groups.values()];
  const first = built.flatMap((g) => g.first).sort(rankedOrder(order));
  return {
    order,
    named,
    held,
    groups: built.map(({ sample, held: count, nodes }) => ({ sample, held: count, nodes })),
    first,
    priorities: priorities.list(),
    owners: owners.list(),
  };
}

/** `a` before `b` in `order`, and in the order found when `order` ties them. */
function rankedOrder(order: HolderOrder): (a: FirstOfGroup, b: FirstOfGroup) => number {
  return (a, b) => order(a.entry, b.entry) || a.at - b.at;
}

/** Adds `r` to `first`, the `named` earliest in order seen so far, if it belongs there. */
function keepFirst(first: FirstOfGroup[], r: FirstOfGroup, order: HolderOrder, named: number): void {
  const last = first.at(-1);
  // Found after every kept one, so a tie with the last keeps the last.
  if (first.length >= named && (last === undefined || order(r.entry, last.entry) >= 0)) return;
  first.push(r);
  first.sort(rankedOrder(order));
  if (first.length > named) first.pop();
}
