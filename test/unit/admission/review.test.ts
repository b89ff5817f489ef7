import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  decodeAdmittedObject,
  decodeReview,
  HPG_ERR_INVALID_OBJECT,
  HPG_ERR_INVALID_REVIEW,
  HPG_ERR_UNSUPPORTED_KIND,
  isAdmittedObject,
  uidOf,
} from '../../../src/admission/review.js';
import { container, portSpec, unboundSpec } from '../../fixtures/pods.js';
import type { Json } from '../../fixtures/reviews.js';
import { podObject, podReview, REQUEST_UID, review, reviewRequest, workloadObject } from '../../fixtures/reviews.js';

/** `podObject()` with `spec.containers[0].ports[0]` replaced. */
function podWithPort(port: Json): Json {
  return { ...podObject(), spec: { nodeName: 'worker-1', containers: [{ name: 'web', ports: [port] }] } };
}

/** `podObject()` with `metadata` replaced. */
function podWithMetadata(metadata: Json): Json {
  return { ...podObject(), metadata };
}

describe('decodeReview', () => {
  const decided: readonly [string, Json, Json][] = [
    ['decides the CREATE of a Pod', podReview(), podObject({ metadata: { name: 'api-new', uid: 'uid-api-new' } })],
    ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController'].flatMap(
      (kind): [string, Json, Json][] => {
        const object = workloadObject(kind, 'api', unboundSpec());
        return [
          [`decides the CREATE of a ${kind}`, review(reviewRequest({}, object)), object],
          [
            `decides the UPDATE of a ${kind}`,
            review(reviewRequest({ operation: 'UPDATE', oldObject: object }, object)),
            object,
          ],
        ];
      },
    ),
    [
      'keeps fields it does not read',
      review(reviewRequest({}, { ...podObject(), extra: { anything: [1, null] } })),
      { ...podObject(), extra: { anything: [1, null] } },
    ],
  ];

  it.each(decided)('%s', (_name, body, object) => {
    const result = decodeReview(body);
    expect(result).toEqual({ ok: true, review: { request: body['request'], target: { kind: 'decide', object } } });
  });

  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
  const skipped: readonly [string, Json, string][] = [
    [
      'lets the DELETE of a Pod through',
      review(reviewRequest({ operation: 'DELETE', object: null, oldObject: podObject() })),
      'DELETE of v1 Pod is not decided',
    ],
    [
      'lets a DELETE from an API server that sends no old object through',
      review(reviewRequest({ operation: 'DELETE', object: undefined, oldObject: undefined })),
      'DELETE of v1 Pod is not decided',
    ],
    [
      'lets the UPDATE of a Pod through: its ports cannot change',
      review(reviewRequest({ operation: 'UPDATE', oldObject: podObject() })),
      'UPDATE of v1 Pod is not decided',
    ],
    [
      'lets a pods/binding subresource through',
      review(reviewRequest({ subResource: 'binding', object: { kind: 'Binding', target: { name: 'worker-2' } } })),
      'subresource pods/binding is not decided',
    ],
    [
      'lets a CONNECT to pods/exec through',
      review(reviewRequest({ operation: 'CONNECT', subResource: 'exec', object: { kind: 'PodExecOptions' } })),
      'subresource pods/exec is not decided',
    ],
    [
      'lets a kind it does not decide through without reading its object',
      review(reviewRequest({}, configMap)),
      'kind v1 ConfigMap is not decided',
    ],
    [
      'lets a Deployment of another API group through',
      review(reviewRequest({ kind: { group: 'extensions', version: 'v1beta1', kind: 'Deployment' } }, { kind: 'Deployment' })),
      'kind extensions/v1beta1 Deployment is not decided',
    ],
    [
      'lets the DELETE of a Deployment through',
      review(reviewRequest({ operation: 'DELETE', object: null }, workloadObject('Deployment', 'api', unboundSpec()))),
      'DELETE of apps/v1 Deployment is not decided',
    ],
  ];

  it.each(skipped)('%s', (_name, body, reason) => {
    const result = decodeReview(body);
    expect(result).toEqual({ ok: true, review: { request: body['request'], target: { kind: 'skip', reason } } });
  });

  const invalid: readonly [string, unknown, Json][] = [
    ['refuses null', null, { code: HPG_ERR_INVALID_REVIEW, reason: 'body must be an object' }],
    ['refuses an array', [review()], { code: HPG_ERR_INVALID_REVIEW, reason: 'body must be an object' }],
    ['refuses a string', 'AdmissionReview', { code: HPG_ERR_INVALID_REVIEW, reason: 'body must be an object' }],
    [
      'refuses admission.k8s.io/v1beta1, echoing the uid',
      { ...review(), apiVersion: 'admission.k8s.io/v1beta1' },
      { code: HPG_ERR_INVALID_REVIEW, reason: '/apiVersion must be "admission.k8s.io/v1"', uid: REQUEST_UID },
    ],
    [
      'refuses another kind',
      { ...review(), kind: 'TokenReview' },
      { code: HPG_ERR_INVALID_REVIEW, reason: '/kind must be "AdmissionReview"', uid: REQUEST_UID },
    ],
    [
      'refuses a review without request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      { code: HPG_ERR_INVALID_REVIEW, reason: "body must have required property 'request'" },
    ],
    [
      'refuses a request without uid',
      review(reviewRequest({ uid: undefined })),
      { code: HPG_ERR_INVALID_REVIEW, reason: "/request must have required property 'uid'" },
    ],
    [
      'refuses a numeric uid and does not echo it',
      review(reviewRequest({ uid: 42 })),
      { code: HPG_ERR_INVALID_REVIEW, reason: '/request/uid must be a string' },
    ],
    [
      'refuses an empty uid',
      review(reviewRequest({ uid: '' })),
      { code: HPG_ERR_INVALID_REVIEW, reason: '/request/uid must not be empty', uid: '' },
    ],
    [
      'refuses an unknown operation',
      review(reviewRequest({ operation: 'PATCH' })),
      {
        code: HPG_ERR_INVALID_REVIEW,
        reason: '/request/operation must be one of CREATE, UPDATE, DELETE, CONNECT',
        uid: REQUEST_UID,
      },
    ],
    [
      'refuses a request kind without group',
      review(reviewRequest({ kind: { version: 'v1', kind: 'Pod' } })),
      { code: HPG_ERR_INVALID_REVIEW, reason: "/request/kind must have required property 'group'", uid: REQUEST_UID },
    ],
    [
      'refuses a CREATE without object',
      review(reviewRequest({ object: undefined })),
      { code: HPG_ERR_INVALID_REVIEW, reason: "/request must have required property 'object'", uid: REQUEST_UID },
    ],
    [
      'refuses a CREATE carrying an old object',
      review(reviewRequest({ oldObject: podObject() })),
      { code: HPG_ERR_INVALID_REVIEW, reason: '/request/oldObject must be null', uid: REQUEST_UID },
    ],
    [
      'refuses an UPDATE without old object',
      review(reviewRequest({ operation: 'UPDATE' })),
      { code: HPG_ERR_INVALID_REVIEW, reason: '/request/oldObject must be an object', uid: REQUEST_UID },
    ],
    [
      'refuses a DELETE carrying a new object',
      review(reviewRequest({ operation: 'DELETE', oldObject: podObject() })),
      { code: HPG_ERR_INVALID_REVIEW, reason: '/request/object must be null', uid: REQUEST_UID },
    ],
    [
      'refuses a pod whose containerPort is a string',
      review(reviewRequest({}, podWithPort({ containerPort: '8080' }))),
      {
        code: HPG_ERR_INVALID_OBJECT,
        reason: '/request/object/spec/containers/0/ports/0/containerPort must be an integer',
        uid: REQUEST_UID,
      },
    ],
    [
      'refuses a pod whose hostPort is fractional',
      review(reviewRequest({}, podWithPort({ containerPort: 80, hostPort: 80.5 }))),
      { code: HPG_ERR_INVALID_OBJECT, reason: '/request/object/spec/containers/0/ports/0/hostPort must be an integer', uid: REQUEST_UID },
    ],
    [
      'refuses a pod whose labels are null',
      review(reviewRequest({}, podWithMetadata({ name: 'a', labels: null }))),
      { code: HPG_ERR_INVALID_OBJECT, reason: '/request/object/metadata/labels must be an object', uid: REQUEST_UID },
    ],
    [
      'refuses a userInfo whose groups are not strings',
      review(reviewRequest({ userInfo: { username: 'system:node:worker-1', groups: [7] } })),
      { code: HPG_ERR_INVALID_REVIEW, reason: '/request/userInfo/groups/0 must be a string', uid: REQUEST_UID },
    ],
    [
      'refuses a pod without containers',
      review(reviewRequest({}, { ...podObject(), spec: { nodeName: 'worker-1' } })),
      { code: HPG_ERR_INVALID_OBJECT, reason: "/request/object/spec must have required property 'containers'", uid: REQUEST_UID },
    ],
    [
      'refuses a Pod request whose object is a Deployment',
      review(reviewRequest({ kind: { group: '', version: 'v1', kind: 'Pod' } }, workloadObject('Deployment', 'api', unboundSpec()))),
      { code: HPG_ERR_INVALID_OBJECT, reason: '/request/object/kind must be "Pod"', uid: REQUEST_UID },
    ],
    [
      'refuses a Deployment request whose object is a DaemonSet',
      review(
        reviewRequest(
          { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } },
          workloadObject('DaemonSet', 'api', unboundSpec()),
        ),
      ),
      { code: HPG_ERR_INVALID_OBJECT, reason: '/request/object/kind must be "Deployment"', uid: REQUEST_UID },
    ],
    [
      'refuses a CronJob without a job template',
      review(reviewRequest({}, { ...workloadObject('CronJob', 'nightly', unboundSpec()), spec: { schedule: '@daily' } })),
      { code: HPG_ERR_INVALID_OBJECT, reason: "/request/object/spec must have required property 'jobTemplate'", uid: REQUEST_UID },
    ],
  ];

  it.each(invalid)('%s', (_name, body, error) => {
    expect(decodeReview(body)).toEqual({ ok: false, ...error });
  });

  it('never throws and always answers with a known code, whatever JSON arrives', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()).map((request) => review({ uid: 'u', ...request }))), (body) => {
        const result = decodeReview(body);
        if (!result.ok) expect([HPG_ERR_INVALID_REVIEW, HPG_ERR_INVALID_OBJECT]).toContain(result.code);
      }),
    );
  });
});

describe('uidOf', () => {
  it.each([
    ['finds the uid of a review', review(), REQUEST_UID],
    ['finds the uid of an otherwise broken review', { request: { uid: 'abc', operation: 7 } }, 'abc'],
    ['ignores a numeric uid', { request: { uid: 7 } }, undefined],
    ['ignores a body without request', { uid: 'abc' }, undefined],
    ['ignores a null request', { request: null }, undefined],
    ['ignores a body that is not an object', 'abc', undefined],
  ])('%s', (_name, body, uid) => {
    expect(uidOf(body)).toBe(uid);
  });
});

describe('decodeAdmittedObject', () => {
  const daemonSet = workloadObject('DaemonSet', 'agent', unboundSpec({ initContainers: [container('proxy', [portSpec(15001)], { restartPolicy: 'Always' })] }));
  const decoded: readonly [string, Json][] = [
    ['decodes a Pod', podObject()],
    ['decodes a DaemonSet with a sidecar', daemonSet],
    ['decodes a CronJob', workloadObject('CronJob', 'nightly', unboundSpec())],
    [
      'decodes a pod with every field the engine reads',
      podObject({
        metadata: {
          generateName: 'api-',
          labels: { app: 'api' },
          deletionTimestamp: '2026-01-01T00:00:00Z',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'api-1', uid: 'u1', controller: true }],
        },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': 'worker-2' },
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-2'] }] }],
              },
            },
          },
          containers: [container('web', [portSpec(80, { protocol: 'UDP', hostIP: '10.0.0.1', name: 'http' })])],
        },
      }),
    ],
  ];

  it.each(decoded)('%s', (_name, object) => {
    expect(decodeAdmittedObject(object)).toEqual({ ok: true, object });
    expect(isAdmittedObject(object)).toBe(true);
  });

  const refused: readonly [string, unknown, Json][] = [
    [
      'reports a kind it does not decide as unsupported, so a manifest reader can skip it',
      { kind: 'ConfigMap', metadata: { name: 'c' } },
      { code: HPG_ERR_UNSUPPORTED_KIND, path: '/kind', problem: '"ConfigMap" is not a kind hostport-guard decides' },
    ],
    ['refuses an object without kind', { metadata: {} }, { code: HPG_ERR_INVALID_OBJECT, path: '/kind', problem: 'is missing' }],
    ['refuses a numeric kind', { kind: 3 }, { code: HPG_ERR_INVALID_OBJECT, path: '/kind', problem: 'must be a string' }],
    ['refuses an array', [podObject()], { code: HPG_ERR_INVALID_OBJECT, path: '', problem: 'must be an object' }],
    [
      'refuses a pod without metadata',
      { kind: 'Pod', spec: { containers: [] } },
      { code: HPG_ERR_INVALID_OBJECT, path: '', problem: "must have required property 'metadata'" },
    ],
    [
      'refuses a container without name',
      { ...podObject(), spec: { containers: [{ ports: [] }] } },
      { code: HPG_ERR_INVALID_OBJECT, path: '/spec/containers/0', problem: "must have required property 'name'" },
    ],
    [
      'refuses a hostNetwork that is a string',
      { ...podObject(), spec: { hostNetwork: 'true', containers: [] } },
      { code: HPG_ERR_INVALID_OBJECT, path: '/spec/hostNetwork', problem: 'must be a boolean' },
    ],
    [
      'refuses a hostIP that is a number',
      podWithPort({ containerPort: 80, hostIP: 10 }),
      { code: HPG_ERR_INVALID_OBJECT, path: '/spec/containers/0/ports/0/hostIP', problem: 'must be a string' },
    ],
    [
      'refuses a nodeSelector value that is a number, escaping the slash of its key',
      { ...podObject(), spec: { nodeSelector: { 'kubernetes.io/hostname': 1 }, containers: [] } },
      { code: HPG_ERR_INVALID_OBJECT, path: '/spec/nodeSelector/kubernetes.io~1hostname', problem: 'must be a string' },
    ],
    [
      'refuses an owner reference without uid',
      podWithMetadata({ name: 'a', ownerReferences: [{ kind: 'ReplicaSet', name: 'rs' }] }),
      { code: HPG_ERR_INVALID_OBJECT, path: '/metadata/ownerReferences/0', problem: "must have required property 'uid'" },
    ],
    [
      'refuses a node selector requirement without operator',
      {
        ...podObject(),
        spec: {
          containers: [],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name' }] }] },
            },
          },
        },
      },
      {
        code: HPG_ERR_INVALID_OBJECT,
        path: '/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0',
        problem: "must have required property 'operator'",
      },
    ],
    [
      'refuses a Deployment without template',
      { ...workloadObject('Deployment', 'api', unboundSpec()), spec: { replicas: 2 } },
      { code: HPG_ERR_INVALID_OBJECT, path: '/spec', problem: "must have required property 'template'" },
    ],
    [
      'refuses an annotation value that is not a string',
      podWithMetadata({ name: 'a', annotations: { 'kubernetes.io/config.mirror': true } }),
      { code: HPG_ERR_INVALID_OBJECT, path: '/metadata/annotations/kubernetes.io~1config.mirror', problem: 'must be a string' },
    ],
    [
      'refuses a DaemonSet maxSurge that is neither an integer nor a string',
      { ...workloadObject('DaemonSet', 'agent', unboundSpec()), spec: { template: { spec: unboundSpec() }, updateStrategy: { rollingUpdate: { maxSurge: 1.5 } } } },
      { code: HPG_ERR_INVALID_OBJECT, path: '/spec/updateStrategy/rollingUpdate/maxSurge', problem: 'must be an integer or a string' },
    ],
  ];

  it.each(refused)('%s', (_name, object, error) => {
    const path = String(error['path']);
    expect(decodeAdmittedObject(object)).toEqual({
      ok: false,
      reason: `${path === '' ? 'object' : path} ${String(error['problem'])}`,
      ...error,
    });
    expect(isAdmittedObject(object)).toBe(false);
  });
});
