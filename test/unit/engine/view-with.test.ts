import { describe, expect, it } from '@jest/globals';
import { nodeFilterOf } from '../../../src/engine/node-filter.js';
import { viewWith } from '../../../src/engine/view-with.js';
import { hostPort, occupant, ref, viewOf } from '../../fixtures/pods.js';

const indexed = occupant();
const twin = occupant({ pod: ref('team-b/twin'), ports: [hostPort({ port: 9090 })] });
const base = viewOf([indexed], ['worker-1', 'worker-2']);

describe('viewWith', () => {
  it('adds the extra occupants to node and port lookups', () => {
    const view = viewWith(base, [twin]);
    expect([...view.heldOn('worker-1', hostPort())].map((h) => h.occupant)).toEqual([indexed]);
    expect([...view.heldOn('worker-1', hostPort({ port: 9090 }))].map((h) => h.occupant)).toEqual([twin]);
    expect([...view.heldAnywhere(hostPort({ port: 9090 }))].map((h) => h.occupant)).toEqual([twin]);
    expect([...view.heldOn('worker-2', hostPort({ port: 9090 }))]).toEqual([]);
  });

  it('does not add a pod the view already shows', () => {
    const again = occupant({ ports: [hostPort({ hostIP: '' })] });
    expect([...viewWith(base, [again]).heldOn('worker-1', hostPort())].map((h) => h.occupant)).toEqual([indexed]);
  });

  it('leaves node lookups to the view', () => {
    const view = viewWith(base, [twin]);
    expect([view.nodeCount(), view.nodeForHostname('worker-2')]).toEqual([2, 'worker-2']);
    expect(view.node('worker-1')).toEqual(base.node('worker-1'));
    expect(view.node('worker-1')).toBeDefined();
    expect(view.countNodes(nodeFilterOf({ containers: [] }))).toBe(base.countNodes(nodeFilterOf({ containers: [] })));
    expect(view.defaultPriorityClass()).toEqual(base.defaultPriorityClass());
    expect(view.priorityClass('high')).toEqual(base.priorityClass('high'));
  });

  it('is the view itself without extras', () => {
    expect(viewWith(base, [])).toBe(base);
  });
});
