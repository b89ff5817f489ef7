import type { RequestHandler } from 'express';
import { HPG_ERR_UNSUPPORTED_MEDIA_TYPE, sendReviewError } from './errors.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * Refuses with 415 any body that is not `application/json` (the API server always sends
 * that, see controller-runtime's webhook http.go), or that names a charset other than
 * UTF-8, before a byte of it is read.
 */
export function requireJson(): RequestHandler {
  return (req, res, next) => {
    const type = req.headers['content-type'];
    // What the API server always sends, taken without parsing the media type.
    if (type === 'application/json') {
      next();
      return;
    }
    if (type === undefined || req.is('application/json') !== 'application/json') {
      sendReviewError(res, 415, HPG_ERR_UNSUPPORTED_MEDIA_TYPE, `Content-Type must be application/json, got ${JSON.stringify(type ?? '')}`);
      return;
    }
    const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      sendReviewError(res, 415, HPG_ERR_UNSUPPORTED_MEDIA_TYPE, `charset must be utf-8, got ${JSON.stringify(charset)}`);
      return;
    }
    next();
  };
}
