/**
 * The watchdog period must outlast the longest watch the server runs, or every quiet
 * watch is cut and the whole resource re-listed each time the period runs out. The
 * config schema, the chart's values.schema.json and the informer's watch timeout are
 * three files; these checks keep them in step.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { DEFAULT_WATCH_TIMEOUT_SECONDS } from '../../../src/cluster/informer.js';
import { MIN_WATCH_STALE_SECONDS, validateConfig } from '../../../src/config/schema.js';
import { DEFAULTS } from '../../../src/config/settings.js';

/** The value at `keys` in a parsed JSON document, or undefined when any step is missing. */
function at(value: unknown, ...keys: readonly string[]): unknown {
  let here = value;
  for (const key of keys) here = typeof here === 'object' && here !== null && key in here ? (here as Record<string, unknown>)[key] : undefined;
  return here;
}

function chartMinimum(): unknown {
  const schema: unknown = JSON.parse(readFileSync(new URL('../../../charts/hostport-guard/values.schema.json', import.meta.url), 'utf8'));
  return at(schema, 'properties', 'config', 'properties', 'watch', 'properties', 'staleAfterSeconds', 'minimum');
}

describe('the watchdog period', () => {
  it('has a minimum above the longest watch timeout', () => {
    expect(MIN_WATCH_STALE_SECONDS).toBeGreaterThan(DEFAULT_WATCH_TIMEOUT_SECONDS.max);
  });

  it('has the same minimum in the chart values schema', () => {
    expect(chartMinimum()).toBe(MIN_WATCH_STALE_SECONDS);
  });

  it('defaults to a value the schema accepts', () => {
    expect(DEFAULTS.watch.staleAfterSeconds).toBeGreaterThanOrEqual(MIN_WATCH_STALE_SECONDS);
  });

  it('refuses one second below the minimum and accepts the minimum', () => {
    const config = (staleAfterSeconds: number): unknown => ({
      ...DEFAULTS,
      tls: { ...DEFAULTS.tls, certFile: 'c', keyFile: 'k' },
      watch: { staleAfterSeconds },
    });
    expect([validateConfig(config(MIN_WATCH_STALE_SECONDS - 1)), validateConfig(config(MIN_WATCH_STALE_SECONDS))]).toEqual([false, true]);
  });
});
