/**
 * What a probe measures while one step runs in its process: how long it took, how long
 * the event loop was blocked at the longest and at p99 (what an admission request
 * arriving meanwhile would have waited), the heap at its peak (heapUsed sampled every
 * 20 ms, and at the end), and, with `node --expose-gc`, the heap once the step's garbage
 * is collected.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface Watched<T> {
  readonly value: T;
  readonly ms: number;
  readonly stallMaxMs: number;
  readonly stallP99Ms: number;
  readonly heapPeakMB: number;
  /** null without --expose-gc. */
  readonly heapSteadyMB: number | null;
}

const MB = 2 ** 20;

/** Runs `step` and measures it. */
export async function watched<T>(step: () => Promise<T>): Promise<Watched<T>> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let heapPeak = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  delay.enable();
  const start = performance.now();
  const value = await step();
  const ms = performance.now() - start;
  delay.disable();
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return {
    value,
    ms,
    stallMaxMs: delay.max / 1e6,
    stallP99Ms: delay.percentile(99) / 1e6,
    heapPeakMB: heapPeak / MB,
    heapSteadyMB: gc === undefined ? null : process.memoryUsage().heapUsed / MB,
  };
}
