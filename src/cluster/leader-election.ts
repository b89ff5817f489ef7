/**
 * One leader among the replicas, through a coordination.k8s.io/v1 Lease: the way
 * client-go's leaderelection package settles which replica of a controller acts. The
 * API server stores the Lease in etcd and refuses an update made from a stale
 * resourceVersion, so two replicas can never both take it.
 *
 * As in client-go, a replica never compares its clock with the holder's renewTime (the
 * clocks of two nodes differ); it notes, on its own clock, when it last saw the Lease
 * change, and takes the Lease only once it has stayed unchanged for its whole duration.
 */
import { ApiError } from './list-watch.js';
import type { Logger } from './logger.js';
import { errorFields } from './reflector.js';
import type { Timers } from './timers.js';
import { sleep } from './timers.js';

/** A Lease as the elector reads it. */
export interface LeaseRecord {
  /** Empty or absent: nobody holds it. */
  readonly holder?: string;
  readonly durationSeconds: number;
  /** Milliseconds since the epoch. */
  readonly acquireTime?: number;
  readonly renewTime?: number;
  readonly transitions: number;
  /** Changes with every write; an update from an older one is refused with 409. */
  readonly resourceVersion: string;
}

/** What a write puts into the Lease's spec. */
export interface LeaseWrite {
  /** Absent: the Lease is released. */
  readonly holder?: string;
  readonly durationSeconds: number;
  readonly acquireTime: number;
  readonly renewTime: number;
  readonly transitions: number;
}

/** Reads and writes one Lease; kube-lease-store.ts does it through the API server. */
export interface LeaseStore {
  /** The Lease, or undefined when there is none. */
  get(): Promise<LeaseRecord | undefined>;
  /** Creates the Lease; rejects with ApiError 409 when it exists. */
  create(write: LeaseWrite): Promise<LeaseRecord>;
  /** Replaces the Lease's spec if it is still at `resourceVersion`; rejects with ApiError 409 otherwise. */
  update(write: LeaseWrite, resourceVersion: string): Promise<LeaseRecord>;
}

/** Timing, as in client-go's defaults for controllers (15 s, 10 s, 2 s). */
export interface LeaderElectionTiming {
  /** How long others wait, from the last change they saw, before taking the Lease. */
  readonly leaseDurationMs: number;
  /** How long a leader keeps failing to renew before it stops acting as leader. */
  readonly renewDeadlineMs: number;
  /** How often the Lease is tried or renewed. */
  readonly retryPeriodMs: number;
}

/** client-go's defaults. */
export const DEFAULT_LEADER_TIMING: LeaderElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Collaborators of the elector. */
export interface LeaderElectorDeps {
  readonly store: LeaseStore;
  /** This replica's name in the Lease: unique per process. */
  readonly identity: string;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Called with true when this replica becomes the leader, false when it stops being one. */
  readonly onChange: (leading: boolean) => void;
  /** A number in [0, 1), for jitter. */
  readonly random?: () => number;
}

/** Jitter added to the retry period (client-go's JitterFactor 1.2 in wait.JitterUntil). */
const JITTER = 1.2;

/** Read through a call so the compiler does not assume an awaited abort cannot have happened. */
function stopped(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Elects one leader among the processes sharing a Lease. */
export class LeaderElector {
  readonly #deps: LeaderElectorDeps;
  readonly #timing: LeaderElectionTiming;
  #leading = false;
  /** The record last seen, and when (on this replica's clock) it was seen to change. */
  #observed: { record: LeaseRecord; at: number } | undefined;
  #controller: AbortController | undefined;
  #run: Promise<void> | undefined;

  /** Wires the elector; nothing happens until start(). */
  constructor(deps: LeaderElectorDeps, timing: LeaderElectionTiming = DEFAULT_LEADER_TIMING) {
    if (!(timing.leaseDurationMs > timing.renewDeadlineMs && timing.renewDeadlineMs > timing.retryPeriodMs)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
    this.#deps = deps;
    this.#timing = timing;
  }

  /** Whether this replica holds the Lease now. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** Starts trying to lead, in the background. */
  start(): void {
    if (this.#controller !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#run = this.#loop(controller.signal).catch((error: unknown) => {
      this.#deps.logger.error({ ...errorFields(error) }, 'leader election loop crashed');
      this.#setLeading(false);
    });
  }

  /** Stops; a leader releases the Lease so another replica takes over without waiting for it to expire. */
  async stop(): Promise<void> {
    const controller = this.#controller;
    if (controller === undefined) return;
    controller.abort();
    await this.#run;
    if (this.#leading) {
      this.#setLeading(false);
      await this.#release();
    }
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const { timers } = this.#deps;
    let lastRenew = timers.now();
    while (!signal.aborted) {
      const attempt = await this.#tryAcquireOrRenew();
      if (stopped(signal)) return;
      const now = timers.now();
      if (attempt === 'held') {
        lastRenew = now;
        this.#setLeading(true);
      } else if (attempt === 'other') {
        this.#setLeading(false);
      } else if (this.#leading && now - lastRenew >= this.#timing.renewDeadlineMs) {
        this.#deps.logger.warn({ identity: this.#deps.identity }, 'could not renew the lease in time; no longer the leader');
        this.#setLeading(false);
      }
      const period = this.#leading ? this.#timing.retryPeriodMs : this.#timing.retryPeriodMs * (1 + (this.#deps.random ?? Math.random)() * (JITTER - 1));
      await sleep(timers, period, signal);
    }
  }

  /**
   * One attempt: `held` when this replica holds the Lease afterwards, `other` when another
   * replica holds it and has renewed it within its duration, `failed` when the Lease
   * could not be read or written (a 409 included: someone wrote it first).
   */
  async #tryAcquireOrRenew(): Promise<'held' | 'other' | 'failed'> {
    const { store, identity, timers, logger } = this.#deps;
    const now = timers.now();
    const durationSeconds = Math.ceil(this.#timing.leaseDurationMs / 1000);
    try {
      const record = await store.get();
      if (record === undefined) {
        this.#observe(await store.create({ holder: identity, durationSeconds, acquireTime: now, renewTime: now, transitions: 0 }), timers.now());
        logger.info({ identity }, 'took the lease: this replica writes the conflict Events');
        return 'held';
      }
      if (this.#observed?.record.resourceVersion !== record.resourceVersion) this.#observe(record, now);
      const holder = record.holder ?? '';
      const mine = holder === identity;
      const observedAt = this.#observed?.at ?? now;
      if (!mine && holder !== '' && observedAt + record.durationSeconds * 1000 > now) return 'other';
      const write: LeaseWrite = {
        holder: identity,
        durationSeconds,
        acquireTime: mine ? (record.acquireTime ?? now) : now,
        renewTime: now,
        transitions: mine ? record.transitions : record.transitions + 1,
      };
      this.#observe(await store.update(write, record.resourceVersion), timers.now());
      if (!mine) logger.info({ identity, previous: holder === '' ? undefined : holder }, 'took the lease: this replica writes the conflict Events');
      return 'held';
    } catch (error) {
      // 409: another replica wrote the Lease first (it is the leader, or renewed); the
      // next attempt reads it again. Anything else is logged: the leader keeps acting
      // until its renew deadline, as client-go's does.
      if (!(error instanceof ApiError && error.status === 409)) logger.warn({ ...errorFields(error) }, 'leader election: the lease could not be read or written');
      return 'failed';
    }
  }

  #observe(record: LeaseRecord, at: number): void {
    this.#observed = { record, at };
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    this.#deps.onChange(leading);
  }

  /** Empties the Lease's holder, as client-go's ReleaseOnCancel does. */
  async #release(): Promise<void> {
    const { store, identity, timers, logger } = this.#deps;
    try {
      const record = await store.get();
      if (record?.holder !== identity) return;
      const now = timers.now();
      await store.update({ durationSeconds: 1, acquireTime: now, renewTime: now, transitions: record.transitions }, record.resourceVersion);
      logger.info({ identity }, 'released the lease');
    } catch (error) {
      logger.warn({ ...errorFields(error) }, 'the lease could not be released; another replica takes it once it expires');
    }
  }
}
