import type { NodeFilter, NodeInfo, NodeTraits } from '../engine/node-filter.js';
import { HOSTNAME_LABEL } from '../engine/target-node.js';
import type { Taint } from '../engine/types.js';

/** What the index is told of a Node: its name, labels, taints and whether it is cordoned. */
export interface NodeEntry {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  readonly unschedulable?: boolean;
}

/** Nodes sharing one set of traits: one copy of the traits, how many nodes, and a node to test filters on. */
interface TraitsGroup {
  readonly key: string;
  readonly traits: NodeTraits;
  /** Stands for every node of the group when a filter does not read names. */
  readonly sample: NodeInfo;
  count: number;
}

/** The key under which equal traits are shared: labels sorted by key, taints in a fixed order. */
function traitsKey(labels: readonly (readonly [string, string])[], taints: readonly Taint[], unschedulable: boolean): string {
  const sortedTaints = taints.map((t) => JSON.stringify([t.key, t.value ?? '', t.effect])).sort();
  return JSON.stringify([labels, sortedTaints, unschedulable]);
}

/**
 * The nodes of the cluster as the scheduler's filters read them, kept compactly: a node
 * is its name, its hostname label, and a reference to traits (every other label, taints,
 * the cordon) that all nodes alike share, since nodes of one pool differ only in their
 * names. Counting the nodes a filter accepts then costs one test per set of traits,
 * unless the filter reads names.
 */
export class NodeTable {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #groups = new Map<string, TraitsGroup>();
  readonly #groupOf = new Map<NodeTraits, TraitsGroup>();
  /**
   * The node carrying each hostname label: its name, or the names of all of them when
   * several do (rare, and then no node is pinned by it). A set per node would cost more
   * than the rest of the node's entry.
   */
  readonly #nodesByHostname = new Map<string, string | Set<string>>();
  /**
   * Counts changes to what filters read of the nodes: a node added, removed, or given other
   * traits. Summaries of held ports (port-summary.ts) group holders by their node's traits
   * and hold only while this stays the same. A node's status update, which leaves the
   * traits as they were, does not count.
   */
  #traitsVersion = 0;

  /** Changes whenever a node is added, removed or gets other traits. */
  traitsVersion(): number {
    return this.#traitsVersion;
  }

  /** Records a node, or its new state. */
  upsert(entry: NodeEntry): void {
    const name = entry.name;
    const before = this.#nodes.get(name);
    const beforeKey = before === undefined ? undefined : this.#groupOf.get(before.traits)?.key;
    this.#forget(name);
    const all = entry.labels ?? {};
    const hostnameLabel = all[HOSTNAME_LABEL];
    // Usually the node's own name: then one string serves both.
    const hostname = hostnameLabel === name ? name : hostnameLabel;
    const labels = Object.entries(all)
      .filter(([key]) => key !== HOSTNAME_LABEL)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const taints = entry.taints ?? [];
    const unschedulable = entry.unschedulable === true;
    const key = traitsKey(labels, taints, unschedulable);
    if (key !== beforeKey) this.#traitsVersion += 1;
    let group = this.#groups.get(key);
    if (group === undefined) {
      const traits: NodeTraits = { labels: Object.fromEntries(labels), taints: taints.map((t) => ({ ...t })), unschedulable };
      group = { key, traits, sample: { name: '', traits }, count: 0 };
      this.#groups.set(key, group);
      this.#groupOf.set(traits, group);
    }
    group.count += 1;
    this.#nodes.set(name, hostname === undefined ? { name, traits: group.traits } : { name, hostname, traits: group.traits });
    if (hostname !== undefined) this.#claimHostname(hostname, name);
  }

  /** Forgets a node. */
  delete(name: string): void {
    if (this.#forget(name)) this.#traitsVersion += 1;
  }

  /** Forgets a node; true when it was known. */
  #forget(name: string): boolean {
    const node = this.#nodes.get(name);
    if (node === undefined) return false;
    this.#nodes.delete(name);
    if (node.hostname !== undefined) this.#releaseHostname(node.hostname, name);
    const group = this.#groupOf.get(node.traits);
    if (group === undefined) return true;
    group.count -= 1;
    if (group.count === 0) {
      this.#groups.delete(group.key);
      this.#groupOf.delete(group.traits);
    }
    return true;
  }

  #claimHostname(hostname: string, name: string): void {
    const held = this.#nodesByHostname.get(hostname);
    if (held === undefined) this.#nodesByHostname.set(hostname, name);
    else if (typeof held === 'string') this.#nodesByHostname.set(hostname, new Set([held, name]));
    else held.add(name);
  }

  #releaseHostname(hostname: string, name: string): void {
    const held = this.#nodesByHostname.get(hostname);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === name) this.#nodesByHostname.delete(hostname);
      return;
    }
    held.delete(name);
    const [only] = held;
    if (held.size === 1 && only !== undefined) this.#nodesByHostname.set(hostname, only);
  }

  /** Replaces every node at once. */
  replaceAll(entries: Iterable<NodeEntry>): void {
    this.#traitsVersion += 1;
    this.#nodes.clear();
    this.#groups.clear();
    this.#groupOf.clear();
    this.#nodesByHostname.clear();
    for (const entry of entries) this.upsert(entry);
  }

  /** The node named `name`. */
  node(name: string): NodeInfo | undefined {
    return this.#nodes.get(name);
  }

  /**
   * The node whose `kubernetes.io/hostname` label is `hostname`. Only an exact label
   * match counts, and only when one node carries it: a nodeSelector matching two nodes
   * leaves the choice to the scheduler, so the pod is not pinned.
   */
  nodeForHostname(hostname: string): string | undefined {
    const held = this.#nodesByHostname.get(hostname);
    return typeof held === 'string' ? held : undefined;
  }

  /** How many nodes `filter` accepts: one test per set of traits, or per node when the filter reads names. */
  count(filter: NodeFilter): number {
    let n = 0;
    if (filter.readsIdentity) {
      for (const node of this.#nodes.values()) if (filter.accepts(node)) n += 1;
      return n;
    }
    for (const group of this.#groups.values()) if (filter.accepts(group.sample)) n += group.count;
    return n;
  }

  /** How many nodes are known. */
  size(): number {
    return this.#nodes.size;
  }

  /** How many distinct sets of traits the nodes share, for the memory benchmark. */
  traitsCount(): number {
    return this.#groups.size;
  }
}
