import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { ReviewObservation } from '../../../src/server/metrics.js';
import { recordOutcome } from '../../../src/server/outcome.js';
import { requestMetrics } from '../../../src/server/request-metrics.js';
import type { TestServer } from './http.js';
import { send, serve } from './http.js';

describe('requestMetrics', () => {
  const observed: ReviewObservation[] = [];
  let clock = 0;
  let server: TestServer;

  beforeAll(async () => {
    const app = express();
    app.use(requestMetrics({ metrics: { observeReview: (o) => observed.push(o) }, now: () => (clock += 0.25) }));
    app.post('/warned', (_req, res) => {
      recordOutcome(res, { mode: 'warn', decision: 'warn', conflicts: 2 });
      res.json({});
    });
    app.post('/audited', (_req, res) => {
      recordOutcome(res, { mode: 'audit', decision: 'allow', conflicts: 1 });
      res.json({});
    });
    app.post('/mirrored', (_req, res) => {
      recordOutcome(res, { mode: 'enforce', decision: 'warn', conflicts: 1, existing: true });
      res.json({});
    });
    app.post('/skipped', (_req, res) => {
      recordOutcome(res, { mode: 'none', decision: 'skip' });
      res.json({});
    });
    app.post('/unknown', (_req, res) => {
      res.status(500).json({});
    });
    server = await serve(app);
  });

  afterAll(async () => {
    await server.close();
  });

  it.each<[string, string, ReviewObservation]>([
    ['counts a warning with its conflict', '/warned', { mode: 'warn', decision: 'warn', conflicting: true, existing: false, seconds: 0.00025 }],
    ['counts a conflict that audit mode only recorded', '/audited', { mode: 'audit', decision: 'allow', conflicting: true, existing: false, seconds: 0.00025 }],
    ['counts a conflict that already exists on the node apart', '/mirrored', { mode: 'enforce', decision: 'warn', conflicting: true, existing: true, seconds: 0.00025 }],
    ['counts a request it does not decide', '/skipped', { mode: 'none', decision: 'skip', conflicting: false, existing: false, seconds: 0.00025 }],
    ['counts a request the handler never described as an error', '/unknown', { mode: 'none', decision: 'error', conflicting: false, existing: false, seconds: 0.00025 }],
  ])('%s', async (_name, path, observation) => {
    observed.length = 0;
    await send(`${server.url}${path}`, { body: '{}' });
    expect(observed).toEqual([observation]);
  });
});
