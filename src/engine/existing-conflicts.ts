/**
 * Conflicts that already exist: host ports contested by pods bound to one node. The
 * admission path asks "does this new pod collide?"; the scan and the server's audit ask
 * "which ports of this node are held by pods that collide with each other?", with the
 * same collision rule.
 *
 * A conflict is one (node, protocol, port number) and the pods whose ports there collide
 * with another pod's or a node daemon's reserved port, not a pair of pods: two pods make one conflict, and so do the
 * hundred pods of a Deployment pinned to one node on one port, which as pairs would be
 * 4,950. So the work and the memory grow with the pods, never with their pairs, and so
 * does everything built on conflicts (gauges, Events, the scan's report).
 */
import type { CollisionRule } from './conflicts.js';
import { collision, schedulerAgrees } from './conflicts.js';
import { DEFAULT_PROTOCOL } from './host-ports.js';
import { canonicalIP, IPV4_ANY } from './ip.js';
import type { HostPort, Occupant, PodRef, ReservedPort } from './types.js';

/** Pods named as the others a pod collides with, before the rest are counted as "more". */
export const MAX_NAMED_OTHERS = 3;

/** Another pod a contester's port collides with. */
export interface Collider {
  readonly pod: PodRef;
  /** Its port that collides. */
  readonly port: HostPort;
  readonly rule: CollisionRule;
}

/** One pod of a conflict: its ports on the contested port number, and whom they collide with. */
export interface Contester {
  readonly occupant: Occupant;
  /** Its ports on the conflict's protocol and number (usually one). */
  readonly ports: readonly HostPort[];
  /** The first pods (in podOrder) its ports collide with, at most MAX_NAMED_OTHERS. */
  readonly others: readonly Collider[];
  /** True when it collides with more pods than `others` names. */
  readonly moreOthers: boolean;
  /** The node daemons' reserved ports its ports collide with. */
  readonly daemons: readonly ReservedPort[];
}

/**
 * A port of one node held by pods that collide with each other, or with a node daemon's
 * reserved port (every node runs its daemons, the kubelet on 10250 first of all).
 */
export interface ExistingConflict {
  readonly node: string;
  readonly protocol: string;
  readonly port: number;
  /** Every pod whose port collides with another pod's or a daemon's, in podOrder. */
  readonly contesters: readonly Contester[];
  /** The reserved ports of node daemons on this protocol and number that a contester collides with. */
  readonly daemons: readonly ReservedPort[];
}

/** Orders pods by namespace, then name, then uid: the order conflicts name them in. */
export function podOrder(a: PodRef, b: PodRef): number {
  return compare(a.namespace, b.namespace) || compare(a.name, b.name) || compare(a.uid ?? '', b.uid ?? '');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The identity of a conflict: its node, protocol and port number. */
export function conflictKey(conflict: Pick<ExistingConflict, 'node' | 'protocol' | 'port'>): string {
  return `${conflict.node}|${conflict.protocol}/${conflict.port}`;
}

/**
 * The identity of one pod in a conflict: the conflict and the pod, by uid when it has one
 * (a pod re-created under the same name is another pod).
 */
export function contesterKey(conflict: Pick<ExistingConflict, 'node' | 'protocol' | 'port'>, pod: PodRef): string {
  return `${conflictKey(conflict)}|${pod.namespace}/${pod.name}/${pod.uid ?? ''}`;
}

/**
 * True when the scheduler (and the kubelet) would see at least one of the conflict's
 * collisions. A node daemon's port never counts: neither of them knows it.
 */
export function schedulerSees(conflict: ExistingConflict): boolean {
  return conflict.contesters.some((c) => c.others.some((o) => schedulerAgrees(o.rule)));
}

/** The reserved ports among `reserved` that `port` collides with. */
function daemonsFor(port: HostPort, reserved: readonly ReservedPort[]): ReservedPort[] {
  return reserved.filter((r) => collision(port, { protocol: r.protocol, hostIP: r.hostIP ?? IPV4_ANY, port: r.port }) !== undefined);
}

/** How one held port's address collides (see `collision`, which stays the judge). */
type AddressKind =
  /** 0.0.0.0 (or empty), or `::` in any spelling: collides with every address. */
  | 'wildcard'
  /** The IPv4 wildcard spelled as a mapped address: collides with every IPv4 address. */
  | 'mapped-wildcard'
  | 'address';

interface Entry {
  readonly port: HostPort;
  readonly kind: AddressKind;
  readonly family: 4 | 6 | 0;
  /** The canonical address of an `address` entry. */
  readonly canonical: string;
}

function entryOf(port: HostPort): Entry {
  const raw = port.hostIP === '' ? IPV4_ANY : port.hostIP;
  const canon = canonicalIP(raw);
  const kind: AddressKind = raw === IPV4_ANY || (canon.wildcard && canon.family === 6) ? 'wildcard' : canon.wildcard ? 'mapped-wildcard' : 'address';
  return { port, kind, family: canon.family, canonical: canon.text };
}

/** One pod's entries on one (protocol, port number), indexed like the bucket's pods. */
class Side {
  readonly occupant: Occupant;
  readonly entries: readonly Entry[];
  readonly wildcards: readonly Entry[];
  readonly mappedWildcards: readonly Entry[];
  readonly ipv4: readonly Entry[];
  readonly byAddress = new Map<string, Entry>();

  constructor(occupant: Occupant, entries: readonly Entry[]) {
    this.occupant = occupant;
    this.entries = entries;
    this.wildcards = entries.filter((e) => e.kind === 'wildcard');
    this.mappedWildcards = entries.filter((e) => e.kind === 'mapped-wildcard');
    this.ipv4 = entries.filter((e) => e.kind === 'address' && e.family === 4);
    for (const e of entries) if (e.kind === 'address' && !this.byAddress.has(e.canonical)) this.byAddress.set(e.canonical, e);
  }

  /** The entries of this pod that `x` may collide with (one of each kind is enough to find one). */
  partnersOf(x: Entry): Entry[] {
    if (x.kind === 'wildcard') return this.entries.slice(0, 1);
    const found = [...this.wildcards.slice(0, 1)];
    if (x.family === 4) found.push(...this.mappedWildcards.slice(0, 1));
    if (x.kind === 'mapped-wildcard') found.push(...this.ipv4.slice(0, 1));
    else {
      const same = this.byAddress.get(x.canonical);
      if (same !== undefined) found.push(same);
    }
    return found;
  }
}

/**
 * The pods of one (protocol, port number) on a node, indexed by how their addresses
 * collide. Every list keeps the sides in podOrder, so "the first colliders" of a pod are
 * found by merging a few lists, never by comparing it with every other pod.
 */
class Bucket {
  readonly sides: Side[] = [];
  /** Pods with a wildcard entry: they collide with everyone. */
  readonly wildcards: Side[] = [];
  /** Pods with a mapped IPv4 wildcard: they collide with every IPv4 address. */
  readonly mappedWildcards: Side[] = [];
  /** Pods with an IPv4 address (not a wildcard): what a mapped wildcard collides with. */
  readonly ipv4: Side[] = [];
  /** Pods by canonical address. */
  readonly byAddress = new Map<string, Side[]>();

  constructor(sides: Side[]) {
    this.sides = sides.sort((a, b) => podOrder(a.occupant.pod, b.occupant.pod));
    for (const side of this.sides) {
      if (side.wildcards.length > 0) this.wildcards.push(side);
      if (side.mappedWildcards.length > 0) this.mappedWildcards.push(side);
      if (side.ipv4.length > 0) this.ipv4.push(side);
      for (const address of side.byAddress.keys()) {
        const list = this.byAddress.get(address);
        if (list === undefined) this.byAddress.set(address, [side]);
        else list.push(side);
      }
    }
  }

  /**
   * The lists of pods `side` may collide with: everyone when it holds a wildcard, else
   * the wildcards, the mapped wildcards (for its IPv4 addresses), the IPv4 pods (for its
   * mapped wildcards) and the pods on its own addresses.
   */
  candidates(side: Side): Side[][] {
    if (side.wildcards.length > 0) return [this.sides];
    const lists: Side[][] = [this.wildcards];
    if (side.entries.some((e) => e.family === 4)) lists.push(this.mappedWildcards);
    if (side.mappedWildcards.length > 0) lists.push(this.ipv4);
    for (const address of side.byAddress.keys()) lists.push(this.byAddress.get(address) ?? []);
    return lists;
  }
}

/**
 * The first collision between two pods' entries, by `collision`, or undefined: each
 * entry of `a` meets only the few entries of `b` it can collide with, so two pods with
 * thousands of addresses on one port cost their entries, not their product.
 */
function firstCollision(a: Side, b: Side): { mine: HostPort; theirs: HostPort; rule: CollisionRule } | undefined {
  for (const x of a.entries) {
    for (const y of b.partnersOf(x)) {
      const rule = collision(x.port, y.port);
      if (rule !== undefined) return { mine: x.port, theirs: y.port, rule };
    }
  }
  return undefined;
}

/**
 * Up to MAX_NAMED_OTHERS + 1 pods `side` collides with, in podOrder: the sorted candidate
 * lists are merged from their fronts, so the cost is the names sought, not the bucket.
 * Candidates that turn out not to collide (a mapped wildcard's IPv6 entries) are skipped.
 */
function collidersOf(side: Side, bucket: Bucket): { others: Collider[]; more: boolean } {
  const lists = bucket.candidates(side);
  const at = lists.map(() => 0);
  const others: Collider[] = [];
  const seen = new Set<Side>([side]);
  /** The front of list `i` that has not been looked at yet. */
  const head = (i: number): Side | undefined => {
    const list = lists[i] ?? [];
    let k = at[i] ?? 0;
    while (k < list.length && seen.has(list[k] ?? side)) k += 1;
    at[i] = k;
    return list[k];
  };
  for (;;) {
    let next: Side | undefined;
    for (let i = 0; i < lists.length; i++) {
      const candidate = head(i);
      if (candidate !== undefined && (next === undefined || podOrder(candidate.occupant.pod, next.occupant.pod) < 0)) next = candidate;
    }
    if (next === undefined) return { others, more: false };
    seen.add(next);
    const hit = firstCollision(side, next);
    if (hit === undefined) continue;
    if (others.length === MAX_NAMED_OTHERS) return { others, more: true };
    others.push({ pod: next.occupant.pod, port: hit.theirs, rule: hit.rule });
  }
}

/**
 * Every conflict on `node`: for each (protocol, port number) that two or more of its
 * pods hold, or one pod and a node daemon (`reserved`, held on every node), the pods
 * whose ports there collide with another's or the daemon's, each with the first pods it
 * collides with. Ordered by port number, then protocol.
 */
export function conflictsAmong(node: string, occupants: Iterable<Occupant>, reserved: readonly ReservedPort[] = []): ExistingConflict[] {
  const grouped = new Map<string, { protocol: string; port: number; sides: Map<Occupant, Entry[]> }>();
  for (const occupant of occupants) {
    if (occupant.node !== node) continue;
    for (const port of occupant.ports) {
      const protocol = port.protocol === '' ? DEFAULT_PROTOCOL : port.protocol;
      const key = `${protocol}/${port.port}`;
      let group = grouped.get(key);
      if (group === undefined) {
        group = { protocol, port: port.port, sides: new Map() };
        grouped.set(key, group);
      }
      const entries = group.sides.get(occupant);
      if (entries === undefined) group.sides.set(occupant, [entryOf(port)]);
      else entries.push(entryOf(port));
    }
  }
  const conflicts: ExistingConflict[] = [];
  for (const group of grouped.values()) {
    const daemonsHere = reserved.filter((r) => r.port === group.port && r.protocol === group.protocol);
    if (group.sides.size < 2 && daemonsHere.length === 0) continue;
    const bucket = new Bucket([...group.sides].map(([occupant, entries]) => new Side(occupant, entries)));
    const contesters: Contester[] = [];
    const daemons = new Set<ReservedPort>();
    for (const side of bucket.sides) {
      const { others, more } = group.sides.size < 2 ? { others: [], more: false } : collidersOf(side, bucket);
      const mine = [...new Set(side.entries.flatMap((e) => daemonsFor(e.port, daemonsHere)))];
      if (others.length === 0 && mine.length === 0) continue;
      for (const d of mine) daemons.add(d);
      contesters.push({ occupant: side.occupant, ports: side.entries.map((e) => e.port), others, moreOthers: more, daemons: mine });
    }
    if (contesters.length > 0) conflicts.push({ node, protocol: group.protocol, port: group.port, contesters, daemons: [...daemons] });
  }
  return conflicts.sort((a, b) => a.port - b.port || compare(a.protocol, b.protocol));
}
