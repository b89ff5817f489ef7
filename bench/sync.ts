/**
 * Initial sync of the index from the real kube-apiserver, and `hostport-guard scan` of the
 * same cluster: creates pods (one in ten with a hostPort) bound by nodeName to the fake
 * nodes, in a dedicated namespace, with many concurrent POSTs; at each size times several
 * fresh syncs (sync-probe.ts, one process each, with the chart's Node.js options) and
 * several runs of the real CLI (`node bin/hostport-guard.js scan`), each under GNU time
 * for its peak RSS; deletes everything again, even after a failure.
 *
 * Creating pods is what takes long here (a few hundred per second on two shared cores):
 * when the rate seen for the first size says the next one cannot be created within
 * --create-budget seconds in all, that size is lowered (to a multiple of 10,000) and the
 * result says so.
 *
 * Usage: node sync.js --kubeconfig K --out FILE --repo DIR [--sizes 10000,50000] [--reps 3]
 *        [--nodes worker-1,worker-2,worker-3] [--namespace hpg-bench-sync]
 *        [--create-budget 330] [--cleanup api|none]
 * --cleanup none leaves the pods for the caller, who throws the whole cluster away.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

import { createNamespace, deleteNamespace, kubeClient, pool, unlessGone, withRetry } from './lib/kube.js';
import type { ListComparison, ListWay, SyncResult, SyncRow } from './lib/results.js';
import type { LongestGap } from './lib/watched.js';
import { median } from './lib/stats.js';
import { apiPod } from './lib/api-pod.js';
import { chartNodeFlags } from './lib/chart.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

/** Concurrent creates: just below the API server's --max-mutating-requests-inflight (50). */
const CREATE_CONCURRENCY = 40;

interface Probe {
  readonly syncMs: number;
  readonly stallMaxMs: number;
  readonly stallP99Ms: number;
  readonly indexedPods: number;
  readonly nodes: number;
  readonly heapPeakMB: number;
  readonly heapSteadyMB: number;
  readonly rssMB: number;
  /** A re-list in the same process, over the full index (sync-probe.ts). */
  readonly relistMs: number;
  readonly relistStallMaxMs: number;
  readonly relistStallP99Ms: number;
  /** The longest gap of the sync and of the re-list, taken apart (watched.ts); null without schedstat. */
  readonly gap: LongestGap | null;
  readonly relistGap: LongestGap | null;
  /** From the start of each to the first tick of the timer (watched.ts); null without schedstat. */
  readonly firstTickMs: number | null;
  readonly relistFirstTickMs: number | null;
  /** The process's peak resident set, from GNU time. */
  readonly maxRssMB: number;
}

function isProbe(value: unknown): value is Omit<Probe, 'maxRssMB'> {
  return typeof value === 'object' && value !== null && 'syncMs' in value && typeof value.syncMs === 'number';
}

/** The median of the values, or null when any is unknown. */
function knownMedian(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 || known.length < values.length ? null : median(known);
}

/** GNU time's report on stderr: elapsed seconds and peak RSS (KiB). */
const TIME_FORMAT = 'HPG_TIME %e %M';
const TIME_LINE = /^HPG_TIME ([0-9.]+) ([0-9]+)$/m;

/** Runs `args` under GNU time: what it printed, its exit code, and its peak RSS in MiB. */
async function timed(args: readonly string[]): Promise<{ stdout: string; code: number; maxRssMB: number }> {
  const result = await run('/usr/bin/time', ['-f', TIME_FORMAT, ...args], { maxBuffer: 256 << 20 }).then(
    (r) => ({ ...r, code: 0 }),
    (error: unknown) => {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw error;
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code };
    },
  );
  const line = TIME_LINE.exec(result.stderr);
  if (line === null) throw new Error(`no GNU time report in: ${result.stderr.slice(-500)}`);
  return { stdout: result.stdout, code: result.code, maxRssMB: Number(line[2]) / 1024 };
}

/** One sync-probe, with the chart's Node.js options as the webhook's informer runs with them. */
async function probe(kubeconfig: string, nodeFlags: readonly string[]): Promise<Probe> {
  const { stdout, code, maxRssMB } = await timed([process.execPath, '--expose-gc', ...nodeFlags, path.join(here, 'sync-probe.js'), kubeconfig]);
  if (code !== 0) throw new Error(`sync-probe exited ${code}`);
  const parsed: unknown = JSON.parse(stdout.trim());
  if (!isProbe(parsed)) throw new Error(`sync-probe printed ${stdout}`);
  return { ...parsed, maxRssMB };
}

/** What list-probe.ts prints for one way of listing. */
interface ListRun extends ListWay {
  readonly how: 'paginated' | 'streaming';
  readonly indexedPods: number;
}

function isListRun(value: unknown): value is ListRun {
  return typeof value === 'object' && value !== null && 'listMs' in value && typeof value.listMs === 'number' && 'how' in value;
}

async function listRun(kubeconfig: string, how: 'paginated' | 'streaming'): Promise<ListRun> {
  const { stdout } = await run(process.execPath, ['--expose-gc', path.join(here, 'list-probe.js'), kubeconfig, how], { maxBuffer: 1 << 20 });
  const parsed: unknown = JSON.parse(stdout.trim());
  if (!isListRun(parsed)) throw new Error(`list-probe printed ${stdout}`);
  return parsed;
}

/**
 * The pod list alone, paginated as the informer lists it and as a streaming initial list
 * (a watch with sendInitialEvents=true), `reps` times each, alternated on one cluster.
 */
async function compareLists(kubeconfig: string, pods: number, reps: number): Promise<ListComparison> {
  const runs: ListRun[] = [];
  for (let r = 0; r < reps; r++) {
    for (const how of ['paginated', 'streaming'] as const) runs.push(await listRun(kubeconfig, how));
  }
  const way = (how: 'paginated' | 'streaming'): ListWay => {
    const mine = runs.filter((x) => x.how === how);
    if (mine.some((x) => x.indexedPods !== mine[0]?.indexedPods)) throw new Error(`the ${how} lists indexed different numbers of pods: ${JSON.stringify(mine)}`);
    return {
      listMs: median(mine.map((x) => x.listMs)),
      stallMaxMs: median(mine.map((x) => x.stallMaxMs)),
      stallP99Ms: median(mine.map((x) => x.stallP99Ms)),
      heapPeakMB: median(mine.map((x) => x.heapPeakMB)),
      heapSteadyMB: median(mine.map((x) => x.heapSteadyMB)),
    };
  };
  return { pods, runs: reps, paginated: way('paginated'), streaming: way('streaming'), samples: runs };
}

/** What scan-probe.ts prints: one scan measured from the inside. */
interface ScanProbe {
  readonly scanMs: number;
  readonly pages: number;
  readonly podsRead: number;
  readonly heapPeakMB: number;
  readonly liveAfterPageMB: number;
}

function isScanProbe(value: unknown): value is ScanProbe {
  return typeof value === 'object' && value !== null && 'liveAfterPageMB' in value && typeof value.liveAfterPageMB === 'number';
}

async function scanProbe(kubeconfig: string): Promise<ScanProbe> {
  const { stdout } = await run(process.execPath, ['--expose-gc', path.join(here, 'scan-probe.js'), kubeconfig], { maxBuffer: 1 << 20 });
  const parsed: unknown = JSON.parse(stdout.trim());
  if (!isScanProbe(parsed)) throw new Error(`scan-probe printed ${stdout}`);
  return parsed;
}

/** One run of `hostport-guard scan` as a user runs it. */
interface ScanRun {
  readonly ms: number;
  readonly maxRssMB: number;
  /** What its summary says it read. */
  readonly podsRead: number;
  readonly exitCode: number;
}

/** The summary's first line: `5 nodes, 50,003 pods: ...`. */
const SUMMARY = /^([0-9,]+) nodes?, ([0-9,]+) pods?:/;

async function scanRun(repo: string, kubeconfig: string): Promise<ScanRun> {
  const start = performance.now();
  const { stdout, code, maxRssMB } = await timed([process.execPath, path.join(repo, 'bin/hostport-guard.js'), 'scan', '--kubeconfig', kubeconfig]);
  const ms = performance.now() - start;
  const summary = SUMMARY.exec(stdout);
  // 0: no conflict, 1: conflicts shown (the synthetic cluster has them); anything else failed.
  if (summary === null || (code !== 0 && code !== 1)) throw new Error(`scan exited ${code} and printed: ${stdout.slice(0, 500)}`);
  return { ms, maxRssMB, podsRead: Number((summary[2] ?? '').replaceAll(',', '')), exitCode: code };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      out: { type: 'string' },
      sizes: { type: 'string', default: '10000,50000' },
      reps: { type: 'string', default: '3' },
      nodes: { type: 'string', default: 'worker-1,worker-2,worker-3' },
      namespace: { type: 'string', default: 'hpg-bench-sync' },
      'create-budget': { type: 'string', default: '330' },
      cleanup: { type: 'string', default: 'api' },
      repo: { type: 'string' },
    },
  });
  const { kubeconfig, out, namespace, repo } = values;
  if (kubeconfig === undefined || out === undefined || repo === undefined) throw new Error('--kubeconfig, --out and --repo are required');
  const nodeFlags = chartNodeFlags(repo);
  const sizes = values.sizes.split(',').map(Number);
  const reps = Number(values.reps);
  const nodes = values.nodes.split(',');
  const kube = kubeClient(kubeconfig);
  const results: SyncRow[] = [];
  let created = 0;
  let deleteSeconds = Number.NaN;
  const budgetMs = Number(values['create-budget']) * 1000;
  let createMs = 0;
  let rate = Number.NaN;
  const lowered: { from: number; to: number; createdPerSecond: number }[] = [];
  let lists: ListComparison | null = null;
  await createNamespace(kube, namespace);
  try {
    for (const requested of sizes) {
      let size = requested;
      if (Number.isFinite(rate) && createMs + ((size - created) / rate) * 1000 > budgetMs) {
        const fits = created + (rate * (budgetMs - createMs)) / 1000;
        size = Math.max(created, Math.floor(fits / 10_000) * 10_000);
        lowered.push({ from: requested, to: size, createdPerSecond: rate });
        process.stderr.write(`[sync] ${requested} pods cannot be created within ${budgetMs / 1000} s at ${Math.round(rate)}/s: lowered to ${size}\n`);
        if (size === created) continue;
      }
      const start = performance.now();
      const from = created;
      await pool(size - from, CREATE_CONCURRENCY, async (k) => {
        const i = from + k;
        const pod = apiPod(`app-${i}`, nodes[i % nodes.length] ?? 'worker-1', i % 10 === 0 ? 8080 : undefined);
        await withRetry(() => kube.core.createNamespacedPod({ namespace, body: pod }));
      });
      const createSeconds = (performance.now() - start) / 1000;
      createMs += createSeconds * 1000;
      rate = (size - from) / createSeconds;
      created = size;
      process.stderr.write(`[sync] ${size} pods in ${namespace} (${(size - from) / createSeconds} creates/s); timing ${reps} syncs\n`);
      const probes: Probe[] = [];
      const scans: ScanRun[] = [];
      const scanProbes: ScanProbe[] = [];
      // Side by side: a sync and scans of the same cluster take turns.
      for (let r = 0; r < reps; r++) {
        probes.push(await probe(kubeconfig, nodeFlags));
        scans.push(await scanRun(repo, kubeconfig));
        scanProbes.push(await scanProbe(kubeconfig));
      }
      if (scans.some((sc) => sc.podsRead < size)) throw new Error(`scan read fewer pods than the ${size} created: ${JSON.stringify(scans)}`);
      results.push({
        pods: size,
        hostPortPods: Math.ceil(size / 10),
        createdPerSecond: (size - from) / createSeconds,
        syncMs: median(probes.map((p) => p.syncMs)),
        stallMaxMs: median(probes.map((p) => p.stallMaxMs)),
        stallMaxWorstMs: Math.max(...probes.map((p) => p.stallMaxMs)),
        stallP99Ms: median(probes.map((p) => p.stallP99Ms)),
        relistMs: median(probes.map((p) => p.relistMs)),
        relistStallMaxMs: median(probes.map((p) => p.relistStallMaxMs)),
        relistStallMaxWorstMs: Math.max(...probes.map((p) => p.relistStallMaxMs)),
        relistStallP99Ms: median(probes.map((p) => p.relistStallP99Ms)),
        firstTickMs: knownMedian(probes.map((p) => p.firstTickMs)),
        relistFirstTickMs: knownMedian(probes.map((p) => p.relistFirstTickMs)),
        heapPeakMB: median(probes.map((p) => p.heapPeakMB)),
        heapSteadyMB: median(probes.map((p) => p.heapSteadyMB)),
        syncMaxRssMB: median(probes.map((p) => p.maxRssMB)),
        indexedPods: probes[0]?.indexedPods ?? 0,
        scanMs: median(scans.map((sc) => sc.ms)),
        scanMaxRssMB: median(scans.map((sc) => sc.maxRssMB)),
        scanMaxRssWorstMB: Math.max(...scans.map((sc) => sc.maxRssMB)),
        scanPodsRead: scans[0]?.podsRead ?? 0,
        scanRatioToSync: median(scans.map((sc, i) => sc.maxRssMB / (probes[i]?.maxRssMB ?? Number.NaN))),
        scanInsideMs: median(scanProbes.map((p) => p.scanMs)),
        scanHeapPeakMB: median(scanProbes.map((p) => p.heapPeakMB)),
        scanLiveAfterPageMB: median(scanProbes.map((p) => p.liveAfterPageMB)),
        scanHeapRatioToSync: median(scanProbes.map((p, i) => p.heapPeakMB / (probes[i]?.heapPeakMB ?? Number.NaN))),
        probes,
        scans,
        scanProbes,
      });
    }
    process.stderr.write(`[sync] ${created} pods: the paginated list against a streaming initial list, ${reps} times each\n`);
    lists = await compareLists(kubeconfig, created, reps);
  } finally {
    const start = performance.now();
    if (values.cleanup === 'none') {
      await kube.close();
    } else {
      await pool(created, CREATE_CONCURRENCY, async (i) => {
        await withRetry(() => unlessGone(() => kube.core.deleteNamespacedPod({ name: `app-${i}`, namespace, gracePeriodSeconds: 0 })));
      }).catch((error: unknown) => {
        process.stderr.write(`[sync] deleting by name failed (${String(error)}); deleting the namespace's pods at once\n`);
      });
      await deleteNamespace(kube, namespace);
      deleteSeconds = (performance.now() - start) / 1000;
      await kube.close();
    }
  }
  const result: SyncResult = { reps, requestedSizes: sizes, lowered, results, deleteSeconds: Number.isNaN(deleteSeconds) ? null : deleteSeconds, lists };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
