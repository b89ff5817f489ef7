import { describe, expect, it } from '@jest/globals';

import type { ConflictListener } from '../../../src/cluster/conflict-audit.js';
import { ConflictAudit } from '../../../src/cluster/conflict-audit.js';
import { PodIndex } from '../../../src/cluster/pod-index.js';
import type { ExistingConflict } from '../../../src/engine/existing-conflicts.js';
import type { PodLike } from '../../../src/engine/types.js';
import { pod } from '../../fixtures/pods.js';

/** A hostNetwork pod `ns/name` on `node` holding `port`. */
function holder(name: string, node = 'worker-1', port = 8080): PodLike {
  const [namespace, podName] = name.split('/');
  return pod({
    metadata: { namespace: namespace ?? '', name: podName ?? '', uid: `uid-${name}` },
    spec: { nodeName: node, containers: [{ name: 'web', ports: [{ containerPort: port }] }] },
  });
}

/** An audit over a fresh index whose deferred work the test runs by hand, and what it told. */
function setUp(): { index: PodIndex; audit: ConflictAudit; told: string[]; deferred: (() => void)[] } {
  const index = new PodIndex();
  const told: string[] = [];
  const deferred: (() => void)[] = [];
  const name = (c: ExistingConflict): string => `${c.node} ${c.first.pod.name}+${c.second.pod.name}`;
  const listener: ConflictListener = {
    appeared: (c) => told.push(`+ ${name(c)}`),
    resolved: (c) => told.push(`- ${name(c)}`),
  };
  const audit = new ConflictAudit({ index, defer: (callback) => deferred.push(callback), listeners: [listener] });
  return { index, audit, told, deferred };
}

function runDeferred(deferred: (() => void)[]): void {
  for (const callback of deferred.splice(0)) callback();
}

describe('ConflictAudit', () => {
  it('finds the conflicts the index already holds when it starts', () => {
    const { index, audit, told, deferred } = setUp();
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2')]);
    audit.start();
    runDeferred(deferred);
    expect(told).toEqual(['+ worker-1 web-1+web-2']);
    expect(audit.counts()).toEqual({ total: 1, byNode: new Map([['worker-1', 1]]) });
  });

  it('tells a new conflict once, however often its pods change or are listed again', () => {
    const { index, audit, told, deferred } = setUp();
    audit.start();
    index.upsertPod(holder('a/web-1'));
    index.upsertPod(holder('a/web-2'));
    runDeferred(deferred);
    index.upsertPod(holder('a/web-2'));
    runDeferred(deferred);
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2'), holder('a/other', 'worker-2')]);
    runDeferred(deferred);
    expect(told).toEqual(['+ worker-1 web-1+web-2']);
  });

  it('tells when a conflict ends, and the counts go back to 0', () => {
    const { index, audit, told, deferred } = setUp();
    audit.start();
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2')]);
    runDeferred(deferred);
    index.deletePod({ namespace: 'a', name: 'web-2', uid: 'uid-a/web-2' });
    runDeferred(deferred);
    expect(told).toEqual(['+ worker-1 web-1+web-2', '- worker-1 web-1+web-2']);
    expect(audit.counts()).toEqual({ total: 0, byNode: new Map() });
    expect(audit.current()).toEqual([]);
  });

  it('looks at a burst of changes once, after the current task, and only at the nodes that changed', () => {
    const { index, audit, deferred } = setUp();
    audit.start();
    index.replaceAllPods(Array.from({ length: 50 }, (_v, i) => holder(`a/p${i}`, `node-${i % 5}`, 9000 + i)));
    expect(deferred).toHaveLength(1);
    runDeferred(deferred);
    index.upsertPod(holder('a/late', 'node-3', 9003));
    expect(deferred).toHaveLength(1);
    runDeferred(deferred);
    expect(audit.counts()).toEqual({ total: 1, byNode: new Map([['node-3', 1]]) });
  });

  it('says whether a conflict still exists, by key and node', () => {
    const { index, audit, deferred } = setUp();
    audit.start();
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2')]);
    audit.flush();
    expect(deferred).toHaveLength(1);
    expect(audit.exists('worker-1|a/web-1/uid-a/web-1|a/web-2/uid-a/web-2', 'worker-1')).toBe(true);
    expect(audit.exists('worker-1|a/web-1/uid-a/web-1|a/web-3/uid-a/web-3', 'worker-1')).toBe(false);
  });
});
