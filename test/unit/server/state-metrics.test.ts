import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';

import type { StateProbes } from '../../../src/server/state-metrics.js';
import { createStateMetrics, MAX_NODE_SERIES } from '../../../src/server/state-metrics.js';

function probes(overrides: Partial<StateProbes> = {}): StateProbes {
  return {
    conflicts: () => ({ total: 0, byNode: new Map() }),
    synced: () => true,
    certificateNotAfter: () => undefined,
    leader: () => undefined,
    ...overrides,
  };
}

async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('createStateMetrics', () => {
  it('exports the existing conflicts in all and per node, following the audit as it changes', async () => {
    const registry = new Registry();
    let counts = { total: 3, byNode: new Map([['worker-1', 2], ['worker-2', 1]]) };
    createStateMetrics(registry, probes({ conflicts: () => counts }));
    expect(await lines(registry)).toEqual(expect.arrayContaining([
      'hostport_guard_cluster_conflicts 3',
      'hostport_guard_cluster_conflicts_per_node{node="worker-1"} 2',
      'hostport_guard_cluster_conflicts_per_node{node="worker-2"} 1',
    ]));
    counts = { total: 0, byNode: new Map() };
    const after = await lines(registry);
    expect(after).toContain('hostport_guard_cluster_conflicts 0');
    expect(after.filter((l) => l.startsWith('hostport_guard_cluster_conflicts_per_node'))).toEqual([]);
  });

  it('keeps at most MAX_NODE_SERIES node series and sums the rest under node="_other"', async () => {
    const registry = new Registry();
    const byNode = new Map(Array.from({ length: MAX_NODE_SERIES + 30 }, (_v, i): [string, number] => [`n${String(i).padStart(3, '0')}`, i < 5 ? 10 : 1]));
    createStateMetrics(registry, probes({ conflicts: () => ({ total: 80, byNode }) }));
    const perNode = (await lines(registry)).filter((l) => l.startsWith('hostport_guard_cluster_conflicts_per_node'));
    expect(perNode).toHaveLength(MAX_NODE_SERIES + 1);
    expect(perNode).toEqual(expect.arrayContaining(['hostport_guard_cluster_conflicts_per_node{node="n000"} 10', 'hostport_guard_cluster_conflicts_per_node{node="_other"} 30']));
  });

  it('exports sync state, certificate expiry, leadership and Event results', async () => {
    const registry = new Registry();
    let synced = false;
    const metrics = createStateMetrics(registry, probes({ synced: () => synced, certificateNotAfter: () => 1_900_000_000, leader: () => true }));
    metrics.conflictEvent('created');
    metrics.conflictEvent('exists');
    metrics.conflictEvent('exists');
    expect(await lines(registry)).toEqual(expect.arrayContaining([
      'hostport_guard_index_synced 0',
      'hostport_guard_certificate_expiry_timestamp_seconds 1900000000',
      'hostport_guard_leader 1',
      'hostport_guard_conflict_events_total{result="created"} 1',
      'hostport_guard_conflict_events_total{result="exists"} 2',
    ]));
    synced = true;
    expect(await lines(registry)).toContain('hostport_guard_index_synced 1');
  });

  it('says NaN (prom-client spells it Nan) for the expiry while no certificate is loaded, and 0 for leadership while Events are off', async () => {
    const registry = new Registry();
    createStateMetrics(registry, probes());
    expect(await lines(registry)).toEqual(expect.arrayContaining(['hostport_guard_certificate_expiry_timestamp_seconds Nan', 'hostport_guard_leader 0']));
  });
});
