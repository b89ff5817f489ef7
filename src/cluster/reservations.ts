import { HeldPorts } from '../engine/held-ports.js';
import { protocolOf } from '../engine/host-ports.js';
import { IPV4_ANY } from '../engine/ip.js';
import type { NodeFilter, NodeInfo } from '../engine/node-filter.js';
import type { HolderOrder, PortSummary } from '../engine/port-summary.js';
import type { PriorityClassInfo } from '../engine/priority.js';
import type { HeldPort, Occupant, PodRef, PortTriple } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import type { PodIndex, PodPresence } from './pod-index.js';
import { podKey } from './pod-index.js';

/** Options for `ReservingView`. */
export interface ReservationOptions {
  /** Milliseconds since some fixed point; injected so tests drive time. */
  readonly now: () => number;
  /**
   * How long a reservation lives unless the index shows its pod first (its creation
   * failed after admission, or the watch is behind): the `reservationTtlSeconds` setting.
   */
  readonly ttlMs: number;
}

interface Reservation {
  readonly occupant: Occupant;
  readonly expiresAt: number;
}

/**
 * A PortView that adds pods admitted but not yet seen by the watch to an underlying
 * view. Without it, two pods created at the same moment for the same node and port would
 * both be decided against an index that shows neither, and both would get in.
 *
 * A reservation ends when the index shows the same pod (by uid when the admitted pod
 * had one, since a re-created pod of the same name is another pod; else by
 * namespace/name) or when its TTL passes. Both are checked lazily on lookup, and
 * `sweep()` lets the caller drop them periodically. The reserved ports are keyed like
 * the index's (HeldPorts), so lookups stay O(result).
 */
export class ReservingView implements PortView {
  readonly #view: PortView & PodPresence;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #byKey = new Map<string, Reservation>();
  readonly #byOccupant = new Map<Occupant, Reservation>();
  readonly #held = new HeldPorts();

  /** Decorates `view` (normally the PodIndex, which also says which pods it shows). */
  constructor(view: PortView & PodPresence, options: ReservationOptions) {
    this.#view = view;
    this.#now = options.now;
    this.#ttlMs = options.ttlMs;
  }

  /** Holds `occupant`'s ports until the index shows its pod or the TTL passes; replaces an earlier reservation of the same pod. */
  reserve(occupant: Occupant): void {
    this.#drop(podKey(occupant.pod));
    const reservation: Reservation = { occupant, expiresAt: this.#now() + this.#ttlMs };
    this.#byKey.set(podKey(occupant.pod), reservation);
    this.#byOccupant.set(occupant, reservation);
    this.#held.add(occupant);
  }

  /**
   * Ends the reservation of a pod the watch has just shown (added, changed or deleted).
   * An event about another incarnation of the same name (another uid) leaves it alone.
   */
  release(ref: PodRef): void {
    const key = podKey(ref);
    const reserved = this.#byKey.get(key)?.occupant.pod.uid;
    if (!this.#byKey.has(key)) return;
    if (reserved !== undefined && ref.uid !== undefined && reserved !== ref.uid) return;
    this.#drop(key);
  }

  /** Drops every reservation that expired or whose pod the index now shows; returns how many. */
  sweep(): number {
    let dropped = 0;
    for (const reservation of [...this.#byKey.values()]) {
      if (!this.#counts(reservation)) dropped += 1;
    }
    return dropped;
  }

  /** How many reservations are held (including any not yet found stale). */
  size(): number {
    return this.#byKey.size;
  }

  /** Indexed and reserved ports on `node` that collide with `port`. */
  heldOn(node: string, port: PortTriple): Iterable<HeldPort> {
    return this.#withReserved(this.#view.heldOn(node, port), this.#held.collidingOn(node, port));
  }

  /** Indexed and reserved ports on any node that collide with `port`. */
  heldAnywhere(port: PortTriple): Iterable<HeldPort> {
    return this.#withReserved(this.#view.heldAnywhere(port), this.#held.collidingAnywhere(port));
  }

  /** What the index found, followed by the reservations found that still count; no copy when there are none. */
  #withReserved(indexed: Iterable<HeldPort>, reserved: Iterable<HeldPort>): Iterable<HeldPort> {
    const live = this.#live(reserved);
    return live.length === 0 ? indexed : [...indexed, ...live];
  }

  /**
   * The underlying view's summary, while no reservation holds a port of the key: a
   * summary does not show reservations, so a decision then searches.
   */
  summary(port: PortTriple, order: HolderOrder, named: number): PortSummary | undefined {
    if (this.#held.collidingAnywhere({ protocol: protocolOf(port), hostIP: IPV4_ANY, port: port.port }).length > 0) return undefined;
    return this.#view.summary?.(port, order, named);
  }

  /** The underlying view's answer: a reserved pod holds only ports of keys that summary() leaves unsummarised. */
  mayHold(ref: PodRef): boolean {
    return this.#view.mayHold?.(ref) ?? true;
  }

  /** Delegates to the underlying view. */
  nodeForHostname(hostname: string): string | undefined {
    return this.#view.nodeForHostname(hostname);
  }

  /** Delegates to the underlying view. */
  nodeCount(): number {
    return this.#view.nodeCount();
  }

  /** Delegates to the underlying view. */
  node(name: string): NodeInfo | undefined {
    return this.#view.node(name);
  }

  /** Delegates to the underlying view. */
  countNodes(filter: NodeFilter): number {
    return this.#view.countNodes(filter);
  }

  /** Delegates to the underlying view. */
  priorityClass(name: string): PriorityClassInfo | undefined {
    return this.#view.priorityClass(name);
  }

  /** Delegates to the underlying view. */
  defaultPriorityClass(): PriorityClassInfo | undefined {
    return this.#view.defaultPriorityClass();
  }

  /** The reserved ports among `found` whose reservation still counts (collected first: stale ones are dropped). */
  #live(found: Iterable<HeldPort>): HeldPort[] {
    const live: HeldPort[] = [];
    for (const entry of [...found]) {
      const reservation = this.#byOccupant.get(entry.occupant);
      if (reservation !== undefined && this.#counts(reservation)) live.push(entry);
    }
    return live;
  }

  /** Whether a reservation still counts; a stale one is dropped on the way. */
  #counts(reservation: Reservation): boolean {
    const pod = reservation.occupant.pod;
    if (this.#now() < reservation.expiresAt && !this.#view.contains(pod)) return true;
    this.#drop(podKey(pod));
    return false;
  }

  #drop(key: string): void {
    const reservation = this.#byKey.get(key);
    if (reservation === undefined) return;
    this.#byKey.delete(key);
    this.#byOccupant.delete(reservation.occupant);
    this.#held.remove(reservation.occupant);
  }
}

/** A ReservingView over `index` whose reservations end as soon as the index sees their pod. */
export function reservingView(index: PodIndex, options: ReservationOptions): ReservingView {
  const view = new ReservingView(index, options);
  index.onPodSeen((ref) => {
    view.release(ref);
  });
  return view;
}
