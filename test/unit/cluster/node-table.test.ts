import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import type { NodeEntry } from '../../../src/cluster/node-table.js';
import { NodeTable } from '../../../src/cluster/node-table.js';
import { PodIndex } from '../../../src/cluster/pod-index.js';
import { nodeFilterOf } from '../../../src/engine/node-filter.js';
import type { PodSpecLike } from '../../../src/engine/types.js';

const HOSTNAME = 'kubernetes.io/hostname';
const CONTROL_PLANE = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

function worker(name: string, pool = 'general', extra: Partial<NodeEntry> = {}): NodeEntry {
  return { name, labels: { [HOSTNAME]: name, pool, 'kubernetes.io/os': 'linux' }, ...extra };
}

function spec(overrides: Partial<PodSpecLike> = {}): PodSpecLike {
  return { containers: [], ...overrides };
}

describe('NodeTable', () => {
  it('shares one copy of the traits between nodes that differ only in their names', () => {
    const table = new NodeTable();
    table.replaceAll([worker('w1'), worker('w2'), worker('w3', 'gpu'), { ...worker('cp-1', 'general'), taints: [CONTROL_PLANE] }]);
    expect(table.traitsCount()).toBe(3);
    expect(table.node('w1')?.traits).toBe(table.node('w2')?.traits);
    expect(table.node('w1')?.traits).not.toBe(table.node('w3')?.traits);
    expect(table.node('w1')).toEqual({ name: 'w1', hostname: 'w1', traits: { labels: { pool: 'general', 'kubernetes.io/os': 'linux' }, taints: [], unschedulable: false } });
  });

  it('counts the nodes a filter accepts, one test per set of traits', () => {
    const table = new NodeTable();
    table.replaceAll([worker('w1'), worker('w2'), worker('w3', 'gpu'), { ...worker('cp-1'), taints: [CONTROL_PLANE] }, { ...worker('w4'), unschedulable: true }]);
    expect(table.count(nodeFilterOf(spec()))).toBe(3);
    expect(table.count(nodeFilterOf(spec({ nodeSelector: { pool: 'gpu' } })))).toBe(1);
    expect(table.count(nodeFilterOf(spec({ tolerations: [{ operator: 'Exists' }] })))).toBe(5);
    expect(table.count(nodeFilterOf(spec({ nodeSelector: { [HOSTNAME]: 'w2' } })))).toBe(1);
  });

  it('moves a node to its new traits when it changes, and drops traits no node has any more', () => {
    const table = new NodeTable();
    table.upsert(worker('w1'));
    table.upsert({ ...worker('w1'), unschedulable: true });
    expect(table.traitsCount()).toBe(1);
    expect(table.count(nodeFilterOf(spec()))).toBe(0);
    table.delete('w1');
    expect([table.size(), table.traitsCount()]).toEqual([0, 0]);
  });

  it('changes its traits version when a node comes, goes or gets other traits, and only then', () => {
    const table = new NodeTable();
    const seen = [table.traitsVersion()];
    const step = (change: () => void): boolean => {
      change();
      const now = table.traitsVersion();
      const changed = now !== seen.at(-1);
      seen.push(now);
      return changed;
    };
    expect(step(() => { table.upsert(worker('w1')); })).toBe(true);
    // A status update: the same labels, taints and cordon, even for a node alone in its traits.
    expect(step(() => { table.upsert(worker('w1')); })).toBe(false);
    expect(step(() => { table.upsert(worker('w2')); })).toBe(true);
    expect(step(() => { table.upsert(worker('w2')); })).toBe(false);
    expect(step(() => { table.upsert(worker('w2', 'gpu')); })).toBe(true);
    expect(step(() => { table.upsert(worker('w2', 'gpu', { taints: [CONTROL_PLANE] })); })).toBe(true);
    expect(step(() => { table.upsert(worker('w2', 'gpu', { taints: [CONTROL_PLANE], unschedulable: true })); })).toBe(true);
    // The hostname label is not a trait: filters that read it are never summarised.
    expect(step(() => { table.upsert({ ...worker('w1'), labels: { [HOSTNAME]: 'other', pool: 'general', 'kubernetes.io/os': 'linux' } }); })).toBe(false);
    expect(step(() => { table.delete('w1'); })).toBe(true);
    expect(step(() => { table.delete('w1'); })).toBe(false);
    expect(step(() => { table.replaceAll([worker('w2')]); })).toBe(true);
  });

  it('treats taints in another order as the same traits', () => {
    const table = new NodeTable();
    const gpu = { key: 'gpu', value: 'yes', effect: 'NoExecute' };
    table.upsert({ ...worker('a'), taints: [CONTROL_PLANE, gpu] });
    table.upsert({ ...worker('b'), taints: [gpu, CONTROL_PLANE] });
    expect(table.traitsCount()).toBe(1);
  });

  it('counts exactly what testing every node would, whatever the nodes and the filter', () => {
    const label = fc.constantFrom('a', 'b', 'c');
    const node = fc.record({
      name: fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5', 'n6'),
      pool: label,
      zone: fc.option(label, { nil: undefined }),
      tainted: fc.boolean(),
      unschedulable: fc.boolean(),
    });
    const filterSpec = fc.record({
      pool: fc.option(label, { nil: undefined }),
      notZone: fc.option(label, { nil: undefined }),
      hostname: fc.option(fc.constantFrom('n1', 'n2'), { nil: undefined }),
      tolerates: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(node, { maxLength: 12 }), filterSpec, (nodes, f) => {
        const table = new NodeTable();
        for (const n of nodes) {
          table.upsert({
            name: n.name,
            labels: { [HOSTNAME]: n.name, pool: n.pool, ...(n.zone === undefined ? {} : { zone: n.zone }) },
            taints: n.tainted ? [CONTROL_PLANE] : [],
            unschedulable: n.unschedulable,
          });
        }
        const filter = nodeFilterOf(
          spec({
            ...(f.pool === undefined ? {} : { nodeSelector: { pool: f.pool } }),
            ...(f.tolerates ? { tolerations: [{ key: CONTROL_PLANE.key, operator: 'Exists' }, { key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] } : {}),
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        ...(f.notZone === undefined ? [] : [{ key: 'zone', operator: 'NotIn', values: [f.notZone] }]),
                        ...(f.hostname === undefined ? [{ key: 'pool', operator: 'Exists' }] : [{ key: HOSTNAME, operator: 'In', values: [f.hostname] }]),
                      ],
                    },
                  ],
                },
              },
            },
          }),
        );
        const names = [...new Set(nodes.map((n) => n.name))];
        const brute = names.filter((name) => {
          const info = table.node(name);
          return info !== undefined && filter.accepts(info);
        }).length;
        expect(table.count(filter)).toBe(brute);
      }),
    );
  });
});

describe('PodIndex PriorityClasses', () => {
  it('knows the built-in classes before the watch shows them, and a listed class wins', () => {
    const index = new PodIndex();
    expect(index.priorityClass('system-cluster-critical')?.value).toBe(2_000_000_000);
    index.upsertPriorityClass({ name: 'system-cluster-critical', value: 2_000_000_000, globalDefault: false, preemptionPolicy: 'Never' });
    expect(index.priorityClass('system-cluster-critical')?.preemptionPolicy).toBe('Never');
  });

  it('takes the lowest of several global defaults, as the Priority admission plugin does', () => {
    const index = new PodIndex();
    index.replaceAllPriorityClasses([
      { name: 'high-default', value: 1000, globalDefault: true },
      { name: 'low-default', value: 10, globalDefault: true },
      { name: 'plain', value: 1, globalDefault: false },
    ]);
    expect(index.defaultPriorityClass()?.name).toBe('low-default');
    index.deletePriorityClass('low-default');
    expect(index.defaultPriorityClass()?.name).toBe('high-default');
    expect(index.size().priorityClasses).toBe(2);
  });
});
