/**
 * Conflicts that already exist: pods bound to one node that hold a colliding port. The
 * admission path asks "does this new pod collide?"; the scan and the server's audit ask
 * "which pods on this node collide with each other?", with the same collision rule.
 */
import type { CollisionRule } from './conflicts.js';
import { collision } from './conflicts.js';
import { DEFAULT_PROTOCOL } from './host-ports.js';
import { canonicalIP, IPV4_ANY } from './ip.js';
import type { HostPort, Occupant, PodRef } from './types.js';

/** One port of each pod of a conflict that collide, and by which rule. */
export interface CollidingPorts {
  /** The port of the conflict's first pod. */
  readonly first: HostPort;
  /** The port of the conflict's second pod. */
  readonly second: HostPort;
  readonly rule: CollisionRule;
}

/** Two pods bound to one node that hold at least one colliding port. */
export interface ExistingConflict {
  readonly node: string;
  /** The two pods, in the order of podOrder. */
  readonly first: Occupant;
  readonly second: Occupant;
  /** The colliding ports, at most MAX_COLLIDING_PORTS of them, by port number. */
  readonly ports: readonly CollidingPorts[];
  /** True when the pods collide on more ports than `ports` lists. */
  readonly morePorts: boolean;
}

/**
 * Colliding ports kept per conflict. A pod may declare thousands of host ports (issue:
 * hostile shapes), and two such pods could collide on all of them; one is enough to make
 * a conflict, a few are enough to say what it is.
 */
export const MAX_COLLIDING_PORTS = 8;

/** Orders pods by namespace, then name, then uid: the order conflicts name them in. */
export function podOrder(a: PodRef, b: PodRef): number {
  return compare(a.namespace, b.namespace) || compare(a.name, b.name) || compare(a.uid ?? '', b.uid ?? '');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The identity of a conflict: its node and its two pods (by uid when they have one, so a
 * pod re-created under the same name is another conflict). Pods' ports cannot change, so
 * the same two pods on the same node are always the same conflict.
 */
export function conflictKey(conflict: Pick<ExistingConflict, 'node' | 'first' | 'second'>): string {
  const id = (o: Occupant): string => `${o.pod.namespace}/${o.pod.name}/${o.pod.uid ?? ''}`;
  return `${conflict.node}|${id(conflict.first)}|${id(conflict.second)}`;
}

/** How a held port's address collides with others (see `collision`, which stays the judge). */
interface Entry {
  readonly port: HostPort;
  /** 0.0.0.0 (or empty), or `::` in any spelling: collides with every address. */
  readonly wildcard: boolean;
  /** The IPv4 wildcard spelled as a mapped address: collides with every IPv4 address. */
  readonly mappedWildcard: boolean;
  readonly family: 4 | 6 | 0;
  /** The canonical address, for entries that are neither wildcard. */
  readonly canonical: string;
}

function entryOf(port: HostPort): Entry {
  const raw = port.hostIP === '' ? IPV4_ANY : port.hostIP;
  const canon = canonicalIP(raw);
  const wildcard = raw === IPV4_ANY || (canon.wildcard && canon.family === 6);
  return { port, wildcard, mappedWildcard: !wildcard && canon.wildcard, family: canon.family, canonical: canon.text };
}

/** One pod's ports on one (protocol, port number), sorted for lookups. */
interface Side {
  readonly all: readonly Entry[];
  readonly wildcards: readonly Entry[];
  readonly mappedWildcards: readonly Entry[];
  /** IPv4 addresses other than the wildcards: what a mapped wildcard collides with. */
  readonly ipv4: readonly Entry[];
  readonly byAddress: ReadonlyMap<string, readonly Entry[]>;
}

function sideOf(entries: readonly Entry[]): Side {
  const byAddress = new Map<string, Entry[]>();
  for (const e of entries) {
    if (e.wildcard || e.mappedWildcard) continue;
    const list = byAddress.get(e.canonical);
    if (list === undefined) byAddress.set(e.canonical, [e]);
    else list.push(e);
  }
  return {
    all: entries,
    wildcards: entries.filter((e) => e.wildcard),
    mappedWildcards: entries.filter((e) => e.mappedWildcard),
    ipv4: entries.filter((e) => e.family === 4 && !e.wildcard && !e.mappedWildcard),
    byAddress,
  };
}

/**
 * Up to `max` colliding pairs between two pods' ports on one (protocol, port number), in
 * O(ports of both + max): each of `b`'s ports meets only the ports of `a` it can collide
 * with (wildcards, mapped wildcards for IPv4, the same canonical address), never every
 * port of `a`. `collision` decides each pair, so the result agrees with the admission path.
 */
function collidingIn(a: Side, b: Side, max: number): { found: CollidingPorts[]; more: boolean } {
  const found: CollidingPorts[] = [];
  const consider = (x: Entry, y: Entry): boolean => {
    const rule = collision(x.port, y.port);
    if (rule === undefined) return false;
    if (found.length === max) return true;
    found.push({ first: x.port, second: y.port, rule });
    return false;
  };
  for (const y of b.all) {
    const candidates = y.wildcard
      ? a.all
      : [...a.wildcards, ...(y.family === 4 ? a.mappedWildcards : []), ...(y.mappedWildcard ? a.ipv4 : (a.byAddress.get(y.canonical) ?? []))];
    for (const x of candidates) {
      if (consider(x, y)) return { found, more: true };
    }
  }
  return { found, more: false };
}

/**
 * Every conflict between the pods bound to `node`, ordered by first and second pod. Ports
 * are grouped by protocol and number first, so the work grows with the pods that share a
 * port, not with every pair of ports on the node.
 */
export function conflictsAmong(node: string, occupants: Iterable<Occupant>): ExistingConflict[] {
  // (protocol, port) -> pod -> its entries there
  const buckets = new Map<string, Map<Occupant, Entry[]>>();
  const pods: Occupant[] = [];
  for (const occupant of occupants) {
    if (occupant.node !== node) continue;
    pods.push(occupant);
    for (const port of occupant.ports) {
      const key = `${port.protocol === '' ? DEFAULT_PROTOCOL : port.protocol}/${port.port}`;
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = new Map();
        buckets.set(key, bucket);
      }
      const entries = bucket.get(occupant);
      if (entries === undefined) bucket.set(occupant, [entryOf(port)]);
      else entries.push(entryOf(port));
    }
  }
  const pairs = new Map<string, { first: Occupant; second: Occupant; ports: CollidingPorts[]; more: boolean }>();
  for (const bucket of buckets.values()) {
    if (bucket.size < 2) continue;
    const sides = [...bucket].map(([occupant, entries]) => ({ occupant, side: sideOf(entries) })).sort((x, y) => podOrder(x.occupant.pod, y.occupant.pod));
    for (let i = 0; i < sides.length; i++) {
      for (let j = i + 1; j < sides.length; j++) {
        const a = sides[i];
        const b = sides[j];
        if (a === undefined || b === undefined) continue;
        const key = conflictKey({ node, first: a.occupant, second: b.occupant });
        const pair = pairs.get(key) ?? { first: a.occupant, second: b.occupant, ports: [], more: false };
        const room = MAX_COLLIDING_PORTS - pair.ports.length;
        const { found, more } = collidingIn(a.side, b.side, Math.max(0, room));
        if (found.length === 0 && !more) continue;
        pair.ports.push(...found);
        pair.more ||= more;
        pairs.set(key, pair);
      }
    }
  }
  return [...pairs.values()]
    .map((p) => ({
      node,
      first: p.first,
      second: p.second,
      ports: [...p.ports].sort((x, y) => x.first.port - y.first.port || compare(x.first.protocol, y.first.protocol)),
      morePorts: p.more,
    }))
    .sort((x, y) => podOrder(x.first.pod, y.first.pod) || podOrder(x.second.pod, y.second.pod));
}

/** True when a conflict involves `ref` (same namespace and name). */
export function involves(conflict: ExistingConflict, ref: Pick<PodRef, 'namespace' | 'name'>): boolean {
  const same = (o: Occupant): boolean => o.pod.namespace === ref.namespace && o.pod.name === ref.name;
  return same(conflict.first) || same(conflict.second);
}
