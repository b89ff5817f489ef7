/**
 * The differential of the engine against the real kube-scheduler, shared by its stories
 * (scheduler-agreement, scheduler-placement): random pods are applied, the scheduler binds
 * or refuses each, and the engine's decide() is then compared with what it did.
 */
import { expect } from '@jest/globals';
import type { Rules } from '../../../src/admission/decide.js';
import { decide } from '../../../src/admission/decide.js';
import { decodeAdmittedObject } from '../../../src/admission/review.js';
import type { Subject } from '../../../src/admission/subject.js';
import { subjectOf } from '../../../src/admission/subject.js';
import type { PortView } from '../../../src/engine/view.js';
import { rawPods } from './pods.js';
import type { Suite } from './suite.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** The scheduler knows only pods: no node daemon's port is compared here. */
export const SCHEDULER_RULES: Rules = { reservedPorts: [], undeclaredPorts: 'ignore' };

/** A pod from the API as the subject the webhook would decide; throws on anything else. */
export function decodedPod(raw: unknown): Subject {
  const decoded = decodeAdmittedObject(raw);
  if (!decoded.ok || decoded.object.kind !== 'Pod') throw new Error(`not a pod: ${JSON.stringify(raw).slice(0, 200)}`);
  return subjectOf(decoded.object, decoded.object.metadata.namespace ?? '');
}

/** A PodScheduled condition. */
export interface Scheduled {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** The PodScheduled condition of a pod from the API. */
export function scheduledCondition(raw: unknown): Scheduled | undefined {
  if (typeof raw !== 'object' || raw === null || !('status' in raw)) return undefined;
  const { status } = raw;
  if (typeof status !== 'object' || status === null || !('conditions' in status) || !Array.isArray(status.conditions)) return undefined;
  const conditions: unknown[] = status.conditions;
  for (const c of conditions) {
    if (typeof c !== 'object' || c === null) continue;
    const field = (key: string): string => {
      const value: unknown = Object.getOwnPropertyDescriptor(c, key)?.value;
      return typeof value === 'string' ? value : '';
    };
    if (field('type') === 'PodScheduled') return { status: field('status'), reason: field('reason'), message: field('message') };
  }
  return undefined;
}

/**
 * Applies `file`, which holds `count` pods in `namespace`, and waits until the scheduler
 * has either bound each pod or given up on it for now (Unschedulable); the pods as the
 * API then has them.
 */
export async function scheduledPods(suite: Suite, file: string, namespace: string, count: number): Promise<unknown[]> {
  const applied = await suite.kubectl(['apply', '-f', file]);
  expect({ exitCode: applied.exitCode, created: applied.stdout.split('\n').filter((l) => l.endsWith(' created')).length }).toEqual({
    exitCode: 0,
    created: count,
  });
  return eventually(
    'the scheduler to bind or refuse every pod',
    async () => {
      const all = await rawPods(namespace);
      const undecided = all.filter((p) => {
        const subject = decodedPod(p);
        const bound = subject.kind === 'Pod' && (subject.pod.spec.nodeName ?? '') !== '';
        return !bound && scheduledCondition(p)?.reason !== 'Unschedulable';
      });
      return undecided.length === 0 && all.length === count ? done(all) : notYet(`${undecided.length} of ${all.length} pods undecided`);
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
}

/** The nodes of `nodes` on which the engine would not deny `subject` if it were pinned there. */
export function notDeniedOn(subject: Extract<Subject, { readonly kind: 'Pod' }>, nodes: readonly string[], view: PortView): string[] {
  return nodes.filter((node) => {
    const pinned = { ...subject, pod: { ...subject.pod, spec: { ...subject.pod.spec, nodeName: node } } };
    return decide(pinned, 'enforce', view, SCHEDULER_RULES).kind !== 'deny';
  });
}
