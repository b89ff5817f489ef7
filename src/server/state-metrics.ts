/**
 * Metrics of the server's state rather than of its reviews: the conflicts that exist in
 * the cluster, whether the index is synced, when the serving certificate expires, and
 * who writes the conflict Events. Gauges read their source when scraped. The chart's
 * PrometheusRule and dashboard use these names (a chart test checks they exist).
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';

/** How many conflicts exist: in all, and on each node that has one. */
export interface ConflictCountsProbe {
  readonly total: number;
  readonly byNode: ReadonlyMap<string, number>;
}

/** Where the state gauges read from, at scrape time. */
export interface StateProbes {
  /** The conflicts the audit sees now. */
  readonly conflicts: () => ConflictCountsProbe;
  /** Whether the index has been listed in full (readiness). */
  readonly synced: () => boolean;
  /** When the serving certificate expires, in seconds since the epoch; undefined while none is loaded. */
  readonly certificateNotAfter: () => number | undefined;
  /** Whether this replica writes the conflict Events; undefined when Events are off. */
  readonly leader: () => boolean | undefined;
}

/** What becomes of one conflict Event (see src/cluster/conflict-events.ts). */
export type ConflictEventResult = 'created' | 'exists' | 'failed' | 'dropped';

/** What the state side reports. */
export interface StateMetrics {
  /** Counts one conflict Event's fate. */
  readonly conflictEvent: (result: ConflictEventResult) => void;
}

/**
 * Nodes given a series of their own in hostport_guard_cluster_conflicts_per_node: those
 * with the most conflicts. The rest are summed under node="_other" (a name no node can
 * have: node names are DNS subdomains), so a cluster where conflicts are everywhere
 * still exports at most this many series plus one.
 */
export const MAX_NODE_SERIES = 20;

/** The label value summing the nodes past MAX_NODE_SERIES. */
export const OTHER_NODES = '_other';

/** Registers the state metrics in `registry`. */
export function createStateMetrics(registry: Registry, probes: StateProbes): StateMetrics {
  const registers = [registry];
  new Gauge({
    name: 'hostport_guard_cluster_conflicts',
    help: "Conflicts that exist in the cluster now: host ports of a node (protocol and number) where pods bound to it collide with each other or with a node daemon's reserved port.",
    registers,
    collect() {
      this.set(probes.conflicts().total);
    },
  });
  new Gauge({
    name: 'hostport_guard_cluster_conflicts_per_node',
    help: `Existing conflicts by node, for the ${MAX_NODE_SERIES} nodes with the most; the others are summed under node="${OTHER_NODES}". Nodes without a conflict have no series.`,
    labelNames: ['node'] as const,
    registers,
    collect() {
      this.reset();
      const byNode = [...probes.conflicts().byNode].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      for (const [node, n] of byNode.slice(0, MAX_NODE_SERIES)) this.set({ node }, n);
      const rest = byNode.slice(MAX_NODE_SERIES).reduce((sum, [, n]) => sum + n, 0);
      if (rest > 0) this.set({ node: OTHER_NODES }, rest);
    },
  });
  new Gauge({
    name: 'hostport_guard_index_synced',
    help: '1 once pods, nodes and namespaces have been listed in full (the server is ready), else 0.',
    registers,
    collect() {
      this.set(probes.synced() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hostport_guard_certificate_expiry_timestamp_seconds',
    help: 'When the serving certificate in use expires, in seconds since the epoch; NaN while none is loaded.',
    registers,
    collect() {
      this.set(probes.certificateNotAfter() ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'hostport_guard_leader',
    help: '1 when this replica holds the Lease and writes the conflict Events; 0 when another replica does, or conflict Events are off.',
    registers,
    collect() {
      this.set(probes.leader() === true ? 1 : 0);
    },
  });
  const events = new Counter({
    name: 'hostport_guard_conflict_events_total',
    help: 'Conflict Events by result: created, exists (written before: not written again), failed (given up after retries), dropped (the queue was full).',
    labelNames: ['result'] as const,
    registers,
  });
  return {
    conflictEvent: (result) => {
      events.inc({ result });
    },
  };
}
