/**
 * Reservations every replica sees, from the decision's side. Before a replica lets in a
 * pinned pod that holds host ports, the server asks the cluster to hold those ports for
 * it (src/cluster/cluster-reservations.ts); what comes back changes the answer here, and
 * only here. Pure: the caller takes the reservation and sends the answer.
 */
import type { Occupant } from '../engine/types.js';
import type { Decision } from './decide.js';
import { MAX_WARNINGS, unreservedDenial, unreservedWarning } from './messages.js';
import type { Answer } from './respond.js';
import { responseOf, reviewOf } from './respond.js';
import type { DecodedReview } from './review.js';

/** What an attempt to hold a pod's ports for every replica (or, for a dry run, to look) came to. */
export type HoldOutcome =
  /** Every port is held for this pod until the watch shows it or the TTL passes. */
  | { readonly kind: 'taken' }
  /** A dry run looked and found nothing in the way; nothing was written. */
  | { readonly kind: 'free' }
  /** A pod admitted by another replica (a twin) holds a colliding port; nothing is held. */
  | { readonly kind: 'refused'; readonly holders: readonly Occupant[] }
  /** The API server did not take the reservation in time (timeout, 5xx, throttled); nothing is held. */
  | { readonly kind: 'failed'; readonly reason: string };

/** Every value of the `reservations.onApiError` setting. */
export const ON_API_ERROR = ['deny', 'local'] as const;

/**
 * What a pinned pod gets in `enforce` when its reservation failed: `deny` (fail closed:
 * a denial that says so) or `local` (admitted, reserved in this replica only, with a
 * warning). `warn` and `audit` never deny for this: a real collision would not either.
 */
export type OnApiError = (typeof ON_API_ERROR)[number];

/** The pod an answer lets in on a known node, holding host ports, if any (a dry run's too). */
export function letIn(answer: Answer): Occupant | undefined {
  if (answer.kind !== 'decided' || !answer.review.response.allowed) return undefined;
  return answer.decision.admits;
}

/** The pod an answer lets in and whose ports must be held, if any: never for a dry run, which creates nothing. */
export function admittedBy(review: DecodedReview, answer: Answer): Occupant | undefined {
  return review.request.dryRun === true ? undefined : letIn(answer);
}

/**
 * Whether the pod would be denied if a twin held its ports: decided again beside a pod
 * holding exactly the same ports on the same node. Failing closed is never stricter
 * than a real collision would be.
 */
function deniedBeside(admits: Occupant, redecide: (holders: readonly Occupant[]) => Answer): boolean {
  const twin: Occupant = { ...admits, pod: { namespace: admits.pod.namespace, name: `${admits.pod.name}-twin`, uid: 'hostport-guard.io/unreserved-twin' } };
  const answer = redecide([twin]);
  return answer.kind === 'decided' && answer.decision.kind === 'deny';
}

function withDecision(answer: Answer & { readonly kind: 'decided' }, decision: Decision): Answer {
  return { ...answer, decision, review: reviewOf(responseOf(answer.review.response.uid, decision)) };
}

/**
 * The answer once the reservation of `admits` was tried (or looked at, for a dry run):
 * - `taken`, `free`: unchanged;
 * - `refused`: decided again with the twins in view (`redecide`), so a denial names the
 *   pod that holds the port in exactly the words an indexed holder gets;
 * - `failed`: where a twin would be denied (a pinned pod in `enforce`), a denial saying
 *   so (`onApiError: deny`) or the answer with a warning (`local`); where a twin would
 *   not be (`warn`, a static pod's mirror), always the warning; in `audit`, unchanged.
 */
export function settle(
  answer: Answer,
  admits: Occupant,
  outcome: HoldOutcome,
  redecide: (holders: readonly Occupant[]) => Answer,
  onApiError: OnApiError,
): Answer {
  if (answer.kind !== 'decided') return answer;
  switch (outcome.kind) {
    case 'taken':
    case 'free':
      return answer;
    case 'refused':
      return redecide(outcome.holders);
    case 'failed': {
      const { decision } = answer;
      if (decision.mode === 'audit') return answer;
      if (onApiError === 'deny' && deniedBeside(admits, redecide)) {
        const { admits: _dropped, ...rest } = decision;
        return withDecision(answer, { ...rest, kind: 'deny', message: unreservedDenial(admits, outcome.reason) });
      }
      const earlier = decision.kind === 'warn' ? decision.warnings.slice(0, MAX_WARNINGS - 1) : [];
      return withDecision(answer, { ...decision, kind: 'warn', warnings: [...earlier, unreservedWarning(admits)] });
    }
  }
}
