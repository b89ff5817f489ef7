import { viewWith } from '../../../src/engine/view-with.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import type { HoldOutcome } from '../../../src/admission/hold.js';
import type { Policy } from '../../../src/admission/policy.js';
import { responderFor } from '../../../src/admission/respond.js';
import type { Occupant } from '../../../src/engine/types.js';
import type { PortView } from '../../../src/engine/view.js';
import { MAX_ERROR_DETAIL } from '../../../src/server/errors.js';
import { createAdmissionApp } from '../../../src/server/admission-app.js';
import type { ReviewObservation } from '../../../src/server/metrics.js';
import { DEFAULT_RULES, occupant, ref, unboundSpec, viewOf } from '../../fixtures/pods.js';
import type { Json } from '../../fixtures/reviews.js';
import { podObject, podReview, REQUEST_UID, review, reviewRequest } from '../../fixtures/reviews.js';
import { done, eventually, notYet } from '../../support/wait.js';
import type { TestServer } from './http.js';
import { captureLogger, send, serve } from './http.js';

const LIMIT = 16 * 1024;
const policy: Policy = { defaultMode: 'enforce', exemptNamespaces: new Set(['kube-system']), ...DEFAULT_RULES };
const modes: Readonly<Record<string, string>> = { 'team-warn': 'warn', 'team-audit': 'audit' };

/** `team-a/api-7d9f` holds 8080 on worker-1; worker-2 is free; looking at node `broken` throws. */
const fixtureView = viewOf([occupant()], ['worker-1', 'worker-2']);
const view: PortView = {
  ...fixtureView,
  heldOn(node, port) {
    if (node === 'broken') throw new Error('index lookup failed');
    return fixtureView.heldOn(node, port);
  },
};

const DENIAL =
  'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node';

function answer(response: Json): Json {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: REQUEST_UID, ...response } };
}

function refusal(code: number, reason: string, message: string, uid = ''): Json {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: false, status: { code, reason, message } } };
}

/** A pod `api-new` in `namespace` pinned to `node`. */
function podIn(namespace: string, node = 'worker-1', requestOverrides: Json = {}): Json {
  return podReview({ metadata: { namespace }, spec: { nodeName: node } }, { namespace, ...requestOverrides });
}

describe('createAdmissionApp', () => {
  const admitted: Occupant[] = [];
  const observed: ReviewObservation[] = [];
  const log = captureLogger();
  let clock = 0;
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    const app = createAdmissionApp({
      respond: responderFor(policy, { modeLabelOf: (ns) => modes[ns] }, view),
      logger: log.logger,
      metrics: { observeReview: (o) => observed.push(o) },
      onAdmit: (o) => admitted.push(o),
      now: () => (clock += 1),
      bodyLimitBytes: LIMIT,
    });
    server = await serve(app);
    url = `${server.url}/validate`;
  });

  afterAll(async () => {
    await server.close();
  });

  const contract: readonly [string, { headers?: Record<string, string>; body?: unknown }, number, Json][] = [
    [
      'refuses an empty body with 400',
      { body: '' },
      400,
      refusal(400, 'BadRequest', 'HPG_ERR_EMPTY_BODY: request body is empty'),
    ],
    [
      'refuses a text/plain body with 415',
      { headers: { 'content-type': 'text/plain' }, body: JSON.stringify(podReview()) },
      415,
      refusal(415, 'UnsupportedMediaType', 'HPG_ERR_UNSUPPORTED_MEDIA_TYPE: Content-Type must be application/json, got "text/plain"'),
    ],
    [
      'refuses a body in another charset with 415',
      { headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: JSON.stringify(podReview()) },
      415,
      refusal(415, 'UnsupportedMediaType', 'HPG_ERR_UNSUPPORTED_MEDIA_TYPE: charset must be utf-8, got "iso-8859-1"'),
    ],
    [
      'refuses a compressed body with 415',
      { headers: { 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(podReview())) },
      415,
      refusal(415, 'UnsupportedMediaType', 'HPG_ERR_UNSUPPORTED_MEDIA_TYPE: content encoding unsupported'),
    ],
    [
      'refuses malformed JSON with 400, saying where it broke',
      { body: '{"apiVersion":' },
      400,
      refusal(400, 'BadRequest', 'HPG_ERR_MALFORMED_JSON: request body is not valid JSON: Unexpected end of JSON input'),
    ],
    [
      'refuses a body past the limit with 413',
      { body: JSON.stringify({ ...podReview(), padding: 'x'.repeat(LIMIT) }) },
      413,
      refusal(413, 'RequestEntityTooLarge', `HPG_ERR_BODY_TOO_LARGE: request body exceeds the limit of ${LIMIT} bytes`),
    ],
    [
      'refuses a review without request.uid with 400 and an empty uid',
      { body: review(reviewRequest({ uid: undefined })) },
      400,
      refusal(400, 'BadRequest', "HPG_ERR_INVALID_REVIEW: /request must have required property 'uid'"),
    ],
    [
      'refuses an admission.k8s.io/v1beta1 review with 400, echoing its uid',
      { body: { ...podReview(), apiVersion: 'admission.k8s.io/v1beta1' } },
      400,
      refusal(400, 'BadRequest', 'HPG_ERR_INVALID_REVIEW: /apiVersion must be "admission.k8s.io/v1"', REQUEST_UID),
    ],
    [
      'refuses a pod with a string port with 400, echoing its uid',
      { body: review(reviewRequest({}, { ...podObject(), spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 'x' }] }] } })) },
      400,
      refusal(
        400,
        'BadRequest',
        'HPG_ERR_INVALID_OBJECT: /request/object/spec/containers/0/ports/0/hostPort must be an integer',
        REQUEST_UID,
      ),
    ],
    [
      'refuses a pod with a label key of separators, showing them as escapes',
      { body: review(reviewRequest({}, { ...podObject(), metadata: { name: 'x', labels: { 'a\u2028b\u202ec': 1 } } })) },
      400,
      refusal(400, 'BadRequest', 'HPG_ERR_INVALID_OBJECT: /request/object/metadata/labels/a\\u2028b\\u202ec must be a string', REQUEST_UID),
    ],
    [
      'refuses a pod with a 4 KB label key with a message of bounded length',
      { body: review(reviewRequest({}, { ...podObject(), metadata: { name: 'x', labels: { ['k'.repeat(4096)]: 1 } } })) },
      400,
      refusal(400, 'BadRequest', `HPG_ERR_INVALID_OBJECT: /request/object/metadata/labels/${'k'.repeat(MAX_ERROR_DETAIL - 3 - '/request/object/metadata/labels/'.length)}...`, REQUEST_UID),
    ],
    [
      'allows a pod on a free node, echoing the uid',
      { body: podIn('team-a', 'worker-2') },
      200,
      answer({ allowed: true }),
    ],
    [
      'denies a pinned pod whose port is taken with the exact message',
      { body: podIn('team-a') },
      200,
      answer({
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: DENIAL },
        auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: 'worker-1 8080/TCP team-a/api-7d9f/web' },
      }),
    ],
    [
      'warns in warn mode',
      { body: podIn('team-warn') },
      200,
      answer({
        allowed: true,
        warnings: ['hostNetwork port 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)'],
        auditAnnotations: { mode: 'warn', decision: 'warn', conflicts: 'worker-1 8080/TCP team-a/api-7d9f/web' },
      }),
    ],
    [
      'only annotates in audit mode',
      { body: podIn('team-audit') },
      200,
      answer({
        allowed: true,
        auditAnnotations: { mode: 'audit', decision: 'allow', conflicts: 'worker-1 8080/TCP team-a/api-7d9f/web' },
      }),
    ],
    ['allows anything in an exempt namespace', { body: podIn('kube-system') }, 200, answer({ allowed: true })],
    [
      'allows a kind it does not decide',
      { body: review(reviewRequest({}, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: {} })) },
      200,
      answer({ allowed: true }),
    ],
  ];

  it.each(contract)('%s', async (_name, request, status, body) => {
    const reply = await send(url, request);
    expect({ status: reply.status, body: reply.json }).toEqual({ status, body });
  });

  it('answers 500 with the uid when deciding throws, logs it, and serves the next request', async () => {
    const failed = await send(url, { body: podIn('team-a', 'broken') });
    expect({ status: failed.status, body: failed.json }).toEqual({
      status: 500,
      body: refusal(500, 'InternalError', 'HPG_ERR_INTERNAL: deciding the request failed; the webhook log has the details', REQUEST_UID),
    });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ msg: 'deciding an admission request failed', uid: REQUEST_UID, err: expect.objectContaining({ message: 'index lookup failed' }) }),
    );
    const next = await send(url, { body: podIn('team-a', 'worker-2') });
    expect({ status: next.status, body: next.json }).toEqual({ status: 200, body: answer({ allowed: true }) });
  });

  const headerCases: readonly [string, { headers?: Record<string, string>; body?: unknown }, number][] = [
    ['a decision', { body: podReview() }, 200],
    ['a refusal before the handler', { body: '' }, 400],
    ['a refusal of the content type', { headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
  ];
  for (const [name, init, status] of headerCases) {
    it(`sends ${name} as express's res.json did: JSON with a charset, its exact length, no ETag`, async () => {
      const reply = await send(url, init);
      expect({
        status: reply.status,
        type: reply.headers.get('content-type'),
        length: reply.headers.get('content-length'),
        etag: reply.headers.get('etag'),
        poweredBy: reply.headers.get('x-powered-by'),
      }).toEqual({ status, type: 'application/json; charset=utf-8', length: String(Buffer.byteLength(reply.text)), etag: null, poweredBy: null });
    });
  }

  it('answers 404 as JSON on an unknown path', async () => {
    const reply = await send(`${url}/extra`, { body: podReview() });
    expect({ status: reply.status, body: reply.json }).toEqual({
      status: 404,
      body: { code: 'HPG_ERR_NOT_FOUND', message: 'no route for POST /validate/extra' },
    });
  });

  it('answers 405 with Allow: POST to a GET on /validate', async () => {
    const reply = await send(url, { method: 'GET' });
    expect({ status: reply.status, allow: reply.headers.get('allow'), body: reply.json }).toEqual({
      status: 405,
      allow: 'POST',
      body: { code: 'HPG_ERR_METHOD_NOT_ALLOWED', message: 'GET is not allowed on /validate; use POST' },
    });
  });

  it('reserves the ports of a pod it lets in on a known node, and of no other', async () => {
    admitted.length = 0;
    await send(url, { body: podIn('team-a', 'worker-2') });
    await send(url, { body: podIn('team-a') });
    await send(url, { body: podIn('team-a', 'worker-2', { dryRun: true }) });
    expect(admitted).toEqual([expect.objectContaining({ node: 'worker-2', pod: expect.objectContaining({ name: 'api-new' }) })]);
  });

  it("logs the warnings sent back, and a static pod's mirror as a conflict already on the node, and counts it so", async () => {
    observed.length = 0;
    log.lines.length = 0;
    const kubelet = { userInfo: { username: 'system:node:worker-1', groups: ['system:nodes'] } };
    const mirror = { metadata: { namespace: 'team-a', annotations: { 'kubernetes.io/config.mirror': 'abc' } }, spec: { nodeName: 'worker-1' } };
    await send(url, { body: podReview(mirror, { namespace: 'team-a', ...kubelet }) });
    await send(url, { body: podIn('team-warn') });
    // The request log is written when each connection is done with its request.
    const answeredLines = (): Record<string, unknown>[] => log.lines.filter((l) => l['msg'] === 'request answered');
    while (answeredLines().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const answered = answeredLines();
    expect(answered.map((l) => [l['decision'], l['existing'], l['warnings']])).toEqual([
      ['warn', true, ['static pod already running on node worker-1: hostNetwork port 8080/TCP is also used by pod team-a/api-7d9f']],
      ['warn', undefined, ['hostNetwork port 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)']],
    ]);
    expect(observed.map(({ decision, conflicting, existing }) => ({ decision, conflicting, existing }))).toEqual([
      { decision: 'warn', conflicting: true, existing: true },
      { decision: 'warn', conflicting: true, existing: false },
    ]);
  });

  it('counts each answer by mode and decision', async () => {
    observed.length = 0;
    await send(url, { body: podIn('team-a') });
    await send(url, { body: podIn('kube-system') });
    await send(url, { body: '' });
    expect(observed.map(({ mode, decision, conflicting }) => ({ mode, decision, conflicting }))).toEqual([
      { mode: 'enforce', decision: 'deny', conflicting: true },
      { mode: 'exempt', decision: 'allow', conflicting: false },
      { mode: 'none', decision: 'error', conflicting: false },
    ]);
  });
});

describe('createAdmissionApp with reservations every replica sees', () => {
  const admitted: Occupant[] = [];
  const held: Occupant[] = [];
  const released: Occupant[] = [];
  const checked: Occupant[] = [];
  const reservations: [string, number][] = [];
  const log = captureLogger();
  let outcome: HoldOutcome = { kind: 'taken' };
  /** When set, a hold waits for this before it answers. */
  let gate: Promise<void> | undefined;
  /** Pods the watch shows while a hold is in flight. */
  const appeared: Occupant[] = [];
  let appearing: Occupant | undefined;
  const liveView: PortView = {
    ...view,
    heldOn: (node, port) => viewWith(view, appeared).heldOn(node, port),
  };
  let server: TestServer;
  let url: string;
  const twin = occupant({ pod: ref('team-b/twin'), node: 'worker-2' });

  beforeAll(async () => {
    let clock = 0;
    const app = createAdmissionApp({
      respond: responderFor(policy, { modeLabelOf: (ns) => modes[ns] }, liveView),
      logger: log.logger,
      metrics: { observeReview: () => undefined },
      onAdmit: (o) => admitted.push(o),
      cluster: {
        hold: async (o) => {
          held.push(o);
          await gate;
          if (appearing !== undefined) appeared.push(appearing);
          return outcome;
        },
        check: (o) => {
          checked.push(o);
          return Promise.resolve(outcome.kind === 'taken' ? { kind: 'free' } : outcome);
        },
        release: (o) => released.push(o),
        onApiError: 'deny',
        observe: (result, seconds) => reservations.push([result, seconds]),
      },
      now: () => (clock += 2),
      bodyLimitBytes: LIMIT,
    });
    server = await serve(app);
    url = `${server.url}/validate`;
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    admitted.length = 0;
    held.length = 0;
    released.length = 0;
    checked.length = 0;
    reservations.length = 0;
    outcome = { kind: 'taken' };
    gate = undefined;
    appeared.length = 0;
    appearing = undefined;
  });

  it('holds the ports of a pod it lets in before answering, then reserves them here too', async () => {
    const reply = await send(url, { body: podIn('team-a', 'worker-2') });
    expect(reply.json).toEqual(answer({ allowed: true }));
    expect([held.map((o) => o.node), admitted.map((o) => o.node), reservations]).toEqual([['worker-2'], ['worker-2'], [['taken', 0.002]]]);
    expect(log.lines.at(-1)).toMatchObject({ msg: 'request answered', reservation: 'taken', decision: 'allow' });
  });

  it('never holds for a dry run, a denial, or a pod the scheduler will place', async () => {
    await send(url, { body: podIn('team-a', 'worker-2', { dryRun: true }) });
    await send(url, { body: podIn('team-a') });
    await send(url, { body: review(reviewRequest({}, { ...podObject(), spec: unboundSpec() })) });
    expect([held, admitted, reservations]).toEqual([[], [], []]);
  });

  it('answers a dry run as the create would, looking at the reservations without writing any', async () => {
    outcome = { kind: 'refused', holders: [twin] };
    const reply = await send(url, { body: podIn('team-a', 'worker-2', { dryRun: true }) });
    expect(reply.json).toMatchObject(answer({ allowed: false, status: { code: 403, reason: 'Forbidden' } }));
    expect([checked.map((o) => o.node), held, admitted, reservations]).toEqual([['worker-2'], [], [], []]);
  });

  it('counts a dry run only when the API server failed it, and answers it as the create would', async () => {
    outcome = { kind: 'failed', reason: 'no answer within 1000 ms' };
    const reply = await send(url, { body: podIn('team-a', 'worker-2', { dryRun: true }) });
    expect(reply.json).toMatchObject(answer({ allowed: false, status: { code: 403, reason: 'Forbidden' } }));
    expect([checked.map((o) => o.node), held, admitted, reservations]).toEqual([['worker-2'], [], [], [['failed', 0.002]]]);
  });

  it('denies a pod whose port a twin holds, naming the twin, and reserves nothing', async () => {
    outcome = { kind: 'refused', holders: [twin] };
    const reply = await send(url, { body: podIn('team-a', 'worker-2') });
    expect(reply.json).toEqual(answer({
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: DENIAL.replace('worker-1', 'worker-2').replace('team-a/api-7d9f', 'team-b/twin') },
      auditAnnotations: { mode: 'enforce', decision: 'deny', conflicts: 'worker-2 8080/TCP team-b/twin/web' },
    }));
    expect([admitted, reservations.map(([r]) => r)]).toEqual([[], ['refused']]);
  });

  it('denies, and gives the ports back, when the watch showed a colliding pod while they were being taken', async () => {
    appearing = occupant({ pod: ref('team-c/fresh'), node: 'worker-2' });
    const reply = await send(url, { body: podIn('team-a', 'worker-2') });
    expect(reply.json).toMatchObject(answer({
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: DENIAL.replace('worker-1', 'worker-2').replace('team-a/api-7d9f', 'team-c/fresh') },
    }));
    expect([released.map((o) => o.node), admitted]).toEqual([['worker-2'], []]);
  });

  it('gives the ports back when the API server went away while they were being held', async () => {
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const aborted = new AbortController();
    const request = fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(podIn('team-a', 'worker-2')), signal: aborted.signal });
    await eventually('the hold to start', () => (held.length === 1 ? done(undefined) : notYet('not yet')));
    aborted.abort();
    await expect(request).rejects.toThrow('aborted');
    await eventually('the server to see the connection closed', () => (log.lines.some((l) => l['msg'] === 'request aborted') ? done(undefined) : notYet('open')));
    open();
    await eventually('the ports to be given back', () => (released.length === 1 ? done(undefined) : notYet('not released')));
    expect([released.map((o) => o.node), admitted]).toEqual([['worker-2'], []]);
  });

  it('answers a review that arrived on a kept-alive connection while the one before it was still being held', async () => {
    // Node.js gives such a request a response without a socket until the answer before it
    // is sent: that is a client still waiting, not one that went away.
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const body = JSON.stringify(podIn('team-a', 'worker-2'));
    const request = `POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    try {
      socket.write(request + request);
      await eventually('both reviews to be held', () => (held.length === 2 ? done(undefined) : notYet(`${held.length} held`)), { timeoutMs: 3_000, intervalMs: 10 });
      open();
      const answers = await eventually('both answers', () => {
        const count = received.split('HTTP/1.1 200 OK').length - 1;
        return count === 2 && received.endsWith('}') ? done(count) : notYet(received);
      }, { timeoutMs: 3_000, intervalMs: 10 });
      expect([answers, admitted.length, released]).toEqual([2, 2, []]);
    } finally {
      socket.destroy();
    }
  });

  it('denies when the reservation failed, logging why', async () => {
    outcome = { kind: 'failed', reason: 'no answer within 2000 ms' };
    const reply = await send(url, { body: podIn('team-a', 'worker-2') });
    expect(reply.json).toEqual(answer({
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: "could not reserve hostNetwork port 8080/TCP on node worker-2 across the webhook's replicas (no answer within 2000 ms); try again" },
    }));
    expect(admitted).toEqual([]);
    expect(log.lines.at(-1)).toMatchObject({ reservation: 'failed', reservationError: 'no answer within 2000 ms', decision: 'deny' });
  });
});
