import { describe, expect, it } from '@jest/globals';

import { table } from '../../../src/cli/table.js';

describe('table', () => {
  it('pads every column but the last to its widest cell, two spaces apart, no trailing spaces', () => {
    expect(table(['NODE', 'PORT', 'POD'], [['worker-1', '80/TCP', 'a/web'], ['w2', '8080/TCP', 'b/x']])).toEqual([
      'NODE      PORT      POD',
      'worker-1  80/TCP    a/web',
      'w2        8080/TCP  b/x',
    ]);
  });

  it('stacks the lines of a cell, padding the other cells of the row with blank lines', () => {
    expect(table(['NODE', 'PODS'], [['n1', ['a/web-1', 'a/web-2']], ['n2', 'b/x']], '  ')).toEqual([
      '  NODE  PODS',
      '  n1    a/web-1',
      '        a/web-2',
      '  n2    b/x',
    ]);
  });

  it('leaves no trailing spaces when a last cell is empty', () => {
    expect(table(['A', 'B'], [['x', '']])).toEqual(['A  B', 'x']);
  });
});
