import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { shown } from '../admission/text.js';
import type { Outcome } from './outcome.js';
import { outcomeOf } from './outcome.js';

/**
 * The longest uid, name or path a log line holds: a request uid is a 36-character UUID
 * and a Kubernetes name at most 253 characters, so anything longer is clipped rather than
 * logged whole (a 100 KB uid once was).
 */
export const MAX_LOGGED_FIELD = 256;

/** A field from the request as the log shows it: invisible characters escaped, clipped. */
export function forLog(value: string): string {
  return shown(value, MAX_LOGGED_FIELD);
}

/** The outcome with every string field made safe for the log. */
function loggedOutcome(outcome: Outcome): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outcome).map(([k, v]) => [k, typeof v === 'string' ? forLog(v) : v]));
}

/** Options of requestLog. */
export interface RequestLogOptions {
  readonly logger: Logger;
  /** A monotonic clock in milliseconds (performance.now in production). */
  readonly now: () => number;
}

/**
 * Logs one line per request when its connection is done with it: who it was about
 * (uid, kind, namespace, name), what was decided, the status and how long it took. What
 * came from the request is shown visibly and clipped (forLog).
 * Refusals log at warn, failures at error; a request whose client went away before the
 * answer is marked `aborted`.
 */
export function requestLog(options: RequestLogOptions): RequestHandler {
  const { logger, now } = options;
  return (req, res, next) => {
    const start = now();
    res.once('close', () => {
      const status = res.statusCode;
      const line = {
        method: forLog(req.method),
        path: forLog(req.path),
        status,
        ...loggedOutcome(outcomeOf(res)),
        durationMs: now() - start,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (!res.writableFinished) logger.warn(line, 'request aborted');
      else if (status >= 500) logger.error(line, 'request failed');
      else if (status >= 400) logger.warn(line, 'request refused');
      else logger.info(line, 'request answered');
    });
    next();
  };
}
