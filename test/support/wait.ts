/**
 * Bounded polling, the one `eventually` of the tests. The cluster is eventually
 * consistent (watches, informers, the scheduler's queue), and so are servers and
 * reloaders that work in the background: tests wait for a state and then assert on it;
 * nothing here asserts how long anything took.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** How long to poll and how often. */
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/** A poll's answer: done with a value, or not yet with what was seen (for the timeout message). */
export type Poll<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly seen: string };

/** Done, with `value`. */
export function done<T>(value: T): Poll<T> {
  return { done: true, value };
}

/** Not yet; `seen` describes the state for the message if time runs out. */
export function notYet(seen: string): Poll<never> {
  return { done: false, seen };
}

/** A poll made of assertions: done once `check` stops throwing; until then its error is what was seen. */
export function asserted(check: () => void): () => Poll<undefined> {
  return () => {
    check();
    return done(undefined);
  };
}

/**
 * Calls `poll` until it is done and returns its value, or throws after `timeoutMs`
 * (60 s unless given) naming `what` and the last state seen. An exception from `poll`
 * counts as "not yet".
 */
export async function eventually<T>(what: string, poll: () => Poll<T> | Promise<Poll<T>>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  let seen = 'nothing yet';
  for (;;) {
    try {
      const answer = await poll();
      if (answer.done) return answer.value;
      seen = answer.seen;
    } catch (error) {
      seen = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}; last seen: ${seen}`);
    await sleep(intervalMs);
  }
}
