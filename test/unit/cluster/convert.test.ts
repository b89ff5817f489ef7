import { describe, expect, it } from '@jest/globals';

import { decodeNamespace, decodeNode, decodePod, decodePodWithStatus, decodePriorityClass, nameOf } from '../../../src/cluster/convert.js';

/** A pod as the API server sends it, trimmed to a realistic handful of fields. */
function apiPod(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: 'api-7d9f',
      namespace: 'team-a',
      uid: 'uid-1',
      resourceVersion: '42',
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { app: 'api' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-5c', uid: 'rs-1', controller: true }],
    },
    spec: {
      nodeName: 'worker-1',
      hostNetwork: true,
      containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }] }],
      initContainers: [{ name: 'proxy', restartPolicy: 'Always', ports: [{ containerPort: 15001 }] }],
      volumes: [],
    },
    status: { phase: 'Running', podIP: '10.0.0.1' },
    ...overrides,
  };
}

describe('decodePod', () => {
  it('keeps exactly the fields occupancy reads', () => {
    expect(decodePod(apiPod())).toEqual({
      ok: true,
      value: {
        metadata: {
          name: 'api-7d9f',
          namespace: 'team-a',
          uid: 'uid-1',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'api-5c', uid: 'rs-1', controller: true }],
        },
        spec: {
          nodeName: 'worker-1',
          hostNetwork: true,
          containers: [{ name: 'web', ports: [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }] }],
          initContainers: [{ name: 'proxy', restartPolicy: 'Always', ports: [{ containerPort: 15001 }] }],
        },
        status: { phase: 'Running' },
      },
    });
  });

  it('leaves absent fields absent instead of undefined', () => {
    const decoded = decodePod({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
    if (!decoded.ok) throw new Error(decoded.errors.join());
    expect(Object.keys(decoded.value)).toEqual(['metadata', 'spec']);
    expect(Object.keys(decoded.value.metadata)).toEqual(['name']);
    expect(Object.keys(decoded.value.spec)).toEqual(['containers']);
  });

  it('keeps the deletion timestamp of a terminating pod', () => {
    const decoded = decodePod(apiPod({ metadata: { name: 'p', deletionTimestamp: '2025-01-01T00:00:00Z' } }));
    expect(decoded.ok && decoded.value.metadata.deletionTimestamp).toBe('2025-01-01T00:00:00Z');
  });

  const invalid: readonly { readonly name: string; readonly pod: unknown; readonly errors: readonly string[] }[] = [
    { name: 'rejects a value that is not an object', pod: 'Pod', errors: ['object must be an object'] },
    { name: 'rejects a pod without spec', pod: { metadata: { name: 'p' } }, errors: ["object must have required property 'spec'"] },
    {
      name: 'rejects a port number written as a string, saying where',
      pod: apiPod({ spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: '80' }] }] } }),
      errors: ['spec.containers[0].ports[0].hostPort must be an integer'],
    },
    {
      name: 'rejects a label value that is not a string, naming the label key with its slash',
      pod: apiPod({ metadata: { name: 'p', labels: { 'example.com/on': true } } }),
      errors: ['metadata.labels.example.com/on must be a string'],
    },
    {
      name: 'reports every problem, not only the first',
      pod: { metadata: {}, spec: { containers: 'web' } },
      errors: ["metadata must have required property 'name'", 'spec.containers must be a list'],
    },
  ];
  for (const { name, pod, errors } of invalid) {
    it(name, () => {
      expect(decodePod(pod)).toEqual({ ok: false, errors });
    });
  }
});

describe('decodeNode, decodeNamespace and decodePriorityClass', () => {
  it('reads a node’s labels, its NoSchedule and NoExecute taints and its cordon, and nothing else', () => {
    const node = {
      metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'h1', other: 'x' }, annotations: { a: 'b' } },
      spec: {
        unschedulable: true,
        podCIDR: '10.244.0.0/24',
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }, { key: 'gpu', value: 'a100', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' }],
      },
      status: { images: [{ names: ['x'], sizeBytes: 1 }] },
    };
    expect(decodeNode(node)).toEqual({
      ok: true,
      value: {
        name: 'n1',
        labels: { 'kubernetes.io/hostname': 'h1', other: 'x' },
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }, { key: 'gpu', value: 'a100', effect: 'NoExecute' }],
        unschedulable: true,
      },
    });
  });

  it('reads a node without labels or spec', () => {
    expect(decodeNode({ kind: 'Node', metadata: { name: 'n1' } })).toEqual({ ok: true, value: { name: 'n1', labels: {}, taints: [], unschedulable: false } });
  });

  it('refuses a node whose taints are malformed', () => {
    expect(decodeNode({ metadata: { name: 'n1' }, spec: { taints: [{ key: 'k' }] } })).toEqual({ ok: false, errors: ["spec.taints[0] must have required property 'effect'"] });
  });

  it('reads a PriorityClass', () => {
    expect(decodePriorityClass({ kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, globalDefault: true, preemptionPolicy: 'Never' })).toEqual({
      ok: true,
      value: { name: 'high', value: 1000, globalDefault: true, preemptionPolicy: 'Never' },
    });
    expect(decodePriorityClass({ metadata: { name: 'plain' }, value: -5 })).toEqual({ ok: true, value: { name: 'plain', value: -5, globalDefault: false } });
  });

  it('refuses a PriorityClass without a whole-number value', () => {
    expect(decodePriorityClass({ metadata: { name: 'x' }, value: '10' }).ok).toBe(false);
    expect(decodePriorityClass({ metadata: { name: 'x' } }).ok).toBe(false);
  });

  it('reads a namespace’s mode label', () => {
    expect(decodeNamespace({ metadata: { name: 'team-a', labels: { 'hostport-guard.io/mode': 'warn' } } })).toEqual({
      ok: true,
      value: { name: 'team-a', mode: 'warn' },
    });
  });

  it('rejects a namespace without a name', () => {
    expect(decodeNamespace({ metadata: { labels: {} } }).ok).toBe(false);
  });
});

describe('nameOf', () => {
  const cases: readonly [string, unknown, string][] = [
    ['names a namespaced object namespace/name', { metadata: { name: 'p', namespace: 'ns' } }, 'ns/p'],
    ['names a cluster-scoped object by name', { metadata: { name: 'n1' } }, 'n1'],
    ['falls back when there is no metadata', { spec: {} }, '(unnamed)'],
    ['falls back when the name is not a string', { metadata: { name: 7 } }, '(unnamed)'],
    ['falls back for a non-object', 42, '(unnamed)'],
  ];
  for (const [name, value, expected] of cases) {
    it(name, () => {
      expect(nameOf(value)).toBe(expected);
    });
  }
});

describe('decodePodWithStatus', () => {
  const scheduling = {
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/3 nodes are available: 1 node(s) didn't have free ports", lastTransitionTime: '2025-01-01T00:00:00Z' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
    ],
  };

  it('keeps the reason, the message and only the PodScheduled condition', () => {
    const decoded = decodePodWithStatus(apiPod({ status: { ...scheduling, reason: 'NodePorts', message: 'Pod was rejected' } }));
    expect(decoded.ok && decoded.value.status).toEqual({
      phase: 'Pending',
      reason: 'NodePorts',
      message: 'Pod was rejected',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/3 nodes are available: 1 node(s) didn't have free ports" }],
    });
  });

  it('decodes a pod whose status details have an unexpected shape as decodePod does, without them', () => {
    const odd = apiPod({ status: { phase: 'Pending', conditions: 'not a list', reason: 7 } });
    expect(decodePodWithStatus(odd)).toEqual(decodePod(odd));
  });

  it('refuses what decodePod refuses', () => {
    const broken = apiPod({ spec: { containers: 'none' } });
    expect(decodePodWithStatus(broken).ok).toBe(false);
  });
});
