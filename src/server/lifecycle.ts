/**
 * Starting and stopping a Node.js HTTP(S) server without dropping requests. On stop:
 * every answer from then on carries `Connection: close`; requests that have already
 * arrived are read and answered; connections that never completed a TLS handshake are
 * closed at once; idle keep-alive connections (the API server keeps them up to 90 s) are
 * closed at once, unless one of them carried a request in the last QUIET_MS, in which
 * case the listener and the idle connections stay until it has been quiet that long, so
 * a client that just reused such a connection is answered instead of reset; in-flight
 * requests finish; whatever is left when the grace period ends is cut.
 */
import type { Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { getSystemErrorMessage } from 'node:util';

/** A Node.js HTTP or HTTPS server. */
export type NodeServer = HttpServer | HttpsServer;

/** What a stop did. */
export interface StopReport {
  /** Connections still open when the grace period ended, and cut. */
  readonly cutConnections: number;
}

/** A server that is listening and can be stopped. */
export interface RunningServer {
  /** The port it listens on (the system's choice when 0 was asked for). */
  readonly port: number;
  /**
   * Stops accepting connections, answers requests already received, lets in-flight ones
   * finish within `graceMs`, closes idle connections, and resolves when every connection
   * is gone. Calling it again returns the same promise.
   */
  readonly stop: (graceMs?: number) => Promise<StopReport>;
  /** Settles with the error if the listening socket fails after start-up; never otherwise. */
  readonly failed: Promise<ListenError>;
}

/** Grace period when stop() is called without one: the API server's default webhook timeout. */
export const DEFAULT_GRACE_MS = 10_000;

/**
 * How long a connection that just answered a request may still carry one more during a
 * stop. A keep-alive client writes its next request the moment it wants to, and cannot
 * see that the server closed the connection until the close arrives: closing a busy
 * connection at once resets whatever it was already sending. HTTP/1.1 has no way to say
 * "no more requests" on an idle connection, so the server waits for quiet instead.
 */
export const QUIET_MS = 1_000;

/** A server could not listen, or its listening socket failed. */
export const HPG_ERR_LISTEN = 'HPG_ERR_LISTEN';

/** Why a listener failed: which one, where, and the system's reason. */
export class ListenError extends Error {
  /** Always HPG_ERR_LISTEN. */
  readonly code = HPG_ERR_LISTEN;

  /** `cannot listen on 127.0.0.1:8080 (health port): address already in use (EADDRINUSE)`. */
  constructor(name: string, host: string, port: number, cause: unknown) {
    super(`cannot listen on ${host}:${port} (${name}): ${reasonOf(cause)}`, { cause });
    this.name = 'ListenError';
  }
}

/** `address already in use (EADDRINUSE)` from a system error; the message of anything else. */
function reasonOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const errno = 'errno' in error && typeof error.errno === 'number' ? error.errno : undefined;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (errno !== undefined && code !== undefined) return `${getSystemErrorMessage(errno)} (${code})`;
  return error instanceof Error ? error.message : 'unknown error';
}

/**
 * Starts listening on `host:port` and resolves with the bound port; `name` (`health
 * port`) says which listener an error is about.
 */
export async function listen(server: NodeServer, host: string, port: number, name: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      reject(new ListenError(name, host, port, error));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new ListenError(name, host, port, new Error('not a TCP address'));
  return address.port;
}

/** Resolves once the event loop has run a full turn, so data that had already arrived is read. */
function afterPendingReads(): Promise<void> {
  return new Promise((resolve) => {
    // The first turn may be the one that delivered the signal: its remaining sockets are
    // read before its check phase; the second immediate follows a whole poll phase.
    setImmediate(() => {
      setImmediate(resolve);
    });
  });
}

/**
 * Tracks the connections and in-flight responses of `server` from now on and returns
 * the function that stops it gracefully. Call before the server listens. `now` is a
 * monotonic clock in milliseconds.
 */
export function gracefulStopper(server: NodeServer, now: () => number = () => performance.now()): (graceMs?: number) => Promise<StopReport> {
  const sockets = new Set<Socket>();
  /** Raw sockets by peer address, until their TLS handshake completes. */
  const handshaking = new Map<string, Socket>();
  /** HTTP connections and when each last finished an answer (or opened). */
  const lastUsed = new Map<Socket, number>();
  const inFlight = new Set<ServerResponse>();
  const isTls = server instanceof tls.Server;
  let stopping = false;
  let closing = false;
  let stopped: Promise<StopReport> | undefined;

  const peer = (socket: Socket): string => `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
  const track = (socket: Socket): void => {
    lastUsed.set(socket, now());
    socket.once('close', () => lastUsed.delete(socket));
  };

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    const key = peer(socket);
    if (isTls) handshaking.set(key, socket);
    else track(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (handshaking.get(key) === socket) handshaking.delete(key);
    });
  });
  // The TLS socket has the same peer as the raw socket it wraps.
  server.on('secureConnection', (socket: Socket) => {
    handshaking.delete(peer(socket));
    track(socket);
  });
  // Runs before the app, so a request arriving on a kept-alive connection during the
  // stop is answered and its connection closed after the answer.
  server.prependListener('request', (req, res: ServerResponse) => {
    inFlight.add(res);
    if (stopping) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      if (!req.socket.destroyed) lastUsed.set(req.socket, now());
      // An answer begun before the stop kept its connection alive: close it once idle.
      if (closing) {
        setImmediate(() => {
          server.closeIdleConnections();
        });
      }
    });
  });

  /** When the last connection without a request in flight was used. */
  const lastQuietStart = (): number => {
    const busy = new Set([...inFlight].map((res) => res.socket));
    let latest = Number.NEGATIVE_INFINITY;
    for (const [socket, used] of lastUsed) if (!busy.has(socket) && used > latest) latest = used;
    return latest;
  };

  return (graceMs = DEFAULT_GRACE_MS) => {
    stopped ??= (async () => {
      const start = now();
      stopping = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      // Requests already sent on kept-alive connections may sit unread in the socket:
      // read them first, so they are answered like any request in flight.
      await afterPendingReads();
      // A connection that never completed its handshake carries no request to wait for.
      const dropHandshakes = (): void => {
        for (const socket of handshaking.values()) socket.destroy();
      };
      dropHandshakes();
      const quietIn = lastQuietStart() + QUIET_MS - now();
      if (quietIn > 0) await new Promise((resolve) => setTimeout(resolve, quietIn).unref());
      closing = true;
      // The listener stayed open through the quiet period: drop what arrived meanwhile too.
      dropHandshakes();
      let cut = 0;
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(() => {
          cut = sockets.size;
          for (const socket of sockets) socket.destroy();
        }, Math.max(0, graceMs - (now() - start)));
        // close() stops accepting and closes idle connections (Node.js 19 and later).
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      return { cutConnections: cut };
    })();
    return stopped;
  };
}

/** Settles with a ListenError when the listening `server` fails later; the error is logged by the caller. */
export function failureOf(server: NodeServer, name: string, host: string, port: number): Promise<ListenError> {
  return new Promise((resolve) => {
    server.on('error', (error: Error) => {
      resolve(new ListenError(name, host, port, error));
    });
  });
}
