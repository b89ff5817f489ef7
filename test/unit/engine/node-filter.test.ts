/**
 * The scheduler's node filters restated as data: NodeAffinity (nodeSelector, required
 * node affinity with every operator, matchFields), TaintToleration and
 * NodeUnschedulable, as Kubernetes 1.37 applies them, and the tolerations the DaemonSet
 * controller adds.
 */
import { describe, expect, it } from '@jest/globals';

import type { NodeInfo } from '../../../src/engine/node-filter.js';
import { daemonPodTolerations, nodeFilterOf, toleratesTaint } from '../../../src/engine/node-filter.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, PodSpecLike, Taint, Toleration } from '../../../src/engine/types.js';
import { nodeInfo, requiredAffinity } from '../../fixtures/pods.js';

/** node-1: hostname node-1, zone a, a 16-core pool, not tainted. */
const NODE: NodeInfo = nodeInfo({ name: 'node-1', labels: { zone: 'a', cores: '16', 'disk-ssd': '' } });

function spec(overrides: Partial<PodSpecLike> = {}): PodSpecLike {
  return { containers: [], ...overrides };
}

function accepts(s: PodSpecLike, node: NodeInfo = NODE): boolean {
  return nodeFilterOf(s).accepts(node);
}

function expression(key: string, operator: string, values?: string[]): NodeSelectorRequirement {
  return values === undefined ? { key, operator } : { key, operator, values };
}

function byTerms(...terms: NodeSelectorTerm[]): PodSpecLike {
  return spec({ affinity: requiredAffinity(terms) });
}

describe('nodeSelector', () => {
  it.each([
    ['matches when every label is equal', { zone: 'a' }, true],
    ['matches a label whose value is empty', { 'disk-ssd': '' }, true],
    ['fails when one label differs', { zone: 'a', cores: '8' }, false],
    ['fails when the node lacks the label', { gpu: 'true' }, false],
    ['matches the hostname label', { 'kubernetes.io/hostname': 'node-1' }, true],
    ['fails on another hostname', { 'kubernetes.io/hostname': 'node-2' }, false],
    ['matches everything when empty', {}, true],
  ] satisfies [string, Record<string, string>, boolean][])('%s', (_name, nodeSelector, want) => {
    expect(accepts(spec({ nodeSelector }))).toBe(want);
  });
});

describe('required node affinity: matchExpressions', () => {
  it.each([
    ['In with the value', expression('zone', 'In', ['a', 'b']), true],
    ['In without the value', expression('zone', 'In', ['b']), false],
    ['In on a missing label', expression('gpu', 'In', ['x']), false],
    ['In with no values (refused: the term matches nothing)', expression('zone', 'In', []), false],
    ['NotIn without the value', expression('zone', 'NotIn', ['b']), true],
    ['NotIn with the value', expression('zone', 'NotIn', ['a']), false],
    ['NotIn on a missing label', expression('gpu', 'NotIn', ['x']), true],
    ['Exists on a present label', expression('zone', 'Exists'), true],
    ['Exists on an empty label', expression('disk-ssd', 'Exists'), true],
    ['Exists on a missing label', expression('gpu', 'Exists'), false],
    ['Exists with values (refused)', expression('zone', 'Exists', ['a']), false],
    ['DoesNotExist on a missing label', expression('gpu', 'DoesNotExist'), true],
    ['DoesNotExist on a present label', expression('zone', 'DoesNotExist'), false],
    ['Gt below the value', expression('cores', 'Gt', ['8']), true],
    ['Gt at the value', expression('cores', 'Gt', ['16']), false],
    ['Gt with a signed bound', expression('cores', 'Gt', ['+15']), true],
    ['Lt above the value', expression('cores', 'Lt', ['32']), true],
    ['Lt at the value', expression('cores', 'Lt', ['16']), false],
    ['Gt on a label that is no number', expression('zone', 'Gt', ['1']), false],
    ['Gt on a missing label', expression('gpu', 'Gt', ['1']), false],
    ['Gt with a bound that is no number (refused)', expression('cores', 'Gt', ['8.5']), false],
    ['Gt with two bounds (refused)', expression('cores', 'Gt', ['1', '2']), false],
    ['Lt with a bound past int64 (refused)', expression('cores', 'Lt', ['9223372036854775808']), false],
    ['an unknown operator (refused)', expression('zone', 'Equals', ['a']), false],
    ['In on the hostname label', expression('kubernetes.io/hostname', 'In', ['node-1']), true],
  ] satisfies [string, NodeSelectorRequirement, boolean][])('%s', (_name, requirement, want) => {
    expect(accepts(byTerms({ matchExpressions: [requirement] }))).toBe(want);
  });

  it('needs every requirement of a term', () => {
    expect(accepts(byTerms({ matchExpressions: [expression('zone', 'In', ['a']), expression('cores', 'Gt', ['8'])] }))).toBe(true);
    expect(accepts(byTerms({ matchExpressions: [expression('zone', 'In', ['a']), expression('cores', 'Gt', ['32'])] }))).toBe(false);
  });

  it('needs only one term', () => {
    expect(accepts(byTerms({ matchExpressions: [expression('zone', 'In', ['b'])] }, { matchExpressions: [expression('zone', 'In', ['a'])] }))).toBe(true);
  });

  it('lets a term the scheduler cannot parse match nothing, while another term still can', () => {
    expect(accepts(byTerms({ matchExpressions: [expression('zone', 'In', [])] }, { matchExpressions: [expression('zone', 'Exists')] }))).toBe(true);
  });

  it('drops an empty term, which selects nothing, and matches no node when no term is left', () => {
    expect(accepts(byTerms({}))).toBe(false);
    expect(accepts(byTerms({}, { matchExpressions: [expression('zone', 'Exists')] }))).toBe(true);
    expect(accepts(spec({ affinity: requiredAffinity([]) }))).toBe(false);
  });

  it('applies the nodeSelector and the affinity together', () => {
    expect(accepts(spec({ nodeSelector: { zone: 'b' }, affinity: requiredAffinity([{ matchExpressions: [expression('zone', 'Exists')] }]) }))).toBe(false);
  });
});

describe('required node affinity: matchFields', () => {
  it.each([
    ['In on this node', expression('metadata.name', 'In', ['node-1']), true],
    ['In on another node (the DaemonSet pin)', expression('metadata.name', 'In', ['node-2']), false],
    ['NotIn on another node', expression('metadata.name', 'NotIn', ['node-2']), true],
    ['NotIn on this node', expression('metadata.name', 'NotIn', ['node-1']), false],
    ['In with two values (refused)', expression('metadata.name', 'In', ['node-1', 'node-2']), false],
    ['Exists (refused for fields)', expression('metadata.name', 'Exists'), false],
    ['In on a field a node does not have', expression('spec.podCIDR', 'In', ['x']), false],
  ] satisfies [string, NodeSelectorRequirement, boolean][])('%s', (_name, requirement, want) => {
    expect(accepts(byTerms({ matchFields: [requirement] }))).toBe(want);
  });

  it('combines fields and labels in one term', () => {
    const term = { matchFields: [expression('metadata.name', 'In', ['node-1'])], matchExpressions: [expression('zone', 'In', ['b'])] };
    expect(accepts(byTerms(term))).toBe(false);
  });
});

describe('taints and tolerations', () => {
  const controlPlane: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  const gpu: Taint = { key: 'gpu', value: 'a100', effect: 'NoExecute' };
  const soft: Taint = { key: 'spot', value: 'true', effect: 'PreferNoSchedule' };

  it.each([
    ['an Exists toleration of the key and effect', { key: 'gpu', operator: 'Exists', effect: 'NoExecute' }, gpu, true],
    ['an Equal toleration of the value', { key: 'gpu', operator: 'Equal', value: 'a100', effect: 'NoExecute' }, gpu, true],
    ['no operator, which means Equal', { key: 'gpu', value: 'a100' }, gpu, true],
    ['an Equal toleration of another value', { key: 'gpu', value: 'h100', effect: 'NoExecute' }, gpu, false],
    ['another effect', { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, gpu, false],
    ['an empty effect, which tolerates every effect', { key: 'gpu', operator: 'Exists' }, gpu, true],
    ['an empty key with Exists, which tolerates everything', { operator: 'Exists' }, gpu, true],
    ['another key', { key: 'tpu', operator: 'Exists' }, gpu, false],
    ['Equal without a value, on a taint without one', { key: 'node-role.kubernetes.io/control-plane' }, controlPlane, true],
    ['Equal without a value, on a taint with one', { key: 'gpu' }, gpu, false],
    ['Gt (alpha, off by default: tolerates nothing)', { key: 'gpu', operator: 'Gt', value: '1' }, { key: 'gpu', value: '5', effect: 'NoSchedule' }, false],
  ] satisfies [string, Toleration, Taint, boolean][])('%s', (_name, toleration, taint, want) => {
    expect(toleratesTaint(toleration, taint)).toBe(want);
  });

  it('keeps a pod off a node with a NoSchedule or NoExecute taint it does not tolerate', () => {
    expect(accepts(spec(), nodeInfo({ name: 'cp', taints: [controlPlane] }))).toBe(false);
    expect(accepts(spec(), nodeInfo({ name: 'g', taints: [gpu] }))).toBe(false);
    expect(accepts(spec({ tolerations: [{ key: controlPlane.key, operator: 'Exists' }] }), nodeInfo({ name: 'cp', taints: [controlPlane] }))).toBe(true);
  });

  it('needs every such taint tolerated', () => {
    const node = nodeInfo({ name: 'both', taints: [controlPlane, gpu] });
    expect(accepts(spec({ tolerations: [{ key: controlPlane.key, operator: 'Exists' }] }), node)).toBe(false);
    expect(accepts(spec({ tolerations: [{ key: controlPlane.key, operator: 'Exists' }, { key: 'gpu', operator: 'Exists' }] }), node)).toBe(true);
  });

  it('lets PreferNoSchedule through: it only scores', () => {
    expect(accepts(spec(), nodeInfo({ name: 's', taints: [soft] }))).toBe(true);
  });
});

describe('cordoned nodes', () => {
  const cordoned = nodeInfo({ name: 'c', unschedulable: true });

  it('keeps a pod off unless it tolerates node.kubernetes.io/unschedulable:NoSchedule', () => {
    expect(accepts(spec(), cordoned)).toBe(false);
    expect(accepts(spec({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }), cordoned)).toBe(true);
    expect(accepts(spec({ tolerations: [{ operator: 'Exists' }] }), cordoned)).toBe(true);
    expect(accepts(spec({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }), cordoned)).toBe(false);
  });
});

describe('the DaemonSet controller tolerations', () => {
  const conditions: Taint[] = [
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
  ];
  const networkUnavailable: Taint = { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' };

  it.each(conditions.map((t) => [t.key, t] as const))('lets its pods onto a node tainted %s', (_key, taint) => {
    const s = spec();
    expect(nodeFilterOf(s).accepts(nodeInfo({ name: 'n', taints: [taint] }))).toBe(false);
    expect(nodeFilterOf(s, daemonPodTolerations(s)).accepts(nodeInfo({ name: 'n', taints: [taint] }))).toBe(true);
  });

  it('lets its pods onto a cordoned node', () => {
    const s = spec();
    expect(nodeFilterOf(s, daemonPodTolerations(s)).accepts(nodeInfo({ name: 'n', unschedulable: true }))).toBe(true);
  });

  it('lets only hostNetwork pods onto a node whose network is unavailable', () => {
    const node = nodeInfo({ name: 'n', taints: [networkUnavailable] });
    const plain = spec();
    const hostNetwork = spec({ hostNetwork: true });
    expect(nodeFilterOf(plain, daemonPodTolerations(plain)).accepts(node)).toBe(false);
    expect(nodeFilterOf(hostNetwork, daemonPodTolerations(hostNetwork)).accepts(node)).toBe(true);
  });

  it('adds nothing for a control-plane taint', () => {
    const s = spec();
    expect(nodeFilterOf(s, daemonPodTolerations(s)).accepts(nodeInfo({ name: 'cp', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }))).toBe(false);
  });
});

describe('readsIdentity', () => {
  it.each([
    ['a plain pod', spec(), false],
    ['a label selector', spec({ nodeSelector: { zone: 'a' } }), false],
    ['a hostname selector', spec({ nodeSelector: { 'kubernetes.io/hostname': 'node-1' } }), true],
    ['a hostname expression', byTerms({ matchExpressions: [expression('kubernetes.io/hostname', 'NotIn', ['x'])] }), true],
    ['matchFields', byTerms({ matchFields: [expression('metadata.name', 'In', ['node-1'])] }), true],
  ] satisfies [string, PodSpecLike, boolean][])('for %s', (_name, s, want) => {
    expect(nodeFilterOf(s).readsIdentity).toBe(want);
  });
});
