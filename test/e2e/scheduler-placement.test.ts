/**
 * The scheduler differential on nodes that differ: the fake nodes get labels, taints and
 * a cordon, and random host-port pods get nodeSelectors, required node affinities (every
 * operator, and matchFields on metadata.name), tolerations and priorities. The real
 * kube-scheduler places them; then the engine is run over the resulting cluster state.
 * For every pod, its candidate nodes as the engine's filters see them must be the nodes
 * the scheduler's own filters let through:
 * - a bound pod's node is a candidate and holds none of its ports;
 * - for a pod the scheduler could not place, the number of nodes it says "didn't have free
 *   ports" is the number of candidates, and the engine finds a conflict on each of them.
 *
 * Every PriorityClass here has preemptionPolicy Never: priorities order the scheduler's
 * queue but evict nothing, so the final state is a placement (preemption has its own
 * story, real-node-preemption.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { decide } from '../../src/admission/decide.js';
import { indexFromObjects } from '../../src/cluster/snapshot.js';
import { nodeFilterOf } from '../../src/engine/node-filter.js';
import { kubectlJson, kubectlOk } from './support/cluster.js';
import type { Manifest, PortSpec } from './support/manifests.js';
import { pod } from './support/manifests.js';
import type { Random } from '../support/prng.js';
import { seededRandom } from '../support/prng.js';
import { decodedPod, notDeniedOn, SCHEDULER_RULES, scheduledCondition, scheduledPods } from './support/scheduler.js';
import { seedFromEnv } from './support/seed.js';
import { e2eSuite, NODES } from './support/suite.js';

jest.setTimeout(300_000);

const suite = e2eSuite({ name: 'placement', onlyFakeNodes: true });

const POD_COUNT = 40;
const PORTS = [19101, 19102] as const;
const KEY = 'placement.hostport-guard.dev';

/** What each fake node is given: labels, one taint, a cordon. */
const NODE_SETUP = [
  { node: 'worker-1', labels: { [`${KEY}/zone`]: 'a', [`${KEY}/rank`]: '1' }, taint: `${KEY}/flaky:NoExecute`, cordon: false },
  { node: 'worker-2', labels: { [`${KEY}/zone`]: 'b', [`${KEY}/rank`]: '5', [`${KEY}/disk`]: 'ssd' }, taint: undefined, cordon: true },
  { node: 'worker-3', labels: { [`${KEY}/zone`]: 'a', [`${KEY}/rank`]: '10' }, taint: `${KEY}/dedicated=infra:NoSchedule`, cordon: false },
] as const;

const CLASSES = ['e2e-placement-low', 'e2e-placement-high'] as const;

beforeAll(async () => {
  for (const { node, labels, taint, cordon } of NODE_SETUP) {
    await kubectlOk(['label', 'node', node, '--overwrite', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
    if (taint !== undefined) await kubectlOk(['taint', 'node', node, '--overwrite', taint]);
    if (cordon) await kubectlOk(['cordon', node]);
  }
  for (const [i, name] of CLASSES.entries()) {
    const pc = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 100 * (i + 1), preemptionPolicy: 'Never' };
    await kubectlOk(['apply', '-f', suite.manifests.write(name, pc)], { cwd: suite.manifests.dir });
  }
});

afterAll(async () => {
  for (const { node, labels, taint, cordon } of NODE_SETUP) {
    await kubectlOk(['label', 'node', node, ...Object.keys(labels).map((k) => `${k}-`)]);
    if (taint !== undefined) await kubectlOk(['taint', 'node', node, `${taint.split(/[=:]/)[0] ?? ''}-`]);
    if (cordon) await kubectlOk(['uncordon', node]);
  }
  await kubectlOk(['delete', 'priorityclass', ...CLASSES, '--ignore-not-found']);
});

/** One random requirement on the labels the nodes were given, with any operator. */
function requirement(random: Random): Manifest {
  switch (random.below(6)) {
    case 0:
      return { key: `${KEY}/zone`, operator: 'In', values: [random.pick(['a', 'b'])] };
    case 1:
      return { key: `${KEY}/zone`, operator: 'NotIn', values: [random.pick(['a', 'b'])] };
    case 2:
      return { key: `${KEY}/disk`, operator: 'Exists' };
    case 3:
      return { key: `${KEY}/disk`, operator: 'DoesNotExist' };
    case 4:
      return { key: `${KEY}/rank`, operator: 'Gt', values: [random.pick(['0', '3', '7'])] };
    default:
      return { key: `${KEY}/rank`, operator: 'Lt', values: [random.pick(['3', '7', '11'])] };
  }
}

/** One random term: one or two label requirements, sometimes a matchFields on the node's name. */
function term(random: Random): Manifest {
  const expressions = Array.from({ length: 1 + random.below(2) }, () => requirement(random));
  const fields = random.chance(0.2) ? [{ key: 'metadata.name', operator: random.pick(['In', 'NotIn']), values: [random.pick(NODES)] }] : [];
  return { matchExpressions: expressions, ...(fields.length === 0 ? {} : { matchFields: fields }) };
}

const TOLERATIONS: readonly Readonly<Record<string, string>>[] = [
  { key: `${KEY}/dedicated`, operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
  { key: `${KEY}/dedicated`, operator: 'Exists' },
  { key: `${KEY}/dedicated`, operator: 'Equal', value: 'other' },
  { key: `${KEY}/flaky`, operator: 'Exists', effect: 'NoExecute' },
  { key: `${KEY}/flaky`, operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** One random pod: ports as in the plain differential, and random placement rules and priority. */
function randomPod(random: Random, name: string, namespace: string): Manifest {
  const hostNetwork = random.chance(0.4);
  const port = random.pick(PORTS);
  const ports: PortSpec[] = [hostNetwork ? { containerPort: port } : { containerPort: 8000, hostPort: port }];
  const tolerations = TOLERATIONS.filter(() => random.chance(0.4));
  const selector = random.chance(0.3) ? { [`${KEY}/zone`]: random.pick(['a', 'b']) } : undefined;
  const terms = random.chance(0.5) ? Array.from({ length: 1 + random.below(2) }, () => term(random)) : [];
  const priorityClassName = random.chance(0.6) ? random.pick(CLASSES) : undefined;
  return pod({
    name,
    namespace,
    hostNetwork,
    ports,
    labels: { scenario: 'placement' },
    ...(tolerations.length === 0 ? {} : { tolerations }),
    ...(selector === undefined ? {} : { nodeSelector: selector }),
    ...(terms.length === 0 ? {} : { nodeSelectorTerms: terms }),
    ...(priorityClassName === undefined ? {} : { priorityClassName }),
  });
}

/** How many nodes the scheduler says had no free ports for the pod (0 when it names none). */
function freePortFailures(message: string): number {
  const match = /(\d+) node\(s\) didn't have free ports/.exec(message);
  return match === null ? 0 : Number(match[1]);
}

describe('pods with placement rules and priorities, placed by the kube-scheduler on labelled, tainted and cordoned nodes', () => {
  it('have as candidates exactly the nodes the scheduler filters let through', async () => {
    const random = seededRandom(seedFromEnv());
    console.log(`random placement pods from seed ${random.seed} (replay with HPG_E2E_SEED=${random.seed})`);
    const ns = await suite.namespace('placement');
    const names = Array.from({ length: POD_COUNT }, (_, i) => `q-${String(i).padStart(2, '0')}`);
    const file = suite.manifests.write('placement-pods', ...names.map((n) => randomPod(random, n, ns)));
    const pods = await scheduledPods(suite, file, ns, POD_COUNT);

    const state = indexFromObjects(await kubectlJson(['get', 'pods,nodes,namespaces,priorityclasses', '-A']));
    if (!state.ok) throw state.error;
    const view = state.index;
    const allNodes = (await kubectlOk(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/);
    const disagreements: string[] = [];
    let bound = 0;
    let refusedForPorts = 0;
    let refusedForPlacement = 0;
    for (const raw of pods) {
      const subject = decodedPod(raw);
      if (subject.kind !== 'Pod') continue;
      const { name } = subject.ref;
      const filter = nodeFilterOf(subject.pod.spec);
      const candidates = allNodes.filter((n) => {
        const info = view.node(n);
        if (info === undefined) throw new Error(`node ${n} is not in the state`);
        return filter.accepts(info);
      });
      const node = subject.pod.spec.nodeName ?? '';
      if (node !== '') {
        bound += 1;
        if (!candidates.includes(node)) disagreements.push(`${name}: bound to ${node}, which is not among its candidates [${candidates.join(', ')}]`);
        const decision = decide(subject, 'enforce', view, SCHEDULER_RULES);
        if (decision.conflicts.length > 0) disagreements.push(`${name}: bound to ${node}, but the engine finds a conflict there`);
        continue;
      }
      const message = scheduledCondition(raw)?.message ?? '';
      const failures = freePortFailures(message);
      if (failures > 0) refusedForPorts += 1;
      else refusedForPlacement += 1;
      if (failures !== candidates.length) {
        disagreements.push(`${name}: the scheduler found ${failures} node(s) without free ports, the engine ${candidates.length} candidates [${candidates.join(', ')}]: ${message}`);
      }
      for (const candidate of notDeniedOn(subject, candidates, view)) disagreements.push(`${name}: refused by the scheduler, but the engine finds ${candidate} free`);
    }

    console.log(`seed ${random.seed}: ${bound} bound, ${refusedForPorts} refused for ports, ${refusedForPlacement} refused for placement alone`);
    expect(disagreements).toEqual([]);
    // The comparison saw pods bound and pods refused for want of ports.
    expect(bound).toBeGreaterThan(0);
    expect(refusedForPorts).toBeGreaterThan(0);
  });
});
