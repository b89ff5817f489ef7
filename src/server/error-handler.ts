import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import {
  HPG_ERR_BAD_REQUEST,
  HPG_ERR_BODY_TOO_LARGE,
  HPG_ERR_INTERNAL,
  HPG_ERR_UNSUPPORTED_MEDIA_TYPE,
  sendReviewError,
} from './errors.js';
import { outcomeOf } from './outcome.js';
import { forLog } from './request-log.js';

/** The status a body reader attached to its error (body-parser sets `status` and `type`). */
function clientStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = error.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * The one place where errors become answers. Body-reading failures keep their 4xx
 * status (413 past the limit, 415 for a compressed body, 400 for an aborted or truncated
 * one); anything else is a bug or broken infrastructure: logged with its stack and
 * answered 500, and the process keeps serving.
 */
export function errorHandler(options: { readonly logger: Logger; readonly limitBytes: number }): ErrorRequestHandler {
  const { logger, limitBytes } = options;
  return (error: unknown, _req, res, _next) => {
    const { uid } = outcomeOf(res);
    if (res.headersSent) {
      // Too late for an answer: cut the connection so the client sees a failure, not half a review.
      logger.error({ err: error, uid: uid === undefined ? undefined : forLog(uid) }, 'admission request failed after its answer started');
      res.destroy();
      return;
    }
    const status = clientStatusOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (status === 413) {
      sendReviewError(res, 413, HPG_ERR_BODY_TOO_LARGE, `request body exceeds the limit of ${limitBytes} bytes`, uid);
    } else if (status === 415) {
      sendReviewError(res, 415, HPG_ERR_UNSUPPORTED_MEDIA_TYPE, message, uid);
    } else if (status !== undefined) {
      sendReviewError(res, 400, HPG_ERR_BAD_REQUEST, message, uid);
    } else {
      logger.error({ err: error, uid: uid === undefined ? undefined : forLog(uid) }, 'deciding an admission request failed');
      sendReviewError(res, 500, HPG_ERR_INTERNAL, 'deciding the request failed; the webhook log has the details', uid);
    }
  };
}
