import type { RequestHandler } from 'express';
import type { Answer, Responder } from '../admission/respond.js';
import type { DecodedReview } from '../admission/review.js';
import { decodeReview } from '../admission/review.js';
import type { Occupant } from '../engine/types.js';
import { sendReviewError } from './errors.js';
import type { Outcome } from './outcome.js';
import { recordOutcome } from './outcome.js';

/** Collaborators of the `/validate` handler. */
export interface ValidateDeps {
  /** Decides a decoded review (respond.ts, bound to the policy and the live index). */
  readonly respond: Responder;
  /**
   * Called with the occupant of every pod let in on a known node, so its ports are held
   * until the watch shows the pod; never for dry runs, which create nothing.
   */
  readonly onAdmit: (occupant: Occupant) => void;
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
 * `POST /validate`: decodes the parsed body, answers 400 with what was wrong when it is
 * not a usable AdmissionReview, else answers 200 with the decision. Exceptions go to
 * error-handler.ts.
 */
export function validateHandler(deps: ValidateDeps): RequestHandler {
  return (req, res) => {
    const body: unknown = req.body;
    const decoded = decodeReview(body);
    if (!decoded.ok) {
      sendReviewError(res, 400, decoded.code, decoded.reason, decoded.uid);
      return;
    }
    recordOutcome(res, subjectFacts(decoded.review));
    const answer = deps.respond(decoded.review);
    recordOutcome(res, answerFacts(answer));
    if (answer.kind === 'decided' && answer.review.response.allowed && decoded.review.request.dryRun !== true) {
      const { admits } = answer.decision;
      if (admits !== undefined) deps.onAdmit(admits);
    }
    res.status(200).json(answer.review);
  };
}
