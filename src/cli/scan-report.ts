/**
 * What `scan` reports, built from what was read (a ClusterScan) and narrowed by the
 * filters: the host ports held on each node, the conflicts between pods already bound to
 * one node, and the pods that cannot run because of a port, each with its holders.
 */
import type { PodConflict } from '../engine/conflicts.js';
import type { ExistingConflict } from '../engine/existing-conflicts.js';
import { conflictsAmong, podOrder } from '../engine/existing-conflicts.js';
import { hostPortsOf } from '../engine/host-ports.js';
import { podRef } from '../engine/occupancy.js';
import type { PortTrouble } from '../engine/port-trouble.js';
import { holdersFor, portTroubleOf } from '../engine/port-trouble.js';
import type { HostPort, Occupant, PodLike, PodRef, ReservedPort } from '../engine/types.js';
import type { ClusterScan } from '../cluster/scan.js';

/** A port number, and a protocol when the filter names one (`53/UDP`). */
export interface PortFilter {
  readonly port: number;
  readonly protocol?: string;
}

/** What to narrow the report to; an empty list does not narrow. */
export interface ScanFilters {
  readonly nodes: readonly string[];
  readonly ports: readonly PortFilter[];
  readonly namespaces: readonly string[];
}

/** One host port held on a node: a row of the port map. */
export interface HeldPort {
  readonly node: string;
  readonly port: HostPort;
  readonly pod: PodRef;
  readonly terminating: boolean;
  /** The pod is in a conflict on this port. */
  readonly inConflict: boolean;
}

/** A pod that cannot run because of a port, and who holds it. */
export interface BlockedPod {
  readonly pod: PodRef;
  readonly phase: string;
  readonly trouble: PortTrouble;
  /** The host ports it asks for. */
  readonly ports: readonly HostPort[];
  /** The pods holding them: on its node when the kubelet refused it, on any node when the scheduler found none. */
  readonly holders: readonly PodConflict[];
}

/** One port (protocol and number, any address) across the cluster. */
export interface PortUse {
  readonly protocol: string;
  readonly port: number;
  readonly nodes: number;
  readonly pods: number;
  readonly conflicts: number;
}

/** Everything `scan` reports, after the filters. */
export interface ScanReport {
  readonly cluster: { readonly nodes: number; readonly pods: number };
  readonly conflicts: readonly ExistingConflict[];
  readonly blocked: readonly BlockedPod[];
  /** The port map: every held port, by node, then port, then pod. */
  readonly held: readonly HeldPort[];
  /** The port map summed up by port, the most contested, then the most widely held first. */
  readonly byPort: readonly PortUse[];
  /** Node daemons' reserved ports (held on every node) that the port filter lets through. */
  readonly reserved: readonly ReservedPort[];
  /** Objects that did not decode and are missing from the report. */
  readonly unreadable: readonly { readonly name: string; readonly errors: readonly string[] }[];
  readonly filters: ScanFilters;
}

/** True when a problem was found: the scan's exit status is 1 then. */
export function hasProblems(report: ScanReport): boolean {
  return report.conflicts.length > 0 || report.blocked.length > 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function portMatches(port: Pick<HostPort, 'port' | 'protocol'>, filters: ScanFilters): boolean {
  return filters.ports.length === 0 || filters.ports.some((f) => f.port === port.port && (f.protocol === undefined || f.protocol === port.protocol));
}

function nodeMatches(node: string, filters: ScanFilters): boolean {
  return filters.nodes.length === 0 || filters.nodes.includes(node);
}

function namespaceMatches(pod: PodRef, filters: ScanFilters): boolean {
  return filters.namespaces.length === 0 || filters.namespaces.includes(pod.namespace);
}

function conflictShown(c: ExistingConflict, filters: ScanFilters): boolean {
  return nodeMatches(c.node, filters) && c.contesters.some((k) => namespaceMatches(k.occupant.pod, filters)) && portMatches(c, filters);
}

function blockedPod(pod: PodLike, trouble: PortTrouble, scan: ClusterScan, filters: ScanFilters): BlockedPod | undefined {
  const ref = podRef(pod);
  const ports = hostPortsOf(pod.spec);
  if (!namespaceMatches(ref, filters) || !ports.some((p) => portMatches(p, filters))) return undefined;
  if (trouble.kind === 'rejected' && !nodeMatches(trouble.node, filters)) return undefined;
  const holders = holdersFor(pod, trouble, scan.index).filter((h) => nodeMatches(h.node, filters) && portMatches(h.port, filters));
  // An unschedulable pod belongs to a node filter only through a holder on one of its nodes.
  if (trouble.kind === 'unschedulable' && filters.nodes.length > 0 && holders.length === 0) return undefined;
  return { pod: ref, phase: pod.status?.phase ?? 'Pending', trouble, ports, holders };
}

/**
 * The report of `scan` narrowed by `filters`. `reserved` are node daemons' ports, held on
 * every node: a pod colliding with one is in a conflict too.
 */
export function scanReport(scan: ClusterScan, filters: ScanFilters, reserved: readonly ReservedPort[] = []): ScanReport {
  const nodes = scan.index.occupiedNodes().sort(compare);
  const allConflicts = nodes.flatMap((node) => conflictsAmong(node, scan.index.occupantsOn(node), reserved));
  const conflicts = allConflicts.filter((c) => conflictShown(c, filters));

  // (node, pod, port) triples in a conflict, to mark them in the map.
  const conflicting = new Set<string>();
  const mark = (node: string, pod: PodRef, port: HostPort): string => `${node}|${pod.namespace}/${pod.name}|${port.protocol}|${port.hostIP}|${port.port}`;
  for (const c of allConflicts) {
    for (const k of c.contesters) for (const p of k.ports) conflicting.add(mark(c.node, k.occupant.pod, p));
  }

  const held: HeldPort[] = [];
  for (const node of nodes) {
    if (!nodeMatches(node, filters)) continue;
    const occupants = scan.index.occupantsOn(node).sort((a: Occupant, b: Occupant) => podOrder(a.pod, b.pod));
    for (const occupant of occupants) {
      if (!namespaceMatches(occupant.pod, filters)) continue;
      for (const port of occupant.ports) {
        if (!portMatches(port, filters)) continue;
        held.push({ node, port, pod: occupant.pod, terminating: occupant.terminating, inConflict: conflicting.has(mark(node, occupant.pod, port)) });
      }
    }
  }
  held.sort((a, b) => compare(a.node, b.node) || a.port.port - b.port.port || compare(a.port.protocol, b.port.protocol) || podOrder(a.pod, b.pod));

  const blocked: BlockedPod[] = [];
  for (const pod of scan.troubled) {
    const trouble = portTroubleOf(pod);
    const found = trouble === undefined ? undefined : blockedPod(pod, trouble, scan, filters);
    if (found !== undefined) blocked.push(found);
  }
  blocked.sort((a, b) => podOrder(a.pod, b.pod));

  return {
    cluster: { nodes: scan.nodes, pods: scan.pods },
    conflicts,
    blocked,
    held,
    byPort: portUses(held, conflicts),
    reserved: reserved.filter((r) => portMatches(r, filters)),
    unreadable: scan.rejected,
    filters,
  };
}

/** The port map summed up by protocol and port number. */
function portUses(held: readonly HeldPort[], conflicts: readonly ExistingConflict[]): PortUse[] {
  const uses = new Map<string, { protocol: string; port: number; nodes: Set<string>; pods: Set<string>; conflicts: number }>();
  const use = (protocol: string, port: number): { nodes: Set<string>; pods: Set<string>; conflicts: number } => {
    const key = `${protocol}/${port}`;
    let found = uses.get(key);
    if (found === undefined) {
      found = { protocol, port, nodes: new Set(), pods: new Set(), conflicts: 0 };
      uses.set(key, found);
    }
    return found;
  };
  for (const h of held) {
    const u = use(h.port.protocol, h.port.port);
    u.nodes.add(h.node);
    u.pods.add(`${h.pod.namespace}/${h.pod.name}`);
  }
  for (const c of conflicts) {
    const u = uses.get(`${c.protocol}/${c.port}`);
    if (u !== undefined) u.conflicts += 1;
  }
  return [...uses.values()]
    .map((u) => ({ protocol: u.protocol, port: u.port, nodes: u.nodes.size, pods: u.pods.size, conflicts: u.conflicts }))
    .sort((a, b) => b.conflicts - a.conflicts || b.nodes - a.nodes || a.port - b.port || compare(a.protocol, b.protocol));
}
