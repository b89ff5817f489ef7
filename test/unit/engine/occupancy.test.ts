import { describe, expect, it } from '@jest/globals';

import { controllerOf, occupantOf, podRef } from '../../../src/engine/occupancy.js';
import type { PodLike } from '../../../src/engine/types.js';
import { container, hostPort, pod, portSpec, ref } from '../../fixtures/pods.js';

const DS_OWNER = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-1', controller: true };

describe('occupantOf', () => {
  it('records a running pod on its node with its ports', () => {
    expect(occupantOf(pod())).toEqual({
      pod: ref('team-a/api-7d9f'),
      node: 'worker-1',
      hostNetwork: true,
      terminating: false,
      ports: [hostPort()],
    });
  });

  it.each([
    { name: 'a pod without nodeName', p: { metadata: { name: 'a', namespace: 'team-a' }, spec: { containers: [container('web', [portSpec(8080)])] } } },
    { name: 'a pod with an empty nodeName', p: pod({ spec: { nodeName: '' } }) },
    { name: 'a Succeeded pod', p: pod({ status: { phase: 'Succeeded' } }) },
    { name: 'a Failed pod', p: pod({ status: { phase: 'Failed' } }) },
    { name: 'a pod without host ports', p: pod({ spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 80 }])] } }) },
    { name: 'a pod whose only host port sits on an ordinary init container', p: pod({ spec: { containers: [container('web')], initContainers: [container('setup', [portSpec(8080)])] } }) },
  ] satisfies readonly { name: string; p: PodLike }[])('records nothing for $name', ({ p }) => {
    expect(occupantOf(p)).toBeUndefined();
  });

  it.each([
    { phase: 'Pending', p: pod({ status: { phase: 'Pending' } }) },
    { phase: 'Running', p: pod({ status: { phase: 'Running' } }) },
    { phase: 'Unknown', p: pod({ status: { phase: 'Unknown' } }) },
    { phase: 'empty', p: pod({ status: { phase: '' } }) },
    { phase: 'absent', p: { metadata: { name: 'a', namespace: 'team-a' }, spec: { nodeName: 'worker-1', hostNetwork: true, containers: [container('web', [portSpec(8080)])] } } },
  ] satisfies readonly { phase: string; p: PodLike }[])('records a pod whose phase is $phase', ({ p }) => {
    expect(occupantOf(p)?.node).toBe('worker-1');
  });

  it('records a terminating pod, marked terminating', () => {
    const p = pod({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } });
    expect(occupantOf(p)?.terminating).toBe(true);
  });

  it('records the controlling owner', () => {
    const p = pod({ metadata: { ownerReferences: [DS_OWNER] } });
    expect(occupantOf(p)?.owner).toEqual({ kind: 'DaemonSet', name: 'agent', uid: 'ds-1' });
  });

  it('records no owner when no owner reference is the controller', () => {
    const p = pod({ metadata: { ownerReferences: [{ kind: 'ConfigMap', name: 'cfg', uid: 'cm-1' }, { kind: 'Node', name: 'n', uid: 'n-1', controller: false }] } });
    const found = occupantOf(p);
    expect(found).toBeDefined();
    expect(found !== undefined && 'owner' in found).toBe(false);
  });

  it('records a hostPort pod without hostNetwork as not hostNetwork', () => {
    const p = pod({ spec: { hostNetwork: false, containers: [container('web', [{ containerPort: 80, hostPort: 8080 }])] } });
    expect(occupantOf(p)).toMatchObject({ hostNetwork: false, ports: [hostPort({ port: 8080 })] });
  });
});

describe('controllerOf', () => {
  it('picks the owner reference marked controller among several', () => {
    const p = pod({ metadata: { ownerReferences: [{ kind: 'ConfigMap', name: 'cfg', uid: 'cm-1' }, { kind: 'ReplicaSet', name: 'api-7d9f8c6b5', uid: 'rs-1', controller: true }] } });
    expect(controllerOf(p)).toEqual({ kind: 'ReplicaSet', name: 'api-7d9f8c6b5', uid: 'rs-1' });
  });

  it('finds none on a pod without owner references', () => {
    expect(controllerOf(pod())).toBeUndefined();
  });
});

describe('podRef', () => {
  it('keeps namespace, name and uid', () => {
    expect(podRef(pod())).toEqual({ namespace: 'team-a', name: 'api-7d9f', uid: 'uid-api-7d9f' });
  });

  it('uses the namespace the caller implies when the pod names none', () => {
    expect(podRef({ metadata: { name: 'a' }, spec: { containers: [] } }, 'team-b')).toEqual({ namespace: 'team-b', name: 'a' });
  });

  it('uses the default namespace when nothing names one', () => {
    expect(podRef({ metadata: { name: 'a' }, spec: { containers: [] } })).toEqual({ namespace: 'default', name: 'a' });
  });

  it('falls back to generateName when the name is not set yet, marked generated', () => {
    expect(podRef({ metadata: { generateName: 'api-', namespace: 'team-a' }, spec: { containers: [] } })).toEqual({ namespace: 'team-a', name: 'api-', generated: true });
  });

  it('keeps the name when both are set, as the API server does', () => {
    expect(podRef({ metadata: { name: 'api-x2x8k', generateName: 'api-', namespace: 'team-a' }, spec: { containers: [] } })).toEqual({ namespace: 'team-a', name: 'api-x2x8k' });
  });
});
