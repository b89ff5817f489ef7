/**
 * Kubernetes Events about conflicts that exist: a Warning `HostPortConflict` on each pod of
 * a conflict, naming the node, the port and the other pods holding it, so `kubectl
 * describe pod` shows who holds the port.
 *
 * Deduplication: one Event per pod per conflict. A conflict is a node and a contested
 * (protocol, port); a pod in it is known by its uid. The Event's name is derived from that
 * identity, so writing it again (a re-list, a restart, another replica taking over) is
 * refused by the API server as AlreadyExists and nothing new appears: a long-lived
 * conflict is told once per pod, and a pod that joins later gets its own. Only the leader
 * writes; it writes for a pod when the audit first sees it join a conflict, and for every
 * pod of every conflict when it becomes the leader (the names make the ones written before
 * no-ops). Writes are paced and the queue is bounded, so a cluster full of conflicts
 * cannot flood the API server.
 */
import { createHash } from 'node:crypto';

import { portLabel } from '../admission/messages.js';
import type { Contester, ExistingConflict } from '../engine/existing-conflicts.js';
import { contesterKey } from '../engine/existing-conflicts.js';
import type { PodRef } from '../engine/types.js';
import type { ConflictListener } from './conflict-audit.js';
import type { Logger } from './logger.js';
import { errorFields } from './reflector.js';
import type { Timers } from './timers.js';

/** The Event's reason. */
export const CONFLICT_REASON = 'HostPortConflict';

/** One Event to write. */
export interface ConflictEvent {
  /** Derived from the conflict and the pod: the same pod in the same conflict always gets the same name. */
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
  /** Whether the pod with this contesterKey is still part of a conflict on `node`. */
  contests(key: string, node: string): boolean;
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

/** Longest Event name: a DNS subdomain. */
const MAX_NAME = 253;

interface Pending {
  readonly key: string;
  readonly node: string;
  readonly event: ConflictEvent;
  readonly attempt: number;
}

/** The name of the Event about `contester` in `conflict`: `<pod>.<16 hex digits of the pod's place in the conflict>`. */
export function eventName(conflict: ExistingConflict, contester: Contester): string {
  const hash = createHash('sha256').update(contesterKey(conflict, contester.occupant.pod)).digest('hex').slice(0, 16);
  return `${contester.occupant.pod.name.slice(0, MAX_NAME - hash.length - 1)}.${hash}`;
}

/**
 * The message of the Event on one pod of a conflict, naming the others it collides with:
 * `host port 8080/TCP on node worker-1 is also held by pod shop/web-2 (container web): the pods conflict`.
 */
export function eventMessage(conflict: ExistingConflict, contester: Contester): string {
  const labels = [...new Set(contester.ports.map(portLabel))];
  const ports = `${labels.length === 1 ? 'port' : 'ports'} ${labels.slice(0, 2).join(', ')}${labels.length > 2 ? ' and more' : ''}`;
  const others = contester.others.map((o) => `${o.pod.namespace}/${o.pod.name} (container ${o.port.container})`);
  const many = others.length > 1 || contester.moreOthers;
  const pods = others.length === 0 ? [] : [`${many ? 'pods' : 'pod'} ${others.join(', ')}${contester.moreOthers ? ' and more' : ''}`];
  const daemons = contester.daemons.map((d) => `node daemon ${d.owner} (${portLabel({ protocol: d.protocol, hostIP: d.hostIP ?? '', port: d.port })})`);
  const verb = labels.length === 1 ? 'is' : 'are';
  const what = others.length === 0 ? 'the pod cannot bind it' : 'the pods conflict';
  return `host ${ports} on node ${conflict.node} ${verb} also held by ${[...pods, ...daemons].join(' and ')}: ${what}`;
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

  /** A pod joined a conflict: its Event is queued, if this replica leads. */
  joined(conflict: ExistingConflict, contester: Contester): void {
    if (this.#leading) this.#enqueue(conflict, contester);
  }

  /** A pod left a conflict: its Event, if not written yet, never will be. */
  left(conflict: ExistingConflict, contester: Contester): void {
    const key = contesterKey(conflict, contester.occupant.pod);
    this.#queue = this.#queue.filter((p) => p.key !== key);
  }

  /** Leadership changed: a new leader queues every existing conflict; a former one drops its queue. */
  setLeading(leading: boolean): void {
    this.#leading = leading;
    if (!leading) {
      this.#queue = [];
      return;
    }
    for (const conflict of this.#deps.audit.current()) for (const contester of conflict.contesters) this.#enqueue(conflict, contester);
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

  #enqueue(conflict: ExistingConflict, contester: Contester): void {
    if (this.#queue.length >= this.#options.maxQueued) {
      this.#deps.count('dropped');
      if (!this.#dropNoted) this.#deps.logger.warn({ maxQueued: this.#options.maxQueued }, 'too many conflict Events waiting; dropping the newest (scan lists every conflict)');
      this.#dropNoted = true;
      return;
    }
    const event = { name: eventName(conflict, contester), pod: contester.occupant.pod, message: eventMessage(conflict, contester), time: this.#deps.timers.now() };
    this.#queue.push({ key: contesterKey(conflict, contester.occupant.pod), node: conflict.node, attempt: 1, event });
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
      if (!this.#deps.audit.contests(pending.key, pending.node)) {
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
