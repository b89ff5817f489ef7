import type { Conflict, CollisionRule, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { schedulerAgrees } from '../engine/conflicts.js';
import { IPV4_ANY } from '../engine/ip.js';
import type { HostPort, PodRef, PortTriple, ReservedPort } from '../engine/types.js';

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
export function portLabel(port: PortTriple): string {
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

/** A reserved port as a port label: `10250/TCP`, `127.0.0.1:10248/TCP`. */
export function reservedLabel(held: ReservedPort): string {
  return portLabel({ protocol: held.protocol, hostIP: held.hostIP ?? IPV4_ANY, port: held.port });
}

function podHolderText(c: PodConflict): string {
  const details = [`container ${c.held.container}`];
  if (portLabel(c.held) !== portLabel(c.port)) details.push(`on ${portLabel(c.held)}`);
  if (c.holderTerminating) details.push('terminating');
  return `pod ${podName(c.holder)} (${details.join(', ')})`;
}

function reservedHolderText(c: ReservedConflict): string {
  const at = reservedLabel(c.held) === portLabel(c.port) ? '' : ` (${reservedLabel(c.held)})`;
  return `node daemon ${c.held.owner} on every node${at}`;
}

function holderText(c: Conflict): string {
  return c.kind === 'pod' ? podHolderText(c) : reservedHolderText(c);
}

/** Options of denialMessage. */
export interface DenialOptions {
  /** A live holder is an older pod of the incoming pod's own DaemonSet: the pod is a surge pod. */
  readonly surge?: boolean;
}

/**
 * Why a surge pod can never start: with a host port the old pod has to go first, but a
 * surging DaemonSet deletes it only once the new pod is available. maxUnavailable has to
 * change too, because the API server refuses a rolling update where both are 0.
 */
const SURGE_ADVICE =
  "it is a surge pod of its DaemonSet's rollout: with a host port the old pod has to go first, so it can never start;" +
  ' set maxSurge: 0 and maxUnavailable: 1 in the rollingUpdate';

/** What a pod holding a node daemon's port does to the daemon, by kind of pod. */
function daemonHarm(hostNetwork: boolean, owner: string): string {
  return hostNetwork ? 'the container could not bind it' : `the pod's NAT rule would take ${owner}'s traffic`;
}

/**
 * The denial of a pod whose ports are taken: one line naming each port and who holds it,
 * a pod on the node or a node daemon on every node, e.g.
 * `hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node`.
 * Conflicts are named in the order given (decide puts live holders first).
 */
export function denialMessage(hostNetwork: boolean, conflicts: readonly Conflict[], options: DenialOptions = {}): string {
  const what = hostNetwork ? 'hostNetwork port' : 'hostPort';
  const [first] = conflicts;
  if (first === undefined) return '';
  const named = conflicts.slice(0, MAX_NAMED_CONFLICTS);
  const onPods = named.some((c) => c.kind === 'pod');
  const node = named.find((c) => c.node !== null)?.node ?? null;
  const onNode = node === null ? '' : ` on node ${node}`;
  // One entry per incoming port, so a port held by two pods reads as one port, two holders.
  const byPort = new Map<string, Conflict[]>();
  for (const c of named) byPort.set(portLabel(c.port), [...(byPort.get(portLabel(c.port)) ?? []), c]);
  const holders = (group: readonly Conflict[]): string =>
    group.map((c) => `${holderText(c)}${c.kind === 'pod' ? stricterNote(c.rule) : ''}`).join(' and ');
  const more = conflicts.length > MAX_NAMED_CONFLICTS ? `, and ${conflicts.length - MAX_NAMED_CONFLICTS} more` : '';
  const single = byPort.size === 1 && more === '';
  const advice = options.surge === true
    ? SURGE_ADVICE
    : single ? `pick another port${onPods ? ' or node' : ''}` : `pick other ports${onPods ? ' or another node' : ''}`;
  if (single && !onPods && first.kind === 'reserved') {
    const held = reservedLabel(first.held) === portLabel(first.port) ? 'it' : reservedLabel(first.held);
    return oneLine(
      `${what} ${portLabel(first.port)} is a node daemon's port: ${first.held.owner} holds ${held} on every node,` +
        ` and the scheduler cannot see it; ${daemonHarm(hostNetwork, first.held.owner)}: ${advice}`,
    );
  }
  if (single) {
    return oneLine(`${what} ${portLabel(first.port)}${onNode} is already used by ${holders(named)}; ${advice}`);
  }
  const listed = [...byPort].map(([label, group]) => `${label} by ${holders(group)}`);
  return oneLine(`${what}s${onNode} are already used: ${listed.join(', ')}${more}; ${advice}`);
}

/** One warning for one conflict on a known node, or with a node daemon's port. */
export function conflictWarning(c: Conflict): string {
  if (c.kind === 'reserved') return reservedWarning(c);
  const tail = schedulerAgrees(c.rule) ? '' : STRICTER_TAG;
  return warningText(`port ${portLabel(c.port)} on node ${c.node} is used by ${holderText(c)}`, tail);
}

/** A node daemon's port, which the scheduler cannot see: said the same for every pod, so kubectl prints it once. */
export function reservedWarning(c: ReservedConflict): string {
  const held = reservedLabel(c.held) === portLabel(c.port) ? 'it' : reservedLabel(c.held);
  return warningText(`port ${portLabel(c.port)} is a node daemon's port: ${c.held.owner} holds ${held} on every node, unseen by the scheduler`);
}

/**
 * A pod the scheduler places once a terminating holder is gone. What matters comes
 * first, so a long name cuts the holder's container, never the node.
 */
export function waitWarning(c: PodConflict): string {
  return warningText(
    `pod waits for terminating pod ${podName(c.holder)} to free port ${portLabel(c.port)} on node ${c.node} (container ${c.held.container})`,
  );
}

/** The mirror of a static pod whose ports collide: the kubelet runs it anyway. */
export function mirrorWarning(c: Conflict): string {
  const where = c.node === null ? '' : ` on node ${c.node}`;
  return warningText(`static pod already running${where}: port ${portLabel(c.port)} is also used by ${holderText(c)}`);
}

/** A DaemonSet pod (in warn mode) colliding with the older pod it is meant to replace. */
export const SURGE_WARNING = "surge pod: with a host port the old pod has to go first, so it can never start; set the DaemonSet's maxSurge: 0";

/** A DaemonSet that surges while its pods hold host ports. */
export function maxSurgeWarning(maxSurge: string): string {
  return warningText(`maxSurge ${maxSurge}: with host ports the old pod must go first, so surge pods never start; set maxSurge 0, maxUnavailable 1`);
}

/**
 * A hostNetwork pod (or template) that declares no ports binds whatever its program
 * binds, unseen by every check. The text names no object, so kubectl, which prints each
 * distinct warning once per command, says it once for a hundred such pods.
 */
export function undeclaredWarning(workload: boolean): string {
  return workload
    ? 'hostNetwork pods declare no ports: no check here or in the scheduler sees what they bind; declare containers[].ports'
    : 'hostNetwork pod declares no ports: no check here or in the scheduler sees what it binds; declare containers[].ports';
}

/** `3 of 5 nodes (worker-1, worker-2, worker-3, ...)`: at most MAX_NAMED_NODES named. */
function nodesText(nodes: readonly string[], nodeCount: number): string {
  const named = nodes.slice(0, MAX_NAMED_NODES).join(', ');
  const more = nodes.length > MAX_NAMED_NODES ? ', ...' : '';
  const total = nodeCount >= nodes.length ? ` of ${nodeCount}` : '';
  return `${nodes.length}${total} nodes (${named}${more})`;
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
  return warningText(
    `port ${portLabel(port)} is already used on ${nodesText(nodes, nodeCount)}; ${consequence}`,
    stricter ? STRICTER_TAG : '',
  );
}

/**
 * One warning for a port held only by terminating pods on some nodes, when the node is
 * not known yet: the scheduler places pods there once those pods are gone. `who` is
 * `pods needing it` or `its pods`.
 */
export function freeingWarning(port: HostPort, nodes: readonly string[], nodeCount: number, who: string, stricter = false): string {
  return warningText(
    `port ${portLabel(port)} is being freed on ${nodesText(nodes, nodeCount)}; ${who} wait there for terminating pods`,
    stricter ? STRICTER_TAG : '',
  );
}

/**
 * The `auditAnnotations` value listing conflicts:
 * `worker-1 8080/TCP team-a/api-7d9f/web; every-node 10250/TCP reserved/kubelet`.
 */
export function conflictsAnnotation(conflicts: readonly Conflict[]): string {
  return oneLine(
    conflicts
      .map((c) =>
        c.kind === 'pod'
          ? `${c.node} ${portLabel(c.port)} ${podName(c.holder)}/${c.held.container}`
          : `${c.node ?? 'every-node'} ${portLabel(c.port)} reserved/${c.held.owner}`,
      )
      .join('; '),
  );
}
