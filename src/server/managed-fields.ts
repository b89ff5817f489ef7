/**
 * The text of an admission body with every `managedFields` list emptied, so JSON.parse
 * never builds it. The API server sends each object's managedFields (who set which
 * field, one small object per field): on a ~10 KB DaemonSet pod they are a third of the
 * bytes and over 40 % of JSON.parse's time (docs/benchmarks.md, "What was tried").
 * Nothing in a decision reads them.
 *
 * What parsing gives stays that of parsing the whole text: a list is emptied only after a
 * strict scan finds it to be one complete JSON value, and the whole text is parsed
 * whenever the shortened one does not parse, so malformed text fails with the same
 * message as before. If the shortened text parses, so does the whole one, to the same
 * value but for those lists: the text before a list is the same in both, so JSON.parse
 * reaches it in the same state, expecting a value; the list is one complete value, so
 * the same state follows it in both; and the rest is the same again.
 *
 * That is why the scan here checks every token by JSON's grammar, where the file
 * readers' valueExtent (yaml/json-text.ts) only matches brackets and leaves the rest to
 * JSON.parse: a list emptied on brackets alone could hide an error from it.
 */

import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from './json-chars.js';

const KEY = '"managedFields"';
const EMPTY_LIST = '[]';

const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const SMALL_E = 0x65;
const CAPITAL_E = 0x45;

/**
 * How deep a skipped value may nest. managedFields' field sets follow the object's own
 * shape, about a dozen levels for a pod; anything deeper is left to JSON.parse.
 */
export const MAX_SKIP_DEPTH = 64;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function isHex(c: number): boolean {
  return (c >= DIGIT_0 && c <= DIGIT_9) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Just past the string whose quote is at `at`, or -1 where JSON.parse would refuse it. */
function endOfString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    // Control characters must be escaped; JSON allows every other character in strings.
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const e = text.charCodeAt(i + 1);
      if (e === 0x75) {
        if (!(isHex(text.charCodeAt(i + 2)) && isHex(text.charCodeAt(i + 3)) && isHex(text.charCodeAt(i + 4)) && isHex(text.charCodeAt(i + 5)))) return -1;
        i += 5;
      } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 1;
      } else {
        return -1;
      }
    }
  }
  return -1;
}

/** Just past the number at `at`, by JSON's grammar, or -1. */
function endOfNumber(text: string, at: number): number {
  let i = at;
  if (text.charCodeAt(i) === MINUS) i++;
  if (text.charCodeAt(i) === DIGIT_0) i++;
  else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
  else return -1;
  if (text.charCodeAt(i) === DOT) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  if (text.charCodeAt(i) === SMALL_E || text.charCodeAt(i) === CAPITAL_E) {
    i++;
    if (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS) i++;
    if (!isDigit(text.charCodeAt(i))) return -1;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

const LITERALS = ['true', 'false', 'null'];

/** Just past the literal at `at`, or -1. */
function endOfLiteral(text: string, at: number): number {
  for (const literal of LITERALS) {
    if (literal.charCodeAt(0) !== text.charCodeAt(at)) continue;
    for (let k = 1; k < literal.length; k++) if (literal.charCodeAt(k) !== text.charCodeAt(at + k)) return -1;
    return at + literal.length;
  }
  return -1;
}

/** Just past a key and its colon (`"key" :`), from `at` (whitespace allowed before), or -1. */
function endOfKey(text: string, at: number): number {
  const i = skipSpace(text, at);
  if (text.charCodeAt(i) !== QUOTE) return -1;
  const end = endOfString(text, i);
  if (end === -1) return -1;
  const colon = skipSpace(text, end);
  return text.charCodeAt(colon) === COLON ? colon + 1 : -1;
}

/**
 * Just past the JSON value that starts at `at` (no whitespace before it), or -1 when the
 * text there is not one JSON.parse would take, or nest deeper than it should skip. It
 * may refuse what JSON.parse takes, never the reverse: a refusal only means the value is
 * parsed after all. No recursion: a list of one flag per open level.
 */
export function endOfJsonValue(text: string, at: number): number {
  // What each open level is: true for an object, false for an array.
  const objects: boolean[] = [];
  let i = at;
  for (;;) {
    // A value starts at i.
    const c = text.charCodeAt(i);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const closer = c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      const inner = skipSpace(text, i + 1);
      if (text.charCodeAt(inner) === closer) {
        i = inner + 1;
      } else {
        if (objects.length === MAX_SKIP_DEPTH) return -1;
        objects.push(c === OPEN_OBJECT);
        i = c === OPEN_OBJECT ? endOfKey(text, inner) : inner;
        if (i === -1) return -1;
        i = skipSpace(text, i);
        continue;
      }
    } else if (c === QUOTE) {
      i = endOfString(text, i);
    } else if (c === MINUS || isDigit(c)) {
      i = endOfNumber(text, i);
    } else {
      i = endOfLiteral(text, i);
    }
    if (i === -1) return -1;
    // A value ended at i: close what it completes, up to the next value or the end.
    for (;;) {
      const open = objects.length;
      if (open === 0) return i;
      i = skipSpace(text, i);
      const inObject = objects[open - 1] === true;
      const next = text.charCodeAt(i);
      if (next === COMMA) {
        i = inObject ? endOfKey(text, i + 1) : i + 1;
        if (i === -1) return -1;
        i = skipSpace(text, i);
        break;
      }
      if (next !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return -1;
      objects.pop();
      i += 1;
    }
  }
}

/**
 * The most lists one text has emptied. A review holds two objects (object and
 * oldObject), each with one managedFields list; past this, something else is sent, and
 * cutting many small lists would cost more than the parse it saves (a 4 MiB body of tiny
 * lists took about twice as long as parsing it whole).
 */
export const MAX_LISTS = 8;

/**
 * The text with each `managedFields` list, wherever a key of that name holds one, written
 * as `[]`; undefined when there is none, more than MAX_LISTS, or the scan found anything
 * it does not take (then the text is parsed as it is).
 */
export function withoutManagedFields(text: string): string | undefined {
  let shortened = '';
  let copied = 0;
  for (let lists = 0; ; lists++) {
    const key = text.indexOf(KEY, copied);
    if (key === -1) break;
    if (lists === MAX_LISTS) return undefined;
    // A key is a string right after `{` or `,`; a quote after anything else is not where
    // one starts (inside a string it is escaped: `\"`).
    let before = key - 1;
    while (isSpace(text.charCodeAt(before))) before--;
    const opener = text.charCodeAt(before);
    if (opener !== OPEN_OBJECT && opener !== COMMA) return undefined;
    const colon = skipSpace(text, key + KEY.length);
    if (text.charCodeAt(colon) !== COLON) return undefined;
    const list = skipSpace(text, colon + 1);
    if (text.charCodeAt(list) !== OPEN_ARRAY) return undefined;
    const end = endOfJsonValue(text, list);
    if (end === -1) return undefined;
    shortened += text.slice(copied, list) + EMPTY_LIST;
    copied = end;
  }
  if (copied === 0) return undefined;
  return shortened + text.slice(copied);
}

/**
 * JSON.parse of the text with its managedFields lists left unread, or of the whole text
 * when the shortened one does not parse (or there is none to leave): what it gives, and
 * what it throws, are JSON.parse's for the whole text, but for those lists.
 */
export function parseLeavingManagedFields(text: string): unknown {
  const shortened = withoutManagedFields(text);
  if (shortened !== undefined) {
    try {
      return JSON.parse(shortened);
    } catch {
      // The whole text is parsed below: its own error, quoting it as it was sent.
    }
  }
  return JSON.parse(text);
}
