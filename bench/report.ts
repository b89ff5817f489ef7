/**
 * Turns the raw results of one hack/bench.sh run into docs/benchmarks.md: the template
 * (bench/benchmarks.template.md) holds the prose, with `{{name}}` where a table or a
 * number of this run goes. A placeholder without a value fails the run, so the prose
 * can never quote a number that was not measured.
 *
 * A section whose result file is missing (it failed, or was not chosen) does not stop the
 * report: its tables and numbers read "not measured", the run status at the top names it,
 * and the sections that were measured are reported as usual.
 *
 * Usage: node report.js --results DIR --template FILE --out FILE --started ISO --seconds N
 *        [--command TEXT] [--sections engine,memory,...]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { median } from './lib/stats.js';
import type { LongestGap } from './lib/watched.js';
import { medianGap } from './lib/watched.js';
import { MAX_ANNOTATED_CONFLICTS } from '../src/admission/respond.js';
import { INFORMER_PAGE_SIZE } from '../src/cluster/informer.js';
import type { ApiCell, ApiResult, EngineResult, HostileResult, HttpResult, HttpTarget, ListWay, MemoryResult, ReservationCell, ReservationResult, SyncResult, SyncRow } from './lib/results.js';

/** A result file of this run, written moments ago by the benchmark's own programs (results.ts types them). */
function load(dir: string, name: string): unknown {
  return JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234 -> "1,234". */
function n(value: number): string {
  return int.format(value);
}

/** A number with `digits` significant digits, thousands separated. */
function sig(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 10 ** digits) return n(value);
  return new Intl.NumberFormat('en-US', { maximumSignificantDigits: digits }).format(value);
}

function ratio(a: number, b: number, digits = 2): string {
  return `${sig(a / b, digits)}×`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function cpuModel(): string {
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
}

const CASE_LABELS: Record<string, string> = {
  'pinned-free': 'pinned hostNetwork pod, ports free (allow)',
  'pinned-taken': 'pinned hostNetwork pod, a port taken (deny, message built)',
  'unpinned-taken': 'pod the scheduler places, asking for 9100 held on every node (warn)',
};

function engineSection(engine: EngineResult, v: Map<string, string>): string {
  const sizes = engine.clusters.map((c) => c.nodes);
  const cell = (nodes: number, kind: string): EngineResult['cells'][number] => {
    const found = engine.cells.find((c) => c.nodes === nodes && c.case === kind);
    if (found === undefined) throw new Error(`engine.json has no ${kind} at ${nodes} nodes`);
    return found;
  };
  const first = sizes[0] ?? 0;
  const last = sizes.at(-1) ?? 0;
  const rows = Object.keys(CASE_LABELS).map((kind) => {
    const small = cell(first, kind);
    const large = cell(last, kind);
    return [
      CASE_LABELS[kind] ?? kind,
      ...sizes.map((s) => {
        const c = cell(s, kind);
        return `${sig(c.p50us)} / ${sig(c.p99us)}`;
      }),
      `${ratio(large.p50us, small.p50us)} / ${ratio(large.p99us, small.p99us)}`,
    ];
  });
  for (const kind of Object.keys(CASE_LABELS)) {
    for (const s of sizes) {
      const c = cell(s, kind);
      v.set(`engine.${kind}.${s}.p50`, sig(c.p50us));
      v.set(`engine.${kind}.${s}.p99`, sig(c.p99us));
    }
    v.set(`engine.${kind}.ratio.p50`, ratio(cell(last, kind).p50us, cell(first, kind).p50us));
    v.set(`engine.${kind}.ratio.p99`, ratio(cell(last, kind).p99us, cell(first, kind).p99us));
  }
  v.set('engine.annotated', String(MAX_ANNOTATED_CONFLICTS));
  const clusters = table(
    ['nodes', 'pods (30 per node)', 'pods indexed (holding host ports)', 'index built in'],
    engine.clusters.map((c) => [n(c.nodes), n(c.pods), n(c.indexed), `${n(c.buildMs)} ms`]),
  );
  const header = ['decide() for a…', ...sizes.map((s) => `${n(s)} nodes: p50 / p99 (µs)`), `${n(last)} vs ${n(first)} nodes`];
  return `${table(header, rows)}\n\n${clusters}`;
}

/** Milliseconds with two significant digits, or three decimals below a tenth. */
function ms(value: number): string {
  return value < 0.1 ? value.toFixed(3) : sig(value);
}

function hostileSection(hostile: HostileResult, v: Map<string, string>): string {
  const rows = hostile.reviews.map((r) => [
    r.hostile ? `**hostile:** ${r.shape}` : r.shape,
    r.bodyBytes >= 1024 * 1024 ? `${sig(r.bodyBytes / 2 ** 20)} MiB` : `${sig(r.bodyBytes / 1024)} KB`,
    r.answer,
    `${ms(r.blockP50Ms)} / ${ms(r.blockMaxMs)}`,
  ]);
  const worstHostile = Math.max(...hostile.reviews.filter((r) => r.hostile).map((r) => r.blockP50Ms));
  const worstNormal = Math.max(...hostile.reviews.filter((r) => !r.hostile).map((r) => r.blockP50Ms));
  v.set('hostile.worst.p50', ms(worstHostile));
  v.set('hostile.worstNormal.p50', ms(worstNormal));
  v.set('hostile.rounds', n(hostile.rounds));
  v.set('hostile.repeats', n(hostile.repeats));
  const [one, spread] = hostile.check;
  if (one === undefined || spread === undefined) throw new Error('hostile.json has no check rows');
  v.set('hostile.check.decideRatio', ratio(one.decideMs, spread.decideMs));
  v.set('hostile.check.cliRatio', ratio(one.cliMs, spread.cliMs));
  v.set(
    'hostile.check.table',
    table(
      ['check of…', 'decided in process (decideAll)', 'the CLI, end to end'],
      hostile.check.map((c) => [c.shape, `${sig(c.decideMs)} ms`, `${sig(c.cliMs / 1000)} s`]),
    ),
  );
  return table(['one review…', 'body', 'answer', 'event loop blocked: p50 / max (ms)'], rows);
}

function memorySection(memory: MemoryResult, v: Map<string, string>): string {
  const perPod = memory.bytesPerHostPortPod;
  v.set('memory.hostPortPod', n(perPod));
  v.set('memory.plainPod', sig(memory.bytesPerPlainPod, 1));
  v.set('memory.perClusterPod', n(memory.cluster.bytes / memory.cluster.pods));
  v.set('memory.hostPortShare', n((100 * memory.cluster.indexed) / memory.cluster.pods));
  v.set('memory.cluster.MB', sig(memory.cluster.bytes / 2 ** 20, 3));
  v.set('memory.cluster.indexed', n(memory.cluster.indexed));
  v.set('memory.node', n(memory.nodes.bytesPerNode));
  v.set('memory.vsGo', `${n(15_000 / perPod)}–${n(20_000 / perPod)}`);
  v.set('memory.vsNode', n(22_000 / perPod));
  return table(
    ['what', 'heap', 'measured how'],
    [
      ['a pod holding host ports', `**${n(perPod)} bytes** per pod`, `heapUsed after a full GC, before and after indexing ${n(memory.pods)} such pods, ÷ ${n(memory.pods)} (median of ${memory.rounds})`],
      ['a pod without host ports', `${sig(memory.bytesPerPlainPod, 1)} bytes per pod (not stored)`, `the same with ${n(memory.pods)} pods without host ports`],
      [`the whole index of the ${n(memory.cluster.nodes)}-node cluster`, `${sig(memory.cluster.bytes / 2 ** 20, 3)} MiB`, `${n(memory.cluster.pods)} pods, ${n(memory.cluster.indexed)} of them holding host ports, ${n(memory.cluster.nodes)} nodes`],
      [
        `a node (labels, taints, cordon), ${n(memory.nodes.count)} nodes`,
        `**${n(memory.nodes.bytesPerNode)} bytes** per node`,
        `the node table alone (${n(memory.nodes.traits)} distinct sets of labels and taints, shared); each node keeping its own copy: ${n(memory.nodes.bytesPerCopiedNode)} bytes (×${sig(memory.nodes.bytesPerCopiedNode / memory.nodes.bytesPerNode, 2)})`,
      ],
      ['anchor: a Go pod informer', '~15–20 KB per pod', 'published figure, every pod (client-go keeps whole objects)'],
      ['anchor: a full pod object in a Node.js heap', '~22 KB per pod', 'published figure'],
    ],
  );
}

function syncSection(sync: SyncResult, v: Map<string, string>): string {
  const rows = sync.results.map((r) => [
    n(r.pods),
    n(r.indexedPods),
    `${sig(r.syncMs / 1000, 3)} s`,
    `${sig(r.stallMaxMs, 3)} ms (worst ${sig(r.stallMaxWorstMs, 3)} ms)`,
    `${sig(r.stallP99Ms, 3)} ms`,
    `${sig(r.relistStallMaxMs, 3)} ms (worst ${sig(r.relistStallMaxWorstMs, 3)} ms), p99 ${sig(r.relistStallP99Ms, 2)} ms`,
    `${n(r.heapPeakMB)} MiB`,
    `${n(r.heapSteadyMB)} MiB`,
    `${sig(r.heapPeakMB / r.heapSteadyMB, 2)}×`,
    `${n(r.createdPerSecond)}/s`,
  ]);
  for (const r of sync.results) {
    v.set(`sync.${r.pods}.seconds`, sig(r.syncMs / 1000, 3));
    v.set(`sync.${r.pods}.stall`, sig(r.stallMaxMs, 3));
    v.set(`sync.${r.pods}.heap`, n(r.heapPeakMB));
  }
  const last = sync.results.at(-1);
  v.set('sync.largest', n(last?.pods ?? 0));
  v.set('sync.largest.seconds', sig((last?.syncMs ?? Number.NaN) / 1000, 3));
  v.set('sync.largest.stall', sig(last?.stallMaxMs ?? Number.NaN, 3));
  v.set('sync.largest.stallWorst', sig(last?.stallMaxWorstMs ?? Number.NaN, 3));
  v.set('sync.largest.heap', n(last?.heapPeakMB ?? Number.NaN));
  v.set('sync.largest.steady', n(last?.heapSteadyMB ?? Number.NaN));
  v.set('sync.largest.peakToSteady', sig((last?.heapPeakMB ?? Number.NaN) / (last?.heapSteadyMB ?? Number.NaN), 2));
  v.set('sync.largest.stallP99', sig(last?.stallP99Ms ?? Number.NaN, 2));
  v.set('sync.largest.relistStall', sig(last?.relistStallMaxMs ?? Number.NaN, 3));
  v.set('sync.largest.relistStallWorst', sig(last?.relistStallMaxWorstMs ?? Number.NaN, 3));
  v.set('sync.largest.relistSeconds', sig((last?.relistMs ?? Number.NaN) / 1000, 3));
  const lowered = sync.lowered;
  const note =
    lowered.length === 0
      ? ''
      : `\n\n**Lowered in this run:** ${lowered.map((l) => `${n(l.from)} pods could not be created within the time budget at ${n(l.createdPerSecond)} creates/s, so ${n(l.to)} were measured instead`).join('; ')}.`;
  v.set('sync.lowered', lowered.length === 0 ? 'no' : 'yes');
  v.set('sync.largest.rss', n(last?.syncMaxRssMB ?? Number.NaN));
  /** The probes' longest gap of median length, from their own lines. */
  const gapOf = (r: SyncRow, which: 'gap' | 'relistGap'): LongestGap | null =>
    medianGap(r.probes.map((p) => (typeof p === 'object' && p !== null ? (p as Record<string, unknown>)[which] : undefined)));
  const msText = (ms: number | null): string => (ms === null ? 'n/a' : `${sig(ms, 3)} ms`);
  const gapText = (gap: LongestGap | null): string =>
    gap === null ? 'n/a' : `${sig(gap.ms, 3)} ms: ran ${sig(gap.ranMs, 2)}, waited for a core ${sig(gap.waitedMs, 2)}`;
  v.set(
    'sync.gaps',
    table(
      ['pods in the cluster', 'initial sync: longest gap (median), of it the main thread…', 'before its first tick', 're-list: longest gap (median), of it the main thread…', 'before its first tick'],
      sync.results.map((r) => [n(r.pods), gapText(gapOf(r, 'gap')), msText(r.firstTickMs), gapText(gapOf(r, 'relistGap')), msText(r.relistFirstTickMs)]),
    ),
  );
  const waitedShare = sync.results.flatMap((r) => [gapOf(r, 'gap'), gapOf(r, 'relistGap')]).filter((g): g is LongestGap => g !== null);
  v.set('sync.gaps.waitedMost', n(waitedShare.filter((g) => g.waitedMs > g.ranMs).length));
  v.set('sync.gaps.count', n(waitedShare.length));
  return (
    table(
      [
        'pods in the cluster (1 in 10 with a hostPort)',
        'pods indexed',
        'initial sync (median)',
        'longest event-loop stall during sync (median)',
        'event-loop delay p99',
        'longest stall during a re-list while serving (median)',
        'peak heap',
        'steady heap',
        'peak / steady',
        'pods created at',
      ],
      rows,
    ) + note
  );
}

/** The paginated list against a streaming initial list (section 2a). */
function listsSection(sync: SyncResult, v: Map<string, string>): string {
  const lists = sync.lists;
  if (lists === null) throw new Error('sync.json has no list comparison');
  const row = (name: string, w: ListWay): string[] => [
    name,
    `${sig(w.listMs / 1000, 3)} s`,
    `${sig(w.stallMaxMs, 3)} ms`,
    `${sig(w.stallP99Ms, 3)} ms`,
    `${n(w.heapPeakMB)} MiB`,
    `${n(w.heapSteadyMB)} MiB`,
  ];
  const { paginated: p, streaming: s } = lists;
  v.set('lists.pods', n(lists.pods));
  v.set('lists.runs', String(lists.runs));
  v.set('lists.timeRatio', `${sig(s.listMs / p.listMs, 2)}×`);
  v.set('lists.stallRatio', `${sig(s.stallMaxMs / p.stallMaxMs, 2)}×`);
  v.set('lists.heapRatio', `${sig(s.heapPeakMB / p.heapPeakMB, 2)}×`);
  return table(
    ['the pod list, into the index', 'time (median)', 'longest stall', 'event-loop delay p99', 'peak heap', 'steady heap'],
    [row(`paginated, ${INFORMER_PAGE_SIZE} a page (the informer's fallback)`, p), row('streaming initial list (`sendInitialEvents=true`, what the informer does)', s)],
  );
}

function scanSection(sync: SyncResult, v: Map<string, string>): string {
  const rows = sync.results.map((r) => [
    n(r.pods),
    `${sig(r.scanMs / 1000, 3)} s`,
    `${sig(r.scanInsideMs / 1000, 3)} s`,
    `${n(r.scanMaxRssMB)} MiB`,
    `${n(r.syncMaxRssMB)} MiB`,
    `${n(r.scanHeapPeakMB)} MiB`,
    `${n(r.heapPeakMB)} MiB`,
    `${sig(r.scanLiveAfterPageMB, 3)} MiB`,
  ]);
  const first = sync.results[0];
  const last = sync.results.at(-1);
  v.set('scan.largest.seconds', sig((last?.scanMs ?? Number.NaN) / 1000, 3));
  v.set('scan.largest.inside', sig((last?.scanInsideMs ?? Number.NaN) / 1000, 3));
  v.set('scan.largest.rss', n(last?.scanMaxRssMB ?? Number.NaN));
  v.set('scan.largest.syncRss', n(last?.syncMaxRssMB ?? Number.NaN));
  v.set('scan.largest.heap', n(last?.scanHeapPeakMB ?? Number.NaN));
  v.set('scan.largest.live', sig(last?.scanLiveAfterPageMB ?? Number.NaN, 3));
  v.set('scan.largest.rssVsSync', `${sig(last?.scanRatioToSync ?? Number.NaN, 2)}×`);
  v.set('scan.largest.heapVsSync', `${sig(last?.scanHeapRatioToSync ?? Number.NaN, 2)}×`);
  v.set('scan.largest.podsPerSecond', n((last?.scanPodsRead ?? Number.NaN) / ((last?.scanInsideMs ?? Number.NaN) / 1000)));
  v.set('scan.smallest', n(first?.pods ?? 0));
  v.set('scan.smallest.live', sig(first?.scanLiveAfterPageMB ?? Number.NaN, 3));
  v.set('scan.growth.pods', `${sig((last?.pods ?? Number.NaN) / (first?.pods ?? Number.NaN), 2)}×`);
  v.set('scan.growth.live', `${sig((last?.scanLiveAfterPageMB ?? Number.NaN) / (first?.scanLiveAfterPageMB ?? Number.NaN), 2)}×`);
  v.set('scan.startup', sig(((last?.scanMs ?? Number.NaN) - (last?.scanInsideMs ?? Number.NaN)) / 1000, 2));
  return table(
    [
      'pods in the cluster (1 in 10 with a hostPort)',
      '`scan` command (median)',
      'of which reading and reporting',
      'peak RSS: `scan`',
      'peak RSS: sync',
      'heap peak: scan',
      'heap peak: sync',
      'scan: largest live heap after a page',
    ],
    rows,
  );
}

const SERVER_LABELS: Record<string, string> = {
  floor: 'floor: bare `node:https`, parse body, answer allowed',
  'hostport-guard': '**hostport-guard** `serve` (default: one log line per request)',
  'hostport-guard-quiet': 'hostport-guard `serve --log-level warn`',
  opa: 'OPA, data keyed by node',
  'opa-inventory': 'OPA, Gatekeeper-style inventory (scan)',
};

function httpSection(http: HttpResult, v: Map<string, string>): string {
  const target = (name: string): HttpTarget => {
    const found = http.summary[name];
    if (found === undefined) throw new Error(`http.json has no ${name}`);
    return found;
  };
  /** Median over rounds of a's req/s over b's in the same round (the same minute of a shared machine). */
  const pair = (a: string, b: string): number => {
    const other = target(b).roundRps;
    return median(target(a).roundRps.map((rps, i) => rps / (other[i] ?? Number.NaN)));
  };
  const rows = Object.keys(SERVER_LABELS).map((k) => {
    const t = target(k);
    return [SERVER_LABELS[k] ?? k, n(t.rps), `${sig(pair(k, 'floor'), 2)}×`, `${sig(t.p50ms, 3)} ms`, `${sig(t.p99ms, 3)} ms`, `${n(t.serverCpu * 100)} %`];
  });
  for (const k of Object.keys(SERVER_LABELS)) {
    const t = target(k);
    v.set(`http.${k}.rps`, n(t.rps));
    v.set(`http.${k}.p50`, sig(t.p50ms, 3));
    v.set(`http.${k}.p99`, sig(t.p99ms, 3));
    v.set(`http.${k}.cpu`, n(t.serverCpu * 100));
    v.set(`http.${k}.clientCpu`, n(t.clientCpu * 100));
    v.set(`http.${k}.vsFloor`, `${sig(pair(k, 'floor'), 2)}×`);
  }
  v.set('http.vsOpa', `${sig(pair('hostport-guard', 'opa'), 2)}×`);
  v.set('http.quietVsOpa', `${sig(pair('hostport-guard-quiet', 'opa'), 2)}×`);
  v.set('http.quietVsDefault', `${sig(pair('hostport-guard-quiet', 'hostport-guard'), 2)}×`);
  v.set('http.vsInventory', n(pair('hostport-guard', 'opa-inventory')));
  v.set('http.nodes', n(http.nodes));
  v.set('http.hostPortPods', n(http.hostPortPods));
  v.set('http.reviewKB', sig(http.reviewBytes / 1024, 3));
  v.set('http.opaInputKB', sig(http.opaInputBytes / 1024, 3));
  v.set('http.connections', n(http.connections));
  v.set('http.seconds', n(http.durationSeconds));
  v.set('http.warmup', n(http.warmupSeconds));
  v.set('http.rounds', n(http.rounds));
  v.set('http.startup', n(http.startupSeconds));
  const spread = (values: readonly number[], digits: number): string => {
    const [low, high] = [sig(Math.min(...values), digits), sig(Math.max(...values), digits)];
    return low === high ? low : `${low}–${high}`;
  };
  v.set('http.starts', n(http.startup.chart.readySeconds.length));
  v.set('http.idleSeconds', n(http.startup.idleSeconds));
  v.set(
    'http.startupTable',
    table(
      ['`serve --cluster-state` on the 14 MB state', 'ready after (median)', 'RSS when ready (median)', `RSS after ${n(http.startup.idleSeconds)} s idle (median)`, 'RSS, every start'],
      (['chart', 'plain'] as const).map((options) => {
        const runs = http.startup[options];
        return [
          options === 'chart' ? "with the chart's Node.js options" : "without them (Node.js's own heap sizing)",
          `${sig(median(runs.readySeconds), 2)} s`,
          `${n(median(runs.rssReadyMB))} MiB`,
          `${n(median(runs.rssIdleMB))} MiB`,
          `${spread([...runs.rssReadyMB, ...runs.rssIdleMB], 3)} MiB`,
        ];
      }),
    ),
  );
  v.set('http.startup.ready', sig(median(http.startup.chart.readySeconds), 2));
  v.set('http.startup.rss', n(Math.max(median(http.startup.chart.rssReadyMB), median(http.startup.chart.rssIdleMB))));
  v.set('http.startup.rssPlain', n(Math.max(median(http.startup.plain.rssReadyMB), median(http.startup.plain.rssIdleMB))));
  v.set('http.rss.hpg', n(http.rssMB.hostportGuard));
  v.set('http.rss.opa', n(http.rssMB.opa));
  v.set('http.rss.floor', n(http.rssMB.floor));
  v.set('opa.inputParseMs', sig(http.opaTimersMs.inputParse, 2));
  v.set('opa.evalMs', sig(http.opaTimersMs.eval, 2));
  v.set('opa.handlerMs', sig(http.opaTimersMs.handler, 2));
  v.set('check.pods', n(http.check.pods));
  v.set('check.colliding', n(http.check.colliding));
  v.set('check.mismatches', n(http.check.mismatches.length));
  v.set('http.pinned', http.pinned ? 'servers on core 0, the load generator on core 1 (taskset)' : 'not pinned (taskset missing or one core)');
  return table([`server (same input, same ~${sig(http.reviewBytes / 1024, 2)} KB pods)`, 'req/s (median)', 'vs floor', 'p50', 'p99', 'server CPU'], rows);
}

const SETUP_LABELS: Record<string, string> = {
  none: 'no webhook',
  'all-pods-sent': 'webhook, matchConditions removed (every pod sent)',
  'match-conditions': "webhook, the chart's matchConditions",
};

function apiserverSection(api: ApiResult, v: Map<string, string>): string {
  const levels = api.levels;
  const cell = (setup: string, level: number): ApiCell => {
    const found = api.cells.find((c) => c.setup === setup && c.concurrency === level);
    if (found === undefined) throw new Error(`apiserver.json has no ${setup} at concurrency ${level}`);
    return found;
  };
  const rows: string[][] = [];
  for (const level of levels) {
    const base = cell('none', level);
    for (const setup of Object.keys(SETUP_LABELS)) {
      const c = cell(setup, level);
      const added = setup === 'none' ? ['—', '—'] : [`${sig(c.p50ms - base.p50ms, 2)} ms`, `${sig(c.p99ms - base.p99ms, 2)} ms`];
      rows.push([SETUP_LABELS[setup] ?? setup, n(level), n(c.creates), `${sig(c.p50ms, 3)} ms`, `${sig(c.p99ms, 3)} ms`, ...added]);
      v.set(`api.${setup}.${level}.p50`, sig(c.p50ms, 3));
      v.set(`api.${setup}.${level}.p99`, sig(c.p99ms, 3));
      if (setup !== 'none') {
        v.set(`api.${setup}.${level}.addedP50`, sig(c.p50ms - base.p50ms, 2));
        v.set(`api.${setup}.${level}.addedP99`, sig(c.p99ms - base.p99ms, 2));
      }
    }
  }
  v.set('api.podsPerSetup', n(api.podsPerSetup));
  for (const w of api.webhook) v.set(`api.webhook.${w.concurrency}.meanMs`, sig(w.meanMs ?? Number.NaN, 2));
  return table(['setup', 'concurrent clients', 'creates', 'p50', 'p99', 'added p50', 'added p99'], rows);
}

const POD_LABELS: Record<string, string> = {
  pinned: 'pinned pod holding a host port (takes a reservation)',
  plain: 'pod without host ports (sent to the webhook)',
};

function reservationsSection(res: ReservationResult, v: Map<string, string>): string {
  const cell = (kind: string, setup: string, level: number): ReservationCell => {
    const found = res.cells.find((c) => c.kind === kind && c.setup === setup && c.concurrency === level);
    if (found === undefined) throw new Error(`reservations.json has no ${kind}/${setup} at concurrency ${level}`);
    return found;
  };
  const rows: string[][] = [];
  for (const kind of Object.keys(POD_LABELS)) {
    for (const level of res.levels) {
      const local = cell(kind, 'local', level);
      const leases = cell(kind, 'leases', level);
      const key = `res.${kind}.${level}`;
      v.set(`${key}.localP50`, sig(local.p50ms, 3));
      v.set(`${key}.leasesP50`, sig(leases.p50ms, 3));
      v.set(`${key}.addedP50`, sig(leases.p50ms - local.p50ms, 2));
      v.set(`${key}.addedP99`, sig(leases.p99ms - local.p99ms, 2));
      v.set(`${key}.ratioP50`, ratio(leases.p50ms, local.p50ms));
      v.set(`${key}.reservationMs`, sig(leases.reservationMeanMs ?? Number.NaN, 2));
      rows.push([
        POD_LABELS[kind] ?? kind,
        n(level),
        `${n(local.creates)} / ${n(leases.creates)}`,
        `${sig(local.p50ms, 3)} / ${sig(local.p99ms, 3)} ms`,
        `${sig(leases.p50ms, 3)} / ${sig(leases.p99ms, 3)} ms`,
        `${sig(leases.p50ms - local.p50ms, 2)} / ${sig(leases.p99ms - local.p99ms, 2)} ms`,
        `${ratio(leases.p50ms, local.p50ms)} / ${ratio(leases.p99ms, local.p99ms)}`,
        leases.reservationMeanMs === null ? '—' : `${sig(leases.reservationMeanMs, 2)} ms`,
      ]);
    }
  }
  const per = (verb: string): string => sig((res.requests[verb] ?? 0) / res.reservedPods, 2);
  v.set('res.reservedPods', n(res.reservedPods));
  v.set('res.perPod.create', per('create'));
  v.set('res.perPod.get', per('get'));
  v.set('res.perPod.replace', per('replace'));
  v.set('res.perPod.delete', per('delete'));
  const writes = ['create', 'get', 'replace', 'delete'].reduce((sum, verb) => sum + (res.requests[verb] ?? 0), 0);
  v.set('res.perPod.all', sig(writes / res.reservedPods, 2));
  v.set('res.listsPerMinute', sig(((res.requests['list'] ?? 0) / res.leaseWebhookSeconds) * 60, 2));
  v.set('res.plain.pods', n(res.plainRequests.pods));
  v.set('res.plain.requests', n(res.plainRequests.requests));
  v.set('res.drain.leases', n(res.drain.leasesAtEnd));
  v.set('res.drain.seconds', res.drain.secondsToEmpty === null ? 'more than 180' : sig(res.drain.secondsToEmpty, 2));
  v.set('res.drain.seen', n(res.drain.ended['seen'] ?? 0));
  v.set('res.drain.expired', n(res.drain.ended['expired'] ?? 0));
  const failed = Object.values(res.failures).reduce((sum, count) => sum + count, 0);
  v.set('res.failed', failed === 0 ? 'No create was' : `${n(failed)} creates were`);
  v.set('res.rounds', n(res.rounds));
  v.set('res.pinnedPerBlock', n(res.pinnedPerBlock));
  v.set('res.plainPerBlock', n(res.plainPerBlock));
  return table(['pods', 'concurrent clients', 'creates (local / Leases)', 'local only: p50 / p99', 'Leases: p50 / p99', 'added: p50 / p99', 'Leases ÷ local', 'a reservation, in the webhook (mean)'], rows);
}

function phasesSection(results: string, seconds: number, v: Map<string, string>): string {
  const lines = readFileSync(path.join(results, 'phases.txt'), 'utf8').trim().split('\n');
  const rows = lines.map((l) => {
    const [name, s, failed] = l.split(' ');
    return [name ?? '', `${n(Number(s))} s${failed === undefined ? '' : ' (**failed**)'}`];
  });
  rows.push(['**total** (`npm ci` and `npm run build` not included)', `**${n(seconds)} s**`]);
  v.set('run.minutes', sig(seconds / 60, 2));
  const opaBuild = readFileSync(path.join(results, 'opa-build-seconds.txt'), 'utf8').trim();
  v.set('opa.buildMinutes', Number.isFinite(Number(opaBuild)) ? sig(Number(opaBuild) / 60, 2) : 'unknown');
  return table(['phase', 'time'], rows);
}

/** The sections of a run, the placeholders each one fills, and its result file. */
const SECTIONS: readonly { readonly name: string; readonly file: string; readonly prefixes: readonly string[] }[] = [
  { name: 'engine', file: 'engine.json', prefixes: ['engine.'] },
  { name: 'hostile', file: 'hostile.json', prefixes: ['hostile.'] },
  { name: 'memory', file: 'memory.json', prefixes: ['memory.'] },
  { name: 'http', file: 'http.json', prefixes: ['http.', 'opa.', 'check.'] },
  { name: 'apiserver', file: 'apiserver.json', prefixes: ['api.'] },
  { name: 'reservations', file: 'reservations.json', prefixes: ['res.'] },
  { name: 'sync', file: 'sync.json', prefixes: ['sync.', 'scan.', 'lists.'] },
];

/** failed.txt: one `section reason` line per section that failed (an exit status, or `cluster-up`). */
function failures(results: string): Map<string, string> {
  const file = path.join(results, 'failed.txt');
  const failed = new Map<string, string>();
  if (!existsSync(file)) return failed;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, reason] = line.trim().split(' ');
    if (name === undefined || name === '') continue;
    failed.set(name, reason === 'cluster-up' ? 'the bench cluster did not start' : `exit status ${reason ?? '?'}`);
  }
  return failed;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      results: { type: 'string' },
      template: { type: 'string' },
      out: { type: 'string' },
      started: { type: 'string' },
      seconds: { type: 'string' },
      command: { type: 'string', default: 'make bench' },
      'opa-version': { type: 'string', default: 'unknown' },
      sections: { type: 'string', default: SECTIONS.map((s) => s.name).join(',') },
    },
  });
  const { results, template, out, started, seconds } = values;
  if (results === undefined || template === undefined || out === undefined || started === undefined || seconds === undefined) {
    throw new Error('--results, --template, --out, --started and --seconds are required');
  }
  const v = new Map<string, string>();
  const cores = os.availableParallelism();
  const machine = `${n(cores)} cores (${cpuModel()}), ${n(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node.js ${process.version}`;
  v.set('machine', machine);
  v.set('date', started.slice(0, 10));
  v.set('started', started);
  v.set('command', values.command);
  v.set('opa.version', values['opa-version']);
  v.set('caption', `_\`${values.command}\` · ${machine} · ${started.slice(0, 10)}_`);
  const chosen = new Set(values.sections.split(','));
  const failed = failures(results);
  /** Why a section has no numbers in this run, by section name. */
  const absent = new Map<string, string>();
  const build: Record<string, (raw: unknown) => void> = {
    engine: (raw) => v.set('engine.table', engineSection(raw as EngineResult, v)),
    hostile: (raw) => v.set('hostile.table', hostileSection(raw as HostileResult, v)),
    memory: (raw) => v.set('memory.table', memorySection(raw as MemoryResult, v)),
    sync: (raw) => {
      v.set('sync.table', syncSection(raw as SyncResult, v));
      v.set('scan.table', scanSection(raw as SyncResult, v));
      v.set('lists.table', listsSection(raw as SyncResult, v));
    },
    http: (raw) => v.set('http.table', httpSection(raw as HttpResult, v)),
    apiserver: (raw) => v.set('api.table', apiserverSection(raw as ApiResult, v)),
    reservations: (raw) => v.set('res.table', reservationsSection(raw as ReservationResult, v)),
  };
  for (const section of SECTIONS) {
    const reason = failed.get(section.name);
    if (!chosen.has(section.name)) absent.set(section.name, 'not run');
    else if (reason !== undefined) absent.set(section.name, `failed (${reason})`);
    else if (!existsSync(path.join(results, section.file))) absent.set(section.name, `failed (no ${section.file})`);
    else {
      try {
        build[section.name]?.(load(results, section.file));
      } catch (error) {
        absent.set(section.name, `failed (its results could not be reported: ${error instanceof Error ? error.message : String(error)})`);
      }
    }
  }
  v.set('phases.table', phasesSection(results, Number(seconds), v));
  v.set(
    'run.status',
    absent.size === 0
      ? `All ${SECTIONS.length} sections were measured in this run.`
      : `**Not measured in this run:** ${[...absent].map(([name, why]) => `${name} (${why})`).join('; ')}. Their tables and numbers below read "not measured"; every other number is from this run.`,
  );
  /** The stand-in for a placeholder of a section this run has no numbers for. */
  const standIn = (key: string): string | undefined => {
    const section = SECTIONS.find((s) => s.prefixes.some((p) => key.startsWith(p)));
    const why = section === undefined ? undefined : absent.get(section.name);
    return why === undefined || section === undefined ? undefined : `_not measured (${section.name}: ${why})_`;
  };
  const text = readFileSync(template, 'utf8');
  const missing = new Set<string>();
  const filled = text.replace(/\{\{([a-zA-Z0-9._-]+)\}\}/g, (_m, key: string) => {
    const value = v.get(key) ?? standIn(key);
    if (value === undefined) missing.add(key);
    return value ?? '';
  });
  if (missing.size > 0) throw new Error(`${template}: no value for ${[...missing].join(', ')}`);
  writeFileSync(out, filled);
}

main();
