/**
 * Heap held by the index per pod: heapUsed after a full GC, before and after indexing N
 * pods (as the informer decodes them), divided by N. Host-port pods are stored as an
 * Occupant; pods without host ports must cost nothing, because they are not stored.
 * Also the whole index of the 5,000-node cluster, and the nodes alone: the node table
 * (one copy of each set of labels and taints that nodes share) beside each node keeping
 * its own copy of what it was decoded with.
 *
 * Usage: node --expose-gc memory.js --out FILE [--pods 50000] [--rounds 3]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { NodeEntry } from '../src/cluster/node-table.js';
import { NodeTable } from '../src/cluster/node-table.js';
import { PodIndex } from '../src/cluster/pod-index.js';
import type { PodLike } from '../src/engine/types.js';
import type { MemoryResult } from './lib/results.js';
import { median } from './lib/stats.js';
import { clusterNodes, clusterPods, holdsHostPorts, PODS_PER_NODE } from './lib/synthetic.js';

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  // Twice: the first pass may leave weak or finalizable objects for the second.
  gc();
  gc();
}

/** `count` pods of the synthetic cluster that hold (or do not hold) host ports, generated lazily. */
function* podsWhere(hostPorts: boolean, count: number): Generator<PodLike> {
  let n = 0;
  for (const pod of clusterPods(Number.MAX_SAFE_INTEGER)) {
    if (holdsHostPorts(pod) !== hostPorts) continue;
    yield pod;
    n += 1;
    if (n >= count) return;
  }
}

/** Heap bytes `build` holds on to once collected (the value is kept alive until measured). */
function heapOf(build: () => unknown): number {
  collect();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  collect();
  const after = process.memoryUsage().heapUsed;
  if (kept === undefined) throw new Error('nothing was built');
  return after - before;
}

/** The nodes as a plain map of what each was decoded with: the comparison for the node table. */
function nodesCopied(entries: readonly NodeEntry[]): Map<string, NodeEntry> {
  return new Map(entries.map((e) => [e.name, { name: e.name, labels: { ...e.labels }, taints: (e.taints ?? []).map((t) => ({ ...t })), unschedulable: e.unschedulable === true }]));
}

/** Heap bytes the index holds after `fill` ran, and what the index then contains. */
function heapDelta(fill: (index: PodIndex) => void): { bytes: number; pods: number } {
  collect();
  const before = process.memoryUsage().heapUsed;
  const index = new PodIndex();
  fill(index);
  collect();
  const after = process.memoryUsage().heapUsed;
  return { bytes: after - before, pods: index.size().pods };
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, pods: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '3' } } });
  if (values.out === undefined) throw new Error('--out is required');
  const count = Number(values.pods);
  const rounds = Number(values.rounds);
  const hostPort: number[] = [];
  const plain: number[] = [];
  const cluster: number[] = [];
  let clusterIndexed = 0;
  const clusterNodesCount = 5000;
  const table: number[] = [];
  const copied: number[] = [];
  let traits = 0;
  for (let r = 0; r < rounds; r++) {
    const withPorts = heapDelta((index) => {
      for (const pod of podsWhere(true, count)) index.upsertPod(pod);
    });
    if (withPorts.pods !== count) throw new Error(`indexed ${withPorts.pods} of ${count} host-port pods`);
    hostPort.push(withPorts.bytes / count);
    const without = heapDelta((index) => {
      for (const pod of podsWhere(false, count)) index.upsertPod(pod);
    });
    if (without.pods !== 0) throw new Error(`indexed ${without.pods} pods without host ports`);
    plain.push(without.bytes / count);
    const whole = heapDelta((index) => {
      index.replaceAllNodes(clusterNodes(clusterNodesCount));
      index.replaceAllPods(clusterPods(clusterNodesCount));
    });
    clusterIndexed = whole.pods;
    cluster.push(whole.bytes);
    // Each node decoded from its own JSON, as the informer decodes it, and dropped once indexed.
    const json = clusterNodes(clusterNodesCount).map((e) => JSON.stringify(e));
    const decoded = (): NodeEntry[] => json.map((text) => JSON.parse(text) as NodeEntry);
    table.push(
      heapOf(() => {
        const t = new NodeTable();
        t.replaceAll(decoded());
        traits = t.traitsCount();
        return t;
      }) / clusterNodesCount,
    );
    copied.push(heapOf(() => nodesCopied(decoded())) / clusterNodesCount);
  }
  const result: MemoryResult = {
    rounds,
    pods: count,
    bytesPerHostPortPod: median(hostPort),
    bytesPerPlainPod: median(plain),
    cluster: { nodes: clusterNodesCount, pods: clusterNodesCount * PODS_PER_NODE, indexed: clusterIndexed, bytes: median(cluster) },
    nodes: { count: clusterNodesCount, traits, bytesPerNode: median(table), bytesPerCopiedNode: median(copied) },
    samples: { hostPort, plain, cluster, table, copied },
  };
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
}

main();
