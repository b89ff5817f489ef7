import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { clip, isVisible, MAX_SHOWN_NAME, shown, visible, visibleLines } from '../../../src/admission/text.js';

describe('visible', () => {
  it.each([
    ['an escape sequence', 'a\u001b[2Kb', 'a\\u001b[2Kb'],
    ['a newline, a tab and a carriage return', 'a\nb\tc\rd', 'a\\u000ab\\u0009c\\u000dd'],
    ['DEL and the 8-bit CSI', 'a\u007fb\u009bc', 'a\\u007fb\\u009bc'],
    ['bidi controls', 'a\u202eb\u2066c\u200fd', 'a\\u202eb\\u2066c\\u200fd'],
    ['zero-width characters and the BOM', 'a\u200bb\u200dc\ufeffd', 'a\\u200bb\\u200dc\\ufeffd'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['a lone surrogate', 'a\ud83db', 'a\\ud83db'],
    ['a tag character past the BMP, as its surrogate pair', 'a\u{e0041}b', 'a\\udb40\\udc41b'],
    ['a lone high surrogate before a letter', '\ud800x', '\\ud800x'],
    ['a lone low surrogate after a letter', 'x\udc00', 'x\\udc00'],
  ])('shows %s as escapes', (_name, text, want) => {
    expect(visible(text)).toBe(want);
  });

  it('keeps printable ASCII as it is, and escapes the controls on either side of it', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(visible(printable)).toBe(printable);
    expect(visible(`\u001f${printable}`)).toBe(`\\u001f${printable}`);
    expect(visible(`${printable}\u007f`)).toBe(`${printable}\\u007f`);
  });

  it('escapes as the Unicode classes say, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(visible(text)).toBe(text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, (ch) => Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')));
      }),
    );
  });

  it('keeps an emoji past the BMP as it is beside a lone surrogate and a tag character, which it escapes', () => {
    expect(visible('a\u{1F600}\ud800\u{e0041}b')).toBe('a\u{1F600}\\ud800\\udb40\\udc41b');
  });

  it('writes escapes that JSON reads back as the same characters', () => {
    const text = 'a\u001b\u202e\ud800\u{e0041}\u{1F600}b';
    expect(JSON.parse(`"${visible(text)}"`)).toBe(text);
  });

  it('keeps letters, spaces, emoji and other scripts as they are', () => {
    const text = 'api-7d9f web 😀 Ω 名前 \u00e9';
    expect(visible(text)).toBe(text);
  });

  it('leaves nothing invisible, whatever the text, and is stable when applied again', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        const once = visible(text);
        expect(isVisible(once)).toBe(true);
        expect(visible(once)).toBe(once);
      }),
    );
  });
});

describe('visibleLines', () => {
  it('keeps newlines and shows every other invisible character as visible() does', () => {
    expect(visibleLines('a\u001b[2K\rb\nc\u202e\u{e0041}\u{1F600}')).toBe('a\\u001b[2K\\u000db\nc\\u202e\\udb40\\udc41\u{1F600}');
  });

  it('is visible() line by line, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        expect(visibleLines(text)).toBe(text.split('\n').map(visible).join('\n'));
      }),
    );
  });
});

describe('clip', () => {
  it('keeps text that fits', () => {
    expect(clip('abc', 3)).toBe('abc');
  });

  it('cuts longer text, ending in ...', () => {
    expect(clip('abcdefgh', 6)).toBe('abc...');
  });

  it('never splits a surrogate pair', () => {
    expect(clip('ab😀cdef', 6)).toBe('ab...');
    expect(clip('abc😀def', 6)).toBe('abc...');
  });

  it('never exceeds the limit nor leaves half a pair, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 3, max: 40 }), (text, max) => {
        const cut = clip(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(cut.match(/\p{Cs}/gu)).toBeNull();
      }),
    );
  });
});

describe('shown', () => {
  it(`makes a field visible and clips it at ${MAX_SHOWN_NAME} characters`, () => {
    expect(shown('a\u202eb')).toBe('a\\u202eb');
    expect(shown('x'.repeat(5000))).toHaveLength(MAX_SHOWN_NAME);
  });
});
