/** Order statistics for latency samples and repeated rounds. */

/** The q-quantile (0..1) of `sorted` (ascending), nearest-rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The median of `values` (any order); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** p50, p99 and max of a set of samples. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The percentiles of `samples` (any order; the array is not changed). */
export function percentiles(samples: readonly number[] | Float64Array): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const list = Array.from(sorted);
  return { count: list.length, p50: quantile(list, 0.5), p99: quantile(list, 0.99), max: list.at(-1) ?? Number.NaN };
}

/** The median, field by field, of several rounds' percentiles. */
export function medianOf(rounds: readonly Percentiles[]): Percentiles {
  return {
    count: rounds.reduce((n, r) => n + r.count, 0),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    max: Math.max(...rounds.map((r) => r.max)),
  };
}
