/**
 * Starting and stopping a Node.js HTTP(S) server without dropping requests: stop
 * accepting, let in-flight requests finish with `Connection: close`, close idle
 * keep-alive connections at once (the API server keeps them up to 90 s), and cut whatever
 * is left when the grace period ends.
 */
import type { Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

/** A Node.js HTTP or HTTPS server. */
export type NodeServer = HttpServer | HttpsServer;

/** A server that is listening and can be stopped. */
export interface RunningServer {
  /** The port it listens on (the system's choice when 0 was asked for). */
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish within `graceMs`, closes
   * idle connections, and resolves when every connection is gone. Calling it again
   * returns the same promise.
   */
  readonly stop: (graceMs?: number) => Promise<void>;
}

/** Grace period when stop() is called without one: the API server's default webhook timeout. */
export const DEFAULT_GRACE_MS = 10_000;

/** Starts listening on `host:port` and resolves with the bound port. */
export async function listen(server: NodeServer, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      reject(error);
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${host}:${port} is not a TCP address`);
  return address.port;
}

/**
 * Tracks the connections and in-flight responses of `server` from now on and returns
 * the function that stops it gracefully. Call before the server listens.
 */
export function gracefulStopper(server: NodeServer): (graceMs?: number) => Promise<void> {
  const sockets = new Set<Socket>();
  const inFlight = new Set<ServerResponse>();
  let stopped: Promise<void> | undefined;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Runs before the app, so a request arriving on a kept-alive connection during the
  // stop is answered and its connection closed after the answer.
  server.prependListener('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    if (stopped !== undefined) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      // The connection becomes idle once the response is done: close it then.
      if (stopped !== undefined) {
        setImmediate(() => {
          server.closeIdleConnections();
        });
      }
    });
  });

  return (graceMs = DEFAULT_GRACE_MS) => {
    stopped ??= new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
    });
    return stopped;
  };
}
