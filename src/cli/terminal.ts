/**
 * What the CLI prints goes to a terminal, where escape sequences in a name could erase a
 * line, print a fake verdict or set the window title. Every field from outside is shown
 * with visible() (text.ts) where it is put in a line; as a last guard, everything
 * printed passes printable(), which keeps only the newlines between lines.
 */
import { visible } from '../admission/text.js';

/** Invisible characters (see text.ts) other than the newline. */
const INVISIBLE_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** `text` with every invisible character but `\n` shown as an escape: for whole outputs made of lines. */
export function printable(text: string): string {
  return text.replace(INVISIBLE_BUT_NEWLINE, (ch) => visible(ch));
}

/**
 * JSON text in which every invisible character inside a string is written as a JSON
 * escape (`\u202e`, a surrogate pair as two), so the output shows nothing a terminal
 * interprets and still parses to the same values. JSON.stringify already escapes C0
 * controls and lone surrogates; this adds DEL, C1 controls, format characters and
 * separators. Newlines outside strings (the indentation) are kept.
 */
export function jsonPrintable(json: string): string {
  return json.replace(INVISIBLE_BUT_NEWLINE, (ch) =>
    [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
