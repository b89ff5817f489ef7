import { podRef } from '../engine/occupancy.js';
import type { PriorityClassInfo } from '../engine/priority.js';
import type { PodLike } from '../engine/types.js';
import type { BackoffBounds } from './backoff.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { ListWatch, Sink } from './list-watch.js';
import { gatheringRelist } from './list-watch.js';
import type { InformerEvents, ResourceName } from './informer-events.js';
import { NO_EVENTS } from './informer-events.js';
import type { Logger } from './logger.js';
import type { NamespaceEntry, NodeEntry, PodIndex } from './pod-index.js';
import type { ReflectorOptions } from './reflector.js';
import { Reflector } from './reflector.js';
import type { Timers } from './timers.js';
import { systemTimers } from './timers.js';

/** Where the informer lists and watches each resource (kube-sources.ts, or a fake in tests). */
export interface ClusterSources {
  readonly pods: ListWatch<PodLike>;
  readonly nodes: ListWatch<NodeEntry>;
  readonly namespaces: ListWatch<NamespaceEntry>;
  readonly priorityClasses: ListWatch<PriorityClassInfo>;
}

/** Tuning; every field has a default. */
export interface InformerOptions {
  /** Items per list page (the `limit` parameter). */
  readonly pageSize?: number;
  /** Re-list when a watch has been silent this long, bookmarks included (the `watch.staleAfterSeconds` setting). */
  readonly watchdogMs: number;
  /** The range the watch's timeoutSeconds is drawn from. */
  readonly watchTimeoutSeconds?: { readonly min: number; readonly max: number };
  readonly backoff?: BackoffBounds;
  /**
   * List pods by streaming (a watch with sendInitialEvents, KEP-3157) where the API server
   * serves it, in pages where it does not; true unless given. Nodes, namespaces and
   * PriorityClasses are few, and always listed in pages.
   */
  readonly streamingList?: boolean;
}

/** Collaborators of the informer. */
export interface InformerDeps {
  readonly index: PodIndex;
  readonly sources: ClusterSources;
  readonly logger: Logger;
  readonly events?: InformerEvents;
  readonly timers?: Timers;
  /** A number in [0, 1), for jitter. */
  readonly random?: () => number;
}

/** 500 per page, like kubectl's default chunk size: bounded memory per response. */
export const DEFAULT_PAGE_SIZE = 500;

/**
 * The informer's pages are smaller, because each page is read and parsed in one turn of
 * the event loop while the server answers admission requests. Syncing 50,000 pods from
 * kube-apiserver (docs/benchmarks.md), 250 per page against 500: longest stall 23–32 ms
 * against 44–70 ms, p99 11–13 ms against 17–18 ms, for 15–25 % more time to sync; 100
 * per page took twice as long for no shorter longest stall (garbage collection steps
 * then set it). One-shot reads (`scan`, `check` against a live cluster) keep 500.
 */
export const INFORMER_PAGE_SIZE = 250;

/**
 * The server ends each watch after 3 to 4.5 minutes (jittered, like client-go's 5 to 10
 * minutes, but always before the watchdog fires: the configuration refuses a watchdog
 * period below MIN_WATCH_STALE_SECONDS), and the watch is resumed from its last
 * resourceVersion.
 */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = { min: 180, max: 270 } as const;

/** Error code of an informer stopped before it synced. */
export const HPG_ERR_INFORMER_STOPPED = 'HPG_ERR_INFORMER_STOPPED';

/** `whenSynced()` of an informer that was stopped before its first full sync. */
export class InformerStoppedError extends Error {
  /** Always HPG_ERR_INFORMER_STOPPED. */
  readonly code = HPG_ERR_INFORMER_STOPPED;

  /** The informer never synced. */
  constructor() {
    super('the informer was stopped before it synced');
    this.name = 'InformerStoppedError';
  }
}

/** What the informer needs of a reflector, whatever it reflects. */
interface Loop {
  run(signal: AbortSignal): Promise<void>;
  isSynced(): boolean;
}

/**
 * Keeps a PodIndex in sync with the API server: pods (not finished), all nodes,
 * namespaces carrying the mode label, and PriorityClasses, each through its own
 * reflector. Ready once all four have been listed in full.
 */
export class ClusterInformer {
  readonly #deps: InformerDeps;
  readonly #reflectors: readonly Loop[];
  readonly #runs: Promise<void>[] = [];
  readonly #synced: Promise<void>;
  #resolveSynced: () => void = () => undefined;
  #rejectSynced: (error: Error) => void = () => undefined;
  #controller: AbortController | undefined;

  /** Wires the informer; nothing is requested until `start()`. */
  constructor(deps: InformerDeps, options: InformerOptions) {
    this.#deps = deps;
    const reflectorOptions: ReflectorOptions = {
      pageSize: options.pageSize ?? INFORMER_PAGE_SIZE,
      watchdogMs: options.watchdogMs,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      timers: deps.timers ?? systemTimers,
      random: deps.random ?? Math.random,
    };
    this.#synced = new Promise((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    // Callers that never await whenSynced() must not see an unhandled rejection on stop().
    this.#synced.catch(() => undefined);
    const index = deps.index;
    const pods: Sink<PodLike> = {
      relist: index.relistPods.bind(index),
      upsert: index.upsertPod.bind(index),
      remove: (pod) => {
        index.deletePod(podRef(pod));
      },
    };
    const nodes: Sink<NodeEntry> = {
      relist: () => gatheringRelist(index.replaceAllNodes.bind(index)),
      upsert: index.upsertNode.bind(index),
      remove: (node) => {
        index.deleteNode(node.name);
      },
    };
    const namespaces: Sink<NamespaceEntry> = {
      relist: () => gatheringRelist(index.replaceAllNamespaces.bind(index)),
      upsert: index.upsertNamespace.bind(index),
      remove: (namespace) => {
        index.deleteNamespace(namespace.name);
      },
    };
    const priorityClasses: Sink<PriorityClassInfo> = {
      relist: () => gatheringRelist(index.replaceAllPriorityClasses.bind(index)),
      upsert: index.upsertPriorityClass.bind(index),
      remove: (priorityClass) => {
        index.deletePriorityClass(priorityClass.name);
      },
    };
    // Listing 150,000 pods from kube-apiserver 1.37 (docs/benchmarks.md, section 2a), the
    // streaming list took about half the time of the paginated one, and stalled less.
    const podOptions: ReflectorOptions = { ...reflectorOptions, streamingList: options.streamingList ?? true };
    this.#reflectors = [
      this.#reflector('pods', deps.sources.pods, pods, podOptions),
      this.#reflector('nodes', deps.sources.nodes, nodes, reflectorOptions),
      this.#reflector('namespaces', deps.sources.namespaces, namespaces, reflectorOptions),
      this.#reflector('priorityclasses', deps.sources.priorityClasses, priorityClasses, reflectorOptions),
    ];
  }

  /** Starts listing and watching in the background. An informer runs once: later calls do nothing. */
  start(): void {
    if (this.#controller !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    for (const reflector of this.#reflectors) {
      // run() handles its own failures; this only guards against a bug taking the process down.
      const run = reflector.run(controller.signal).catch((error: unknown) => {
        this.#deps.logger.error({ err: String(error) }, 'cluster informer loop crashed');
      });
      this.#runs.push(run);
    }
  }

  /** Aborts every request and timer; resolves once all loops have ended. */
  async stop(): Promise<void> {
    const controller = this.#controller;
    if (controller === undefined) return;
    controller.abort();
    await Promise.all(this.#runs);
    if (!this.isSynced()) {
      this.#rejectSynced(new InformerStoppedError());
    }
  }

  /** True once pods, nodes, namespaces and PriorityClasses have each been listed in full (it stays true). */
  isSynced(): boolean {
    return this.#reflectors.every((r) => r.isSynced());
  }

  /** Resolves at the first full sync; rejects if the informer is stopped before. */
  whenSynced(): Promise<void> {
    return this.#synced;
  }

  #reflector<T>(resource: ResourceName, listWatch: ListWatch<T>, sink: Sink<T>, options: ReflectorOptions): Reflector<T> {
    const { logger } = this.#deps;
    return new Reflector<T>(
      {
        resource,
        listWatch,
        sink,
        events: this.#deps.events ?? NO_EVENTS,
        logger,
        onSynced: () => {
          logger.info({ resource }, 'listed');
          if (this.isSynced()) {
            logger.info({ ...this.#deps.index.size() }, 'cluster index synced');
            this.#resolveSynced();
          }
        },
      },
      options,
    );
  }
}
