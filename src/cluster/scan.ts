/**
 * The cluster as `scan` needs it: who holds which host port on which node, and the pods
 * that cannot run because of a port. Folded from the live cluster page by page
 * (scan-live.ts), keeping only that and dropping the rest, or from a cluster-state file.
 * Nothing here talks to the API server, so `scan --state` never loads the client.
 */
import { portTroubleOf } from '../engine/port-trouble.js';
import type { PodLike } from '../engine/types.js';
import { decodePodWithStatus } from './convert.js';
import type { RejectedObject } from './list-watch.js';
import type { NodeEntry } from './pod-index.js';
import { PodIndex } from './pod-index.js';
import type { SnapshotResult } from './snapshot.js';
import { indexFromEach, indexFromObjects } from './snapshot.js';

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

/**
 * A ClusterScan of parsed cluster-state objects (`kubectl get pods,nodes -A -o yaml`);
 * unusable items fail it with every problem, as for `check --state`.
 */
export function scanOfObjects(input: unknown): ScanResult {
  const pods: PodLike[] = [];
  return scanOfSnapshot(indexFromObjects(input, decodePodWithStatus, (pod) => pods.push(pod)), pods);
}

/** scanOfObjects of an array of values read one at a time (indexFromEach). */
export function scanOfEach(values: Iterable<unknown>): ScanResult {
  const pods: PodLike[] = [];
  return scanOfSnapshot(indexFromEach(values, decodePodWithStatus, (pod) => pods.push(pod)), pods);
}

/** A scan, or the problems of the state it would be made from. */
export type ScanResult = { readonly ok: true; readonly scan: ClusterScan } | Extract<SnapshotResult, { ok: false }>;

function scanOfSnapshot(result: SnapshotResult, pods: readonly PodLike[]): ScanResult {
  if (!result.ok) return result;
  const builder = new ScanBuilder(result.nodes);
  builder.addPods(pods);
  return { ok: true, scan: builder.build() };
}
