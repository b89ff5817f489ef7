import express from 'express';
import type { RequestHandler } from 'express';
import { oneLine } from '../admission/messages.js';
import { HPG_ERR_EMPTY_BODY, HPG_ERR_MALFORMED_JSON, sendReviewError } from './errors.js';

const MAX_DETAIL = 200;

/** Options of readJsonBody. */
export interface ReadBodyOptions {
  /** Bodies past this many bytes are refused with 413 (see error-handler.ts). */
  readonly limitBytes: number;
}

/**
 * Reads the whole body (refusing compressed bodies and bodies past the limit, which
 * surface as errors for error-handler.ts) and parses it as JSON into `req.body`, or
 * answers 400 for an empty or malformed body. Parsing here rather than in express.json
 * keeps "empty" and "malformed" apart: express.json turns an empty body into `{}`.
 */
export function readJsonBody(options: ReadBodyOptions): RequestHandler[] {
  // The content type was already checked by requireJson; the API server never compresses.
  const raw = express.raw({ type: () => true, limit: options.limitBytes, inflate: false });
  const parse: RequestHandler = (req, res, next) => {
    const body: unknown = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      sendReviewError(res, 400, HPG_ERR_EMPTY_BODY, 'request body is empty');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      // The parser's message quotes the body: keep it to one short line.
      const detail = error instanceof Error ? `: ${oneLine(error.message).slice(0, MAX_DETAIL)}` : '';
      sendReviewError(res, 400, HPG_ERR_MALFORMED_JSON, `request body is not valid JSON${detail}`);
      return;
    }
    req.body = parsed;
    next();
  };
  return [raw, parse];
}
