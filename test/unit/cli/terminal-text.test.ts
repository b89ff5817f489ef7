import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

import { hasHidden, jsonForTerminal, visible, yamlForTerminal } from '../../../src/cli/terminal-text.js';

/** Every kind of character a terminal acts on or hides, by name. */
const HOSTILE: Readonly<Record<string, string>> = {
  'an escape sequence clearing the screen': '\u001b[2J',
  'a carriage return printing over the line': 'deny\rallow',
  'a bell': '\u0007',
  'DEL': '\u007f',
  'a C1 control (CSI)': '\u009b31m',
  'NEL': '\u0085',
  'a right-to-left override': '\u202e',
  'a zero-width space': '\u200b',
  'a BOM': '\ufeff',
  'a line separator': '\u2028',
  'a lone surrogate': '\ud800',
  'a tag character (past the BMP)': '\u{e0041}',
  'a newline': 'a\nb',
};

const SHOWN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

describe('visible', () => {
  it.each(Object.entries(HOSTILE))('shows %s as an escape', (_name, text) => {
    expect(hasHidden(text)).toBe(true);
    expect(SHOWN.test(visible(text))).toBe(false);
    expect(visible(text)).toMatch(/\\u[0-9a-f]{4}/);
  });

  it('leaves names, addresses and other scripts alone', () => {
    for (const text of ['team-a/web-1', '[fd00::1]:53/UDP', 'Grüße', '日本', '😀']) expect([text, visible(text), hasHidden(text)]).toEqual([text, text, false]);
  });

  it('writes an escape per UTF-16 unit, as JSON does', () => {
    expect(visible('a\u001bb\u{e0041}')).toBe('a\\u001bb\\udb40\\udc41');
  });
});

describe('jsonForTerminal and yamlForTerminal', () => {
  const value = { names: Object.values(HOSTILE), nested: { key: '\u202eevil', ok: 'plain', n: 3, none: null } };

  it.each([
    ['JSON', (v: unknown) => jsonForTerminal(v), (t: string): unknown => JSON.parse(t)],
    ['YAML', (v: unknown) => yamlForTerminal(v), (t: string): unknown => parse(t)],
  ])('write %s that hides nothing and reads back the same values', (_name, write, read) => {
    const text = write(value);
    expect(text.split('\n').filter((l) => SHOWN.test(l))).toEqual([]);
    expect(read(text)).toEqual(value);
  });
});
