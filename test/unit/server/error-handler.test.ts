import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { errorHandler } from '../../../src/server/error-handler.js';
import { outcomeOf, recordOutcome } from '../../../src/server/outcome.js';
import type { TestServer } from './http.js';
import { captureLogger, send, serve } from './http.js';

/** An error as body-parser raises it. */
function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, type: 'test' });
}

describe('errorHandler', () => {
  const log = captureLogger();
  const outcomes: unknown[] = [];
  let server: TestServer;

  beforeAll(async () => {
    const app = express();
    const failures: Readonly<Record<string, () => never>> = {
      'too-large': () => {
        throw httpError(413, 'request entity too large');
      },
      encoding: () => {
        throw httpError(415, 'content encoding unsupported');
      },
      aborted: () => {
        throw httpError(400, 'request aborted');
      },
      bug: () => {
        throw new TypeError('cannot read properties of undefined');
      },
      'not-an-error': () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- what a careless dependency might do
        throw 'a string';
      },
    };
    app.post('/late', (_req, res) => {
      res.write('partial');
      throw new Error('after the headers');
    });
    app.post('/:failure', (req, res) => {
      res.once('finish', () => outcomes.push(outcomeOf(res)));
      recordOutcome(res, { uid: 'uid-1' });
      const fail = failures[req.params['failure']];
      if (fail !== undefined) fail();
      res.status(204).end();
    });
    app.use(errorHandler({ logger: log.logger, limitBytes: 1024 }));
    server = await serve(app);
  });

  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['answers 413 past the limit', 'too-large', 413, 'RequestEntityTooLarge', 'HPG_ERR_BODY_TOO_LARGE: request body exceeds the limit of 1024 bytes'],
    ['answers 415 for a compressed body', 'encoding', 415, 'UnsupportedMediaType', 'HPG_ERR_UNSUPPORTED_MEDIA_TYPE: content encoding unsupported'],
    ['answers 400 for another client error', 'aborted', 400, 'BadRequest', 'HPG_ERR_BAD_REQUEST: request aborted'],
    ['answers 500 for a bug', 'bug', 500, 'InternalError', 'HPG_ERR_INTERNAL: deciding the request failed; the webhook log has the details'],
    ['answers 500 for a thrown non-error', 'not-an-error', 500, 'InternalError', 'HPG_ERR_INTERNAL: deciding the request failed; the webhook log has the details'],
  ])('%s, echoing the uid already known', async (_name, path, code, reason, message) => {
    const reply = await send(`${server.url}/${path}`, { body: '{}' });
    expect({ status: reply.status, body: reply.json }).toEqual({
      status: code,
      body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-1', allowed: false, status: { code, reason, message } } },
    });
  });

  it('logs a bug with its stack and marks the request as an error', async () => {
    log.lines.length = 0;
    outcomes.length = 0;
    await send(`${server.url}/bug`, { body: '{}' });
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 50,
        uid: 'uid-1',
        msg: 'deciding an admission request failed',
        err: expect.objectContaining({ type: 'TypeError', stack: expect.stringContaining('cannot read properties') }),
      }),
    ]);
    expect(outcomes).toEqual([{ uid: 'uid-1', decision: 'error', code: 'HPG_ERR_INTERNAL' }]);
  });

  it('does not log client errors', async () => {
    log.lines.length = 0;
    await send(`${server.url}/too-large`, { body: '{}' });
    expect(log.lines).toEqual([]);
  });

  it('cuts the connection and logs a failure after the headers were sent', async () => {
    log.lines.length = 0;
    await expect(send(`${server.url}/late`, { body: '{}' })).rejects.toThrow();
    expect(log.lines).toEqual([expect.objectContaining({ level: 50, msg: 'admission request failed after its answer started' })]);
  });
});
