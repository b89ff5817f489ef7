import type { Decision } from '../admission/decide.js';
import { messagesOf } from '../admission/decide.js';
import { podName } from '../admission/messages.js';
import { shown, visible } from '../admission/text.js';
import type { SkippedObject } from '../manifests/read.js';
import { jsonForTerminal } from './terminal.js';

/** One decided object of a `check` run. */
export interface CheckedObject {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly decision: Decision;
  /** The namespace is exempt: the object was not decided (its ports still count for the objects after it). */
  readonly exempt: boolean;
}

/** Who holds a port in `check -o json`: a pod's container, or a node daemon's reserved port. */
export type HolderJson =
  | { readonly namespace: string; readonly name: string; readonly container: string }
  | { readonly reserved: true; readonly name: string };

/**
 * One conflict in `check -o json`. The port is the checked object's. `node` is null for
 * a node daemon's port when the object's node is not known: it is held on every node.
 */
export interface ConflictJson {
  readonly node: string | null;
  readonly protocol: string;
  readonly hostIP: string;
  readonly port: number;
  readonly holder: HolderJson;
}

/** What `check` says of an object in an exempt namespace: it was not decided, as the server would not decide it. */
export const EXEMPT_NAMESPACE = 'exempt namespace';

/** One object in `check -o json`: decided, or `skip` (an exempt namespace). */
export interface ResultJson {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly decision: Decision['kind'] | 'skip';
  readonly node: string | null;
  readonly conflicts: readonly ConflictJson[];
  readonly messages: readonly string[];
}

/** The JSON form of one checked object; an exempt one is skipped, saying so. */
export function resultJson(checked: CheckedObject): ResultJson {
  const d = checked.decision;
  const conflicts = checked.exempt
    ? []
    : d.conflicts.map((c) => ({
        node: c.node,
        protocol: c.port.protocol,
        hostIP: c.port.hostIP,
        port: c.port.port,
        holder:
          c.kind === 'pod'
            ? { namespace: c.holder.namespace, name: c.holder.name, container: c.held.container }
            : { reserved: true as const, name: c.held.owner },
      }));
  return {
    kind: checked.kind,
    namespace: checked.namespace,
    name: checked.name,
    decision: checked.exempt ? 'skip' : d.kind,
    node: d.node,
    conflicts,
    messages: checked.exempt ? [EXEMPT_NAMESPACE] : [...messagesOf(d)],
  };
}

/** `check -o json`: `{"results": [...]}`, pretty-printed, invisible characters as JSON escapes. */
export function jsonReport(checked: readonly CheckedObject[]): string {
  return `${jsonForTerminal({ results: checked.map(resultJson) })}\n`;
}

const WORD_WIDTH = 6;

/** The start of a verdict line; `name` is already shown (podName), the rest comes from the manifest. */
function head(word: string, kind: string, name: string, node: string | null): string {
  return `${word.padEnd(WORD_WIDTH)}${shown(kind)} ${name}${node === null ? '' : ` on ${shown(node)}`}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The text lines of one checked object: the verdict, then each warning indented. A
 * warning already printed for an earlier object is not repeated (kubectl prints each
 * distinct warning once per command too), so a hundred pods that share one warning
 * print it once; their lines say so.
 */
function textLines(checked: CheckedObject, printed: Set<string>): string[] {
  const d = checked.decision;
  if (checked.exempt) return [`${head('skip', checked.kind, podName(checked), null)}: ${EXEMPT_NAMESPACE}`];
  const line = head(d.kind, checked.kind, podName(checked), d.node);
  switch (d.kind) {
    case 'deny':
      return [`${line}: ${visible(d.message)}`];
    case 'warn': {
      const fresh = d.warnings.filter((w) => !printed.has(w));
      const repeated = new Set(d.warnings).size - new Set(fresh).size;
      for (const w of fresh) printed.add(w);
      const note = repeated === 0 ? '' : ` (${repeated === 1 ? 'warning' : `${repeated} warnings`} as above)`;
      return [`${line}${note}`, ...[...new Set(fresh)].map((w) => `  warning: ${visible(w)}`)];
    }
    case 'allow':
      if (d.overBudget !== undefined) return [`${line} (audit mode: ${d.overBudget} host ports, too many to check)`];
      if (d.conflictCount === 0) return [line];
      return [`${line} (audit mode: ${d.searchCut === true ? 'at least ' : ''}${plural(d.conflictCount, 'conflict')} recorded)`];
  }
}

/**
 * `check -o text`: one line per object, skipped kinds, and a summary. Objects in exempt
 * namespaces are skipped as the server skips them, saying so.
 */
export function textReport(checked: readonly CheckedObject[], skipped: readonly SkippedObject[]): string {
  const printed = new Set<string>();
  const lines = checked.flatMap((c) => textLines(c, printed));
  lines.push(...skipped.map((s) => `${'skip'.padEnd(WORD_WIDTH)}${shown(s.kind)} ${shown(s.name)}: not a kind hostport-guard checks`));
  const decided = checked.filter((c) => !c.exempt);
  const count = (kind: Decision['kind']): number => decided.filter((c) => c.decision.kind === kind).length;
  const allowed = decided.length - count('deny') - count('warn');
  const skips = skipped.length + (checked.length - decided.length);
  lines.push(
    `${plural(decided.length, 'object')} checked: ${count('deny')} denied, ${count('warn')} with warnings, ${allowed} allowed` +
      (skips === 0 ? '' : `; ${skips} skipped`),
  );
  return `${lines.join('\n')}\n`;
}

/** The stderr notes of `check -o json` about skipped objects, so stdout stays pure JSON. */
export function skippedNotes(skipped: readonly SkippedObject[]): string {
  return skipped.map((s) => `skipped ${shown(s.kind)} ${shown(s.name)}: not a kind hostport-guard checks\n`).join('');
}
