import type { Conflict, CollisionRule, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { schedulerAgrees } from '../engine/conflicts.js';
import { IPV4_ANY } from '../engine/ip.js';
import type { Occupant, PodRef, PortTriple, ReservedPort } from '../engine/types.js';

/**
 * The length a warning aims for: kubectl prints each as one `Warning: TEXT` line, and
 * about 120 characters read well in a terminal.
 */
export const MAX_WARNING_LENGTH = 119;
/**
 * The API server keeps 4096 characters of warnings in all and then cuts each to 256
 * (k8s.io/apiserver endpoints/filters/warning.go, counted in runes): no warning is longer,
 * so what it says is never cut by someone else.
 */
export const WARNING_HARD_LIMIT = 256;
/** Enough warnings to be useful, few enough to stay inside the API server's 4096 characters. */
export const MAX_WARNINGS = 24;
/** Conflicts named in one denial before the rest are counted. */
export const MAX_NAMED_CONFLICTS = 5;

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

/** `text` cut to `limit` UTF-16 units (so to at most as many runes), ending in `...`. */
function cut(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit - 3);
  // Never split a surrogate pair.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}...`;
}

/**
 * A warning the API server keeps whole: one line. `variants` say the same thing from the
 * most to the least detailed (the holder's container, more holders, the node); the first
 * that fits MAX_WARNING_LENGTH together with `tail` (a note that must survive) is taken.
 * When none does, because names are long, the shortest is taken as long as it fits
 * WARNING_HARD_LIMIT, and only beyond that is it cut, keeping the tail.
 */
export function fitWarning(variants: readonly string[], tail = ''): string {
  const end = oneLine(tail);
  const lines = variants.map(oneLine);
  const fitting = lines.find((line) => line.length + end.length <= MAX_WARNING_LENGTH);
  if (fitting !== undefined) return fitting + end;
  const shortest = lines.reduce((a, b) => (b.length < a.length ? b : a), lines[0] ?? '');
  return cut(shortest, WARNING_HARD_LIMIT - end.length) + end;
}

/** fitWarning with a single way to say it. */
export function warningText(text: string, tail = ''): string {
  return fitWarning([text], tail);
}

/** `8080/TCP`, `10.0.0.1:8080/TCP` or `[fd00::1]:8080/TCP`. */
export function portLabel(port: PortTriple): string {
  if (port.hostIP === '' || port.hostIP === IPV4_ANY) return `${port.port}/${port.protocol}`;
  const ip = port.hostIP.includes(':') ? `[${port.hostIP}]` : port.hostIP;
  return `${ip}:${port.port}/${port.protocol}`;
}

/**
 * `team-a/api-7d9f`; `team-a/api-* (generated)` for a pod that names only a generateName,
 * whose real name the API server picks when it creates it.
 */
export function podName(ref: PodRef): string {
  return ref.generated === true ? `${ref.namespace}/${ref.name}* (generated)` : `${ref.namespace}/${ref.name}`;
}

/** `hostNetwork port 8080/TCP` or `hostPort 8080/TCP`: how every message names the incoming pod's port. */
export function portPhrase(hostNetwork: boolean, port: PortTriple): string {
  return `${hostNetwork ? 'hostNetwork port' : 'hostPort'} ${portLabel(port)}`;
}

const STRICTER_REASON: Readonly<Record<CollisionRule, string>> = {
  'same-ip': '',
  'ipv4-wildcard': '',
  'ipv6-wildcard': ' (stricter than the scheduler: on Linux [::] also takes the IPv4 port)',
  'same-ip-normalised': ' (stricter than the scheduler: both hostIPs are the same address)',
  'ipv4-wildcard-normalised': ' (stricter than the scheduler: that hostIP is 0.0.0.0 in another spelling)',
};

/** The same note, short enough for a warning line. */
export const STRICTER_TAG = ' [stricter than the scheduler]';

/** Why hostport-guard sees a collision the scheduler does not; empty where they agree. */
export function stricterNote(rule: CollisionRule): string {
  return schedulerAgrees(rule) ? '' : STRICTER_REASON[rule];
}

/** A reserved port as a port label: `10250/TCP`, `127.0.0.1:10248/TCP`. */
export function reservedLabel(held: ReservedPort): string {
  return portLabel({ protocol: held.protocol, hostIP: held.hostIP ?? IPV4_ANY, port: held.port });
}

/**
 * `pod team-a/api-7d9f (container web, on 10.0.0.1:8080/TCP, terminating)`; without the
 * container when `brief` (the port and terminating stay: they say why it collides).
 */
export function podHolderText(c: PodConflict, brief = false): string {
  const details = brief ? [] : [`container ${c.held.container}`];
  if (portLabel(c.held) !== portLabel(c.port)) details.push(`on ${portLabel(c.held)}`);
  if (c.holderTerminating) details.push('terminating');
  return details.length === 0 ? `pod ${podName(c.holder)}` : `pod ${podName(c.holder)} (${details.join(', ')})`;
}

/** `node daemon kubelet on every node (127.0.0.1:10248/TCP)`; without "on every node" when `brief`. */
function reservedHolderText(c: ReservedConflict, brief = false): string {
  const at = reservedLabel(c.held) === portLabel(c.port) ? '' : ` (${reservedLabel(c.held)})`;
  return `node daemon ${c.held.owner}${brief ? '' : ' on every node'}${at}`;
}

/** Who holds a conflicting port: a pod (its container unless `brief`) or a node daemon. */
export function holderText(c: Conflict, brief = false): string {
  return c.kind === 'pod' ? podHolderText(c, brief) : reservedHolderText(c, brief);
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

/** The most of an API server's error text that goes into a denial. */
export const MAX_REASON_LENGTH = 200;

/** `port 8080/TCP` or `ports 80/TCP, 443/TCP` (with `noun` = `port`), each port once. */
function portsText(occupant: Occupant, noun: string): string {
  const labels = [...new Set(occupant.ports.map(portLabel))];
  return `${noun}${labels.length === 1 ? '' : 's'} ${labels.join(', ')}`;
}

/**
 * The denial of a pinned pod whose ports could not be reserved for every replica (the
 * `reservations.onApiError: deny` setting), e.g. `could not reserve hostNetwork port
 * 8080/TCP on node worker-1 across the webhook's replicas (no answer within 2000 ms); try again`.
 */
export function unreservedDenial(occupant: Occupant, reason: string): string {
  const what = portsText(occupant, occupant.hostNetwork ? 'hostNetwork port' : 'hostPort');
  const why = oneLine(reason);
  const shown = why.length > MAX_REASON_LENGTH ? `${why.slice(0, MAX_REASON_LENGTH - 3)}...` : why;
  return oneLine(`could not reserve ${what} on node ${occupant.node} across the webhook's replicas (${shown}); try again`);
}

/** The warning of a pod admitted with a reservation in one replica only (`onApiError: local`, or `warn` mode). */
export function unreservedWarning(occupant: Occupant): string {
  const verb = new Set(occupant.ports.map(portLabel)).size === 1 ? 'is' : 'are';
  return warningText(`${portsText(occupant, 'port')} on node ${occupant.node} ${verb} reserved in one webhook replica only: the API server did not take it`);
}
