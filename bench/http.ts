/**
 * HTTPS end to end, side by side in one run: `hostport-guard serve` on a 5,000-node
 * cluster state (with its default per-request log, and with --log-level warn), the floor
 * (a bare node:https server that parses the body and allows), and OPA evaluating the
 * same collision rule over the same cluster loaded as data (keyed by node, and as a
 * Gatekeeper-style inventory). `serve` runs with the chart's NODE_OPTIONS (its
 * `nodeOptions`), as the webhook does when installed. Servers share one core, the load
 * generator has the other. First every engine must give the same decisions for a sample
 * of pods (some colliding, some not): the benchmark fails if they disagree.
 *
 * Usage: node http.js --out FILE --work DIR --certs DIR --opa BIN [--nodes 5000]
 *        [--rounds 5] [--warmup 1] [--duration 4] [--connections 8] [--check 200]
 *
 * Ratios to the floor are taken within each round (the same minute of a shared
 * machine), and the report gives their median.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { decide } from '../src/admission/decide.js';
import { decodeReview } from '../src/admission/review.js';
import { subjectOf } from '../src/admission/subject.js';
import { PodIndex } from '../src/cluster/pod-index.js';
import { DEFAULTS } from '../src/config/settings.js';
import { chartNodeOptions } from './lib/chart.js';
import type { Server } from './lib/proc.js';
import { call, CLIENT_CPU, cpuSeconds, output, pinned, SERVER_CPU, startServer, waitUntil } from './lib/proc.js';
import type { HttpResult, HttpTarget } from './lib/results.js';
import { median } from './lib/stats.js';
import { hostPortPods, inventory, podsByNode, stateFile } from './lib/state.js';
import type { Subject } from './lib/subjects.js';
import { subjects } from './lib/subjects.js';
import { clusterNodes } from './lib/synthetic.js';
import { admissionRequest, admissionReview, opaInput, reviewPod } from './lib/wire.js';
import { freePorts } from '../test/support/ports.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** One load target: where to POST which bodies, and the process answering. */
interface Target {
  readonly name: string;
  readonly server: Server;
  readonly url: string;
  readonly bodies: string;
}

interface LoadRun {
  readonly rps: number;
  /** null when nothing completed in the window (JSON has no NaN). */
  readonly p50ms: number | null;
  readonly p99ms: number | null;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  readonly answers: Record<string, number>;
  readonly failedConnections: number;
  readonly clientCpu: number;
  readonly serverCpu: number;
}

function isLoadRun(value: unknown): value is Omit<LoadRun, 'serverCpu'> {
  return typeof value === 'object' && value !== null && 'rps' in value && typeof value.rps === 'number';
}

/** The env of `serve`: no HOSTPORT_GUARD_* settings from the caller's shell, loopback only, and the chart's NODE_OPTIONS. */
function serveEnv(repo: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('HOSTPORT_GUARD_')) env[name] = value;
  return { ...env, HOSTPORT_GUARD_HOST: '127.0.0.1', HOSTPORT_GUARD_HEALTH_HOST: '127.0.0.1', NODE_OPTIONS: chartNodeOptions(repo) };
}

function reviewBody(s: Subject, dryRun: boolean): string {
  return JSON.stringify(admissionReview(admissionRequest(reviewPod(s.spec), `req-${s.spec.name}`, s.spec.namespace, dryRun)));
}

function opaBody(s: Subject): string {
  return JSON.stringify(opaInput(admissionRequest(reviewPod(s.spec), `req-${s.spec.name}`, s.spec.namespace, true)));
}

/** Holders named by OPA's `result` (a set of {holder, port, held}). */
function opaHolders(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('result' in parsed) || !Array.isArray(parsed.result)) throw new Error(`OPA answered ${text.slice(0, 300)}`);
  const holders = new Set<string>();
  for (const entry of parsed.result as unknown[]) {
    if (typeof entry === 'object' && entry !== null && 'holder' in entry && typeof entry.holder === 'string') holders.add(entry.holder);
  }
  return [...holders].sort();
}

function allowedOf(text: string): boolean {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('response' in parsed)) throw new Error(`not an AdmissionReview: ${text.slice(0, 300)}`);
  const response = parsed.response;
  if (typeof response !== 'object' || response === null || !('allowed' in response) || typeof response.allowed !== 'boolean') throw new Error(`no response.allowed: ${text.slice(0, 300)}`);
  return response.allowed;
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

/** How many times `serve` is started alone, for its start-up time and memory, with each set of Node.js options. */
const STARTS = 3;

/** How long `serve` sits idle after it is ready before its memory is read again. */
const IDLE_MS = 2000;

/**
 * `serve` on the state, started alone on the servers' core with nothing else running,
 * STARTS times with the chart's Node.js options and as many without any (Node.js's own
 * heap sizing), alternated: the seconds until /readyz answers (polled every 20 ms), its
 * RSS then, and its RSS after IDLE_MS of idling.
 */
async function startups(serveArgs: (port: number, health: number) => string[], repo: string, logFile: string): Promise<HttpResult['startup']> {
  const none = (): { readySeconds: number[]; rssReadyMB: number[]; rssIdleMB: number[] } => ({ readySeconds: [], rssReadyMB: [], rssIdleMB: [] });
  const runs = { chart: none(), plain: none() };
  for (let i = 0; i < STARTS; i++) {
    for (const options of i % 2 === 0 ? (['chart', 'plain'] as const) : (['plain', 'chart'] as const)) {
      const [port = 0, health = 0] = await freePorts(2);
      const env = { ...serveEnv(repo), NODE_OPTIONS: options === 'chart' ? chartNodeOptions(repo) : '' };
      const startedAt = performance.now();
      const server = startServer(`hostport-guard (start-up, ${options})`, process.execPath, serveArgs(port, health), env, logFile, SERVER_CPU);
      try {
        const deadline = startedAt + 60_000;
        for (;;) {
          if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.name} exited before it was ready`);
          if ((await call(health, 'GET', '/readyz', undefined, undefined).catch(() => ({ status: 0 }))).status === 200) break;
          if (performance.now() > deadline) throw new Error(`${server.name}: not ready after 60 s`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        runs[options].readySeconds.push((performance.now() - startedAt) / 1000);
        runs[options].rssReadyMB.push(rssMB(server.pid));
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        runs[options].rssIdleMB.push(rssMB(server.pid));
      } finally {
        await server.stop();
      }
    }
  }
  return { idleSeconds: IDLE_MS / 1000, ...runs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      work: { type: 'string' },
      certs: { type: 'string' },
      opa: { type: 'string' },
      repo: { type: 'string', default: path.resolve(here, '../../..') },
      nodes: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      duration: { type: 'string', default: '4' },
      connections: { type: 'string', default: '8' },
      check: { type: 'string', default: '200' },
    },
  });
  const { out, work, certs, opa, repo } = values;
  if (out === undefined || work === undefined || certs === undefined || opa === undefined) throw new Error('--out, --work, --certs and --opa are required');
  mkdirSync(work, { recursive: true });
  const nodes = Number(values.nodes);
  const ca = readFileSync(path.join(certs, 'ca.crt'));
  const caFile = path.join(certs, 'ca.crt');
  const tlsCert = path.join(certs, 'tls.crt');
  const tlsKey = path.join(certs, 'tls.key');

  const pods = hostPortPods(nodes);
  const statePath = path.join(work, 'cluster-state.json');
  writeFileSync(statePath, stateFile(nodes, pods));
  const load = subjects(nodes, 64, 'load');
  const reviewBodies = load.map((s) => reviewBody(s, false));
  const reviewsFile = path.join(work, 'bodies-review.json');
  const opaFile = path.join(work, 'bodies-opa.json');
  writeFileSync(reviewsFile, JSON.stringify(reviewBodies));
  writeFileSync(opaFile, JSON.stringify(load.map(opaBody)));

  const [p1 = 0, h1 = 0, p2 = 0, h2 = 0, p3 = 0, p4 = 0] = await freePorts(6);
  const bin = path.join(repo, 'bin/hostport-guard.js');
  const serveArgs = (port: number, health: number, level: string): string[] => [
    bin, 'serve', '--cluster-state', statePath, '--tls-cert', tlsCert, '--tls-key', tlsKey,
    '--port', String(port), '--health-port', String(health), '--mode', 'enforce', '--log-level', level,
  ];
  const startup = await startups((port, health) => serveArgs(port, health, 'info'), repo, path.join(work, 'serve-startup.log'));
  const servers: Server[] = [];
  try {
    const startedAt = performance.now();
    const ours = startServer('hostport-guard', process.execPath, serveArgs(p1, h1, 'info'), serveEnv(repo), path.join(work, 'serve-info.log'), SERVER_CPU);
    servers.push(ours);
    const quiet = startServer('hostport-guard (warn)', process.execPath, serveArgs(p2, h2, 'warn'), serveEnv(repo), path.join(work, 'serve-warn.log'), SERVER_CPU);
    servers.push(quiet);
    const floor = startServer('floor', process.execPath, [path.join(here, 'floor-server.js'), '--port', String(p3), '--cert', tlsCert, '--key', tlsKey], process.env, path.join(work, 'floor.log'), SERVER_CPU);
    servers.push(floor);
    const policy = path.join(repo, 'bench/opa');
    const opaServer = startServer('opa', opa, ['run', '--server', '--addr', `127.0.0.1:${p4}`, '--tls-cert-file', tlsCert, '--tls-private-key-file', tlsKey, '--log-level', 'error', '--skip-version-check', policy], process.env, path.join(work, 'opa.log'), SERVER_CPU);
    servers.push(opaServer);

    await waitUntil('OPA answers /health', async () => (await call(p4, 'GET', '/health', undefined, ca)).status === 200, 60_000, opaServer);
    for (const [doc, value] of [['cluster/nodes', podsByNode(pods)], ['inventory', inventory(pods)]] as const) {
      const res = await call(p4, 'PUT', `/v1/data/${doc}`, JSON.stringify(value), ca);
      if (res.status !== 204) throw new Error(`PUT /v1/data/${doc}: ${res.status} ${res.text.slice(0, 300)}`);
    }
    await waitUntil('the floor listens', async () => (await call(p3, 'GET', '/', undefined, ca)).status > 0, 30_000, floor);
    await waitUntil('hostport-guard is ready', async () => (await call(h1, 'GET', '/readyz', undefined, undefined)).status === 200, 180_000, ours);
    await waitUntil('hostport-guard (warn) is ready', async () => (await call(h2, 'GET', '/readyz', undefined, undefined)).status === 200, 180_000, quiet);
    const startupSeconds = (performance.now() - startedAt) / 1000;

    // Decisions must agree before any number counts.
    const index = new PodIndex();
    index.replaceAllNodes(clusterNodes(nodes));
    index.replaceAllPods(pods);
    const mismatches: unknown[] = [];
    const sample = subjects(nodes, Number(values.check), 'check');
    let colliding = 0;
    for (const s of sample) {
      const body = reviewBody(s, true);
      const decoded = decodeReview(JSON.parse(body));
      if (!decoded.ok || decoded.review.target.kind !== 'decide') throw new Error('a check subject does not decode');
      // The served webhook runs with the default configuration, so the engine does too.
      const engine = decide(subjectOf(decoded.review.target.object, s.spec.namespace), 'enforce', index, DEFAULTS);
      const engineHolders = [...new Set(engine.conflicts.map((c) => (c.kind === 'pod' ? `${c.holder.namespace}/${c.holder.name}` : `reserved/${c.held.owner}`)))].sort();
      const served = allowedOf((await call(p1, 'POST', '/validate', body, ca)).text);
      const opaNode = opaHolders((await call(p4, 'POST', '/v1/data/hostports/deny', opaBody(s), ca)).text);
      const opaInventory = opaHolders((await call(p4, 'POST', '/v1/data/hostports_inventory/deny', opaBody(s), ca)).text);
      if (s.variant.collides) colliding += 1;
      // A colliding pod is denied unless the scheduler resolves the collision (a
      // DaemonSet pod of a higher priority preempts the holder): then it is admitted with
      // a warning, served and engine alike. OPA's rule names the holders either way.
      const agree =
        served === (engine.kind !== 'deny') &&
        (engine.conflicts.length > 0) === s.variant.collides &&
        JSON.stringify(engineHolders) === JSON.stringify(opaNode) &&
        JSON.stringify(opaNode) === JSON.stringify(opaInventory);
      if (!agree) mismatches.push({ pod: s.spec.name, node: s.spec.node, variant: s.variant.label, expectedCollision: s.variant.collides, served, engine: engine.kind, engineHolders, opaNode, opaInventory });
    }
    const check = { pods: sample.length, colliding, mismatches };
    if (mismatches.length > 0) {
      writeFileSync(out, `${JSON.stringify({ check }, null, 2)}\n`);
      throw new Error(`hostport-guard and OPA disagree on ${mismatches.length} of ${sample.length} pods; see ${out}`);
    }

    const targets: Target[] = [
      { name: 'hostport-guard', server: ours, url: `https://127.0.0.1:${p1}/validate`, bodies: reviewsFile },
      { name: 'hostport-guard-quiet', server: quiet, url: `https://127.0.0.1:${p2}/validate`, bodies: reviewsFile },
      { name: 'floor', server: floor, url: `https://127.0.0.1:${p3}/validate`, bodies: reviewsFile },
      { name: 'opa', server: opaServer, url: `https://127.0.0.1:${p4}/v1/data/hostports/deny`, bodies: opaFile },
      { name: 'opa-inventory', server: opaServer, url: `https://127.0.0.1:${p4}/v1/data/hostports_inventory/deny`, bodies: opaFile },
    ];
    const runs = new Map<string, LoadRun[]>();
    const rounds = Number(values.rounds);
    for (let r = 0; r < rounds; r++) {
      // A different order each round, so no target always follows the same neighbour.
      const order = targets.map((_, i) => targets[(i + r) % targets.length]).filter((t): t is Target => t !== undefined);
      for (const target of order) {
        const cpu0 = cpuSeconds(target.server.pid);
        const t0 = performance.now();
        const [cmd, args] = pinned(CLIENT_CPU, process.execPath, [
          path.join(here, 'load.js'), '--url', target.url, '--ca', caFile, '--bodies', target.bodies,
          '--connections', values.connections, '--warmup', values.warmup, '--duration', values.duration,
        ]);
        const stdout = await output(cmd, args);
        const wall = (performance.now() - t0) / 1000;
        const parsed: unknown = JSON.parse(stdout.trim());
        if (!isLoadRun(parsed)) throw new Error(`load.js printed ${stdout}`);
        const serverCpu = (cpuSeconds(target.server.pid) - cpu0) / wall;
        const list = runs.get(target.name) ?? [];
        list.push({ ...parsed, serverCpu });
        runs.set(target.name, list);
        process.stderr.write(`[http] round ${r + 1} ${target.name}: ${Math.round(parsed.rps)} req/s, p50 ${(parsed.p50ms ?? Number.NaN).toFixed(2)} ms, p99 ${(parsed.p99ms ?? Number.NaN).toFixed(2)} ms, server CPU ${(serverCpu * 100).toFixed(0)} %\n`);
      }
    }
    const summary = Object.fromEntries(
      [...runs].map(([name, list]): [string, HttpTarget] => [
        name,
        {
          rps: median(list.map((l) => l.rps)),
          roundRps: list.map((l) => l.rps),
          p50ms: median(list.map((l) => l.p50ms ?? Number.NaN)),
          p99ms: median(list.map((l) => l.p99ms ?? Number.NaN)),
          serverCpu: median(list.map((l) => l.serverCpu)),
          clientCpu: median(list.map((l) => l.clientCpu)),
          runs: list,
        },
      ]),
    );
    // Where OPA's time goes, from its own timers on the warm server.
    const timers: Record<string, number[]> = { timer_rego_input_parse_ns: [], timer_rego_query_eval_ns: [], timer_server_handler_ns: [] };
    for (const body of JSON.parse(readFileSync(opaFile, 'utf8')) as string[]) {
      const res = await call(p4, 'POST', '/v1/data/hostports/deny?metrics=true', body, ca);
      const parsed: unknown = JSON.parse(res.text);
      const metrics = typeof parsed === 'object' && parsed !== null && 'metrics' in parsed ? parsed.metrics : undefined;
      for (const [name, list] of Object.entries(timers)) {
        const value: unknown = typeof metrics === 'object' && metrics !== null ? Object.getOwnPropertyDescriptor(metrics, name)?.value : undefined;
        if (typeof value === 'number') list.push(value / 1e6);
      }
    }
    const result: HttpResult = {
      nodes,
      hostPortPods: pods.length,
      reviewBytes: median(reviewBodies.map((b) => Buffer.byteLength(b))),
      opaInputBytes: median(load.map((s) => Buffer.byteLength(opaBody(s)))),
      connections: Number(values.connections),
      warmupSeconds: Number(values.warmup),
      durationSeconds: Number(values.duration),
      rounds,
      pinned: SERVER_CPU !== undefined,
      startupSeconds,
      startup,
      rssMB: { hostportGuard: rssMB(ours.pid), opa: rssMB(opaServer.pid), floor: rssMB(floor.pid) },
      opaTimersMs: {
        inputParse: median(timers['timer_rego_input_parse_ns'] ?? []),
        eval: median(timers['timer_rego_query_eval_ns'] ?? []),
        handler: median(timers['timer_server_handler_ns'] ?? []),
      },
      check,
      summary,
    };
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

await main();
