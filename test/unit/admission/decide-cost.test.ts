import { describe, expect, it } from '@jest/globals';

import type { Decision } from '../../../src/admission/decide.js';
import { decide, MAX_EXAMINED_PORTS, MAX_LISTED_CONFLICTS, messagesOf } from '../../../src/admission/decide.js';
import { MAX_HOST_PORTS } from '../../../src/admission/budget.js';
import { MAX_WARNINGS } from '../../../src/admission/messages.js';
import { responseOf } from '../../../src/admission/respond.js';
import { decideAll } from '../../../src/cli/check.js';
import type { ClusterState } from '../../../src/cli/state-file.js';
import { PodIndex } from '../../../src/cluster/pod-index.js';
import { ReservingView } from '../../../src/cluster/reservations.js';
import type { ContainerPortSpec, HeldPort, PodLike } from '../../../src/engine/types.js';
import type { PortView } from '../../../src/engine/view.js';
import type { ManifestObject } from '../../../src/manifests/read.js';
import { container, pod, POD_RULES, podSubject } from '../../fixtures/pods.js';

/** `n` ports on 80/TCP, each on its own address 10.NET.X.Y. */
function spread(n: number, net: number): ContainerPortSpec[] {
  return Array.from({ length: n }, (_, i) => ({ containerPort: 80, hostPort: 80, hostIP: `10.${net}.${(i >> 8) & 255}.${i & 255}` }));
}

/** `n` ports on 0.0.0.0, numbered from `first`. */
function numbered(n: number, first: number): ContainerPortSpec[] {
  return Array.from({ length: n }, (_, i) => ({ containerPort: first + i, hostPort: first + i }));
}

/** A hostPort pod team-a/NAME; pinned to worker-1 unless `node` is null. */
function hostPortPod(name: string, ports: readonly ContainerPortSpec[], node: string | null = 'worker-1'): PodLike {
  const spec = { hostNetwork: false, containers: [container('c', ports)] };
  return pod({ metadata: { name, namespace: 'team-a', uid: `uid-${name}` }, spec: node === null ? { ...spec, nodeName: '' } : { ...spec, nodeName: node } });
}

/** The index as a PortView that counts every held port it hands to the engine. */
function counting(index: PodIndex): { view: PortView & Pick<PodIndex, 'contains'>; examined: () => number } {
  let examined = 0;
  function* counted(found: Iterable<HeldPort>): Generator<HeldPort> {
    for (const h of found) {
      examined += 1;
      yield h;
    }
  }
  const view = {
    heldOn: (node: string, port: Parameters<PortView['heldOn']>[1]) => counted(index.heldOn(node, port)),
    heldAnywhere: (port: Parameters<PortView['heldAnywhere']>[0]) => counted(index.heldAnywhere(port)),
    nodeForHostname: (h: string) => index.nodeForHostname(h),
    nodeCount: () => index.nodeCount(),
    contains: (ref: Parameters<PodIndex['contains']>[0]) => index.contains(ref),
    node: (name: string) => index.node(name),
    countNodes: (filter: Parameters<PortView['countNodes']>[0]) => index.countNodes(filter),
    priorityClass: (name: string) => index.priorityClass(name),
    defaultPriorityClass: () => index.defaultPriorityClass(),
  };
  return { view, examined: () => examined };
}

function indexOf(...pods: PodLike[]): PodIndex {
  const index = new PodIndex();
  index.replaceAllPods(pods);
  return index;
}

function decideCounting(index: PodIndex, incoming: PodLike): { decision: Decision; examined: number } {
  const { view, examined } = counting(index);
  const decision = decide(podSubject(incoming), 'enforce', view, POD_RULES);
  return { decision, examined: examined() };
}

describe('what one decision costs', () => {
  it('meets one held port per incoming port when both pods spread 300 ports over addresses on 80/TCP', () => {
    const index = indexOf(hostPortPod('wide', spread(300, 0)), hostPortPod('other-ports', numbered(300, 1000)));
    const { decision, examined } = decideCounting(index, hostPortPod('new', spread(300, 0)));
    expect(decision.kind).toBe('deny');
    expect(decision.conflictCount).toBe(300);
    // 300 colliding pairs, not 300 x 600 held ports.
    expect(examined).toBe(300);
  });

  it('meets no held port at all when the addresses differ', () => {
    const index = indexOf(hostPortPod('wide', spread(300, 0)));
    const { decision, examined } = decideCounting(index, hostPortPod('new', spread(300, 1)));
    expect(decision.kind).toBe('allow');
    expect(examined).toBe(0);
  });

  it('does the same for a pod the scheduler places, looking on every node', () => {
    const index = indexOf(hostPortPod('wide', spread(300, 0)), hostPortPod('wide-2', spread(300, 0), 'worker-2'));
    const { decision, examined } = decideCounting(index, hostPortPod('new', spread(300, 1), null));
    expect(decision.kind).toBe('allow');
    expect(examined).toBe(0);
  });

  it('meets exactly the addresses a wildcard port takes', () => {
    const index = indexOf(hostPortPod('wide', spread(300, 0)), hostPortPod('udp', [{ containerPort: 80, hostPort: 80, protocol: 'UDP' }]));
    const { decision, examined } = decideCounting(index, hostPortPod('new', [{ containerPort: 80, hostPort: 80 }]));
    expect(decision.conflictCount).toBe(300);
    expect(examined).toBe(300);
  });

  it(`lists at most ${MAX_LISTED_CONFLICTS} conflicts, counts the rest, and says how many more there are`, () => {
    const index = indexOf(hostPortPod('wide', spread(MAX_LISTED_CONFLICTS + 500, 0)));
    const { decision } = decideCounting(index, hostPortPod('new', [{ containerPort: 80, hostPort: 80 }]));
    expect(decision.conflicts).toHaveLength(MAX_LISTED_CONFLICTS);
    expect(decision.conflictCount).toBe(MAX_LISTED_CONFLICTS + 500);
    expect(decision.kind === 'deny' ? decision.message : '').toMatch(new RegExp(`, and ${MAX_LISTED_CONFLICTS + 500 - 5} more; `));
  });
});

describe('the most one decision looks at', () => {
  it(`stops after ${MAX_EXAMINED_PORTS} held ports, and says the count is a lower bound`, () => {
    // A DaemonSet of pods holding 1,024 ports on each of 100 nodes, and a pod the scheduler places asking for all of them.
    const nodes = Array.from({ length: 100 }, (_, i) => `worker-${i}`);
    const index = indexOf(...nodes.map((n) => hostPortPod(`agent-${n}`, numbered(1024, 20000), n)));
    const { decision, examined } = decideCounting(index, hostPortPod('new', numbered(1024, 20000), null));
    expect(examined).toBeLessThanOrEqual(MAX_EXAMINED_PORTS + 1);
    expect([decision.kind, decision.searchCut, decision.conflictCount]).toEqual(['warn', true, MAX_EXAMINED_PORTS]);
    const warnings = messagesOf(decision);
    expect(warnings).toHaveLength(MAX_WARNINGS);
    expect(warnings[0]).toBe('hostPort 20000/TCP is taken on 100 candidate nodes by team-a/agent-worker-0 and 99 more; pods needing it cannot run there');
    // Warnings cover every conflict found, not only the ${MAX_LISTED_CONFLICTS} listed: port 20022's are past the list.
    expect(warnings[MAX_WARNINGS - 2]).toBe('hostPort 20022/TCP is taken on 100 candidate nodes by team-a/agent-worker-0 and 99 more; pods needing it cannot run there');
    expect(warnings.at(-1)).toBe(`and maybe more ports taken on some nodes: hostport-guard stops after ${MAX_EXAMINED_PORTS} held ports`);
    expect(responseOf('u', decision).auditAnnotations?.['conflicts']).toMatch(/; and at least 19980 more$/);
  });
});

describe('what check costs for many pods on one node', () => {
  const pods = Array.from({ length: 2000 }, (_, i) => hostPortPod(`p${i}`, numbered(1, 2000 + i)));
  // Repeats the first pod's port: the one collision.
  const clash = hostPortPod('clash', numbered(1, 2000));

  it('meets only the reserved ports that collide, however many pods the node already holds', () => {
    // check decides its objects in order, each against the ones before it, through a ReservingView.
    const reserving = new ReservingView(new PodIndex(), { now: () => 0, ttlMs: Number.POSITIVE_INFINITY });
    let examined = 0;
    const counted = <T>(found: Iterable<T>): T[] => {
      const list = [...found];
      examined += list.length;
      return list;
    };
    const view: PortView = {
      heldOn: (node, port) => counted(reserving.heldOn(node, port)),
      heldAnywhere: (port) => counted(reserving.heldAnywhere(port)),
      nodeForHostname: () => undefined,
      nodeCount: () => 1,
      node: (name) => reserving.node(name),
      countNodes: (filter) => reserving.countNodes(filter),
      priorityClass: (name) => reserving.priorityClass(name),
      defaultPriorityClass: () => reserving.defaultPriorityClass(),
    };
    const kinds = [...pods, clash].map((p) => {
      const decision = decide(podSubject(p), 'enforce', view, POD_RULES);
      if (decision.admits !== undefined) reserving.reserve(decision.admits);
      return decision.kind;
    });
    expect(kinds.filter((k) => k === 'deny')).toHaveLength(1);
    expect(kinds.at(-1)).toBe('deny');
    expect(examined).toBe(1);
  });

  it('denies the one colliding pod among them', () => {
    const objects: ManifestObject[] = [...pods, clash].map((p, i) => ({
      origin: { file: 'pods.yaml', document: i + 1 },
      object: { kind: 'Pod', metadata: p.metadata, spec: p.spec },
      namespace: 'team-a',
      name: p.metadata.name ?? '',
    }));
    const index = new PodIndex();
    const state: ClusterState = { view: index, namespaces: index };
    const checked = decideAll({ objects, skipped: [], errors: [] }, state, { mode: 'enforce', exemptNamespaces: [], ...POD_RULES });
    expect(checked.filter((c) => c.decision.kind === 'deny').map((c) => c.name)).toEqual(['clash']);
  });
});

describe('preemption past the listed conflicts', () => {
  /** A pod at `priority` on worker-1, or placed there by the scheduler through its hostname label when `scheduled`. */
  function prioritized(name: string, ports: readonly ContainerPortSpec[], priority: number, scheduled = false): PodLike {
    const spec = { hostNetwork: false, priority, containers: [container('c', ports)] };
    const placed = scheduled ? { ...spec, nodeName: '', nodeSelector: { 'kubernetes.io/hostname': 'worker-1' } } : { ...spec, nodeName: 'worker-1' };
    return pod({ metadata: { name, namespace: 'team-a', uid: `uid-${name}` }, spec: placed });
  }
  // As many ports as a pod may declare: more conflicts than are listed.
  const many = MAX_HOST_PORTS;
  const incoming = prioritized('new', numbered(many, 20000), 50, true);

  function decideOver(...holders: PodLike[]): Decision {
    const index = new PodIndex();
    index.replaceAllNodes([{ name: 'worker-1', labels: { 'kubernetes.io/hostname': 'worker-1' } }]);
    index.replaceAllPods(holders);
    return decide(podSubject(incoming), 'enforce', index, POD_RULES);
  }

  it('admits a pod whose every holder, listed or only counted, has a lower priority', () => {
    const decision = decideOver(prioritized('low', numbered(many, 20000), 0));
    expect([decision.kind, decision.conflicts.length, decision.conflictCount]).toEqual(['warn', MAX_LISTED_CONFLICTS, many]);
    expect(messagesOf(decision)[0]).toMatch(/^pod preempts lower-priority pod team-a\/low /);
  });

  it('denies it when a holder it cannot preempt is only counted, past the listed conflicts', () => {
    // The higher-priority holder's port comes last: its conflict is past the list.
    const decision = decideOver(prioritized('low', numbered(many - 1, 20000), 0), prioritized('high', numbered(1, 20000 + many - 1), 100));
    expect(decision.conflicts.some((c) => c.kind === 'pod' && c.holder.name === 'high')).toBe(false);
    expect([decision.kind, decision.conflictCount]).toEqual(['deny', many]);
  });
});
