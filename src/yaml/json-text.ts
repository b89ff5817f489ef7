/**
 * JSON text read by its characters, without parsing it: where a string or a value ends,
 * and how deep arrays and objects nest: the state reader's item spans
 * (manifests/json-list.ts) and the nesting guard of state files (bounded.ts). The
 * admission body's nesting guard (server/read-body.ts) scans bytes of a Buffer on the
 * hot path and keeps its own loop: the server reads no files. Its managedFields scan
 * (server/managed-fields.ts) checks every token by JSON's grammar, which valueExtent
 * need not. No recursion, no allocation.
 */

/**
 * JSON text as a string, or as its UTF-8 bytes undecoded. Every character these scans
 * look for is ASCII, and no byte of a multi-byte UTF-8 character is, so in bytes they find
 * the same places, as byte offsets that never fall inside a character.
 */
export type JsonText = string | Uint8Array;

/** The character code (or byte) at `i`; NaN past the end, as charCodeAt gives. */
export function codeAt(text: JsonText, i: number): number {
  return typeof text === 'string' ? text.charCodeAt(i) : (text[i] ?? Number.NaN);
}

/** `"` */
export const QUOTE = 0x22;
/** `\` */
export const BACKSLASH = 0x5c;
/** `{` */
export const OPEN_BRACE = 0x7b;
/** `}` */
export const CLOSE_BRACE = 0x7d;
/** `[` */
export const OPEN_BRACKET = 0x5b;
/** `]` */
export const CLOSE_BRACKET = 0x5d;
/** `,` */
export const COMMA = 0x2c;
/** `:` */
export const COLON = 0x3a;

/** Whether a character code is JSON whitespace. */
export function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The first offset from `at` that is not JSON whitespace. */
export function skipSpace(text: JsonText, at: number): number {
  let i = at;
  while (i < text.length && isJsonSpace(codeAt(text, i))) i++;
  return i;
}

/** The offset just past the string that starts at `at` (a quote), or -1 when it never ends. */
export function endOfString(text: JsonText, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = codeAt(text, i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** Where a value ends and how deep it nests (0 for a string, number or literal). */
export interface ValueExtent {
  /** The offset just past the value, or -1 when the text breaks off or nests past the limit. */
  readonly end: number;
  /** The deepest nesting of arrays and objects inside it, counting its own; past `stopAbove`, where the scan stopped. */
  readonly depth: number;
}

/**
 * Where the value that starts at `at` ends, and how deep it nests. Brackets are matched
 * by count and strings skipped; JSON.parse checks the rest. The scan stops (end -1) as
 * soon as the nesting passes `stopAbove`.
 */
export function valueExtent(text: JsonText, at: number, stopAbove: number): ValueExtent {
  const first = codeAt(text, at);
  if (first === QUOTE) return { end: endOfString(text, at), depth: 0 };
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next separator.
    let i = at;
    while (i < text.length) {
      const c = codeAt(text, i);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isJsonSpace(c)) break;
      i++;
    }
    return { end: i === at ? -1 : i, depth: 0 };
  }
  let depth = 0;
  let deepest = 0;
  for (let i = at; i < text.length; i++) {
    const c = codeAt(text, i);
    if (c === QUOTE) {
      i = endOfString(text, i);
      if (i === -1) return { end: -1, depth: deepest };
      i--;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return { end: -1, depth: deepest };
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return { end: i + 1, depth: deepest };
    }
  }
  return { end: -1, depth: deepest };
}

/**
 * How deep the arrays and objects of a JSON text's value nest (a text JSON.parse took:
 * one value, whitespace around it); stops counting once past `stopAbove`. JSON.parse
 * itself needs no such guard, but what reads its value afterwards may recurse.
 */
export function jsonDepth(text: JsonText, stopAbove: number): number {
  return valueExtent(text, skipSpace(text, 0), stopAbove).depth;
}
