import type { RequestHandler, Response } from 'express';
import type { HoldOutcome, OnApiError } from '../admission/hold.js';
import { admittedBy, settle } from '../admission/hold.js';
import type { Answer, Responder } from '../admission/respond.js';
import type { DecodedReview } from '../admission/review.js';
import { decodeReview } from '../admission/review.js';
import type { Occupant } from '../engine/types.js';
import { sendReviewError } from './errors.js';
import type { ReservationMetrics } from './metrics.js';
import type { Outcome } from './outcome.js';
import { recordOutcome } from './outcome.js';

/** Reservations that every replica of the webhook sees (src/cluster/cluster-reservations.ts). */
export interface ClusterHold {
  /** Holds the ports of a pod about to be let in; never rejects, and answers within its own bound. */
  readonly hold: (occupant: Occupant) => Promise<HoldOutcome>;
  /** What an `enforce` pod gets when the API server could not take the reservation. */
  readonly onApiError: OnApiError;
  /** Counts each attempt and the time it added. */
  readonly observe: ReservationMetrics['observeReservation'];
}

/** Collaborators of the `/validate` handler. */
export interface ValidateDeps {
  /** Decides a decoded review (respond.ts, bound to the policy and the live index). */
  readonly respond: Responder;
  /**
   * Called with the occupant of every pod let in on a known node, so its ports are held
   * in this replica until the watch shows the pod; never for dry runs, which create nothing.
   */
  readonly onAdmit: (occupant: Occupant) => void;
  /** Present when reservations are held for every replica; then taken before the answer is sent. */
  readonly cluster?: ClusterHold;
  /** A monotonic clock in milliseconds, for the time a reservation adds. */
  readonly now: () => number;
}

/** Who the request is about, for the log. */
function subjectFacts(review: DecodedReview): Outcome {
  const { request, target } = review;
  const meta = target.kind === 'decide' ? target.object.metadata : undefined;
  const name = request.name ?? meta?.name ?? meta?.generateName;
  const namespace = request.namespace ?? meta?.namespace;
  return {
    uid: request.uid,
    operation: request.operation,
    kind: request.kind.kind,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  };
}

function answerFacts(answer: Answer): Outcome {
  switch (answer.kind) {
    case 'decided': {
      const { decision } = answer;
      return {
        mode: answer.mode,
        decision: decision.kind,
        conflicts: decision.conflicts.length,
        ...(decision.existing ? { existing: true } : {}),
        ...(decision.kind === 'warn' ? { warnings: decision.warnings } : {}),
      };
    }
    case 'exempt':
      return { mode: 'exempt', decision: 'allow' };
    case 'skipped':
      return { mode: 'none', decision: 'skip' };
  }
}

/**
 * The answer once the pod it lets in holds its ports for every replica: taken, refused
 * by a twin (decided again, naming it), or failed (settled by `onApiError`).
 */
async function heldAnswer(deps: ValidateDeps, cluster: ClusterHold, review: DecodedReview, answer: Answer, admits: Occupant, res: Response): Promise<Answer> {
  const started = deps.now();
  const outcome = await cluster.hold(admits);
  cluster.observe(outcome.kind, (deps.now() - started) / 1000);
  recordOutcome(res, { reservation: outcome.kind, ...(outcome.kind === 'failed' ? { reservationError: outcome.reason } : {}) });
  return settle(answer, admits, outcome, (holders) => deps.respond(review, holders), cluster.onApiError);
}

/**
 * `POST /validate`: decodes the parsed body, answers 400 with what was wrong when it is
 * not a usable AdmissionReview, else answers 200 with the decision. A pod let in on a
 * known node first holds its ports for every replica (when configured), then in this
 * one. Exceptions go to error-handler.ts.
 */
export function validateHandler(deps: ValidateDeps): RequestHandler {
  return async (req, res) => {
    const body: unknown = req.body;
    const decoded = decodeReview(body);
    if (!decoded.ok) {
      sendReviewError(res, 400, decoded.code, decoded.reason, decoded.uid);
      return;
    }
    const review = decoded.review;
    recordOutcome(res, subjectFacts(review));
    let answer = deps.respond(review);
    const admits = admittedBy(review, answer);
    if (admits !== undefined && deps.cluster !== undefined) answer = await heldAnswer(deps, deps.cluster, review, answer, admits, res);
    recordOutcome(res, answerFacts(answer));
    const held = admittedBy(review, answer);
    if (held !== undefined) deps.onAdmit(held);
    res.status(200).json(answer.review);
  };
}
