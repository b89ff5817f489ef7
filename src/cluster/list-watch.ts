/**
 * The list/watch contract the informer needs from the API server, small enough that the
 * resync, backoff and 410 logic is tested against a fake, while kube-list-watch.ts
 * implements it over HTTP.
 */

/** One page of a list. */
export interface ListPage<T> {
  readonly items: readonly T[];
  /** The resourceVersion of the list snapshot: a watch resumes from here. */
  readonly resourceVersion: string;
  /** Set when more pages follow. */
  readonly continueToken?: string;
  /** How many items the pages after this one hold, when the API server says (an estimate). */
  readonly remainingItemCount?: number;
  /** Items that did not decode, with the reasons (logged and counted, never indexed). */
  readonly rejected: readonly RejectedObject[];
}

/** An object the API server sent that did not match what hostport-guard reads. */
export interface RejectedObject {
  readonly name: string;
  readonly errors: readonly string[];
}

/** Which page to fetch. Without `limit` the whole collection comes in one response. */
export interface ListRequest {
  readonly limit?: number;
  readonly continueToken?: string;
}

/** What to watch from. */
export interface WatchRequest {
  /** Where the watch starts; ignored for a streaming list, which starts from the present. */
  readonly resourceVersion: string;
  /** The server ends the watch after this long, so it is re-established periodically. */
  readonly timeoutSeconds: number;
  /**
   * A streaming list: the server first sends every object as an ADDED event, then a
   * BOOKMARK with `initialEventsEnd`, then goes on as a watch (`sendInitialEvents=true`).
   */
  readonly initialEvents?: true;
}

/** One decoded watch event. */
export type WatchEvent<T> =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T; readonly resourceVersion: string }
  /** `initialEventsEnd`: the last of a streaming list's initial events has been sent. */
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string; readonly initialEventsEnd?: true }
  /** The server reports a problem in-band; code 410 means the resourceVersion is too old. */
  | { readonly type: 'ERROR'; readonly code: number | undefined; readonly message: string }
  /** An object that did not decode; the watch goes on. */
  | { readonly type: 'REJECTED'; readonly rejected: RejectedObject };

/** Callbacks of one watch. `onEnd` is called once, unless the watch was aborted. */
export interface WatchHandlers<T> {
  onEvent(event: WatchEvent<T>): void;
  /** Without an error the server closed the stream normally (timeoutSeconds passed). */
  onEnd(error?: Error): void;
}

/** Stops a watch; no handler is called afterwards. */
export interface WatchHandle {
  abort(): void;
}

/** Lists and watches one kind of object. */
export interface ListWatch<T> {
  /** Fetches one page; rejects with ApiError on an HTTP error (410 for an expired continue token). */
  list(request: ListRequest, signal: AbortSignal): Promise<ListPage<T>>;
  /** Starts a watch; events and the end arrive through `handlers`. */
  watch(request: WatchRequest, handlers: WatchHandlers<T>): WatchHandle;
}

/**
 * A (re-)list on its way into a sink, chunk by chunk: once `finish` has run, the sink
 * holds exactly what the list showed, and nothing deleted meanwhile lingers.
 */
export interface Relist<T> {
  /** Records the objects of one chunk of the list. */
  add(items: readonly T[]): void;
  /** The chunks added so far belong to an abandoned list: the list starts over. */
  restart(): void;
  /** The list is complete: whatever it did not show is forgotten. */
  finish(): void;
}

/** Where one resource's objects go: the index, seen through three operations. */
export interface Sink<T> {
  /** Starts replacing everything by a (re-)list that arrives in chunks. */
  relist(): Relist<T>;
  upsert(item: T): void;
  remove(item: T): void;
}

/**
 * A Relist that gathers every chunk and hands the whole list to `replaceAll` at the end:
 * for small collections (nodes, namespaces), replaced in one synchronous call.
 */
export function gatheringRelist<T>(replaceAll: (items: readonly T[]) => void): Relist<T> {
  const items: T[] = [];
  return {
    add(chunk) {
      for (const item of chunk) items.push(item);
    },
    restart() {
      items.length = 0;
    },
    finish() {
      replaceAll(items);
    },
  };
}

/** Error code of a failed API request. */
export const HPG_ERR_API_REQUEST = 'HPG_ERR_API_REQUEST';

/** HTTP status of "410 Gone": the resourceVersion or continue token has expired. */
export const HTTP_GONE = 410;

/** HTTP status of "429 Too Many Requests": the API server's priority and fairness says later. */
export const HTTP_TOO_MANY = 429;

/** A failed request to the API server, with the HTTP status when there was a response. */
export class ApiError extends Error {
  /** Always HPG_ERR_API_REQUEST. */
  readonly code = HPG_ERR_API_REQUEST;
  /** The HTTP status, or undefined when no response came (connection refused, timeout). */
  readonly status: number | undefined;

  /** Wraps a failure of `what` (e.g. `GET /api/v1/pods`). */
  constructor(what: string, status: number | undefined, detail: string, options?: ErrorOptions) {
    super(`${what} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${detail}`, options);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** True for an expired resourceVersion or continue token. */
export function isGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === HTTP_GONE;
}
