import { describe, expect, it } from '@jest/globals';

import type { TargetNode } from '../../../src/engine/target-node.js';
import { HOSTNAME_LABEL, targetNodeOf } from '../../../src/engine/target-node.js';
import type { NodeSelectorTerm, PodSpecLike } from '../../../src/engine/types.js';
import { daemonSetTerm, requiredAffinity, unboundSpec } from '../../fixtures/pods.js';

/** The cluster's hostname labels: `worker-3.example` is carried by node `worker-3`. */
const HOSTNAMES: Readonly<Record<string, string>> = { 'worker-1': 'worker-1', 'worker-3.example': 'worker-3' };
const nodeForHostname = (hostname: string): string | undefined => HOSTNAMES[hostname];

const UNPINNED: TargetNode = { kind: 'unpinned' };
const pinned = (node: string, via: 'nodeName' | 'daemonset-affinity' | 'hostname-selector'): TargetNode => ({ kind: 'pinned', node, via });

const withTerms = (...terms: NodeSelectorTerm[]): PodSpecLike => unboundSpec({ affinity: requiredAffinity(terms) });

interface Row {
  readonly name: string;
  readonly spec: PodSpecLike;
  readonly want: TargetNode;
}

const rows: readonly Row[] = [
  // nodeName
  { name: 'pins a pod with nodeName to that node', spec: unboundSpec({ nodeName: 'worker-2' }), want: pinned('worker-2', 'nodeName') },
  {
    name: 'prefers nodeName over a DaemonSet term and a hostname selector',
    spec: unboundSpec({ nodeName: 'worker-2', affinity: requiredAffinity([daemonSetTerm('worker-5')]), nodeSelector: { [HOSTNAME_LABEL]: 'worker-1' } }),
    want: pinned('worker-2', 'nodeName'),
  },
  { name: 'leaves a pod with an empty nodeName unpinned', spec: unboundSpec({ nodeName: '' }), want: UNPINNED },
  { name: 'leaves a pod without any placement unpinned', spec: unboundSpec(), want: UNPINNED },

  // DaemonSet affinity
  { name: 'pins a pod with the DaemonSet matchFields term to its node', spec: withTerms(daemonSetTerm('worker-5')), want: pinned('worker-5', 'daemonset-affinity') },
  {
    name: 'prefers the DaemonSet term over a hostname selector',
    spec: unboundSpec({ affinity: requiredAffinity([daemonSetTerm('worker-5')]), nodeSelector: { [HOSTNAME_LABEL]: 'worker-1' } }),
    want: pinned('worker-5', 'daemonset-affinity'),
  },
  { name: 'leaves a pod with two terms unpinned (either may match)', spec: withTerms(daemonSetTerm('worker-5'), daemonSetTerm('worker-6')), want: UNPINNED },
  {
    name: 'leaves a pod whose term allows two nodes unpinned',
    spec: withTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-5', 'worker-6'] }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term names no node unpinned',
    spec: withTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: [] }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term has no values unpinned',
    spec: withTerms({ matchFields: [{ key: 'metadata.name', operator: 'In' }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term names an empty node unpinned',
    spec: withTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: [''] }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term uses NotIn unpinned',
    spec: withTerms({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['worker-5'] }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term also has matchExpressions unpinned',
    spec: withTerms({
      matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-5'] }],
      matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }],
    }),
    want: UNPINNED,
  },
  {
    name: 'pins a pod whose term has an empty matchExpressions list',
    spec: withTerms({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['worker-5'] }], matchExpressions: [] }),
    want: pinned('worker-5', 'daemonset-affinity'),
  },
  {
    name: 'leaves a pod whose term matches another field unpinned',
    spec: withTerms({ matchFields: [{ key: 'spec.unschedulable', operator: 'In', values: ['worker-5'] }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term matches the hostname label by expression unpinned',
    spec: withTerms({ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: ['worker-5'] }] }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose term has two matchFields unpinned',
    spec: withTerms({
      matchFields: [
        { key: 'metadata.name', operator: 'In', values: ['worker-5'] },
        { key: 'metadata.name', operator: 'In', values: ['worker-5'] },
      ],
    }),
    want: UNPINNED,
  },
  { name: 'leaves a pod with an empty term list unpinned', spec: withTerms(), want: UNPINNED },
  { name: 'leaves a pod with an empty term unpinned', spec: withTerms({}), want: UNPINNED },
  { name: 'leaves a pod with an empty affinity unpinned', spec: unboundSpec({ affinity: {} }), want: UNPINNED },
  { name: 'leaves a pod with an empty node affinity unpinned', spec: unboundSpec({ affinity: { nodeAffinity: {} } }), want: UNPINNED },

  // hostname nodeSelector
  {
    name: 'pins a pod whose hostname selector names a known node',
    spec: unboundSpec({ nodeSelector: { [HOSTNAME_LABEL]: 'worker-1' } }),
    want: pinned('worker-1', 'hostname-selector'),
  },
  {
    name: 'pins a pod to the node carrying the hostname label, whatever its name',
    spec: unboundSpec({ nodeSelector: { [HOSTNAME_LABEL]: 'worker-3.example', disktype: 'ssd' } }),
    want: pinned('worker-3', 'hostname-selector'),
  },
  {
    name: 'leaves a pod whose hostname selector names an unknown node unpinned',
    spec: unboundSpec({ nodeSelector: { [HOSTNAME_LABEL]: 'worker-9' } }),
    want: UNPINNED,
  },
  {
    name: 'leaves a pod whose selector names other labels only unpinned',
    spec: unboundSpec({ nodeSelector: { 'topology.kubernetes.io/zone': 'worker-1' } }),
    want: UNPINNED,
  },
  {
    name: 'falls back to the hostname selector when the affinity is a near miss',
    spec: unboundSpec({ affinity: requiredAffinity([daemonSetTerm('worker-5'), daemonSetTerm('worker-6')]), nodeSelector: { [HOSTNAME_LABEL]: 'worker-1' } }),
    want: pinned('worker-1', 'hostname-selector'),
  },
];

describe('targetNodeOf', () => {
  it.each(rows)('$name', ({ spec, want }) => {
    expect(targetNodeOf(spec, nodeForHostname)).toEqual(want);
  });

  it('asks the hostname lookup for the selector value only', () => {
    const asked: string[] = [];
    targetNodeOf(unboundSpec({ nodeSelector: { [HOSTNAME_LABEL]: 'worker-3.example' } }), (h) => {
      asked.push(h);
      return undefined;
    });
    expect(asked).toEqual(['worker-3.example']);
  });
});
