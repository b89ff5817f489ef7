import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { endOfString, jsonDepth, valueExtent } from '../../../src/yaml/json-text.js';

/** How deep a parsed JSON value nests, counted on the value itself. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === 'object' && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('endOfString', () => {
  it('ends a string at its closing quote, past escaped quotes and backslashes', () => {
    const text = '"a\\"b\\\\" tail';
    expect(endOfString(text, 0)).toBe(text.indexOf(' '));
  });

  it('says -1 for a string that never ends', () => {
    expect(endOfString('"abc\\"', 0)).toBe(-1);
  });
});

describe('valueExtent', () => {
  it.each([
    ['a string', '"x]"', 4, 0],
    ['a number', '-12.5e3', 7, 0],
    ['a literal', 'true', 4, 0],
    ['an object with brackets in its strings', '{"a":["]","{"],"b":{}}', 22, 2],
  ])('finds the end and the depth of %s', (_name, text, end, depth) => {
    expect(valueExtent(`${text}, "next"`, 0, 100)).toEqual({ end, depth });
  });

  it('stops as soon as the nesting passes the limit', () => {
    expect(valueExtent('[[[[]]]]', 0, 3)).toEqual({ end: -1, depth: 4 });
    expect(valueExtent('[[[[]]]]', 0, 4)).toEqual({ end: 8, depth: 4 });
  });

  it('says -1 for a value that breaks off', () => {
    expect(valueExtent('{"a":[1,2}', 0, 100).end).toBe(-1);
    expect(valueExtent('{"a":"b', 0, 100).end).toBe(-1);
  });
});

describe('jsonDepth', () => {
  it('agrees with the parsed value on any JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(jsonDepth(text, 1_000)).toBe(depthOf(JSON.parse(text)));
        expect(valueExtent(text, 0, 1_000)).toEqual({ end: text.length, depth: depthOf(JSON.parse(text)) });
      }),
    );
  });

  it('stops counting once past the limit', () => {
    expect(jsonDepth('['.repeat(50_000), 10)).toBe(11);
  });
});
