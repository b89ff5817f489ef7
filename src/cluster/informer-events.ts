/** The kinds of object the informer keeps in sync. */
export type ResourceName = 'pods' | 'nodes' | 'namespaces' | 'priorityclasses';

/**
 * Why a watch was re-established. `expired`: the API server answered 410 Gone (the
 * resourceVersion left its watch cache). `error`: the request failed or the stream broke.
 * `stale`: nothing arrived, not even a bookmark, for the watchdog period. `list-failed`:
 * the (re-)list itself failed. `closed-early`: the server ended a watch within a second
 * without sending anything. A watch the server ends otherwise (normally when its
 * timeoutSeconds is up) is resumed silently from where it was.
 */
export type RestartReason = 'expired' | 'error' | 'stale' | 'list-failed' | 'closed-early';

/** Counters the informer reports to; the metrics module implements it. */
export interface InformerEvents {
  /** A watch or list failed and will be retried (after a backoff), re-listing unless `closed-early`. */
  onRestart(resource: ResourceName, reason: RestartReason): void;
  /** A full list completed and replaced the index contents for `resource`. */
  onListed(resource: ResourceName, items: number): void;
  /** Objects the API server sent that did not decode (never indexed). */
  onRejected(resource: ResourceName, count: number): void;
}

/** InformerEvents that count nothing. */
export const NO_EVENTS: InformerEvents = {
  onRestart: () => undefined,
  onListed: () => undefined,
  onRejected: () => undefined,
};
