/**
 * What the chart runs the webhook with, so that the bench measures that process and not
 * Node.js's defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** The chart's default `nodeOptions` (the webhook's NODE_OPTIONS), from its values.yaml. */
export function chartNodeOptions(repo: string): string {
  const file = path.join(repo, 'charts/hostport-guard/values.yaml');
  const values: unknown = parse(readFileSync(file, 'utf8'));
  const options = typeof values === 'object' && values !== null && 'nodeOptions' in values ? values.nodeOptions : undefined;
  if (typeof options !== 'string') throw new Error(`${file} has no nodeOptions string`);
  return options;
}

/** chartNodeOptions as separate command-line flags. */
export function chartNodeFlags(repo: string): string[] {
  return chartNodeOptions(repo).split(/\s+/).filter((flag) => flag !== '');
}
