/**
 * What the image and the chart run the webhook with, so that the bench measures that
 * process and not Node.js's defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseFinalStage } from '../../hack/image/assemble.js';

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

/**
 * The Node.js flags of the image's ENTRYPOINT (those between the node binary and the
 * script), from the Dockerfile: flags that Node.js refuses in NODE_OPTIONS.
 */
export function imageNodeFlags(repo: string): string[] {
  const file = path.join(repo, 'Dockerfile');
  const [binary, ...rest] = parseFinalStage(readFileSync(file, 'utf8')).entrypoint;
  const script = rest.findIndex((arg) => !arg.startsWith('-'));
  if (binary === undefined || !binary.endsWith('/node') || script < 0 || !rest[script]?.endsWith('/hostport-guard.js')) {
    throw new Error(`${file}: the ENTRYPOINT is not node [flags] .../hostport-guard.js`);
  }
  return rest.slice(0, script);
}
