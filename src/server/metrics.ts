/**
 * The Prometheus metrics hostport-guard exports. The registry is passed in, so tests and
 * the process each own theirs; the index gauges read the index when scraped.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { DecisionLabel, ModeLabel } from './outcome.js';

/** What one answered review contributes to the metrics. */
export interface ReviewObservation {
  readonly mode: ModeLabel;
  readonly decision: DecisionLabel;
  /** Whether the decision found a conflict, even one only recorded (audit mode). */
  readonly conflicting: boolean;
  /** Whether that conflict already exists on the node (a static pod's mirror). */
  readonly existing: boolean;
  readonly seconds: number;
}

/** What the admission server reports. */
export interface AdmissionMetrics {
  /** Counts one answered review and how long the answer took. */
  readonly observeReview: (observation: ReviewObservation) => void;
}

/** What the cluster watches report; the composition root hands this object to them. */
export interface WatchMetrics {
  /**
   * Counts one restart of the watch of `resource` (`pods`, `nodes`, `namespaces`) and why
   * (`expired`, `error`, `stale`, `list-failed`, `closed-early`).
   */
  readonly watchRestarted: (resource: string, reason: string) => void;
}

/** Every metric hostport-guard exports. */
export type Metrics = AdmissionMetrics & WatchMetrics;

/** Sizes of the pod index, read at scrape time. */
export interface IndexSizes {
  /** Pods holding host ports. */
  readonly pods: () => number;
  /** Nodes known to the index. */
  readonly nodes: () => number;
}

/**
 * Decisions take microseconds when the index is warm; the buckets start at 100 µs so a
 * slowdown shows long before the API server's timeout (10 s by default) is near, and go
 * up to 10 s so answers near that timeout are told apart (the chart's alert on slow
 * reviews compares with half of the configured timeoutSeconds).
 */
export const DURATION_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Registers hostport-guard's metrics in `registry`. */
export function createMetrics(registry: Registry, index: IndexSizes): Metrics {
  const registers = [registry];
  const decisions = new Counter({
    name: 'hostport_guard_decisions_total',
    help: 'Admission reviews answered, by mode (enforce, warn, audit, exempt, none) and decision (allow, warn, deny, skip, error).',
    labelNames: ['mode', 'decision'] as const,
    registers,
  });
  const conflicting = new Counter({
    name: 'hostport_guard_conflicting_reviews_total',
    help: 'Admission reviews whose decision found a host-port conflict, by mode; in audit mode the only trace of one.',
    labelNames: ['mode'] as const,
    registers,
  });
  const existing = new Counter({
    name: 'hostport_guard_existing_conflicts_total',
    help: "Reviews of static pods' mirrors whose ports collide on their node: admitted, since the kubelet runs them anyway, by mode.",
    labelNames: ['mode'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'hostport_guard_admission_duration_seconds',
    help: 'Time from receiving an admission request to answering it.',
    buckets: DURATION_BUCKETS_SECONDS,
    registers,
  });
  new Gauge({
    name: 'hostport_guard_index_pods',
    help: 'Pods holding host ports known to the index.',
    registers,
    collect() {
      this.set(index.pods());
    },
  });
  new Gauge({
    name: 'hostport_guard_index_nodes',
    help: 'Nodes known to the index.',
    registers,
    collect() {
      this.set(index.nodes());
    },
  });
  const watchRestarts = new Counter({
    name: 'hostport_guard_watch_restarts_total',
    help: 'Restarts of a cluster watch, by resource and reason: expired (410 Gone, re-listed), error, stale (silent past the watchdog), list-failed, closed-early.',
    labelNames: ['resource', 'reason'] as const,
    registers,
  });
  return {
    observeReview: ({ mode, decision, conflicting: found, existing: already, seconds }) => {
      decisions.inc({ mode, decision });
      if (found) conflicting.inc({ mode });
      if (already) existing.inc({ mode });
      duration.observe(seconds);
    },
    watchRestarted: (resource, reason) => {
      watchRestarts.inc({ resource, reason });
    },
  };
}
