/**
 * A local HTTP server that plays the API server's part on the wire for the transport's
 * unit tests, and a kubeconfig that points at it.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { KubeConfig } from '@kubernetes/client-node';

/** Answers one request. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the server saw of one request. */
export interface Seen {
  readonly url: string;
  readonly accept: string | undefined;
  readonly authorization: string | undefined;
}

/** A local HTTP server whose answer each test sets. */
export class LocalServer {
  readonly seen: Seen[] = [];
  handler: Handler = () => undefined;
  readonly #server = http.createServer((req, res) => {
    this.seen.push({ url: req.url ?? '', accept: req.headers.accept, authorization: req.headers.authorization });
    this.handler(req, res);
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** A kubeconfig for plain HTTP on 127.0.0.1 with a bearer token (client-node requires skipTLSVerify for http). */
export function kubeConfigFor(port: number): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'tester', token: 't0k3n' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'tester' }],
    currentContext: 'local',
  });
  return kubeConfig;
}

/** Answers with `body` as JSON. */
export function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(JSON.stringify(body));
}

/** A metav1.Status body. */
export function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

