import { describe, expect, it } from '@jest/globals';

import type { Mode } from '../../../src/admission/decide.js';
import { decide, messagesOf, MODES } from '../../../src/admission/decide.js';
import { MAX_WARNINGS } from '../../../src/admission/messages.js';
import { HOSTNAME_LABEL } from '../../../src/engine/target-node.js';
import type { Occupant, PodLike } from '../../../src/engine/types.js';
import type { DecideRow } from '../../fixtures/decisions.js';
import { decideRow, decisionSummary, NODES } from '../../fixtures/decisions.js';
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

/** team-a/api-7d9f holds 0.0.0.0:8080/TCP on worker-1 in container `web`. */
const API = occupant();

/** kube-system/metrics-agent-7kq2p holds 0.0.0.0:9100/TCP on worker-2 in container `agent`. */
const AGENT = occupant({
  pod: ref('kube-system/metrics-agent-7kq2p'),
  node: 'worker-2',
  ports: [hostPort({ port: 9100, container: 'agent' })],
});

/** An incoming hostNetwork pod team-b/edge-5c6b with container `proxy` on 8080, pinned by nodeName. */
function edge(overrides: Partial<PodLike['spec']> = {}, meta: Partial<PodLike['metadata']> = {}): PodLike {
  return pod({
    metadata: { name: 'edge-5c6b', namespace: 'team-b', uid: 'uid-edge', ...meta },
    spec: { nodeName: 'worker-1', containers: [container('proxy', [portSpec(8080)])], ...overrides },
  });
}

/** The DaemonSet controller's pod for node-exporter on worker-2 (no nodeName, one matchFields term). */
const EXPORTER_POD: PodLike = {
  metadata: {
    name: 'node-exporter-x2x8k',
    namespace: 'monitoring',
    uid: 'uid-exporter',
    ownerReferences: [{ kind: 'DaemonSet', name: 'node-exporter', uid: 'ds-exporter', controller: true }],
  },
  spec: unboundSpec({ containers: [container('exporter', [portSpec(9100)])], affinity: requiredAffinity([daemonSetTerm('worker-2')]) }),
};

/** A pod the scheduler will place: nothing pins it. */
const UNPINNED_POD: PodLike = { metadata: { name: 'edge-5c6b', namespace: 'team-b', uid: 'uid-edge' }, spec: unboundSpec() };

const DENY_EDGE = 'hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node';
const WARN_EDGE = 'hostNetwork port 8080/TCP on node worker-1 is used by pod team-a/api-7d9f (container web)';
const API_CONFLICT = 'worker-1 team-a/api-7d9f ipv4-wildcard';

const fourHolders = ['worker-1', 'worker-2', 'worker-3', 'worker-4'].map((node, i) =>
  occupant({ pod: ref(`team-a/api-${i}`), node }),
);

/** A case of the table: each names its mode. */
type Row = DecideRow & { readonly mode: Mode };

const rows: readonly Row[] = [
  // Pinned by nodeName
  {
    name: 'denies a pinned pod whose 8080/TCP is held on its node',
    subject: podSubject(edge()),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'deny', node: 'worker-1', messages: [DENY_EDGE], conflicts: [API_CONFLICT], admitsOn: null },
  },
  {
    name: 'warns about a pinned pod whose port is held, in warn mode',
    subject: podSubject(edge()),
    mode: 'warn',
    view: viewOf([API], NODES),
    want: { kind: 'warn', node: 'worker-1', messages: [WARN_EDGE], conflicts: [API_CONFLICT], admitsOn: 'worker-1' },
  },
  {
    name: 'allows a pinned pod whose port is held, recording the conflict, in audit mode',
    subject: podSubject(edge()),
    mode: 'audit',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: [API_CONFLICT], admitsOn: 'worker-1' },
  },
  {
    name: 'names a hostPort pod without hostNetwork as hostPort',
    subject: podSubject(edge({ hostNetwork: false })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: ['hostPort 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node'],
      conflicts: [API_CONFLICT],
      admitsOn: null,
    },
  },
  {
    name: 'denies a pinned pod whose 0.0.0.0:8080 overlaps 10.0.0.1:8080, naming the held address',
    subject: podSubject(edge()),
    mode: 'enforce',
    view: viewOf([occupant({ ports: [hostPort({ hostIP: '10.0.0.1' })] })], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: ['hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web, on 10.0.0.1:8080/TCP); pick another port or node'],
      conflicts: [API_CONFLICT],
      admitsOn: null,
    },
  },
  {
    name: 'names a terminating holder as terminating',
    subject: podSubject(edge()),
    mode: 'enforce',
    view: viewOf([occupant({ terminating: true })], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: ['hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web, terminating); pick another port or node'],
      conflicts: [API_CONFLICT],
      admitsOn: null,
    },
  },
  {
    name: 'denies a pinned pod on [::]:8080 held at 10.0.0.1:8080 and says it is stricter than the scheduler',
    subject: podSubject(edge({ hostNetwork: false, containers: [container('proxy', [portSpec(8080, { hostIP: '::' })])] })),
    mode: 'enforce',
    view: viewOf([occupant({ ports: [hostPort({ hostIP: '10.0.0.1' })] })], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: [
        'hostPort [::]:8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web, on 10.0.0.1:8080/TCP)' +
          ' (stricter than the scheduler: on Linux [::] also takes the IPv4 port); pick another port or node',
      ],
      conflicts: ['worker-1 team-a/api-7d9f ipv6-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'denies a pinned pod on fd00::1 held as fd00:0:0:0:0:0:0:1 and says why',
    subject: podSubject(edge({ hostNetwork: false, containers: [container('proxy', [portSpec(8080, { hostIP: 'fd00::1' })])] })),
    mode: 'enforce',
    view: viewOf([occupant({ ports: [hostPort({ hostIP: 'fd00:0:0:0:0:0:0:1' })] })], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: [
        'hostPort [fd00::1]:8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web, on [fd00:0:0:0:0:0:0:1]:8080/TCP)' +
          ' (stricter than the scheduler: both hostIPs are the same address); pick another port or node',
      ],
      conflicts: ['worker-1 team-a/api-7d9f same-ip-normalised'],
      admitsOn: null,
    },
  },
  {
    name: 'lists every port of a pod whose two ports are both taken',
    subject: podSubject(edge({ containers: [container('proxy', [portSpec(8080), portSpec(9090)])] })),
    mode: 'enforce',
    view: viewOf([API, occupant({ pod: ref('team-a/metrics-1'), ports: [hostPort({ port: 9090, container: 'metrics' })] })], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: [
        'hostNetwork ports on node worker-1 are already used: 8080/TCP by pod team-a/api-7d9f (container web),' +
          ' 9090/TCP by pod team-a/metrics-1 (container metrics); pick other ports or another node',
      ],
      conflicts: [API_CONFLICT, 'worker-1 team-a/metrics-1 ipv4-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'allows a pinned pod whose port is free on its node, though held elsewhere',
    subject: podSubject(edge({ nodeName: 'worker-3' })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-3', messages: [], conflicts: [], admitsOn: 'worker-3' },
  },
  {
    name: 'allows a pinned pod next to the same port on another protocol',
    subject: podSubject(edge({ containers: [container('proxy', [portSpec(8080, { protocol: 'UDP' })])] })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: [], admitsOn: 'worker-1' },
  },
  {
    name: 'allows the update of a pod that the view already holds (itself)',
    subject: podSubject(pod()),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: [], admitsOn: 'worker-1' },
  },
  {
    name: 'allows a pinned pod without host ports, with no conflicts and nothing to reserve',
    subject: podSubject(edge({ hostNetwork: false, containers: [container('proxy', [{ containerPort: 8080 }])] })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: [], admitsOn: null },
  },

  // Pinned by DaemonSet affinity or hostname selector
  {
    name: 'denies a DaemonSet pod whose node, named by its affinity, has the port taken',
    subject: podSubject(EXPORTER_POD),
    mode: 'enforce',
    view: viewOf([API, AGENT], NODES),
    want: {
      kind: 'deny',
      node: 'worker-2',
      messages: ['hostNetwork port 9100/TCP on node worker-2 is already used by pod kube-system/metrics-agent-7kq2p (container agent); pick another port or node'],
      conflicts: ['worker-2 kube-system/metrics-agent-7kq2p ipv4-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'allows a DaemonSet pod whose node has the port free, reserving it there',
    subject: podSubject(EXPORTER_POD),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-2', messages: [], conflicts: [], admitsOn: 'worker-2' },
  },
  {
    name: 'denies a pod whose hostname selector names a node where the port is taken',
    subject: podSubject({ ...UNPINNED_POD, spec: unboundSpec({ nodeSelector: { [HOSTNAME_LABEL]: 'worker-1.example' } }) }),
    mode: 'enforce',
    view: viewOf([API], NODES, { 'worker-1.example': 'worker-1' }),
    want: { kind: 'deny', node: 'worker-1', messages: [DENY_EDGE], conflicts: [API_CONFLICT], admitsOn: null },
  },
  {
    name: 'finds no conflict for a pod whose hostname selector names no node: it has no candidate node',
    subject: podSubject({ ...UNPINNED_POD, spec: unboundSpec({ nodeSelector: { [HOSTNAME_LABEL]: 'worker-9' } }) }),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null },
  },

  // Unpinned pods
  {
    name: 'warns, never denies, a pod the scheduler will place when its port is taken on some nodes',
    subject: podSubject(UNPINNED_POD),
    mode: 'enforce',
    view: viewOf(fourHolders, [...NODES, 'worker-4', 'worker-5']),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 8080/TCP is taken on 4 of 5 candidate nodes by team-a/api-0 and 3 more; pods needing it cannot run there'],
      conflicts: fourHolders.map((o) => `${o.node} ${o.pod.namespace}/${o.pod.name} ipv4-wildcard`),
      admitsOn: null,
    },
  },
  {
    name: 'counts a node once however many pods hold the port there',
    subject: podSubject(UNPINNED_POD),
    mode: 'warn',
    view: viewOf([API, occupant({ pod: ref('team-a/api-other'), ports: [hostPort({ hostIP: '10.0.0.1' })] })], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 8080/TCP is taken on 1 of 3 candidate nodes by team-a/api-7d9f and 1 more; pods needing it cannot run there'],
      conflicts: [API_CONFLICT, 'worker-1 team-a/api-other ipv4-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'only records conflicts of a pod the scheduler will place, in audit mode',
    subject: podSubject(UNPINNED_POD),
    mode: 'audit',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [API_CONFLICT], admitsOn: null },
  },
  {
    name: 'allows a pod the scheduler will place when no node holds its port',
    subject: podSubject(UNPINNED_POD),
    mode: 'enforce',
    view: viewOf([AGENT], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null },
  },
  {
    name: 'gives one warning per taken port of a pod the scheduler will place',
    subject: podSubject({ ...UNPINNED_POD, spec: unboundSpec({ containers: [container('proxy', [portSpec(8080), portSpec(9100)])] }) }),
    mode: 'enforce',
    view: viewOf([API, AGENT], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: [
        'hostNetwork port 8080/TCP is taken on 1 of 3 candidate nodes by team-a/api-7d9f; pods needing it cannot run there',
        'hostNetwork port 9100/TCP is taken on 1 of 3 candidate nodes by kube-system/metrics-agent-7kq2p; pods needing it cannot run there',
      ],
      conflicts: [API_CONFLICT, 'worker-2 kube-system/metrics-agent-7kq2p ipv4-wildcard'],
      admitsOn: null,
    },
  },

  // Workloads
  {
    name: 'warns, never denies, a Deployment whose hostNetwork template port (hostPort 0) is taken',
    subject: workloadSubject('Deployment', 'team-b/edge', unboundSpec({ containers: [container('proxy', [{ containerPort: 8080 }])] })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 8080/TCP is taken on 1 of 3 candidate nodes by team-a/api-7d9f; pods needing it cannot run there'],
      conflicts: [API_CONFLICT],
      admitsOn: null,
    },
  },
  {
    name: 'warns, never denies, a DaemonSet whose port is taken, saying its pods cannot run there',
    subject: workloadSubject('DaemonSet', 'monitoring/node-exporter', unboundSpec({ containers: [container('exporter', [{ containerPort: 9100 }])] }), 'ds-exporter'),
    mode: 'enforce',
    view: viewOf([API, AGENT], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 9100/TCP is taken on 1 of 3 candidate nodes by kube-system/metrics-agent-7kq2p; its pods cannot run there'],
      conflicts: ['worker-2 kube-system/metrics-agent-7kq2p ipv4-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'warns, never denies, a CronJob whose port is taken',
    subject: workloadSubject('CronJob', 'team-b/backup', unboundSpec({ containers: [container('backup', [portSpec(8080)])] })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 8080/TCP is taken on 1 of 3 candidate nodes by team-a/api-7d9f; pods needing it cannot run there'],
      conflicts: [API_CONFLICT],
      admitsOn: null,
    },
  },
  {
    name: 'warns, never denies, a Deployment whose template is pinned to a node where the port is taken',
    subject: workloadSubject('Deployment', 'team-b/edge', unboundSpec({ nodeName: 'worker-1', containers: [container('proxy', [portSpec(8080)])] })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'warn', node: 'worker-1', messages: [WARN_EDGE], conflicts: [API_CONFLICT], admitsOn: null },
  },
  {
    name: 'allows the update of a DaemonSet next to its own pods (same owner uid)',
    subject: workloadSubject('DaemonSet', 'monitoring/node-exporter', unboundSpec({ containers: [container('exporter', [portSpec(9100)])] }), 'ds-exporter'),
    mode: 'enforce',
    view: viewOf(
      NODES.map((node, i) =>
        occupant({ pod: ref(`monitoring/node-exporter-${i}`), node, owner: { kind: 'DaemonSet', name: 'node-exporter', uid: 'ds-exporter' }, ports: [hostPort({ port: 9100, container: 'exporter' })] }),
      ),
      NODES,
    ),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null },
  },
  {
    name: 'allows the update of a Deployment next to the pods of its ReplicaSets',
    subject: workloadSubject('Deployment', 'team-a/api', unboundSpec({ containers: [container('web', [portSpec(8080)])] }), 'deploy-api'),
    mode: 'enforce',
    view: viewOf([
      occupant({ pod: ref('team-a/api-7d9f8c6b5-x2x8k'), owner: { kind: 'ReplicaSet', name: 'api-7d9f8c6b5', uid: 'rs-new' } }),
      occupant({ pod: ref('team-a/api-5b6c7d8f9-q9z4w'), node: 'worker-2', owner: { kind: 'ReplicaSet', name: 'api-5b6c7d8f9', uid: 'rs-old' } }),
    ], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null },
  },
  {
    name: 'warns a Deployment about pods of another workload holding its port',
    subject: workloadSubject('Deployment', 'team-a/api', unboundSpec({ containers: [container('web', [portSpec(8080)])] }), 'deploy-api'),
    mode: 'enforce',
    view: viewOf([occupant({ pod: ref('team-a/web-5d4f8b7c9-x2x8k'), owner: { kind: 'ReplicaSet', name: 'web-5d4f8b7c9', uid: 'rs-web' } })], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 8080/TCP is taken on 1 of 3 candidate nodes by team-a/web-5d4f8b7c9-x2x8k; pods needing it cannot run there'],
      conflicts: ['worker-1 team-a/web-5d4f8b7c9-x2x8k ipv4-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'warns Deployment api about the pods of Deployment api-v2 holding its port',
    subject: workloadSubject('Deployment', 'team-a/api', unboundSpec({ containers: [container('web', [portSpec(8080)])] }), 'deploy-api'),
    mode: 'enforce',
    view: viewOf([occupant({ pod: ref('team-a/api-v2-7d9f8c6b5-x2x8k'), owner: { kind: 'ReplicaSet', name: 'api-v2-7d9f8c6b5', uid: 'rs-api-v2' } })], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 8080/TCP is taken on 1 of 3 candidate nodes by team-a/api-v2-7d9f8c6b5-x2x8k; pods needing it cannot run there'],
      conflicts: ['worker-1 team-a/api-v2-7d9f8c6b5-x2x8k ipv4-wildcard'],
      admitsOn: null,
    },
  },
  {
    name: 'allows a workload without host ports',
    subject: workloadSubject('Deployment', 'team-b/plain', { containers: [container('app', [{ containerPort: 8080 }])] }),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null },
  },
];

describe('decide', () => {
  it.each(rows)('$name ($mode)', (row) => {
    expect(decisionSummary(decideRow(row))).toEqual(row.want);
  });

  it('reserves exactly what the admitted pinned pod holds', () => {
    const d = decide(podSubject(EXPORTER_POD), 'warn', viewOf([AGENT], NODES), DEFAULT_RULES);
    const want: Occupant = {
      pod: { namespace: 'monitoring', name: 'node-exporter-x2x8k', uid: 'uid-exporter' },
      node: 'worker-2',
      hostNetwork: true,
      terminating: false,
      owner: { kind: 'DaemonSet', name: 'node-exporter', uid: 'ds-exporter' },
      ports: [hostPort({ port: 9100, container: 'exporter' })],
      // Resolved as the Priority admission plugin would: no class, no default class.
      priority: 0,
    };
    expect(d.kind).toBe('warn');
    expect(d.admits).toEqual(want);
  });

  it('leaves admits out of a denial altogether', () => {
    const d = decide(podSubject(edge()), 'enforce', viewOf([API], NODES), DEFAULT_RULES);
    expect(d.kind).toBe('deny');
    expect('admits' in d).toBe(false);
  });

  it('never denies a workload or an unpinned pod, in any mode', () => {
    const subjects = [
      podSubject(UNPINNED_POD),
      workloadSubject('Deployment', 'team-b/edge', unboundSpec({ nodeName: 'worker-1' })),
      workloadSubject('StatefulSet', 'team-b/edge', unboundSpec({ nodeName: 'worker-1' })),
      workloadSubject('DaemonSet', 'team-b/edge', unboundSpec({ affinity: requiredAffinity([daemonSetTerm('worker-1')]) })),
      workloadSubject('CronJob', 'team-b/edge', unboundSpec()),
    ];
    for (const subject of subjects) {
      for (const mode of MODES) expect(decide(subject, mode, viewOf([API], NODES), DEFAULT_RULES).kind).not.toBe('deny');
    }
  });

  it('caps the warnings of a pinned pod at MAX_WARNINGS while keeping every conflict', () => {
    const ports = Array.from({ length: MAX_WARNINGS + 6 }, (_, i) => portSpec(10000 + i));
    const holders = ports.map((p, i) => occupant({ pod: ref(`team-a/holder-${i}`), ports: [hostPort({ port: p.hostPort ?? 0 })] }));
    const d = decide(podSubject(edge({ containers: [container('proxy', ports)] })), 'warn', viewOf(holders, NODES), DEFAULT_RULES);
    expect(messagesOf(d)).toHaveLength(MAX_WARNINGS);
    expect(d.conflicts).toHaveLength(MAX_WARNINGS + 6);
  });

  it('says a warning about an IPv6 wildcard conflict is stricter than the scheduler', () => {
    // SEMANTICS: every deliberate difference from the scheduler is named in the message it produces.
    const incoming = podSubject(edge({ hostNetwork: false, containers: [container('proxy', [portSpec(8080, { hostIP: '::' })])] }));
    const d = decide(incoming, 'warn', viewOf([occupant({ ports: [hostPort({ hostIP: '10.0.0.1' })] })], NODES), DEFAULT_RULES);
    expect(d.kind).toBe('warn');
    expect(messagesOf(d).join(' ')).toContain('stricter');
  });
});
