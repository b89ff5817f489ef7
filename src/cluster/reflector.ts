import type { BackoffBounds } from './backoff.js';
import { backoffDelay } from './backoff.js';
import type { RestartReason } from './informer-events.js';
import type { RejectedObject, Relist } from './list-watch.js';
import { ApiError, HTTP_GONE, HTTP_TOO_MANY } from './list-watch.js';
import type { PageVisitor } from './pager.js';
import { forEachPage } from './pager.js';
import type { Timers } from './timers.js';
import { nextTurn, sleep } from './timers.js';
import type { InitialList, WatchDeps, WatchEnd } from './watch-once.js';
import { watchOnce } from './watch-once.js';

/** Tuning of a reflector; informer.ts holds the defaults and why. */
export interface ReflectorOptions {
  readonly pageSize: number;
  readonly watchdogMs: number;
  readonly watchTimeoutSeconds: { readonly min: number; readonly max: number };
  readonly backoff: BackoffBounds;
  readonly timers: Timers;
  /** A number in [0, 1), for backoff and watch-timeout jitter. */
  readonly random: () => number;
  /**
   * List by streaming (a watch with sendInitialEvents) where the API server serves it,
   * in pages where it does not. Only for a sink whose relist records as it goes (pods):
   * a streaming list that breaks off is not restarted, but replaced by the next list.
   */
  readonly streamingList?: boolean;
}

/** Collaborators of a reflector: those of its watches, and who to tell when it first synced. */
export interface ReflectorDeps<T> extends WatchDeps<T> {
  /** Called once, when the first full list has reached the sink. */
  readonly onSynced: () => void;
}

/**
 * Objects recorded between two turns of the event loop during a list, so an admission
 * request arriving mid-list waits for one chunk, never for a whole page, or for the whole
 * unpaginated list that follows an expired continue token (every pod of the cluster).
 */
export const RELIST_CHUNK = 250;

/** A full list on its way into a Relist (listInto). */
export interface ListInto<T> {
  /** Hands each page to the relist; give it to forEachPage. */
  readonly visitor: PageVisitor<T>;
  /** Where the pages go; finish() it once the list is complete. */
  readonly relist: Relist<T>;
  /** Objects listed so far (since the last restart). */
  count(): number;
  /** Objects that did not decode so far (since the last restart). */
  readonly rejected: readonly RejectedObject[];
}

/**
 * How a full list reaches its Relist: each page a chunk of RELIST_CHUNK objects at a
 * time, with a turn of the event loop after each, and a restart (an expired continue
 * token) starts the relist over.
 */
export function listInto<T>(relist: Relist<T>): ListInto<T> {
  const rejected: RejectedObject[] = [];
  let count = 0;
  const visitor: PageVisitor<T> = {
    async page(page) {
      const { items } = page;
      rejected.push(...page.rejected);
      count += items.length;
      for (let start = 0; start < items.length; start += RELIST_CHUNK) {
        relist.add(items.slice(start, start + RELIST_CHUNK));
        await nextTurn();
      }
    },
    restart() {
      relist.restart();
      rejected.length = 0;
      count = 0;
    },
  };
  return { visitor, relist, count: () => count, rejected };
}

/** A watch the server closes sooner than this, having sent nothing, is retried with backoff. */
export const VERY_SHORT_WATCH_MS = 1_000;

/**
 * Whether a streaming list failed because the API server does not serve one: it answered
 * the request itself with a client error (kube-apiserver before 1.27 refuses
 * resourceVersionMatch on a watch, later ones sendInitialEvents without the WatchList
 * feature), as opposed to a stream that broke or a server that is busy.
 */
function notServed(end: WatchEnd): boolean {
  const { error } = end;
  if (end.received || !(error instanceof ApiError) || error.status === undefined) return false;
  return error.status >= 400 && error.status < 500 && error.status !== HTTP_GONE && error.status !== HTTP_TOO_MANY;
}

/** Read through a call so the compiler does not assume an awaited abort cannot have happened. */
function stopped(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Log fields for an error (pino prints `err` objects specially). */
export function errorFields(error: unknown): object {
  if (!(error instanceof Error)) return { err: String(error) };
  const status = error instanceof ApiError && error.status !== undefined ? { status: error.status } : {};
  return { err: { name: error.name, message: error.message, ...status } };
}

/**
 * Keeps one resource in sync, the way client-go's reflector does: list into the sink
 * as the objects arrive (streaming where asked for and served, else page by page), watch
 * from the list's resourceVersion, resume a watch the server ended normally, and re-list
 * after 410 Gone, errors, or a silent stream, with capped and jittered exponential
 * backoff between failures. A streaming list is itself a watch: once its initial events
 * have ended, it goes on as the watch.
 *
 * Why this loop is ours and not client-node's `ListWatch` over its `Watch` (as read in
 * @kubernetes/client-node 2.0.1, cache.js and watch.js):
 * - `Watch` aborts a watch after 30 s without data (a private, fixed
 *   `requestTimeoutMs`), and `ListWatch` then opens a new one. A watch on a quiet
 *   resource (nodes, labelled namespaces) gets nothing, not even a bookmark, for minutes,
 *   so every quiet watch would be torn down and re-opened twice a minute.
 * - `Watch` sends only the headers `applySecurityAuthentication` adds: it cannot ask for
 *   PartialObjectMetadata (`Accept`), so a node watch would carry whole Node objects.
 * - `Watch` silently drops a line that is not JSON, and reports an answer other than 200
 *   by its status text only, without the Status message that says what is wrong.
 * - `ListWatch` keeps every object whole in a map of its own, where the index keeps
 *   about 1 KB per pod that holds a host port and nothing for the others.
 * - `ListWatch` stops for good on any error but 410 and its own timeout (a failed list,
 *   a 403, a broken stream): it calls the error handlers and never retries.
 * - `ListWatch` watches with the resourceVersion and selectors only: it never asks for
 *   bookmarks or a server-side timeoutSeconds, and its reconnect delay doubles from 1 s
 *   to 30 s without jitter.
 * The requests themselves go through client-node (kube-http.ts): its authentication,
 * its HTTP library, and the typed CoreV1Api for lists.
 */
export class Reflector<T> {
  readonly #deps: ReflectorDeps<T>;
  readonly #options: ReflectorOptions;
  #synced = false;
  /** Lists stream: asked for, and the API server has not refused one. */
  #streaming: boolean;
  /** The next list is paginated, after a streaming one broke off. */
  #pagesNext = false;

  /** Wires a reflector; nothing happens until `run`. */
  constructor(deps: ReflectorDeps<T>, options: ReflectorOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#streaming = options.streamingList === true;
  }

  /** Whether a full list has reached the sink. */
  isSynced(): boolean {
    return this.#synced;
  }

  /** Lists and watches until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const { resource, events, logger } = this.#deps;
    let resourceVersion: string | undefined;
    let failures = 0;
    // Every restart is counted, then waits out the backoff, which doubles while they come in a row.
    const restart = async (reason: RestartReason): Promise<void> => {
      events.onRestart(resource, reason);
      await sleep(this.#options.timers, this.#delay(failures), signal);
      failures += 1;
    };
    while (!signal.aborted) {
      let end: WatchEnd;
      if (resourceVersion === undefined && this.#streaming && !this.#pagesNext) {
        end = await watchOnce(this.#deps, this.#options, '', signal, this.#initialList());
        if (end.reason === 'stopped') break;
        if (!end.listed) {
          if (notServed(end)) {
            this.#streaming = false;
            logger.info({ resource, ...errorFields(end.error) }, 'the API server does not serve streaming lists; listing in pages');
            continue;
          }
          // The next list is paginated, the way every API server serves; the one after streams again.
          this.#pagesNext = true;
          logger.warn({ resource, reason: end.reason, ...(end.error === undefined ? {} : errorFields(end.error)) }, 'streaming list broke off; retrying');
          await restart('list-failed');
          continue;
        }
      } else {
        if (resourceVersion === undefined) {
          try {
            resourceVersion = await this.#listAll(signal);
          } catch (error) {
            if (stopped(signal)) break;
            logger.warn({ resource, ...errorFields(error) }, 'list failed; retrying');
            await restart('list-failed');
            continue;
          }
        }
        end = await watchOnce(this.#deps, this.#options, resourceVersion, signal);
        if (end.reason === 'stopped') break;
      }
      resourceVersion = end.resourceVersion;
      if (end.received) failures = 0;
      // A quiet resource can legitimately see nothing for minutes (the watch cache only
      // bookmarks a watcher once its own resourceVersion has moved past the watcher's), so
      // a normal close is suspicious only when it came within a second with nothing sent:
      // client-go's "very short watch" rule (tools/cache/reflector.go, VeryShortWatchError).
      const veryShort = !end.received && end.lastedMs < VERY_SHORT_WATCH_MS;
      if (end.reason === 'closed' && !veryShort) continue;
      const reason: RestartReason = end.reason === 'closed' ? 'closed-early' : end.reason;
      // A watch that closed before sending anything resumes from the same point; every
      // other failure re-lists, so whatever changed meanwhile cannot be missed.
      if (reason !== 'closed-early') resourceVersion = undefined;
      const fields = { resource, reason, ...(end.error === undefined ? {} : errorFields(end.error)) };
      if (reason === 'expired') logger.info(fields, 'watch expired; re-listing');
      else logger.warn(fields, 'watch restarting');
      await restart(reason);
    }
  }

  #delay(failures: number): number {
    return backoffDelay(failures, this.#options.backoff, this.#options.random);
  }

  /**
   * Lists every page into the sink as it arrives, a chunk at a time with a turn of the
   * event loop after each (a page, or the unpaginated list after an expired continue
   * token, is never indexed in one go), then lets the sink forget what the list did not
   * show; returns the list's resourceVersion.
   */
  async #listAll(signal: AbortSignal): Promise<string> {
    const { resource, listWatch, sink, logger } = this.#deps;
    const list = listInto(sink.relist());
    const resourceVersion = await forEachPage(resource, listWatch, this.#options.pageSize, signal, logger, list.visitor);
    for (const r of list.rejected) logger.warn({ resource, object: r.name, errors: r.errors }, 'ignoring an object that does not decode');
    list.relist.finish();
    this.#listed(list.count(), list.rejected.length);
    this.#pagesNext = false;
    return resourceVersion;
  }

  /** A streaming list into the sink; its rejected objects are logged and counted as watch events are. */
  #initialList(): InitialList<T> {
    return {
      relist: this.#deps.sink.relist(),
      onListed: (count) => {
        this.#listed(count, 0);
      },
    };
  }

  /** A full list has reached the sink. */
  #listed(count: number, rejected: number): void {
    const { resource, events } = this.#deps;
    events.onListed(resource, count);
    if (rejected > 0) events.onRejected(resource, rejected);
    if (!this.#synced) {
      this.#synced = true;
      this.#deps.onSynced();
    }
  }
}
