import { describe, expect, it } from '@jest/globals';
import type { Layer } from '../../../src/config/layers.js';
import { mergeLayers, pointerOf, valuesAt } from '../../../src/config/layers.js';

function layer(values: Record<string, unknown>, origin: string): Layer {
  return { values, originOf: () => origin };
}

describe('mergeLayers', () => {
  it('merges mappings key by key and lets the later layer win elsewhere', () => {
    const merged = mergeLayers([
      layer({ listen: { host: 'a', port: 1 }, list: [1, 2] }, 'defaults'),
      layer({ listen: { port: 2 }, list: [3] }, 'file'),
    ]);
    expect(merged.values).toEqual({ listen: { host: 'a', port: 2 }, list: [3] });
  });

  it('names the layer that set each value, and the nearest enclosing one for nested values', () => {
    const merged = mergeLayers([layer({ listen: { host: 'a', port: 1 } }, 'defaults'), layer({ listen: { port: 2 }, list: ['x'] }, 'file')]);
    expect([
      merged.originOf('/listen/host'),
      merged.originOf('/listen/port'),
      merged.originOf('/list/0'),
      merged.originOf('/nowhere'),
    ]).toEqual(['defaults', 'file', 'file', undefined]);
  });

  it('forgets the origins of values a later layer replaced wholesale', () => {
    const merged = mergeLayers([layer({ tls: { certFile: 'a' } }, 'file'), layer({ tls: 'none' }, 'env')]);
    expect(merged.originOf('/tls/certFile')).toBe('env');
  });

  it('does not change the layers it merges', () => {
    const defaults = { listen: { port: 1 } };
    mergeLayers([layer(defaults, 'defaults'), layer({ listen: { port: 2 } }, 'file')]);
    expect(defaults).toEqual({ listen: { port: 1 } });
  });
});

describe('valuesAt and pointerOf', () => {
  it('builds the nested mapping and the JSON pointer of a path', () => {
    expect([valuesAt(['watch', 'staleAfterSeconds'], 5), pointerOf(['a/b', 'c~d'])]).toEqual([
      { watch: { staleAfterSeconds: 5 } },
      '/a~1b/c~0d',
    ]);
  });
});
