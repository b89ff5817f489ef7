import type { Conflict, CollisionRule, PodConflict, ReservedConflict } from '../engine/conflicts.js';
import { schedulerAgrees } from '../engine/conflicts.js';
import { IPV4_ANY } from '../engine/ip.js';
import type { Occupant, PodRef, PortTriple, ReservedPort } from '../engine/types.js';
import { clip, shown, visible } from './text.js';

/**
 * The length a warning aims for: kubectl prints each as one `Warning: TEXT` line, and
 * about 120 characters read well in a terminal.
 */
export const MAX_WARNING_LENGTH = 119;
/**
 * The API server keeps 4096 characters of warnings in all and then cuts each to 256
 * (k8s.io/apiserver endpoints/filters/warning.go, counted in runes), and silently drops
 * warnings with control characters: no warning is longer, so what it says is never cut
 * by someone else.
 */
export const WARNING_HARD_LIMIT = 256;
/**
 * Enough warnings to be useful, few enough to stay inside the API server's 4096
 * characters; past it the last one says how many more there are.
 */
export const MAX_WARNINGS = 24;
/**
 * A denial or the conflicts audit annotation, at most. A denial naming five holders with
 * long names fits; one built from names the API server would refuse (a 4 KB hostIP,
 * 5,000-character names) is cut at whole conflicts and says how many more there are.
 */
export const MAX_MESSAGE_LENGTH = 2048;
/** Conflicts named in one denial before the rest are counted. */
export const MAX_NAMED_CONFLICTS = 5;

/**
 * One line that the API server keeps and a terminal shows as it is: control, bidi,
 * zero-width and separator characters are shown as escapes (text.ts).
 */
export function oneLine(text: string): string {
  return visible(text);
}

/**
 * A warning the API server keeps whole: one line. `variants` say the same thing from the
 * most to the least detailed (the holder's container, more holders, the node); the first
 * that fits MAX_WARNING_LENGTH together with `tail` (a note that must survive) is taken.
 * When none does, because names are long, the shortest is taken as long as it fits
 * WARNING_HARD_LIMIT, and only beyond that is it cut (never inside a surrogate pair),
 * keeping the tail.
 */
export function fitWarning(variants: readonly string[], tail = ''): string {
  const end = oneLine(tail);
  const lines = variants.map(oneLine);
  const fitting = lines.find((line) => line.length + end.length <= MAX_WARNING_LENGTH);
  if (fitting !== undefined) return fitting + end;
  const shortest = lines.reduce((a, b) => (b.length < a.length ? b : a), lines[0] ?? '');
  return clip(shortest, Math.max(0, WARNING_HARD_LIMIT - end.length)) + end;
}

/** fitWarning with a single way to say it. */
export function warningText(text: string, tail = ''): string {
  return fitWarning([text], tail);
}

/**
 * At most MAX_WARNINGS of `warnings`, out of `total` things to warn about; when some do
 * not fit, the last warning says how many more `what` there are.
 */
export function cappedWarnings(warnings: readonly string[], total: number, what: string): string[] {
  if (total <= MAX_WARNINGS && warnings.length <= MAX_WARNINGS) return [...warnings];
  const kept = warnings.slice(0, MAX_WARNINGS - 1);
  return [...kept, warningText(`and ${total - kept.length} more ${what}`)];
}

/** `8080/TCP`, `10.0.0.1:8080/TCP` or `[fd00::1]:8080/TCP`. */
export function portLabel(port: PortTriple): string {
  const protocol = shown(port.protocol);
  if (port.hostIP === '' || port.hostIP === IPV4_ANY) return `${port.port}/${protocol}`;
  const ip = port.hostIP.includes(':') ? `[${shown(port.hostIP)}]` : shown(port.hostIP);
  return `${ip}:${port.port}/${protocol}`;
}

/**
 * `team-a/api-7d9f`; `team-a/api-* (generated)` for a pod that names only a generateName,
 * whose real name the API server picks when it creates it.
 */
export function podName(ref: PodRef): string {
  const name = `${shown(ref.namespace)}/${shown(ref.name)}`;
  return ref.generated === true ? `${name}* (generated)` : name;
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
  const details = brief ? [] : [`container ${shown(c.held.container)}`];
  if (portLabel(c.held) !== portLabel(c.port)) details.push(`on ${portLabel(c.held)}`);
  if (c.holderTerminating) details.push('terminating');
  return details.length === 0 ? `pod ${podName(c.holder)}` : `pod ${podName(c.holder)} (${details.join(', ')})`;
}

/** `node daemon kubelet on every node (127.0.0.1:10248/TCP)`; without "on every node" when `brief`. */
function reservedHolderText(c: ReservedConflict, brief = false): string {
  const at = reservedLabel(c.held) === portLabel(c.port) ? '' : ` (${reservedLabel(c.held)})`;
  return `node daemon ${shown(c.held.owner)}${brief ? '' : ' on every node'}${at}`;
}

/** Who holds a conflicting port: a pod (its container unless `brief`) or a node daemon. */
export function holderText(c: Conflict, brief = false): string {
  return c.kind === 'pod' ? podHolderText(c, brief) : reservedHolderText(c, brief);
}

/** Options of denialMessage. */
export interface DenialOptions {
  /** A live holder is an older pod of the incoming pod's own DaemonSet: the pod is a surge pod. */
  readonly surge?: boolean;
  /** How many conflicts there are in all, when more than the ones given (the decision lists at most 1,000). */
  readonly total?: number;
  /** The search stopped before the end (decide.ts MAX_EXAMINED_PORTS): `total` is a lower bound. */
  readonly atLeast?: boolean;
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
  return hostNetwork ? 'the container could not bind it' : `the pod's NAT rule would take ${shown(owner)}'s traffic`;
}

/**
 * The denial of a pod whose ports are taken: one line naming each port and who holds it,
 * a pod on the node or a node daemon on every node, e.g.
 * `hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node`.
 * Conflicts are named in the order given (decide puts live holders first).
 */
export function denialMessage(hostNetwork: boolean, conflicts: readonly Conflict[], options: DenialOptions = {}): string {
  const total = Math.max(options.total ?? conflicts.length, conflicts.length);
  // Name as many conflicts as fit in MAX_MESSAGE_LENGTH, at most MAX_NAMED_CONFLICTS.
  for (let named = Math.min(conflicts.length, MAX_NAMED_CONFLICTS); named > 0; named--) {
    const text = denialNaming(hostNetwork, conflicts.slice(0, named), total, options.surge === true, options.atLeast === true);
    if (text.length <= MAX_MESSAGE_LENGTH || named === 1) return clip(text, MAX_MESSAGE_LENGTH);
  }
  return '';
}

/** The denial naming exactly `named`, out of `total` conflicts (`atLeast`: total is a lower bound). */
function denialNaming(hostNetwork: boolean, named: readonly Conflict[], total: number, surge: boolean, atLeast: boolean): string {
  const what = hostNetwork ? 'hostNetwork port' : 'hostPort';
  const [first] = named;
  if (first === undefined) return '';
  const onPods = named.some((c) => c.kind === 'pod');
  const node = named.find((c) => c.node !== null)?.node ?? null;
  const onNode = node === null ? '' : ` on node ${shown(node)}`;
  // One entry per incoming port, so a port held by two pods reads as one port, two holders.
  const byPort = new Map<string, Conflict[]>();
  for (const c of named) byPort.set(portLabel(c.port), [...(byPort.get(portLabel(c.port)) ?? []), c]);
  const holders = (group: readonly Conflict[]): string =>
    group.map((c) => `${holderText(c)}${c.kind === 'pod' ? stricterNote(c.rule) : ''}`).join(' and ');
  const more = total > named.length ? `, and ${atLeast ? 'at least ' : ''}${total - named.length} more` : '';
  const single = byPort.size === 1 && more === '';
  const advice = surge
    ? SURGE_ADVICE
    : single ? `pick another port${onPods ? ' or node' : ''}` : `pick other ports${onPods ? ' or another node' : ''}`;
  if (single && !onPods && first.kind === 'reserved') {
    const held = reservedLabel(first.held) === portLabel(first.port) ? 'it' : reservedLabel(first.held);
    return oneLine(
      `${what} ${portLabel(first.port)} is a node daemon's port: ${shown(first.held.owner)} holds ${held} on every node,` +
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
 * The `auditAnnotations` value listing conflicts,
 * `worker-1 8080/TCP team-a/api-7d9f/web; every-node 10250/TCP reserved/kubelet`: as many
 * of `conflicts` as fit in MAX_MESSAGE_LENGTH, then `; and N more` out of `total`.
 */
export function conflictsAnnotation(conflicts: readonly Conflict[], total = conflicts.length, atLeast = false): string {
  const entries: string[] = [];
  // Room for the longest `; and N more`.
  const room = MAX_MESSAGE_LENGTH - `; and at least ${total} more`.length;
  let length = 0;
  for (const c of conflicts) {
    const entry = oneLine(
      c.kind === 'pod'
        ? `${shown(c.node)} ${portLabel(c.port)} ${podName(c.holder)}/${shown(c.held.container)}`
        : `${c.node === null ? 'every-node' : shown(c.node)} ${portLabel(c.port)} reserved/${shown(c.held.owner)}`,
    );
    const added = (entries.length === 0 ? 0 : 2) + entry.length;
    if (length + added > room) break;
    entries.push(entry);
    length += added;
  }
  const listed = entries.join('; ');
  const more = total - entries.length;
  return more > 0 ? `${listed}${listed === '' ? '' : '; '}and ${atLeast ? 'at least ' : ''}${more} more` : listed;
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
  const why = clip(oneLine(reason), MAX_REASON_LENGTH);
  return oneLine(`could not reserve ${what} on node ${shown(occupant.node)} across the webhook's replicas (${why}); try again`);
}

/** The warning of a pod admitted with a reservation in one replica only (`onApiError: local`, or `warn` mode). */
export function unreservedWarning(occupant: Occupant): string {
  const verb = new Set(occupant.ports.map(portLabel)).size === 1 ? 'is' : 'are';
  return warningText(`${portsText(occupant, 'port')} on node ${shown(occupant.node)} ${verb} reserved in one webhook replica only: the API server did not take it`);
}
