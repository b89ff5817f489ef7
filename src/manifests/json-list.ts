/**
 * Where the items of a JSON list sit in its text, so that a list of tens of megabytes
 * (`kubectl get -o json`) can be parsed one item at a time: each item's parse tree is
 * garbage once the item is read, where JSON.parse of the whole text holds every item's
 * tree at once. One pass over the text (yaml/json-text.ts), no recursion, nothing parsed;
 * the same pass checks the nesting. The text may be a file's UTF-8 bytes, undecoded:
 * then only the pieces JSON.parse reads are ever decoded, and no string of the whole
 * file is made.
 */
import { CLOSE_BRACE, CLOSE_BRACKET, codeAt, COLON, COMMA, endOfString, OPEN_BRACE, OPEN_BRACKET, QUOTE, skipSpace, valueExtent } from '../yaml/json-text.js';

/** A JSON text, decoded or as UTF-8 bytes. */
export type ListText = string | Buffer;

/** The text of `[start, end)`: a slice of a string, or those bytes decoded. */
export function textOf(text: ListText, start: number, end: number): string {
  return typeof text === 'string' ? text.slice(start, end) : text.toString('utf8', start, end);
}

/** A JSON object whose top-level `items` is an array, taken apart. */
export interface JsonListSplit {
  /** The text with that array emptied (`{"kind":"List","items":[]}`): everything but the items. */
  readonly head: string;
  /** Each item's text as `[start, end)` offsets into the text, in order. */
  readonly items: readonly (readonly [number, number])[];
}

/** The spans of the items of the array that starts at `open` (a `[`) and the offset past it; undefined past `stopAbove` levels inside it. */
function arrayItems(text: ListText, open: number, stopAbove: number): { readonly items: [number, number][]; readonly end: number } | undefined {
  const items: [number, number][] = [];
  let i = skipSpace(text, open + 1);
  if (codeAt(text, i) === CLOSE_BRACKET) return { items, end: i + 1 };
  for (;;) {
    const { end } = valueExtent(text, i, stopAbove);
    if (end === -1) return undefined;
    items.push([i, end]);
    i = skipSpace(text, end);
    const c = codeAt(text, i);
    if (c === CLOSE_BRACKET) return { items, end: i + 1 };
    if (c !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
}

/**
 * Takes a JSON object with one top-level `items` array apart; undefined for any other
 * text, or one this reading could get wrong: no object, no `items` array, `items` named
 * twice, a top-level key with an escape in it (it could spell `items`), a text that
 * breaks off, or one nested more than `maxDepth` levels deep (the same pass counts
 * them). The caller parses the head and the items with JSON.parse, which checks the
 * rest, and falls back to parsing the whole text when either fails.
 */
export function splitJsonList(text: ListText, maxDepth: number): JsonListSplit | undefined {
  // The object is level 1, the items array level 2.
  if (maxDepth < 2) return undefined;
  let i = skipSpace(text, 0);
  if (codeAt(text, i) !== OPEN_BRACE) return undefined;
  let found: { readonly open: number; readonly end: number; readonly items: [number, number][] } | undefined;
  i = skipSpace(text, i + 1);
  if (codeAt(text, i) === CLOSE_BRACE) return undefined;
  for (;;) {
    if (codeAt(text, i) !== QUOTE) return undefined;
    const keyEnd = endOfString(text, i);
    if (keyEnd === -1) return undefined;
    const key = textOf(text, i + 1, keyEnd - 1);
    if (key.includes('\\')) return undefined;
    i = skipSpace(text, keyEnd);
    if (codeAt(text, i) !== COLON) return undefined;
    i = skipSpace(text, i + 1);
    if (key === 'items') {
      if (found !== undefined || codeAt(text, i) !== OPEN_BRACKET) return undefined;
      const array = arrayItems(text, i, maxDepth - 2);
      if (array === undefined) return undefined;
      found = { open: i, end: array.end, items: array.items };
      i = array.end;
    } else {
      i = valueExtent(text, i, maxDepth - 1).end;
      if (i === -1) return undefined;
    }
    i = skipSpace(text, i);
    const c = codeAt(text, i);
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) return undefined;
    i = skipSpace(text, i + 1);
  }
  if (found === undefined) return undefined;
  return { head: `${textOf(text, 0, found.open)}[]${textOf(text, found.end, text.length)}`, items: found.items };
}
