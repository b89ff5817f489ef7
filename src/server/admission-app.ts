import express from 'express';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Responder } from '../admission/respond.js';
import type { Occupant } from '../engine/types.js';
import { errorHandler } from './error-handler.js';
import { HPG_ERR_METHOD_NOT_ALLOWED, HPG_ERR_NOT_FOUND, sendPlainError } from './errors.js';
import type { AdmissionMetrics } from './metrics.js';
import { readJsonBody } from './read-body.js';
import { requestLog } from './request-log.js';
import { requestMetrics } from './request-metrics.js';
import { requireJson } from './require-json.js';
import type { ClusterHold } from './validate-handler.js';
import { validateHandler } from './validate-handler.js';

/** The path the ValidatingWebhookConfiguration points at. */
export const VALIDATE_PATH = '/validate';

/** Collaborators of the admission app. */
export interface AdmissionAppDeps {
  /** Decides a decoded review; `responderFor(policy, namespaceModes, index)` in production. */
  readonly respond: Responder;
  readonly logger: Logger;
  readonly metrics: AdmissionMetrics;
  /** Reserves the ports of a pod let in on a known node, in this replica, until the watch shows it. */
  readonly onAdmit: (occupant: Occupant) => void;
  /** Reservations every replica sees, taken before the answer leaves; absent: this replica's only. */
  readonly cluster?: ClusterHold;
  /** A monotonic clock in milliseconds, for durations. */
  readonly now: () => number;
  /** Bodies past this many bytes get 413 (the `maxBodyBytes` setting). */
  readonly bodyLimitBytes: number;
}

/**
 * The express app serving `POST /validate`. Middlewares run in this order: request log
 * (every path), then on `/validate` metrics, content type (415), body limit and JSON
 * (413, 400), the handler (400 for an invalid review, 200 with the answer), and last the
 * error handler (500 for anything thrown). Other paths get a JSON 404.
 */
export function createAdmissionApp(deps: AdmissionAppDeps): Express {
  const limitBytes = deps.bodyLimitBytes;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.use(requestLog({ logger: deps.logger, now: deps.now }));
  app.post(
    VALIDATE_PATH,
    requestMetrics({ metrics: deps.metrics, now: deps.now }),
    requireJson(),
    ...readJsonBody({ limitBytes }),
    validateHandler({
      respond: deps.respond,
      onAdmit: deps.onAdmit,
      ...(deps.cluster === undefined ? {} : { cluster: deps.cluster }),
      now: deps.now,
    }),
  );
  app.all(VALIDATE_PATH, (req, res) => {
    res.setHeader('Allow', 'POST');
    sendPlainError(res, 405, HPG_ERR_METHOD_NOT_ALLOWED, `${req.method} is not allowed on ${VALIDATE_PATH}; use POST`);
  });
  app.use((req, res) => {
    sendPlainError(res, 404, HPG_ERR_NOT_FOUND, `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler({ logger: deps.logger, limitBytes }));
  return app;
}
