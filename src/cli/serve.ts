/**
 * PLACEHOLDER, replaced by the composition root: `runServe` wires config, cluster, server
 * and metrics. It exists only so the `serve` command registration in program.ts typechecks.
 */
import type { Config } from '../config/schema.js';

/** Runs the webhook server with `config` until it is asked to stop. */
export function runServe(config: Config): Promise<void> {
  return Promise.reject(new Error(`not wired yet (mode ${config.mode})`));
}
