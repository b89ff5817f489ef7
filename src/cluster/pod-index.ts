import type { NamespaceModes } from '../admission/policy.js';
import { HeldPorts } from '../engine/held-ports.js';
import type { NodeFilter, NodeInfo } from '../engine/node-filter.js';
import type { HolderOrder, PortSummary } from '../engine/port-summary.js';
import type { Sharing } from '../engine/occupancy.js';
import { NO_COPIES, occupantWithPorts, podRef, sameOccupant } from '../engine/occupancy.js';
import { hostPortsOf } from '../engine/host-ports.js';
import type { PriorityClassInfo } from '../engine/priority.js';
import { defaultOf, SYSTEM_PRIORITY_CLASSES } from '../engine/priority.js';
import type { HeldPort, HostPort, Occupant, OwnerRef, PodLike, PodRef, PortTriple } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import type { Relist } from './list-watch.js';
import { addTo, removeFrom } from './multimap.js';
import type { NodeEntry } from './node-table.js';
import { NodeTable } from './node-table.js';

export type { NodeEntry } from './node-table.js';

/** What the index keeps of a Namespace: its name and its MODE_LABEL value, if any. */
export interface NamespaceEntry {
  readonly name: string;
  readonly mode?: string;
}

/** How many objects the index holds, for gauges and logs. */
export interface IndexSize {
  readonly pods: number;
  readonly nodes: number;
  readonly namespaces: number;
  readonly priorityClasses: number;
}

/** The built-in classes by name: an API server always has them, a state file may leave them out. */
const SYSTEM_CLASSES: ReadonlyMap<string, PriorityClassInfo> = new Map(SYSTEM_PRIORITY_CLASSES.map((c) => [c.name, c]));

/** Whether the index shows a pod: reservations use it to know when to let go. */
export interface PodPresence {
  /** True when a pod is indexed under `ref`'s namespace/name and, when `ref` has a uid, it is that incarnation. */
  contains(ref: PodRef): boolean;
}

/** A pod's key within its namespace: its name, with the uid for a generated one (podKey says why). */
function nameKey(ref: Pick<PodRef, 'name'> & Partial<Pick<PodRef, 'uid' | 'generated'>>): string {
  return ref.generated === true ? `${ref.name}*${ref.uid ?? ''}` : ref.name;
}

/**
 * The index key of a pod: namespace/name (names are unique among live pods). A pod that
 * names only a generateName (a manifest checked offline) shares its prefix with others,
 * so its uid is part of its key.
 */
export function podKey(ref: Pick<PodRef, 'namespace' | 'name'> & Partial<Pick<PodRef, 'uid' | 'generated'>>): string {
  return `${ref.namespace}/${nameKey(ref)}`;
}

/**
 * One copy of a value that many indexed pods repeat, counted, so that it goes with the
 * last pod that uses it: owners change with every rollout, and nothing may accumulate.
 */
class Repeated<T> {
  readonly #copies = new Map<string, { readonly value: T; uses: number }>();

  /** The copy kept under `key` (made by `make` the first time), counting one more use. */
  use(key: string, make: () => T): T {
    const copy = this.#copies.get(key);
    if (copy === undefined) {
      const value = make();
      this.#copies.set(key, { value, uses: 1 });
      return value;
    }
    copy.uses += 1;
    return copy.value;
  }

  /** Counts one use of `key` less; the last one forgets it. */
  release(key: string): void {
    const copy = this.#copies.get(key);
    if (copy === undefined) return;
    copy.uses -= 1;
    if (copy.uses === 0) this.#copies.delete(key);
  }

  clear(): void {
    this.#copies.clear();
  }

  /** How many distinct values are kept. */
  size(): number {
    return this.#copies.size;
  }
}

/** The key of an owner among the shared ones: a uid names one object, but a state file may reuse one. */
function ownerKey(owner: OwnerRef): string {
  return `${owner.uid}/${owner.kind}/${owner.name}`;
}

/** The key of a pod's host ports among the shared ones: every field of every port, in order. */
function portsKey(ports: readonly HostPort[]): string {
  return ports.map((p) => `${p.protocol}/${p.hostIP}/${p.port}/${p.container}`).join(',');
}

/**
 * Indexed pods by namespace, then name. The keys are the strings the pods' refs already
 * hold, where one map keyed by namespace/name would keep a new string per pod.
 */
class PodsByName {
  readonly #byNamespace = new Map<string, Map<string, Occupant>>();
  #size = 0;
  /** Pods known only by a generateName prefix (from a state file): their uid is their only identity. */
  #generated = 0;

  get(ref: Pick<PodRef, 'namespace' | 'name'> & Partial<Pick<PodRef, 'uid' | 'generated'>>): Occupant | undefined {
    return this.#byNamespace.get(ref.namespace)?.get(nameKey(ref));
  }

  /** Records `occupant` under its pod's namespace and name, which must be free. */
  add(occupant: Occupant): void {
    const { pod } = occupant;
    let names = this.#byNamespace.get(pod.namespace);
    if (names === undefined) {
      names = new Map();
      this.#byNamespace.set(pod.namespace, names);
    }
    names.set(nameKey(pod), occupant);
    this.#size += 1;
    if (pod.generated === true) this.#generated += 1;
  }

  /** Forgets the pod under `ref`'s namespace and name; returns it. */
  delete(ref: PodRef): Occupant | undefined {
    const names = this.#byNamespace.get(ref.namespace);
    const key = nameKey(ref);
    const occupant = names?.get(key);
    if (names === undefined || occupant === undefined) return undefined;
    names.delete(key);
    if (names.size === 0) this.#byNamespace.delete(ref.namespace);
    this.#size -= 1;
    if (occupant.pod.generated === true) this.#generated -= 1;
    return occupant;
  }

  *values(): Generator<Occupant> {
    for (const names of this.#byNamespace.values()) yield* names.values();
  }

  clear(): void {
    this.#byNamespace.clear();
    this.#size = 0;
    this.#generated = 0;
  }

  /** How many pods are known only by a generateName prefix. */
  get generated(): number {
    return this.#generated;
  }

  get size(): number {
    return this.#size;
  }
}

/**
 * The in-memory picture of the cluster that decisions read: for each pod only its
 * Occupant (what it holds where), the nodes as the scheduler's filters read them
 * (node-table.ts), PriorityClasses, and namespace mode labels.
 *
 * Pods that hold no host port are not stored at all: only the ports matter, and most
 * pods have none. The held ports are keyed by node, protocol, port and address
 * (HeldPorts), which keeps every PortView lookup at O(result), because lookups run on
 * the admission path.
 */
export class PodIndex implements PortView, NamespaceModes, PodPresence {
  readonly #pods = new PodsByName();
  #held = new HeldPorts();
  /** Pods holding host ports, by node: for snapshots, the conflicts kept in step by node, and their listeners. */
  readonly #byNode = new Map<string, Set<Occupant>>();
  readonly #nodes = new NodeTable();
  readonly #priorityClasses = new Map<string, PriorityClassInfo>();
  #defaultClass: PriorityClassInfo | undefined;
  readonly #modes = new Map<string, string>();
  /**
   * The owners, namespaces and host ports of indexed pods, one copy of each: the pods of
   * a DaemonSet on 5,000 nodes share one owner and one array of ports.
   */
  readonly #owners = new Repeated<OwnerRef>();
  readonly #namespaces = new Repeated<string>();
  readonly #ports = new Repeated<readonly HostPort[]>();
  readonly #sharing: Sharing = {
    namespace: (namespace) => this.#namespaces.use(namespace, () => namespace),
    owner: (owner) => this.#owners.use(ownerKey(owner), () => owner),
    // An exact-size copy: the array hostPortsOf grew by push holds room for 16 more.
    ports: (ports) => this.#ports.use(portsKey(ports), () => ports.slice()),
  };
  readonly #seenListeners: ((ref: PodRef) => void)[] = [];
  readonly #nodeListeners: ((node: string) => void)[] = [];

  /**
   * Calls `listener` with every pod an event or a list shows, added, changed or deleted,
   * so a reservation ends the moment the watch has seen its pod: checking only at lookup
   * time would let a pod that came and went in between count again until its TTL.
   */
  onPodSeen(listener: (ref: PodRef) => void): void {
    this.#seenListeners.push(listener);
  }

  /**
   * Calls `listener` with a node each time the pods holding host ports there change (one
   * added, changed or removed; a chunked re-list tells only those; replaceAllPods tells
   * every node that had or has such pods), so the conflicts on a node are looked at again
   * only when something there moved.
   */
  onNodeChanged(listener: (node: string) => void): void {
    this.#nodeListeners.push(listener);
  }

  /**
   * Records a pod's current state; a pod that holds nothing (finished, unbound, no host
   * port) is removed. A pod that holds what its entry already says (a re-list, a status
   * change) keeps that entry: replacing it would tell its node's listeners of a change
   * that is none, and turn every entry of a re-list into long-lived garbage at once.
   */
  upsertPod(pod: PodLike): void {
    this.#upsert(pod);
  }

  /** Forgets a pod. With a uid, only that incarnation is forgotten, never a newer pod of the same name. */
  deletePod(ref: PodRef): void {
    this.#seen(ref);
    const current = this.#pods.get(ref);
    if (current === undefined) return;
    if (ref.uid !== undefined && current.pod.uid !== undefined && ref.uid !== current.pod.uid) return;
    this.#remove(ref);
  }

  /** Replaces every pod at once, after a (re-)list: nothing deleted meanwhile can linger. */
  replaceAllPods(pods: Iterable<PodLike>): void {
    const before = [...this.#byNode.keys()];
    this.#held = new HeldPorts();
    this.#pods.clear();
    this.#owners.clear();
    this.#namespaces.clear();
    this.#ports.clear();
    this.#byNode.clear();
    for (const node of before) this.#nodeChanged(node);
    for (const pod of pods) this.upsertPod(pod);
  }

  /**
   * Starts a re-list of every pod that arrives in chunks (a page at a time): each chunk is
   * recorded as it comes, so the list is never held whole and admission keeps being
   * answered in between, and `finish` forgets every pod the list did not show, so nothing
   * deleted meanwhile lingers. Meanwhile a lookup sees each pod either as it was or as the
   * list shows it, as it would while watch events arrive.
   */
  relistPods(): Relist<PodLike> {
    // Only indexed pods are kept: most pods hold no port and are never indexed.
    const shown = new Set<Occupant>();
    return {
      add: (pods) => {
        for (const pod of pods) {
          const occupant = this.#upsert(pod);
          if (occupant !== undefined) shown.add(occupant);
        }
      },
      restart: () => {
        shown.clear();
      },
      finish: () => {
        for (const occupant of [...this.#pods.values()]) if (!shown.has(occupant)) this.#remove(occupant.pod);
      },
    };
  }

  /** Records a node: its labels, taints and cordon. */
  upsertNode(node: NodeEntry): void {
    this.#nodes.upsert(node);
  }

  /** Forgets a node. Its pods stay until their own deletion arrives (the pod GC removes them). */
  deleteNode(name: string): void {
    this.#nodes.delete(name);
  }

  /** Replaces every node at once, after a (re-)list. */
  replaceAllNodes(nodes: Iterable<NodeEntry>): void {
    this.#nodes.replaceAll(nodes);
  }

  /** Records a PriorityClass. */
  upsertPriorityClass(priorityClass: PriorityClassInfo): void {
    this.#priorityClasses.set(priorityClass.name, priorityClass);
    this.#defaultClass = defaultOf(this.#priorityClasses.values());
  }

  /** Forgets a PriorityClass. */
  deletePriorityClass(name: string): void {
    this.#priorityClasses.delete(name);
    this.#defaultClass = defaultOf(this.#priorityClasses.values());
  }

  /** Replaces every PriorityClass at once, after a (re-)list. */
  replaceAllPriorityClasses(priorityClasses: Iterable<PriorityClassInfo>): void {
    this.#priorityClasses.clear();
    for (const c of priorityClasses) this.#priorityClasses.set(c.name, c);
    this.#defaultClass = defaultOf(this.#priorityClasses.values());
  }

  /** Records a namespace's mode label; a namespace without it is forgotten. */
  upsertNamespace(namespace: NamespaceEntry): void {
    if (namespace.mode === undefined) this.#modes.delete(namespace.name);
    else this.#modes.set(namespace.name, namespace.mode);
  }

  /** Forgets a namespace's mode label. */
  deleteNamespace(name: string): void {
    this.#modes.delete(name);
  }

  /** Replaces every namespace at once, after a (re-)list. */
  replaceAllNamespaces(namespaces: Iterable<NamespaceEntry>): void {
    this.#modes.clear();
    for (const namespace of namespaces) this.upsertNamespace(namespace);
  }

  /** How many pods (holding host ports), nodes, labelled namespaces and PriorityClasses are indexed. */
  size(): IndexSize {
    return { pods: this.#pods.size, nodes: this.#nodes.size(), namespaces: this.#modes.size, priorityClasses: this.#priorityClasses.size };
  }

  /** How many owners, namespaces and lists of ports the indexed pods share (one copy of each is kept). */
  sharedValues(): number {
    return this.#owners.size() + this.#namespaces.size() + this.#ports.size();
  }

  /** The indexed state of a pod, by namespace/name. */
  occupantOf(ref: Pick<PodRef, 'namespace' | 'name'>): Occupant | undefined {
    return this.#pods.get(ref);
  }

  /** Every indexed occupant (a scan: for snapshots and tests, never the admission path). */
  allOccupants(): Occupant[] {
    return [...this.#pods.values()];
  }

  /** True when a pod is indexed under `ref`'s namespace/name and, when `ref` has a uid, it is that incarnation. */
  contains(ref: PodRef): boolean {
    const indexed = this.#pods.get(ref);
    if (ref.uid !== undefined && ref.uid !== '') return indexed?.pod.uid === ref.uid;
    return indexed !== undefined;
  }

  /** The nodes where an indexed pod holds a host port. */
  occupiedNodes(): string[] {
    return [...this.#byNode.keys()];
  }

  /** Indexed pods holding host ports on `node` (for snapshots and tests: decisions use heldOn). */
  occupantsOn(node: string): Occupant[] {
    return [...(this.#byNode.get(node) ?? [])];
  }

  /** Indexed pods holding port number `port`, any protocol or hostIP, on any node. */
  holdersOfPort(port: number): Occupant[] {
    return this.#held.holdersOfPort(port);
  }

  /** Indexed ports on `node` that collide with `port`. */
  heldOn(node: string, port: PortTriple): Iterable<HeldPort> {
    return this.#held.collidingOn(node, port);
  }

  /** Indexed ports on any node that collide with `port`. */
  heldAnywhere(port: PortTriple): Iterable<HeldPort> {
    return this.#held.collidingAnywhere(port);
  }

  /** The summary of the indexed ports of `port`'s key, kept until they or the nodes' traits change. */
  summary(port: PortTriple, order: HolderOrder, named: number): PortSummary | undefined {
    return this.#held.summary(port, this.#nodes.traitsVersion(), (name) => this.#nodes.node(name), order, named);
  }

  /**
   * Whether an indexed pod may be `ref` (samePod): one is indexed under its namespace and
   * name. A uid names one object, whose name never changes, so a named pod with `ref`'s
   * uid is found so too; a pod known only by a generateName prefix is not, so while one
   * is indexed any `ref` with a uid may be it.
   */
  mayHold(ref: PodRef): boolean {
    if (ref.uid !== undefined && ref.uid !== '' && (ref.generated === true || this.#pods.generated > 0)) return true;
    return this.#pods.get(ref) !== undefined;
  }

  /** The node whose `kubernetes.io/hostname` label is `hostname`, when exactly one node carries it. */
  nodeForHostname(hostname: string): string | undefined {
    return this.#nodes.nodeForHostname(hostname);
  }

  /** How many nodes are indexed. */
  nodeCount(): number {
    return this.#nodes.size();
  }

  /** The indexed node named `name`. */
  node(name: string): NodeInfo | undefined {
    return this.#nodes.node(name);
  }

  /** How many indexed nodes `filter` accepts. */
  countNodes(filter: NodeFilter): number {
    return this.#nodes.count(filter);
  }

  /** How many distinct sets of node traits the nodes share (node-table.ts). */
  nodeTraitsCount(): number {
    return this.#nodes.traitsCount();
  }

  /** The PriorityClass named `name`; the built-in system classes are known even before the watch shows them. */
  priorityClass(name: string): PriorityClassInfo | undefined {
    return this.#priorityClasses.get(name) ?? SYSTEM_CLASSES.get(name);
  }

  /** The global default PriorityClass, the lowest when several claim it. */
  defaultPriorityClass(): PriorityClassInfo | undefined {
    return this.#defaultClass;
  }

  /** The MODE_LABEL value of `namespace`, if it carries one. */
  modeLabelOf(namespace: string): string | undefined {
    return this.#modes.get(namespace);
  }

  /** upsertPod; returns the pod's entry, if it holds anything. */
  #upsert(pod: PodLike): Occupant | undefined {
    const ref = podRef(pod);
    const ports = hostPortsOf(pod.spec);
    let occupant = this.#pods.get(ref);
    const now = occupant === undefined ? undefined : occupantWithPorts(pod, ports, NO_COPIES);
    if (occupant === undefined || now === undefined || !sameOccupant(occupant, now)) {
      this.#remove(ref);
      // The owner, namespace and ports it takes from the shared ones count as used until it is removed.
      occupant = occupantWithPorts(pod, ports, this.#sharing);
      if (occupant !== undefined) this.#add(occupant);
    }
    this.#seen(ref);
    return occupant;
  }

  #add(occupant: Occupant): void {
    this.#pods.add(occupant);
    addTo(this.#byNode, occupant.node, occupant);
    this.#held.add(occupant);
    this.#nodeChanged(occupant.node);
  }

  #nodeChanged(node: string): void {
    for (const listener of this.#nodeListeners) listener(node);
  }

  #seen(ref: PodRef): void {
    for (const listener of this.#seenListeners) listener(ref);
  }

  /** Forgets the pod indexed under `ref`'s namespace and name, whatever its uid. */
  #remove(ref: PodRef): void {
    const occupant = this.#pods.delete(ref);
    if (occupant === undefined) return;
    removeFrom(this.#byNode, occupant.node, occupant);
    this.#held.remove(occupant);
    if (occupant.owner !== undefined) this.#owners.release(ownerKey(occupant.owner));
    this.#namespaces.release(occupant.pod.namespace);
    this.#ports.release(portsKey(occupant.ports));
    this.#nodeChanged(occupant.node);
  }
}
