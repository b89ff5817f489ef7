/**
 * Plain GET requests and line streams to the API server, authenticated by client-node's
 * KubeConfig (client certificates, tokens, exec plugins, in-cluster token files,
 * proxies: `applyToHTTPSOptions`).
 *
 * Why not client-node's `Watch`: in 2.0.1 it aborts a watch after 30 s without data
 * (a private, fixed `requestTimeoutMs`), while a watch on a quiet resource can get
 * nothing, not even a bookmark, for minutes, so every quiet watch would be torn down and
 * re-established twice a minute. Here the informer's watchdog decides when a stream is
 * stale. Lists use the same path so they can be aborted and asked for metadata only.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import http from 'node:http';
import https from 'node:https';

import type { KubeConfig } from '@kubernetes/client-node';

import { KubeConfigError } from './kube-config.js';
import { ApiError } from './list-watch.js';
import { isWireStatus } from './object-schema.js';

/** A GET to the API server. */
export interface KubeRequest {
  /** Path below the server URL, e.g. `/api/v1/pods`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly accept: string;
}

/** Receives a stream one line at a time. */
export interface LineHandlers {
  onLine(line: string): void;
  /** Called once when the stream ends, with an error unless the server closed it cleanly. */
  onEnd(error?: Error): void;
}

/** Raw access to the API server. */
export interface KubeHttp {
  /** GETs `request` and parses the JSON body; rejects with ApiError. */
  getJson(request: KubeRequest, options: { readonly signal: AbortSignal; readonly timeoutMs: number }): Promise<unknown>;
  /** GETs `request` and hands its body over line by line (a watch). */
  streamLines(request: KubeRequest, handlers: LineHandlers): { abort(): void };
}

function describe(request: KubeRequest): string {
  return `GET ${request.path}`;
}

/** The message of a metav1.Status body, else the raw body (shortened). */
function statusMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isWireStatus(parsed) && parsed.message !== undefined) return parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 200);
}

function readBody(res: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => {
    done(Buffer.concat(chunks).toString('utf8'));
  });
}

function asApiError(request: KubeRequest, error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ApiError(describe(request), undefined, detail, { cause: error });
}

/** Talks to the current cluster of `kubeConfig`. */
export function kubeHttp(kubeConfig: KubeConfig): KubeHttp {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined || server === '') throw new KubeConfigError('the kubeconfig names no current cluster');
  const base = server.replace(/\/+$/, '');

  async function open(request: KubeRequest, onResponse: (res: IncomingMessage) => void): Promise<ClientRequest> {
    const url = new URL(`${base}${request.path}`);
    url.search = request.query.toString();
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: request.accept } };
    await kubeConfig.applyToHTTPSOptions(options);
    const send = url.protocol === 'http:' ? http.request : https.request;
    return send(url, options, onResponse);
  }

  return {
    getJson(request, { signal, timeoutMs }) {
      return new Promise((resolve, reject) => {
        const what = describe(request);
        const fail = (error: unknown): void => {
          reject(asApiError(request, error));
        };
        open(request, (res) => {
          res.on('error', fail);
          readBody(res, (body) => {
            if (res.statusCode !== 200) {
              fail(new ApiError(what, res.statusCode, statusMessage(body)));
              return;
            }
            try {
              const parsed: unknown = JSON.parse(body);
              resolve(parsed);
            } catch (error) {
              fail(new ApiError(what, res.statusCode, 'the response is not JSON', { cause: error }));
            }
          });
        })
          .then((req) => {
            const abort = (): void => {
              req.destroy(new ApiError(what, undefined, 'aborted'));
            };
            if (signal.aborted) abort();
            signal.addEventListener('abort', abort, { once: true });
            req.on('close', () => {
              signal.removeEventListener('abort', abort);
            });
            req.setTimeout(timeoutMs, () => req.destroy(new ApiError(what, undefined, `no data for ${timeoutMs} ms`)));
            req.on('error', fail);
            req.end();
          })
          .catch(fail);
      });
    },

    streamLines(request, handlers) {
      const what = describe(request);
      let aborted = false;
      let ended = false;
      let req: ClientRequest | undefined;
      const end = (error?: unknown): void => {
        if (aborted || ended) return;
        ended = true;
        req?.destroy();
        handlers.onEnd(error === undefined ? undefined : asApiError(request, error));
      };
      open(request, (res) => {
        if (res.statusCode !== 200) {
          readBody(res, (body) => {
            end(new ApiError(what, res.statusCode, statusMessage(body)));
          });
          return;
        }
        res.setEncoding('utf8');
        let partial = '';
        res.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            if (aborted || ended) return;
            if (line.trim() !== '') handlers.onLine(line);
          }
        });
        res.on('end', () => {
          if (partial.trim() !== '' && !aborted && !ended) handlers.onLine(partial);
          end();
        });
        res.on('error', end);
        res.on('close', () => {
          end(new ApiError(what, undefined, 'the connection closed before the stream ended'));
        });
      })
        .then((opened) => {
          req = opened;
          // Listen before any destroy(): a request destroyed before its response emits
          // 'error' (socket hang up), which would otherwise be unhandled and end the process.
          opened.on('error', end);
          if (aborted) {
            opened.destroy();
            return;
          }
          opened.end();
        })
        .catch(end);
      return {
        abort() {
          aborted = true;
          req?.destroy();
        },
      };
    },
  };
}
