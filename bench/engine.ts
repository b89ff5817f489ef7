/**
 * Decision time of decide() against synthetic clusters of growing size, on the real
 * PodIndex behind the real ReservingView, with subjects decoded from AdmissionReviews the
 * way the server decodes them. Rounds interleave the sizes so a noisy neighbour hurts
 * every size alike; the report takes the median of the rounds.
 *
 * Usage: node engine.js --out FILE [--sizes 100,1000,5000] [--rounds 5]
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type { Mode } from '../src/admission/decide.js';
import { decide } from '../src/admission/decide.js';
import { MAX_ANNOTATED_CONFLICTS } from '../src/admission/respond.js';
import { decodeReview } from '../src/admission/review.js';
import type { Subject } from '../src/admission/subject.js';
import { subjectOf } from '../src/admission/subject.js';
import { PodIndex } from '../src/cluster/pod-index.js';
import { ReservingView } from '../src/cluster/reservations.js';
import { DEFAULTS } from '../src/config/settings.js';
import type { Percentiles } from './lib/stats.js';
import { medianOf, percentiles } from './lib/stats.js';
import { subjects } from './lib/subjects.js';
import { clusterNodes, clusterPods, PODS_PER_NODE } from './lib/synthetic.js';
import type { EngineResult } from './lib/results.js';
import type { Json } from './lib/wire.js';
import { admissionRequest, admissionReview, reviewPod } from './lib/wire.js';

/** What is being decided: a pinned pod whose ports are free or taken, or a pod the scheduler will place. */
type Case = 'pinned-free' | 'pinned-taken' | 'unpinned-taken';

const CASES: readonly Case[] = ['pinned-free', 'pinned-taken', 'unpinned-taken'];

/** decide() as the webhook calls it (respond.ts): listing only the conflicts its audit annotation shows. */
const AS_THE_WEBHOOK = { listedAcrossNodes: MAX_ANNOTATED_CONFLICTS };

/** Each cell runs for about this long per round (at least MIN_CALLS calls). */
const CELL_MS = 250;
const MIN_CALLS = 50;
const MODE: Mode = 'enforce';

function decoded(pod: Json, namespace: string): Subject {
  const result = decodeReview(admissionReview(admissionRequest(pod, 'bench-uid', namespace, false)));
  if (!result.ok || result.review.target.kind !== 'decide') throw new Error(`the subject does not decode: ${JSON.stringify(result)}`);
  return subjectOf(result.review.target.object, namespace);
}

/** Subjects of one case for a cluster of `nodes` nodes. */
function subjectsFor(nodes: number, kind: Case): Subject[] {
  const all = subjects(nodes, Math.min(nodes, 100), 'engine');
  if (kind === 'pinned-free') return all.filter((s) => !s.variant.collides).map((s) => decoded(reviewPod(s.spec), s.spec.namespace));
  if (kind === 'pinned-taken') return all.filter((s) => s.variant.collides).map((s) => decoded(reviewPod(s.spec), s.spec.namespace));
  // Without the DaemonSet affinity the scheduler picks the node later: every node holding
  // 9100 is a conflict somewhere, and the answer is a warning naming a few of them.
  return all.slice(0, 10).map((s) => {
    const pod = reviewPod({ ...s.spec, ports: [{ port: 9100, protocol: 'TCP' }] });
    const spec = pod['spec'];
    if (typeof spec === 'object' && spec !== null) Reflect.deleteProperty(spec, 'affinity');
    return decoded(pod, s.spec.namespace);
  });
}

interface Cluster {
  readonly nodes: number;
  readonly pods: number;
  readonly indexed: number;
  readonly buildMs: number;
  readonly view: ReservingView;
  readonly subjects: ReadonlyMap<Case, readonly Subject[]>;
}

function buildCluster(nodes: number): Cluster {
  const start = performance.now();
  const index = new PodIndex();
  index.replaceAllNodes(clusterNodes(nodes));
  index.replaceAllPods(clusterPods(nodes));
  const buildMs = performance.now() - start;
  const view = new ReservingView(index, { now: () => performance.now(), ttlMs: DEFAULTS.reservationTtlSeconds * 1000 });
  const cases = new Map<Case, Subject[]>(CASES.map((c) => [c, subjectsFor(nodes, c)]));
  return { nodes, pods: nodes * PODS_PER_NODE, indexed: index.size().pods, buildMs, view, subjects: cases };
}

/** Times single decide() calls for about CELL_MS; returns microseconds per call and the decisions seen. */
function timeCell(view: ReservingView, list: readonly Subject[]): { stats: Percentiles; kinds: Set<string> } {
  const samples: number[] = [];
  const kinds = new Set<string>();
  const until = performance.now() + CELL_MS;
  let i = 0;
  while (performance.now() < until || samples.length < MIN_CALLS) {
    const subject = list[i % list.length];
    if (subject === undefined) throw new Error('no subjects');
    const t0 = process.hrtime.bigint();
    const decision = decide(subject, MODE, view, DEFAULTS, AS_THE_WEBHOOK);
    const t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0) / 1000);
    kinds.add(decision.kind);
    i += 1;
  }
  return { stats: percentiles(samples), kinds };
}

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, sizes: { type: 'string', default: '100,1000,5000' }, rounds: { type: 'string', default: '5' } },
  });
  if (values.out === undefined) throw new Error('--out is required');
  const sizes = values.sizes.split(',').map(Number);
  const rounds = Number(values.rounds);
  const clusters = sizes.map(buildCluster);
  // Warm-up: let the JIT settle on every path before anything is recorded.
  for (const cluster of clusters) for (const kind of CASES) timeCell(cluster.view, cluster.subjects.get(kind) ?? []);
  const cells = new Map<string, { stats: Percentiles[]; kinds: Set<string> }>();
  for (let r = 0; r < rounds; r++) {
    for (const cluster of clusters) {
      for (const kind of CASES) {
        const key = `${cluster.nodes}/${kind}`;
        const { stats, kinds } = timeCell(cluster.view, cluster.subjects.get(kind) ?? []);
        const cell = cells.get(key) ?? { stats: [], kinds: new Set<string>() };
        cell.stats.push(stats);
        for (const k of kinds) cell.kinds.add(k);
        cells.set(key, cell);
      }
    }
  }
  const result: EngineResult = {
    rounds,
    clusters: clusters.map((c) => ({ nodes: c.nodes, pods: c.pods, indexed: c.indexed, buildMs: c.buildMs })),
    cells: [...cells].map(([key, cell]) => {
      const [nodes, kind] = key.split('/');
      const m = medianOf(cell.stats);
      return { nodes: Number(nodes), case: kind ?? '', calls: m.count, p50us: m.p50, p99us: m.p99, decisions: [...cell.kinds].sort() };
    }),
  };
  writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
}

main();
