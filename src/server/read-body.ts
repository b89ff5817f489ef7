import express from 'express';
import type { RequestHandler } from 'express';
import { shown } from '../admission/text.js';
import { HPG_ERR_EMPTY_BODY, HPG_ERR_MALFORMED_JSON, sendReviewError } from './errors.js';

const MAX_DETAIL = 200;

/**
 * The deepest JSON a body may nest: the API server's own limit (maxDepth in
 * k8s.io/apimachinery/pkg/util/json, maxNestingDepth in sigs.k8s.io/json), so nothing it
 * sends is refused. JSON.parse slows down with depth: 10,000 levels take ~6 ms here, the
 * 2 million a 4 MiB body can hold ~0.9 s, during which nothing else is answered.
 */
export const MAX_JSON_DEPTH = 10_000;

/**
 * Bodies shorter than this are not scanned for depth: they cannot nest past 8,192 levels,
 * which JSON.parse reads in about a millisecond, and the scan would cost ordinary ~10 KB
 * reviews 40 % of their parsing time. Longer bodies pay about 6 ms per MiB for it.
 */
export const DEPTH_SCAN_FROM_BYTES = 16 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the arrays and objects of a JSON body nest deeper than `max`, counting brackets
 * outside strings in one pass; it stops as soon as they do.
 */
export function jsonDepthExceeds(body: Buffer, max: number): boolean {
  // Each level takes one byte: a shorter body cannot nest deeper.
  if (body.length <= max) return false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  // An index loop: iterating a Buffer with for-of is twenty times slower.
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth += 1;
      if (depth > max) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth -= 1;
    }
  }
  return false;
}

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
    if (body.length > DEPTH_SCAN_FROM_BYTES && jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
      sendReviewError(res, 400, HPG_ERR_MALFORMED_JSON, `request body nests deeper than ${MAX_JSON_DEPTH} levels, the most the API server sends`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      // The parser's message quotes the body: keep it to one short line, shown visibly.
      const detail = error instanceof Error ? `: ${shown(error.message, MAX_DETAIL)}` : '';
      sendReviewError(res, 400, HPG_ERR_MALFORMED_JSON, `request body is not valid JSON${detail}`);
      return;
    }
    req.body = parsed;
    next();
  };
  return [raw, parse];
}
