/**
 * How the admission server says no. Every refusal on `/validate` is an AdmissionReview
 * (admission.k8s.io/v1) with `allowed: false` and a metav1.Status whose message starts
 * with an HPG_ERR_* code, like controller-runtime's `admission.Errored`; the request uid
 * is echoed whenever the body carried one, else it is empty. Other paths answer
 * `{code, message}`.
 */
import type { Response } from 'express';
import type { AdmissionReviewResponse } from '../admission/respond.js';
import { MAX_MESSAGE_LENGTH } from '../admission/messages.js';
import { reviewOf } from '../admission/respond.js';
import { shown } from '../admission/text.js';
import { recordOutcome } from './outcome.js';
import { sendJson } from './send-json.js';

/** Content-Type is not `application/json` (with an optional UTF-8 charset), or the body is compressed. */
export const HPG_ERR_UNSUPPORTED_MEDIA_TYPE = 'HPG_ERR_UNSUPPORTED_MEDIA_TYPE';
/** The body is larger than the configured limit. */
export const HPG_ERR_BODY_TOO_LARGE = 'HPG_ERR_BODY_TOO_LARGE';
/** The request has no body. */
export const HPG_ERR_EMPTY_BODY = 'HPG_ERR_EMPTY_BODY';
/** The body is not JSON. */
export const HPG_ERR_MALFORMED_JSON = 'HPG_ERR_MALFORMED_JSON';
/** The body could not be read (aborted, or its length does not match Content-Length). */
export const HPG_ERR_BAD_REQUEST = 'HPG_ERR_BAD_REQUEST';
/** Deciding the request threw: a bug or broken infrastructure, logged with its stack. */
export const HPG_ERR_INTERNAL = 'HPG_ERR_INTERNAL';
/** No such path. */
export const HPG_ERR_NOT_FOUND = 'HPG_ERR_NOT_FOUND';
/** `/validate` only answers POST. */
export const HPG_ERR_METHOD_NOT_ALLOWED = 'HPG_ERR_METHOD_NOT_ALLOWED';

/** The metav1.StatusReason for each HTTP status the server answers with. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
};

/**
 * The longest detail of an error answer. It quotes the request (a JSON pointer built from
 * the object's keys, the JSON parser's view of the body), which can be anything: it is
 * shown visibly and clipped like a denial.
 */
export const MAX_ERROR_DETAIL = MAX_MESSAGE_LENGTH;

/** `{apiVersion, kind, response: {uid, allowed: false, status: {code, reason, message: "CODE: message"}}}`. */
export function errorReview(httpStatus: number, code: string, message: string, uid = ''): AdmissionReviewResponse {
  return reviewOf({
    uid,
    allowed: false,
    status: { code: httpStatus, reason: REASONS[httpStatus] ?? 'Unknown', message: `${code}: ${shown(message, MAX_ERROR_DETAIL)}` },
  });
}

/** Answers a `/validate` request with an error review and records it for the log and metrics. */
export function sendReviewError(res: Response, httpStatus: number, code: string, message: string, uid?: string): void {
  recordOutcome(res, uid === undefined ? { decision: 'error', code } : { decision: 'error', code, uid });
  sendJson(res, httpStatus, errorReview(httpStatus, code, message, uid));
}

/** The body of an error outside `/validate`. */
export interface PlainError {
  readonly code: string;
  readonly message: string;
}

/** Answers with `{code, message}`. */
export function sendPlainError(res: Response, httpStatus: number, code: string, message: string): void {
  const body: PlainError = { code, message: shown(message, MAX_ERROR_DETAIL) };
  res.status(httpStatus).json(body);
}
