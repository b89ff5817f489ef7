/**
 * What a probe measures while one step runs in its process: how long it took, how long
 * the event loop was blocked at the longest and at p99 (what an admission request
 * arriving meanwhile would have waited), the heap at its peak (heapUsed sampled every
 * 20 ms, and at the end), and, with `node --expose-gc`, the heap once the step's garbage
 * is collected.
 *
 * The longest gap between the ticks of a 1 ms timer is also taken apart with the main
 * thread's scheduler statistics (`/proc/thread-self/schedstat`, Linux): how much of it
 * the thread ran on a core (its own work: parsing, decoding, the garbage collector's
 * pauses) and how much it was ready to run but waited for a core that other processes,
 * or the process's own helper threads, held. On a machine whose cores the API server
 * shares, the second can be most of a stall.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface Watched<T> {
  readonly value: T;
  readonly ms: number;
  readonly stallMaxMs: number;
  readonly stallP99Ms: number;
  readonly heapPeakMB: number;
  /** null without --expose-gc. */
  readonly heapSteadyMB: number | null;
  /**
   * The longest gap between ticks of a 1 ms timer, taken apart; null where there is no
   * schedstat. Like monitorEventLoopDelay's histogram, it starts at the first tick, so it
   * is the same gap as `stallMaxMs`.
   */
  readonly longestGap: LongestGap | null;
  /**
   * From the step's start to the timer's first tick: the step's synchronous start and
   * whatever ran before the loop first came round, which monitorEventLoopDelay does not
   * count either. Null where there is no schedstat, or when the step ended before the
   * first tick.
   */
  readonly firstTickMs: number | null;
}

/** One gap in the event loop's ticks, taken apart by the main thread's scheduler statistics. */
export interface LongestGap {
  readonly ms: number;
  /** Of it, the main thread ran on a core. */
  readonly ranMs: number;
  /** Of it, the main thread was ready to run and waited for a core. */
  readonly waitedMs: number;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** The main thread's time on a core and time waiting for one, in ms; undefined where unreadable. */
function schedstat(): readonly [number, number] | undefined {
  try {
    const [ran, waited] = readFileSync(SCHEDSTAT, 'utf8').split(' ').map(Number);
    return ran === undefined || waited === undefined || !Number.isFinite(ran) || !Number.isFinite(waited) ? undefined : [ran / 1e6, waited / 1e6];
  } catch {
    return undefined;
  }
}

const MB = 2 ** 20;

/** Runs `step` and measures it. */
export async function watched<T>(step: () => Promise<T>): Promise<Watched<T>> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let heapPeak = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  let longestGap: LongestGap | null = null;
  let firstTickMs: number | null = null;
  let lastTick: number | undefined;
  let lastStat = schedstat();
  const ticker =
    lastStat === undefined
      ? undefined
      : setInterval(() => {
          const now = performance.now();
          const stat = schedstat();
          if (lastTick === undefined) firstTickMs = now - start;
          else if (stat !== undefined && lastStat !== undefined && now - lastTick > (longestGap?.ms ?? 0)) {
            longestGap = { ms: now - lastTick, ranMs: stat[0] - lastStat[0], waitedMs: stat[1] - lastStat[1] };
          }
          lastTick = now;
          lastStat = stat;
        }, 1);
  delay.enable();
  const start = performance.now();
  const value = await step();
  const ms = performance.now() - start;
  delay.disable();
  clearInterval(sampler);
  clearInterval(ticker);
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
    longestGap,
    firstTickMs,
  };
}

/** Whether a value is a LongestGap (as a probe printed it). */
export function isLongestGap(value: unknown): value is LongestGap {
  if (typeof value !== 'object' || value === null) return false;
  const { ms, ranMs, waitedMs } = value as Record<string, unknown>;
  return typeof ms === 'number' && typeof ranMs === 'number' && typeof waitedMs === 'number';
}

/**
 * The gap of median length, with its own parts: medians taken of each part apart would
 * not add up to any gap that happened. Null when any is missing.
 */
export function medianGap(gaps: readonly unknown[]): LongestGap | null {
  const known = gaps.filter(isLongestGap);
  if (known.length === 0 || known.length < gaps.length) return null;
  return [...known].sort((a, b) => a.ms - b.ms)[(known.length - 1) >> 1] ?? null;
}
