import { describe, expect, it } from '@jest/globals';

import { decide } from '../../../src/admission/decide.js';
import { PodIndex, podKey } from '../../../src/cluster/pod-index.js';
import { reservingView } from '../../../src/cluster/reservations.js';
import type { ReservingView } from '../../../src/cluster/reservations.js';
import { nodeFilterOf } from '../../../src/engine/node-filter.js';
import type { Occupant } from '../../../src/engine/types.js';
import { DEFAULT_RULES, hostPort, occupant, pod, podSubject, ref } from '../../fixtures/pods.js';

/** An index, a view over it, and a clock the test moves. */
function setup(ttlMs = 30_000): { index: PodIndex; view: ReservingView; clock: { now: number } } {
  const clock = { now: 1_000 };
  const index = new PodIndex();
  const view = reservingView(index, { now: () => clock.now, ttlMs });
  return { index, view, clock };
}

/** The pods the view shows holding 0.0.0.0:8080/TCP on `node`, each once. */
function occupantsOn(view: ReservingView, node: string): Occupant[] {
  return [...new Set([...view.heldOn(node, hostPort())].map((h) => h.occupant))];
}

/** The pods the view shows holding 0.0.0.0:`port`/TCP on any node, each once. */
function holdersOf(view: ReservingView, port: number): Occupant[] {
  return [...new Set([...view.heldAnywhere(hostPort({ port }))].map((h) => h.occupant))];
}

function keys(occupants: Iterable<Occupant>): string[] {
  return [...occupants].map((o) => podKey(o.pod)).sort();
}

const admitted = occupant({ pod: ref('team-a/api-7d9f'), node: 'worker-1', ports: [hostPort({ port: 8080 })] });

describe('ReservingView', () => {
  it('shows a reserved pod on its node and under its port, next to indexed pods', () => {
    const { index, view } = setup();
    index.upsertPod(pod({ metadata: { name: 'other', uid: 'uid-other' } }));
    view.reserve(admitted);
    expect(keys(occupantsOn(view, 'worker-1'))).toEqual(['team-a/api-7d9f', 'team-a/other']);
    expect(keys(holdersOf(view, 8080))).toEqual(['team-a/api-7d9f', 'team-a/other']);
    expect(occupantsOn(view, 'worker-2')).toEqual([]);
    expect(holdersOf(view, 9090)).toEqual([]);
  });

  it('keeps a reservation until just before the TTL, and drops it at the TTL', () => {
    const { view, clock } = setup(5_000);
    view.reserve(admitted);
    clock.now += 4_999;
    expect(keys(holdersOf(view, 8080))).toEqual(['team-a/api-7d9f']);
    clock.now += 1;
    expect(holdersOf(view, 8080)).toEqual([]);
    expect(view.size()).toBe(0);
  });

  it('frees the port of a pod the watch showed and then deleted before any lookup', () => {
    const { index, view } = setup();
    view.reserve(admitted);
    index.upsertPod(pod());
    index.deletePod(ref('team-a/api-7d9f'));
    expect(occupantsOn(view, 'worker-1')).toEqual([]);
    expect(holdersOf(view, 8080)).toEqual([]);
  });

  it('keeps a reservation when the watch shows another incarnation of the same name', () => {
    const { index, view } = setup();
    view.reserve(admitted);
    index.deletePod({ ...ref('team-a/api-7d9f'), uid: 'uid-of-the-old-pod' });
    expect(keys(occupantsOn(view, 'worker-1'))).toEqual(['team-a/api-7d9f']);
  });

  it('lets go once the index shows the same pod (by uid), so the pod is not counted twice', () => {
    const { index, view } = setup();
    view.reserve(admitted);
    index.upsertPod(pod());
    expect(occupantsOn(view, 'worker-1')).toHaveLength(1);
    expect(view.size()).toBe(0);
  });

  it('lets go once the index shows the same namespace/name when the admitted pod had no uid', () => {
    const { index, view } = setup();
    view.reserve(occupant({ pod: { namespace: 'team-a', name: 'api-7d9f' } }));
    index.upsertPod(pod({ metadata: { uid: 'assigned-later' } }));
    expect(holdersOf(view, 8080)).toHaveLength(1);
    expect(view.size()).toBe(0);
  });

  it('keeps the reservation of a re-created pod while the index still shows the old pod of that name', () => {
    const { index, view } = setup();
    index.upsertPod(pod({ metadata: { uid: 'uid-old', deletionTimestamp: '2025-01-01T00:00:00Z' } }));
    view.reserve(occupant({ pod: ref('team-a/api-7d9f', 'uid-new'), node: 'worker-2' }));
    expect(keys(occupantsOn(view, 'worker-2'))).toEqual(['team-a/api-7d9f']);
  });

  it('replaces an earlier reservation of the same pod', () => {
    const { view } = setup();
    view.reserve(admitted);
    view.reserve({ ...admitted, node: 'worker-2' });
    expect(occupantsOn(view, 'worker-1')).toEqual([]);
    expect(keys(occupantsOn(view, 'worker-2'))).toEqual(['team-a/api-7d9f']);
    expect(view.size()).toBe(1);
  });

  it('releases observed reservations at once, sweeps expired ones and says how many', () => {
    const { index, view, clock } = setup(10_000);
    view.reserve(admitted);
    view.reserve(occupant({ pod: ref('team-b/late'), node: 'worker-3' }));
    clock.now += 5_000;
    view.reserve(occupant({ pod: ref('team-c/fresh'), node: 'worker-3' }));
    index.upsertPod(pod());
    expect(view.size()).toBe(2);
    clock.now += 5_000;
    expect(view.sweep()).toBe(1);
    expect(keys(occupantsOn(view, 'worker-3'))).toEqual(['team-c/fresh']);
  });

  it('delegates nodes and PriorityClasses to the index', () => {
    const { index, view } = setup();
    index.upsertNode({ name: 'node-a', labels: { 'kubernetes.io/hostname': 'a', zone: 'z1' } });
    index.upsertPriorityClass({ name: 'fallback', value: 5, globalDefault: true });
    expect(view.nodeForHostname('a')).toBe('node-a');
    expect(view.nodeCount()).toBe(1);
    expect(view.node('node-a')).toEqual(index.node('node-a'));
    expect(view.countNodes(nodeFilterOf({ containers: [], nodeSelector: { zone: 'z1' } }))).toBe(1);
    expect(view.countNodes(nodeFilterOf({ containers: [], nodeSelector: { zone: 'z2' } }))).toBe(0);
    expect([view.priorityClass('fallback')?.value, view.defaultPriorityClass()?.name]).toEqual([5, 'fallback']);
  });

  it('denies the second of two pods created at once for the same node and port', () => {
    const { view } = setup();
    const first = pod({ metadata: { name: 'first', uid: 'uid-first' } });
    const second = pod({ metadata: { name: 'second', uid: 'uid-second' } });

    const firstDecision = decide(podSubject(first), 'enforce', view, DEFAULT_RULES);
    expect(firstDecision.kind).toBe('allow');
    if (firstDecision.admits === undefined) throw new Error('the first pod should be reserved');
    view.reserve(firstDecision.admits);

    const secondDecision = decide(podSubject(second), 'enforce', view, DEFAULT_RULES);
    expect(secondDecision.kind).toBe('deny');
    expect(secondDecision.conflicts.map((c) => (c.kind === 'pod' ? c.holder.name : c.held.owner))).toEqual(['first']);
  });
});
