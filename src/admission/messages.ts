import type { Conflict, CollisionRule } from '../engine/conflicts.js';
import { schedulerAgrees } from '../engine/conflicts.js';
import { IPV4_ANY } from '../engine/ip.js';
import type { HostPort, PodRef } from '../engine/types.js';

/**
 * The API server prints each warning as `Warning: TEXT`, keeps 4096 characters in all and
 * then cuts each to 256, and silently drops warnings with control characters; kubectl
 * reads best with one short line each.
 */
export const MAX_WARNING_LENGTH = 119;
/** Enough warnings to be useful, few enough to stay inside the API server's 4096 characters. */
export const MAX_WARNINGS = 24;
/** Conflicts named in one denial before the rest are counted. */
export const MAX_NAMED_CONFLICTS = 5;
/** Nodes named in one "already used on N nodes" warning. */
export const MAX_NAMED_NODES = 3;

/** C0 and C1 control characters, DEL included. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** One line, no control characters: what the API server and a terminal both accept. */
export function oneLine(text: string): string {
  let out = '';
  for (const ch of text) out += isControl(ch.codePointAt(0) ?? 0) ? ' ' : ch;
  return out;
}

/**
 * A warning the API server will keep: one line, at most MAX_WARNING_LENGTH characters.
 * When it is too long the text is cut and `tail` (a note that must survive) is kept.
 */
export function warningText(text: string, tail = ''): string {
  const line = oneLine(text);
  const end = oneLine(tail);
  if (line.length + end.length <= MAX_WARNING_LENGTH) return line + end;
  return `${line.slice(0, Math.max(0, MAX_WARNING_LENGTH - end.length - 3))}...${end}`;
}

/** `8080/TCP`, `10.0.0.1:8080/TCP` or `[fd00::1]:8080/TCP`. */
export function portLabel(port: Pick<HostPort, 'protocol' | 'hostIP' | 'port'>): string {
  if (port.hostIP === '' || port.hostIP === IPV4_ANY) return `${port.port}/${port.protocol}`;
  const ip = port.hostIP.includes(':') ? `[${port.hostIP}]` : port.hostIP;
  return `${ip}:${port.port}/${port.protocol}`;
}

/** `team-a/api-7d9f`. */
export function podName(ref: PodRef): string {
  return `${ref.namespace}/${ref.name}`;
}

const STRICTER_REASON: Readonly<Record<CollisionRule, string>> = {
  'same-ip': '',
  'ipv4-wildcard': '',
  'ipv6-wildcard': ' (stricter than the scheduler: on Linux [::] also takes the IPv4 port)',
  'same-ip-normalised': ' (stricter than the scheduler: both hostIPs are the same address)',
  'ipv4-wildcard-normalised': ' (stricter than the scheduler: that hostIP is 0.0.0.0 in another spelling)',
};

/** The same note, short enough for a warning line. */
const STRICTER_TAG = ' [stricter than the scheduler]';

/** Why hostport-guard sees a collision the scheduler does not; empty where they agree. */
export function stricterNote(rule: CollisionRule): string {
  return schedulerAgrees(rule) ? '' : STRICTER_REASON[rule];
}

function holderText(c: Conflict): string {
  const details = [`container ${c.held.container}`];
  if (portLabel(c.held) !== portLabel(c.port)) details.push(`on ${portLabel(c.held)}`);
  if (c.holderTerminating) details.push('terminating');
  return `pod ${podName(c.holder)} (${details.join(', ')})`;
}

/**
 * The denial for a pod pinned to a node where its ports are taken: one line naming the
 * node, each port and the pod holding it, e.g.
 * `hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node`.
 */
export function denialMessage(hostNetwork: boolean, conflicts: readonly Conflict[]): string {
  const what = hostNetwork ? 'hostNetwork port' : 'hostPort';
  const [first] = conflicts;
  if (first === undefined) return '';
  const named = conflicts.slice(0, MAX_NAMED_CONFLICTS);
  // One entry per incoming port, so a port held by two pods reads as one port, two holders.
  const byPort = new Map<string, Conflict[]>();
  for (const c of named) byPort.set(portLabel(c.port), [...(byPort.get(portLabel(c.port)) ?? []), c]);
  const holders = (group: readonly Conflict[]): string =>
    group.map((c) => `${holderText(c)}${stricterNote(c.rule)}`).join(' and ');
  const more = conflicts.length > MAX_NAMED_CONFLICTS ? `, and ${conflicts.length - MAX_NAMED_CONFLICTS} more` : '';
  if (byPort.size === 1 && more === '') {
    return oneLine(
      `${what} ${portLabel(first.port)} on node ${first.node} is already used by ${holders(named)}; pick another port or node`,
    );
  }
  const listed = [...byPort].map(([label, group]) => `${label} by ${holders(group)}`);
  return oneLine(
    `${what}s on node ${first.node} are already used: ${listed.join(', ')}${more}; pick other ports or another node`,
  );
}

/** One warning for one conflict on a known node. */
export function conflictWarning(c: Conflict): string {
  const tail = schedulerAgrees(c.rule) ? '' : STRICTER_TAG;
  return warningText(`port ${portLabel(c.port)} on node ${c.node} is used by ${holderText(c)}`, tail);
}

/**
 * One warning for a port that is taken on some nodes when the node is not known yet,
 * naming at most MAX_NAMED_NODES of them.
 */
export function spreadWarning(
  port: HostPort,
  nodes: readonly string[],
  nodeCount: number,
  consequence: string,
  stricter = false,
): string {
  const named = nodes.slice(0, MAX_NAMED_NODES).join(', ');
  const more = nodes.length > MAX_NAMED_NODES ? ', ...' : '';
  const total = nodeCount >= nodes.length ? ` of ${nodeCount}` : '';
  return warningText(
    `port ${portLabel(port)} is already used on ${nodes.length}${total} nodes (${named}${more}); ${consequence}`,
    stricter ? STRICTER_TAG : '',
  );
}

/** The `auditAnnotations` value listing conflicts: `worker-1 8080/TCP team-a/api-7d9f/web; ...`. */
export function conflictsAnnotation(conflicts: readonly Conflict[]): string {
  return oneLine(
    conflicts.map((c) => `${c.node} ${portLabel(c.port)} ${podName(c.holder)}/${c.held.container}`).join('; '),
  );
}
