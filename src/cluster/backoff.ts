/** Bounds of the retry delay after a failed list or watch. */
export interface BackoffBounds {
  /** Upper bound of the first delay. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly capMs: number;
}

/** 200 ms .. 30 s: quick retries for a blip, and a restarting API server is not hammered. */
export const DEFAULT_BACKOFF: BackoffBounds = { baseMs: 200, capMs: 30_000 };

/**
 * The delay before retry number `attempt` (0 for the first retry): "full jitter",
 * uniformly random up to min(cap, base * 2^attempt), so many webhook replicas that lost
 * the API server at once do not come back in lockstep. `random` returns a number in
 * [0, 1): Math.random in production, fixed in tests (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015).
 */
export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number): number {
  const ceiling = Math.min(bounds.capMs, bounds.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
