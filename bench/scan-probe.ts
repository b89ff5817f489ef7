/**
 * One scan of the live cluster, in a fresh process started with --expose-gc, measured
 * from the inside as sync-probe.ts measures a sync: `scanCluster` (what `hostport-guard
 * scan` runs) reads the cluster, the report and its text are built, and the heap is
 * sampled every 20 ms meanwhile. After each page, a forced collection shows how much the
 * scan still holds once the page is dropped: its live heap, which grows only with what it
 * keeps. Prints one JSON line.
 *
 * Usage: node --expose-gc scan-probe.js KUBECONFIG
 */
import { performance } from 'node:perf_hooks';

import { scanOutput } from '../src/cli/scan-output.js';
import { scanReport } from '../src/cli/scan-report.js';
import { loadKubeConfig } from '../src/cluster/kube-config.js';
import { scanCluster } from '../src/cluster/scan-live.js';

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (kubeconfig === undefined) throw new Error('usage: node --expose-gc scan-probe.js KUBECONFIG');
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  let heapPeak = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  let liveAfterPage = 0;
  let pages = 0;
  let gcMs = 0;
  const start = performance.now();
  const scan = await scanCluster(loadKubeConfig({ path: kubeconfig }), {
    onProgress: (p) => {
      if (p.resource !== 'pods') return;
      pages += 1;
      // The collection is not part of the scan: its time is taken out of scanMs below.
      const before = performance.now();
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      gc();
      liveAfterPage = Math.max(liveAfterPage, process.memoryUsage().heapUsed);
      gcMs += performance.now() - before;
    },
  });
  const text = scanOutput(scanReport(scan, { nodes: [], ports: [], namespaces: [] }), 'text');
  const scanMs = performance.now() - start - gcMs;
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  process.stdout.write(
    `${JSON.stringify({
      scanMs,
      pages,
      podsRead: scan.pods,
      indexedPods: scan.index.size().pods,
      heapPeakMB: heapPeak / 2 ** 20,
      liveAfterPageMB: liveAfterPage / 2 ** 20,
      textBytes: Buffer.byteLength(text),
    })}\n`,
  );
}

await main();
