import type { ListWatch, Relist, Sink, WatchEvent, WatchHandle } from './list-watch.js';
import { HTTP_GONE, isGone } from './list-watch.js';
import type { InformerEvents, ResourceName } from './informer-events.js';
import type { Logger } from './logger.js';
import type { Cancel, Timers } from './timers.js';

/** How a watch ended. `closed`: the server ended it (normally after timeoutSeconds). */
export type WatchEndReason = 'closed' | 'expired' | 'error' | 'stale' | 'stopped';

/** The outcome of one watch. */
export interface WatchEnd {
  readonly reason: WatchEndReason;
  /** The last resourceVersion seen: where a resumed watch continues. */
  readonly resourceVersion: string;
  /** Whether anything (an event or a bookmark) arrived: proof the connection works. */
  readonly received: boolean;
  /** How long the watch lasted, in milliseconds. */
  readonly lastedMs: number;
  /** False only for a streaming list whose initial events did not all arrive: no list came of it. */
  readonly listed: boolean;
  readonly error?: unknown;
}

/**
 * A streaming list on its way into a Relist: each initial ADDED event goes to `relist` as
 * it arrives; at the bookmark that ends them the relist is finished and `onListed` told
 * how many there were. Later events reach the sink as in any watch.
 */
export interface InitialList<T> {
  readonly relist: Relist<T>;
  readonly onListed: (count: number) => void;
}

/** Collaborators of one watch. */
export interface WatchDeps<T> {
  readonly resource: ResourceName;
  readonly listWatch: ListWatch<T>;
  readonly sink: Sink<T>;
  readonly events: InformerEvents;
  readonly logger: Logger;
}

/** Timing of one watch. */
export interface WatchTiming {
  readonly timers: Timers;
  readonly watchdogMs: number;
  readonly watchTimeoutSeconds: { readonly min: number; readonly max: number };
  readonly random: () => number;
}

/** One running watch; settles its promise exactly once. */
class WatchRun<T> {
  readonly #deps: WatchDeps<T>;
  readonly #timing: WatchTiming;
  readonly #signal: AbortSignal;
  readonly #resolve: (end: WatchEnd) => void;
  #lastVersion: string;
  readonly #startedAt: number;
  #lastActivity: number;
  #received = false;
  #finished = false;
  /** Set while a streaming list's initial events are still arriving. */
  #initial: { readonly list: InitialList<T>; count: number } | undefined;
  #handle: WatchHandle | undefined;
  #cancelWatchdog: Cancel = () => undefined;
  readonly #onAbort = (): void => {
    this.finish('stopped');
  };

  constructor(deps: WatchDeps<T>, timing: WatchTiming, resourceVersion: string, signal: AbortSignal, resolve: (end: WatchEnd) => void, initial?: InitialList<T>) {
    this.#deps = deps;
    this.#initial = initial === undefined ? undefined : { list: initial, count: 0 };
    this.#timing = timing;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#lastVersion = resourceVersion;
    this.#startedAt = timing.timers.now();
    this.#lastActivity = this.#startedAt;
  }

  start(): void {
    if (this.#signal.aborted) {
      this.finish('stopped');
      return;
    }
    this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#armWatchdog(this.#timing.watchdogMs);
    const { min, max } = this.#timing.watchTimeoutSeconds;
    const timeoutSeconds = min + Math.floor(this.#timing.random() * (max - min + 1));
    const request = { resourceVersion: this.#lastVersion, timeoutSeconds };
    const handle = this.#deps.listWatch.watch(
      this.#initial === undefined ? request : { ...request, initialEvents: true },
      {
        onEvent: (event) => {
          this.#onEvent(event);
        },
        onEnd: (error) => {
          if (error === undefined) this.finish('closed');
          else this.finish(isGone(error) ? 'expired' : 'error', error);
        },
      },
    );
    // The watch may have ended before `watch()` even returned.
    if (this.#finished) handle.abort();
    else this.#handle = handle;
  }

  finish(reason: WatchEndReason, error?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cancelWatchdog();
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#handle?.abort();
    this.#resolve({
      reason,
      resourceVersion: this.#lastVersion,
      received: this.#received,
      lastedMs: this.#timing.timers.now() - this.#startedAt,
      listed: this.#initial === undefined,
      ...(error === undefined ? {} : { error }),
    });
  }

  // One timer per watch, re-armed for the remaining time when it fires, instead of one
  // clearTimeout/setTimeout pair per event.
  #armWatchdog(ms: number): void {
    const { timers, watchdogMs } = this.#timing;
    this.#cancelWatchdog = timers.schedule(ms, () => {
      const idle = timers.now() - this.#lastActivity;
      if (idle >= watchdogMs) this.finish('stale');
      else this.#armWatchdog(watchdogMs - idle);
    });
  }

  #onEvent(event: WatchEvent<T>): void {
    if (this.#finished) return;
    if (event.type === 'ERROR') {
      const error = new Error(`watch ERROR event ${event.code ?? ''}: ${event.message}`);
      this.finish(event.code === HTTP_GONE ? 'expired' : 'error', error);
      return;
    }
    this.#lastActivity = this.#timing.timers.now();
    this.#received = true;
    try {
      this.#apply(event);
    } catch (error) {
      this.finish('error', error);
      return;
    }
    if (event.type !== 'REJECTED' && event.resourceVersion !== '') this.#lastVersion = event.resourceVersion;
  }

  #apply(event: Exclude<WatchEvent<T>, { type: 'ERROR' }>): void {
    const { resource, sink, events, logger } = this.#deps;
    const initial = this.#initial;
    if (initial !== undefined) {
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          initial.count += 1;
          initial.list.relist.add([event.object]);
          return;
        case 'BOOKMARK':
          if (event.initialEventsEnd !== true) break;
          this.#initial = undefined;
          initial.list.relist.finish();
          initial.list.onListed(initial.count);
          return;
        case 'DELETED':
        case 'REJECTED':
          break;
      }
    }
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        sink.upsert(event.object);
        break;
      case 'DELETED':
        sink.remove(event.object);
        break;
      case 'REJECTED':
        logger.warn({ resource, object: event.rejected.name, errors: event.rejected.errors }, 'ignoring an object that does not decode');
        events.onRejected(resource, 1);
        break;
      case 'BOOKMARK':
        break;
    }
  }
}

/**
 * Watches from `resourceVersion` (or, with `initial`, lists by streaming first) until the
 * server ends the stream, it fails, it stays silent for the watchdog period, or `signal`
 * aborts; never rejects.
 */
export function watchOnce<T>(deps: WatchDeps<T>, timing: WatchTiming, resourceVersion: string, signal: AbortSignal, initial?: InitialList<T>): Promise<WatchEnd> {
  return new Promise((resolve) => {
    new WatchRun(deps, timing, resourceVersion, signal, resolve, initial).start();
  });
}
