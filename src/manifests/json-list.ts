/**
 * Where the items of a JSON list sit in its text, so that a list of tens of megabytes
 * (`kubectl get -o json`) can be parsed one item at a time: each item's parse tree is
 * garbage once the item is read, where JSON.parse of the whole text holds every item's
 * tree at once. One pass over the text, no recursion, nothing parsed.
 */

/** A JSON object whose top-level `items` is an array, taken apart. */
export interface JsonListSplit {
  /** The text with that array emptied (`{"kind":"List","items":[]}`): everything but the items. */
  readonly head: string;
  /** Each item's text as `[start, end)` offsets into the text, in order. */
  readonly items: readonly (readonly [number, number])[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Reads the JSON text from `at`, once. Every method returns -1 where the text is not what it expects. */
class Cursor {
  constructor(readonly text: string) {}

  /** The first offset from `at` that is not JSON whitespace. */
  skipSpace(at: number): number {
    let i = at;
    while (i < this.text.length && isSpace(this.text.charCodeAt(i))) i++;
    return i;
  }

  /** The offset just past the string that starts at `at` (a quote). */
  endOfString(at: number): number {
    for (let i = at + 1; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) return i + 1;
    }
    return -1;
  }

  /** The offset just past the value that starts at `at`; brackets are matched, strings skipped. */
  endOfValue(at: number): number {
    const first = this.text.charCodeAt(at);
    if (first === QUOTE) return this.endOfString(at);
    if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
      // A number, true, false or null: up to the next separator (JSON.parse checks the rest).
      let i = at;
      while (i < this.text.length) {
        const c = this.text.charCodeAt(i);
        if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
        i++;
      }
      return i === at ? -1 : i;
    }
    let depth = 0;
    for (let i = at; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c === QUOTE) {
        i = this.endOfString(i);
        if (i === -1) return -1;
        i--;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
}

/** The spans of the items of the array that starts at `open` (a `[`), and the offset past it. */
function arrayItems(cursor: Cursor, open: number): { readonly items: [number, number][]; readonly end: number } | undefined {
  const items: [number, number][] = [];
  let i = cursor.skipSpace(open + 1);
  if (cursor.text.charCodeAt(i) === CLOSE_BRACKET) return { items, end: i + 1 };
  for (;;) {
    const end = cursor.endOfValue(i);
    if (end === -1) return undefined;
    items.push([i, end]);
    i = cursor.skipSpace(end);
    const c = cursor.text.charCodeAt(i);
    if (c === CLOSE_BRACKET) return { items, end: i + 1 };
    if (c !== COMMA) return undefined;
    i = cursor.skipSpace(i + 1);
  }
}

/**
 * Takes a JSON object with one top-level `items` array apart; undefined for any other
 * text, or one this reading could get wrong: no object, no `items` array, `items` named
 * twice, a top-level key with an escape in it (it could spell `items`), or a text that
 * breaks off. The caller parses the head and the items with JSON.parse, which checks the
 * rest, and falls back to parsing the whole text when either fails.
 */
export function splitJsonList(text: string): JsonListSplit | undefined {
  const cursor = new Cursor(text);
  let i = cursor.skipSpace(0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  let found: { readonly open: number; readonly end: number; readonly items: [number, number][] } | undefined;
  i = cursor.skipSpace(i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return undefined;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = cursor.endOfString(i);
    if (keyEnd === -1) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    if (key.includes('\\')) return undefined;
    i = cursor.skipSpace(keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = cursor.skipSpace(i + 1);
    if (key === 'items') {
      if (found !== undefined || text.charCodeAt(i) !== OPEN_BRACKET) return undefined;
      const array = arrayItems(cursor, i);
      if (array === undefined) return undefined;
      found = { open: i, end: array.end, items: array.items };
      i = array.end;
    } else {
      i = cursor.endOfValue(i);
      if (i === -1) return undefined;
    }
    i = cursor.skipSpace(i);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return undefined;
    i = cursor.skipSpace(i + 1);
  }
  if (found === undefined) return undefined;
  return { head: `${text.slice(0, found.open)}[]${text.slice(found.end)}`, items: found.items };
}
