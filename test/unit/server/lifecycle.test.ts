import { describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import { gracefulStopper, listen } from '../../../src/server/lifecycle.js';

/** A server whose `/slow` requests wait until released; everything else answers at once. */
async function slowServer() {
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
  const stop = gracefulStopper(server);
  const port = await listen(server, '127.0.0.1', 0);
  return { server, port, stop, arrival, release };
}

/** Sends GET `path` on `agent`, resolving with status, Connection header and body, or the socket error. */
function get(port: number, path: string, agent?: http.Agent): Promise<{ status?: number; connection?: string; body?: string; error?: string }> {
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

describe('gracefulStopper', () => {
  it('lets an in-flight request finish, closing its connection after it, and stops accepting meanwhile', async () => {
    const { port, stop, arrival, release } = await slowServer();
    const reply = get(port, '/slow');
    await arrival;
    const stopped = stop(10_000);
    expect(await refusesConnections(port)).toBe(true);
    release();
    expect(await reply).toEqual({ status: 200, connection: 'close', body: 'slow done' });
    await stopped;
  });

  it('closes idle keep-alive connections at once instead of waiting out their timeout', async () => {
    const { port, stop, server } = await slowServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect(await get(port, '/quick', agent)).toEqual({ status: 200, connection: 'keep-alive', body: 'quick' });
    const closed = new Promise<void>((resolve) => server.once('close', resolve));
    await stop(60_000);
    await closed;
    agent.destroy();
  });

  it('cuts a request still running when the grace period ends', async () => {
    const { port, stop, arrival } = await slowServer();
    const reply = get(port, '/never');
    await arrival;
    await stop(20);
    expect(await reply).toEqual({ error: 'ECONNRESET' });
  });

  it('returns the same promise when asked to stop twice', async () => {
    const { stop } = await slowServer();
    const once = stop(1_000);
    expect(stop(1_000)).toBe(once);
    await once;
  });
});
