/**
 * One initial sync, in a fresh process: the real ClusterInformer (liveCluster) lists
 * pods, nodes and namespaces from the API server until whenSynced() resolves. Prints one
 * JSON line: how long it took, the longest event-loop stall meanwhile (what an admission
 * request arriving at the worst moment would have waited), and the heap.
 *
 * Usage: node sync-probe.js KUBECONFIG
 */
import { loadKubeConfig } from '../src/cluster/kube-config.js';
import { liveCluster } from '../src/cluster/live-cluster.js';
import type { Logger } from '../src/cluster/logger.js';
import { DEFAULTS } from '../src/config/settings.js';
import { watched } from './lib/watched.js';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (kubeconfig === undefined) throw new Error('usage: sync-probe.js KUBECONFIG');
  const cluster = liveCluster(
    loadKubeConfig({ path: kubeconfig }),
    { logger: silent },
    { reservationTtlMs: DEFAULTS.reservationTtlSeconds * 1000, watchdogMs: DEFAULTS.watch.staleAfterSeconds * 1000 },
  );
  const run = await watched(async () => {
    cluster.informer.start();
    await cluster.informer.whenSynced();
  });
  const size = cluster.index.size();
  await cluster.informer.stop();
  process.stdout.write(
    `${JSON.stringify({
      syncMs: run.ms,
      stallMaxMs: run.stallMaxMs,
      stallP99Ms: run.stallP99Ms,
      indexedPods: size.pods,
      nodes: size.nodes,
      heapPeakMB: run.heapPeakMB,
      // The heap the index settles at, once the list's garbage is collected (with --expose-gc).
      heapSteadyMB: run.heapSteadyMB,
      rssMB: process.memoryUsage().rss / 2 ** 20,
    })}\n`,
  );
}

await main();
