import type { KubeConfig } from '@kubernetes/client-node';

import type { InformerDeps, InformerOptions } from './informer.js';
import { ClusterInformer } from './informer.js';
import { kubeClusterSources } from './kube-sources.js';
import { PodIndex } from './pod-index.js';
import type { ReservingView } from './reservations.js';
import { reservingView } from './reservations.js';
import { systemTimers } from './timers.js';

/** The live cluster as the admission path sees it. */
export interface LiveCluster {
  /** Namespace modes, sizes for gauges, and the pods the watch has seen. */
  readonly index: PodIndex;
  /** The PortView decisions read: the index plus pods admitted but not yet watched. */
  readonly view: ReservingView;
  /** Keeps the index in sync; call start() and stop(), and report isSynced() as readiness. */
  readonly informer: ClusterInformer;
}

/** Options of `liveCluster`: the informer's tuning plus the reservation TTL. */
export interface LiveClusterOptions extends InformerOptions {
  readonly reservationTtlMs?: number;
}

/** Wires an index, its reservations and an informer for the cluster `kubeConfig` points at (nothing starts yet). */
export function liveCluster(
  kubeConfig: KubeConfig,
  deps: Omit<InformerDeps, 'index' | 'sources'>,
  options: LiveClusterOptions = {},
): LiveCluster {
  const { reservationTtlMs, ...informerOptions } = options;
  const timers = deps.timers ?? systemTimers;
  const index = new PodIndex();
  const view = reservingView(index, { now: () => timers.now(), ...(reservationTtlMs === undefined ? {} : { ttlMs: reservationTtlMs }) });
  const informer = new ClusterInformer({ ...deps, index, sources: kubeClusterSources(kubeConfig) }, informerOptions);
  return { index, view, informer };
}

/** `: <message>` of the `err` field reflectors log (errorFields in reflector.ts), or nothing. */
function errorDetail(fields: object): string {
  if (!('err' in fields)) return '';
  const err: unknown = fields.err;
  if (typeof err === 'string') return `: ${err}`;
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') return `: ${err.message}`;
  return '';
}

/** How long a one-shot read waits for the first full list before giving up. */
export const ONE_SHOT_TIMEOUT_MS = 30_000;

/**
 * Lists pods, nodes and mode-labelled namespaces once, page by page, and returns the
 * index they fill: `check` against the live cluster. A cluster that cannot be listed
 * fails with the last error the lists met rather than retrying for ever.
 */
export async function readClusterOnce(kubeConfig: KubeConfig, timeoutMs = ONE_SHOT_TIMEOUT_MS): Promise<PodIndex> {
  let lastProblem = 'no answer';
  const note = (fields: object, message: string): void => {
    lastProblem = `${message}${errorDetail(fields)}`;
  };
  const cluster = liveCluster(kubeConfig, { logger: { info: () => undefined, warn: note, error: note } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the cluster could not be listed within ${timeoutMs / 1000} s (${lastProblem})`));
    }, timeoutMs);
  });
  cluster.informer.start();
  try {
    await Promise.race([cluster.informer.whenSynced(), timeout]);
    return cluster.index;
  } finally {
    clearTimeout(timer);
    await cluster.informer.stop();
  }
}
