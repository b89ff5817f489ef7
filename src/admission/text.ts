/**
 * Text from the cluster or a manifest (names, addresses, uids) shown to people: in
 * denials and warnings that kubectl prints, in audit annotations, in logs and in the
 * CLI's output. Such text may hold anything a JSON string can, and a terminal interprets
 * much of it: escape sequences can wipe a line and print a fake one, bidi controls
 * reorder what is shown, zero-width characters and separators hide or split it. So every
 * such character is shown as a visible escape instead, never passed on.
 */

/**
 * Characters that are not shown as themselves: C0 and C1 controls and DEL (Cc), format
 * characters (Cf: bidi controls, zero-width characters, the BOM, soft hyphens, tags),
 * line and paragraph separators (Zl, Zp), and surrogates that are not part of a pair (Cs).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** INVISIBLE but the newline: for text made of lines, whose line breaks are meant. */
const INVISIBLE_BUT_NEWLINE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * `\u001b`: one `\uXXXX` escape for each UTF-16 unit, so a lone surrogate is `\ud800` and
 * an invisible character past the BMP (a tag character) is its surrogate pair,
 * `\udb40\udc41`. That is the escape of JSON and of YAML double-quoted strings (neither
 * has `\u{e0041}`), so the same rule serves plain lines and JSON or YAML text that must
 * read back to the same characters. A valid character past the BMP that is shown as
 * itself (an emoji) is not INVISIBLE and stays as it is.
 */
function escapeOf(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** True when every UTF-16 unit of `text` is printable ASCII, where INVISIBLE has nothing: the names of nearly every object. */
function printableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || unit > 0x7e) return false;
  }
  return true;
}

/** `text` with every invisible character (INVISIBLE) shown as its escape, newlines included. */
export function visible(text: string): string {
  // A loop over a short name costs less than a Unicode property class; messages show names many times.
  return printableAscii(text) ? text : text.replace(INVISIBLE, escapeOf);
}

/**
 * `text` with every invisible character but the newline shown as its escape: for whole
 * outputs made of lines, and for JSON or YAML text, where a newline outside a string is
 * layout and one inside a string is already escaped.
 */
export function visibleLines(text: string): string {
  return text.replace(INVISIBLE_BUT_NEWLINE, escapeOf);
}

const ANY_INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** True when `text` has nothing visible() would change. */
export function isVisible(text: string): boolean {
  return !ANY_INVISIBLE.test(text);
}

/** The end marker of clipped text. */
export const ELLIPSIS = '...';

/**
 * `text` cut to at most `max` UTF-16 units, ending in ELLIPSIS when cut. A cut never
 * splits a surrogate pair: a lone half is an invisible (and invalid) character of its own.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ELLIPSIS.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * The longest name worth showing whole: a Kubernetes name is at most a 253-character DNS
 * subdomain, a hostIP at most 45 characters. Anything longer came from an object the API
 * server would not have accepted, and is clipped.
 */
export const MAX_SHOWN_NAME = 253;

/** A name, address or other field from outside, ready to be put in a message: visible and clipped. */
export function shown(text: string, max = MAX_SHOWN_NAME): string {
  return clip(visible(text), max);
}
