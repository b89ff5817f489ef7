/**
 * Kubernetes Events about conflicts that exist: one Warning `HostPortConflict` on each of
 * the two pods, naming the other pod, the node and the port, so `kubectl describe pod`
 * shows who holds the port.
 *
 * Deduplication: one Event per pod per conflict. A conflict is its node and its two pods
 * (by uid), and the Event's name is derived from that identity, so writing it again (a
 * re-list, a restart, another replica taking over) is refused by the API server as
 * AlreadyExists and nothing new appears. Only the leader writes; it writes a conflict when
 * the audit first sees it, and every existing conflict when it becomes the leader (the
 * names make the ones already written no-ops). Writes are paced and the queue is bounded,
 * so a cluster full of conflicts cannot flood the API server.
 */
import { createHash } from 'node:crypto';

import { portLabel } from '../admission/messages.js';
import type { ExistingConflict } from '../engine/existing-conflicts.js';
import { conflictKey } from '../engine/existing-conflicts.js';
import type { Occupant, PodRef } from '../engine/types.js';
import type { ConflictListener } from './conflict-audit.js';
import type { Logger } from './logger.js';
import { errorFields } from './reflector.js';
import type { Timers } from './timers.js';

/** The Event's reason. */
export const CONFLICT_REASON = 'HostPortConflict';

/** One Event to write. */
export interface ConflictEvent {
  /** Derived from the conflict and the pod: the same conflict always gets the same name. */
  readonly name: string;
  /** The pod the Event is about (its namespace is the Event's). */
  readonly pod: PodRef;
  readonly message: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

/** Where Events go; kube-events.ts writes them through the API server. */
export interface EventSink {
  /** Creates the Event: `created`, or `exists` when one of that name is there already. Rejects on other failures. */
  create(event: ConflictEvent): Promise<'created' | 'exists'>;
}

/** What became of one Event: written, found written already, given up after failures, or dropped from a full queue. */
export type EventResult = 'created' | 'exists' | 'failed' | 'dropped';

/** What the Events ask of the audit. */
export interface ConflictSource {
  current(): ExistingConflict[];
  exists(key: string, node: string): boolean;
}

/** Collaborators of ConflictEvents. */
export interface ConflictEventsDeps {
  readonly sink: EventSink;
  readonly audit: ConflictSource;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Counts each Event's fate (the hostport_guard_conflict_events_total metric). */
  readonly count: (result: EventResult) => void;
}

/** Pace and bounds. */
export interface ConflictEventsOptions {
  /** Events written per second at most. */
  readonly perSecond: number;
  /** Events waiting at most; more are dropped (and counted). */
  readonly maxQueued: number;
  /** Tries per Event before it is given up. */
  readonly attempts: number;
}

/**
 * 5 per second: a few hundred conflicts found at start (a cluster that lived without the
 * webhook) are told within minutes, while the API server barely notices; client-go's
 * event recorder allows a burst of 25 and then one per 5 minutes per object, which would
 * hold back the second pod of the same conflict far too long.
 */
export const DEFAULT_EVENT_OPTIONS: ConflictEventsOptions = { perSecond: 5, maxQueued: 2_000, attempts: 3 };

/** Ports named in one Event's message before the rest are counted. */
const NAMED_PORTS = 3;

/** Longest Event name: a DNS subdomain. */
const MAX_NAME = 253;

interface Pending {
  readonly key: string;
  readonly node: string;
  readonly event: ConflictEvent;
  readonly attempt: number;
}

/** The name of the Event about `self` in `conflict`: `<pod>.<16 hex digits of the conflict's identity>`. */
export function eventName(conflict: ExistingConflict, self: Occupant): string {
  const hash = createHash('sha256').update(`${conflictKey(conflict)}|${self.pod.namespace}/${self.pod.name}/${self.pod.uid ?? ''}`).digest('hex').slice(0, 16);
  return `${self.pod.name.slice(0, MAX_NAME - hash.length - 1)}.${hash}`;
}

/**
 * The message of the Event on one pod of `conflict`, naming the other one:
 * `host port 8080/TCP on node worker-1 is also held by pod shop/web-2 (container web): the two pods conflict`.
 */
export function eventMessage(conflict: ExistingConflict, self: 'first' | 'second'): string {
  const other = self === 'first' ? conflict.second : conflict.first;
  const otherSide = self === 'first' ? 'second' : 'first';
  const ports = [...new Set(conflict.ports.map((p) => portLabel(p[self])))];
  const containers = [...new Set(conflict.ports.map((p) => p[otherSide].container))];
  const more = ports.length > NAMED_PORTS || conflict.morePorts;
  const named = `${ports.slice(0, NAMED_PORTS).join(', ')}${more ? ' and more' : ''}`;
  const one = ports.length === 1 && !more;
  return `host ${one ? 'port' : 'ports'} ${named} on node ${conflict.node} ${one ? 'is' : 'are'} also held by pod ${other.pod.namespace}/${other.pod.name} (container ${containers.join(', ')}): the two pods conflict`;
}

/** Writes an Event per pod per conflict, while this replica leads. */
export class ConflictEvents implements ConflictListener {
  readonly #deps: ConflictEventsDeps;
  readonly #options: ConflictEventsOptions;
  #queue: Pending[] = [];
  #leading = false;
  #working = false;
  #stopped = false;
  #dropNoted = false;

  /** Wires the writer; it writes nothing until it is told it leads. */
  constructor(deps: ConflictEventsDeps, options: ConflictEventsOptions = DEFAULT_EVENT_OPTIONS) {
    this.#deps = deps;
    this.#options = options;
  }

  /** A new conflict: its two Events are queued, if this replica leads. */
  appeared(conflict: ExistingConflict): void {
    if (this.#leading) this.#enqueue(conflict);
  }

  /** A conflict ended: its Events that were not written yet never will be. */
  resolved(conflict: ExistingConflict): void {
    const key = conflictKey(conflict);
    this.#queue = this.#queue.filter((p) => p.key !== key);
  }

  /** Leadership changed: a new leader queues every existing conflict; a former one drops its queue. */
  setLeading(leading: boolean): void {
    this.#leading = leading;
    if (!leading) {
      this.#queue = [];
      return;
    }
    for (const conflict of this.#deps.audit.current()) this.#enqueue(conflict);
  }

  /** Events waiting to be written. */
  queued(): number {
    return this.#queue.length;
  }

  /** Stops writing; what is queued is dropped. */
  stop(): void {
    this.#stopped = true;
    this.#queue = [];
  }

  #enqueue(conflict: ExistingConflict): void {
    const key = conflictKey(conflict);
    const time = this.#deps.timers.now();
    for (const side of ['first', 'second'] as const) {
      const self = conflict[side];
      if (this.#queue.length >= this.#options.maxQueued) {
        this.#deps.count('dropped');
        if (!this.#dropNoted) this.#deps.logger.warn({ maxQueued: this.#options.maxQueued }, 'too many conflict Events waiting; dropping the newest (scan lists every conflict)');
        this.#dropNoted = true;
        continue;
      }
      this.#queue.push({ key, node: conflict.node, attempt: 1, event: { name: eventName(conflict, self), pod: self.pod, message: eventMessage(conflict, side), time } });
    }
    this.#work();
  }

  #work(): void {
    if (this.#working || this.#stopped) return;
    this.#working = true;
    const next = (): void => {
      const pending = this.#queue.shift();
      if (pending === undefined || this.#stopped) {
        this.#working = false;
        if (this.#queue.length < this.#options.maxQueued / 2) this.#dropNoted = false;
        return;
      }
      if (!this.#deps.audit.exists(pending.key, pending.node)) {
        next();
        return;
      }
      void this.#write(pending).then(() => {
        this.#deps.timers.schedule(1000 / this.#options.perSecond, next);
      });
    };
    next();
  }

  async #write(pending: Pending): Promise<void> {
    try {
      const result = await this.#deps.sink.create(pending.event);
      this.#deps.count(result);
    } catch (error) {
      if (pending.attempt < this.#options.attempts && this.#leading) {
        this.#queue.push({ ...pending, attempt: pending.attempt + 1 });
        return;
      }
      this.#deps.count('failed');
      this.#deps.logger.warn({ event: pending.event.name, namespace: pending.event.pod.namespace, ...errorFields(error) }, 'could not write a conflict Event');
    }
  }
}
