/**
 * What the CLI prints goes to a terminal, which acts on some characters instead of
 * showing them: an escape sequence can clear the screen or set the window title, a
 * carriage return can print a fake verdict over a real line, bidi controls reorder what
 * is shown. Names the API server accepted cannot hold any of them, but a state file or a
 * manifest can, and messages are free text. Every field from outside is shown with
 * visible() (admission/text.ts, the one escaping rule) where it is put in a line; as a
 * last guard, everything printed passes visibleLines(), which keeps only the newlines
 * between lines. This module adds what a terminal needs of JSON and YAML output: that it
 * still parses to the same values.
 */
import type { Document } from 'yaml';
import { isScalar, parseDocument, visit } from 'yaml';

import { isVisible, visibleLines } from '../admission/text.js';

/**
 * JSON text that shows nothing a terminal acts on and still parses to the same values:
 * JSON.stringify escapes C0 controls and lone surrogates itself; DEL, C1 controls, format
 * characters and separators inside strings get the same `\uXXXX` escapes. Outside strings
 * JSON.stringify writes only newlines and spaces, which stay.
 */
export function jsonForTerminal(value: unknown, indent = 2): string {
  return visibleLines(JSON.stringify(value, null, indent));
}

/**
 * YAML text that shows nothing a terminal acts on and still parses to the same values:
 * strings holding an invisible character are written double-quoted, where `\uXXXX` is an
 * escape of YAML's own, and their invisible characters are escaped so. No line is folded,
 * so no escape is split.
 */
export function yamlForTerminal(value: unknown): string {
  const doc: Document = parseDocument('null');
  doc.contents = doc.createNode(value);
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && !isVisible(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  // Only double-quoted scalars hold invisible characters now; the yaml library escapes
  // some (\e, \x85 as \N, ...) and leaves the rest, which are escaped here.
  return visibleLines(doc.toString({ lineWidth: 0 }));
}
