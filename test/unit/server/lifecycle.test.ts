import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gracefulStopper, HPG_ERR_LISTEN, listen, ListenError, QUIET_MS } from '../../../src/server/lifecycle.js';
import type { IssuedPair, TestPki } from '../../fixtures/tls.js';
import { createTestPki } from '../../fixtures/tls.js';

/** A clock the test moves, in milliseconds. */
function testClock(): { now: () => number; advance: (ms: number) => void } {
  let at = 0;
  return { now: () => at, advance: (ms) => (at += ms) };
}

/** A server whose `/slow` requests wait until released and `/never` ones forever; everything else answers at once. */
async function slowServer(now: () => number = testClock().now) {
  let arrived: () => void = () => undefined;
  const arrival = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      arrived();
      void released.then(() => res.end('slow done'));
    } else if (req.url === '/never') {
      arrived();
    } else {
      res.end('quick');
    }
  });
  server.keepAliveTimeout = 60_000;
  const stop = gracefulStopper(server, now);
  const port = await listen(server, '127.0.0.1', 0, 'test port');
  return { server, port, stop, arrival, release };
}

type Got = { status?: number; connection?: string; body?: string; error?: string };

/** Sends GET `path` on `agent`, resolving with status, Connection header and body, or the socket error. */
function get(port: number, path: string, agent?: http.Agent): Promise<Got> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, ...(agent === undefined ? {} : { agent }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection ?? '', body });
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ error: error.code ?? error.message });
    });
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => {
      resolve();
    });
  });
}

describe('gracefulStopper', () => {
  it('lets an in-flight request finish, closing its connection after it, and stops accepting meanwhile', async () => {
    const { port, stop, arrival, release } = await slowServer();
    const reply = get(port, '/slow');
    await arrival;
    const stopped = stop(10_000);
    await sleep(50);
    expect(await refusesConnections(port)).toBe(true);
    release();
    expect(await reply).toEqual({ status: 200, connection: 'close', body: 'slow done' });
    expect(await stopped).toEqual({ cutConnections: 0 });
  });

  it('closes an idle keep-alive connection at once when it has been quiet for QUIET_MS', async () => {
    const clock = testClock();
    const { port, stop } = await slowServer(clock.now);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect(await get(port, '/quick', agent)).toEqual({ status: 200, connection: 'keep-alive', body: 'quick' });
    clock.advance(QUIET_MS);
    expect(await stop(60_000)).toEqual({ cutConnections: 0 });
    agent.destroy();
  });

  it('answers, with Connection: close, a request sent on a connection that was busy just before the stop', async () => {
    const { port, stop } = await slowServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect(await get(port, '/quick', agent)).toEqual({ status: 200, connection: 'keep-alive', body: 'quick' });
    const stopped = stop(60_000);
    await sleep(50);
    // The clock stands still: the connection is still inside its quiet period, so it is kept.
    expect(await get(port, '/quick', agent)).toEqual({ status: 200, connection: 'close', body: 'quick' });
    expect(await stopped).toEqual({ cutConnections: 0 });
    agent.destroy();
  });

  it('cuts a request still running when the grace period ends, and says so', async () => {
    const { port, stop, arrival } = await slowServer();
    const reply = get(port, '/never');
    await arrival;
    expect(await stop(20)).toEqual({ cutConnections: 1 });
    expect(await reply).toEqual({ error: 'ECONNRESET' });
  });

  it('returns the same promise when asked to stop twice', async () => {
    const { stop } = await slowServer();
    const once = stop(1_000);
    expect(stop(1_000)).toBe(once);
    await once;
  });

  describe('over TLS', () => {
    let pki: TestPki;
    let pair: IssuedPair;
    beforeAll(() => {
      pki = createTestPki();
      pair = pki.issue('2001');
    });
    afterAll(() => {
      pki.cleanup();
    });

    it('closes a connection that never completed its TLS handshake at once', async () => {
      const server = https.createServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end('ok'));
      const stop = gracefulStopper(server, testClock().now);
      const port = await listen(server, '127.0.0.1', 0, 'test port');
      const halfOpen = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => halfOpen.once('connect', resolve));
      await sleep(20);
      expect(await stop(60_000)).toEqual({ cutConnections: 0 });
      await closed(halfOpen);
    });

    it('also closes one that connects during the quiet period and never completes its handshake', async () => {
      const server = https.createServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end('ok'));
      const stop = gracefulStopper(server, testClock().now);
      const port = await listen(server, '127.0.0.1', 0, 'test port');
      // A connection used just now keeps the listener open for the quiet period.
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca });
      await new Promise<void>((resolve) => https.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve)));
      const stopped = stop(QUIET_MS + 3_000);
      await sleep(100);
      const halfOpen = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => halfOpen.once('connect', resolve));
      expect(await stopped).toEqual({ cutConnections: 0 });
      await closed(halfOpen);
      agent.destroy();
    }, 15_000);
  });
});

describe('listen', () => {
  it('names the listener, the address and the reason when the port is taken', async () => {
    const holder = http.createServer();
    const port = await listen(holder, '127.0.0.1', 0, 'first');
    try {
      const error = await listen(http.createServer(), '127.0.0.1', port, 'health port').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ListenError);
      expect(error instanceof ListenError ? [error.code, error.message] : []).toEqual([
        HPG_ERR_LISTEN,
        `cannot listen on 127.0.0.1:${port} (health port): address already in use (EADDRINUSE)`,
      ]);
    } finally {
      holder.close();
    }
  });
});
