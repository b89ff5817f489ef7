/**
 * The cluster as `scan` needs it: who holds which host port on which node, and the pods
 * that cannot run because of a port. Read from the live cluster page by page, folding
 * each page into what is kept and dropping the rest, so no more than one page of pods is
 * ever held; or from a cluster-state file.
 */
import type { KubeConfig } from '@kubernetes/client-node';

import { portTroubleOf } from '../engine/port-trouble.js';
import type { PodLike } from '../engine/types.js';
import { DEFAULT_PAGE_SIZE } from './informer.js';
import { kubeHttp } from './kube-http.js';
import { kubeListWatch } from './kube-list-watch.js';
import type { RejectedObject } from './list-watch.js';
import type { Logger } from './logger.js';
import { forEachPage } from './pager.js';
import type { NodeEntry } from './pod-index.js';
import { PodIndex } from './pod-index.js';
import { NODES, SCAN_PODS } from './resources.js';
import type { SnapshotResult } from './snapshot.js';
import { indexFromObjects } from './snapshot.js';
import { decodePodWithStatus } from './convert.js';

/** What a scan found. */
export interface ClusterScan {
  /** The pods holding host ports (as the server's index keeps them), and the nodes. */
  readonly index: PodIndex;
  /** Pods that cannot run because of a port (see portTroubleOf), whole as decoded. */
  readonly troubled: readonly PodLike[];
  /** Pods read: every pod but the Succeeded ones. */
  readonly pods: number;
  readonly nodes: number;
  /** Objects the API server sent that did not decode, left out. */
  readonly rejected: readonly RejectedObject[];
}

/** Folds pods into a ClusterScan, keeping only what the scan reports. */
export class ScanBuilder {
  readonly #nodes: readonly NodeEntry[];
  readonly #rejectedNodes: readonly RejectedObject[];
  #index: PodIndex;
  #troubled: PodLike[] = [];
  #pods = 0;
  #rejected: RejectedObject[] = [];

  /** Starts a scan of a cluster with these nodes (and these node objects that did not decode). */
  constructor(nodes: readonly NodeEntry[], rejectedNodes: readonly RejectedObject[] = []) {
    this.#nodes = nodes;
    this.#rejectedNodes = rejectedNodes;
    this.#index = ScanBuilder.#emptyIndex(nodes);
  }

  static #emptyIndex(nodes: readonly NodeEntry[]): PodIndex {
    const index = new PodIndex();
    index.replaceAllNodes(nodes);
    return index;
  }

  /** Takes what matters of `pods`: their occupancy, and the pod itself when it cannot run because of a port. */
  addPods(pods: Iterable<PodLike>): void {
    for (const pod of pods) {
      this.#pods += 1;
      this.#index.upsertPod(pod);
      if (portTroubleOf(pod) !== undefined) this.#troubled.push(pod);
    }
  }

  /** Forgets every pod: the list starts over. */
  restartPods(): void {
    this.#index = ScanBuilder.#emptyIndex(this.#nodes);
    this.#troubled = [];
    this.#pods = 0;
    this.#rejected = [];
  }

  /** Records pods that did not decode. */
  reject(rejected: readonly RejectedObject[]): void {
    this.#rejected.push(...rejected);
  }

  /** What was folded so far. */
  build(): ClusterScan {
    return { index: this.#index, troubled: this.#troubled, pods: this.#pods, nodes: this.#nodes.length, rejected: [...this.#rejectedNodes, ...this.#rejected] };
  }
}

/** How far a scan of the live cluster has got. */
export interface ScanProgress {
  readonly resource: 'nodes' | 'pods';
  /** Objects read so far. */
  readonly read: number;
  /** Objects still to come, when the API server estimates it. */
  readonly remaining?: number;
}

/** Options of scanCluster. */
export interface ScanOptions {
  /** Items per page; DEFAULT_PAGE_SIZE unless given. */
  readonly pageSize?: number;
  /** Called after every page. */
  readonly onProgress?: (progress: ScanProgress) => void;
  readonly signal?: AbortSignal;
}

const QUIET: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Reads the cluster `kubeConfig` points at: nodes (metadata only), then every pod that
 * has not Succeeded, page by page. Each page is decoded, folded into a ScanBuilder and
 * dropped before the next is asked for. Every request has the list timeout of
 * kube-list-watch.ts; the first failed one fails the scan with its error.
 */
export async function scanCluster(kubeConfig: KubeConfig, options: ScanOptions = {}): Promise<ClusterScan> {
  const api = kubeHttp(kubeConfig);
  const signal = options.signal ?? new AbortController().signal;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let read = 0;
  const progress = (resource: ScanProgress['resource'], remaining: number | undefined): void => {
    options.onProgress?.(remaining === undefined ? { resource, read } : { resource, read, remaining });
  };
  // Nodes are few and small (a name and a label each): they are kept as they come.
  const nodes: NodeEntry[] = [];
  const rejectedNodes: RejectedObject[] = [];
  await forEachPage('nodes', kubeListWatch(api, NODES), pageSize, signal, QUIET, {
    page(page) {
      nodes.push(...page.items);
      rejectedNodes.push(...page.rejected);
      read += page.items.length + page.rejected.length;
      progress('nodes', page.remainingItemCount);
    },
    restart() {
      nodes.length = 0;
      rejectedNodes.length = 0;
      read = 0;
    },
  }, 'again');
  const builder = new ScanBuilder(nodes, rejectedNodes);
  read = 0;
  await forEachPage('pods', kubeListWatch(api, SCAN_PODS), pageSize, signal, QUIET, {
    page(page) {
      builder.addPods(page.items);
      builder.reject(page.rejected);
      read += page.items.length + page.rejected.length;
      progress('pods', page.remainingItemCount);
    },
    restart() {
      builder.restartPods();
      read = 0;
    },
  }, 'again');
  return builder.build();
}

/**
 * A ClusterScan of parsed cluster-state objects (`kubectl get pods,nodes -A -o yaml`);
 * unusable items fail it with every problem, as for `check --state`.
 */
export function scanOfObjects(input: unknown): { readonly ok: true; readonly scan: ClusterScan } | Extract<SnapshotResult, { ok: false }> {
  const result = indexFromObjects(input, decodePodWithStatus);
  if (!result.ok) return result;
  const builder = new ScanBuilder(result.nodes);
  builder.addPods(result.pods);
  return { ok: true, scan: builder.build() };
}
