import type { RequestHandler } from 'express';
import type { AdmissionMetrics } from './metrics.js';
import { outcomeOf } from './outcome.js';

/** Options of requestMetrics. */
export interface RequestMetricsOptions {
  readonly metrics: AdmissionMetrics;
  /** A monotonic clock in milliseconds. */
  readonly now: () => number;
}

/**
 * Counts every answered admission request by mode and decision and times it. A request
 * the handler never saw (refused before, or failed) counts as mode `none`, decision
 * `error`; one whose client went away unanswered is not counted.
 */
export function requestMetrics(options: RequestMetricsOptions): RequestHandler {
  const { metrics, now } = options;
  return (_req, res, next) => {
    const start = now();
    res.once('finish', () => {
      const outcome = outcomeOf(res);
      metrics.observeReview({
        mode: outcome.mode ?? 'none',
        decision: outcome.decision ?? 'error',
        conflicting: (outcome.conflicts ?? 0) > 0,
        existing: outcome.existing === true,
        seconds: (now() - start) / 1000,
      });
    });
    next();
  };
}
