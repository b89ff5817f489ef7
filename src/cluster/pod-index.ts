import type { NamespaceModes } from '../admission/policy.js';
import { occupantOf, podRef } from '../engine/occupancy.js';
import type { Occupant, PodLike, PodRef } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import { addTo, removeFrom } from './multimap.js';

/** What the index keeps of a Node: its name and its `kubernetes.io/hostname` label. */
export interface NodeEntry {
  readonly name: string;
  readonly hostname?: string;
}

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
}

/** Whether the index shows a pod: reservations use it to know when to let go. */
export interface PodPresence {
  /** True when the pod is indexed: by uid when `ref` has one, else by namespace/name. */
  contains(ref: PodRef): boolean;
}

/** The index key of a pod: namespace/name (names are unique among live pods). */
export function podKey(ref: Pick<PodRef, 'namespace' | 'name'>): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The distinct port numbers an occupant holds (TCP and UDP 53 are one entry in byPort). */
function portNumbers(occupant: Occupant): Set<number> {
  return new Set(occupant.ports.map((p) => p.port));
}

/**
 * The in-memory picture of the cluster that decisions read: for each pod only its
 * Occupant (what it holds where), plus node hostnames and namespace mode labels.
 *
 * Pods that hold no host port are not stored at all: only the ports matter, and most
 * pods have none. Secondary maps by node and by port number keep every PortView lookup
 * at O(result), because lookups run on the admission path.
 */
export class PodIndex implements PortView, NamespaceModes, PodPresence {
  readonly #pods = new Map<string, Occupant>();
  readonly #keyByUid = new Map<string, string>();
  readonly #byNode = new Map<string, Set<Occupant>>();
  readonly #byPort = new Map<number, Set<Occupant>>();
  readonly #hostnameOf = new Map<string, string | undefined>();
  readonly #nodesByHostname = new Map<string, Set<string>>();
  readonly #modes = new Map<string, string>();
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
   * added, changed or removed; every node of a re-list), so the conflicts on a node are
   * looked at again only when something there moved.
   */
  onNodeChanged(listener: (node: string) => void): void {
    this.#nodeListeners.push(listener);
  }

  /** Records a pod's current state; a pod that holds nothing (finished, unbound, no host port) is removed. */
  upsertPod(pod: PodLike): void {
    const ref = podRef(pod);
    this.#removeKey(podKey(ref));
    const occupant = occupantOf(pod);
    if (occupant !== undefined) this.#add(occupant);
    this.#seen(ref);
  }

  /** Forgets a pod. With a uid, only that incarnation is forgotten, never a newer pod of the same name. */
  deletePod(ref: PodRef): void {
    this.#seen(ref);
    const key = podKey(ref);
    const current = this.#pods.get(key);
    if (current === undefined) return;
    if (ref.uid !== undefined && current.pod.uid !== undefined && ref.uid !== current.pod.uid) return;
    this.#removeKey(key);
  }

  /** Replaces every pod at once, after a (re-)list: nothing deleted meanwhile can linger. */
  replaceAllPods(pods: Iterable<PodLike>): void {
    const before = [...this.#byNode.keys()];
    this.#pods.clear();
    this.#keyByUid.clear();
    this.#byNode.clear();
    this.#byPort.clear();
    for (const node of before) this.#nodeChanged(node);
    for (const pod of pods) this.upsertPod(pod);
  }

  /** Records a node and its hostname label. */
  upsertNode(node: NodeEntry): void {
    this.deleteNode(node.name);
    this.#hostnameOf.set(node.name, node.hostname);
    if (node.hostname !== undefined) addTo(this.#nodesByHostname, node.hostname, node.name);
  }

  /** Forgets a node. Its pods stay until their own deletion arrives (the pod GC removes them). */
  deleteNode(name: string): void {
    if (!this.#hostnameOf.has(name)) return;
    const hostname = this.#hostnameOf.get(name);
    if (hostname !== undefined) removeFrom(this.#nodesByHostname, hostname, name);
    this.#hostnameOf.delete(name);
  }

  /** Replaces every node at once, after a (re-)list. */
  replaceAllNodes(nodes: Iterable<NodeEntry>): void {
    this.#hostnameOf.clear();
    this.#nodesByHostname.clear();
    for (const node of nodes) this.upsertNode(node);
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

  /** How many pods (holding host ports), nodes and labelled namespaces are indexed. */
  size(): IndexSize {
    return { pods: this.#pods.size, nodes: this.#hostnameOf.size, namespaces: this.#modes.size };
  }

  /** The indexed state of a pod, by namespace/name. */
  occupantOf(ref: Pick<PodRef, 'namespace' | 'name'>): Occupant | undefined {
    return this.#pods.get(podKey(ref));
  }

  /** Every indexed occupant (a scan: for snapshots and tests, never the admission path). */
  allOccupants(): Occupant[] {
    return [...this.#pods.values()];
  }

  /** True when the pod is indexed: by uid when `ref` has one, else by namespace/name. */
  contains(ref: PodRef): boolean {
    if (ref.uid !== undefined && ref.uid !== '') return this.#keyByUid.has(ref.uid);
    return this.#pods.has(podKey(ref));
  }

  /** The nodes where an indexed pod holds a host port. */
  occupiedNodes(): string[] {
    return [...this.#byNode.keys()];
  }

  /** Indexed pods holding host ports on `node`. */
  occupantsOn(node: string): Occupant[] {
    return [...(this.#byNode.get(node) ?? [])];
  }

  /** Indexed pods holding port number `port`, any protocol or hostIP, on any node. */
  holdersOfPort(port: number): Occupant[] {
    return [...(this.#byPort.get(port) ?? [])];
  }

  /**
   * The node whose `kubernetes.io/hostname` label is `hostname`. Only an exact label
   * match counts, and only when one node carries it: a nodeSelector matching two nodes
   * leaves the choice to the scheduler, so the pod is not pinned.
   */
  nodeForHostname(hostname: string): string | undefined {
    const nodes = this.#nodesByHostname.get(hostname);
    if (nodes?.size !== 1) return undefined;
    const [node] = nodes;
    return node;
  }

  /** How many nodes are indexed. */
  nodeCount(): number {
    return this.#hostnameOf.size;
  }

  /** The MODE_LABEL value of `namespace`, if it carries one. */
  modeLabelOf(namespace: string): string | undefined {
    return this.#modes.get(namespace);
  }

  #add(occupant: Occupant): void {
    const key = podKey(occupant.pod);
    this.#pods.set(key, occupant);
    if (occupant.pod.uid !== undefined && occupant.pod.uid !== '') this.#keyByUid.set(occupant.pod.uid, key);
    addTo(this.#byNode, occupant.node, occupant);
    for (const port of portNumbers(occupant)) addTo(this.#byPort, port, occupant);
    this.#nodeChanged(occupant.node);
  }

  #nodeChanged(node: string): void {
    for (const listener of this.#nodeListeners) listener(node);
  }

  #seen(ref: PodRef): void {
    for (const listener of this.#seenListeners) listener(ref);
  }

  #removeKey(key: string): void {
    const occupant = this.#pods.get(key);
    if (occupant === undefined) return;
    this.#pods.delete(key);
    const uid = occupant.pod.uid;
    if (uid !== undefined && this.#keyByUid.get(uid) === key) this.#keyByUid.delete(uid);
    removeFrom(this.#byNode, occupant.node, occupant);
    for (const port of portNumbers(occupant)) removeFrom(this.#byPort, port, occupant);
    this.#nodeChanged(occupant.node);
  }
}
