/**
 * Decisions for pods the scheduler places, made from the index's summaries of held ports
 * (port-summary.ts), against the same decisions made by meeting every holder: the search
 * through every holder is the oracle, and the two must agree in everything a decision
 * says, for any cluster. A summary is used only where it gives that same answer.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import type { Decision, DecideOptions, Mode } from '../../../src/admission/decide.js';
import { decide, MAX_LISTED_CONFLICTS } from '../../../src/admission/decide.js';
import type { Subject } from '../../../src/admission/subject.js';
import type { NodeEntry } from '../../../src/cluster/pod-index.js';
import { PodIndex } from '../../../src/cluster/pod-index.js';
import { ReservingView } from '../../../src/cluster/reservations.js';
import { occupantWithPorts } from '../../../src/engine/occupancy.js';
import { hostPortsOf } from '../../../src/engine/host-ports.js';
import type { HeldPort, PodLike, PodSpecLike, PortTriple, Taint } from '../../../src/engine/types.js';
import type { PortView } from '../../../src/engine/view.js';
import { container, DEFAULT_RULES, portSpec, workloadSubject } from '../../fixtures/pods.js';

const GPU: Taint = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };
const NODE_NAMES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
/** A node some pods sit on that the index does not know: it counts as a candidate. */
const UNKNOWN_NODE = 'node-gone';
const NAMES = ['exporter-1', 'exporter-2', 'exporter-3', 'web-7d9f5c8b6d-x2x8k', 'lb-0', 'lb-1'];
const NAMESPACES = ['kube-system', 'team-a'];
const PORTS = [80, 9100];
const HOST_IPS = ['', '', '', '', '', '0.0.0.0', '10.0.0.1', '::'];
const OWNERS = [
  undefined,
  { kind: 'DaemonSet', name: 'exporter', uid: 'ds-exporter' },
  { kind: 'ReplicaSet', name: 'web-7d9f5c8b6d', uid: 'rs-web' },
  { kind: 'StatefulSet', name: 'lb', uid: 'sts-lb' },
];

const portArb = fc.record({ port: fc.constantFrom(...PORTS), udp: fc.boolean(), hostIP: fc.constantFrom(...HOST_IPS) });

function portsSpec(ports: readonly { port: number; udp: boolean; hostIP: string }[]) {
  return ports.map((p) => portSpec(p.port, { protocol: p.udp ? 'UDP' : 'TCP', ...(p.hostIP === '' ? {} : { hostIP: p.hostIP }) }));
}

const nodeArb = fc.record({ gpu: fc.boolean(), zone: fc.constantFrom('z1', 'z2'), cordoned: fc.boolean() });

const holderArb = fc.record({
  name: fc.constantFrom(...NAMES),
  namespace: fc.constantFrom(...NAMESPACES),
  node: fc.constantFrom(...NODE_NAMES, UNKNOWN_NODE),
  ports: fc.array(portArb, { minLength: 1, maxLength: 2 }),
  terminating: fc.constantFrom(false, false, false, false, false, true),
  priority: fc.constantFrom<number | undefined>(undefined, 0, 1000, 2_000_000_000),
  priorityClassName: fc.constantFrom<string | undefined>(undefined, 'high', 'missing'),
  owner: fc.constantFrom(...OWNERS),
});

const subjectArb = fc.record({
  workload: fc.constantFrom<string | undefined>(undefined, undefined, 'Deployment', 'DaemonSet', 'StatefulSet'),
  name: fc.constantFrom('new-pod', ...NAMES, 'exporter', 'web', 'lb'),
  namespace: fc.constantFrom(...NAMESPACES),
  uid: fc.constantFrom('uid-new', 'uid-other'),
  hostNetwork: fc.boolean(),
  ports: fc.array(portArb, { minLength: 1, maxLength: 3 }),
  gpuOnly: fc.boolean(),
  toleratesGpu: fc.boolean(),
  zone: fc.constantFrom<string | undefined>(undefined, undefined, 'z1'),
  byName: fc.constantFrom(false, false, false, true),
  priority: fc.constantFrom<number | undefined>(undefined, 0, 500, 1500),
  preempts: fc.boolean(),
});

type HolderFacts = typeof holderArb extends fc.Arbitrary<infer T> ? T : never;
type SubjectFacts = typeof subjectArb extends fc.Arbitrary<infer T> ? T : never;

function holderPod(h: HolderFacts, i: number): PodLike {
  return {
    metadata: {
      name: h.name,
      namespace: h.namespace,
      uid: `uid-${h.name}-${i}`,
      ...(h.terminating ? { deletionTimestamp: '2026-11-30T00:00:00Z' } : {}),
      ...(h.owner === undefined ? {} : { ownerReferences: [{ ...h.owner, controller: true }] }),
    },
    spec: {
      nodeName: h.node,
      hostNetwork: false,
      // A container per port: holders that tie in the warnings' order still differ in what they say.
      containers: portsSpec(h.ports).map((p, k) => container(`c${k}`, [p])),
      ...(h.priority === undefined ? {} : { priority: h.priority }),
      ...(h.priorityClassName === undefined ? {} : { priorityClassName: h.priorityClassName }),
    },
    status: { phase: 'Running' },
  };
}

function nodeEntries(nodes: readonly { gpu: boolean; zone: string; cordoned: boolean }[]): NodeEntry[] {
  return nodes.map((n, i) => ({
    name: NODE_NAMES[i] ?? `node-${i}`,
    labels: { 'kubernetes.io/hostname': NODE_NAMES[i] ?? `node-${i}`, zone: n.zone, ...(n.gpu ? { pool: 'gpu' } : {}) },
    ...(n.gpu ? { taints: [GPU] } : {}),
    ...(n.cordoned ? { unschedulable: true } : {}),
  }));
}

function subjectOf(s: SubjectFacts): Subject {
  const spec: PodSpecLike = {
    hostNetwork: s.hostNetwork,
    containers: [container('app', portsSpec(s.ports))],
    ...(s.gpuOnly ? { nodeSelector: { pool: 'gpu' } } : {}),
    ...(s.toleratesGpu ? { tolerations: [{ key: GPU.key, operator: 'Exists' }] } : {}),
    ...(s.zone === undefined && !s.byName
      ? {}
      : {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  s.byName
                    ? { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a', 'node-b'] }] }
                    : { matchExpressions: [{ key: 'zone', operator: 'In', values: [s.zone ?? 'z1'] }] },
                ],
              },
            },
          },
        }),
    ...(s.priority === undefined ? {} : { priority: s.priority, preemptionPolicy: s.preempts ? 'PreemptLowerPriority' : 'Never' }),
  };
  if (s.workload !== undefined) return workloadSubject(s.workload, `${s.namespace}/${s.name}`, spec, `uid-${s.workload}`);
  const pod: PodLike = { metadata: { name: s.name, namespace: s.namespace, uid: s.uid }, spec };
  return { kind: 'Pod', ref: { namespace: s.namespace, name: s.name, uid: s.uid }, pod, mirror: false };
}

/** `view` without its summaries: every decision meets every holder. */
function searching(view: PortView): PortView {
  return {
    heldOn: (node, port) => view.heldOn(node, port),
    heldAnywhere: (port) => view.heldAnywhere(port),
    nodeForHostname: (hostname) => view.nodeForHostname(hostname),
    nodeCount: () => view.nodeCount(),
    node: (name) => view.node(name),
    countNodes: (filter) => view.countNodes(filter),
    priorityClass: (name) => view.priorityClass(name),
    defaultPriorityClass: () => view.defaultPriorityClass(),
  };
}

/** `view`, telling whether a decision met a holder one by one (a lookup that found any). */
function watched(view: PortView): { view: PortView; met: () => boolean; summarised: () => boolean } {
  let met = false;
  let summarised = false;
  const found = (held: Iterable<HeldPort>): Iterable<HeldPort> => {
    const list = [...held];
    if (list.length > 0) met = true;
    return list;
  };
  return {
    view: {
      ...searching(view),
      heldAnywhere: (port) => found(view.heldAnywhere(port)),
      heldOn: (node, port) => found(view.heldOn(node, port)),
      summary: (port: PortTriple, order, named) => {
        const summary = view.summary?.(port, order, named);
        if (summary !== undefined) summarised = true;
        return summary;
      },
      mayHold: (ref) => view.mayHold?.(ref) ?? true,
    },
    met: () => met,
    summarised: () => summarised,
  };
}

function indexOf(nodes: readonly { gpu: boolean; zone: string; cordoned: boolean }[], holders: readonly HolderFacts[]): PodIndex {
  const index = new PodIndex();
  index.replaceAllNodes(nodeEntries(nodes));
  index.upsertPriorityClass({ name: 'high', value: 1000, globalDefault: false });
  holders.forEach((h, i) => {
    index.upsertPod(holderPod(h, i));
  });
  return index;
}

const MODES: readonly Mode[] = ['enforce', 'warn', 'audit'];

describe('decisions from summaries of held ports', () => {
  it('agree with the search through every holder, for any cluster and any pod the scheduler places', () => {
    let fromSummaries = 0;
    let conflicting = 0;
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
        fc.array(holderArb, { maxLength: 14 }),
        subjectArb,
        fc.constantFrom(...MODES),
        fc.constantFrom<number | undefined>(undefined, 1, 2, 20),
        fc.boolean(),
        (nodes, drawn, s, mode, listed, uniform) => {
          // Half the clusters hold ports only on the IPv4 wildcard, as summaries need.
          const holders = uniform ? drawn.map((h) => ({ ...h, ports: h.ports.map((p) => ({ ...p, hostIP: '' })) })) : drawn;
          const index = indexOf(nodes, holders);
          const subject = subjectOf(s);
          const options: DecideOptions = listed === undefined ? {} : { listedAcrossNodes: listed };
          const probe = watched(index);
          const summarised = decide(subject, mode, probe.view, DEFAULT_RULES, options);
          const searched = decide(subject, mode, searching(index), DEFAULT_RULES, options);
          expect(summarised).toEqual(searched);
          if (searched.conflictCount > 0) conflicting += 1;
          if (probe.summarised() && !probe.met() && searched.conflictCount > 0) fromSummaries += 1;
        },
      ),
      { numRuns: 1500 },
    );
    // The property says nothing unless summaries answer a good share of the cases with conflicts.
    expect(fromSummaries).toBeGreaterThan(conflicting / 4);
  });

  it('agree after the cluster changes under a kept summary', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
        fc.array(holderArb, { maxLength: 10 }),
        fc.array(fc.oneof(holderArb.map((h) => ({ op: 'add' as const, h })), fc.nat(9).map((i) => ({ op: 'delete' as const, i })), nodeArb.map((n) => ({ op: 'node' as const, n })))),
        subjectArb,
        (nodes, holders, changes, s) => {
          const index = indexOf(nodes, holders);
          const subject = subjectOf(s);
          const same = (): void => {
            expect(decide(subject, 'enforce', index, DEFAULT_RULES)).toEqual(decide(subject, 'enforce', searching(index), DEFAULT_RULES));
          };
          same();
          changes.forEach((c, n) => {
            if (c.op === 'add') index.upsertPod(holderPod(c.h, 100 + n));
            else if (c.op === 'delete') {
              const h = holders[c.i];
              if (h !== undefined) index.deletePod({ namespace: h.namespace, name: h.name });
            } else {
              const [entry] = nodeEntries([c.n]).map((e, i) => ({ ...e, name: NODE_NAMES[n % NODE_NAMES.length] ?? `node-${i}` }));
              if (entry !== undefined) index.upsertNode(entry);
            }
            same();
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agree behind reservations, which a summary does not show', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 5 }), fc.array(holderArb, { maxLength: 10 }), holderArb, subjectArb, (nodes, holders, reserved, s) => {
        const index = indexOf(nodes, holders);
        const view = new ReservingView(index, { now: () => 0, ttlMs: 1000 });
        const pod = holderPod(reserved, 999);
        const occupant = occupantWithPorts(pod, hostPortsOf(pod.spec));
        if (occupant !== undefined) view.reserve(occupant);
        const subject = subjectOf(s);
        expect(decide(subject, 'enforce', view, DEFAULT_RULES)).toEqual(decide(subject, 'enforce', searching(view), DEFAULT_RULES));
      }),
      { numRuns: 500 },
    );
  });
});

describe('holders the warnings order as equals', () => {
  it('are named in the order the search meets them, even on nodes of different traits', () => {
    // Two spellings of one name compare equal; pods known by a generateName prefix share a name.
    // The search meets them node by node: the tainted node's holder before the last one's.
    const nodes = ['z', 'caf\u00e9', 'cafe\u0301'];
    const index = new PodIndex();
    index.replaceAllNodes([{ name: nodes[0] ?? '' }, { name: nodes[1] ?? '', taints: [GPU] }, { name: nodes[2] ?? '' }]);
    nodes.forEach((node, i) => {
      index.upsertPod({
        metadata: { generateName: 'a-', namespace: 'o', uid: `uid-${i}` },
        spec: { nodeName: node, containers: [container(`c${i}`, [portSpec(7000)])] },
        status: { phase: 'Running' },
      });
    });
    // A DaemonSet without a uid: its warning is short enough to name a holder's node, and with
    // pods known only by their uid indexed, a subject with one might be among them.
    const spec: PodSpecLike = { containers: [container('p', [portSpec(7000)])], tolerations: [{ operator: 'Exists' }] };
    const subject: Subject = { kind: 'Workload', workloadKind: 'DaemonSet', ref: { namespace: 'o', name: 'd' }, spec };
    const probe = watched(index);
    const decision = decide(subject, 'enforce', probe.view, DEFAULT_RULES);
    expect(decision.kind === 'warn' ? decision.warnings : []).toEqual([
      'hostPort 7000/TCP is taken on 3 of 3 candidate nodes: caf\u00e9 by o/a-* (generated), and 2 more; its pods cannot run there',
    ]);
    expect(probe.met()).toBe(false);
    expect(decision).toEqual(decide(subject, 'enforce', searching(index), DEFAULT_RULES));
  });
});

describe('a pod the scheduler places, against a DaemonSet holding its port on every node', () => {
  const NODES = 300;
  function cluster(): PodIndex {
    const index = new PodIndex();
    index.replaceAllNodes(
      Array.from({ length: NODES }, (_, i) => ({
        name: `node-${String(i).padStart(4, '0')}`,
        labels: { 'kubernetes.io/hostname': `node-${String(i).padStart(4, '0')}` },
        ...(i % 4 === 3 ? { taints: [GPU] } : {}),
      })),
    );
    for (let i = 0; i < NODES; i++) {
      const node = `node-${String(i).padStart(4, '0')}`;
      index.upsertPod({
        metadata: { name: `exporter-${node}`, namespace: 'monitoring', uid: `uid-${i}`, ownerReferences: [{ kind: 'DaemonSet', name: 'exporter', uid: 'ds', controller: true }] },
        spec: { nodeName: node, hostNetwork: true, containers: [container('exporter', [portSpec(9100)])], tolerations: [{ operator: 'Exists' }] },
        status: { phase: 'Running' },
      });
    }
    return index;
  }
  const subject: Subject = {
    kind: 'Pod',
    ref: { namespace: 'team-a', name: 'scraper', uid: 'uid-scraper' },
    pod: { metadata: { name: 'scraper', namespace: 'team-a', uid: 'uid-scraper' }, spec: { hostNetwork: true, containers: [container('app', [portSpec(9100)])] } },
    mirror: false,
  };

  it('is decided from the summary, without meeting the holders, and says what the search says', () => {
    const index = cluster();
    const probe = watched(index);
    const decision: Decision = decide(subject, 'enforce', probe.view, DEFAULT_RULES, { listedAcrossNodes: 20 });
    expect(probe.summarised()).toBe(true);
    expect(probe.met()).toBe(false);
    expect(decision).toEqual(decide(subject, 'enforce', searching(index), DEFAULT_RULES, { listedAcrossNodes: 20 }));
    expect(decision.kind).toBe('warn');
    expect(decision.conflictCount).toBe(225);
    expect(decision.conflicts).toHaveLength(20);
    expect(decision.kind === 'warn' ? decision.warnings : []).toEqual([
      'hostNetwork port 9100/TCP is taken on 225 of 225 candidate nodes by monitoring/exporter-node-0000 and 224 more; pods needing it cannot run there',
    ]);
  });

  it('decides an update of that DaemonSet from the summary: its own pods are passed over', () => {
    const index = cluster();
    const spec: PodSpecLike = { hostNetwork: true, containers: [container('exporter', [portSpec(9100)])], tolerations: [{ operator: 'Exists' }] };
    const update = workloadSubject('DaemonSet', 'monitoring/exporter', spec, 'ds');
    const probe = watched(index);
    const decision = decide(update, 'enforce', probe.view, DEFAULT_RULES);
    expect(probe.met()).toBe(false);
    expect(decision).toEqual(decide(update, 'enforce', searching(index), DEFAULT_RULES));
    expect(decision.kind).toBe('allow');
    // Another DaemonSet on the same port meets them all.
    const other = workloadSubject('DaemonSet', 'monitoring/agent', spec, 'ds-agent');
    const clash = decide(other, 'enforce', probe.view, DEFAULT_RULES);
    expect(clash).toEqual(decide(other, 'enforce', searching(index), DEFAULT_RULES));
    expect(clash.conflictCount).toBe(NODES);
  });

  it('lists every conflict the search lists when asked for all', () => {
    const index = cluster();
    const all = decide(subject, 'enforce', index, DEFAULT_RULES);
    expect(all.conflicts).toHaveLength(Math.min(225, MAX_LISTED_CONFLICTS));
    expect(all).toEqual(decide(subject, 'enforce', searching(index), DEFAULT_RULES));
  });

  it('is decided from the summary while a holder is terminating, and names where the port is being freed', () => {
    const index = cluster();
    index.upsertPod({
      metadata: { name: 'exporter-node-0000', namespace: 'monitoring', uid: 'uid-0', deletionTimestamp: '2026-11-30T00:00:00Z', ownerReferences: [{ kind: 'DaemonSet', name: 'exporter', uid: 'ds', controller: true }] },
      spec: { nodeName: 'node-0000', hostNetwork: true, containers: [container('exporter', [portSpec(9100)])] },
      status: { phase: 'Running' },
    });
    const probe = watched(index);
    const decision = decide(subject, 'enforce', probe.view, DEFAULT_RULES);
    expect(probe.met()).toBe(false);
    expect(decision).toEqual(decide(subject, 'enforce', searching(index), DEFAULT_RULES));
    expect(decision.conflictCount).toBe(225);
    expect(decision.kind === 'warn' ? decision.warnings : []).toEqual([
      'hostNetwork port 9100/TCP is taken on 224 of 225 candidate nodes by monitoring/exporter-node-0001 and 223 more; pods needing it cannot run there',
      'hostNetwork port 9100/TCP is being freed on 1 of 225 candidate nodes by monitoring/exporter-node-0000; pods needing it wait there',
    ]);
  });
});
