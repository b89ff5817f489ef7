import { describe, expect, it } from '@jest/globals';

import type { Decision, Mode } from '../../../src/admission/decide.js';
import { decide, messagesOf } from '../../../src/admission/decide.js';
import { MAX_HOST_PORTS } from '../../../src/admission/budget.js';
import { MAX_WARNING_LENGTH, MAX_WARNINGS } from '../../../src/admission/messages.js';
import { responseOf } from '../../../src/admission/respond.js';
import type { ContainerPortSpec } from '../../../src/engine/types.js';
import { container, hostPort, occupant, pod, POD_RULES, podSubject, unboundSpec, viewOf, workloadSubject } from '../../fixtures/pods.js';

/** `n` host ports on 0.0.0.0, numbered from 10000. */
function ports(n: number): ContainerPortSpec[] {
  return Array.from({ length: n }, (_, i) => ({ containerPort: 10000 + i, hostPort: 10000 + i }));
}

/** A pinned hostNetwork pod declaring `n` ports; worker-1 already holds 10000. */
function decideFor(n: number, mode: Mode): Decision {
  const incoming = pod({ metadata: { name: 'media', namespace: 'team-b', uid: 'uid-media' }, spec: { containers: [container('rtp', ports(n))] } });
  return decide(podSubject(incoming), mode, viewOf([occupant({ ports: [hostPort({ port: 10000 })] })], ['worker-1']), POD_RULES);
}

const PAST = MAX_HOST_PORTS + 1;

describe(`a pod declaring more than ${MAX_HOST_PORTS} host ports`, () => {
  it('is denied in enforce mode with a message that gives the count and the budget, without looking for conflicts', () => {
    const decision = decideFor(PAST, 'enforce');
    expect(decision.kind).toBe('deny');
    expect(decision.conflicts).toEqual([]);
    expect(decision.overBudget).toBe(PAST);
    expect(messagesOf(decision)).toEqual([
      `pod declares ${PAST} host ports; hostport-guard checks at most ${MAX_HOST_PORTS} per pod: declare fewer (a hostNetwork pod can bind ports it does not declare) or exempt the namespace`,
    ]);
  });

  it('is let in with one warning in warn mode', () => {
    const decision = decideFor(PAST, 'warn');
    expect(decision.kind).toBe('warn');
    expect(messagesOf(decision)).toEqual([`pod declares ${PAST} host ports, more than the ${MAX_HOST_PORTS} hostport-guard checks: not checked`]);
    expect(messagesOf(decision).every((w) => w.length <= MAX_WARNING_LENGTH)).toBe(true);
    expect(decision.admits?.ports).toHaveLength(PAST);
  });

  it('is let in silently in audit mode, and the audit annotation says why it was not checked', () => {
    const decision = decideFor(PAST, 'audit');
    expect(decision.kind).toBe('allow');
    expect(responseOf('uid-1', decision).auditAnnotations).toEqual({
      mode: 'audit',
      decision: 'allow',
      hostPorts: `${PAST} declared, more than the ${MAX_HOST_PORTS} checked per pod: not checked`,
    });
  });

  it('is still decided at exactly the budget', () => {
    const decision = decideFor(MAX_HOST_PORTS, 'enforce');
    expect(decision.kind).toBe('deny');
    expect(decision.overBudget).toBeUndefined();
    expect(decision.conflictCount).toBe(1);
  });

  it('makes a workload warn in enforce mode, since its pods will be denied when they are created', () => {
    const decision = decide(workloadSubject('Deployment', 'team-b/media', unboundSpec({ containers: [container('rtp', ports(PAST))] })), 'enforce', viewOf([], ['worker-1']), POD_RULES);
    expect(decision.kind).toBe('warn');
    expect(messagesOf(decision)).toEqual([`its pods declare ${PAST} host ports, more than the ${MAX_HOST_PORTS} hostport-guard checks: they will be denied`]);
  });
});

describe('many conflicts in warn mode', () => {
  it('warns about 23 and says how many more there are, instead of stopping at 24 in silence', () => {
    // 30 ports, each held on worker-1 by its own pod.
    const holders = Array.from({ length: 30 }, (_, i) => occupant({ pod: { namespace: 'team-a', name: `h${i}`, uid: `uid-h${i}` }, ports: [hostPort({ port: 10000 + i })] }));
    const incoming = pod({ metadata: { name: 'media', namespace: 'team-b', uid: 'uid-media' }, spec: { containers: [container('rtp', ports(30))] } });
    const decision = decide(podSubject(incoming), 'warn', viewOf(holders, ['worker-1']), POD_RULES);
    const warnings = messagesOf(decision);
    expect(warnings).toHaveLength(MAX_WARNINGS);
    expect(warnings.at(-1)).toBe(`and ${30 - (MAX_WARNINGS - 1)} more conflicts`);
  });
});
