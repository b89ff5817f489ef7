/**
 * A round-robin TCP front on 127.0.0.1 that stands in for the webhook's Service: each
 * connection the API server opens goes to the next backend in turn (TLS passes through
 * untouched, every replica serves the same certificate). A backend that refuses the
 * connection is skipped, as a Service drops an endpoint whose pod is gone; a connection
 * already handed to a backend dies with it.
 */
import net from 'node:net';

/** A running front. */
export interface Front {
  readonly port: number;
  /** Connections handed to each backend port so far. */
  counts(): Readonly<Record<number, number>>;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and spreads connections over `backends` (ports on 127.0.0.1). */
export async function roundRobinFront(backends: readonly number[]): Promise<Front> {
  let next = 0;
  const counts: Record<number, number> = {};
  const open = new Set<net.Socket>();

  /** Connects to the next backend that accepts; undefined when none does. */
  const connect = async (): Promise<{ socket: net.Socket; port: number } | undefined> => {
    for (let tried = 0; tried < backends.length; tried += 1) {
      const port = backends[next % backends.length] ?? 0;
      next += 1;
      const socket = await new Promise<net.Socket | undefined>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          resolve(s);
        });
        s.once('error', () => {
          resolve(undefined);
        });
      });
      if (socket !== undefined) return { socket, port };
    }
    return undefined;
  };

  const server = net.createServer((client) => {
    open.add(client);
    client.pause();
    client.on('error', () => client.destroy());
    client.once('close', () => open.delete(client));
    void connect().then((backend) => {
      if (backend === undefined) {
        client.destroy();
        return;
      }
      const { socket, port } = backend;
      counts[port] = (counts[port] ?? 0) + 1;
      open.add(socket);
      socket.once('close', () => {
        open.delete(socket);
        client.destroy();
      });
      socket.on('error', () => socket.destroy());
      client.once('close', () => socket.destroy());
      client.pipe(socket);
      socket.pipe(client);
      client.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the front has no TCP address');
  return {
    port: address.port,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
