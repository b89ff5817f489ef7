import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/server/metrics.js';

describe('createMetrics', () => {
  it('exports decisions, conflicts, durations, index sizes and watch restarts in its registry', async () => {
    const registry = new Registry();
    let pods = 3;
    const metrics = createMetrics(registry, { pods: () => pods, nodes: () => 2 });
    metrics.observeReview({ mode: 'enforce', decision: 'deny', conflicting: true, existing: false, seconds: 0.00004 });
    metrics.observeReview({ mode: 'enforce', decision: 'deny', conflicting: true, existing: false, seconds: 0.002 });
    metrics.observeReview({ mode: 'enforce', decision: 'warn', conflicting: true, existing: true, seconds: 0.00004 });
    metrics.observeReview({ mode: 'none', decision: 'skip', conflicting: false, existing: false, seconds: 0.00004 });
    metrics.watchRestarted('pods', 'expired');
    pods = 4;
    const lines = (await registry.metrics()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'hostport_guard_decisions_total{mode="enforce",decision="deny"} 2',
        'hostport_guard_decisions_total{mode="enforce",decision="warn"} 1',
        'hostport_guard_decisions_total{mode="none",decision="skip"} 1',
        'hostport_guard_conflicting_reviews_total{mode="enforce"} 3',
        'hostport_guard_existing_conflicts_total{mode="enforce"} 1',
        'hostport_guard_admission_duration_seconds_bucket{le="0.0001"} 3',
        'hostport_guard_admission_duration_seconds_bucket{le="0.001"} 3',
        'hostport_guard_admission_duration_seconds_bucket{le="0.0025"} 4',
        'hostport_guard_admission_duration_seconds_count 4',
        'hostport_guard_index_pods 4',
        'hostport_guard_index_nodes 2',
        'hostport_guard_watch_restarts_total{resource="pods",reason="expired"} 1',
      ]),
    );
  });

  it('exports reservations by result with the time they added, holders ended by reason, and the Leases of the last sweep', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { pods: () => 0, nodes: () => 0 });
    metrics.observeReservation('taken', 0.004);
    metrics.observeReservation('refused', 0.012);
    metrics.observeReservation('failed', 2);
    metrics.reservationsEnded('expired', 3);
    metrics.reservationsEnded('seen', 1);
    metrics.reservationLeases(7);
    metrics.leaseRequest('create');
    metrics.leaseRequest('create');
    metrics.leaseRequest('list');
    expect((await registry.metrics()).split('\n')).toEqual(
      expect.arrayContaining([
        'hostport_guard_reservations_total{result="taken"} 1',
        'hostport_guard_reservations_total{result="refused"} 1',
        'hostport_guard_reservations_total{result="failed"} 1',
        'hostport_guard_reservation_duration_seconds_bucket{le="0.005",result="taken"} 1',
        'hostport_guard_reservation_duration_seconds_bucket{le="0.01",result="refused"} 0',
        'hostport_guard_reservation_duration_seconds_bucket{le="2.5",result="failed"} 1',
        'hostport_guard_reservations_ended_total{reason="expired"} 3',
        'hostport_guard_reservations_ended_total{reason="seen"} 1',
        'hostport_guard_reservation_leases 7',
        'hostport_guard_lease_requests_total{verb="create"} 2',
        'hostport_guard_lease_requests_total{verb="list"} 1',
      ]),
    );
  });

  it('keeps registries apart, so two servers in one process do not clash', async () => {
    const a = new Registry();
    const b = new Registry();
    createMetrics(a, { pods: () => 1, nodes: () => 1 }).watchRestarted('nodes', 'stale');
    createMetrics(b, { pods: () => 1, nodes: () => 1 });
    expect(await a.metrics()).toContain('hostport_guard_watch_restarts_total{resource="nodes",reason="stale"} 1');
    expect(await b.metrics()).not.toContain('resource="nodes"');
  });
});
