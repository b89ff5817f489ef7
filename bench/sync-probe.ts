/**
 * One initial sync, in a fresh process: the real ClusterInformer (liveCluster) lists
 * pods, nodes and namespaces from the API server until whenSynced() resolves. Prints one
 * JSON line: how long it took, the longest event-loop stall meanwhile (what an admission
 * request arriving at the worst moment would have waited), and the heap.
 *
 * Usage: node sync-probe.js KUBECONFIG
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { loadKubeConfig } from '../src/cluster/kube-config.js';
import { liveCluster } from '../src/cluster/live-cluster.js';
import type { Logger } from '../src/cluster/logger.js';
import { DEFAULTS } from '../src/config/settings.js';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (kubeconfig === undefined) throw new Error('usage: sync-probe.js KUBECONFIG');
  const cluster = liveCluster(
    loadKubeConfig({ path: kubeconfig }),
    { logger: silent },
    { reservationTtlMs: DEFAULTS.reservationTtlSeconds * 1000, watchdogMs: DEFAULTS.watch.staleAfterSeconds * 1000 },
  );
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let heapPeak = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  delay.enable();
  const start = performance.now();
  cluster.informer.start();
  await cluster.informer.whenSynced();
  const syncMs = performance.now() - start;
  delay.disable();
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const size = cluster.index.size();
  // The heap the index settles at, once the list's garbage is collected (with --expose-gc).
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapSteadyMB = gc === undefined ? null : process.memoryUsage().heapUsed / 2 ** 20;
  await cluster.informer.stop();
  process.stdout.write(
    `${JSON.stringify({
      syncMs,
      stallMaxMs: delay.max / 1e6,
      stallP99Ms: delay.percentile(99) / 1e6,
      indexedPods: size.pods,
      nodes: size.nodes,
      heapPeakMB: heapPeak / 2 ** 20,
      heapSteadyMB,
      rssMB: process.memoryUsage().rss / 2 ** 20,
    })}\n`,
  );
}

await main();
