import type { KubeConfig } from '@kubernetes/client-node';

import type { ReservationEvents } from './cluster-reservations.js';
import { ClusterReservations } from './cluster-reservations.js';
import type { EventSink } from './conflict-events.js';
import type { InformerDeps, InformerOptions } from './informer.js';
import { ClusterInformer, DEFAULT_PAGE_SIZE } from './informer.js';
import type { ResourceName } from './informer-events.js';
import { kubeEventSink } from './kube-events.js';
import { kubeHttp } from './kube-http.js';
import { kubeLeaseStore } from './kube-lease-store.js';
import { kubeClusterSources } from './kube-sources.js';
import { kubeReservationStore } from './lease-store.js';
import type { LeaseStore } from './leader-election.js';
import type { ListWatch } from './list-watch.js';
import type { Logger } from './logger.js';
import type { FullList } from './pager.js';
import { listAll } from './pager.js';
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
  /** Reservations every replica sees, when a namespace for their Leases was given. */
  readonly reservations?: ClusterReservations;
}

/** Where and how reservations every replica sees are kept. */
export interface ClusterReservationOptions {
  /** The namespace of the Leases (the release's). */
  readonly namespace: string;
  /** The most one reservation may take. */
  readonly timeoutMs: number;
  readonly events: ReservationEvents;
}

/** Options of `liveCluster`: the informer's tuning, the reservation TTL, and cluster-wide reservations. */
export interface LiveClusterOptions extends InformerOptions {
  readonly reservationTtlMs: number;
  readonly clusterReservations?: ClusterReservationOptions;
}

/**
 * Wires an index, its reservations and an informer for the cluster `kubeConfig` points
 * at, and with `clusterReservations` the Leases every replica sees, told of each pod
 * holding host ports that the watch shows (nothing starts yet).
 */
export function liveCluster(
  kubeConfig: KubeConfig,
  deps: Omit<InformerDeps, 'index' | 'sources'>,
  options: LiveClusterOptions,
): LiveCluster {
  const { reservationTtlMs, clusterReservations, ...informerOptions } = options;
  const timers = deps.timers ?? systemTimers;
  const index = new PodIndex();
  const view = reservingView(index, { now: () => timers.now(), ttlMs: reservationTtlMs });
  const informer = new ClusterInformer({ ...deps, index, sources: kubeClusterSources(kubeConfig) }, informerOptions);
  if (clusterReservations === undefined) return { index, view, informer };
  const store = kubeReservationStore(kubeHttp(kubeConfig), clusterReservations.namespace, Math.ceil(reservationTtlMs / 1000));
  const reservations = new ClusterReservations(
    { store, clock: () => Date.now(), events: clusterReservations.events, logger: deps.logger, indexed: (ref) => index.contains(ref) },
    { ttlMs: reservationTtlMs, timeoutMs: clusterReservations.timeoutMs },
  );
  index.onPodSeen((ref) => {
    // Only pods that hold host ports can be holders; the index keeps exactly those.
    if (index.contains(ref)) reservations.podSeen(ref);
  });
  return { index, view, informer, reservations };
}

/**
 * The Lease that elects the replica writing conflict Events, and where it writes them, on
 * one cluster; `identity` names the writing process in both.
 */
export type EventsApi = (lease: { readonly namespace: string; readonly name: string }, identity: string) => { readonly store: LeaseStore; readonly sink: EventSink };

/** The EventsApi of the cluster `kubeConfig` points at. */
export function eventsApiOf(kubeConfig: KubeConfig): EventsApi {
  return (lease, identity) => {
    const api = kubeHttp(kubeConfig);
    return { store: kubeLeaseStore(api, lease.namespace, lease.name), sink: kubeEventSink(api, identity) };
  };
}

/** How long a one-shot read may take before giving up. */
export const ONE_SHOT_TIMEOUT_MS = 30_000;

/**
 * Lists pods, nodes, mode-labelled namespaces and PriorityClasses once, page by page,
 * and returns the index they fill: `check` against the live cluster. No watch is started and nothing is
 * retried: the first failed request fails the read with its error, and a read that takes
 * longer than `timeoutMs` is abandoned. Objects that do not decode are left out, as the
 * informer leaves them out.
 */
export async function readClusterOnce(kubeConfig: KubeConfig, timeoutMs = ONE_SHOT_TIMEOUT_MS): Promise<PodIndex> {
  const sources = kubeClusterSources(kubeConfig);
  const failed = new AbortController();
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([failed.signal, deadline]);
  const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const list = <T>(resource: ResourceName, listWatch: ListWatch<T>): Promise<FullList<T>> =>
    listAll(resource, listWatch, DEFAULT_PAGE_SIZE, signal, quiet).catch((error: unknown) => {
      failed.abort();
      throw error;
    });
  try {
    const [pods, nodes, namespaces, priorityClasses] = await Promise.all([
      list('pods', sources.pods),
      list('nodes', sources.nodes),
      list('namespaces', sources.namespaces),
      list('priorityclasses', sources.priorityClasses),
    ]);
    const index = new PodIndex();
    index.replaceAllPods(pods.items);
    index.replaceAllNodes(nodes.items);
    index.replaceAllNamespaces(namespaces.items);
    index.replaceAllPriorityClasses(priorityClasses.items);
    return index;
  } catch (error) {
    if (deadline.aborted) throw new Error(`the cluster could not be listed within ${timeoutMs / 1000} s`, { cause: error });
    throw error;
  }
}
