import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { splitJsonList } from '../../../src/manifests/json-list.js';

/** What a split says the text holds: the head parsed, and each item parsed. */
function parsedParts(text: string, maxDepth = 256): { head: unknown; items: unknown[] } | undefined {
  const split = splitJsonList(text, maxDepth);
  if (split === undefined) return undefined;
  return { head: JSON.parse(split.head), items: split.items.map(([start, end]) => JSON.parse(text.slice(start, end)) as unknown) };
}

describe('splitJsonList', () => {
  it('takes a kubectl list apart: the head without its items, and each item', () => {
    const text = '{"apiVersion":"v1","items":[{"kind":"Pod","metadata":{"name":"a"}},{"kind":"Node"}],"kind":"List","metadata":{"resourceVersion":""}}';
    expect(parsedParts(text)).toEqual({
      head: { apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } },
      items: [{ kind: 'Pod', metadata: { name: 'a' } }, { kind: 'Node' }],
    });
  });

  it('reads pretty-printed text, strings with brackets, quotes and escapes, and items that are not objects', () => {
    const items = [{ note: 'a } ] [ { " \\ \n \u00e9' }, 'text ]', 12.5e3, null, true, [[{}]], {}];
    const text = `\n ${JSON.stringify({ kind: 'List', items, 'x]': '{' }, null, 2)} \n`;
    expect(parsedParts(text)).toEqual({ head: { kind: 'List', items: [], 'x]': '{' }, items });
  });

  it('reads an empty items array', () => {
    expect(parsedParts('{"kind":"List","items":[ ]}')).toEqual({ head: { kind: 'List', items: [] }, items: [] });
  });

  const refused: readonly [string, string][] = [
    ['an empty text', ''],
    ['a JSON array', '[{"kind":"Pod"}]'],
    ['an empty object', '{}'],
    ['an object without items', '{"kind":"Pod","metadata":{"name":"a"}}'],
    ['items that are not an array', '{"kind":"List","items":{"a":[1]}}'],
    ['items named twice', '{"kind":"List","items":[{"a":1}],"items":[{"b":2}]}'],
    ['a key with an escape, which could spell items', '{"kind":"List","items":[{"a":1}],"it\\u0065ms":[{"b":2}]}'],
    ['a text broken off inside an item', '{"kind":"List","items":[{"a":"b'],
    ['a text broken off after the items', '{"kind":"List","items":[{"a":1}]'],
    ['items without a comma between them', '{"kind":"List","items":[{"a":1} {"b":2}]}'],
    ['a key without a colon', '{"kind" "List","items":[]}'],
  ];
  it.each(refused)('leaves %s to a whole parse', (_name, text) => {
    expect(splitJsonList(text, 256)).toBeUndefined();
  });

  /** `levels` arrays nested in one another. */
  const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('splits a list nested exactly maxDepth levels deep, counting the object and its items array', () => {
    // Object (1), items (2), an item of 3 levels: 5.
    expect(parsedParts(`{"kind":"List","items":[${nested(3)}],"x":${nested(4)}}`, 5)).toEqual({ head: { kind: 'List', items: [], x: [[[[]]]] }, items: [[[[]]]] });
  });

  it.each([
    ['an item', `{"kind":"List","items":[${nested(4)}]}`],
    ['a value beside the items', `{"kind":"List","items":[],"x":${nested(5)}}`],
    ['brackets inside a string, which do not count, beside an item that does', `{"kind":"List","items":["[[[[[[",${nested(4)}]}`],
  ])('refuses a list nested one level past maxDepth in %s, in the same pass', (_name, text) => {
    expect(splitJsonList(text, 5)).toBeUndefined();
  });

  it('keeps what follows the object in the head, so a parse of the head refuses it', () => {
    const split = splitJsonList('{"kind":"List","items":[{"a":1}]} trailing', 256);
    expect(split?.head).toBe('{"kind":"List","items":[]} trailing');
    expect(() => {
      JSON.parse(split?.head ?? '');
    }).toThrow();
  });

  it('agrees with JSON.parse on any object with an items array', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string().filter((k) => k !== 'items'), fc.jsonValue()), fc.array(fc.jsonValue()), fc.boolean(), (rest, items, pretty) => {
        // JSON.stringify escapes only quotes, backslashes and control characters in keys;
        // a key with an escape is left to a whole parse, tested above.
        if (Object.keys(rest).some((k) => JSON.stringify(k).includes('\\'))) return;
        const text = JSON.stringify({ ...rest, items }, null, pretty ? 1 : undefined);
        const whole = JSON.parse(text) as { items: unknown[] };
        expect(parsedParts(text)).toEqual({ head: { ...whole, items: [] }, items: whole.items });
      }),
    );
  });
});
