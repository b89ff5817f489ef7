import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { MAX_WARNING_LENGTH, WARNING_HARD_LIMIT } from '../../../src/admission/messages.js';
import type { HeldOn, SpreadFacts } from '../../../src/admission/warnings.js';
import {
  conflictWarning,
  MAX_NAMED_HOLDERS,
  maxSurgeWarning,
  mirrorWarning,
  preemptWarning,
  reservedWarning,
  spreadWarning,
  SURGE_WARNING,
  undeclaredWarning,
  waitWarning,
} from '../../../src/admission/warnings.js';
import type { CollisionRule } from '../../../src/engine/conflicts.js';
import { conflict, controlCharsIn, reservedConflict } from '../../fixtures/conflicts.js';
import { hostPort, ref } from '../../fixtures/pods.js';

/** The pods of a DaemonSet holding a port on worker-1..n. */
function holders(n: number, name = 'svclb-traefik'): HeldOn[] {
  return Array.from({ length: n }, (_, i) => ({ node: `worker-${i + 1}`, holder: ref(`kube-system/${name}-${i + 1}`), container: 'lb-80' }));
}

/** A port taken on three of three candidate nodes of a DaemonSet's pods. */
function facts(overrides: Partial<SpreadFacts> = {}): SpreadFacts {
  const held = overrides.holders ?? holders(3);
  return {
    spread: 'taken',
    hostNetwork: false,
    port: hostPort({ port: 80 }),
    nodes: new Set(held.map((h) => h.node)).size,
    holders: held,
    holderCount: held.length,
    candidates: 3,
    daemonSet: true,
    stricter: false,
    ...overrides,
  };
}

describe('conflictWarning', () => {
  it('names the port as denials do, the node and the holder with its container', () => {
    expect(conflictWarning(true, conflict())).toBe('hostNetwork port 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)');
    expect(conflictWarning(false, conflict())).toBe('hostPort 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)');
  });

  it('brackets an IPv6 port', () => {
    const c = conflict({ port: hostPort({ hostIP: 'fd00::1' }), held: hostPort({ hostIP: 'fd00::1' }), rule: 'same-ip' });
    expect(conflictWarning(false, c)).toBe('hostPort [fd00::1]:8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)');
  });

  it('keeps a Kubernetes-sized name whole, leaving out the container when that is what fits', () => {
    const name = `api-${'a'.repeat(36)}`;
    expect(conflictWarning(false, conflict({ holder: ref(`team-a/${name}`) }))).toBe(`hostPort 8080/TCP on node worker-1 is used by pod team-a/${name} (container web)`);
    const longer = `api-${'a'.repeat(50)}`;
    expect(conflictWarning(true, conflict({ holder: ref(`team-a/${longer}`) }))).toBe(`hostNetwork port 8080/TCP on node worker-1 is used by pod team-a/${longer}`);
  });

  it("says a node daemon's port the same for every pod", () => {
    expect(conflictWarning(true, reservedConflict())).toBe(reservedWarning(true, reservedConflict()));
    expect(reservedWarning(false, reservedConflict())).toBe("hostPort 10250/TCP is a node daemon's port: kubelet holds it on every node, unseen by the scheduler");
  });
});

describe('waitWarning, preemptWarning and mirrorWarning', () => {
  it('names the terminating pod the pod waits for', () => {
    expect(waitWarning(true, conflict({ holderTerminating: true }))).toBe(
      'pod waits for terminating pod team-a/api-7d9f to free hostNetwork port 8080/TCP on node worker-1 (container web)',
    );
  });

  it('names the pod the scheduler will evict, its container and both priorities when there is room', () => {
    expect(preemptWarning(false, conflict({ holder: ref('m/e-1') }), 0, 10)).toBe(
      'pod preempts lower-priority pod m/e-1 (container web) on node worker-1 for hostPort 8080/TCP (priority 0 < 10)',
    );
    expect(preemptWarning(false, conflict({ holder: ref('monitoring/exporter-1') }), 0, 2_000_000_000)).toBe(
      'pod preempts lower-priority pod monitoring/exporter-1 on node worker-1 for hostPort 8080/TCP (priority 0 < 2000000000)',
    );
  });

  it('leaves out the priorities before the name of the pod it evicts', () => {
    expect(preemptWarning(true, conflict({ holder: ref('monitoring/node-exporter-x2x8k') }), 0, 2_000_000_000)).toBe(
      'pod preempts lower-priority pod monitoring/node-exporter-x2x8k on node worker-1 for hostNetwork port 8080/TCP',
    );
  });

  it("says a static pod's conflict is already on its node, naming the holder", () => {
    expect(mirrorWarning(true, conflict())).toBe('static pod already running on node worker-1: hostNetwork port 8080/TCP is also used by pod team-a/api-7d9f');
    expect(mirrorWarning(false, reservedConflict({ node: 'worker-1' }))).toBe(
      'static pod already running on node worker-1: hostPort 10250/TCP is also used by node daemon kubelet on every node',
    );
  });
});

describe('spreadWarning', () => {
  it('names as many holders as fit, with their nodes, and counts the rest', () => {
    const short = Array.from({ length: 5 }, (_, i) => ({ node: `n${i}`, holder: ref(`a/p${i}`), container: 'c' }));
    expect(spreadWarning(facts({ holders: short, nodes: 5, candidates: 9 }))).toBe(
      'hostPort 80/TCP is taken on 5 of 9 candidate nodes: n0 by a/p0, n1 by a/p1, and 3 more; its pods cannot run there',
    );
    expect(spreadWarning(facts({ holders: holders(3, 'lb') }))).toBe(
      'hostPort 80/TCP is taken on 3 of 3 candidate nodes: worker-1 by kube-system/lb-1, and 2 more; its pods cannot run there',
    );
  });

  it('names one holder with its node when it alone fits', () => {
    const one = [{ node: 'k3s-1', holder: ref('kube-system/svclb-traefik-x2x8k'), container: 'lb-80' }];
    expect(spreadWarning(facts({ holders: one, nodes: 1, candidates: 1 }))).toBe(
      'hostPort 80/TCP is taken on 1 of 1 candidate nodes: k3s-1 by kube-system/svclb-traefik-x2x8k; its pods cannot run there',
    );
  });

  it('names at least one holder and says how many more, however long the names', () => {
    const text = spreadWarning(facts({ hostNetwork: true, holders: holders(40, `svclb-${'t'.repeat(40)}`), nodes: 0, candidates: 40, daemonSet: false }));
    expect(text).toBe(
      `hostNetwork port 80/TCP is taken on 0 of 40 candidate nodes by kube-system/svclb-${'t'.repeat(40)}-1 and 39 more; pods needing it cannot run there`,
    );
  });

  it('leaves out the number of candidate nodes when it is not known to be larger', () => {
    expect(spreadWarning(facts({ holders: holders(1, 'lb'), nodes: 1, candidates: 0 }))).toContain('is taken on 1 candidate node:');
  });

  it('says which pods the scheduler may preempt', () => {
    expect(spreadWarning(facts({ spread: 'lower-priority', holders: holders(1, 'exp'), nodes: 1 }))).toBe(
      'hostPort 80/TCP is taken on 1 of 3 candidate nodes by lower-priority kube-system/exp-1; its pods will preempt them',
    );
    expect(spreadWarning(facts({ spread: 'lower-priority', holders: holders(9, 'node-exporter'), candidates: 12, daemonSet: false }))).toBe(
      'hostPort 80/TCP is taken on 9 of 12 candidate nodes by lower-priority kube-system/node-exporter-1 and 8 more; the scheduler may preempt them',
    );
  });

  it('says where the port is being freed, and that pods wait there', () => {
    expect(spreadWarning(facts({ spread: 'freeing', holders: holders(2, 'old'), daemonSet: false }))).toBe(
      'hostPort 80/TCP is being freed on 2 of 3 candidate nodes by kube-system/old-1 and 1 more; pods needing it wait there',
    );
  });

  it('names from the first holders it is given and counts the rest from holderCount', () => {
    const all = holders(40, 'node-exporter');
    const given = facts({ holders: all, candidates: 40 });
    expect(spreadWarning({ ...given, holders: all.slice(0, MAX_NAMED_HOLDERS) })).toBe(spreadWarning(given));
    expect(spreadWarning({ ...given, holders: all.slice(0, 1), holderCount: 40 })).toBe(
      'hostPort 80/TCP is taken on 40 of 40 candidate nodes by kube-system/node-exporter-1 and 39 more; its pods cannot run there',
    );
  });

  it('keeps the stricter-than-the-scheduler tag at the end', () => {
    expect(spreadWarning(facts({ stricter: true }))).toMatch(/ \[stricter than the scheduler\]$/);
  });
});

describe('the warning k3s users get for a DaemonSet on port 80', () => {
  it('names the ServiceLB pod holding it, a little past the aim but whole', () => {
    const svclb = Array.from({ length: 30 }, (_, i) => ({ node: `k3s-${i}`, holder: ref(`kube-system/svclb-traefik-8f1d9a3c-x2x${i}`), container: 'lb-tcp-80' }));
    const text = spreadWarning(facts({ holders: svclb, nodes: 30, candidates: 30 }));
    expect(text).toBe('hostPort 80/TCP is taken on 30 of 30 candidate nodes by kube-system/svclb-traefik-8f1d9a3c-x2x0 and 29 more; its pods cannot run there');
    expect(text.length).toBeLessThanOrEqual(WARNING_HARD_LIMIT);
  });
});

describe('every warning', () => {
  const longText = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));
  /** A name as Kubernetes allows it: a DNS label of up to 63 characters. */
  const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  const anyRule = fc.constantFrom<CollisionRule>('same-ip', 'ipv4-wildcard', 'ipv6-wildcard', 'same-ip-normalised');

  it('stays within what the API server keeps and carries no control character, whatever the names', () => {
    fc.assert(
      fc.property(longText, longText, longText, longText, fc.boolean(), anyRule, (namespace, name, node, containerName, terminating, rule) => {
        const c = conflict({ node, holder: { namespace, name }, held: hostPort({ container: containerName, hostIP: 'fd00::1' }), holderTerminating: terminating, rule });
        const onDaemon = reservedConflict({ node, held: { owner: containerName, protocol: 'TCP', hostIP: '127.0.0.1', port: 10248 } });
        const spread = facts({ holders: [{ node, holder: { namespace, name }, container: containerName }], stricter: true });
        for (const text of [
          conflictWarning(true, c),
          waitWarning(false, c),
          preemptWarning(true, c, 0, 1),
          mirrorWarning(true, c),
          mirrorWarning(false, onDaemon),
          reservedWarning(true, onDaemon),
          maxSurgeWarning(name),
          spreadWarning(spread),
          spreadWarning({ ...spread, spread: 'freeing' }),
          spreadWarning({ ...spread, spread: 'lower-priority' }),
        ]) {
          expect(text.length).toBeLessThanOrEqual(WARNING_HARD_LIMIT);
          expect(controlCharsIn(text)).toEqual([]);
        }
      }),
    );
  });

  it('names the holder whole when its names are of Kubernetes size', () => {
    fc.assert(
      fc.property(dnsLabel, dnsLabel, dnsLabel, dnsLabel, fc.nat(100), (namespace, name, node, containerName, more) => {
        const c = conflict({ node, holder: { namespace, name }, held: hostPort({ container: containerName }), holderTerminating: true });
        const held = [{ node, holder: { namespace, name }, container: containerName }, ...holders(more)];
        for (const text of [
          conflictWarning(true, c),
          waitWarning(true, c),
          preemptWarning(true, c, 0, 1),
          mirrorWarning(true, c),
          spreadWarning(facts({ hostNetwork: true, holders: held, candidates: 1000 })),
          spreadWarning(facts({ hostNetwork: true, holders: held, spread: 'lower-priority', daemonSet: false })),
        ]) {
          expect(text).toContain(`${namespace}/${name}`);
          expect(text.length).toBeLessThanOrEqual(WARNING_HARD_LIMIT);
        }
      }),
    );
  });

  it('fit the aim for the names of a typical cluster', () => {
    const c = conflict({ holder: ref('monitoring/node-exporter-x2x8k'), held: hostPort({ container: 'node-exporter' }) });
    for (const text of [
      conflictWarning(true, c),
      waitWarning(true, { ...c, holderTerminating: true }),
      preemptWarning(true, c, 0, 2_000_000_000),
      spreadWarning(facts({ holders: holders(3, 'svclb-traefik') })),
      SURGE_WARNING,
      undeclaredWarning(true),
      undeclaredWarning(false),
    ]) {
      expect(text.length).toBeLessThanOrEqual(MAX_WARNING_LENGTH);
    }
  });
});
