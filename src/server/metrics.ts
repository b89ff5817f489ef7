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

/** How one attempt to hold a pod's ports for every replica ended (a dry run, which only looks, counts only as `failed`). */
export type ReservationResult = 'taken' | 'refused' | 'failed';

/** What the admission server reports. */
export interface AdmissionMetrics {
  /** Counts one answered review and how long the answer took. */
  readonly observeReview: (observation: ReviewObservation) => void;
}

/** What the cluster-wide reservations report. */
export interface ReservationMetrics {
  /** Counts one cluster-wide reservation attempt and the time it added to the answer. */
  readonly observeReservation: (result: ReservationResult, seconds: number) => void;
  /** `count` holders removed from the reservation Leases, by reason (`seen`, `expired`, `rolled-back`). */
  readonly reservationsEnded: (reason: string, count: number) => void;
  /** Reservation Leases the last sweep found. */
  readonly reservationLeases: (count: number) => void;
  /** One call to the API server about a reservation Lease (`create`, `get`, `replace`, `delete`, `list`). */
  readonly leaseRequest: (verb: string) => void;
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
export type Metrics = AdmissionMetrics & WatchMetrics & ReservationMetrics;

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

/**
 * A reservation is one or a few API calls: milliseconds on a healthy API server, up to
 * `reservations.timeoutMilliseconds` (at most 15 s) on a sick one.
 */
export const RESERVATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

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
  const reservations = new Counter({
    name: 'hostport_guard_reservations_total',
    help: 'Cluster-wide reservations of pinned pods\' host ports, by result: taken, refused (another replica\'s pod holds a colliding port), failed (the API server did not take it in time).',
    labelNames: ['result'] as const,
    registers,
  });
  const reservationSeconds = new Histogram({
    name: 'hostport_guard_reservation_duration_seconds',
    help: 'Time a cluster-wide reservation added to an admission answer, by result.',
    labelNames: ['result'] as const,
    buckets: RESERVATION_BUCKETS_SECONDS,
    registers,
  });
  const reservationsEnded = new Counter({
    name: 'hostport_guard_reservations_ended_total',
    help: 'Holders removed from reservation Leases by this replica, by reason: seen (the watch showed the pod), expired (the TTL passed: the pod was never created), rolled-back (the pod was refused on another port).',
    labelNames: ['reason'] as const,
    registers,
  });
  const leases = new Gauge({
    name: 'hostport_guard_reservation_leases',
    help: 'Reservation Leases in the namespace at the last sweep.',
    registers,
  });
  const leaseRequests = new Counter({
    name: 'hostport_guard_lease_requests_total',
    help: 'Calls this replica made to the API server about reservation Leases, by verb: create, get, replace, delete, list.',
    labelNames: ['verb'] as const,
    registers,
  });
  return {
    observeReservation: (result, seconds) => {
      reservations.inc({ result });
      reservationSeconds.observe({ result }, seconds);
    },
    reservationsEnded: (reason, count) => {
      reservationsEnded.inc({ reason }, count);
    },
    reservationLeases: (count) => {
      leases.set(count);
    },
    leaseRequest: (verb) => {
      leaseRequests.inc({ verb });
    },
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
