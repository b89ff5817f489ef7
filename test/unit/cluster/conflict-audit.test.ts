import { describe, expect, it } from '@jest/globals';

import type { ConflictListener } from '../../../src/cluster/conflict-audit.js';
import { ConflictAudit } from '../../../src/cluster/conflict-audit.js';
import { PodIndex } from '../../../src/cluster/pod-index.js';
import type { Contester, ExistingConflict } from '../../../src/engine/existing-conflicts.js';
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
  const name = (c: ExistingConflict, k: Contester): string => `${c.node} ${c.port} ${k.occupant.pod.name}`;
  const listener: ConflictListener = {
    joined: (c, k) => told.push(`+ ${name(c, k)}`),
    left: (c, k) => told.push(`- ${name(c, k)}`),
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
    expect(told).toEqual(['+ worker-1 8080 web-1', '+ worker-1 8080 web-2']);
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
    expect(told).toEqual(['+ worker-1 8080 web-1', '+ worker-1 8080 web-2']);
  });

  it('tells a pod that joins a conflict, and only that pod, and counts the conflict once', () => {
    const { index, audit, told, deferred } = setUp();
    audit.start();
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2')]);
    runDeferred(deferred);
    index.upsertPod(holder('a/web-3'));
    runDeferred(deferred);
    expect(told).toEqual(['+ worker-1 8080 web-1', '+ worker-1 8080 web-2', '+ worker-1 8080 web-3']);
    expect(audit.counts().total).toBe(1);
  });

  it('tells when a conflict ends, and the counts go back to 0', () => {
    const { index, audit, told, deferred } = setUp();
    audit.start();
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2')]);
    runDeferred(deferred);
    index.deletePod({ namespace: 'a', name: 'web-2', uid: 'uid-a/web-2' });
    runDeferred(deferred);
    expect(told).toEqual(['+ worker-1 8080 web-1', '+ worker-1 8080 web-2', '- worker-1 8080 web-1', '- worker-1 8080 web-2']);
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

  it('says whether a pod is still part of a conflict, by its key and node', () => {
    const { index, audit, deferred } = setUp();
    audit.start();
    index.replaceAllPods([holder('a/web-1'), holder('a/web-2')]);
    audit.flush();
    expect(deferred).toHaveLength(1);
    expect(audit.contests('worker-1|TCP/8080|a/web-1/uid-a/web-1', 'worker-1')).toBe(true);
    expect(audit.contests('worker-1|TCP/8080|a/web-3/uid-a/web-3', 'worker-1')).toBe(false);
  });
});

describe('ConflictAudit with node daemons\' reserved ports', () => {
  it('finds a single pod on a reserved port, and forgets it when the pod goes', () => {
    const index = new PodIndex();
    const deferred: (() => void)[] = [];
    const audit = new ConflictAudit({ index, defer: (callback) => deferred.push(callback), reserved: [{ owner: 'kubelet', protocol: 'TCP', port: 10250 }] });
    audit.start();
    index.upsertPod(holder('a/agent', 'worker-1', 10250));
    runDeferred(deferred);
    expect(audit.counts()).toEqual({ total: 1, byNode: new Map([['worker-1', 1]]) });
    index.deletePod({ namespace: 'a', name: 'agent', uid: 'uid-a/agent' });
    runDeferred(deferred);
    expect(audit.counts().total).toBe(0);
  });
});
