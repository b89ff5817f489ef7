/**
 * The outputs of `scan`: text (a summary, then tables sized for an 80-column terminal,
 * long lists cut short), wide (the same uncut, with every host port by node), and JSON
 * or YAML with everything. Every field from outside goes through visible() or the
 * terminal-safe encoders: a name in a state file may hold escape sequences.
 */
import { portLabel } from '../admission/messages.js';
import { visible } from '../admission/text.js';
import type { Contester, ExistingConflict } from '../engine/existing-conflicts.js';
import { schedulerSees } from '../engine/existing-conflicts.js';
import { IPV4_ANY } from '../engine/ip.js';
import type { PodRef, ReservedPort } from '../engine/types.js';
import type { BlockedPod, HeldPort, PortUse, ScanReport } from './scan-report.js';
import type { Cell } from './table.js';
import { table } from './table.js';
import { jsonForTerminal, yamlForTerminal } from './terminal.js';

/** Output formats of `scan`. */
export const SCAN_FORMATS = ['text', 'wide', 'json', 'yaml'] as const;

/** One output format of `scan`. */
export type ScanFormat = (typeof SCAN_FORMATS)[number];

/** Rows of each list in the text output before the rest is counted; `-o wide` shows all. */
export const TEXT_ROWS = 20;

/** Holders named per blocked pod in the text output. */
const TEXT_HOLDERS = 3;

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

function pod(ref: PodRef): string {
  return visible(`${ref.namespace}/${ref.name}`);
}

function port(p: Parameters<typeof portLabel>[0]): string {
  return visible(portLabel(p));
}

function podsHoldingPorts(held: readonly HeldPort[]): number {
  return new Set(held.map((h) => `${h.pod.namespace}/${h.pod.name}`)).size;
}

/** The two summary lines: what was read, and what is wrong. */
function summaryLines(report: ScanReport): string[] {
  const nodesWithPorts = new Set(report.held.map((h) => h.node)).size;
  const nodesWithConflicts = new Set(report.conflicts.map((c) => c.node)).size;
  const filtered = report.filters.nodes.length + report.filters.ports.length + report.filters.namespaces.length > 0;
  const read = `${plural(report.cluster.nodes, 'node')}, ${plural(report.cluster.pods, 'pod')}`;
  const holders = podsHoldingPorts(report.held);
  const held = `${plural(holders, 'pod')} ${filtered ? 'shown ' : ''}${holders === 1 ? 'holds' : 'hold'} ${plural(report.held.length, 'host port')} on ${plural(nodesWithPorts, 'node')}`;
  const conflicts = report.conflicts.length === 0 ? 'No conflicts' : `${plural(report.conflicts.length, 'conflict')} on ${plural(nodesWithConflicts, 'node')}`;
  const problems =
    report.conflicts.length === 0 && report.blocked.length === 0
      ? 'No conflicts, and no pod is kept from running by a port.'
      : `${conflicts}; ${report.blocked.length === 0 ? 'no pod is kept from running by a port' : `${plural(report.blocked.length, 'pod')} cannot run because of a port`}.`;
  const lines = [`${read}: ${held}.`, problems];
  if (filtered) {
    const parts = [
      ...report.filters.namespaces.map((n) => `-n ${visible(n)}`),
      ...report.filters.nodes.map((n) => `--node ${visible(n)}`),
      ...report.filters.ports.map((p) => `--port ${p.port}${p.protocol === undefined ? '' : `/${p.protocol}`}`),
    ];
    lines.push(`Only what involves ${parts.join(' ')} is shown.`);
  }
  if (report.unreadable.length > 0) lines.push(`${plural(report.unreadable.length, 'object')} could not be read and ${report.unreadable.length === 1 ? 'is' : 'are'} left out (-o json names them).`);
  return lines;
}

/** `rows` cut to TEXT_ROWS unless `all`, with a line saying how many more there are. */
function capped<T>(items: readonly T[], all: boolean, what: string): { shown: readonly T[]; more: string[] } {
  if (all || items.length <= TEXT_ROWS) return { shown: items, more: [] };
  return { shown: items.slice(0, TEXT_ROWS), more: [`... and ${plural(items.length - TEXT_ROWS, `more ${what}`)} (-o wide shows all)`] };
}

/** Pods of one conflict listed in the text output before the rest are counted. */
const TEXT_CONTESTERS = 4;

/** A pod of a conflict: `ns/name (container)`, its address when not the wildcard, and whether it is going. */
function contesterLine(k: Contester): string {
  const containers = [...new Set(k.ports.map((p) => p.container))].join(', ');
  const addresses = [...new Set(k.ports.map((p) => p.hostIP))].filter((ip) => ip !== IPV4_ANY && ip !== '');
  const on = addresses.length === 0 ? '' : ` on ${addresses.slice(0, 2).join(', ')}${addresses.length > 2 ? ', ...' : ''}`;
  return `${pod(k.occupant.pod)} (${visible(containers)})${visible(on)}${k.occupant.terminating ? ' terminating' : ''}`;
}

/** A node daemon's reserved port: `node daemon kubelet`, with its address when not the wildcard. */
function daemonLine(d: ReservedPort): string {
  return visible(`node daemon ${d.owner}${d.hostIP === undefined || d.hostIP === IPV4_ANY ? '' : ` on ${d.hostIP}`}`);
}

function contestersCell(c: ExistingConflict, all: boolean): Cell {
  const lines = c.contesters.map(contesterLine);
  const daemons = c.daemons.map(daemonLine);
  if (all || lines.length <= TEXT_CONTESTERS) return [...lines, ...daemons];
  return [...lines.slice(0, TEXT_CONTESTERS - 1), `+${plural(lines.length - TEXT_CONTESTERS + 1, 'more pod')}`, ...daemons];
}

function conflictsSection(report: ScanReport, all: boolean): string[] {
  if (report.conflicts.length === 0) return [];
  const { shown, more } = capped(report.conflicts, all, 'conflict');
  // Marked: conflicts the scheduler cannot see because of how addresses are spelled (a
  // node daemon's port says itself why the scheduler cannot see it).
  const spelled = (c: ExistingConflict): boolean => !schedulerSees(c) && c.daemons.length === 0;
  const rows = shown.map((c) => [visible(c.node), `${c.port}/${visible(c.protocol)}${spelled(c) ? ' *' : ''}`, contestersCell(c, all)]);
  const lines = ['', 'CONFLICTS: pods bound to one node that hold the same port', ...table(['NODE', 'PORT', 'PODS (CONTAINER)'], rows), ...more];
  if (shown.some(spelled)) lines.push('* stricter than the scheduler, which compares addresses as they are spelled');
  return lines;
}

/** The pod, and under it why it cannot run: the kubelet refused it, or the scheduler. */
function blockedPodCell(b: BlockedPod): Cell {
  const why = b.trouble.kind === 'rejected' ? `${visible(b.phase)}: NodePorts on ${visible(b.trouble.node)}` : `${visible(b.phase)}: unschedulable`;
  return [pod(b.pod), `  ${why}`];
}

function holdersCell(b: BlockedPod, all: boolean): Cell {
  if (b.holders.length === 0) return [b.trouble.kind === 'rejected' ? '(holder gone)' : '(no holder found)'];
  const byLine = new Map<string, string>();
  for (const h of b.holders) byLine.set(`${pod(h.holder)} on ${visible(h.node)}`, h.node);
  const lines = [...byLine.keys()];
  if (all || lines.length <= TEXT_HOLDERS) return lines;
  const kept = lines.slice(0, TEXT_HOLDERS - 1);
  const rest = lines.slice(TEXT_HOLDERS - 1);
  const nodes = new Set(rest.map((l) => byLine.get(l)));
  return [...kept, `+${plural(rest.length, 'more pod')} on ${plural(nodes.size, 'node')}`];
}

function blockedSection(report: ScanReport, all: boolean): string[] {
  if (report.blocked.length === 0) return [];
  const { shown, more } = capped(report.blocked, all, 'pod');
  const rows = shown.map((b) => {
    const asked = [...new Set((b.holders.length > 0 ? b.holders.map((h) => h.port) : b.ports).map(port))];
    return [blockedPodCell(b), asked, holdersCell(b, all)];
  });
  return ['', 'CANNOT RUN BECAUSE OF A PORT', ...table(['POD', 'PORT', 'HELD BY'], rows), ...more];
}

function byPortSection(report: ScanReport, all: boolean): string[] {
  if (report.byPort.length === 0) return [];
  const { shown, more } = capped(report.byPort, all, 'port');
  const rows = shown.map((u: PortUse) => [`${u.port}/${visible(u.protocol)}`, String(u.nodes), String(u.pods), String(u.conflicts)]);
  return ['', 'HOST PORTS IN USE', ...table(['PORT', 'NODES', 'PODS', 'CONFLICTS'], rows), ...more];
}

/** The node daemons' ports, held on every node, wrapped within 80 columns. */
function daemonsSection(report: ScanReport): string[] {
  if (report.reserved.length === 0) return [];
  const ports = report.reserved.map((d) => visible(`${d.owner} ${portLabel({ protocol: d.protocol, hostIP: d.hostIP ?? '', port: d.port })}`));
  const lines = ['', 'Held by node daemons on every node (--reserved-port):'];
  let line = ' ';
  for (const [i, p] of ports.entries()) {
    const item = ` ${p}${i === ports.length - 1 ? '' : ','}`;
    if (line.length + item.length > 80 && line.trim() !== '') {
      lines.push(line);
      line = ' ';
    }
    line += item;
  }
  lines.push(line);
  return lines;
}

function mapSection(report: ScanReport): string[] {
  if (report.held.length === 0) return [];
  let previous = '';
  const rows = report.held.map((h) => {
    const node = h.node === previous ? '' : visible(h.node);
    previous = h.node;
    const notes = [...(h.inConflict ? ['conflict'] : []), ...(h.terminating ? ['terminating'] : [])].join(', ');
    return [node, port(h.port), pod(h.pod), visible(h.port.container), notes];
  });
  const header = ['NODE', 'PORT', 'POD', 'CONTAINER'];
  const noted = rows.some((r) => r[4] !== '');
  return ['', 'HOST PORTS BY NODE', ...table(noted ? [...header, 'NOTE'] : header, noted ? rows : rows.map((r) => r.slice(0, 4)))];
}

/**
 * `scan -o text` (and `-o wide`, which cuts nothing and always lists every host port by
 * node). The port map by node is also shown when --node or --port narrowed the report:
 * that is how "who holds port N on node X" is answered.
 */
export function scanText(report: ScanReport, wide: boolean): string {
  const detailed = wide || report.filters.nodes.length > 0 || report.filters.ports.length > 0;
  const lines = [
    ...summaryLines(report),
    ...conflictsSection(report, wide),
    ...blockedSection(report, wide),
    ...(detailed ? mapSection(report) : byPortSection(report, wide)),
    ...daemonsSection(report),
  ];
  if (!detailed && report.held.length > 0) lines.push('', 'Every host port by node: -o wide; who holds a port: --node NODE --port PORT.');
  return `${lines.join('\n')}\n`;
}

function podJson(ref: PodRef): { namespace: string; name: string } {
  return { namespace: ref.namespace, name: ref.name };
}

/** The object `-o json` and `-o yaml` print. */
export function scanObject(report: ScanReport): unknown {
  return {
    cluster: report.cluster,
    summary: {
      conflicts: report.conflicts.length,
      podsInConflicts: new Set(report.conflicts.flatMap((c) => c.contesters.map((k) => `${k.occupant.pod.namespace}/${k.occupant.pod.name}`))).size,
      nodesWithConflicts: new Set(report.conflicts.map((c) => c.node)).size,
      podsThatCannotRun: report.blocked.length,
      hostPorts: report.held.length,
      podsHoldingHostPorts: podsHoldingPorts(report.held),
      nodesWithHostPorts: new Set(report.held.map((h) => h.node)).size,
    },
    conflicts: report.conflicts.map((c) => ({
      node: c.node,
      protocol: c.protocol,
      port: c.port,
      stricterThanScheduler: !schedulerSees(c),
      daemons: c.daemons.map(reservedJson),
      pods: c.contesters.map((k) => ({
        ...podJson(k.occupant.pod),
        terminating: k.occupant.terminating,
        ports: k.ports.map((p) => ({ hostIP: p.hostIP, container: p.container })),
        collidesWith: k.others.map((o) => ({ ...podJson(o.pod), hostIP: o.port.hostIP, container: o.port.container })),
        collidesWithMore: k.moreOthers,
        collidesWithDaemons: k.daemons.map((d) => d.owner),
      })),
    })),
    cannotRun: report.blocked.map((b) => ({
      ...podJson(b.pod),
      phase: b.phase,
      reason: b.trouble.kind === 'rejected' ? 'NodePorts' : 'Unschedulable',
      node: b.trouble.kind === 'rejected' ? b.trouble.node : null,
      message: b.trouble.message,
      nodesWithoutFreePorts: b.trouble.kind === 'unschedulable' ? (b.trouble.nodesWithoutFreePorts ?? null) : null,
      ports: b.ports.map((p) => ({ protocol: p.protocol, hostIP: p.hostIP, port: p.port, container: p.container })),
      holders: b.holders.map((h) => ({
        node: h.node,
        protocol: h.held.protocol,
        hostIP: h.held.hostIP,
        port: h.held.port,
        holder: { ...podJson(h.holder), container: h.held.container },
        terminating: h.holderTerminating,
      })),
    })),
    hostPorts: report.held.map((h) => ({
      node: h.node,
      protocol: h.port.protocol,
      hostIP: h.port.hostIP,
      port: h.port.port,
      pod: podJson(h.pod),
      container: h.port.container,
      terminating: h.terminating,
      conflict: h.inConflict,
    })),
    reservedPorts: report.reserved.map(reservedJson),
    unreadable: report.unreadable,
  };
}

function reservedJson(d: ReservedPort): { owner: string; protocol: string; hostIP: string; port: number } {
  return { owner: d.owner, protocol: d.protocol, hostIP: d.hostIP ?? IPV4_ANY, port: d.port };
}

/** The report in `format`. */
export function scanOutput(report: ScanReport, format: ScanFormat): string {
  switch (format) {
    case 'text':
    case 'wide':
      return scanText(report, format === 'wide');
    case 'json':
      return `${jsonForTerminal(scanObject(report))}\n`;
    case 'yaml':
      return yamlForTerminal(scanObject(report));
  }
}
