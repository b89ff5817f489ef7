import { describe, expect, it } from '@jest/globals';
import type { Mode } from '../../../src/admission/decide.js';
import type { NamespaceModes, Policy } from '../../../src/admission/policy.js';
import type { Answer } from '../../../src/admission/respond.js';
import { MAX_ANNOTATED_CONFLICTS, respond, responderFor } from '../../../src/admission/respond.js';
import type { DecodedReview } from '../../../src/admission/review.js';
import { decodeReview } from '../../../src/admission/review.js';
import { DEFAULT_RULES, occupant, ref, unboundSpec, viewOf } from '../../fixtures/pods.js';
import type { Json } from '../../fixtures/reviews.js';
import { podObject, podReview, REQUEST_UID, review, reviewRequest, workloadObject } from '../../fixtures/reviews.js';

const policy: Policy = { defaultMode: 'enforce', exemptNamespaces: new Set(['kube-system']), ...DEFAULT_RULES };

function labels(modes: Readonly<Record<string, string>>): NamespaceModes {
  return { modeLabelOf: (namespace) => modes[namespace] };
}

function decoded(body: Json): DecodedReview {
  const result = decodeReview(body);
  if (!result.ok) throw new Error(`fixture is not a valid review: ${result.reason}`);
  return result.review;
}

/** `team-a/api-7d9f` holds 8080 on worker-1; worker-2 is free. */
const view = viewOf([occupant()], ['worker-1', 'worker-2']);

const DENIAL =
  'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node';
const WARNING = 'hostNetwork port 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)';
const CONFLICTS = 'worker-1 8080/TCP team-a/api-7d9f/web';

/** A DaemonSet template holding 9100 on hostNetwork. */
const AGENT_SPEC = unboundSpec({ containers: [{ name: 'a', ports: [{ containerPort: 9100 }] }] });

/** The mirror of a static pod on worker-1, as its kubelet creates it. */
const MIRROR = {
  metadata: {
    annotations: { 'kubernetes.io/config.mirror': '6f1d2c3b' },
    ownerReferences: [{ kind: 'Node', name: 'worker-1', uid: 'node-1', controller: true }],
  },
};

function reviewJson(response: Json): Json {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: REQUEST_UID, ...response } };
}

/** The parts of an answer a reader checks: what kind, which mode and decision, the exact JSON. */
function summary(answer: Answer): Json {
  switch (answer.kind) {
    case 'decided':
      return { kind: answer.kind, mode: answer.mode, decision: answer.decision.kind, review: answer.review };
    case 'exempt':
      return { kind: answer.kind, namespace: answer.namespace, review: answer.review };
    case 'skipped':
      return { kind: answer.kind, reason: answer.reason, review: answer.review };
  }
}

describe('respond', () => {
  const cases: readonly [string, Json, Readonly<Record<string, string>>, Json][] = [
    [
      'allows a pod pinned to a free node, without annotations',
      podReview({ spec: { nodeName: 'worker-2' } }),
      {},
      { kind: 'decided', mode: 'enforce', decision: 'allow', review: reviewJson({ allowed: true }) },
    ],
    [
      'denies a pinned pod whose port is taken, with a 403 Forbidden naming the holder',
      podReview(),
      {},
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'deny',
        review: reviewJson({
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: DENIAL },
          auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: CONFLICTS },
        }),
      },
    ],
    [
      'warns in a namespace labelled warn',
      podReview(),
      { 'team-a': 'warn' },
      {
        kind: 'decided',
        mode: 'warn',
        decision: 'warn',
        review: reviewJson({
          allowed: true,
          warnings: [WARNING],
          auditAnnotations: { mode: 'warn', decision: 'warn', conflicts: CONFLICTS },
        }),
      },
    ],
    [
      'only records the conflict in a namespace labelled audit',
      podReview(),
      { 'team-a': 'audit' },
      {
        kind: 'decided',
        mode: 'audit',
        decision: 'allow',
        review: reviewJson({ allowed: true, auditAnnotations: { mode: 'audit', decision: 'allow', conflicts: CONFLICTS } }),
      },
    ],
    [
      'keeps the configured mode when the label names no mode',
      podReview(),
      { 'team-a': 'off' },
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'deny',
        review: reviewJson({
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: DENIAL },
          auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: CONFLICTS },
        }),
      },
    ],
    [
      'allows anything in an exempt namespace, without warnings',
      podReview({ metadata: { namespace: 'kube-system' } }, { namespace: 'kube-system' }),
      { 'kube-system': 'enforce' },
      { kind: 'exempt', namespace: 'kube-system', review: reviewJson({ allowed: true }) },
    ],
    [
      'allows a kind it does not decide',
      review(reviewRequest({}, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })),
      {},
      { kind: 'skipped', reason: 'kind v1 Service is not decided', review: reviewJson({ allowed: true }) },
    ],
    [
      'takes the namespace from the object when the request names none',
      review(reviewRequest({ namespace: undefined }, podObject({ metadata: { name: 'api-new', namespace: 'kube-system' } }))),
      {},
      { kind: 'exempt', namespace: 'kube-system', review: reviewJson({ allowed: true }) },
    ],
    [
      'warns about a DaemonSet whose port is taken on some node, and never denies it',
      review(reviewRequest({}, workloadObject('DaemonSet', 'agent', unboundSpec()))),
      {},
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'warn',
        review: reviewJson({
          allowed: true,
          warnings: ['hostNetwork port 8080/TCP is taken on 1 of 2 candidate nodes: worker-1 by team-a/api-7d9f; its pods cannot run there'],
          auditAnnotations: { mode: 'enforce', decision: 'warn', conflicts: CONFLICTS },
        }),
      },
    ],
    [
      "warns about a static pod's mirror from its node's kubelet, never denying it",
      podReview(MIRROR, { userInfo: { username: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] } }),
      {},
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'warn',
        review: reviewJson({
          allowed: true,
          warnings: ['static pod already running on node worker-1: hostNetwork port 8080/TCP is also used by pod team-a/api-7d9f'],
          auditAnnotations: { mode: 'enforce', decision: 'warn', conflicts: CONFLICTS },
        }),
      },
    ],
    [
      'denies the same mirror-annotated pod when anyone else sends it',
      podReview(MIRROR),
      {},
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'deny',
        review: reviewJson({
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: DENIAL },
          auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: CONFLICTS },
        }),
      },
    ],
    [
      "denies a pod on the kubelet's port wherever it lands, listing it in the audit annotation",
      review(reviewRequest({}, { ...podObject(), spec: { hostNetwork: true, containers: [{ name: 'web', ports: [{ containerPort: 10250 }] }] } })),
      {},
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'deny',
        review: reviewJson({
          allowed: false,
          status: {
            code: 403,
            reason: 'Forbidden',
            message:
              "hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, and the scheduler cannot see it;" +
              ' the container could not bind it: pick another port',
          },
          auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: 'every-node 10250/TCP reserved/kubelet' },
        }),
      },
    ],
    [
      'warns about a surging DaemonSet read from its update strategy',
      review(reviewRequest({}, {
        ...workloadObject('DaemonSet', 'agent', AGENT_SPEC),
        spec: { template: { spec: AGENT_SPEC }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '20%', maxUnavailable: 0 } } },
      })),
      {},
      {
        kind: 'decided',
        mode: 'enforce',
        decision: 'warn',
        review: reviewJson({
          allowed: true,
          warnings: ['maxSurge 20%: with host ports the old pod must go first, so surge pods never start; set maxSurge 0, maxUnavailable 1'],
        }),
      },
    ],
  ];

  it.each(cases)('%s', (_name, body, modes, expected) => {
    expect(summary(respond(decoded(body), policy, labels(modes), view))).toEqual(expected);
  });

  it('lists at most MAX_ANNOTATED_CONFLICTS conflicts in the audit annotation and counts the rest', () => {
    const holders = Array.from({ length: MAX_ANNOTATED_CONFLICTS + 3 }, (_, i) => occupant({ pod: ref(`team-b/p${i}`) }));
    const answer = respond(decoded(podReview()), policy, labels({ 'team-a': 'audit' }), viewOf(holders));
    const conflicts = answer.review.response.auditAnnotations?.['conflicts'] ?? '';
    expect(conflicts.split('; ')).toHaveLength(MAX_ANNOTATED_CONFLICTS + 1);
    expect(conflicts.endsWith('; and 3 more')).toBe(true);
  });

  it('hands back the occupant a pinned pod will be, so its ports can be reserved', () => {
    const answer = respond(decoded(podReview({ spec: { nodeName: 'worker-2' } })), policy, labels({}), view);
    expect(answer.kind === 'decided' ? answer.decision.admits : undefined).toEqual({
      pod: ref('team-a/api-new'),
      node: 'worker-2',
      hostNetwork: true,
      terminating: false,
      ports: [{ protocol: 'TCP', hostIP: '0.0.0.0', port: 8080, container: 'web' }],
      priority: 0,
    });
  });
});

describe('responderFor', () => {
  it.each<[Mode, boolean]>([
    ['enforce', false],
    ['warn', true],
  ])('binds the policy: default mode %s answers allowed=%s', (defaultMode, allowed) => {
    const responder = responderFor({ defaultMode, exemptNamespaces: new Set(), ...DEFAULT_RULES }, labels({}), view);
    expect(responder(decoded(podReview())).review.response.allowed).toBe(allowed);
  });
});
