/**
 * Pods without a node are placed by the real kube-scheduler; the webhook only warns
 * about them. This checks that hostport-guard's engine and the scheduler agree on what
 * collides: random host-port pods are created, the scheduler binds some and finds no
 * node with free ports for the others, and then the engine's `decide` is run over the
 * resulting cluster state. Every bound pod must be free of conflicts on its node, and
 * every pod the scheduler could not place must conflict on every node.
 *
 * Only IPv4 hostIPs are drawn: for `::` and other spellings hostport-guard is
 * deliberately stricter than the scheduler (see the semantics notes), so they would be
 * expected to disagree.
 */
import { describe, expect, it, jest } from '@jest/globals';
import type { Rules } from '../../src/admission/decide.js';
import { decide } from '../../src/admission/decide.js';
import { portLabel } from '../../src/admission/messages.js';
import { decodeAdmittedObject } from '../../src/admission/review.js';
import { subjectOf } from '../../src/admission/subject.js';
import { indexFromObjects } from '../../src/cluster/snapshot.js';
import type { PodConflict } from '../../src/engine/conflicts.js';
import { kubectlJson } from './support/cluster.js';
import type { Manifest, PortSpec } from './support/manifests.js';
import { pod } from './support/manifests.js';
import { rawPods } from './support/pods.js';
import type { Random } from '../support/prng.js';
import { seededRandom } from '../support/prng.js';
import { seedFromEnv } from './support/seed.js';
import { e2eSuite, NODES } from './support/suite.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(300_000);

const suite = e2eSuite({ name: 'scheduler', onlyFakeNodes: true });

const POD_COUNT = 40;
const PORTS = [19001, 19002, 19003] as const;
const PROTOCOLS = ['TCP', 'UDP'] as const;
const HOST_IPS = ['', '0.0.0.0', '127.0.0.1', '10.0.0.7'] as const;

/** One random pod: hostNetwork or hostPort, one or two distinct port/protocol pairs, maybe on a sidecar. */
function randomPod(random: Random, name: string, namespace: string): Manifest {
  const hostNetwork = random.chance(0.4);
  const count = random.chance(0.25) ? 2 : 1;
  const used = new Set<string>();
  const ports: PortSpec[] = [];
  while (ports.length < count) {
    const port = random.pick(PORTS);
    const protocol = random.pick(PROTOCOLS);
    if (used.has(`${port}/${protocol}`)) continue;
    used.add(`${port}/${protocol}`);
    const hostIP = random.pick(HOST_IPS);
    ports.push({
      // hostNetwork pods: the API server sets hostPort = containerPort.
      containerPort: hostNetwork ? port : 8000 + ports.length,
      ...(hostNetwork ? {} : { hostPort: port }),
      protocol,
      ...(hostIP === '' ? {} : { hostIP }),
    });
  }
  const onSidecar = random.chance(0.15);
  return pod({
    name,
    namespace,
    hostNetwork,
    labels: { scenario: 'random' },
    ...(onSidecar ? { sidecarPorts: ports, ports: [] } : { ports }),
  });
}

interface Scheduled {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** The PodScheduled condition of a pod from the API. */
function scheduledCondition(raw: unknown): Scheduled | undefined {
  if (typeof raw !== 'object' || raw === null || !('status' in raw)) return undefined;
  const { status } = raw;
  if (typeof status !== 'object' || status === null || !('conditions' in status) || !Array.isArray(status.conditions)) return undefined;
  const conditions: unknown[] = status.conditions;
  for (const c of conditions) {
    if (typeof c !== 'object' || c === null) continue;
    const field = (key: string): string => {
      const value: unknown = Object.getOwnPropertyDescriptor(c, key)?.value;
      return typeof value === 'string' ? value : '';
    };
    if (field('type') === 'PodScheduled') return { status: field('status'), reason: field('reason'), message: field('message') };
  }
  return undefined;
}

/** `19001/UDP vs p-07's 0.0.0.0:19001/UDP (ipv4-wildcard)`, for readable failures. */
function describeConflicts(conflicts: readonly PodConflict[]): string {
  return conflicts.map((c) => `${portLabel(c.port)} vs ${c.holder.name}'s ${portLabel(c.held)} (${c.rule})`).join(', ');
}

/** The scheduler knows only pods: no node daemon's port is compared here. */
const SCHEDULER_RULES: Rules = { reservedPorts: [], undeclaredPorts: 'ignore' };

function decodedPod(raw: unknown): ReturnType<typeof subjectOf> {
  const decoded = decodeAdmittedObject(raw);
  if (!decoded.ok || decoded.object.kind !== 'Pod') throw new Error(`not a pod: ${JSON.stringify(raw).slice(0, 200)}`);
  return subjectOf(decoded.object, decoded.object.metadata.namespace ?? '');
}

describe('pods placed by the kube-scheduler', () => {
  it('end up exactly where the engine finds no conflict', async () => {
    const random = seededRandom(seedFromEnv());
    console.log(`random host-port pods from seed ${random.seed} (replay with HPG_E2E_SEED=${random.seed})`);
    const ns = await suite.namespace('scheduler');
    const names = Array.from({ length: POD_COUNT }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    const file = suite.manifests.write('random-pods', ...names.map((n) => randomPod(random, n, ns)));

    const applied = await suite.kubectl(['apply', '-f', file]);
    expect({ exitCode: applied.exitCode, created: applied.stdout.split('\n').filter((l) => l.endsWith(' created')).length }).toEqual({
      exitCode: 0,
      created: POD_COUNT,
    });

    // Done when the scheduler has either bound each pod or given up on it for now.
    const pods = await eventually(
      'the scheduler to bind or refuse every pod',
      async () => {
        const all = await rawPods(ns);
        const undecided = all.filter((p) => {
          const subject = decodedPod(p);
          const bound = subject.kind === 'Pod' && (subject.pod.spec.nodeName ?? '') !== '';
          return !bound && scheduledCondition(p)?.reason !== 'Unschedulable';
        });
        return undecided.length === 0 && all.length === POD_COUNT ? done(all) : notYet(`${undecided.length} of ${all.length} pods undecided`);
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );

    const state = indexFromObjects(await kubectlJson(['get', 'pods,nodes,namespaces', '-A']));
    if (!state.ok) throw state.error;
    const view = state.index;
    const disagreements: string[] = [];
    let bound = 0;
    let refused = 0;
    for (const raw of pods) {
      const subject = decodedPod(raw);
      if (subject.kind !== 'Pod') continue;
      const node = subject.pod.spec.nodeName ?? '';
      const name = subject.ref.name;
      if (node !== '') {
        bound += 1;
        const decision = decide(subject, 'enforce', view, SCHEDULER_RULES);
        const onPods = decision.conflicts.filter((c) => c.kind === 'pod');
        if (decision.conflicts.length > 0) disagreements.push(`${name}: bound to ${node} by the scheduler, but the engine finds ${describeConflicts(onPods)}`);
        continue;
      }
      refused += 1;
      const condition = scheduledCondition(raw);
      if (condition?.message.includes("didn't have free ports") !== true) {
        disagreements.push(`${name}: unschedulable for another reason: ${condition?.message ?? 'no condition'}`);
      }
      for (const candidate of NODES) {
        const pinned = { ...subject, pod: { ...subject.pod, spec: { ...subject.pod.spec, nodeName: candidate } } };
        const decision = decide(pinned, 'enforce', view, SCHEDULER_RULES);
        if (decision.kind !== 'deny') disagreements.push(`${name}: the scheduler found no free ports, but the engine would admit it on ${candidate}`);
      }
    }

    console.log(`seed ${random.seed}: ${bound} pods bound, ${refused} refused by the scheduler`);
    expect(disagreements).toEqual([]);
    // Both sides of the comparison were exercised.
    expect(bound).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
