/**
 * A scan of the live cluster: nodes, then every pod but the Succeeded ones, page by page,
 * each page folded into a ScanBuilder and dropped before the next is asked for, so no
 * more than one page of pods is ever held.
 */
import type { KubeConfig } from '@kubernetes/client-node';

import { DEFAULT_PAGE_SIZE } from './informer.js';
import { kubeHttp } from './kube-http.js';
import { kubeListWatch } from './kube-list-watch.js';
import type { RejectedObject } from './list-watch.js';
import type { Logger } from './logger.js';
import { forEachPage } from './pager.js';
import type { NodeEntry } from './pod-index.js';
import { NODES, SCAN_PODS } from './resources.js';
import type { ClusterScan } from './scan.js';
import { ScanBuilder } from './scan.js';

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
