/**
 * Turns a decoded review into the AdmissionReview answer: which mode applies, what the
 * engine decides, and how that decision is said on the wire. Pure: the caller sends the
 * answer, reserves admitted ports, logs and counts.
 */
import type { Conflict } from '../engine/conflicts.js';
import type { Occupant } from '../engine/types.js';
import type { PortView } from '../engine/view.js';
import { viewWith } from '../engine/view-with.js';
import type { Decision, Mode } from './decide.js';
import { decide } from './decide.js';
import { overBudgetAnnotation } from './budget.js';
import { conflictsAnnotation } from './messages.js';
import type { NamespaceModes, Policy } from './policy.js';
import { modeFor } from './policy.js';
import type { DecodedReview } from './review.js';
import { ADMISSION_API_VERSION } from './schema.js';
import { subjectOf } from './subject.js';

/** metav1.Status as an admission response carries it. */
export interface ResponseStatus {
  readonly code: number;
  /** A metav1.StatusReason; kubectl prints it in parentheses, e.g. `Error from server (Forbidden)`. */
  readonly reason: string;
  readonly message: string;
}

/** `response` of an AdmissionReview (admission.k8s.io/v1). hostport-guard never sends a patch. */
export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: ResponseStatus;
  readonly warnings?: readonly string[];
  /** The API server prefixes each key with the webhook name, e.g. `hostport-guard.io/conflicts`. */
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

/** The AdmissionReview sent back to the API server. */
export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** What was answered, and why: a decision in some mode, an exempt namespace, or a request not decided. */
export type Answer =
  | { readonly kind: 'decided'; readonly mode: Mode; readonly decision: Decision; readonly review: AdmissionReviewResponse }
  | { readonly kind: 'exempt'; readonly namespace: string; readonly review: AdmissionReviewResponse }
  | { readonly kind: 'skipped'; readonly reason: string; readonly review: AdmissionReviewResponse };

/**
 * Answers one decoded review. `holders` are pods another replica holds ports for
 * (hold.ts): the review is then decided as if the index showed them too.
 */
export type Responder = (review: DecodedReview, holders?: readonly Occupant[]) => Answer;

/**
 * Conflicts listed in the `conflicts` audit annotation before the rest are counted: audit
 * events are kept for a long time, one pathological pod should not bloat them.
 */
export const MAX_ANNOTATED_CONFLICTS = 20;

/** Wraps a response in the AdmissionReview envelope. */
export function reviewOf(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

function annotatedConflicts(conflicts: readonly Conflict[], total: number, atLeast: boolean): string {
  return conflictsAnnotation(conflicts.slice(0, MAX_ANNOTATED_CONFLICTS), total, atLeast);
}

/** The audit annotations of a decision that found conflicts or did not look for them; none otherwise. */
function auditOf(decision: Decision): { readonly auditAnnotations?: Readonly<Record<string, string>> } {
  const what = { mode: decision.mode, decision: decision.kind };
  if (decision.overBudget !== undefined) return { auditAnnotations: { ...what, hostPorts: overBudgetAnnotation(decision.overBudget) } };
  if (decision.conflictCount === 0) return {};
  return { auditAnnotations: { ...what, conflicts: annotatedConflicts(decision.conflicts, decision.conflictCount, decision.searchCut === true) } };
}

/** The wire form of a decision: denial status, warnings, and audit annotations when something collided. */
export function responseOf(uid: string, decision: Decision): AdmissionResponse {
  const audit = auditOf(decision);
  switch (decision.kind) {
    case 'allow':
      return { uid, allowed: true, ...audit };
    case 'warn':
      return { uid, allowed: true, warnings: decision.warnings, ...audit };
    case 'deny':
      // Without `reason` kubectl drops the "(Forbidden)" from its error line.
      return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: decision.message }, ...audit };
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/**
 * The answer to a decoded review: requests the engine does not decide and requests in
 * exempt namespaces are allowed as they are; everything else is decided in the
 * namespace's mode against `view`.
 */
export function respond(review: DecodedReview, policy: Policy, namespaceModes: NamespaceModes, view: PortView): Answer {
  const { request, target } = review;
  const allowed = reviewOf({ uid: request.uid, allowed: true });
  if (target.kind === 'skip') return { kind: 'skipped', reason: target.reason, review: allowed };
  const namespace = nonEmpty(request.namespace) ?? nonEmpty(target.object.metadata.namespace) ?? 'default';
  const mode = modeFor(namespace, policy, namespaceModes);
  if (mode === 'exempt') return { kind: 'exempt', namespace, review: allowed };
  // The audit annotation is all the response shows of the conflicts.
  const decision = decide(subjectOf(target.object, namespace, request.userInfo), mode, view, policy, { listedAcrossNodes: MAX_ANNOTATED_CONFLICTS });
  return { kind: 'decided', mode, decision, review: reviewOf(responseOf(request.uid, decision)) };
}

/** A Responder bound to one policy, namespace label source and port view. */
export function responderFor(policy: Policy, namespaceModes: NamespaceModes, view: PortView): Responder {
  return (review, holders = []) => respond(review, policy, namespaceModes, viewWith(view, holders));
}
