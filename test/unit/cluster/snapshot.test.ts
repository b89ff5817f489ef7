import { describe, expect, it } from '@jest/globals';

import { podKey } from '../../../src/cluster/pod-index.js';
import type { SnapshotResult } from '../../../src/cluster/snapshot.js';
import { ClusterStateError, HPG_ERR_CLUSTER_STATE, indexFromObjects } from '../../../src/cluster/snapshot.js';

/** A Pod as `kubectl get -o yaml` prints it (parsed), holding `port` on `node`. */
function podItem(name: string, node: string, port: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}` },
    spec: { nodeName: node, containers: [{ name: 'web', ports: [{ containerPort: port, hostPort: port }] }] },
    status: { phase: 'Running' },
    ...overrides,
  };
}

function nodeItem(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } };
}

function namespaceItem(name: string, mode?: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(mode === undefined ? {} : { labels: { 'hostport-guard.io/mode': mode } }) } };
}

function ok(result: SnapshotResult): Extract<SnapshotResult, { ok: true }> {
  if (!result.ok) throw result.error;
  return result;
}

function problemsOf(result: SnapshotResult): ClusterStateError {
  if (result.ok) throw new Error('expected the cluster state to be rejected');
  return result.error;
}

describe('indexFromObjects', () => {
  it('indexes the List that `kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml` prints', () => {
    const result = ok(
      indexFromObjects({
        apiVersion: 'v1',
        kind: 'List',
        items: [podItem('api', 'worker-1', 8080), nodeItem('worker-1'), nodeItem('worker-2'), namespaceItem('team-a', 'warn'), namespaceItem('default')],
      }),
    );
    expect(result.index.holdersOfPort(8080).map((o) => podKey(o.pod))).toEqual(['team-a/api']);
    expect(result.index.nodeCount()).toBe(2);
    expect(result.index.nodeForHostname('worker-2')).toBe('worker-2');
    expect(result.index.modeLabelOf('team-a')).toBe('warn');
    expect(result.counts).toEqual({ pods: 1, nodes: 2, namespaces: 2, priorityClasses: 0, ignoredKinds: new Map() });
  });

  it('indexes PriorityClasses, nodes with taints, and the priorities of pods', () => {
    const result = ok(
      indexFromObjects([
        { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'fallback' }, value: 10, globalDefault: true },
        { ...nodeItem('cp-1'), spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } },
        podItem('api', 'cp-1', 80, { spec: { nodeName: 'cp-1', priority: 7, containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 80 }] }] } }),
      ]),
    );
    expect(result.counts.priorityClasses).toBe(1);
    expect([result.index.defaultPriorityClass()?.name, result.index.priorityClass('system-node-critical')?.value]).toEqual(['fallback', 2_000_001_000]);
    expect(result.index.node('cp-1')?.traits.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(result.index.holdersOfPort(80).map((o) => o.priority)).toEqual([7]);
  });

  it('reports a PriorityClass that cannot be read, with the rest', () => {
    const error = problemsOf(indexFromObjects([{ kind: 'PriorityClass', metadata: { name: 'broken' } }]));
    expect(error.problems).toEqual([{ at: '[0]', kind: 'PriorityClass', name: 'broken', errors: ["object must have required property 'value'"] }]);
  });

  it('hands every decoded pod to onPod, in order, those that hold nothing too, and indexes those that hold ports', () => {
    const seen: string[] = [];
    const result = ok(
      indexFromObjects(
        [podItem('api', 'worker-1', 80), nodeItem('worker-1'), podItem('done', 'worker-1', 81, { status: { phase: 'Succeeded' } }), podItem('db', 'worker-2', 5432)],
        undefined,
        (pod) => seen.push(pod.metadata.name ?? ''),
      ),
    );
    expect(seen).toEqual(['api', 'done', 'db']);
    expect(result.counts.pods).toBe(3);
    expect(result.index.size().pods).toBe(2);
    expect(result.index.contains({ namespace: 'team-a', name: 'db', uid: 'uid-db' })).toBe(true);
  });

  it('reads a plain array and nested lists alike', () => {
    const result = ok(indexFromObjects([nodeItem('worker-1'), { kind: 'List', items: [podItem('api', 'worker-1', 80)] }]));
    expect(result.counts.pods).toBe(1);
    expect(result.counts.nodes).toBe(1);
  });

  it('takes the kind of items from a typed list (a PodList from the API carries none on its items)', () => {
    const { kind: _kind, ...withoutKind } = podItem('api', 'worker-1', 80);
    const result = ok(indexFromObjects({ kind: 'PodList', items: [withoutKind] }));
    expect(result.index.holdersOfPort(80)).toHaveLength(1);
  });

  it('keeps finished pods out of the index', () => {
    const result = ok(indexFromObjects([podItem('job', 'worker-1', 80, { status: { phase: 'Succeeded' } })]));
    expect(result.index.holdersOfPort(80)).toEqual([]);
  });

  it('skips and counts kinds that play no part', () => {
    const result = ok(indexFromObjects([{ kind: 'Service', metadata: { name: 's' } }, { kind: 'Service' }, { kind: 'ConfigMap' }]));
    expect(result.counts.ignoredKinds).toEqual(
      new Map([
        ['Service', 2],
        ['ConfigMap', 1],
      ]),
    );
  });

  it('reads a typed list with items: null (an empty Go slice) as no items', () => {
    expect(ok(indexFromObjects([nodeItem('worker-1'), { kind: 'PodList', items: null }])).counts.ignoredKinds).toEqual(new Map());
  });

  it('accepts an empty list', () => {
    expect(ok(indexFromObjects({ kind: 'List', items: [] })).index.size()).toEqual({ pods: 0, nodes: 0, namespaces: 0, priorityClasses: 0 });
  });
});

describe('indexFromObjects with unusable items', () => {
  it('lists every bad item with its position, kind, name and what is wrong', () => {
    const error = problemsOf(
      indexFromObjects({
        kind: 'List',
        items: [
          podItem('good', 'worker-1', 80),
          podItem('bad-port', 'worker-1', 80, { spec: { containers: [{ name: 'web', ports: [{ containerPort: 'http' }] }] } }),
          { kind: 'Node', metadata: { labels: { 'kubernetes.io/hostname': 'x' } } },
          { metadata: { name: 'kindless' } },
          'not an object',
        ],
      }),
    );
    expect(error).toBeInstanceOf(ClusterStateError);
    expect(error.code).toBe(HPG_ERR_CLUSTER_STATE);
    expect(error.problems).toEqual([
      { at: 'items[1]', kind: 'Pod', name: 'team-a/bad-port', errors: ['spec.containers[0].ports[0].containerPort must be an integer'] },
      { at: 'items[2]', kind: 'Node', name: '(unnamed)', errors: ["metadata must have required property 'name'"] },
      { at: 'items[3]', kind: undefined, name: 'kindless', errors: ['has no kind'] },
      { at: 'items[4]', kind: undefined, name: '(unnamed)', errors: ['is not an object'] },
    ]);
    expect(error.message).toContain('items[1] (Pod team-a/bad-port): spec.containers[0].ports[0].containerPort must be an integer');
  });

  it('rejects a List whose items are not a list, instead of skipping it as a kind', () => {
    const error = problemsOf(indexFromObjects([nodeItem('worker-1'), { kind: 'PodList', items: { broken: true } }]));
    expect(error.problems).toEqual([{ at: '[1]', kind: 'PodList', name: '(unnamed)', errors: ['PodList items must be a list, not a mapping'] }]);
  });

  it('rejects the same pod listed twice', () => {
    const error = problemsOf(indexFromObjects([podItem('api', 'worker-1', 80), podItem('api', 'worker-2', 80)]));
    expect(error.problems).toEqual([{ at: '[1]', kind: 'Pod', name: 'team-a/api', errors: ['appears more than once'] }]);
  });

  it('rejects a document that is a single scalar', () => {
    expect(problemsOf(indexFromObjects(null)).problems).toEqual([{ at: 'object', kind: undefined, name: '(unnamed)', errors: ['is not an object'] }]);
  });
});
