/**
 * The ports held on nodes, keyed so that a lookup visits only the held ports that collide
 * with the port asked about. A decision then costs (incoming ports x colliding held
 * ports), never (incoming ports x every port held on the node): a pod holding thousands
 * of ports on 80/TCP, each on its own address, is compared with one held port per
 * incoming port, not with all of them.
 *
 * Keys are the node, the protocol and the port number (as the scheduler keys
 * HostPortInfo); inside a key the held ports are grouped by what their hostIP can collide
 * with (see collision() in conflicts.ts, which stays the one statement of the rule).
 * Nearly every key of a node has one holder (two would collide), so a lone held port is
 * stored as itself, and a bucket with groups is made only when a second one arrives.
 */
import { protocolOf } from './host-ports.js';
import { canonicalIP, IPV4_ANY } from './ip.js';
import type { NodeInfo } from './node-filter.js';
import type { HolderOrder, PortSummary } from './port-summary.js';
import { summariseHeld } from './port-summary.js';
import type { HeldPort, HostPort, Occupant, PortTriple } from './types.js';

/** An entry with its insertion number, so lookups answer in the order ports were added. */
interface Entry extends HeldPort {
  readonly seq: number;
}

/** How a hostIP collides: a wildcard of some kind, or one address. */
type AddressClass =
  /** `0.0.0.0` (or empty) and `::` in any spelling: collide with every address of the key. */
  | { readonly kind: 'any' }
  /** `::ffff:0.0.0.0` and other spellings of the IPv4 wildcard: collide with every IPv4 address. */
  | { readonly kind: 'any4-mapped' }
  /** One address (or text that is no address): collides with itself and the wildcards. */
  | { readonly kind: 'address'; readonly text: string };

const ANY: AddressClass = { kind: 'any' };
const ANY4_MAPPED: AddressClass = { kind: 'any4-mapped' };

function classOf(hostIP: string): AddressClass {
  if (hostIP === '' || hostIP === IPV4_ANY) return ANY;
  const canon = canonicalIP(hostIP);
  if (canon.wildcard) return canon.family === 6 ? ANY : ANY4_MAPPED;
  return { kind: 'address', text: canon.text };
}

/** The entries of sets that are each in insertion order, merged by insertion order. */
function merged(groups: readonly (ReadonlySet<Entry> | undefined)[]): Iterable<Entry> {
  const present = groups.filter((g): g is ReadonlySet<Entry> => g !== undefined && g.size > 0);
  if (present.length === 0) return [];
  // Most lookups meet one group (one address, or only wildcards): no merging needed.
  if (present.length === 1) return present[0] ?? [];
  return mergedGroups(present);
}

function* mergedGroups(groups: readonly ReadonlySet<Entry>[]): Generator<Entry> {
  const iterators = groups.map((g) => g.values());
  const heads = iterators.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head === undefined || head.done === true) continue;
      const bestHead = heads[best];
      if (best < 0 || (bestHead !== undefined && bestHead.done !== true && head.value.seq < bestHead.value.seq)) best = i;
    }
    const chosen = heads[best];
    const iterator = iterators[best];
    if (chosen === undefined || chosen.done === true || iterator === undefined) return;
    yield chosen.value;
    heads[best] = iterator.next();
  }
}

/** The held ports of one key on one node, once there are two or more. */
class PortBucket {
  readonly all = new Set<Entry>();
  /** Wildcards of every kind; made with the first one. */
  #wild: Set<Entry> | undefined;
  /** Specific addresses by canonical text; made with the first one. */
  #byAddress: Map<string, Set<Entry>> | undefined;
  /** The entries of each held port (one, unless two occupants share a port object), for removals in O(1). */
  readonly #byHeld = new Map<HostPort, Entry[]>();

  add(entry: Entry): void {
    this.all.add(entry);
    const same = this.#byHeld.get(entry.held);
    if (same === undefined) this.#byHeld.set(entry.held, [entry]);
    else same.push(entry);
    const cls = classOf(entry.held.hostIP);
    if (cls.kind === 'address') {
      this.#byAddress ??= new Map();
      const group = this.#byAddress.get(cls.text);
      if (group === undefined) this.#byAddress.set(cls.text, new Set([entry]));
      else group.add(entry);
    } else {
      this.#wild ??= new Set();
      this.#wild.add(entry);
    }
  }

  remove(entry: Entry): void {
    this.all.delete(entry);
    const rest = (this.#byHeld.get(entry.held) ?? []).filter((e) => e !== entry);
    if (rest.length > 0) this.#byHeld.set(entry.held, rest);
    else this.#byHeld.delete(entry.held);
    const cls = classOf(entry.held.hostIP);
    if (cls.kind !== 'address') {
      this.#wild?.delete(entry);
      return;
    }
    const group = this.#byAddress?.get(cls.text);
    group?.delete(entry);
    if (group?.size === 0) this.#byAddress?.delete(cls.text);
  }

  /** The entry of `occupant` for its held port `held`, if the bucket has it. */
  entryOf(occupant: Occupant, held: HostPort): Entry | undefined {
    return this.#byHeld.get(held)?.find((e) => e.occupant === occupant);
  }

  /**
   * The entries whose hostIP can collide with an address of class `cls`, in insertion
   * order: every entry for a wildcard (the IPv4 one in a mapped spelling leaves collision()
   * to drop IPv6 addresses), else the wildcards and the same address.
   */
  candidates(cls: AddressClass): Iterable<Entry> {
    if (cls.kind !== 'address') return this.all;
    return merged([this.#wild, this.#byAddress?.get(cls.text)]);
  }
}

/** What a node holds under one key: a lone held port, or a bucket of them. */
type Slot = Entry | PortBucket;

function candidatesIn(slot: Slot, cls: AddressClass): Iterable<Entry> {
  // A lone held port is returned as it is: collision() decides, at the cost of one call.
  return slot instanceof PortBucket ? slot.candidates(cls) : [slot];
}

/** The key of a protocol and port number. */
function portKey(port: PortTriple): string {
  return `${protocolOf(port)}/${port.port}`;
}

/** A summary kept for one key, with what it was made for; `summary` undefined when the key could not be summarised. */
interface KeptSummary {
  readonly stamp: number;
  readonly order: HolderOrder;
  readonly named: number;
  readonly summary: PortSummary | undefined;
}

/**
 * The ports held by a set of occupants, for lookups that cost O(result). Pure data: the
 * cluster index and the reservations each keep one.
 */
export class HeldPorts {
  #seq = 0;
  /**
   * The slots by key, then node (in the order each node first held the key): one map
   * serves lookups on one node and on every node. Nothing is kept per occupant: removing
   * one finds its entries from its own ports.
   */
  readonly #byKey = new Map<string, Map<string, Slot>>();
  /** Protocols seen per port number, so holdersOfPort need not guess them. */
  readonly #protocols = new Map<number, Map<string, number>>();
  /** Summaries by key (summary()), each dropped when a held port of its key comes or goes. */
  readonly #summaries = new Map<string, KeptSummary>();

  /** Adds every port of `occupant` (which must not be added twice). */
  add(occupant: Occupant): void {
    for (const held of occupant.ports) {
      const entry: Entry = { occupant, held, seq: this.#seq++ };
      const key = portKey(held);
      if (this.#summaries.size > 0) this.#summaries.delete(key);
      let nodes = this.#byKey.get(key);
      if (nodes === undefined) {
        nodes = new Map();
        this.#byKey.set(key, nodes);
      }
      const slot = nodes.get(occupant.node);
      if (slot instanceof PortBucket) {
        slot.add(entry);
      } else if (slot === undefined) {
        nodes.set(occupant.node, entry);
      } else {
        const bucket = new PortBucket();
        bucket.add(slot);
        bucket.add(entry);
        nodes.set(occupant.node, bucket);
      }
      this.#countProtocol(held, 1);
    }
  }

  /** Removes every port of `occupant`, if it was added. */
  remove(occupant: Occupant): void {
    for (const held of occupant.ports) {
      const key = portKey(held);
      const nodes = this.#byKey.get(key);
      const slot = nodes?.get(occupant.node);
      if (nodes === undefined || slot === undefined) continue;
      if (this.#summaries.size > 0) this.#summaries.delete(key);
      if (slot instanceof PortBucket) {
        const entry = slot.entryOf(occupant, held);
        if (entry === undefined) continue;
        slot.remove(entry);
        this.#countProtocol(held, -1);
        if (slot.all.size > 0) continue;
      } else if (slot.occupant === occupant && slot.held === held) {
        this.#countProtocol(held, -1);
      } else {
        continue;
      }
      nodes.delete(occupant.node);
      if (nodes.size === 0) this.#byKey.delete(key);
    }
  }

  /** Held ports on `node` that collide with `port` (same protocol and number, overlapping hostIP), in the order they were added. */
  collidingOn(node: string, port: PortTriple): Iterable<HeldPort> {
    const slot = this.#byKey.get(portKey(port))?.get(node);
    return slot === undefined ? [] : candidatesIn(slot, classOf(port.hostIP));
  }

  /** Held ports on any node that collide with `port`: node by node, in the order each node first held the key. */
  collidingAnywhere(port: PortTriple): HeldPort[] {
    const nodes = this.#byKey.get(portKey(port));
    if (nodes === undefined) return [];
    const cls = classOf(port.hostIP);
    const found: HeldPort[] = [];
    // A plain loop: this runs once per node holding the port, thousands of times for a DaemonSet's.
    for (const slot of nodes.values()) {
      if (slot instanceof PortBucket) for (const entry of slot.candidates(cls)) found.push(entry);
      else found.push(slot);
    }
    return found;
  }

  /**
   * The summary (port-summary.ts) of every held port of `port`'s protocol and number. It
   * is kept until a held port of that key comes or goes, or `stamp` (what `nodeOf` reads:
   * the nodes' traits) changes; asking with another `order` or `named` makes a new one.
   */
  summary(port: PortTriple, stamp: number, nodeOf: (name: string) => NodeInfo | undefined, order: HolderOrder, named: number): PortSummary | undefined {
    const key = portKey(port);
    const kept = this.#summaries.get(key);
    if (kept !== undefined && kept.stamp === stamp && kept.order === order && kept.named === named) return kept.summary;
    // Every held port of the key: the IPv4 wildcard meets them all.
    const held = this.collidingAnywhere({ protocol: protocolOf(port), hostIP: IPV4_ANY, port: port.port });
    // A key nobody holds is not kept: its lookup is as cheap, and the keys asked about are not bounded.
    if (held.length === 0) return undefined;
    const summary = summariseHeld(held, nodeOf, order, named);
    this.#summaries.set(key, { stamp, order, named, summary });
    return summary;
  }

  /** The occupants holding port number `port` in any protocol, on any node, each once. */
  holdersOfPort(port: number): Occupant[] {
    const found = new Set<Occupant>();
    for (const protocol of this.#protocols.get(port)?.keys() ?? []) {
      for (const entry of this.collidingAnywhere({ protocol, hostIP: IPV4_ANY, port })) found.add(entry.occupant);
    }
    return [...found];
  }

  #countProtocol(held: PortTriple, delta: number): void {
    const protocol = protocolOf(held);
    const protocols = this.#protocols.get(held.port) ?? new Map<string, number>();
    const count = (protocols.get(protocol) ?? 0) + delta;
    if (count > 0) protocols.set(protocol, count);
    else protocols.delete(protocol);
    if (protocols.size > 0) this.#protocols.set(held.port, protocols);
    else this.#protocols.delete(held.port);
  }
}
