/**
 * Hostile shapes next to normal ones: how long one review blocks the event loop, and how
 * `check` scales with many pods on one node.
 *
 * 1. Reviews: every request to `/validate` is decided in one synchronous step (parse the
 *    body, decode the review, decide, write the answer), during which nothing else runs:
 *    no other review, no probe. That step is timed here, in process, with the server's own
 *    code (JSON.parse, decodeReview, the Responder over the real PodIndex and
 *    ReservingView, JSON.stringify), for ordinary reviews on the 5,000-node synthetic
 *    cluster and for the shapes that once stalled the webhook for seconds. Each shape runs
 *    REPEATS times per round, in interleaved rounds; the table gives the median of the
 *    rounds' p50 and the largest block seen.
 * 2. check: 8,000 pods pinned to one node against 8,000 spread over 100 nodes, decided
 *    in process (decideAll) and through the real CLI (`node bin/hostport-guard.js check`).
 *
 * Usage: node hostile.js --out FILE --repo DIR [--rounds 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { responderFor } from '../src/admission/respond.js';
import type { Responder } from '../src/admission/respond.js';
import { decodeReview } from '../src/admission/review.js';
import { decideAll } from '../src/cli/check.js';
import { stateFromText } from '../src/cli/state-file.js';
import type { NodeEntry } from '../src/cluster/pod-index.js';
import { PodIndex } from '../src/cluster/pod-index.js';
import { ReservingView } from '../src/cluster/reservations.js';
import { MAX_SKIP_DEPTH } from '../src/server/managed-fields.js';
import { parseJsonBody } from '../src/server/read-body.js';
import type { PodLike } from '../src/engine/types.js';
import { DEFAULTS } from '../src/config/settings.js';
import { readManifests } from '../src/manifests/read.js';
import type { HostileResult } from './lib/results.js';
import { median } from './lib/stats.js';
import { subjects } from './lib/subjects.js';
import { clusterNodes, clusterPods } from './lib/synthetic.js';
import type { Json } from './lib/wire.js';
import { admissionRequest, admissionReview, reviewPod } from './lib/wire.js';

const REPEATS = 20;

/** One kind of review: its body, where it is decided, and whether it is one of the hostile shapes. */
interface Shape {
  readonly name: string;
  readonly hostile: boolean;
  readonly body: Buffer;
  readonly respond: Responder;
}

/** A pod pinned to `node` with the given container ports (no hostNetwork: hostPort pods). */
function pinnedPod(name: string, node: string | undefined, ports: readonly Json[]): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'media', uid: `uid-${name}` },
    spec: { ...(node === undefined ? {} : { nodeName: node }), containers: [{ name: 'rtp', image: 'media:1', ports }] },
  };
}

/** `n` ports on 80/TCP, each on its own address. */
function spreadPorts(n: number): Json[] {
  return Array.from({ length: n }, (_, i) => ({ containerPort: 80, hostPort: 80, protocol: 'TCP', hostIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
}

/** `n` ports on 0.0.0.0, numbered from 20000. */
function numberedPorts(n: number): Json[] {
  return Array.from({ length: n }, (_, i) => ({ containerPort: 20000 + i, hostPort: 20000 + i, protocol: 'TCP' }));
}

function podLike(object: Json): PodLike {
  const result = decodeReview(admissionReview(admissionRequest(object, 'index', 'media', false)));
  if (!result.ok || result.review.target.kind !== 'decide' || result.review.target.object.kind !== 'Pod') throw new Error('a holder does not decode');
  const pod = result.review.target.object;
  return { metadata: pod.metadata, spec: pod.spec, status: { phase: 'Running' } };
}

/** The server's default rules: the kubelet's ports reserved, undeclared ports warned about. */
const RULES = { reservedPorts: DEFAULTS.reservedPorts, undeclaredPorts: DEFAULTS.undeclaredPorts } as const;

/** A responder over an index holding `holders` (and `nodes` nodes), in enforce mode. */
function responderOver(holders: Iterable<PodLike>, nodes: readonly NodeEntry[]): Responder {
  const index = new PodIndex();
  index.replaceAllNodes(nodes);
  index.replaceAllPods(holders);
  const view = new ReservingView(index, { now: () => performance.now(), ttlMs: DEFAULTS.reservationTtlSeconds * 1000 });
  return responderFor({ defaultMode: 'enforce', exemptNamespaces: new Set(), ...RULES }, index, view);
}

function bodyOf(pod: Json, uid: string): Buffer {
  return Buffer.from(JSON.stringify(admissionReview(admissionRequest(pod, uid, 'media', true))));
}

function shapes(): Shape[] {
  // Normal: DaemonSet-like pods on the 5,000-node synthetic cluster of section 1.
  const nodes = 5000;
  const normal = responderOver(clusterPods(nodes), clusterNodes(nodes));
  const picked = subjects(nodes, 100, 'hostile');
  const free = picked.find((s) => !s.variant.collides);
  const taken = picked.find((s) => s.variant.collides);
  if (free === undefined || taken === undefined) throw new Error('no subjects');
  const unpinned = reviewPod({ ...free.spec, ports: [{ port: 9100, protocol: 'TCP' }] });
  const spec = unpinned['spec'];
  if (typeof spec === 'object' && spec !== null) Reflect.deleteProperty(spec, 'affinity');

  // Hostile: a holder of 3,000 (and 1,024) ports on 80/TCP, each on its own address, on one node.
  const node = [{ name: 'media-1', hostname: 'media-1' }];
  const wide3000 = responderOver([podLike(pinnedPod('holder', 'media-1', spreadPorts(3000)))], node);
  const wide1024 = responderOver([podLike(pinnedPod('holder', 'media-1', spreadPorts(1024)))], node);
  const wide20000 = responderOver([podLike(pinnedPod('holder', 'media-1', spreadPorts(20000)))], node);
  // 100 nodes, each running a pod that holds 1,024 ports (a media DaemonSet).
  const mediaNodes = Array.from({ length: 100 }, (_, i) => ({ name: `media-${i}`, hostname: `media-${i}` }));
  const daemonSet = responderOver(mediaNodes.map((n) => podLike(pinnedPod(`agent-${n.name}`, n.name, numberedPorts(1024)))), mediaNodes);

  return [
    { name: 'pinned pod, ports free (5,000 nodes)', hostile: false, body: bodyOf(reviewPod(free.spec), 'a'), respond: normal },
    { name: 'pinned pod, a port taken (5,000 nodes)', hostile: false, body: bodyOf(reviewPod(taken.spec), 'b'), respond: normal },
    { name: 'pod the scheduler places, 9100 held on every node (5,000 nodes)', hostile: false, body: bodyOf(unpinned, 'c'), respond: normal },
    { name: '3,000 ports on 80/TCP on distinct addresses, against a holder with the same', hostile: true, body: bodyOf(pinnedPod('new', 'media-1', spreadPorts(3000)), 'd'), respond: wide3000 },
    { name: '1,024 ports (the budget) on 80/TCP on distinct addresses, against a holder with the same', hostile: true, body: bodyOf(pinnedPod('new', 'media-1', spreadPorts(1024)), 'e'), respond: wide1024 },
    { name: '0.0.0.0:80 against a holder of 20,000 addresses on 80/TCP', hostile: true, body: bodyOf(pinnedPod('new', 'media-1', [{ containerPort: 80, hostPort: 80 }]), 'f'), respond: wide20000 },
    { name: 'pod the scheduler places with 1,024 ports, all held on each of 100 nodes', hostile: true, body: bodyOf(pinnedPod('new', undefined, numberedPorts(1024)), 'g'), respond: daemonSet },
    { name: 'a review of 3 MiB (a pod with 30,000 environment variables), the most the API server sends', hostile: false, body: bodyOf(bigPod(), 'h'), respond: normal },
    { name: 'a review with ~3 MiB of managedFields (left unparsed)', hostile: false, body: bodyOf(managedFieldsPod(19_000, false), 'i'), respond: normal },
    { name: `the same, the last entry nested ${MAX_SKIP_DEPTH + 1} deep: scanned to the end, then parsed whole`, hostile: true, body: bodyOf(managedFieldsPod(19_000, true), 'j'), respond: normal },
    { name: 'a body of 3 MiB of tiny managedFields lists (past eight, parsed whole)', hostile: true, body: Buffer.from(`[${'{"managedFields":[1]},'.repeat(150_000)}{}]`), respond: normal },
    { name: 'a body of 100,000 nested arrays (200 KB)', hostile: true, body: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), respond: normal },
    { name: 'a body of 2 million nested arrays (4 MiB, the body limit)', hostile: true, body: Buffer.from(`${'['.repeat(2 * 1024 * 1024)}${']'.repeat(2 * 1024 * 1024 - 1)}`), respond: normal },
  ];
}

/** A pod pinned to a free node of the synthetic cluster, with 30,000 environment variables: ~3 MiB. */
function bigPod(): Json {
  const env = Array.from({ length: 30_000 }, (_, i) => ({ name: `VARIABLE_${i}`, value: 'v'.repeat(72) }));
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', namespace: 'media', uid: 'uid-big' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x', env, ports: [{ containerPort: 8081, hostPort: 8081 }] }] } };
}

/**
 * A pod pinned to a free node with `entries` managedFields entries (~2.9 MiB for 19,000).
 * With `deepLast`, the last is nested past the levels managed-fields.ts skips: the scan
 * reads them all and gives up, and the body is parsed whole.
 */
function managedFieldsPod(entries: number, deepLast: boolean): Json {
  const managedFields: Json[] = Array.from({ length: entries }, (_, i) => ({
    manager: `manager-${i}`,
    operation: 'Update',
    apiVersion: 'v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, [`f:label-${i}`]: {} } } },
  }));
  if (deepLast) {
    let deep: Json = {};
    for (let i = 0; i <= MAX_SKIP_DEPTH; i++) deep = { 'f:x': deep };
    managedFields.push({ manager: 'deep', fieldsV1: deep });
  }
  const pod = pinnedPod('fields', 'node-1', [{ containerPort: 8082, hostPort: 8082 }]);
  return { ...pod, metadata: { ...(pod['metadata'] as Json), managedFields } };
}

/** What the server does with one body, synchronously (read-body.ts, then the handler); returns what it answered. */
function handle(shape: Shape): string {
  const parsed = parseJsonBody(shape.body);
  if (!parsed.ok) return `400 (${parsed.refusal})`;
  const decoded = decodeReview(parsed.value);
  if (!decoded.ok) return `400 (${decoded.code})`;
  const answer = shape.respond(decoded.review);
  JSON.stringify(answer.review);
  return answer.kind === 'decided' ? `${answer.decision.kind}, ${answer.decision.conflictCount} conflicts` : answer.kind;
}

function timeShape(shape: Shape): { blocks: number[]; answer: string } {
  const blocks: number[] = [];
  let answer = '';
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    answer = handle(shape);
    blocks.push(performance.now() - t0);
  }
  return { blocks, answer };
}

/** 8,000 hostPort pods, each on its own port: all on worker-1, or 80 on each of 100 nodes. */
function checkManifests(onOneNode: boolean): string {
  return Array.from({ length: 8000 }, (_, i) => {
    const node = onOneNode ? 'node-0' : `node-${i % 100}`;
    // From 20000, clear of the kubelet's ports (10248, 10250), which check reserves by default.
    const port = onOneNode ? 20000 + i : 20000 + Math.floor(i / 100);
    return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}` }, spec: { nodeName: node, containers: [{ name: 'c', ports: [{ containerPort: port, hostPort: port }] }] } });
  }).join('\n---\n');
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, repo: { type: 'string' }, rounds: { type: 'string', default: '5' } } });
  if (values.out === undefined || values.repo === undefined) throw new Error('--out and --repo are required');
  const rounds = Number(values.rounds);

  const all = shapes();
  for (const shape of all) timeShape(shape); // warm-up
  const samples = new Map<string, { p50s: number[]; max: number; answer: string }>();
  for (let r = 0; r < rounds; r++) {
    for (const shape of all) {
      const { blocks, answer } = timeShape(shape);
      const cell = samples.get(shape.name) ?? { p50s: [], max: 0, answer };
      cell.p50s.push(median(blocks));
      cell.max = Math.max(cell.max, ...blocks);
      samples.set(shape.name, cell);
    }
  }

  // check: the same 8,000 pods on one node and spread, decided in process and by the CLI.
  const dir = mkdtempSync(path.join(tmpdir(), 'hpg-bench-check-'));
  const nodeItems = Array.from({ length: 100 }, (_, i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}` } } }));
  const stateText = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodeItems });
  writeFileSync(path.join(dir, 'state.json'), stateText);
  const check: { shape: string; decideMs: number[]; cliMs: number[] }[] = [
    { shape: '8,000 pods pinned to one node', decideMs: [], cliMs: [] },
    { shape: '8,000 pods spread over 100 nodes', decideMs: [], cliMs: [] },
  ];
  for (const i of check.keys()) writeFileSync(path.join(dir, `pods-${i}.yaml`), checkManifests(i === 0));
  const bin = path.join(values.repo, 'bin/hostport-guard.js');
  for (let r = 0; r < Math.min(rounds, 3); r++) {
    for (const [i, row] of check.entries()) {
      const manifests = readManifests([{ file: `pods-${i}.yaml`, text: checkManifests(i === 0) }]);
      const state = stateFromText(stateText, 'state.json');
      if (!state.ok) throw new Error(state.errors.join('\n'));
      const t0 = performance.now();
      decideAll(manifests, state.state, { mode: 'enforce', exemptNamespaces: [], ...RULES });
      row.decideMs.push(performance.now() - t0);
      const t1 = performance.now();
      const run = spawnSync(process.execPath, [bin, 'check', '--state', path.join(dir, 'state.json'), '-o', 'json', path.join(dir, `pods-${i}.yaml`)], { encoding: 'utf8', maxBuffer: 1 << 30 });
      row.cliMs.push(performance.now() - t1);
      if (run.status !== 0) throw new Error(`check exited ${String(run.status)}: ${run.stderr.slice(0, 500)}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const result: HostileResult = {
    rounds,
    repeats: REPEATS,
    reviews: all.map((shape) => {
      const cell = samples.get(shape.name);
      if (cell === undefined) throw new Error(`no samples for ${shape.name}`);
      return { shape: shape.name, hostile: shape.hostile, bodyBytes: shape.body.length, answer: cell.answer, blockP50Ms: median(cell.p50s), blockMaxMs: cell.max };
    }),
    check: check.map((row) => ({ shape: row.shape, decideMs: median(row.decideMs), cliMs: median(row.cliMs) })),
  };
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
}

main();
