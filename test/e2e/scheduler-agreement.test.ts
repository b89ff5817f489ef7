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
import { decide } from '../../src/admission/decide.js';
import { portLabel } from '../../src/admission/messages.js';
import { indexFromObjects } from '../../src/cluster/snapshot.js';
import type { PodConflict } from '../../src/engine/conflicts.js';
import { kubectlJson } from './support/cluster.js';
import type { Manifest, PortSpec } from './support/manifests.js';
import { pod } from './support/manifests.js';
import type { Random } from '../support/prng.js';
import { seededRandom } from '../support/prng.js';
import { decodedPod, notDeniedOn, SCHEDULER_RULES, scheduledCondition, scheduledPods } from './support/scheduler.js';
import { seedFromEnv } from './support/seed.js';
import { e2eSuite, NODES } from './support/suite.js';

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

/** `19001/UDP vs p-07's 0.0.0.0:19001/UDP (ipv4-wildcard)`, for readable failures. */
function describeConflicts(conflicts: readonly PodConflict[]): string {
  return conflicts.map((c) => `${portLabel(c.port)} vs ${c.holder.name}'s ${portLabel(c.held)} (${c.rule})`).join(', ');
}

describe('pods placed by the kube-scheduler', () => {
  it('end up exactly where the engine finds no conflict', async () => {
    const random = seededRandom(seedFromEnv());
    console.log(`random host-port pods from seed ${random.seed} (replay with HPG_E2E_SEED=${random.seed})`);
    const ns = await suite.namespace('scheduler');
    const names = Array.from({ length: POD_COUNT }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    const file = suite.manifests.write('random-pods', ...names.map((n) => randomPod(random, n, ns)));

    // Done when the scheduler has either bound each pod or given up on it for now.
    const pods = await scheduledPods(suite, file, ns, POD_COUNT);

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
      for (const candidate of notDeniedOn(subject, NODES, view)) {
        disagreements.push(`${name}: the scheduler found no free ports, but the engine would admit it on ${candidate}`);
      }
    }

    console.log(`seed ${random.seed}: ${bound} pods bound, ${refused} refused by the scheduler`);
    expect(disagreements).toEqual([]);
    // Both sides of the comparison were exercised.
    expect(bound).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
