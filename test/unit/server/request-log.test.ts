import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import http from 'node:http';
import { recordOutcome } from '../../../src/server/outcome.js';
import { MAX_LOGGED_FIELD, requestLog } from '../../../src/server/request-log.js';
import type { TestServer } from './http.js';
import { done, eventually, notYet } from '../../support/wait.js';
import { captureLogger, send, serve } from './http.js';

describe('requestLog', () => {
  const log = captureLogger();
  let clock = 100;
  let arrived: () => void = () => undefined;
  let server: TestServer;

  beforeAll(async () => {
    const app = express();
    app.use(requestLog({ logger: log.logger, now: () => (clock += 5) }));
    app.post('/validate', (_req, res) => {
      recordOutcome(res, { uid: 'u1', operation: 'CREATE', kind: 'Pod', namespace: 'team-a', name: 'api', mode: 'enforce', decision: 'deny', conflicts: 1 });
      res.json({});
    });
    app.post('/refused', (_req, res) => {
      recordOutcome(res, { decision: 'error', code: 'HPG_ERR_EMPTY_BODY' });
      res.status(400).json({});
    });
    app.post('/failed', (_req, res) => {
      res.status(500).json({});
    });
    app.post('/hostile', (_req, res) => {
      recordOutcome(res, { uid: 'u'.repeat(100_000), kind: 'Pod\u2028', namespace: 'team-a\u009b31m', name: 'api\u001b]0;x\u0007\u202e' });
      res.json({});
    });
    app.post('/hang', () => {
      arrived();
    });
    server = await serve(app);
  });

  afterAll(async () => {
    await server.close();
  });

  /** Waits until the server has logged `count` lines (the log is written when the connection is done). */
  function linesAfter(count: number): Promise<Record<string, unknown>[]> {
    return eventually(`${count} log lines`, () => (log.lines.length >= count ? done(log.lines) : notYet(`${log.lines.length} lines`)), { intervalMs: 5 });
  }

  it.each([
    [
      'logs a decided request at info with who it was about and what was decided',
      '/validate',
      {
        level: 30,
        msg: 'request answered',
        method: 'POST',
        path: '/validate',
        status: 200,
        uid: 'u1',
        operation: 'CREATE',
        kind: 'Pod',
        namespace: 'team-a',
        name: 'api',
        mode: 'enforce',
        decision: 'deny',
        conflicts: 1,
        durationMs: 5,
      },
    ],
    [
      'logs a refused request at warn with its code',
      '/refused',
      { level: 40, msg: 'request refused', method: 'POST', path: '/refused', status: 400, decision: 'error', code: 'HPG_ERR_EMPTY_BODY', durationMs: 5 },
    ],
    ['logs a failed request at error', '/failed', { level: 50, msg: 'request failed', method: 'POST', path: '/failed', status: 500, durationMs: 5 }],
  ])('%s', async (_name, path, line) => {
    log.lines.length = 0;
    await send(`${server.url}${path}`, { body: '{}' });
    expect(await linesAfter(1)).toEqual([line]);
  });

  it('clips a long uid and shows invisible characters as escapes, in every field', async () => {
    log.lines.length = 0;
    await send(`${server.url}/hostile`, { body: '{}' });
    const [line] = await linesAfter(1);
    expect(line).toMatchObject({ kind: 'Pod\\u2028', namespace: 'team-a\\u009b31m', name: 'api\\u001b]0;x\\u0007\\u202e' });
    expect(line?.['uid']).toBe(`${'u'.repeat(MAX_LOGGED_FIELD - 3)}...`);
  });

  it('logs a request whose client went away before the answer as aborted', async () => {
    log.lines.length = 0;
    const request = http.request(`${server.url}/hang`, { method: 'POST' });
    request.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      arrived = resolve;
      request.end('{}');
    });
    request.destroy();
    expect(await linesAfter(1)).toEqual([
      { level: 40, msg: 'request aborted', method: 'POST', path: '/hang', status: 200, durationMs: 5, aborted: true },
    ]);
  });
});
