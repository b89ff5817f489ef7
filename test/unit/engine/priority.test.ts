/**
 * Priorities as the Priority admission plugin resolves them and the scheduler's
 * preemption compares them.
 */
import { describe, expect, it } from '@jest/globals';

import type { PriorityClassInfo } from '../../../src/engine/priority.js';
import { defaultOf, holderPriority, podPriority, priorityClassesOf } from '../../../src/engine/priority.js';
import type { PodSpecLike } from '../../../src/engine/types.js';

const HIGH: PriorityClassInfo = { name: 'high', value: 1000, globalDefault: false };
const SHY: PriorityClassInfo = { name: 'shy', value: 5000, globalDefault: false, preemptionPolicy: 'Never' };
const FALLBACK: PriorityClassInfo = { name: 'fallback', value: 7, globalDefault: true };

function spec(overrides: Partial<PodSpecLike> = {}): PodSpecLike {
  return { containers: [], ...overrides };
}

describe('podPriority', () => {
  const classes = priorityClassesOf([HIGH, SHY]);
  const withDefault = priorityClassesOf([HIGH, FALLBACK]);

  it.each([
    ['spec.priority, as the API server set it', spec({ priority: 42, priorityClassName: 'high' }), classes, { value: 42, preempts: true }],
    ['a class by name', spec({ priorityClassName: 'high' }), classes, { value: 1000, preempts: true }],
    ['a built-in class by name', spec({ priorityClassName: 'system-cluster-critical' }), classes, { value: 2_000_000_000, preempts: true }],
    ['the other built-in class', spec({ priorityClassName: 'system-node-critical' }), priorityClassesOf([]), { value: 2_000_001_000, preempts: true }],
    ['no class and no default: 0', spec(), classes, { value: 0, preempts: true }],
    ['no class: the global default', spec(), withDefault, { value: 7, preempts: true }],
    ["a class's Never policy", spec({ priorityClassName: 'shy' }), classes, { value: 5000, preempts: false }],
    ["the pod's own Never policy", spec({ priority: 9, preemptionPolicy: 'Never' }), classes, { value: 9, preempts: false }],
    ['PreemptLowerPriority over nothing', spec({ priority: 9, preemptionPolicy: 'PreemptLowerPriority' }), classes, { value: 9, preempts: true }],
    ['an unknown class: not known', spec({ priorityClassName: 'nope' }), classes, undefined],
    ['an unknown class, yet spec.priority', spec({ priority: 3, priorityClassName: 'nope' }), classes, { value: 3, preempts: true }],
  ] satisfies [string, PodSpecLike, ReturnType<typeof priorityClassesOf>, ReturnType<typeof podPriority>][])('reads %s', (_name, s, c, want) => {
    expect(podPriority(s, c)).toEqual(want);
  });
});

describe('holderPriority', () => {
  const classes = priorityClassesOf([HIGH, FALLBACK]);

  it.each([
    ['spec.priority', 12, undefined, 12],
    ['its class, when it has no priority', undefined, 'high', 1000],
    ['0 without either, as the scheduler counts it', undefined, undefined, 0],
    ['not known for an unknown class', undefined, 'nope', undefined],
  ] satisfies [string, number | undefined, string | undefined, number | undefined][])('reads %s', (_name, priority, className, want) => {
    expect(holderPriority(priority, className, classes)).toBe(want);
  });
});

describe('defaultOf', () => {
  it('takes the lowest global default, as the Priority admission plugin does after a race', () => {
    expect(defaultOf([HIGH, { ...FALLBACK, value: 70 }, FALLBACK, { name: 'other', value: 8, globalDefault: true }])).toEqual(FALLBACK);
    expect(defaultOf([HIGH])).toBeUndefined();
  });
});
