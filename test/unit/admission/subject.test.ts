import { describe, expect, it } from '@jest/globals';

import type { AdmittedObject, Requester, Subject, TemplateObject, UpdateStrategy } from '../../../src/admission/subject.js';
import { isMirrorPod, MIRROR_ANNOTATION, ownedBy, subjectOf, SUPPORTED_KINDS, TEMPLATE_KINDS } from '../../../src/admission/subject.js';
import type { Occupant, OwnerRef } from '../../../src/engine/types.js';
import { occupant, podSubject, ref, unboundSpec, workloadSubject } from '../../fixtures/pods.js';

const SPEC = unboundSpec();

describe('subjectOf', () => {
  it('makes a Pod subject with its namespace, name, uid and status', () => {
    const object: AdmittedObject = {
      kind: 'Pod',
      metadata: { name: 'api-7d9f', namespace: 'team-a', uid: 'u1' },
      spec: SPEC,
      status: { phase: 'Pending' },
    };
    expect(subjectOf(object, 'other')).toEqual({
      kind: 'Pod',
      ref: { namespace: 'team-a', name: 'api-7d9f', uid: 'u1' },
      pod: { metadata: { name: 'api-7d9f', namespace: 'team-a', uid: 'u1' }, spec: SPEC, status: { phase: 'Pending' } },
      mirror: false,
    });
  });

  it('gives a Pod without a namespace the namespace of the request', () => {
    const subject = subjectOf({ kind: 'Pod', metadata: { name: 'api-7d9f' }, spec: SPEC }, 'team-b');
    expect(subject.ref).toEqual({ namespace: 'team-b', name: 'api-7d9f' });
    expect(subject.kind === 'Pod' ? subject.pod.metadata.namespace : undefined).toBe('team-b');
  });

  it('leaves status out of a Pod that has none', () => {
    const subject = subjectOf({ kind: 'Pod', metadata: { name: 'api-7d9f' }, spec: SPEC }, 'team-b');
    expect(subject.kind === 'Pod' && 'status' in subject.pod).toBe(false);
  });

  it('names a Pod that only has generateName by that prefix, marked generated', () => {
    const subject = subjectOf({ kind: 'Pod', metadata: { generateName: 'api-' }, spec: SPEC }, 'team-b');
    expect(subject.ref).toEqual({ namespace: 'team-b', name: 'api-', generated: true });
  });

  it.each(TEMPLATE_KINDS.map((kind) => ({ kind })))('reads the pod template of a $kind', ({ kind }) => {
    const object: AdmittedObject = { kind, metadata: { name: 'edge', namespace: 'team-a', uid: 'w1' }, spec: { template: { spec: SPEC } } };
    const want: Subject = { kind: 'Workload', workloadKind: kind, ref: { namespace: 'team-a', name: 'edge', uid: 'w1' }, spec: SPEC };
    expect(subjectOf(object, 'other')).toEqual(want);
  });

  it('reads the pod template of a CronJob one level deeper', () => {
    const object: AdmittedObject = {
      kind: 'CronJob',
      metadata: { name: 'backup' },
      spec: { jobTemplate: { spec: { template: { spec: SPEC } } } },
    };
    const want: Subject = { kind: 'Workload', workloadKind: 'CronJob', ref: { namespace: 'team-b', name: 'backup' }, spec: SPEC };
    expect(subjectOf(object, 'team-b')).toEqual(want);
  });

  it('supports Pods, every template kind and CronJobs', () => {
    expect([...SUPPORTED_KINDS].sort()).toEqual(
      ['CronJob', 'DaemonSet', 'Deployment', 'Job', 'Pod', 'ReplicaSet', 'ReplicationController', 'StatefulSet'],
    );
  });
});

describe('ownedBy', () => {
  const ownedAs = (owner: OwnerRef, namespace = 'team-a'): Occupant =>
    occupant({ pod: ref(`${namespace}/${owner.name}-x2x8k`), owner });

  interface Row {
    readonly name: string;
    readonly subject: Subject;
    readonly occupant: Occupant;
    readonly owned: boolean;
  }

  const deployment = workloadSubject('Deployment', 'team-a/api', SPEC, 'deploy-api');
  const daemonSet = workloadSubject('DaemonSet', 'team-a/agent', SPEC, 'ds-agent');
  const cronJob = workloadSubject('CronJob', 'team-a/backup', SPEC, 'cj-backup');

  const rows: readonly Row[] = [
    {
      name: 'a pod never owns another pod, even one with a matching owner',
      subject: podSubject({ metadata: { name: 'api', namespace: 'team-a', uid: 'deploy-api' }, spec: SPEC }),
      occupant: ownedAs({ kind: 'ReplicaSet', name: 'api-7d9f8c6b5', uid: 'deploy-api' }),
      owned: false,
    },
    { name: 'a workload owns no pod without an owner', subject: deployment, occupant: occupant(), owned: false },
    {
      name: 'a DaemonSet owns the pods whose controller has its uid',
      subject: daemonSet,
      occupant: ownedAs({ kind: 'DaemonSet', name: 'agent', uid: 'ds-agent' }),
      owned: true,
    },
    {
      name: 'a DaemonSet owns the pods of its kind and name',
      subject: workloadSubject('DaemonSet', 'team-a/agent', SPEC),
      occupant: ownedAs({ kind: 'DaemonSet', name: 'agent', uid: 'ds-agent' }),
      owned: true,
    },
    {
      name: 'a DaemonSet does not own pods of a namesake in another namespace',
      subject: daemonSet,
      occupant: ownedAs({ kind: 'DaemonSet', name: 'agent', uid: 'ds-agent' }, 'team-b'),
      owned: false,
    },
    {
      name: 'a DaemonSet does not own pods of another DaemonSet',
      subject: daemonSet,
      occupant: ownedAs({ kind: 'DaemonSet', name: 'agent-v2', uid: 'ds-agent-v2' }),
      owned: false,
    },
    {
      name: 'a DaemonSet does not own pods of a ReplicaSet named after it',
      subject: daemonSet,
      occupant: ownedAs({ kind: 'ReplicaSet', name: 'agent-7d9f8c6b5', uid: 'rs-1' }),
      owned: false,
    },
    {
      name: 'a Deployment owns the pods of its ReplicaSets (name plus pod-template-hash)',
      subject: deployment,
      occupant: ownedAs({ kind: 'ReplicaSet', name: 'api-7d9f8c6b5', uid: 'rs-1' }),
      owned: true,
    },
    {
      name: 'a Deployment does not own pods of a ReplicaSet whose name merely starts with its own',
      subject: deployment,
      occupant: ownedAs({ kind: 'ReplicaSet', name: 'apiserver-7d9f8c6b5', uid: 'rs-2' }),
      owned: false,
    },
    {
      name: 'a Deployment does not own pods of a ReplicaSet of another Deployment whose name extends its own',
      subject: deployment,
      occupant: ownedAs({ kind: 'ReplicaSet', name: 'api-v2-7d9f8c6b5', uid: 'rs-3' }),
      owned: false,
    },
    {
      name: 'a Deployment does not own pods of a Job named after it',
      subject: deployment,
      occupant: ownedAs({ kind: 'Job', name: 'api-28934520', uid: 'job-1' }),
      owned: false,
    },
    {
      name: 'a CronJob owns the pods of its Jobs (name plus scheduled minute)',
      subject: cronJob,
      occupant: ownedAs({ kind: 'Job', name: 'backup-28934520', uid: 'job-1' }),
      owned: true,
    },
    {
      name: 'a CronJob does not own pods of a Job of another CronJob whose name extends its own',
      subject: cronJob,
      occupant: ownedAs({ kind: 'Job', name: 'backup-daily-28934520', uid: 'job-2' }),
      owned: false,
    },
    {
      name: 'a StatefulSet owns the pods of its kind and name',
      subject: workloadSubject('StatefulSet', 'team-a/db', SPEC, 'sts-db'),
      occupant: ownedAs({ kind: 'StatefulSet', name: 'db', uid: 'sts-db' }),
      owned: true,
    },
    {
      name: 'a StatefulSet does not own pods of a ReplicaSet named after it',
      subject: workloadSubject('StatefulSet', 'team-a/db', SPEC, 'sts-db'),
      occupant: ownedAs({ kind: 'ReplicaSet', name: 'db-7d9f8c6b5', uid: 'rs-4' }),
      owned: false,
    },
    {
      name: 'a Job owns the pods of its kind and name',
      subject: workloadSubject('Job', 'team-a/migrate', SPEC, 'job-migrate'),
      occupant: ownedAs({ kind: 'Job', name: 'migrate', uid: 'job-migrate' }),
      owned: true,
    },
    {
      name: 'an empty uid matches nothing: a DaemonSet without uid does not own pods of another DaemonSet without uid',
      subject: workloadSubject('DaemonSet', 'team-a/agent', SPEC, ''),
      occupant: ownedAs({ kind: 'DaemonSet', name: 'other', uid: '' }),
      owned: false,
    },
  ];

  it.each(rows)('$name', ({ subject, occupant: o, owned }) => {
    expect(ownedBy(subject, o)).toBe(owned);
  });
});

describe('isMirrorPod', () => {
  const MIRROR = { [MIRROR_ANNOTATION]: '6f1d2c3b' };
  const bound = (annotations: Record<string, string> | undefined, nodeName = 'worker-1') => ({
    metadata: { name: 'etcd-worker-1', namespace: 'kube-system', ...(annotations === undefined ? {} : { annotations }) },
    spec: { ...SPEC, nodeName },
  });
  const KUBELET_1: Requester = { username: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] };

  it.each<[string, ReturnType<typeof bound>, Requester | undefined, boolean]>([
    ['takes an annotated pod from the kubelet of the node it is bound to as a mirror', bound(MIRROR), KUBELET_1, true],
    ['takes a pod without the annotation from that kubelet as an ordinary pod', bound(undefined), KUBELET_1, false],
    ['does not honour the annotation from a user who is not a node', bound(MIRROR), { username: 'kubernetes-admin', groups: ['system:masters'] }, false],
    ['does not honour the annotation from the kubelet of another node', bound(MIRROR, 'worker-2'), KUBELET_1, false],
    ['does not honour a node name without the system:nodes group', bound(MIRROR), { username: 'system:node:worker-1', groups: ['system:authenticated'] }, false],
    ['does not honour the annotation without a requester (a manifest checked offline)', bound(MIRROR), undefined, false],
  ])('%s', (_name, pod, requester, mirror) => {
    expect(isMirrorPod(pod, requester)).toBe(mirror);
    const subject = subjectOf({ kind: 'Pod', ...pod }, 'kube-system', requester);
    expect(subject.kind === 'Pod' && subject.mirror).toBe(mirror);
  });
});

describe('the maxSurge of a DaemonSet', () => {
  const daemonSet = (updateStrategy?: UpdateStrategy, kind: TemplateObject['kind'] = 'DaemonSet'): AdmittedObject => ({
    kind,
    metadata: { name: 'agent', namespace: 'team-a' },
    spec: { template: { spec: SPEC }, ...(updateStrategy === undefined ? {} : { updateStrategy }) },
  });
  const maxSurgeOf = (object: AdmittedObject): string | undefined => {
    const subject = subjectOf(object, 'team-a');
    return subject.kind === 'Workload' ? subject.maxSurge : undefined;
  };

  it.each<[string, AdmittedObject, string | undefined]>([
    ['is absent without an update strategy (the default does not surge)', daemonSet(), undefined],
    ['is kept as written for an integer above 0', daemonSet({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }), '1'],
    ['is kept for a percentage above 0, which is rounded up', daemonSet({ rollingUpdate: { maxSurge: '10%' } }), '10%'],
    ['is absent for 0', daemonSet({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0 } }), undefined],
    ['is absent for 0%', daemonSet({ rollingUpdate: { maxSurge: '0%' } }), undefined],
    ['is absent for OnDelete, where maxSurge means nothing', daemonSet({ type: 'OnDelete', rollingUpdate: { maxSurge: 1 } }), undefined],
    ['is absent for a string the API server would refuse', daemonSet({ rollingUpdate: { maxSurge: 'one' } }), undefined],
    ['is never read from a Deployment', daemonSet({ rollingUpdate: { maxSurge: 1 } }, 'Deployment'), undefined],
  ])('%s', (_name, object, want) => {
    expect(maxSurgeOf(object)).toBe(want);
  });
});
