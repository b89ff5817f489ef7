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
