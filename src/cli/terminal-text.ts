/**
 * Text from the cluster (names, addresses, the scheduler's and the kubelet's messages) or
 * from a cluster-state file, on its way to a terminal. A terminal acts on some characters
 * instead of showing them: an escape sequence can clear the screen or rewrite a line, a
 * carriage return can print a fake line over a real one, bidi controls reorder what is
 * shown, zero-width and separator characters hide or split names. Names the API server
 * accepted cannot hold any of them, but a state file can, and messages are free text.
 * Every such character is shown as a visible escape, in one place, for every output.
 */
import type { Document } from 'yaml';
import { isScalar, parseDocument, visit } from 'yaml';

/**
 * Characters not shown as themselves: controls (C0, DEL, C1), format characters (bidi
 * controls, zero-width characters, the BOM), line and paragraph separators, and
 * surrogates without their pair.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const HAS_HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** The JSON (and YAML double-quoted) escape of one UTF-16 unit: `\u001b`. */
function unitEscape(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

/** The escape of one hidden character: `\u202e`, or a pair of escapes past the BMP. */
function escapeOf(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += unitEscape(ch.charCodeAt(i));
  return out;
}

/** True when `text` holds a character a terminal would not show as itself. */
export function hasHidden(text: string): boolean {
  return HAS_HIDDEN.test(text);
}

/** `text` with every hidden character written as its `\uXXXX` escape: safe on one line of a terminal. */
export function visible(text: string): string {
  return text.replace(HIDDEN, escapeOf);
}

/**
 * JSON text that shows nothing a terminal acts on and still parses to the same values:
 * JSON.stringify escapes C0 controls and lone surrogates itself; DEL, C1 controls, format
 * characters and separators inside strings get the same `\uXXXX` escapes. Outside strings
 * JSON.stringify writes only newlines and spaces, which stay.
 */
export function jsonForTerminal(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, escapeOf);
}

/**
 * YAML text that shows nothing a terminal acts on and still parses to the same values:
 * strings holding a hidden character are written double-quoted, where `\uXXXX` is an
 * escape of YAML's own, and their hidden characters are escaped so. No line is folded, so
 * no escape is split.
 */
export function yamlForTerminal(value: unknown): string {
  const doc: Document = parseDocument('null');
  doc.contents = doc.createNode(value);
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && hasHidden(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  const text = doc.toString({ lineWidth: 0 });
  // Only double-quoted scalars hold hidden characters now; the yaml library escapes some
  // (\e, \x85 as \N, ...) and leaves the rest, which are escaped here.
  return text.replace(/(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, escapeOf);
}
