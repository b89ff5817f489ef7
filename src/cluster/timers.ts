/** Cancels a scheduled callback; calling it after the callback ran does nothing. */
export type Cancel = () => void;

/** Time and timers, injected so tests drive them instead of waiting. */
export interface Timers {
  /** Milliseconds since some fixed point. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  schedule(ms: number, callback: () => void): Cancel;
}

/** The process clock and timers. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  schedule(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => {
      clearTimeout(timer);
    };
  },
};

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      cancel();
      resolve();
    };
    const cancel = timers.schedule(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves on a later turn of the event loop, after the I/O that is waiting (an
 * admission request, say): long synchronous work awaits it between chunks.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}
