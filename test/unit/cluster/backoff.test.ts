import { describe, expect, it } from '@jest/globals';

import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/cluster/backoff.js';

describe('backoffDelay', () => {
  const cases: readonly [string, number, number, number][] = [
    ['draws the first retry from [0, 200 ms)', 0, 0.999, 199],
    ['doubles the ceiling with each retry', 3, 0.5, 800],
    ['never exceeds the 30 s cap', 20, 0.999, 29_970],
    ['can retry at once (full jitter)', 5, 0, 0],
  ];
  for (const [name, attempt, random, expected] of cases) {
    it(name, () => {
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => random)).toBe(expected);
    });
  }
});
