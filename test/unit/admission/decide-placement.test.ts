/**
 * Decisions for pods the scheduler places: only their candidate nodes (those the
 * scheduler's filters let them onto) are searched and counted, and a pod that only
 * meets lower-priority holders is admitted, because the scheduler preempts them.
 */
import { describe, expect, it } from '@jest/globals';

import type { Decision } from '../../../src/admission/decide.js';
import { decide, messagesOf } from '../../../src/admission/decide.js';
import type { Subject } from '../../../src/admission/subject.js';
import type { PriorityClassInfo } from '../../../src/engine/priority.js';
import type { Occupant, PodLike, PodSpecLike, Taint } from '../../../src/engine/types.js';
import type { PortView } from '../../../src/engine/view.js';
import type { DecideRow } from '../../fixtures/decisions.js';
import { decideRow } from '../../fixtures/decisions.js';
import type { FixtureNode } from '../../fixtures/pods.js';
import {
  container,
  daemonSetTerm,
  DEFAULT_RULES,
  hostPort,
  occupant,
  pod,
  podSubject,
  portSpec,
  ref,
  requiredAffinity,
  unboundSpec,
  viewOf,
  workloadSubject,
} from '../../fixtures/pods.js';

const CONTROL_PLANE: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
const CRITICAL = 2_000_000_000;

/** A k3s-like cluster: a tainted server node, two agents (one in the ingress pool), one cordoned agent. */
const K3S: readonly FixtureNode[] = [
  { name: 'server-1', labels: { 'node-role.kubernetes.io/control-plane': 'true' }, taints: [CONTROL_PLANE] },
  { name: 'agent-1', labels: { 'ingress-ready': 'true' } },
  { name: 'agent-2' },
  { name: 'agent-3', unschedulable: true },
];

/** ServiceLB's pod holding 80/TCP (hostPort) on `node`, at priority 0. */
function svclb(node: string, overrides: Partial<Occupant> = {}): Occupant {
  return occupant({
    pod: ref(`kube-system/svclb-traefik-${node}`),
    node,
    hostNetwork: false,
    ports: [hostPort({ port: 80, container: 'lb-tcp-80' })],
    owner: { kind: 'DaemonSet', name: 'svclb-traefik', uid: 'ds-svclb' },
    priority: 0,
    ...overrides,
  });
}

const SVCLB_EVERYWHERE = K3S.map((n) => svclb(n.name));

/** A pod template holding 80/TCP with a hostPort. */
function template(overrides: Partial<PodSpecLike> = {}): PodSpecLike {
  return unboundSpec({ hostNetwork: false, containers: [container('controller', [portSpec(80, { containerPort: 8080 })])], ...overrides });
}

/** A pod of DaemonSet `ds`, pinned to `node` by the controller's affinity. */
function daemonPod(ds: string, node: string, overrides: Partial<PodSpecLike> = {}, uid = `uid-${ds}-${node}`): PodLike {
  return {
    metadata: { name: `${ds}-${node}`, namespace: 'monitoring', uid, ownerReferences: [{ kind: 'DaemonSet', name: ds, uid: `ds-${ds}`, controller: true }] },
    spec: template({ affinity: requiredAffinity([daemonSetTerm(node)]), ...overrides }),
  };
}

/** A compact view of a decision for these cases: holders by name, and whether it reserves. */
function summary(d: Decision) {
  return {
    kind: d.kind,
    messages: messagesOf(d),
    conflicts: d.conflicts.map((c) => `${c.node ?? '*'} ${c.kind === 'pod' ? c.holder.name : c.held.owner}`),
    admits: d.admits !== undefined,
  };
}

type Row = DecideRow<ReturnType<typeof summary>>;

const candidateRows: readonly Row[] = [
  {
    name: 'finds nothing for an ingress DaemonSet whose nodeSelector keeps it off every node where the port is taken',
    subject: workloadSubject('DaemonSet', 'ingress/ingress-nginx-controller', template({ nodeSelector: { 'ingress-ready': 'true' } })),
    view: viewOf([svclb('server-1'), svclb('agent-2')], K3S),
    want: { kind: 'allow', messages: [], conflicts: [], admits: false },
  },
  {
    name: "counts only a DaemonSet's candidate nodes: not the tainted server, but the cordoned agent (its pods tolerate cordons)",
    subject: workloadSubject('DaemonSet', 'kube-system/traefik', template()),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: {
      kind: 'warn',
      messages: ['hostPort 80/TCP is taken on 3 of 3 candidate nodes by kube-system/svclb-traefik-agent-1 and 2 more; its pods cannot run there'],
      conflicts: ['agent-1 svclb-traefik-agent-1', 'agent-2 svclb-traefik-agent-2', 'agent-3 svclb-traefik-agent-3'],
      admits: false,
    },
  },
  {
    name: 'counts the tainted server too for a DaemonSet that tolerates its taint',
    subject: workloadSubject('DaemonSet', 'kube-system/traefik', template({ tolerations: [{ key: CONTROL_PLANE.key, operator: 'Exists', effect: 'NoSchedule' }] })),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: {
      kind: 'warn',
      messages: ['hostPort 80/TCP is taken on 4 of 4 candidate nodes by kube-system/svclb-traefik-agent-1 and 3 more; its pods cannot run there'],
      conflicts: ['server-1 svclb-traefik-server-1', 'agent-1 svclb-traefik-agent-1', 'agent-2 svclb-traefik-agent-2', 'agent-3 svclb-traefik-agent-3'],
      admits: false,
    },
  },
  {
    name: 'leaves cordoned nodes out for a Deployment, whose pods do not tolerate the cordon',
    subject: workloadSubject('Deployment', 'web/traefik', template()),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: {
      kind: 'warn',
      messages: ['hostPort 80/TCP is taken on 2 of 2 candidate nodes by kube-system/svclb-traefik-agent-1 and 1 more; pods needing it cannot run there'],
      conflicts: ['agent-1 svclb-traefik-agent-1', 'agent-2 svclb-traefik-agent-2'],
      admits: false,
    },
  },
  {
    name: "follows an unpinned pod's required node affinity",
    subject: podSubject({
      metadata: { name: 'edge', namespace: 'web', uid: 'uid-edge' },
      spec: template({ affinity: requiredAffinity([{ matchExpressions: [{ key: 'ingress-ready', operator: 'DoesNotExist' }] }]) }),
    }),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: {
      kind: 'warn',
      messages: ['hostPort 80/TCP is taken on 1 of 1 candidate nodes by kube-system/svclb-traefik-agent-2; pods needing it cannot run there'],
      conflicts: ['agent-2 svclb-traefik-agent-2'],
      admits: false,
    },
  },
  {
    name: 'admits a DaemonSet pod pinned to a node its tolerations keep it off: the scheduler never binds it there',
    subject: podSubject(daemonPod('exporter', 'server-1')),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: { kind: 'allow', messages: [], conflicts: [], admits: true },
  },
  {
    name: 'admits a pod whose hostname selector names a node its tolerations keep it off',
    subject: podSubject({ metadata: { name: 'probe', namespace: 'web', uid: 'uid-probe' }, spec: template({ nodeSelector: { 'kubernetes.io/hostname': 'server-1' } }) }),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: { kind: 'allow', messages: [], conflicts: [], admits: true },
  },
  {
    name: 'still denies a nodeName pod on a tainted node: it bypasses the scheduler and its filters',
    subject: podSubject(pod({ metadata: { name: 'probe', namespace: 'web', uid: 'uid-probe' }, spec: template({ nodeName: 'server-1' }) })),
    view: viewOf(SVCLB_EVERYWHERE, K3S),
    want: {
      kind: 'deny',
      messages: ['hostPort 80/TCP on node server-1 is already used by pod kube-system/svclb-traefik-server-1 (container lb-tcp-80); pick another port or node'],
      conflicts: ['server-1 svclb-traefik-server-1'],
      admits: false,
    },
  },
  {
    name: 'counts a holder on a node the view does not know, giving it the benefit of the doubt',
    subject: workloadSubject('Deployment', 'web/traefik', template()),
    view: viewOf([svclb('agent-9')], []),
    want: {
      kind: 'warn',
      messages: ['hostPort 80/TCP is taken on 1 of 1 candidate nodes by kube-system/svclb-traefik-agent-9; pods needing it cannot run there'],
      conflicts: ['agent-9 svclb-traefik-agent-9'],
      admits: false,
    },
  },
];

/** A critical PriorityClass as a cluster's own. */
const CLASSES: readonly PriorityClassInfo[] = [{ name: 'never-preempts', value: 5000, globalDefault: false, preemptionPolicy: 'Never' }];

/** The same cluster, with the PriorityClasses. */
function clusterOf(occupants: readonly Occupant[]): PortView {
  return viewOf(occupants, K3S, {}, CLASSES);
}

const criticalExporter = (node: string, overrides: Partial<PodSpecLike> = {}): Subject =>
  podSubject(daemonPod('exporter', node, { priorityClassName: 'system-cluster-critical', priority: CRITICAL, ...overrides }));

const preemptionRows: readonly Row[] = [
  {
    name: 'admits a critical DaemonSet pod whose only holder has a lower priority, naming the pod the scheduler evicts',
    subject: criticalExporter('agent-1'),
    view: clusterOf([svclb('agent-1')]),
    want: {
      kind: 'warn',
      messages: ['pod preempts lower-priority pod kube-system/svclb-traefik-agent-1 on node agent-1 for hostPort 80/TCP'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: true,
    },
  },
  {
    name: 'says the same in warn mode',
    subject: criticalExporter('agent-1'),
    mode: 'warn',
    view: clusterOf([svclb('agent-1')]),
    want: {
      kind: 'warn',
      messages: ['pod preempts lower-priority pod kube-system/svclb-traefik-agent-1 on node agent-1 for hostPort 80/TCP'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: true,
    },
  },
  {
    name: 'resolves a template-like pod without spec.priority from its class',
    subject: podSubject(daemonPod('exporter', 'agent-1', { priorityClassName: 'system-node-critical' })),
    view: clusterOf([svclb('agent-1', { priority: 2_000_000_000 })]),
    want: {
      kind: 'warn',
      messages: ['pod preempts lower-priority pod kube-system/svclb-traefik-agent-1 on node agent-1 for hostPort 80/TCP'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: true,
    },
  },
  {
    name: 'denies it when the holder has the same priority: the scheduler evicts only lower ones',
    subject: criticalExporter('agent-1'),
    view: clusterOf([svclb('agent-1', { priority: CRITICAL })]),
    want: {
      kind: 'deny',
      messages: ['hostPort 80/TCP on node agent-1 is already used by pod kube-system/svclb-traefik-agent-1 (container lb-tcp-80); pick another port or node'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: false,
    },
  },
  {
    name: 'denies it when its preemptionPolicy is Never',
    subject: criticalExporter('agent-1', { preemptionPolicy: 'Never' }),
    view: clusterOf([svclb('agent-1')]),
    want: {
      kind: 'deny',
      messages: ['hostPort 80/TCP on node agent-1 is already used by pod kube-system/svclb-traefik-agent-1 (container lb-tcp-80); pick another port or node'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: false,
    },
  },
  {
    name: "denies it when its class's preemptionPolicy is Never",
    subject: podSubject(daemonPod('exporter', 'agent-1', { priorityClassName: 'never-preempts' })),
    view: clusterOf([svclb('agent-1')]),
    want: {
      kind: 'deny',
      messages: ['hostPort 80/TCP on node agent-1 is already used by pod kube-system/svclb-traefik-agent-1 (container lb-tcp-80); pick another port or node'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: false,
    },
  },
  {
    name: 'denies it when one of its holders on the node is not lower',
    subject: podSubject(daemonPod('exporter', 'agent-1', { priority: 100, containers: [container('e', [portSpec(80), portSpec(9100)])] })),
    view: clusterOf([svclb('agent-1'), occupant({ pod: ref('monitoring/old-exporter'), node: 'agent-1', ports: [hostPort({ port: 9100 })], priority: 100 })]),
    want: {
      kind: 'deny',
      messages: [
        'hostPorts on node agent-1 are already used: 80/TCP by pod kube-system/svclb-traefik-agent-1 (container lb-tcp-80),' +
          ' 9100/TCP by pod monitoring/old-exporter (container web); pick other ports or another node',
      ],
      conflicts: ['agent-1 svclb-traefik-agent-1', 'agent-1 old-exporter'],
      admits: false,
    },
  },
  {
    name: 'denies a nodeName pod of any priority: the kubelet never preempts for ports',
    subject: podSubject(pod({ metadata: { name: 'probe', namespace: 'web', uid: 'uid-probe' }, spec: template({ nodeName: 'agent-1', priority: CRITICAL }) })),
    view: clusterOf([svclb('agent-1')]),
    want: {
      kind: 'deny',
      messages: ['hostPort 80/TCP on node agent-1 is already used by pod kube-system/svclb-traefik-agent-1 (container lb-tcp-80); pick another port or node'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: false,
    },
  },
  {
    name: 'admits a high-priority pod pinned by a hostname selector, naming the pod it evicts',
    subject: podSubject({ metadata: { name: 'probe', namespace: 'web', uid: 'uid-probe' }, spec: template({ nodeSelector: { 'kubernetes.io/hostname': 'agent-2' }, priority: 10 }) }),
    view: clusterOf([svclb('agent-2')]),
    want: {
      kind: 'warn',
      messages: ['pod preempts lower-priority pod kube-system/svclb-traefik-agent-2 on node agent-2 for hostPort 80/TCP (priority 0 < 10)'],
      conflicts: ['agent-2 svclb-traefik-agent-2'],
      admits: true,
    },
  },
  {
    name: 'evicts the live lower-priority holder and waits for the terminating one',
    subject: criticalExporter('agent-1'),
    view: clusterOf([svclb('agent-1'), svclb('agent-1', { pod: ref('kube-system/svclb-old'), terminating: true, priority: CRITICAL })]),
    want: {
      kind: 'warn',
      messages: [
        'pod preempts lower-priority pod kube-system/svclb-traefik-agent-1 on node agent-1 for hostPort 80/TCP',
        'pod waits for terminating pod kube-system/svclb-old to free hostPort 80/TCP on node agent-1 (container lb-tcp-80)',
      ],
      conflicts: ['agent-1 svclb-traefik-agent-1', 'agent-1 svclb-old'],
      admits: true,
    },
  },
  {
    name: 'denies it when the holder names a class the view does not know: its priority is not known',
    subject: criticalExporter('agent-1'),
    view: clusterOf([svclb('agent-1', { priorityClassName: 'mystery' })].map(({ priority: _p, ...o }) => o)),
    want: {
      kind: 'deny',
      messages: ['hostPort 80/TCP on node agent-1 is already used by pod kube-system/svclb-traefik-agent-1 (container lb-tcp-80); pick another port or node'],
      conflicts: ['agent-1 svclb-traefik-agent-1'],
      admits: false,
    },
  },
  {
    name: 'tells a critical DaemonSet its pods will preempt the lower-priority holders on its candidate nodes',
    subject: workloadSubject('DaemonSet', 'monitoring/node-exporter', template({ priorityClassName: 'system-cluster-critical' })),
    view: clusterOf(SVCLB_EVERYWHERE),
    want: {
      kind: 'warn',
      messages: ['hostPort 80/TCP is taken on 3 of 3 candidate nodes by lower-priority kube-system/svclb-traefik-agent-1 and 2 more; its pods will preempt them'],
      conflicts: ['agent-1 svclb-traefik-agent-1', 'agent-2 svclb-traefik-agent-2', 'agent-3 svclb-traefik-agent-3'],
      admits: false,
    },
  },
  {
    name: 'tells a high-priority pod the scheduler places apart the nodes it may preempt on from those it cannot',
    subject: podSubject({ metadata: { name: 'edge', namespace: 'web', uid: 'uid-edge' }, spec: template({ priority: 10 }) }),
    view: clusterOf([svclb('agent-1'), svclb('agent-2', { priority: 10 })]),
    want: {
      kind: 'warn',
      messages: [
        'hostPort 80/TCP is taken on 1 of 2 candidate nodes by kube-system/svclb-traefik-agent-2; pods needing it cannot run there',
        'hostPort 80/TCP is taken on 1 of 2 candidate nodes by lower-priority kube-system/svclb-traefik-agent-1; the scheduler may preempt them',
      ],
      conflicts: ['agent-1 svclb-traefik-agent-1', 'agent-2 svclb-traefik-agent-2'],
      admits: false,
    },
  },
  {
    name: 'counts a node as taken for every port when one of its holders there outranks the pod',
    subject: workloadSubject('DaemonSet', 'monitoring/node-exporter', template({ priority: 10, containers: [container('e', [portSpec(80), portSpec(9100)])] })),
    view: clusterOf([svclb('agent-2'), occupant({ pod: ref('monitoring/old-exporter'), node: 'agent-2', ports: [hostPort({ port: 9100 })], priority: 10 })]),
    want: {
      kind: 'warn',
      messages: [
        'hostPort 80/TCP is taken on 1 of 3 candidate nodes by kube-system/svclb-traefik-agent-2; its pods cannot run there',
        'hostPort 9100/TCP is taken on 1 of 3 candidate nodes: agent-2 by monitoring/old-exporter; its pods cannot run there',
      ],
      conflicts: ['agent-2 svclb-traefik-agent-2', 'agent-2 old-exporter'],
      admits: false,
    },
  },
];

describe('decide over candidate nodes', () => {
  it.each(candidateRows)('$name', (row) => {
    expect(summary(decideRow(row))).toEqual(row.want);
  });
});

describe('decide with preemption', () => {
  it.each(preemptionRows)('$name', (row) => {
    expect(summary(decideRow(row))).toEqual(row.want);
  });

  it('reserves the ports of a preempting pod with its priority, so a twin created at once is decided against it', () => {
    const d = decide(criticalExporter('agent-1'), 'enforce', clusterOf([svclb('agent-1')]), DEFAULT_RULES);
    expect([d.kind, d.admits?.priority]).toEqual(['warn', CRITICAL]);
  });

  it('resolves the priority of a reserved manifest pod from its class, for the pods after it', () => {
    const first = podSubject(daemonPod('exporter', 'agent-2', { priorityClassName: 'system-cluster-critical' }));
    const d = decide(first, 'enforce', clusterOf([]), DEFAULT_RULES);
    expect(d.admits?.priority).toBe(CRITICAL);
  });
});
