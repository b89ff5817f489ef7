import { describe, expect, it } from '@jest/globals';

import { LineBuffer } from '../../../src/cluster/lines.js';

describe('LineBuffer', () => {
  const cases: readonly [string, readonly string[], readonly string[]][] = [
    ['hands over each finished line of one chunk', ['a\nb\n'], ['a', 'b']],
    ['joins a line split over chunks', ['{"ty', 'pe":1}', '\n'], ['{"type":1}']],
    ['keeps the unfinished end for the next chunk', ['a\nb', 'c\nd'], ['a', 'bc', 'd']],
    ['drops blank and whitespace-only lines', ['\n\na\n  \n\r\nb\n'], ['a', 'b']],
    ['hands over the last line when the stream ends without a newline', ['a\nlast'], ['a', 'last']],
    ['has nothing to add at the end after a final newline', ['a\n'], ['a']],
    ['gets nothing from empty chunks', ['', '', ''], []],
  ];
  it.each(cases)('%s', (_name, chunks, lines) => {
    const buffer = new LineBuffer();
    const out = chunks.flatMap((chunk) => buffer.push(chunk));
    out.push(...buffer.end());
    expect(out).toEqual(lines);
  });

  it('starts afresh after end()', () => {
    const buffer = new LineBuffer();
    buffer.push('half');
    expect([buffer.end(), buffer.end(), buffer.push('x\n')]).toEqual([['half'], [], ['x']]);
  });
});
