import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { outcomeOf } from './outcome.js';

/** Options of requestLog. */
export interface RequestLogOptions {
  readonly logger: Logger;
  /** A monotonic clock in milliseconds (performance.now in production). */
  readonly now: () => number;
}

/**
 * Logs one line per request when its connection is done with it: who it was about
 * (uid, kind, namespace, name), what was decided, the status and how long it took.
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
        method: req.method,
        path: req.path,
        status,
        ...outcomeOf(res),
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
