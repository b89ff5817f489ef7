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

/** `\u001b`, or `\u{e0041}` past the BMP: the JSON escape, which stays readable and valid in JSON strings. */
function escapeOf(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every invisible character (INVISIBLE) shown as its escape, newlines included. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, escapeOf);
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
