/**
 * `helm lint` and `helm lint --strict` report no warning or error for the default values
 * and for every ci/*.yaml values file (lint also checks the values against the schema).
 */
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { CHART_DIR, CI_VALUES, describeRun, helm } from './chart.js';

const cases: readonly (readonly [string, readonly string[]])[] = [
  ['the default values', []],
  ...CI_VALUES.map((file) => [file, ['--values', path.join(CHART_DIR, file)]] as const),
];

describe('helm lint', () => {
  it.each(cases)('is clean for %s, with and without --strict', async (_name, valuesArgs) => {
    for (const strict of [[], ['--strict']]) {
      const args = ['lint', CHART_DIR, ...strict, ...valuesArgs];
      const result = await helm(args);
      const complaints = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => /\[(WARNING|ERROR)\]/.test(l));
      expect({ exitCode: result.exitCode, complaints }).toEqual({ exitCode: 0, complaints: [] });
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      if (result.exitCode !== 0) throw new Error(describeRun(['helm', ...args], result));
    }
  });
});
