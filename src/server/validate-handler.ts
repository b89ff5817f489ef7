import type { Request, RequestHandler, Response } from 'express';
import type { HoldOutcome, OnApiError } from '../admission/hold.js';
import { admittedBy, letIn, settle } from '../admission/hold.js';
import type { Answer, Responder } from '../admission/respond.js';
import type { DecodedReview } from '../admission/review.js';
import { decodeReview } from '../admission/review.js';
import type { Occupant } from '../engine/types.js';
import { sendReviewError } from './errors.js';
import type { ReservationMetrics } from './metrics.js';
import { sendJson } from './send-json.js';
import type { Outcome } from './outcome.js';
import { recordOutcome } from './outcome.js';

/** Reservations that every replica of the webhook sees (src/cluster/cluster-reservations.ts). */
export interface ClusterHold {
  /** Holds the ports of a pod about to be let in; never rejects, and answers within its own bound. */
  readonly hold: (occupant: Occupant) => Promise<HoldOutcome>;
  /** Looks whether a twin holds them, writing nothing (dry runs); like `hold` otherwise. */
  readonly check: (occupant: Occupant) => Promise<HoldOutcome>;
  /** Gives back what `hold` took, when the answer can no longer be delivered. */
  readonly release: (occupant: Occupant) => void;
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
        conflicts: decision.conflictCount,
        ...(decision.node === null ? {} : { node: decision.node }),
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
 * by a twin (decided again, naming it), or failed (settled by `onApiError`). A dry run
 * only looks, so it answers as the real create would; it takes and refuses nothing, so
 * it is counted only when the API server failed it.
 */
async function heldAnswer(deps: ValidateDeps, cluster: ClusterHold, review: DecodedReview, answer: Answer, admits: Occupant, res: Response): Promise<Answer> {
  const dryRun = review.request.dryRun === true;
  const started = deps.now();
  const outcome = dryRun ? await cluster.check(admits) : await cluster.hold(admits);
  if (outcome.kind !== 'free' && (!dryRun || outcome.kind === 'failed')) cluster.observe(outcome.kind, (deps.now() - started) / 1000);
  recordOutcome(res, { reservation: outcome.kind, ...(outcome.kind === 'failed' ? { reservationError: outcome.reason } : {}) });
  if (outcome.kind === 'taken') {
    // The watch may have shown a colliding pod while the reservation was being taken:
    // decided again now (microseconds), such a pod denies, and the ports go back.
    const again = deps.respond(review);
    if (admittedBy(review, again) === undefined) {
      cluster.release(admits);
      return again;
    }
  }
  return settle(answer, admits, outcome, (holders) => deps.respond(review, holders), cluster.onApiError);
}

/**
 * Whether the API server has gone away from this request (its own timeout passed, or it
 * restarted): no answer will reach it, so the pod will not be created. Asked of the
 * request's connection: a response has no socket yet while an earlier answer on the same
 * kept-alive connection is still being sent, and its client is very much waiting.
 */
function clientGone(req: Request, res: Response): boolean {
  return res.destroyed || req.socket.destroyed;
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
    const admits = letIn(answer);
    const cluster = deps.cluster;
    if (admits !== undefined && cluster !== undefined) {
      if (clientGone(req, res)) {
        // Nobody waits for this answer: holding ports for it would only block them.
        recordOutcome(res, { ...answerFacts(answer), reservation: 'abandoned' });
        return;
      }
      answer = await heldAnswer(deps, cluster, review, answer, admits, res);
      if (clientGone(req, res)) {
        if (admittedBy(review, answer) !== undefined) cluster.release(admits);
        recordOutcome(res, { ...answerFacts(answer), reservation: 'abandoned' });
        return;
      }
    }
    recordOutcome(res, answerFacts(answer));
    const held = admittedBy(review, answer);
    if (held !== undefined) deps.onAdmit(held);
    sendJson(res, 200, answer.review);
  };
}
