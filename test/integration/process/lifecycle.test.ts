/**
 * Start-up and shutdown of the real `serve` process: a listener that cannot bind ends
 * it at once, and SIGTERM drains it without resetting a request or waiting on idle
 * connections.
 */
import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import net from 'node:net';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { podReview } from '../../fixtures/reviews.js';
import type { Serve } from './serve.js';
import { freePorts, httpGet, keepAliveAgent, postReview, removeTemporaryFiles, spawnServe, startServe, testCerts } from './serve.js';

// A drain that is not cut short lasts up to its 10 s grace period: room for that, and start-up.
jest.setTimeout(60_000);

const started: Serve[] = [];
afterEach(() => {
  for (const serve of started.splice(0)) serve.kill();
});
afterAll(() => {
  removeTemporaryFiles();
});

async function serving(args: readonly string[] = []): Promise<Serve> {
  const serve = await startServe({ args: ['--log-level', 'info', ...args] });
  started.push(serve);
  return serve;
}

/** Holds `port` on 127.0.0.1 until released. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const BODY = JSON.stringify(podReview());

/** A TLS connection that has sent the headers of a review and half its body: a review in flight. */
async function reviewInFlight(serve: Serve): Promise<{ finish: () => Promise<string> }> {
  const socket = tls.connect({ host: '127.0.0.1', port: serve.port, ca: testCerts().ca });
  await new Promise<void>((resolve) => socket.once('secureConnect', resolve));
  const body = Buffer.from(BODY);
  socket.write(`POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body.subarray(0, 100));
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    resolve();
  }));
  await sleep(200);
  return {
    finish: async () => {
      socket.write(body.subarray(100));
      await closed;
      return answer;
    },
  };
}

describe('serve start-up', () => {
  it.each([
    ['health port', 'healthPort'],
    ['webhook port', 'port'],
  ] as const)('exits 1 at once, naming the port and the reason, when its %s is taken', async (what, which) => {
    const [port = 0, healthPort = 0] = await freePorts(2);
    const ports = { port, healthPort };
    const taken = await occupy(ports[which]);
    try {
      const serve = spawnServe(ports);
      started.push(serve);
      const ended = await Promise.race([serve.ended, sleep(15_000, 'still running')]);
      expect(ended).toEqual({ code: 1, signal: null });
      expect(serve.output()).toContain(`error: cannot listen on 127.0.0.1:${ports[which]} (${what}): address already in use (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  });
});

describe('serve on SIGTERM', () => {
  it('turns /readyz to 503 first, lets the review in flight finish with Connection: close, then exits 0', async () => {
    const serve = await serving();
    const inFlight = await reviewInFlight(serve);
    serve.child.kill('SIGTERM');
    await sleep(300);
    const readyz = await httpGet(serve.healthPort, '/readyz');
    const livez = await httpGet(serve.healthPort, '/livez');
    const answer = await inFlight.finish();
    expect([readyz.status, JSON.parse(readyz.body), livez.status]).toEqual([503, { status: 'not ready', failing: ['shutting-down'] }, 200]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(await serve.ended).toEqual({ code: 0, signal: null });
  });

  it('answers the reviews sent on kept-alive connections as SIGTERM arrives, and resets none', async () => {
    for (let round = 0; round < 3; round++) {
      const serve = await serving();
      const agent = keepAliveAgent(8);
      // Eight connections, each kept alive after one review.
      expect((await Promise.all(Array.from({ length: 8 }, () => postReview(serve, BODY, agent)))).map((r) => r.status)).toEqual(Array(8).fill(200));
      serve.child.kill('SIGTERM');
      // Sent as the signal arrives: answered before or after the server sees it, never reset.
      const racing = await Promise.all(Array.from({ length: 8 }, () => postReview(serve, BODY, agent)));
      expect(racing.map((r) => r.error ?? r.status)).toEqual(Array(8).fill(200));
      // Sent once the server is stopping: answered, each closing its connection after it.
      await sleep(200);
      const late = await Promise.all(Array.from({ length: 8 }, () => postReview(serve, BODY, agent)));
      agent.destroy();
      expect(late.map((r) => r.error ?? `${r.status} ${r.connection}`)).toEqual(Array(8).fill('200 close'));
      expect(await serve.ended).toEqual({ code: 0, signal: null });
      expect(serve.logEntries().find((e) => e['msg'] === 'stopped')?.['cutConnections']).toBe(0);
    }
  });

  it('closes an idle keep-alive and a half-open TLS connection at once instead of waiting out the grace period', async () => {
    const serve = await serving();
    const agent = keepAliveAgent(1);
    expect((await postReview(serve, BODY, agent)).status).toBe(200);
    const halfOpen = net.connect(serve.port, '127.0.0.1');
    await new Promise<void>((resolve) => halfOpen.once('connect', resolve));
    serve.child.kill('SIGTERM');
    const ended = await serve.ended;
    agent.destroy();
    halfOpen.destroy();
    expect(ended).toEqual({ code: 0, signal: null });
    const stopped = serve.logEntries().find((e) => e['msg'] === 'stopped');
    expect(stopped?.['cutConnections']).toBe(0);
  });

  it('exits 1 at once on a second SIGTERM while a review is still in flight', async () => {
    const serve = await serving();
    await reviewInFlight(serve);
    serve.child.kill('SIGTERM');
    await sleep(300);
    serve.child.kill('SIGTERM');
    expect(await serve.ended).toEqual({ code: 1, signal: null });
    expect(serve.logEntries().map((e) => e['msg'])).toContain('second signal: stopping without waiting for reviews in flight');
  });
});
