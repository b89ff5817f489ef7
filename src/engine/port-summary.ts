/**
 * What every held port of one protocol and port number amounts to across the cluster, so
 * that a pod the scheduler places, asking for a port a DaemonSet holds on every node, is
 * decided without visiting each holder: "taken on 3,750 of 3,750 candidate nodes: a, b,
 * c, and 3,747 more" costs one step per set of node traits, not one per node.
 *
 * A node is counted as taken (a live pod holds the port there) or being freed (only
 * terminating pods do), as the warnings tell them apart. A summary is made only when
 * every held port is on the IPv4 wildcard, so that it collides with any hostIP of the
 * key, by the scheduler's own rule; otherwise there is none, and a decision meets every
 * holder (decide.ts keeps that search, and a property test holds the two to the same
 * decisions). A view keeps a summary until a held port of its key comes or goes, or the
 * nodes' traits change.
 */
import { IPV4_ANY } from './ip.js';
import type { NodeInfo } from './node-filter.js';
import type { HeldPort, Occupant } from './types.js';

/** The order in which a warning names holders (node, then pod); equal holders keep the order they were found in. */
export type HolderOrder = (a: HeldPort, b: HeldPort) => number;

/** Distinct priorities or owners a summary lists before it stops listing them. */
export const MAX_SUMMARY_KINDS = 16;

/** Held ports on some nodes, and how many nodes. */
export interface Holding {
  readonly nodes: number;
  readonly held: number;
}

/** The holders on nodes of one set of traits (or on nodes the view does not know). */
export interface HolderGroup {
  /** A node with these traits, to test a filter on; undefined for nodes the view does not know. */
  readonly sample: NodeInfo | undefined;
  /** Held ports on these nodes, of live pods or not: each is a conflict. */
  readonly held: number;
  /** Nodes where a live pod holds the port, and the live pods' held ports there. */
  readonly live: Holding;
  /** Nodes where only terminating pods hold the port (it is being freed), and their held ports. */
  readonly freeing: Holding;
}

/** A held port among the first of its group: its place in the order the view's lookup found it, and which group. */
export interface FirstOfGroup {
  readonly entry: HeldPort;
  readonly at: number;
  readonly group: number;
}

/** Every held port of one key, summarised. */
export interface PortSummary {
  /** Every held port, in the order the view's lookup (heldAnywhere) returns them. */
  readonly held: readonly HeldPort[];
  readonly groups: readonly HolderGroup[];
  /**
   * The first `named` (as summariseHeld was asked) held ports of live pods of every group,
   * all in the summary's order: the first `named` of those whose group a filter accepts are
   * the first on the nodes it accepts. Terminating pods on nodes where a live one holds the port are not named.
   */
  readonly firstLive: readonly FirstOfGroup[];
  /** The same of the terminating pods on nodes where no live pod holds the port. */
  readonly firstFreeing: readonly FirstOfGroup[];
  /** One holder of each distinct priority (its own, or its class's name); undefined past MAX_SUMMARY_KINDS. */
  readonly priorities: readonly HolderKind[] | undefined;
  /** One holder of each distinct owner and namespace; undefined past MAX_SUMMARY_KINDS. Holders without an owner are not listed. */
  readonly owners: readonly HolderKind[] | undefined;
}

/** One holder of a kind (a priority, an owner), and how many held ports holders of that kind have. */
export interface HolderKind {
  readonly occupant: Occupant;
  readonly held: number;
}

/** On the IPv4 wildcard, the hostIP that collides with every address of its key under the scheduler's rule. */
function onIPv4Wildcard(entry: HeldPort): boolean {
  return entry.held.hostIP === '' || entry.held.hostIP === IPV4_ANY;
}

/** Keeps one occupant per key, up to MAX_SUMMARY_KINDS keys; undefined once there are more. */
class Distinct {
  readonly #seen = new Map<string, { readonly occupant: Occupant; held: number }>();
  #over = false;

  /** Counts a held port of `occupant`, of kind `key`. */
  add(key: string, occupant: Occupant): void {
    if (this.#over) return;
    const seen = this.#seen.get(key);
    if (seen !== undefined) seen.held += 1;
    else if (this.#seen.size >= MAX_SUMMARY_KINDS) this.#over = true;
    else this.#seen.set(key, { occupant, held: 1 });
  }

  list(): HolderKind[] | undefined {
    return this.#over ? undefined : [...this.#seen.values()].map(({ occupant, held }) => ({ occupant, held }));
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

/** Same priority, class, namespace and owner object: the same kinds as the holder before. */
function sameKinds(a: Occupant, b: Occupant): boolean {
  return a.priority === b.priority && a.priorityClassName === b.priorityClassName && a.owner === b.owner && a.pod.namespace === b.pod.namespace;
}

interface GroupBuilder {
  readonly sample: NodeInfo | undefined;
  readonly index: number;
  held: number;
  readonly live: { nodes: number; held: number };
  readonly freeing: { nodes: number; held: number };
  readonly firstLive: FirstOfGroup[];
  readonly firstFreeing: FirstOfGroup[];
}

/**
 * The summary of `held`, every held port of one key as the view's lookup returns them:
 * node by node, each node's in the order they were added. Undefined when a held port is
 * not on the IPv4 wildcard. `nodeOf` reads a node's traits; its traits object stands for
 * every node sharing it.
 */
export function summariseHeld(held: readonly HeldPort[], nodeOf: (name: string) => NodeInfo | undefined, order: HolderOrder, named: number): PortSummary | undefined {
  const ranked = rankedOrder(order);
  const groups = new Map<object | undefined, GroupBuilder>();
  const priorities = new Distinct();
  const owners = new Distinct();
  // A DaemonSet's holders share one owner object and one priority: key each run of them once.
  let last: Occupant | undefined;
  let priorityOfLast = '';
  let ownerOfLast: string | undefined;
  // The held ports of one node: whether it is taken or being freed is known once all are seen.
  let onNode: FirstOfGroup[] = [];
  let group: GroupBuilder | undefined;
  const endNode = (): void => {
    if (group === undefined || onNode.length === 0) return;
    group.held += onNode.length;
    const live = onNode.filter((r) => !r.entry.occupant.terminating);
    // Where a live pod holds the port, the terminating ones there are not what the node is.
    const [tally, first, counted] = live.length > 0 ? [group.live, group.firstLive, live] : [group.freeing, group.firstFreeing, onNode];
    tally.nodes += 1;
    tally.held += counted.length;
    for (const r of counted) keepFirst(first, r, ranked, named);
    onNode = [];
  };
  for (let at = 0; at < held.length; at++) {
    const entry = held[at];
    if (entry === undefined) continue;
    const { occupant } = entry;
    if (!onIPv4Wildcard(entry)) return undefined;
    if (group === undefined || occupant.node !== onNode[0]?.entry.occupant.node) {
      endNode();
      const info = nodeOf(occupant.node);
      const traits = info?.traits;
      group = groups.get(traits);
      if (group === undefined) {
        group = { sample: info, index: groups.size, held: 0, live: { nodes: 0, held: 0 }, freeing: { nodes: 0, held: 0 }, firstLive: [], firstFreeing: [] };
        groups.set(traits, group);
      }
    }
    onNode.push({ entry, at, group: group.index });
    if (last === undefined || !sameKinds(last, occupant)) {
      priorityOfLast = priorityKey(occupant);
      ownerOfLast = ownerKey(occupant);
    }
    priorities.add(priorityOfLast, occupant);
    if (ownerOfLast !== undefined) owners.add(ownerOfLast, occupant);
    last = occupant;
  }
  endNode();
  const built = [...groups.values()];
  const merged = (pick: (g: GroupBuilder) => FirstOfGroup[]): FirstOfGroup[] => built.flatMap(pick).sort(ranked);
  return {
    held,
    groups: built.map((g) => ({ sample: g.sample, held: g.held, live: { ...g.live }, freeing: { ...g.freeing } })),
    firstLive: merged((g) => g.firstLive),
    firstFreeing: merged((g) => g.firstFreeing),
    priorities: priorities.list(),
    owners: owners.list(),
  };
}

/** `a` before `b` in `order`, and in the order found when `order` ties them. */
function rankedOrder(order: HolderOrder): (a: FirstOfGroup, b: FirstOfGroup) => number {
  return (a, b) => order(a.entry, b.entry) || a.at - b.at;
}

/**
 * Adds `item` to `first`, the `named` earliest in `order` of the items offered so far, if
 * it belongs there. Items are offered in the order they were found and the sort is
 * stable, so of items `order` ties, the one found first stays ahead.
 */
export function keepFirst<T>(first: T[], item: T, order: (a: T, b: T) => number, named: number): void {
  const last = first.at(-1);
  if (first.length >= named && (last === undefined || order(item, last) >= 0)) return;
  first.push(item);
  first.sort(order);
  if (first.length > named) first.pop();
}
