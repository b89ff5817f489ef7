/**
 * Requests to the API server, through client-node's own request machinery: every request
 * is a client-node RequestContext, authenticated by `KubeConfig.applySecurityAuthentication`
 * (client certificates, bearer and exec-plugin tokens, the in-cluster token file,
 * proxies) and sent by client-node's HTTP library. Single objects (Leases, Events) go
 * through the generated typed APIs. Lists and watches read the answer themselves:
 * `getJson` parses a list page with JSON.parse and nothing else, because the typed API's
 * deserializer builds a class instance for every nested object of every item, which took
 * three times as long as the parse and blocked the event loop for it (docs/benchmarks.md),
 * and `streamLines` hands a watch over line by line, which no client-node API does in a
 * form the informer can use (reflector.ts says why). Every failure becomes an ApiError
 * naming the request and, when the server answered, its status and message.
 */
import { STATUS_CODES } from 'node:http';

import type { KubeConfig } from '@kubernetes/client-node';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  SchedulingV1Api,
  ServerConfiguration,
} from '@kubernetes/client-node';

import { KubeConfigError } from './kube-config.js';
import { LineBuffer } from './lines.js';
import { ApiError } from './list-watch.js';
import { isWireStatus } from './object-schema.js';

/** A GET to the API server whose answer is a stream. */
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

/** How one request is sent. */
export interface CallOptions {
  /** The media types asked for (metadata-only lists ask for PartialObjectMetadataList). */
  readonly accept: string;
  readonly signal: AbortSignal;
  /** The whole call, answer included, must be done within this many milliseconds. */
  readonly timeoutMs: number;
}

/** The typed APIs a call can use, sharing one configuration. */
export interface TypedApis {
  readonly core: CoreV1Api;
  readonly scheduling: SchedulingV1Api;
  readonly coordination: CoordinationV1Api;
}

/** Access to one cluster's API server. */
export interface KubeHttp {
  /** Runs one call of a typed API; rejects with ApiError, `what` naming the request. */
  call<R>(what: string, call: (apis: TypedApis) => Promise<R>, options: CallOptions): Promise<R>;
  /** GETs `request` and hands its body over line by line (a watch); `abort` ends it silently. */
  streamLines(request: KubeRequest, handlers: LineHandlers): { abort(): void };
  /** GETs `request` (its own `accept`, not the options') and parses the answer, which must be 200 and JSON. */
  getJson(request: KubeRequest, options: Omit<CallOptions, 'accept'>): Promise<unknown>;
}

/** What client-node sends a request with: an undici dispatcher (a connection pool). */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** The connection pool typed calls share, and since when. */
interface Pool {
  readonly dispatcher: Dispatcher;
  readonly since: number;
}

/** How long one connection pool serves typed calls before a fresh one takes over. */
export const POOL_RENEW_MS = 5 * 60_000;

/** The most of an error body that goes into a message. */
const MAX_BODY_TEXT = 200;

/**
 * The message of a metav1.Status body, else the raw body (shortened), else the status's
 * name (client-node drops the body of a 401).
 */
function statusMessage(status: number, body: unknown): string {
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  if (text.trim() === '') return STATUS_CODES[status] ?? 'no message';
  try {
    const parsed: unknown = JSON.parse(text);
    if (isWireStatus(parsed) && parsed.message !== undefined) return parsed.message;
  } catch {
    // not JSON: the raw text says what there is to say
  }
  return text.slice(0, MAX_BODY_TEXT);
}

/** An error's message, whichever realm made it (node's socket errors are not this realm's Error). */
function messageOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' ? error.message : undefined;
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:6443`: undici keeps the reason in `cause`. */
function detailOf(error: unknown): string {
  const message = messageOf(error);
  if (message === undefined) return String(error);
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? messageOf(error.cause) : undefined;
  return cause === undefined || cause === '' ? message : `${message}: ${cause}`;
}

/**
 * The ApiError for a failed request. `timedOut` and `aborted` say which of the request's
 * signals ended it, because an aborted fetch only says "This operation was aborted".
 */
function apiErrorOf(what: string, error: unknown, ended: { readonly timedOutAfterMs?: number; readonly aborted: boolean }): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ApiException) return new ApiError(what, error.code, statusMessage(error.code, error.body), { cause: error });
  if (ended.timedOutAfterMs !== undefined) return new ApiError(what, undefined, `no answer within ${ended.timedOutAfterMs} ms`, { cause: error });
  if (ended.aborted) return new ApiError(what, undefined, 'aborted', { cause: error });
  return new ApiError(what, undefined, detailOf(error), { cause: error });
}

/**
 * Settles as `work` does, or rejects with the signal's reason the moment it aborts,
 * whichever comes first: the bound holds even where a library (client-node's request
 * building, its authentication, undici) does not answer an abort at once.
 */
function untilAborted<R>(work: Promise<R>, signal: AbortSignal): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const abandon = (): void => {
      const reason: unknown = signal.reason;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    signal.addEventListener('abort', abandon, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', abandon);
    });
  });
}

/**
 * Runs `run` with a signal that aborts at `options.signal` or after `options.timeoutMs`,
 * whichever comes first, and never waits for it past that; any failure becomes the
 * ApiError of `what`, saying which ended it.
 */
async function withinDeadline<R>(what: string, options: Omit<CallOptions, 'accept'>, run: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, deadline]);
  try {
    if (signal.aborted) throw signal.reason;
    return await untilAborted(run(signal), signal);
  } catch (error) {
    throw apiErrorOf(what, error, {
      ...(deadline.aborted && !options.signal.aborted ? { timedOutAfterMs: options.timeoutMs } : {}),
      aborted: options.signal.aborted,
    });
  }
}

/** Talks to the current cluster of `kubeConfig`. */
export function kubeHttp(kubeConfig: KubeConfig): KubeHttp {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined || server === '') throw new KubeConfigError('the kubeconfig names no current cluster');
  const base = server.replace(/\/+$/, '');
  const send = new IsomorphicFetchHttpLibrary();
  let pool: Pool | undefined;

  /**
   * Lets the typed calls share one connection pool. client-node gives every request a
   * new dispatcher, so each call would open (and handshake) a TLS connection of its own:
   * measured, that doubles the time of a Lease call on the admission path. The pool is
   * renewed every POOL_RENEW_MS, so rotated client certificates are picked up; the old
   * one closes once its requests are done. Tokens travel in headers, fresh every call.
   */
  const shareConnections = (context: RequestContext): void => {
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const now = Date.now();
    if (pool === undefined || now - pool.since >= POOL_RENEW_MS) {
      const old = pool?.dispatcher;
      pool = { dispatcher: fresh, since: now };
      old?.close().catch(() => undefined);
      return;
    }
    context.setDispatcher(pool.dispatcher);
  };

  /** A GET of `request`, authenticated as the kubeconfig says. */
  const getContext = async (request: KubeRequest): Promise<RequestContext> => {
    const url = new URL(`${base}${request.path}`);
    url.search = request.query.toString();
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    context.setHeaderParam('Accept', request.accept);
    await kubeConfig.applySecurityAuthentication(context);
    return context;
  };

  return {
    getJson(request, options) {
      const what = `GET ${request.path}`;
      return withinDeadline(what, options, async (signal) => {
        const context = await getContext(request);
        context.setSignal(signal);
        shareConnections(context);
        const response = await send.send(context).toPromise();
        const text = await response.body.text();
        if (response.httpStatusCode !== 200) throw new ApiError(what, response.httpStatusCode, statusMessage(response.httpStatusCode, text));
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new ApiError(what, 200, 'the answer is not JSON');
        }
      });
    },

    call(what, call, options) {
      return withinDeadline(what, options, (signal) => {
        // A configuration per call: the generated API takes the Accept header and the abort
        // signal only from middleware, and per-call middleware is typed for the wrong flavour.
        const configuration = createConfiguration({
          baseServer: new ServerConfiguration(base, {}),
          authMethods: { default: kubeConfig },
          promiseMiddleware: [
            {
              pre: (context) => {
                context.setHeaderParam('Accept', options.accept);
                context.setSignal(signal);
                shareConnections(context);
                return Promise.resolve(context);
              },
              post: (context) => Promise.resolve(context),
            },
          ],
        });
        return call({
          core: new CoreV1Api(configuration),
          scheduling: new SchedulingV1Api(configuration),
          coordination: new CoordinationV1Api(configuration),
        });
      });
    },

    streamLines(request, handlers) {
      const what = `GET ${request.path}`;
      const controller = new AbortController();
      let done = false;
      const end = (error?: Error): void => {
        if (done) return;
        done = true;
        controller.abort();
        handlers.onEnd(error);
      };
      const run = async (): Promise<void> => {
        const context = await getContext(request);
        context.setSignal(controller.signal);
        const response = await send.send(context).toPromise();
        if (response.httpStatusCode !== 200) {
          end(new ApiError(what, response.httpStatusCode, statusMessage(response.httpStatusCode, await response.body.text())));
          return;
        }
        const body = response.body.stream();
        if (body === null) {
          end(new ApiError(what, 200, 'the answer has no body'));
          return;
        }
        const lines = new LineBuffer();
        const decoder = new TextDecoder();
        const hand = (complete: readonly string[]): void => {
          for (const line of complete) if (!done) handlers.onLine(line);
        };
        for await (const chunk of body) {
          hand(lines.push(decoder.decode(chunk, { stream: true })));
          if (done) return;
        }
        hand([...lines.push(decoder.decode()), ...lines.end()]);
        end();
      };
      // run() never rejects past here: every failure, a throwing handler included, ends the stream.
      run().catch((error: unknown) => {
        end(apiErrorOf(what, error, { aborted: controller.signal.aborted }));
      });
      return {
        abort() {
          done = true;
          controller.abort();
        },
      };
    },
  };
}
