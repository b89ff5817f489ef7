/**
 * Reservations that hold for every replica of the webhook. Before a replica lets in a
 * pinned pod that holds host ports, `hold()` writes the pod into the Lease of each of
 * its ports (lease-store.ts): a Lease is created, or replaced at the resourceVersion it
 * was read at, so of two replicas racing for one port exactly one succeeds, and the
 * other finds the winner in the Lease and names it.
 *
 * A holder counts until it expires (the TTL: the pod was refused by a later webhook or
 * never created), or until the replica's own watch has shown the pod and its index no
 * longer does (the pod is gone). Removing holders from the Leases is garbage
 * collection, done by `sweep()` on every replica: expired holders, and holders whose pod
 * this replica's watch showed more than `seenGraceMs` ago, so that a replica whose watch
 * is a little behind still sees the Lease meanwhile. A Lease left without holders is
 * deleted. A pod refused on a later port gives back what it took at once.
 */
import type { HoldOutcome } from '../admission/hold.js';
import { collision, samePod } from '../engine/conflicts.js';
import type { HostPort, Occupant, PodRef } from '../engine/types.js';
import type { CallLimits, LeaseHolder, LeaseVerb, PortLease, ReservationLeaseStore, StoredLease } from './lease-store.js';
import { countedReservationLeaseStore, leaseName } from './lease-store.js';
import type { Logger } from './logger.js';

/** Why holders left the Leases. */
export type EndReason = 'seen' | 'expired' | 'rolled-back';

/** What the reservations report; the composition root counts them. */
export interface ReservationEvents {
  /** `count` holders were removed from the Leases by this replica, for `reason`. */
  onEnded(reason: EndReason, count: number): void;
  /** A sweep found `leases` reservation Leases. */
  onSwept(leases: number): void;
  /** One call to the API server about a Lease. */
  onRequest(verb: LeaseVerb): void;
}

/** Collaborators of ClusterReservations. */
export interface ClusterReservationsDeps {
  readonly store: ReservationLeaseStore;
  /**
   * Wall-clock milliseconds. Expiries are written into Leases that other replicas read,
   * so replicas' clocks must agree to well within the TTL (as NTP keeps them).
   */
  readonly clock: () => number;
  readonly events: ReservationEvents;
  readonly logger: Logger;
  /** Whether this replica's index shows the pod now (PodIndex.contains). */
  readonly indexed: (ref: PodRef) => boolean;
}

/** Options of ClusterReservations. */
export interface ClusterReservationsOptions {
  /** How long a holder counts unless the watch shows its pod: the `reservationTtlSeconds` setting. */
  readonly ttlMs: number;
  /** The most one `hold()` may take, every API call included: `reservations.timeoutMilliseconds`. */
  readonly timeoutMs: number;
  /** How long after this replica's watch showed a pod its holders are removed (SEEN_GRACE_MS). */
  readonly seenGraceMs?: number;
}

/**
 * A holder whose pod this replica's watch has shown stays in its Lease this long, for
 * replicas whose watch is behind; a watch event reaches every replica within
 * milliseconds, so 5 s is ample.
 */
export const SEEN_GRACE_MS = 5_000;

/** How long a sweep or a roll-back may take in all. */
const BACKGROUND_TIMEOUT_MS = 30_000;

/** Replaces of one Lease a roll-back tries before leaving the holder to expire. */
const ROLL_BACK_ATTEMPTS = 5;

/** The Lease of one (node, protocol, port) and what this pod puts in it. */
interface PortGroup {
  readonly name: string;
  readonly node: string;
  readonly protocol: string;
  readonly port: number;
  readonly mine: readonly LeaseHolder[];
}

/** A holder's ports as the engine compares them. */
function heldPort(group: Pick<PortGroup, 'protocol' | 'port'>, holder: LeaseHolder): HostPort {
  return { protocol: group.protocol, hostIP: holder.hostIP, port: group.port, container: holder.container };
}

function refOf(holder: LeaseHolder): PodRef {
  const ref = { namespace: holder.namespace, name: holder.name };
  return holder.uid === undefined ? ref : { ...ref, uid: holder.uid };
}

/** The twins of one Lease as occupants, one per pod, for the decision to name. */
function occupantsOf(group: PortGroup, holders: readonly LeaseHolder[]): Occupant[] {
  const byPod = new Map<string, { holder: LeaseHolder; ports: HostPort[] }>();
  for (const holder of holders) {
    const key = holder.uid ?? `${holder.namespace}/${holder.name}`;
    const entry = byPod.get(key) ?? { holder, ports: [] };
    entry.ports.push(heldPort(group, holder));
    byPod.set(key, entry);
  }
  return [...byPod.values()].map(({ holder, ports }) => ({
    pod: refOf(holder),
    node: group.node,
    hostNetwork: holder.hostNetwork,
    terminating: false,
    ports,
  }));
}

/** An error's message, whatever was thrown. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reservations of host ports in Leases that every replica reads. */
export class ClusterReservations {
  readonly #store: ReservationLeaseStore;
  readonly #clock: () => number;
  readonly #events: ReservationEvents;
  readonly #logger: Logger;
  readonly #indexed: (ref: PodRef) => boolean;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #seenGraceMs: number;
  /** When this replica's watch first showed a pod holding host ports, by uid (namespace/name without one). */
  readonly #seen = new Map<string, number>();
  #sweeping: Promise<void> | undefined;
  /** Ends sweeps and roll-backs in flight at stop(). */
  readonly #stopped = new AbortController();

  /** Reservations kept in `deps.store`. */
  constructor(deps: ClusterReservationsDeps, options: ClusterReservationsOptions) {
    this.#store = countedReservationLeaseStore(deps.store, (verb) => {
      deps.events.onRequest(verb);
    });
    this.#clock = deps.clock;
    this.#events = deps.events;
    this.#logger = deps.logger;
    this.#indexed = deps.indexed;
    this.#ttlMs = options.ttlMs;
    this.#timeoutMs = options.timeoutMs;
    this.#seenGraceMs = options.seenGraceMs ?? SEEN_GRACE_MS;
  }

  /**
   * Records that this replica's watch showed `ref` (a pod holding host ports): its
   * holders no longer count here. The first time counts, for the grace.
   */
  podSeen(ref: PodRef): void {
    const now = this.#clock();
    for (const key of ref.uid === undefined || ref.uid === '' ? [`${ref.namespace}/${ref.name}`] : [ref.uid]) {
      if (!this.#seen.has(key)) this.#seen.set(key, now);
    }
  }

  /**
   * Holds every port of `occupant` for it, port after port in the order of their Lease
   * names (the same order on every replica, so two pods wanting the same two ports
   * cannot each take one and refuse the other). Never rejects and never takes longer
   * than the timeout: a refusal or a failure gives back whatever was already taken.
   */
  async hold(occupant: Occupant): Promise<HoldOutcome> {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const limits: CallLimits = { signal: deadline, timeoutMs: this.#timeoutMs };
    const taken: StoredLease[] = [];
    try {
      for (const group of this.#groupsOf(occupant)) {
        const result = await this.#take(group, occupant.pod, limits);
        if ('holders' in result) {
          this.#rollBack(taken, occupant.pod);
          return { kind: 'refused', holders: result.holders };
        }
        taken.push(result);
      }
      return { kind: 'taken' };
    } catch (error) {
      this.#rollBack(taken, occupant.pod);
      return { kind: 'failed', reason: deadline.aborted ? `no answer within ${this.#timeoutMs} ms` : messageOf(error) };
    }
  }

  /**
   * Looks whether a twin holds a colliding port, writing nothing: a dry run answers as
   * the real create would. Bounded and never rejecting like `hold()`.
   */
  async check(occupant: Occupant): Promise<HoldOutcome> {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const limits: CallLimits = { signal: deadline, timeoutMs: this.#timeoutMs };
    try {
      for (const group of this.#groupsOf(occupant)) {
        const current = await this.#store.get(group.name, limits);
        const twins = this.#twins(group, current, occupant.pod);
        if (twins.length > 0) return { kind: 'refused', holders: occupantsOf(group, twins) };
      }
      return { kind: 'free' };
    } catch (error) {
      return { kind: 'failed', reason: deadline.aborted ? `no answer within ${this.#timeoutMs} ms` : messageOf(error) };
    }
  }

  /**
   * Removes expired holders and holders whose pod this replica's watch showed more than
   * the grace ago, and deletes Leases left empty. A Lease someone else wrote meanwhile is
   * left for the next sweep. Sweeps never overlap; one that fails is logged.
   */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweepOnce()
      .catch((error: unknown) => {
        this.#logger.warn({ err: messageOf(error) }, 'sweeping reservation Leases failed; the next sweep tries again');
      })
      .finally(() => {
        this.#sweeping = undefined;
      });
    return this.#sweeping;
  }

  /**
   * Gives back what `hold()` took for a pod whose answer can no longer arrive (the API
   * server closed the connection): its create cannot happen, and its holders would
   * otherwise block the port until the TTL. In the background; what fails expires.
   */
  release(occupant: Occupant): void {
    this.#rollBack(this.#groupsOf(occupant).map((g) => g.name), occupant.pod);
  }

  /** Abandons the sweep and roll-backs in flight (what they leave expires); hold() is the caller's to drain. */
  stop(): void {
    this.#stopped.abort();
  }

  /** Limits of background work: its own timeout, and stop(). */
  #backgroundLimits(): CallLimits {
    return { signal: AbortSignal.any([AbortSignal.timeout(BACKGROUND_TIMEOUT_MS), this.#stopped.signal]), timeoutMs: BACKGROUND_TIMEOUT_MS };
  }

  /** The Leases this pod needs, in name order, each with the pod's entries for it. */
  #groupsOf(occupant: Occupant): PortGroup[] {
    const groups = new Map<string, PortGroup & { mine: LeaseHolder[] }>();
    const expiresAt = this.#clock() + this.#ttlMs;
    for (const port of occupant.ports) {
      const name = leaseName(occupant.node, port.protocol, port.port);
      const group = groups.get(name) ?? { name, node: occupant.node, protocol: port.protocol, port: port.port, mine: [] };
      const holder: LeaseHolder = {
        namespace: occupant.pod.namespace,
        name: occupant.pod.name,
        ...(occupant.pod.uid === undefined ? {} : { uid: occupant.pod.uid }),
        hostNetwork: occupant.hostNetwork,
        container: port.container,
        hostIP: port.hostIP,
        expiresAt,
      };
      // One entry per address: two containers declaring one port is one reservation.
      if (!group.mine.some((m) => m.hostIP === holder.hostIP)) group.mine.push(holder);
      groups.set(name, group);
    }
    return [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Whether a holder still holds, for this replica: unless its watch has shown the pod
   * and the index no longer does (the pod was deleted). A pod the index shows collides
   * as much as one still pending: the decision before the hold may have been made before
   * the watch showed it.
   */
  #holds(holder: LeaseHolder): boolean {
    return !this.#seen.has(holder.uid ?? `${holder.namespace}/${holder.name}`) || this.#indexed(refOf(holder));
  }

  /**
   * Puts the pod into one Lease: creates it (one call when nobody holds the port), or
   * reads it and replaces it at that resourceVersion, again after every conflict, until
   * it is written or a twin is found holding a colliding address.
   */
  async #take(group: PortGroup, pod: PodRef, limits: CallLimits): Promise<StoredLease | { holders: Occupant[] }> {
    const content = (holders: readonly LeaseHolder[]): PortLease => ({ node: group.node, protocol: group.protocol, port: group.port, holders });
    const created = await this.#store.create(group.name, content(group.mine), limits);
    if (created !== 'exists') return created;
    for (;;) {
      const current = await this.#store.get(group.name, limits);
      if (current === undefined) {
        const again = await this.#store.create(group.name, content(group.mine), limits);
        if (again === 'exists') continue;
        return again;
      }
      const now = this.#clock();
      const holders = current.content?.holders ?? [];
      const others = this.#others(current, pod, now);
      const twins = this.#twins(group, current, pod, now);
      if (twins.length > 0) return { holders: occupantsOf(group, twins) };
      const replaced = await this.#store.replace(current, content([...others, ...group.mine]), limits);
      if (replaced === 'conflict' || replaced === 'gone') continue;
      const expired = holders.filter((h) => h.expiresAt <= now).length;
      if (expired > 0) this.#events.onEnded('expired', expired);
      return replaced;
    }
  }

  /**
   * The holders a write keeps: expired ones, and earlier entries of this very pod (a
   * create of the same name that failed after admission), make way.
   */
  #others(lease: StoredLease | undefined, pod: PodRef, now: number): LeaseHolder[] {
    return (lease?.content?.holders ?? []).filter((h) => h.expiresAt > now && !samePod(refOf(h), pod));
  }

  /** The holders of `lease` that still hold, for this replica, an address colliding with the pod's. */
  #twins(group: PortGroup, lease: StoredLease | undefined, pod: PodRef, now = this.#clock()): LeaseHolder[] {
    return this.#others(lease, pod, now).filter(
      (h) => this.#holds(h) && group.mine.some((m) => collision(heldPort(group, m), heldPort(group, h)) !== undefined),
    );
  }

  /** Takes the pod out of Leases it was put into, in the background; what fails there expires. */
  #rollBack(taken: readonly (StoredLease | string)[], pod: PodRef): void {
    if (taken.length === 0) return;
    const limits = this.#backgroundLimits();
    const one = async (lease: StoredLease | string): Promise<void> => {
      const name = typeof lease === 'string' ? lease : lease.name;
      let current = typeof lease === 'string' ? await this.#store.get(name, limits) : lease;
      for (let attempt = 0; attempt < ROLL_BACK_ATTEMPTS && current !== undefined; attempt += 1) {
        const holders = current.content?.holders ?? [];
        const rest = holders.filter((h) => !samePod(refOf(h), pod));
        const content = current.content;
        if (content !== undefined && rest.length === holders.length) return;
        const result = rest.length === 0 || content === undefined
          ? await this.#store.remove(current, limits)
          : await this.#store.replace(current, { ...content, holders: rest }, limits);
        if (result === 'gone') return;
        if (result !== 'conflict') {
          this.#events.onEnded('rolled-back', holders.length - rest.length);
          return;
        }
        current = await this.#store.get(name, limits);
      }
    };
    void Promise.all(taken.map(one)).catch((error: unknown) => {
      this.#logger.warn({ pod: `${pod.namespace}/${pod.name}`, err: messageOf(error) }, 'giving back a reservation failed; it expires after the TTL');
    });
  }

  async #sweepOnce(): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    const limits = this.#backgroundLimits();
    const leases = await this.#store.list(limits);
    this.#events.onSwept(leases.length);
    const now = this.#clock();
    const seenBefore = now - this.#seenGraceMs;
    const seenLongAgo = (h: LeaseHolder): boolean => (this.#seen.get(h.uid ?? `${h.namespace}/${h.name}`) ?? Infinity) <= seenBefore;
    for (const lease of leases) {
      const holders = lease.content?.holders ?? [];
      const expired = holders.filter((h) => h.expiresAt <= now);
      const seen = holders.filter((h) => h.expiresAt > now && seenLongAgo(h));
      const rest = holders.filter((h) => h.expiresAt > now && !seenLongAgo(h));
      if (lease.content !== undefined && rest.length === holders.length) continue;
      const result = rest.length === 0 || lease.content === undefined
        ? await this.#store.remove(lease, limits)
        : await this.#store.replace(lease, { ...lease.content, holders: rest }, limits);
      if (result === 'conflict' || result === 'gone') continue;
      if (expired.length > 0) this.#events.onEnded('expired', expired.length);
      if (seen.length > 0) this.#events.onEnded('seen', seen.length);
    }
    // A pod seen before the TTL began for any holder written since cannot matter any more.
    for (const [key, at] of this.#seen) if (at < now - this.#ttlMs - this.#seenGraceMs) this.#seen.delete(key);
  }
}
