import { describe, expect, it } from '@jest/globals';
import type { HoldOutcome, OnApiError } from '../../../src/admission/hold.js';
import { admittedBy, letIn, settle } from '../../../src/admission/hold.js';
import type { Policy } from '../../../src/admission/policy.js';
import type { Answer } from '../../../src/admission/respond.js';
import { responderFor } from '../../../src/admission/respond.js';
import type { DecodedReview } from '../../../src/admission/review.js';
import { decodeReview } from '../../../src/admission/review.js';
import type { Occupant } from '../../../src/engine/types.js';
import { DEFAULT_RULES, hostPort, occupant, ref, unboundSpec, viewOf } from '../../fixtures/pods.js';
import type { Json } from '../../fixtures/reviews.js';
import { podObject, podReview, REQUEST_UID, review as review_, reviewRequest, workloadObject } from '../../fixtures/reviews.js';

const policy: Policy = { defaultMode: 'enforce', exemptNamespaces: new Set(), ...DEFAULT_RULES };
const modes: Readonly<Record<string, string>> = { 'team-warn': 'warn', 'team-audit': 'audit' };
/** worker-1 and worker-2, nobody holding anything. */
const respond = responderFor(policy, { modeLabelOf: (ns) => modes[ns] }, viewOf([], ['worker-1', 'worker-2']));

function decoded(body: Json): DecodedReview {
  const result = decodeReview(body);
  if (!result.ok) throw new Error(result.reason);
  return result.review;
}

/** `<namespace>/api-new`, pinned to worker-1, hostNetwork on 8080. */
function pinned(namespace = 'team-a', requestOverrides: Json = {}): DecodedReview {
  return decoded(podReview({ metadata: { namespace } }, { namespace, ...requestOverrides }));
}

/** The twin: `team-b/twin` admitted by another replica on worker-1:8080. */
const twin: Occupant = occupant({ pod: ref('team-b/twin'), ports: [hostPort({ hostIP: '' })] });

function settled(review: DecodedReview, outcome: HoldOutcome, onApiError: OnApiError = 'deny'): Answer {
  const answer = respond(review);
  const admits = letIn(answer);
  if (admits === undefined) throw new Error('the fixture admits nothing');
  return settle(answer, admits, outcome, (holders) => respond(review, holders), onApiError);
}

function response(answer: Answer): Json {
  return { ...answer.review.response };
}

const TWIN_DENIAL = 'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-b/twin (container web); pick another port or node';
const FAILED = 'PUT /apis/coordination.k8s.io/v1/namespaces/hpg/leases/hpg.tcp-8080.worker-1 failed with HTTP 429: too many requests';
const UNRESERVED_WARNING = 'port 8080/TCP on node worker-1 is reserved in one webhook replica only: the API server did not take it';

describe('admittedBy', () => {
  it('names the pod a pinned allow lets in', () => {
    const review = pinned();
    expect(admittedBy(review, respond(review))).toMatchObject({ node: 'worker-1', pod: { namespace: 'team-a', name: 'api-new' } });
  });

  it('names nothing for a dry run, which creates nothing, though the pod would be let in', () => {
    const review = pinned('team-a', { dryRun: true });
    expect([admittedBy(review, respond(review)), letIn(respond(review))?.node]).toEqual([undefined, 'worker-1']);
  });

  it('names nothing for a denial', () => {
    const review = pinned();
    expect(admittedBy(review, respond(review, [twin]))).toBeUndefined();
  });

  it('names nothing for a workload, whose pods are decided when created', () => {
    const review = decoded(review_(reviewRequest({}, workloadObject('DaemonSet', 'agent', unboundSpec()))));
    expect(admittedBy(review, respond(review))).toBeUndefined();
  });

  it('names nothing for a pod the scheduler will place', () => {
    const object = { ...podObject(), spec: unboundSpec() };
    const review = decoded(review_(reviewRequest({}, object)));
    expect(admittedBy(review, respond(review))).toBeUndefined();
  });
});

describe('settle', () => {
  const cases: readonly [string, DecodedReview, HoldOutcome, OnApiError, Json][] = [
    ['leaves an answer alone once the ports are taken', pinned(), { kind: 'taken' }, 'deny', { uid: REQUEST_UID, allowed: true }],
    ['leaves a dry run alone when nothing is in the way', pinned('team-a', { dryRun: true }), { kind: 'free' }, 'deny', { uid: REQUEST_UID, allowed: true }],
    [
      "denies in enforce when a twin holds the port, naming it as an indexed holder's denial would",
      pinned(),
      { kind: 'refused', holders: [twin] },
      'deny',
      {
        uid: REQUEST_UID,
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: TWIN_DENIAL },
        auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: 'worker-1 8080/TCP team-b/twin/web' },
      },
    ],
    [
      'warns in warn mode when a twin holds the port',
      pinned('team-warn'),
      { kind: 'refused', holders: [twin] },
      'deny',
      {
        uid: REQUEST_UID,
        allowed: true,
        warnings: ['hostNetwork port 8080/TCP on node worker-1 is used by pod team-b/twin (container web)'],
        auditAnnotations: { mode: 'warn', decision: 'warn', conflicts: 'worker-1 8080/TCP team-b/twin/web' },
      },
    ],
    [
      'denies in enforce when the reservation failed and onApiError is deny, saying why',
      pinned(),
      { kind: 'failed', reason: FAILED },
      'deny',
      {
        uid: REQUEST_UID,
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message: `could not reserve hostNetwork port 8080/TCP on node worker-1 across the webhook's replicas (${FAILED}); try again`,
        },
      },
    ],
    [
      'admits with a warning in enforce when the reservation failed and onApiError is local',
      pinned(),
      { kind: 'failed', reason: FAILED },
      'local',
      { uid: REQUEST_UID, allowed: true, warnings: [UNRESERVED_WARNING] },
    ],
    [
      'admits with a warning in warn mode whatever onApiError says: a collision would not deny either',
      pinned('team-warn'),
      { kind: 'failed', reason: FAILED },
      'deny',
      { uid: REQUEST_UID, allowed: true, warnings: [UNRESERVED_WARNING] },
    ],
    ['admits silently in audit mode', pinned('team-audit'), { kind: 'failed', reason: FAILED }, 'deny', { uid: REQUEST_UID, allowed: true }],
    [
      "admits a static pod's mirror with the warning: a twin would not deny it either",
      decoded(podReview(
        { metadata: { namespace: 'team-a', annotations: { 'kubernetes.io/config.mirror': '6f1d2c3b' }, ownerReferences: [{ kind: 'Node', name: 'worker-1', uid: 'node-1', controller: true }] } },
        { namespace: 'team-a', userInfo: { username: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] } },
      )),
      { kind: 'failed', reason: FAILED },
      'deny',
      { uid: REQUEST_UID, allowed: true, warnings: [UNRESERVED_WARNING] },
    ],
  ];

  it.each(cases)('%s', (_name, review, outcome, onApiError, expected) => {
    expect(response(settled(review, outcome, onApiError))).toEqual(expected);
  });

  it('still lets the pod in after a failure settled as local, so this replica reserves it', () => {
    const review = pinned();
    expect(admittedBy(review, settled(review, { kind: 'failed', reason: FAILED }, 'local'))).toMatchObject({ node: 'worker-1' });
  });

  it('lets nothing in after a failure settled as deny', () => {
    const review = pinned();
    expect(admittedBy(review, settled(review, { kind: 'failed', reason: FAILED }, 'deny'))).toBeUndefined();
  });

  it('cuts a long reason in the denial and keeps it on one line', () => {
    const review = pinned();
    const message = response(settled(review, { kind: 'failed', reason: `line one\nline two ${'x'.repeat(400)}` }));
    const text = JSON.stringify(message);
    // The newline is shown as an escape, like every control character in outside text.
    expect(text).toContain('line one\\\\u000aline two xxx');
    expect(text).toContain('...); try again');
    expect(text).not.toContain('\\n');
  });
});
