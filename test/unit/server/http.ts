/**
 * Test helpers: serve a request listener on 127.0.0.1 (port 0), send real HTTP requests,
 * and capture pino lines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';

/** The port of a listening server's address. */
export function portOf(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error(`not a TCP address: ${String(address)}`);
  return address.port;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A listening test server. */
export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `listener` over plain HTTP on a free local port. */
export async function serve(listener: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${portOf(server.address())}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** A received answer, its body parsed when it is JSON. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
  readonly text: string;
}

/** Sends one request; a body that is not a string or Buffer is sent as JSON. */
export async function send(
  url: string,
  init: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: unknown } = {},
): Promise<Reply> {
  const { body } = init;
  const payload = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json') === true;
  return { status: response.status, headers: response.headers, json: isJson ? JSON.parse(text) : undefined, text };
}

/** A pino logger whose lines are kept as parsed objects. */
export function captureLogger(): { readonly logger: Logger; readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug', base: null, timestamp: false }, {
    write(line: string) {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) lines.push(value);
    },
  });
  return { logger, lines };
}
