import express from 'express';
import type { RequestHandler } from 'express';
import { shown } from '../admission/text.js';
import { HPG_ERR_EMPTY_BODY, HPG_ERR_MALFORMED_JSON, sendReviewError } from './errors.js';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from './json-chars.js';
import { parseLeavingManagedFields } from './managed-fields.js';

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

/** Why a body is refused: empty, nested past MAX_JSON_DEPTH, or not JSON. */
export type BodyRefusal = 'empty' | 'too deep' | 'not JSON';

/** A body read as JSON, or why it is refused (400), with the error code and message. */
export type ParsedBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly refusal: BodyRefusal; readonly code: typeof HPG_ERR_EMPTY_BODY | typeof HPG_ERR_MALFORMED_JSON; readonly message: string };

/**
 * Parses a request body as JSON, synchronously: refuses an empty body and one nested
 * past MAX_JSON_DEPTH, leaves managedFields unread, and otherwise parses the whole body,
 * so a malformed one is refused with JSON.parse's message about the body as sent.
 */
export function parseJsonBody(body: Buffer): ParsedBody {
  if (body.length === 0) return { ok: false, refusal: 'empty', code: HPG_ERR_EMPTY_BODY, message: 'request body is empty' };
  if (body.length > DEPTH_SCAN_FROM_BYTES && jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
    return { ok: false, refusal: 'too deep', code: HPG_ERR_MALFORMED_JSON, message: `request body nests deeper than ${MAX_JSON_DEPTH} levels, the most the API server sends` };
  }
  try {
    return { ok: true, value: parseLeavingManagedFields(body.toString('utf8')) };
  } catch (error) {
    // The parser's message quotes the body: keep it to one short line, shown visibly.
    const detail = error instanceof Error ? `: ${shown(error.message, MAX_DETAIL)}` : '';
    return { ok: false, refusal: 'not JSON', code: HPG_ERR_MALFORMED_JSON, message: `request body is not valid JSON${detail}` };
  }
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
    const parsed = parseJsonBody(Buffer.isBuffer(body) ? body : Buffer.alloc(0));
    if (!parsed.ok) {
      sendReviewError(res, 400, parsed.code, parsed.message);
      return;
    }
    req.body = parsed.value;
    next();
  };
  return [raw, parse];
}
