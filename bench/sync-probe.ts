/**
 * One initial sync, in a fresh process: the real ClusterInformer (liveCluster) lists
 * pods, nodes and namespaces from the API server until whenSynced() resolves. Prints one
 * JSON line: how long it took, the longest event-loop stall meanwhile (what an admission
 * request arriving at the worst moment would have waited), and the heap.
 *
 * Then a re-list in the same process, as a serving webhook makes one after a 410 Gone or
 * a broken watch: a second informer over the same, full index, its code and connections
 * warm. Its stall is what a review meets; the first sync's also holds start-up, while the
 * webhook is not ready (`/readyz` waits for the sync).
 *
 * Usage: node sync-probe.js KUBECONFIG
 */
import { ClusterInformer } from '../src/cluster/informer.js';
import { loadKubeConfig } from '../src/cluster/kube-config.js';
import { kubeClusterSources } from '../src/cluster/kube-sources.js';
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
  const again = new ClusterInformer(
    { index: cluster.index, sources: kubeClusterSources(loadKubeConfig({ path: kubeconfig })), logger: silent },
    { watchdogMs: DEFAULTS.watch.staleAfterSeconds * 1000 },
  );
  const relist = await watched(async () => {
    again.start();
    await again.whenSynced();
  });
  await again.stop();
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
      relistMs: relist.ms,
      relistStallMaxMs: relist.stallMaxMs,
      relistStallP99Ms: relist.stallP99Ms,
      // The longest gap of each, taken apart: time on a core and time waiting for one.
      gap: run.longestGap,
      relistGap: relist.longestGap,
      firstTickMs: run.firstTickMs,
      relistFirstTickMs: relist.firstTickMs,
    })}\n`,
  );
}

await main();
