import { describe, expect, it } from '@jest/globals';

import { HeldPorts } from '../../../src/engine/held-ports.js';
import type { NodeInfo, NodeTraits } from '../../../src/engine/node-filter.js';
import type { HolderOrder } from '../../../src/engine/port-summary.js';
import { MAX_SUMMARY_KINDS, summariseHeld } from '../../../src/engine/port-summary.js';
import type { HeldPort, Occupant } from '../../../src/engine/types.js';
import { hostPort, occupant, ref } from '../../fixtures/pods.js';

const GENERAL: NodeTraits = { labels: { pool: 'general' }, taints: [], unschedulable: false };
const GPU: NodeTraits = { labels: { pool: 'gpu' }, taints: [{ key: 'gpu', effect: 'NoSchedule' }], unschedulable: false };

/** w0..w5 alternate general and gpu nodes; anything else is unknown. */
function nodeOf(name: string): NodeInfo | undefined {
  const i = Number(name.slice(1));
  if (!name.startsWith('w') || Number.isNaN(i)) return undefined;
  return { name, traits: i % 2 === 0 ? GENERAL : GPU };
}

const byNodeThenPod: HolderOrder = (a, b) => a.occupant.node.localeCompare(b.occupant.node) || a.occupant.pod.name.localeCompare(b.occupant.pod.name);

function exporter(node: string, overrides: Partial<Occupant> = {}): Occupant {
  return occupant({ pod: ref(`monitoring/exporter-${node}`), node, ports: [hostPort({ port: 9100, hostIP: '' })], ...overrides });
}

function heldOf(occupants: readonly Occupant[]): HeldPort[] {
  const held = new HeldPorts();
  for (const o of occupants) held.add(o);
  return held.collidingAnywhere({ protocol: 'TCP', hostIP: '0.0.0.0', port: 9100 });
}

describe('summariseHeld', () => {
  it('counts holders and nodes per set of traits, and keeps the first in order across them', () => {
    const nodes = ['w5', 'w4', 'w3', 'w2', 'w1', 'w0', 'gone'];
    const occupants = [...nodes.map((n) => exporter(n)), exporter('w2', { pod: ref('monitoring/agent-w2'), ports: [hostPort({ port: 9100, hostIP: '0.0.0.0', container: 'agent' })] })];
    const summary = summariseHeld(heldOf(occupants), nodeOf, byNodeThenPod, 2);
    expect(summary?.groups.map((g) => [g.sample?.traits ?? 'unknown', g.held, g.live.nodes, g.live.held, g.freeing.nodes])).toEqual([
      [GPU, 3, 3, 3, 0],
      [GENERAL, 4, 3, 4, 0],
      ['unknown', 1, 1, 1, 0],
    ]);
    expect(summary?.firstFreeing).toEqual([]);
    expect(summary?.firstLive.map((f) => [f.entry.occupant.pod.name, f.group])).toEqual([
      ['exporter-gone', 2],
      ['exporter-w0', 1],
      ['exporter-w1', 0],
      ['agent-w2', 1],
      ['exporter-w3', 0],
    ]);
    expect(summary?.held).toHaveLength(8);
  });

  it('tells nodes where a live pod holds the port from nodes where only terminating ones do', () => {
    const old = (node: string) => exporter(node, { pod: ref(`monitoring/old-${node}`), terminating: true });
    // w0: a live pod and a terminating one; w1, w3: terminating only; w2: live only.
    const summary = summariseHeld(heldOf([old('w0'), exporter('w0'), old('w1'), exporter('w2'), old('w3')]), nodeOf, byNodeThenPod, 3);
    expect(summary?.groups.map((g) => [g.sample?.traits, g.held, g.live, g.freeing])).toEqual([
      [GENERAL, 3, { nodes: 2, held: 2 }, { nodes: 0, held: 0 }],
      [GPU, 2, { nodes: 0, held: 0 }, { nodes: 2, held: 2 }],
    ]);
    expect(summary?.firstLive.map((f) => f.entry.occupant.pod.name)).toEqual(['exporter-w0', 'exporter-w2']);
    expect(summary?.firstFreeing.map((f) => f.entry.occupant.pod.name)).toEqual(['old-w1', 'old-w3']);
  });

  it('summarises nothing held on another address than 0.0.0.0', () => {
    for (const odd of [
      exporter('w1', { ports: [hostPort({ port: 9100, hostIP: '10.0.0.1' })] }),
      exporter('w1', { ports: [hostPort({ port: 9100, hostIP: '::' })] }),
    ]) {
      expect(summariseHeld(heldOf([exporter('w0'), odd]), nodeOf, byNodeThenPod, 3)).toBeUndefined();
    }
  });

  it('lists one holder per distinct priority and owner, and stops listing past MAX_SUMMARY_KINDS', () => {
    const owner = (i: number) => ({ kind: 'ReplicaSet', name: `rs-${i}`, uid: `uid-rs-${i}` });
    const few = Array.from({ length: 6 }, (_, i) => exporter(`w${i}`, { priority: i % 2, owner: owner(i % 3) }));
    const summary = summariseHeld(heldOf([...few, exporter('x1', { priorityClassName: 'high' })]), nodeOf, byNodeThenPod, 3);
    expect(summary?.priorities?.map(({ occupant: o, held }) => [o.priority, o.priorityClassName, held])).toEqual([
      [0, undefined, 3],
      [1, undefined, 3],
      [undefined, 'high', 1],
    ]);
    expect(summary?.owners?.map(({ occupant: o, held }) => [o.owner?.name, held])).toEqual([
      ['rs-0', 2],
      ['rs-1', 2],
      ['rs-2', 2],
    ]);
    const many = Array.from({ length: MAX_SUMMARY_KINDS + 1 }, (_, i) => exporter(`w${i}`, { priority: i, owner: owner(i) }));
    const past = summariseHeld(heldOf(many), nodeOf, byNodeThenPod, 3);
    expect(past?.priorities).toBeUndefined();
    expect(past?.owners).toBeUndefined();
    expect(summariseHeld(heldOf(many.slice(1)), nodeOf, byNodeThenPod, 3)?.priorities).toHaveLength(MAX_SUMMARY_KINDS);
  });
});

describe('HeldPorts.summary', () => {
  it('keeps a summary until a holder of its key comes or goes, or the stamp changes', () => {
    const held = new HeldPorts();
    const port = { protocol: 'TCP', hostIP: '10.0.0.9', port: 9100 };
    expect(held.summary(port, 0, nodeOf, byNodeThenPod, 3)).toBeUndefined();
    const first = exporter('w0');
    held.add(first);
    held.add(occupant({ pod: ref('other/web'), node: 'w0', ports: [hostPort({ port: 80 })] }));
    const kept = held.summary(port, 0, nodeOf, byNodeThenPod, 3);
    expect(kept?.held).toHaveLength(1);
    expect(held.summary({ ...port, hostIP: '' }, 0, nodeOf, byNodeThenPod, 3)).toBe(kept);
    held.add(occupant({ pod: ref('other/web-2'), node: 'w1', ports: [hostPort({ port: 80 })] }));
    expect(held.summary(port, 0, nodeOf, byNodeThenPod, 3)).toBe(kept);
    expect(held.summary(port, 1, nodeOf, byNodeThenPod, 3)).not.toBe(kept);
    const again = held.summary(port, 1, nodeOf, byNodeThenPod, 3);
    expect(held.summary(port, 1, nodeOf, byNodeThenPod, 2)).not.toBe(again);
    const second = exporter('w1');
    held.add(second);
    expect(held.summary(port, 1, nodeOf, byNodeThenPod, 2)?.held).toHaveLength(2);
    held.remove(first);
    expect(held.summary(port, 1, nodeOf, byNodeThenPod, 2)?.held.map((h) => h.occupant)).toEqual([second]);
    held.remove(second);
    expect(held.summary(port, 1, nodeOf, byNodeThenPod, 2)).toBeUndefined();
  });
});
