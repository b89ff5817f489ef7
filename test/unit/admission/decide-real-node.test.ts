/**
 * The decisions that must hold on a real node (shared/SEMANTICS.md, "On a real node"),
 * restated as data: terminating holders, mirror pods, DaemonSet surges, node daemons'
 * ports and ports nobody declared.
 */
import { describe, expect, it } from '@jest/globals';

import type { Decision, Mode } from '../../../src/admission/decide.js';
import { decide, messagesOf, MODES } from '../../../src/admission/decide.js';
import { MAX_WARNING_LENGTH } from '../../../src/admission/messages.js';
import { SURGE_WARNING } from '../../../src/admission/warnings.js';
import type { Subject } from '../../../src/admission/subject.js';
import { MIRROR_ANNOTATION } from '../../../src/admission/subject.js';
import { HOSTNAME_LABEL } from '../../../src/engine/target-node.js';
import type { OwnerRef, PodLike, PodSpecLike } from '../../../src/engine/types.js';
import type { DecideRow } from '../../fixtures/decisions.js';
import { decideRow, decisionSummary, NODES } from '../../fixtures/decisions.js';
import {
  container,
  daemonSetTerm,
  DEFAULT_RULES,
  hostPort,
  KUBELET_PORTS,
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

const AGENT: OwnerRef = { kind: 'DaemonSet', name: 'agent', uid: 'ds-agent' };
const AGENT2: OwnerRef = { kind: 'DaemonSet', name: 'agent2', uid: 'ds-agent2' };

/** A pod of DaemonSet `owner` as its controller creates it for `node`: no nodeName, one matchFields term, container `a` on 9100. */
function daemonPod(owner: OwnerRef, node: string, name = `${owner.name}-q9z4w`): PodLike {
  return {
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, ownerReferences: [{ ...owner, controller: true }] },
    spec: unboundSpec({ containers: [container('a', [portSpec(9100)])], affinity: requiredAffinity([daemonSetTerm(node)]) }),
  };
}

/** A pod of DaemonSet agent holding 9100 on worker-2, in container `a`. */
function agentHolder(name: string, terminating: boolean, owner: OwnerRef = AGENT) {
  return occupant({ pod: ref(`team-a/${name}`), node: 'worker-2', terminating, owner, ports: [hostPort({ port: 9100, container: 'a' })] });
}

const OLD_AGENT = agentHolder('agent-x2x8k', true);
const LIVE_AGENT = agentHolder('agent-old', false);
const EXPORTER = occupant({ pod: ref('team-b/exporter-1'), node: 'worker-2', ports: [hostPort({ port: 9100, container: 'exporter' })] });

/** team-a/api-7d9f holds 8080/TCP on worker-1 in container `web`. */
const API = occupant();

/** A hostNetwork pod in team-b with container `app` declaring `ports`; unpinned unless `spec` says otherwise. */
function appPod(ports: PodSpecLike['containers'][number]['ports'], spec: Partial<PodSpecLike> = {}): PodLike {
  return { metadata: { name: 'app', namespace: 'team-b', uid: 'uid-app' }, spec: unboundSpec({ containers: [container('app', ports)], ...spec }) };
}

/** The mirror of static pod kube-system/etcd-worker-1, as its kubelet creates it. */
function mirrorPod(ports: PodSpecLike['containers'][number]['ports']): PodLike {
  return pod({
    metadata: {
      name: 'etcd-worker-1',
      namespace: 'kube-system',
      uid: 'uid-etcd',
      annotations: { [MIRROR_ANNOTATION]: '6f1d2c3b' },
      ownerReferences: [{ kind: 'Node', name: 'worker-1', uid: 'node-1', controller: true }],
    },
    spec: { nodeName: 'worker-1', containers: [container('etcd', ports)] },
  });
}

/** DaemonSet `name` with pod template `spec` whose rolling update surges by `maxSurge`. */
function surging(name: string, spec: PodSpecLike, maxSurge: string, uid?: string): Subject {
  const subject = workloadSubject('DaemonSet', name, spec, uid);
  return subject.kind === 'Workload' ? { ...subject, maxSurge } : subject;
}

/** The fixtures' view of a decision, and whether its conflicts already exist (a mirror pod's). */
function summary(d: Decision) {
  return { ...decisionSummary(d), existing: d.existing };
}

/** A case of the table: each names its mode. */
type Row = DecideRow<ReturnType<typeof summary>> & { readonly mode: Mode };

const UNDECLARED_POD =
  'hostNetwork pod declares no ports: no check here or in the scheduler sees what it binds; declare containers[].ports';
const UNDECLARED_WORKLOAD =
  'hostNetwork pods declare no ports: no check here or in the scheduler sees what they bind; declare containers[].ports';
const KUBELET_10250 =
  "hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, and the scheduler cannot see it;" +
  ' the container could not bind it: pick another port';
const WAIT_OLD_AGENT = 'pod waits for terminating pod team-a/agent-x2x8k to free hostNetwork port 9100/TCP on node worker-2 (container a)';

const rows: readonly Row[] = [
  // 1. Terminating holders
  {
    name: 'admits with a warning a DaemonSet pod whose only holder on its node is terminating, saying it waits for that pod',
    subject: podSubject(daemonPod(AGENT2, 'worker-2')),
    mode: 'enforce',
    view: viewOf([OLD_AGENT], NODES),
    want: { kind: 'warn', node: 'worker-2', messages: [WAIT_OLD_AGENT], conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard'], admitsOn: 'worker-2', existing: false },
  },
  {
    name: 'admits with a warning a pod pinned by a hostname selector whose only holder is terminating',
    subject: podSubject(appPod([portSpec(9100)], { nodeSelector: { [HOSTNAME_LABEL]: 'worker-2' } })),
    mode: 'enforce',
    view: viewOf([OLD_AGENT], NODES),
    want: { kind: 'warn', node: 'worker-2', messages: [WAIT_OLD_AGENT], conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard'], admitsOn: 'worker-2', existing: false },
  },
  {
    name: 'names each terminating holder the pod waits for',
    subject: podSubject(daemonPod(AGENT2, 'worker-2')),
    mode: 'enforce',
    view: viewOf([OLD_AGENT, agentHolder('agent-z7k2m', true)], NODES),
    want: {
      kind: 'warn',
      node: 'worker-2',
      messages: [WAIT_OLD_AGENT, 'pod waits for terminating pod team-a/agent-z7k2m to free hostNetwork port 9100/TCP on node worker-2 (container a)'],
      conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard', 'worker-2 team-a/agent-z7k2m ipv4-wildcard'],
      admitsOn: 'worker-2',
      existing: false,
    },
  },
  {
    name: 'still denies a nodeName pod whose only holder is terminating, because the kubelet refuses it meanwhile',
    subject: podSubject(appPod([portSpec(9100)], { nodeName: 'worker-2' })),
    mode: 'enforce',
    view: viewOf([OLD_AGENT], NODES),
    want: {
      kind: 'deny',
      node: 'worker-2',
      messages: ['hostNetwork port 9100/TCP on node worker-2 is already used by pod team-a/agent-x2x8k (container a, terminating); pick another port or node'],
      conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'denies a DaemonSet pod meeting one live and one terminating holder, naming the live one first',
    subject: podSubject(daemonPod(AGENT2, 'worker-2')),
    mode: 'enforce',
    view: viewOf([OLD_AGENT, EXPORTER], NODES),
    want: {
      kind: 'deny',
      node: 'worker-2',
      messages: [
        'hostNetwork port 9100/TCP on node worker-2 is already used by pod team-b/exporter-1 (container exporter)' +
          ' and pod team-a/agent-x2x8k (container a, terminating); pick another port or node',
      ],
      conflicts: ['worker-2 team-b/exporter-1 ipv4-wildcard', 'worker-2 team-a/agent-x2x8k ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'says the same wait in warn mode',
    subject: podSubject(daemonPod(AGENT2, 'worker-2')),
    mode: 'warn',
    view: viewOf([OLD_AGENT], NODES),
    want: { kind: 'warn', node: 'worker-2', messages: [WAIT_OLD_AGENT], conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard'], admitsOn: 'worker-2', existing: false },
  },
  {
    name: 'tells a DaemonSet whose port only terminating pods hold that its pods wait there',
    subject: workloadSubject('DaemonSet', 'team-a/agent2', unboundSpec({ containers: [container('a', [{ containerPort: 9100 }])] }), 'ds-agent2'),
    mode: 'enforce',
    view: viewOf([OLD_AGENT, { ...agentHolder('agent-w1', true), node: 'worker-1' }, { ...EXPORTER, node: 'worker-3' }], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: [
        'hostNetwork port 9100/TCP is taken on 1 of 3 candidate nodes: worker-3 by team-b/exporter-1; its pods cannot run there',
        'hostNetwork port 9100/TCP is being freed on 2 of 3 candidate nodes by team-a/agent-w1 and 1 more; its pods wait there',
      ],
      conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard', 'worker-1 team-a/agent-w1 ipv4-wildcard', 'worker-3 team-b/exporter-1 ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'counts a node with a live and a terminating holder as taken, not as being freed',
    subject: podSubject(appPod([portSpec(9100)])),
    mode: 'enforce',
    view: viewOf([OLD_AGENT, EXPORTER], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['hostNetwork port 9100/TCP is taken on 1 of 3 candidate nodes by team-b/exporter-1; pods needing it cannot run there'],
      conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard', 'worker-2 team-b/exporter-1 ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'only records the wait in audit mode',
    subject: podSubject(daemonPod(AGENT2, 'worker-2')),
    mode: 'audit',
    view: viewOf([OLD_AGENT], NODES),
    want: { kind: 'allow', node: 'worker-2', messages: [], conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard'], admitsOn: 'worker-2', existing: false },
  },

  // 2. Mirror pods
  {
    name: 'never denies a mirror pod whose port is held on its node, warning that the conflict is already there',
    subject: podSubject(mirrorPod([portSpec(8080)]), true),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'warn',
      node: 'worker-1',
      messages: ['static pod already running on node worker-1: hostNetwork port 8080/TCP is also used by pod team-a/api-7d9f'],
      conflicts: ['worker-1 team-a/api-7d9f ipv4-wildcard'],
      admitsOn: 'worker-1',
      existing: true,
    },
  },
  {
    name: 'warns the same about a mirror pod in warn mode',
    subject: podSubject(mirrorPod([portSpec(8080)]), true),
    mode: 'warn',
    view: viewOf([API], NODES),
    want: {
      kind: 'warn',
      node: 'worker-1',
      messages: ['static pod already running on node worker-1: hostNetwork port 8080/TCP is also used by pod team-a/api-7d9f'],
      conflicts: ['worker-1 team-a/api-7d9f ipv4-wildcard'],
      admitsOn: 'worker-1',
      existing: true,
    },
  },
  {
    name: 'records a mirror pod conflict as existing in audit mode',
    subject: podSubject(mirrorPod([portSpec(8080)]), true),
    mode: 'audit',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: ['worker-1 team-a/api-7d9f ipv4-wildcard'], admitsOn: 'worker-1', existing: true },
  },
  {
    name: "never denies a mirror pod on a node daemon's port",
    subject: podSubject(mirrorPod([portSpec(10250)]), true),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'warn',
      node: 'worker-1',
      messages: ['static pod already running on node worker-1: hostNetwork port 10250/TCP is also used by node daemon kubelet'],
      conflicts: ['worker-1 reserved/kubelet ipv4-wildcard'],
      admitsOn: 'worker-1',
      existing: true,
    },
  },
  {
    name: 'denies a pod carrying the mirror annotation that its node did not send',
    subject: podSubject(mirrorPod([portSpec(8080)]), false),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: ['hostNetwork port 8080/TCP on node worker-1 is already used by pod team-a/api-7d9f (container web); pick another port or node'],
      conflicts: ['worker-1 team-a/api-7d9f ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'allows a mirror pod whose ports are free, holding them on its node',
    subject: podSubject(mirrorPod([portSpec(2379)]), true),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: [], admitsOn: 'worker-1', existing: false },
  },
  {
    name: 'does not warn a mirror pod that declares no ports: nobody reading it could act',
    subject: podSubject(mirrorPod([]), true),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: 'worker-1', messages: [], conflicts: [], admitsOn: null, existing: false },
  },

  // 3. DaemonSet surges
  {
    name: 'denies a DaemonSet pod meeting a live pod of its own DaemonSet, saying a surge pod can never start',
    subject: podSubject(daemonPod(AGENT, 'worker-2', 'agent-new')),
    mode: 'enforce',
    view: viewOf([LIVE_AGENT], NODES),
    want: {
      kind: 'deny',
      node: 'worker-2',
      messages: [
        "hostNetwork port 9100/TCP on node worker-2 is already used by pod team-a/agent-old (container a); it is a surge pod of its DaemonSet's rollout:" +
          ' with a host port the old pod has to go first, so it can never start; set maxSurge: 0 and maxUnavailable: 1 in the rollingUpdate',
      ],
      conflicts: ['worker-2 team-a/agent-old ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'warns about the surge first in warn mode',
    subject: podSubject(daemonPod(AGENT, 'worker-2', 'agent-new')),
    mode: 'warn',
    view: viewOf([LIVE_AGENT], NODES),
    want: {
      kind: 'warn',
      node: 'worker-2',
      messages: [SURGE_WARNING, 'hostNetwork port 9100/TCP on node worker-2 is used by pod team-a/agent-old (container a)'],
      conflicts: ['worker-2 team-a/agent-old ipv4-wildcard'],
      admitsOn: 'worker-2',
      existing: false,
    },
  },
  {
    name: 'lets a DaemonSet pod wait for a terminating pod of its own DaemonSet (a maxUnavailable rollout)',
    subject: podSubject(daemonPod(AGENT, 'worker-2', 'agent-new')),
    mode: 'enforce',
    view: viewOf([OLD_AGENT], NODES),
    want: { kind: 'warn', node: 'worker-2', messages: [WAIT_OLD_AGENT], conflicts: ['worker-2 team-a/agent-x2x8k ipv4-wildcard'], admitsOn: 'worker-2', existing: false },
  },
  {
    name: "does not call a live pod of another DaemonSet a surge",
    subject: podSubject(daemonPod(AGENT2, 'worker-2')),
    mode: 'enforce',
    view: viewOf([LIVE_AGENT], NODES),
    want: {
      kind: 'deny',
      node: 'worker-2',
      messages: ['hostNetwork port 9100/TCP on node worker-2 is already used by pod team-a/agent-old (container a); pick another port or node'],
      conflicts: ['worker-2 team-a/agent-old ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'warns about a DaemonSet whose pods hold host ports and whose rolling update surges',
    subject: surging('team-a/agent', unboundSpec({ containers: [container('a', [{ containerPort: 9100 }])] }), '1', 'ds-agent'),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ['maxSurge 1: with host ports the old pod must go first, so surge pods never start; set maxSurge 0, maxUnavailable 1'],
      conflicts: [],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'puts the surge warning before the ports a surging DaemonSet finds taken',
    subject: surging('team-a/agent2', unboundSpec({ containers: [container('a', [{ containerPort: 9100 }])] }), '25%', 'ds-agent2'),
    mode: 'warn',
    view: viewOf([EXPORTER], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: [
        'maxSurge 25%: with host ports the old pod must go first, so surge pods never start; set maxSurge 0, maxUnavailable 1',
        'hostNetwork port 9100/TCP is taken on 1 of 3 candidate nodes: worker-2 by team-b/exporter-1; its pods cannot run there',
      ],
      conflicts: ['worker-2 team-b/exporter-1 ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'says nothing about the surge of a DaemonSet without host ports',
    subject: surging('team-a/agent', { containers: [container('a', [{ containerPort: 9100 }])] }, '1'),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'says nothing about a surging DaemonSet in audit mode',
    subject: surging('team-a/agent', unboundSpec({ containers: [container('a', [{ containerPort: 9100 }])] }), '1'),
    mode: 'audit',
    view: viewOf([], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },

  // 4. Node daemons' ports
  {
    name: 'denies a pod the scheduler would place on 10250, the kubelet port on every node',
    subject: podSubject(appPod([portSpec(10250)])),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'deny', node: null, messages: [KUBELET_10250], conflicts: ['* reserved/kubelet ipv4-wildcard'], admitsOn: null, existing: false },
  },
  {
    name: 'denies a pinned pod on 10250 the same way',
    subject: podSubject(appPod([portSpec(10250)], { nodeName: 'worker-1' })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'deny', node: 'worker-1', messages: [KUBELET_10250], conflicts: ['worker-1 reserved/kubelet ipv4-wildcard'], admitsOn: null, existing: false },
  },
  {
    name: "denies a hostPort pod without hostNetwork on 10250, whose NAT rule would take the kubelet's traffic",
    subject: podSubject(appPod([portSpec(10250, { containerPort: 8080 })], { hostNetwork: false })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'deny',
      node: null,
      messages: [
        "hostPort 10250/TCP is a node daemon's port: kubelet holds it on every node, and the scheduler cannot see it;" +
          " the pod's NAT rule would take kubelet's traffic: pick another port",
      ],
      conflicts: ['* reserved/kubelet ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: "denies 0.0.0.0:10248, which takes the kubelet's 127.0.0.1:10248",
    subject: podSubject(appPod([portSpec(10248)])),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: {
      kind: 'deny',
      node: null,
      messages: [
        "hostNetwork port 10248/TCP is a node daemon's port: kubelet holds 127.0.0.1:10248/TCP on every node, and the scheduler cannot see it;" +
          ' the container could not bind it: pick another port',
      ],
      conflicts: ['* reserved/kubelet ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: "allows 10.0.0.5:10248 next to the kubelet's 127.0.0.1:10248",
    subject: podSubject(appPod([portSpec(10248, { containerPort: 80, hostIP: '10.0.0.5' })], { hostNetwork: false })),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: "allows UDP 10250 next to the kubelet's TCP 10250",
    subject: podSubject(appPod([portSpec(10250, { protocol: 'UDP' })])),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'allows 10250 once the list is emptied',
    subject: podSubject(appPod([portSpec(10250)])),
    mode: 'enforce',
    view: viewOf([], NODES),
    rules: { reservedPorts: [], undeclaredPorts: 'warn' },
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: "denies kube-proxy's 10256 once the list is extended with it",
    subject: podSubject(appPod([portSpec(10256)])),
    mode: 'enforce',
    view: viewOf([], NODES),
    rules: { reservedPorts: [...KUBELET_PORTS, { owner: 'kube-proxy', protocol: 'TCP', port: 10256 }], undeclaredPorts: 'warn' },
    want: {
      kind: 'deny',
      node: null,
      messages: [
        "hostNetwork port 10256/TCP is a node daemon's port: kube-proxy holds it on every node, and the scheduler cannot see it;" +
          ' the container could not bind it: pick another port',
      ],
      conflicts: ['* reserved/kube-proxy ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'names both the pod and the node daemon when a pinned pod meets both',
    subject: podSubject(appPod([portSpec(8080), portSpec(10250)], { nodeName: 'worker-1' })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'deny',
      node: 'worker-1',
      messages: [
        'hostNetwork ports on node worker-1 are already used: 8080/TCP by pod team-a/api-7d9f (container web),' +
          ' 10250/TCP by node daemon kubelet on every node; pick other ports or another node',
      ],
      conflicts: ['worker-1 team-a/api-7d9f ipv4-wildcard', 'worker-1 reserved/kubelet ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: 'names only the node daemon in the denial of a pod the scheduler would place, whose other port is taken elsewhere',
    subject: podSubject(appPod([portSpec(8080), portSpec(10250)])),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: {
      kind: 'deny',
      node: null,
      messages: [KUBELET_10250],
      conflicts: ['worker-1 team-a/api-7d9f ipv4-wildcard', '* reserved/kubelet ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: "warns, never denies, a Deployment whose pods would take the kubelet's port",
    subject: workloadSubject('Deployment', 'team-b/app', unboundSpec({ containers: [container('app', [{ containerPort: 10250 }])] })),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ["hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, unseen by the scheduler"],
      conflicts: ['* reserved/kubelet ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: "warns about a node daemon's port in warn mode",
    subject: podSubject(appPod([portSpec(10250)])),
    mode: 'warn',
    view: viewOf([], NODES),
    want: {
      kind: 'warn',
      node: null,
      messages: ["hostNetwork port 10250/TCP is a node daemon's port: kubelet holds it on every node, unseen by the scheduler"],
      conflicts: ['* reserved/kubelet ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    },
  },
  {
    name: "only records a node daemon's port in audit mode",
    subject: podSubject(appPod([portSpec(10250)])),
    mode: 'audit',
    view: viewOf([], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: ['* reserved/kubelet ipv4-wildcard'], admitsOn: null, existing: false },
  },

  // 5. Ports no one declared
  {
    name: 'warns about a hostNetwork pod that declares no ports, saying how to fix it',
    subject: podSubject(appPod([])),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'warn', node: null, messages: [UNDECLARED_POD], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'warns about a pinned hostNetwork pod that declares no ports',
    subject: podSubject(appPod([], { nodeName: 'worker-1' })),
    mode: 'warn',
    view: viewOf([API], NODES),
    want: { kind: 'warn', node: 'worker-1', messages: [UNDECLARED_POD], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'warns about a Deployment whose hostNetwork pods declare no ports',
    subject: workloadSubject('Deployment', 'team-b/app', unboundSpec({ containers: [container('app')] })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'warn', node: null, messages: [UNDECLARED_WORKLOAD], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'counts the ports of an ordinary init container as undeclared: it exits before the app binds anything',
    subject: podSubject(appPod([], { initContainers: [container('setup', [portSpec(9000)])] })),
    mode: 'enforce',
    view: viewOf([], NODES),
    want: { kind: 'warn', node: null, messages: [UNDECLARED_POD], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'says nothing about undeclared ports with undeclaredPorts: ignore',
    subject: podSubject(appPod([])),
    mode: 'enforce',
    view: viewOf([API], NODES),
    rules: { reservedPorts: KUBELET_PORTS, undeclaredPorts: 'ignore' },
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'says nothing about undeclared ports in audit mode',
    subject: podSubject(appPod([])),
    mode: 'audit',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
  {
    name: 'says nothing about a pod without hostNetwork and without host ports',
    subject: podSubject(appPod([{ containerPort: 8080 }], { hostNetwork: false })),
    mode: 'enforce',
    view: viewOf([API], NODES),
    want: { kind: 'allow', node: null, messages: [], conflicts: [], admitsOn: null, existing: false },
  },
];

describe('decide on a real node', () => {
  it.each(rows)('$name ($mode)', (row) => {
    expect(summary(decideRow(row))).toEqual(row.want);
  });

  it('keeps every new warning within what kubectl prints well', () => {
    const warnings = rows.flatMap(({ subject, mode, view, rules }) => {
      const d = decide(subject, mode, view, rules ?? DEFAULT_RULES);
      return d.kind === 'warn' ? d.warnings : [];
    });
    expect(warnings.length).toBeGreaterThan(10);
    expect(warnings.filter((w) => w.length > MAX_WARNING_LENGTH)).toEqual([]);
  });

  it('lets a mirror pod hold its ports for every later pod', () => {
    const mirror = decide(podSubject(mirrorPod([portSpec(2379)]), true), 'enforce', viewOf([API], NODES), DEFAULT_RULES);
    if (mirror.admits === undefined) throw new Error('the mirror pod should hold its ports');
    const later = podSubject(appPod([portSpec(2379)], { nodeName: 'worker-1' }));
    expect(summary(decide(later, 'enforce', viewOf([API, mirror.admits], NODES), DEFAULT_RULES))).toEqual({
      kind: 'deny',
      node: 'worker-1',
      messages: ['hostNetwork port 2379/TCP on node worker-1 is already used by pod kube-system/etcd-worker-1 (container etcd); pick another port or node'],
      conflicts: ['worker-1 kube-system/etcd-worker-1 ipv4-wildcard'],
      admitsOn: null,
      existing: false,
    });
  });

  it('never denies a mirror pod, in any mode', () => {
    for (const mode of MODES) {
      for (const ports of [[portSpec(8080)], [portSpec(10250)], [portSpec(8080), portSpec(10248)]]) {
        expect(decide(podSubject(mirrorPod(ports), true), mode, viewOf([API], NODES), DEFAULT_RULES).kind).not.toBe('deny');
      }
    }
  });

  it("denies a node daemon's port wherever the pod would land: pinned to each node or not pinned at all", () => {
    const targets: Partial<PodSpecLike>[] = [{}, ...NODES.map((nodeName) => ({ nodeName })), { affinity: requiredAffinity([daemonSetTerm('worker-3')]) }];
    for (const spec of targets) {
      expect(decide(podSubject(appPod([portSpec(10250)], spec)), 'enforce', viewOf([], NODES), DEFAULT_RULES).kind).toBe('deny');
    }
  });

  it('says the same undeclared-ports words for every pod, so kubectl and check print them once', () => {
    const words = ['a', 'b', 'c'].map((name) =>
      messagesOf(decide(podSubject({ ...appPod([]), metadata: { name, namespace: `team-${name}` } }), 'enforce', viewOf([], NODES), DEFAULT_RULES)),
    );
    expect(new Set(words.flat())).toEqual(new Set([UNDECLARED_POD]));
  });
});
