/**
 * The transport to the API server, against a local HTTP server that plays the API
 * server's part on the wire (status codes, Status bodies, chunked watch streams, a server
 * that never answers, a connection that breaks): what reaches the server (the token
 * client-node adds, Accept, the query), how answers and failures come back, how a stream
 * is split into lines, and that timeouts and aborts end requests cleanly. The real API
 * server's side is covered by test/integration/cluster.
 *
 * Unhandled errors: jest-circus fails the running test on an uncaught exception or an
 * unhandled rejection (process-wide handlers it installs outside the test sandbox), so
 * the tests that wait after an abort fail if anything escapes during the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import type { LineHandlers } from '../../../src/cluster/kube-http.js';
import { kubeHttp } from '../../../src/cluster/kube-http.js';
import { kubeListWatch } from '../../../src/cluster/kube-list-watch.js';
import { ApiError, isGone } from '../../../src/cluster/list-watch.js';
import { NAMESPACES, NODES, PODS } from '../../../src/cluster/resources.js';
import type { Handler } from './local-server.js';
import { json, kubeConfigFor, LocalServer, status } from './local-server.js';

const signal = (): AbortSignal => new AbortController().signal;

/** The status and message of the ApiError `promise` rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return { status: error.status, message: error.message };
}

const wirePod = {
  metadata: { name: 'api', namespace: 'team-a', uid: 'u1', resourceVersion: '7', deletionTimestamp: '2026-01-02T03:04:05Z' },
  spec: { nodeName: 'worker-1', containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 80 }] }] },
  status: { phase: 'Running' },
};

const server = new LocalServer();
let port = 0;

beforeAll(async () => {
  port = await server.start();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  server.seen.length = 0;
  server.handler = () => undefined;
});

describe('lists', () => {
  it('asks for one page of unfinished pods with the kubeconfig token, and decodes it', async () => {
    server.handler = (_req, res) => {
      json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9', continue: 'next' }, items: [wirePod] });
    };
    const page = await kubeListWatch(kubeHttp(kubeConfigFor(port)), PODS).list({ limit: 500, continueToken: 'prev' }, signal());
    const url = new URL(server.seen[0]?.url ?? '', 'http://x');
    expect([url.pathname, Object.fromEntries(url.searchParams)]).toEqual([
      '/api/v1/pods',
      { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed', limit: '500', continue: 'prev' },
    ]);
    expect([server.seen[0]?.accept, server.seen[0]?.authorization]).toEqual(['application/json', 'Bearer t0k3n']);
    expect(page).toEqual({
      resourceVersion: '9',
      continueToken: 'next',
      rejected: [],
      items: [
        {
          // As the API server spells it, as a watch event hands it over too.
          metadata: { name: 'api', namespace: 'team-a', uid: 'u1', deletionTimestamp: '2026-01-02T03:04:05Z' },
          spec: { nodeName: 'worker-1', containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 80 }] }] },
          status: { phase: 'Running' },
        },
      ],
    });
  });

  it('asks for labelled namespaces as metadata only', async () => {
    server.handler = (_req, res) => {
      const body = {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '4' },
        items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'team-a', labels: { 'hostport-guard.io/mode': 'warn' } } }],
      };
      json(res, 200, body, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
    };
    const page = await kubeListWatch(kubeHttp(kubeConfigFor(port)), NAMESPACES).list({}, signal());
    expect(Object.fromEntries(new URL(server.seen[0]?.url ?? '', 'http://x').searchParams)).toEqual({ labelSelector: 'hostport-guard.io/mode' });
    expect(server.seen[0]?.accept).toBe('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json');
    expect(page).toEqual({ resourceVersion: '4', rejected: [], items: [{ name: 'team-a', mode: 'warn' }] });
  });

  it('reports items that do not decode instead of failing the page', async () => {
    server.handler = (_req, res) => {
      json(res, 200, { metadata: { resourceVersion: '9' }, items: [wirePod, { metadata: { name: 'odd', namespace: 'x' }, spec: { containers: [{ ports: [] }] } }] });
    };
    const page = await kubeListWatch(kubeHttp(kubeConfigFor(port)), PODS).list({}, signal());
    expect([page.items.length, page.rejected]).toEqual([1, [{ name: 'x/odd', errors: ["spec.containers[0] must have required property 'name'"] }]]);
  });

  it('treats null items (an empty Go slice) as an empty page', async () => {
    server.handler = (_req, res) => {
      json(res, 200, { metadata: { resourceVersion: '3' }, items: null });
    };
    expect(await kubeListWatch(kubeHttp(kubeConfigFor(port)), NODES).list({}, signal())).toEqual({ resourceVersion: '3', rejected: [], items: [] });
  });

  it('fails on an answer that is not JSON', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"items": [');
    };
    expect(await failureOf(kubeListWatch(kubeHttp(kubeConfigFor(port)), NODES).list({}, signal()))).toEqual({
      status: 200,
      message: 'GET /api/v1/nodes failed with HTTP 200: the answer is not JSON',
    });
  });

  it('fails on an answer whose items are not a list', async () => {
    server.handler = (_req, res) => {
      json(res, 200, { metadata: { resourceVersion: '3' }, items: { a: 1 } });
    };
    expect(await failureOf(kubeListWatch(kubeHttp(kubeConfigFor(port)), NODES).list({}, signal()))).toEqual({
      status: 200,
      message: 'GET /api/v1/nodes failed with HTTP 200: the answer is not a list',
    });
  });

  it('fails on an answer that is not a list', async () => {
    server.handler = (_req, res) => {
      json(res, 200, { kind: 'Status' });
    };
    expect(await failureOf(kubeListWatch(kubeHttp(kubeConfigFor(port)), NODES).list({}, signal()))).toEqual({
      status: 200,
      message: 'GET /api/v1/nodes failed with HTTP 200: the answer is not a list',
    });
  });

  const failures: readonly [string, Handler, number, string][] = [
    [
      'the message of a Status body',
      (_req, res) => {
        json(res, 403, status(403, 'Forbidden', 'pods is forbidden: User "x" cannot list resource "pods"'));
      },
      403,
      'pods is forbidden: User "x" cannot list resource "pods"',
    ],
    [
      'an expired continue token as 410',
      (_req, res) => {
        json(res, 410, status(410, 'Expired', 'The provided continue parameter is too old'));
      },
      410,
      'The provided continue parameter is too old',
    ],
    [
      'the start of a body that is not a Status',
      (_req, res) => {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end(`<html>${'x'.repeat(300)}</html>`);
      },
      502,
      `<html>${'x'.repeat(194)}`,
    ],
    [
      'the message of a 401',
      (_req, res) => {
        json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      },
      401,
      'Unauthorized',
    ],
  ];
  it.each(failures)('fails with the status and %s', async (_name, handler, code, message) => {
    server.handler = handler;
    expect(await failureOf(kubeListWatch(kubeHttp(kubeConfigFor(port)), PODS).list({}, signal()))).toEqual({
      status: code,
      message: `GET /api/v1/pods failed with HTTP ${code}: ${message}`,
    });
  });

  it('says 410 is Gone', async () => {
    server.handler = (_req, res) => {
      json(res, 410, status(410, 'Expired', 'too old'));
    };
    const error: unknown = await kubeListWatch(kubeHttp(kubeConfigFor(port)), PODS).list({ continueToken: 'old' }, signal()).catch((e: unknown) => e);
    expect(isGone(error)).toBe(true);
  });

  it('gives up on a page that takes longer than the page timeout', async () => {
    const list = kubeListWatch(kubeHttp(kubeConfigFor(port)), NODES, { pageTimeoutMs: 200 }).list({}, signal());
    expect(await failureOf(list)).toEqual({ status: undefined, message: 'GET /api/v1/nodes failed: no answer within 200 ms' });
    expect(server.seen).toHaveLength(1);
  });

  it('stops waiting at once when its signal aborts', async () => {
    const controller = new AbortController();
    const list = kubeListWatch(kubeHttp(kubeConfigFor(port)), NODES).list({}, controller.signal);
    await sleep(50);
    controller.abort();
    expect(await failureOf(list)).toEqual({ status: undefined, message: 'GET /api/v1/nodes failed: aborted' });
  });

  it('names the reason when nothing listens', async () => {
    const closed = new LocalServer();
    const closedPort = await closed.start();
    await closed.stop();
    expect(await failureOf(kubeListWatch(kubeHttp(kubeConfigFor(closedPort)), NODES).list({}, signal()))).toEqual({
      status: undefined,
      message: `GET /api/v1/nodes failed: fetch failed: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    });
  });
});

describe('call', () => {
  /** Work that never settles, and ignores the signal it is given. */
  const deaf = (): Promise<never> => new Promise<never>(() => undefined);

  it('gives up at its deadline even when the work does not answer the abort', async () => {
    const call = kubeHttp(kubeConfigFor(port)).call('PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/l', deaf, { accept: 'application/json', signal: signal(), timeoutMs: 100 });
    expect(await failureOf(call)).toEqual({ status: undefined, message: 'PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/l failed: no answer within 100 ms' });
  });

  it("stops at once at the caller's abort even when the work does not answer it", async () => {
    const controller = new AbortController();
    const call = kubeHttp(kubeConfigFor(port)).call('GET /x', deaf, { accept: 'application/json', signal: controller.signal, timeoutMs: 60_000 });
    await sleep(20);
    controller.abort();
    expect(await failureOf(call)).toEqual({ status: undefined, message: 'GET /x failed: aborted' });
  });

  it('hands over what the work answered, and its failure as an ApiError', async () => {
    const api = kubeHttp(kubeConfigFor(port));
    const options = { accept: 'application/json', signal: signal(), timeoutMs: 1_000 };
    expect(await api.call('GET /ok', () => Promise.resolve('answer'), options)).toBe('answer');
    expect(await failureOf(api.call('GET /broken', () => Promise.reject(new Error('socket hang up')), options))).toEqual({ status: undefined, message: 'GET /broken failed: socket hang up' });
  });
});

/** Streams `request` and records what the handlers were given. */
function stream(handlers: Partial<LineHandlers> = {}): { lines: string[]; ends: (Error | undefined)[]; abort(): void; ended: Promise<void> } {
  const lines: string[] = [];
  const ends: (Error | undefined)[] = [];
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });
  const request = { path: '/api/v1/nodes', query: new URLSearchParams({ watch: 'true', resourceVersion: '5' }), accept: 'application/json' };
  const handle = kubeHttp(kubeConfigFor(port)).streamLines(request, {
    onLine: (line) => {
      lines.push(line);
      handlers.onLine?.(line);
    },
    onEnd: (error) => {
      ends.push(error);
      resolveEnded();
    },
  });
  return { lines, ends, abort: () => { handle.abort(); }, ended };
}

/** Writes `pieces` as separate chunks, a little apart, then ends the response unless `keepOpen`. */
function chunked(pieces: readonly (string | Buffer)[], keepOpen = false): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    void (async () => {
      for (const piece of pieces) {
        res.write(piece);
        await sleep(20);
      }
      if (!keepOpen) res.end();
    })();
  };
}

describe('streamLines', () => {
  it('hands over whole lines however the chunks fall, a multi-byte character split included', async () => {
    const text = Buffer.from('{"name":"ü"}\n\n{"name":"second"}\n{"na', 'utf8');
    const split = text.indexOf(0xbc); // the second byte of ü
    server.handler = chunked([text.subarray(0, split), text.subarray(split), 'me":"last, without a newline"}']);
    const s = stream();
    await s.ended;
    expect(s.lines).toEqual(['{"name":"ü"}', '{"name":"second"}', '{"name":"last, without a newline"}']);
    expect(s.ends).toEqual([undefined]);
    expect(server.seen[0]).toEqual({ url: '/api/v1/nodes?watch=true&resourceVersion=5', accept: 'application/json', authorization: 'Bearer t0k3n' });
  });

  it('ends with the status and message of an answer other than 200, and no line', async () => {
    server.handler = (_req, res) => {
      json(res, 410, status(410, 'Expired', 'too old resource version: 5 (90)'));
    };
    const s = stream();
    await s.ended;
    expect([s.lines, s.ends]).toEqual([[], [new ApiError('GET /api/v1/nodes', 410, 'too old resource version: 5 (90)')]]);
    expect(isGone(s.ends[0])).toBe(true);
  });

  it('ends with an error when the connection breaks in the middle of the stream', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"one":1}\n');
      setTimeout(() => res.socket?.destroy(), 50);
    };
    const s = stream();
    await s.ended;
    expect(s.lines).toEqual(['{"one":1}']);
    expect(s.ends).toHaveLength(1);
    expect(s.ends[0]).toBeInstanceOf(ApiError);
    expect((s.ends[0] as ApiError).status).toBeUndefined();
  });

  it('ends with the error of a handler that throws, and stops there', async () => {
    server.handler = chunked(['{"one":1}\n{"two":2}\n']);
    const s = stream({
      onLine: () => {
        throw new Error('cannot take this line');
      },
    });
    await s.ended;
    expect(s.lines).toEqual(['{"one":1}']);
    expect(s.ends).toEqual([new ApiError('GET /api/v1/nodes', undefined, 'cannot take this line')]);
  });

  it('can be aborted before the request is open: nothing is sent, and no line or end arrives', async () => {
    const s = stream();
    s.abort();
    // Long enough for the request to be built, refused by its aborted signal, and cleaned up.
    await sleep(200);
    expect([s.lines, s.ends, server.seen]).toEqual([[], [], []]);
  });

  it('can be aborted in the middle of the stream: no line after the abort, and no end', async () => {
    server.handler = chunked(['{"one":1}\n', '{"two":2}\n', '{"three":3}\n'], true);
    const s = stream({
      onLine: () => {
        s.abort();
      },
    });
    await sleep(200);
    expect([s.lines, s.ends]).toEqual([['{"one":1}'], []]);
  });
});
