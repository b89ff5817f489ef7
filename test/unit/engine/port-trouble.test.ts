import { describe, expect, it } from '@jest/globals';

import type { PortTrouble } from '../../../src/engine/port-trouble.js';
import { holdersFor, portTroubleOf } from '../../../src/engine/port-trouble.js';
import type { PodLike, PodStatusLike } from '../../../src/engine/types.js';
import { hostPort, occupant, pod, ref, viewOf } from '../../fixtures/pods.js';

/** The scheduler's words (kube-scheduler 1.37) when one of three nodes had the port taken. */
const NO_FREE_PORTS_MESSAGE =
  "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";

/** The kubelet's words (1.37) for a pod refused on its node. */
const NODE_PORTS_MESSAGE = "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports";

function unscheduled(status: PodStatusLike): PodLike {
  const p = pod({ status });
  return { ...p, spec: { containers: p.spec.containers, hostNetwork: true } };
}

describe('portTroubleOf', () => {
  const cases: readonly { name: string; pod: PodLike; want: PortTrouble | undefined }[] = [
    {
      name: 'finds a Pending pod whose PodScheduled condition says no node had its ports free, with the count',
      pod: unscheduled({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: NO_FREE_PORTS_MESSAGE }] }),
      want: { kind: 'unschedulable', message: NO_FREE_PORTS_MESSAGE, nodesWithoutFreePorts: 1 },
    },
    {
      name: 'passes over a Pending pod the scheduler refused for another reason',
      pod: unscheduled({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] }),
      want: undefined,
    },
    {
      name: 'passes over a Pending pod not yet looked at by the scheduler',
      pod: unscheduled({ phase: 'Pending' }),
      want: undefined,
    },
    {
      name: 'passes over a condition that says True, whatever its message',
      pod: unscheduled({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', message: NO_FREE_PORTS_MESSAGE }] }),
      want: undefined,
    },
    {
      name: 'passes over a bound pod, even with an old condition message',
      pod: pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: NO_FREE_PORTS_MESSAGE }] } }),
      want: undefined,
    },
    {
      name: 'finds a pod the kubelet failed with reason NodePorts, on its node',
      pod: pod({ status: { phase: 'Failed', reason: 'NodePorts', message: NODE_PORTS_MESSAGE } }),
      want: { kind: 'rejected', node: 'worker-1', message: NODE_PORTS_MESSAGE },
    },
    {
      name: 'passes over a pod that failed for another reason',
      pod: pod({ status: { phase: 'Failed', reason: 'Evicted' } }),
      want: undefined,
    },
    {
      name: 'passes over a running pod',
      pod: pod(),
      want: undefined,
    },
  ];

  it.each(cases)('$name', ({ pod: p, want }) => {
    expect(portTroubleOf(p)).toEqual(want);
  });
});

describe('holdersFor', () => {
  const holderOn1 = occupant({ pod: ref('team-a/web-1'), node: 'worker-1' });
  const holderOn2 = occupant({ pod: ref('team-b/web-9'), node: 'worker-2' });
  const otherPort = occupant({ pod: ref('team-a/metrics'), node: 'worker-1', ports: [hostPort({ port: 9100 })] });
  const udp = occupant({ pod: ref('team-c/udp'), node: 'worker-3', ports: [hostPort({ protocol: 'UDP' })] });
  const view = viewOf([holderOn1, holderOn2, otherPort, udp]);

  it('names, for a pod the kubelet refused, the holders on its own node only', () => {
    const p = pod({ metadata: { name: 'late', namespace: 'team-a', uid: 'uid-late' }, status: { phase: 'Failed', reason: 'NodePorts' } });
    const trouble = portTroubleOf(p);
    if (trouble === undefined) throw new Error('no trouble');
    expect(holdersFor(p, trouble, view).map((c) => `${c.node} ${c.holder.namespace}/${c.holder.name}`)).toEqual(['worker-1 team-a/web-1']);
  });

  it('names, for a pod the scheduler could not place, the holders on every node, by node', () => {
    const p = unscheduled({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: NO_FREE_PORTS_MESSAGE }] });
    const trouble = portTroubleOf(p);
    if (trouble === undefined) throw new Error('no trouble');
    expect(holdersFor(p, trouble, view).map((c) => `${c.node} ${c.holder.namespace}/${c.holder.name}`)).toEqual(['worker-1 team-a/web-1', 'worker-2 team-b/web-9']);
  });
});
