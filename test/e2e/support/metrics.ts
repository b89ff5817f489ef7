/**
 * Reads samples out of the Prometheus text the webhook serves on /metrics, e.g.
 * `hostport_guard_decisions_total{mode="audit",decision="allow"} 1`.
 */

/** One sample line: metric name, labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample in a Prometheus text exposition. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) continue;
    const [, name, labelText, value] = match;
    if (name === undefined || value === undefined) continue;
    const labels: Record<string, string> = {};
    for (const [, key, val] of (labelText ?? '').matchAll(LABEL)) {
      if (key !== undefined && val !== undefined) labels[key] = val;
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include every one of `labels` (0 when none). */
export function sampleValue(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
