import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { PodIndex, podKey } from '../../../src/cluster/pod-index.js';
import { occupantOf, podRef } from '../../../src/engine/occupancy.js';
import type { Occupant, PodLike, PodRef, PodSpecLike } from '../../../src/engine/types.js';
import { container, pod, portSpec } from '../../fixtures/pods.js';

function keys(occupants: Iterable<Occupant>): string[] {
  return [...occupants].map((o) => podKey(o.pod)).sort();
}

function indexOf(...pods: PodLike[]): PodIndex {
  const index = new PodIndex();
  for (const p of pods) index.upsertPod(p);
  return index;
}

const api = pod();
const dns = pod({
  metadata: { name: 'dns-x1', namespace: 'kube-system', uid: 'uid-dns' },
  spec: { nodeName: 'worker-2', containers: [container('dns', [portSpec(53, { protocol: 'UDP' }), portSpec(53)])] },
});

describe('PodIndex pods', () => {
  it('finds an added pod by node and by port', () => {
    const index = indexOf(api, dns);
    expect(keys(index.occupantsOn('worker-1'))).toEqual(['team-a/api-7d9f']);
    expect(keys(index.holdersOfPort(8080))).toEqual(['team-a/api-7d9f']);
    expect(keys(index.holdersOfPort(53))).toEqual(['kube-system/dns-x1']);
    expect(index.size().pods).toBe(2);
  });

  it('lists a pod holding 53/UDP and 53/TCP once under port 53', () => {
    expect(indexOf(dns).holdersOfPort(53)).toHaveLength(1);
  });

  it('does not store a pod that holds no host port', () => {
    const index = indexOf(pod({ spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 80 }])] } }));
    expect(index.size().pods).toBe(0);
  });

  it('does not store a pod that is not bound to a node yet', () => {
    expect(indexOf(pod({ spec: { nodeName: '' } })).size().pods).toBe(0);
  });

  const leaving: readonly { readonly name: string; readonly update: PodLike }[] = [
    { name: 'drops a pod that moved to Succeeded', update: pod({ status: { phase: 'Succeeded' } }) },
    { name: 'drops a pod that moved to Failed', update: pod({ status: { phase: 'Failed' } }) },
    {
      name: 'drops a pod whose update holds no port any more',
      update: pod({ spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 8080 }])] } }),
    },
  ];
  for (const { name, update } of leaving) {
    it(name, () => {
      const index = indexOf(api);
      index.upsertPod(update);
      expect(index.size().pods).toBe(0);
      expect(index.occupantsOn('worker-1')).toEqual([]);
      expect(index.holdersOfPort(8080)).toEqual([]);
      expect(index.contains({ namespace: 'team-a', name: 'api-7d9f', uid: 'uid-api-7d9f' })).toBe(false);
    });
  }

  it('keeps a terminating pod, marked terminating, until it is deleted', () => {
    const index = indexOf(api);
    index.upsertPod(pod({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } }));
    expect(index.occupantsOn('worker-1').map((o) => o.terminating)).toEqual([true]);
  });

  it('replaces the ports of an updated pod instead of adding to them', () => {
    const index = indexOf(api);
    index.upsertPod(pod({ spec: { containers: [container('web', [portSpec(9090)])] } }));
    expect(index.holdersOfPort(8080)).toEqual([]);
    expect(keys(index.holdersOfPort(9090))).toEqual(['team-a/api-7d9f']);
  });

  it('deletes a pod by namespace/name', () => {
    const index = indexOf(api, dns);
    index.deletePod({ namespace: 'team-a', name: 'api-7d9f' });
    expect(keys(index.holdersOfPort(8080))).toEqual([]);
    expect(index.size().pods).toBe(1);
  });

  it('ignores the deletion of an older pod of the same name (another uid)', () => {
    const index = indexOf(pod({ metadata: { uid: 'uid-new' } }));
    index.deletePod({ namespace: 'team-a', name: 'api-7d9f', uid: 'uid-old' });
    expect(index.size().pods).toBe(1);
  });

  it('finds pods by namespace/name, and only that incarnation when the reference has a uid', () => {
    const index = indexOf(api);
    expect(index.contains({ namespace: 'team-a', name: 'api-7d9f', uid: 'uid-api-7d9f' })).toBe(true);
    expect(index.contains({ namespace: 'team-a', name: 'api-7d9f', uid: 'uid-other' })).toBe(false);
    expect(index.contains({ namespace: 'team-a', name: 'api-7d9f' })).toBe(true);
  });

  it('forgets every pod missing from a re-list', () => {
    const index = indexOf(api, dns);
    index.replaceAllPods([dns]);
    expect(keys(index.holdersOfPort(8080))).toEqual([]);
    expect(index.contains({ namespace: 'team-a', name: 'api-7d9f', uid: 'uid-api-7d9f' })).toBe(false);
    expect(keys(index.occupantsOn('worker-2'))).toEqual(['kube-system/dns-x1']);
  });
});

describe('PodIndex shared values', () => {
  /** A pod of DaemonSet `agent` on `node`, holding 9100 there. */
  const agent = (node: string): PodLike =>
    pod({
      metadata: { name: `agent-${node}`, namespace: 'monitoring', uid: `uid-agent-${node}`, ownerReferences: [{ kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true }] },
      spec: { nodeName: node, containers: [container('agent', [portSpec(9100)])] },
    });

  it("keeps one copy of a DaemonSet's owner, namespace and ports for all its pods", () => {
    const index = indexOf(agent('n1'), agent('n2'), agent('n3'));
    const [first, ...rest] = ['n1', 'n2', 'n3'].map((node) => index.occupantOf({ namespace: 'monitoring', name: `agent-${node}` }));
    for (const other of rest) {
      expect(other?.owner).toBe(first?.owner);
      expect(other?.ports).toBe(first?.ports);
      expect(other?.pod.namespace).toBe(first?.pod.namespace);
    }
    expect(first?.owner).toEqual({ kind: 'DaemonSet', name: 'agent', uid: 'uid-agent' });
    expect(index.sharedValues()).toBe(3);
  });

  it('lets a value go with the last pod that used it, however the pods leave', () => {
    const index = indexOf(agent('n1'), agent('n2'), agent('n3'));
    index.deletePod({ namespace: 'monitoring', name: 'agent-n1' });
    expect(index.sharedValues()).toBe(3);
    // Changed ports: a second list, while agent-n3 keeps the first.
    index.upsertPod({ ...agent('n2'), spec: { ...agent('n2').spec, containers: [container('agent', [portSpec(9101)])] } });
    expect(index.sharedValues()).toBe(4);
    // No owner any more: agent-n3 still has it.
    index.upsertPod({ ...agent('n2'), metadata: { ...agent('n2').metadata, ownerReferences: [] } });
    expect(index.sharedValues()).toBe(3);
    const relist = index.relistPods();
    relist.add([]);
    relist.finish();
    expect([index.size().pods, index.sharedValues()]).toEqual([0, 0]);
    index.replaceAllPods([agent('n1')]);
    expect(index.sharedValues()).toBe(3);
    index.replaceAllPods([]);
    expect(index.sharedValues()).toBe(0);
  });
});

describe('PodIndex node changes', () => {
  function watched(...pods: PodLike[]): { index: PodIndex; changed: string[] } {
    const index = indexOf(...pods);
    const changed: string[] = [];
    index.onNodeChanged((node) => changed.push(node));
    return { index, changed };
  }

  it('tells the node of a pod holding ports when it is added, changed or deleted', () => {
    const { index, changed } = watched();
    index.upsertPod(api);
    index.upsertPod({ ...api, metadata: { ...api.metadata, deletionTimestamp: '2026-11-30T12:00:00Z' } });
    index.deletePod({ namespace: 'team-a', name: 'api-7d9f' });
    // The change is a removal and an addition on the same node.
    expect(changed).toEqual(['worker-1', 'worker-1', 'worker-1', 'worker-1']);
  });

  it('tells nothing, and keeps the entry, when an update changes nothing the pod holds', () => {
    const { index, changed } = watched(api);
    const before = index.occupantOf({ namespace: 'team-a', name: 'api-7d9f' });
    index.upsertPod({ ...api, metadata: { ...api.metadata, labels: { ready: 'yes' } }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    const relist = index.relistPods();
    relist.add([api]);
    relist.finish();
    expect(changed).toEqual([]);
    expect(index.occupantOf({ namespace: 'team-a', name: 'api-7d9f' })).toBe(before);
    expect(index.sharedValues()).toBe(2);
  });

  it('tells nothing for a pod that holds no port', () => {
    const { index, changed } = watched();
    index.upsertPod(pod({ spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 80 }])] } }));
    expect(changed).toEqual([]);
  });

  it('tells every node that had or has such pods on a re-list', () => {
    const { index, changed } = watched(api);
    index.replaceAllPods([dns]);
    expect(changed.sort()).toEqual(['worker-1', 'worker-2']);
    expect(index.occupiedNodes()).toEqual(['worker-2']);
  });
});

describe('PodIndex updates', () => {
  const owned = (uid: string, kind = 'DaemonSet', name = 'api'): PodLike =>
    pod({ metadata: { ...api.metadata, ownerReferences: [{ kind, name, uid, controller: true }] }, spec: { priority: 10 } });
  const base = owned('uid-ds');
  const withoutPriority = ({ priority: _, ...spec }: PodSpecLike): PodSpecLike => spec;
  /** One change of each thing an entry holds, from `base`. */
  const changes: readonly (readonly [string, PodLike])[] = [
    ['the uid (another pod of the same name)', pod({ ...base, metadata: { ...base.metadata, uid: 'uid-next' } })],
    ['the node', pod({ ...base, spec: { ...base.spec, nodeName: 'worker-2' } })],
    ['hostNetwork', pod({ ...base, spec: { ...base.spec, hostNetwork: false } })],
    ['being deleted', pod({ ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-11-30T12:00:00Z' } })],
    ['the priority', pod({ ...base, spec: { ...base.spec, priority: 11 } })],
    ['a class name instead of a priority', pod({ ...base, spec: { ...withoutPriority(base.spec), priorityClassName: 'high' } })],
    ["the owner's uid", owned('uid-ds-2')],
    ["the owner's kind", owned('uid-ds', 'ReplicaSet')],
    ["the owner's name", owned('uid-ds', 'DaemonSet', 'api-2')],
    ['no owner', pod({ ...base, metadata: { ...base.metadata, ownerReferences: [] } })],
    ['the port', pod({ ...base, spec: { ...base.spec, containers: [container('web', [portSpec(8081)])] } })],
    ['the protocol', pod({ ...base, spec: { ...base.spec, containers: [container('web', [portSpec(8080, { protocol: 'UDP' })])] } })],
    ['the host IP', pod({ ...base, spec: { ...base.spec, containers: [container('web', [portSpec(8080, { hostIP: '10.0.0.1' })])] } })],
    ['the container', pod({ ...base, spec: { ...base.spec, containers: [container('api', [portSpec(8080)])] } })],
    ['one more port', pod({ ...base, spec: { ...base.spec, containers: [container('web', [portSpec(8080), portSpec(9090)])] } })],
  ];

  it.each(changes)('replaces the entry when an update changes %s', (_, changed) => {
    const index = indexOf(base);
    const before = index.occupantOf(podRef(base));
    index.upsertPod(changed);
    expect(index.occupantOf(podRef(changed))).not.toBe(before);
    expect(index.occupantOf(podRef(changed))).toEqual(occupantOf(changed));
  });

  it('replaces the entry when the class of a pod without a priority changes', () => {
    const classed = (name: string): PodLike => pod({ spec: { priorityClassName: name } });
    const index = indexOf(classed('low'));
    index.upsertPod(classed('high'));
    expect(index.occupantOf(podRef(api))?.priorityClassName).toBe('high');
  });
});

describe('PodIndex re-list in chunks', () => {
  const named = (name: string, node = 'worker-1'): PodLike =>
    pod({ metadata: { name, namespace: 'team-a', uid: `uid-${name}` }, spec: { nodeName: node } });

  it('records each chunk as it arrives and forgets, at the end, every pod the list did not show', () => {
    const index = indexOf(named('a'), named('gone'));
    const relist = index.relistPods();
    relist.add([named('a', 'worker-2')]);
    expect(keys(index.occupantsOn('worker-2'))).toEqual(['team-a/a']);
    // Until the list is complete, a pod it has not shown yet may still come: it stays.
    expect(index.occupantOf({ namespace: 'team-a', name: 'gone' })).toBeDefined();
    relist.add([named('b')]);
    relist.finish();
    expect(keys(index.allOccupants())).toEqual(['team-a/a', 'team-a/b']);
    expect(index.contains({ namespace: 'team-a', name: 'gone', uid: 'uid-gone' })).toBe(false);
    expect(keys(index.holdersOfPort(8080))).toEqual(['team-a/a', 'team-a/b']);
  });

  it('forgets a pod shown only by a list that was abandoned and started over', () => {
    const index = new PodIndex();
    const relist = index.relistPods();
    relist.add([named('a'), named('deleted-meanwhile')]);
    relist.restart();
    relist.add([named('a')]);
    relist.finish();
    expect(keys(index.allOccupants())).toEqual(['team-a/a']);
  });

  it('forgets a pod whose listed state holds no port any more', () => {
    const index = indexOf(named('a'));
    const relist = index.relistPods();
    relist.add([pod({ metadata: { name: 'a', namespace: 'team-a', uid: 'uid-a' }, status: { phase: 'Succeeded' } })]);
    relist.finish();
    expect(index.size().pods).toBe(0);
  });

  it('ends with the same index as replaceAllPods of the whole list', () => {
    const before = [named('a'), named('b'), named('c', 'worker-3')];
    const listed = [named('b', 'worker-2'), named('d'), pod({ metadata: { name: 'e', namespace: 'team-a' }, spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 80 }])] } })];
    const chunked = indexOf(...before);
    const relist = chunked.relistPods();
    for (const item of listed) relist.add([item]);
    relist.finish();
    const whole = indexOf(...before);
    whole.replaceAllPods(listed);
    expect(keys(chunked.allOccupants())).toEqual(keys(whole.allOccupants()));
    expect(chunked.allOccupants().map((o) => o.node).sort()).toEqual(whole.allOccupants().map((o) => o.node).sort());
  });
});

describe('PodIndex nodes and namespaces', () => {
  it('maps a hostname label to its node and counts nodes', () => {
    const index = new PodIndex();
    index.upsertNode({ name: 'ip-10-0-0-1.ec2.internal', labels: { 'kubernetes.io/hostname': 'ip-10-0-0-1' } });
    index.upsertNode({ name: 'worker-2' });
    expect(index.nodeForHostname('ip-10-0-0-1')).toBe('ip-10-0-0-1.ec2.internal');
    expect(index.nodeForHostname('worker-2')).toBeUndefined();
    expect(index.nodeCount()).toBe(2);
  });

  it('follows a node whose hostname label changes', () => {
    const index = new PodIndex();
    index.upsertNode({ name: 'n1', labels: { 'kubernetes.io/hostname': 'old' } });
    index.upsertNode({ name: 'n1', labels: { 'kubernetes.io/hostname': 'new' } });
    expect(index.nodeForHostname('old')).toBeUndefined();
    expect(index.nodeForHostname('new')).toBe('n1');
    expect(index.nodeCount()).toBe(1);
  });

  it('pins to no node when two nodes carry the same hostname label', () => {
    const index = new PodIndex();
    index.upsertNode({ name: 'a', labels: { 'kubernetes.io/hostname': 'same' } });
    index.upsertNode({ name: 'b', labels: { 'kubernetes.io/hostname': 'same' } });
    expect(index.nodeForHostname('same')).toBeUndefined();
    index.deleteNode('b');
    expect(index.nodeForHostname('same')).toBe('a');
  });

  it('forgets nodes missing from a re-list', () => {
    const index = new PodIndex();
    index.upsertNode({ name: 'a', labels: { 'kubernetes.io/hostname': 'a' } });
    index.replaceAllNodes([{ name: 'b', labels: { 'kubernetes.io/hostname': 'b' } }]);
    expect(index.nodeForHostname('a')).toBeUndefined();
    expect(index.nodeCount()).toBe(1);
  });

  it('keeps only the mode label of namespaces', () => {
    const index = new PodIndex();
    index.upsertNamespace({ name: 'team-a', mode: 'warn' });
    index.upsertNamespace({ name: 'team-b' });
    expect(index.modeLabelOf('team-a')).toBe('warn');
    expect(index.modeLabelOf('team-b')).toBeUndefined();
    index.upsertNamespace({ name: 'team-a' });
    expect(index.modeLabelOf('team-a')).toBeUndefined();
    expect(index.size().namespaces).toBe(0);
  });

  it('forgets namespace labels missing from a re-list', () => {
    const index = new PodIndex();
    index.upsertNamespace({ name: 'team-a', mode: 'audit' });
    index.replaceAllNamespaces([{ name: 'team-b', mode: 'enforce' }]);
    expect(index.modeLabelOf('team-a')).toBeUndefined();
    expect(index.modeLabelOf('team-b')).toBe('enforce');
  });
});

/** A small universe, so that operations hit the same pods, nodes and ports often. */
const NAMES = ['a', 'b', 'c', 'd'] as const;
const NODES = ['n1', 'n2', 'n3'] as const;
const PORTS = [53, 80, 443] as const;

const podArb: fc.Arbitrary<PodLike> = fc
  .record({
    name: fc.constantFrom(...NAMES),
    uid: fc.constantFrom('u1', 'u2'),
    node: fc.constantFrom<string | undefined>(...NODES, undefined),
    phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed'),
    hostNetwork: fc.boolean(),
    ports: fc.array(fc.record({ port: fc.constantFrom(...PORTS), udp: fc.boolean(), host: fc.boolean() }), { maxLength: 3 }),
    owner: fc.constantFrom<string | undefined>('ds-a', 'ds-b', undefined),
    terminating: fc.boolean(),
    priority: fc.constantFrom<number | undefined>(0, 1000, undefined),
  })
  .map(({ name, uid, node, phase, hostNetwork, ports, owner, terminating, priority }) =>
    pod({
      metadata: {
        name,
        namespace: 'ns',
        uid: `${name}-${uid}`,
        ...(owner === undefined ? {} : { ownerReferences: [{ kind: 'DaemonSet', name: owner, uid: `uid-${owner}`, controller: true }] }),
        ...(terminating ? { deletionTimestamp: '2026-11-30T12:00:00Z' } : {}),
      },
      spec: {
        ...(node === undefined ? {} : { nodeName: node }),
        ...(priority === undefined ? {} : { priority }),
        hostNetwork,
        containers: [
          container(
            'c',
            ports.map((p) => (p.host ? portSpec(p.port, { protocol: p.udp ? 'UDP' : 'TCP' }) : { containerPort: p.port, protocol: p.udp ? 'UDP' : 'TCP' })),
          ),
        ],
      },
      status: { phase },
    }),
  );

type Op =
  | { readonly op: 'upsert'; readonly pod: PodLike }
  | { readonly op: 'delete'; readonly ref: PodRef }
  | { readonly op: 'replaceAll'; readonly pods: readonly PodLike[] }
  | { readonly op: 'relist'; readonly chunks: readonly (readonly PodLike[])[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: podArb.map((p): Op => ({ op: 'upsert', pod: p })) },
  {
    weight: 3,
    arbitrary: fc
      .record({ name: fc.constantFrom(...NAMES), uid: fc.constantFrom<string | undefined>('u1', 'u2', undefined) })
      .map(({ name, uid }): Op => ({ op: 'delete', ref: uid === undefined ? { namespace: 'ns', name } : { namespace: 'ns', name, uid: `${name}-${uid}` } })),
  },
  { weight: 1, arbitrary: fc.array(podArb, { maxLength: 4 }).map((pods): Op => ({ op: 'replaceAll', pods })) },
  { weight: 1, arbitrary: fc.array(fc.array(podArb, { maxLength: 2 }), { maxLength: 3 }).map((chunks): Op => ({ op: 'relist', chunks })) },
);

describe('PodIndex against a naive model', () => {
  it('answers every lookup like a scan of the surviving pods, after any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const index = new PodIndex();
        const model = new Map<string, PodLike>();
        for (const step of ops) {
          switch (step.op) {
            case 'upsert':
              index.upsertPod(step.pod);
              model.set(`ns/${step.pod.metadata.name ?? ''}`, step.pod);
              break;
            case 'delete': {
              index.deletePod(step.ref);
              const current = model.get(podKey(step.ref));
              if (current !== undefined && (step.ref.uid === undefined || step.ref.uid === current.metadata.uid)) {
                model.delete(podKey(step.ref));
              }
              break;
            }
            case 'replaceAll':
              index.replaceAllPods(step.pods);
              model.clear();
              for (const p of step.pods) model.set(`ns/${p.metadata.name ?? ''}`, p);
              break;
            case 'relist': {
              const relist = index.relistPods();
              for (const chunk of step.chunks) relist.add(chunk);
              relist.finish();
              model.clear();
              for (const p of step.chunks.flat()) model.set(`ns/${p.metadata.name ?? ''}`, p);
              break;
            }
          }
        }
        const expected = [...model.values()].map(occupantOf).filter((o): o is Occupant => o !== undefined);
        expect(index.size().pods).toBe(expected.length);
        for (const node of NODES) {
          expect(keys(index.occupantsOn(node))).toEqual(keys(expected.filter((o) => o.node === node)));
        }
        for (const port of PORTS) {
          expect(keys(index.holdersOfPort(port))).toEqual(keys(expected.filter((o) => o.ports.some((p) => p.port === port))));
        }
        // One copy of each owner, namespace and list of ports still in use, and no more.
        const distinct = (values: readonly unknown[]): number => new Set(values.map((v) => JSON.stringify(v))).size;
        expect(index.sharedValues()).toBe(
          distinct(expected.flatMap((o) => (o.owner === undefined ? [] : [o.owner]))) + distinct(expected.map((o) => o.pod.namespace)) + distinct(expected.map((o) => o.ports)),
        );
        for (const name of NAMES) {
          const occupant = expected.find((o) => o.pod.name === name);
          expect(index.occupantOf({ namespace: 'ns', name })).toEqual(occupant);
          for (const uid of ['u1', 'u2']) {
            expect(index.contains({ namespace: 'ns', name, uid: `${name}-${uid}` })).toBe(occupant?.pod.uid === `${name}-${uid}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
