/**
 * What the admission handler learned about a request, kept beside its response so that
 * the request log and the metrics middlewares, which run before the handler and report
 * after it, can read it without reaching into the handler.
 */
import type { ServerResponse } from 'node:http';
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
  /** How many conflicts the decision found. */
  readonly conflicts?: number;
  /** The HPG_ERR_* code of a refused or failed request. */
  readonly code?: string;
}

const outcomes = new WeakMap<ServerResponse, Outcome>();

/** Adds what is now known about the request answered by `res`. */
export function recordOutcome(res: ServerResponse, facts: Outcome): void {
  outcomes.set(res, { ...outcomes.get(res), ...facts });
}

/** What is known about the request answered by `res` (empty when the handler never ran). */
export function outcomeOf(res: ServerResponse): Outcome {
  return outcomes.get(res) ?? {};
}
