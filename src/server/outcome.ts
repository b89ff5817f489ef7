/**
 * What the admission handler learned about a request, kept in the response's
 * `res.locals` (express's place for data that lives as long as one request) so that the
 * request log and the metrics middlewares, which run before the handler and report after
 * it, can read it without reaching into the handler.
 */
import type { Response } from 'express';
import type { Mode } from '../admission/decide.js';

/** The mode label of a counted request: a mode, an exempt namespace, or none (not decided, refused). */
export type ModeLabel = Mode | 'exempt' | 'none';

/** The decision label of a counted request. `skip`: not a request hostport-guard decides; `error`: refused or failed. */
export type DecisionLabel = 'allow' | 'warn' | 'deny' | 'skip' | 'error';

/** Everything known about one admission request once it is answered. */
export interface Outcome {
  readonly uid?: string;
  readonly operation?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly mode?: ModeLabel;
  readonly decision?: DecisionLabel;
  /** The node the subject lands on, when the decision knows it. */
  readonly node?: string;
  /** How many conflicts the decision found. */
  readonly conflicts?: number;
  /** The conflicts already exist on the node (a static pod's mirror, admitted whatever they are). */
  readonly existing?: boolean;
  /** The warnings sent back: for pods a controller creates, the log is the only place they show. */
  readonly warnings?: readonly string[];
  /** The HPG_ERR_* code of a refused or failed request. */
  readonly code?: string;
  /** How the cluster-wide reservation of an admitted pod's ports ended, when one was tried. */
  readonly reservation?: string;
  /** Why it failed, when it did. */
  readonly reservationError?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express types res.locals through its global Express.Locals
  namespace Express {
    /** What hostport-guard keeps in `res.locals`. */
    interface Locals {
      outcome?: Outcome;
    }
  }
}

/** Adds what is now known about the request answered by `res`. */
export function recordOutcome(res: Response, facts: Outcome): void {
  res.locals.outcome = { ...res.locals.outcome, ...facts };
}

/** What is known about the request answered by `res` (empty when the handler never ran). */
export function outcomeOf(res: Response): Outcome {
  return res.locals.outcome ?? {};
}
