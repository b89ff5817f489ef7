import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { responderFor } from '../../../src/admission/respond.js';
import { createAdmissionApp } from '../../../src/server/admission-app.js';
import { createHealthApp, startHealthServer } from '../../../src/server/health.js';
import type { RunningServer } from '../../../src/server/lifecycle.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { DEFAULT_RULES, occupant, viewOf } from '../../fixtures/pods.js';
import { podReview } from '../../fixtures/reviews.js';
import type { TestServer } from './http.js';
import { captureLogger, send, serve } from './http.js';

describe('health server', () => {
  const registry = new Registry();
  const state = { synced: false, certificate: false, live: true };
  let health: RunningServer;
  let url: string;
  let admission: TestServer;

  beforeAll(async () => {
    const metrics = createMetrics(registry, { pods: () => 1, nodes: () => 2 });
    health = await startHealthServer({
      app: createHealthApp({
        registry,
        checks: [
          { name: 'index-synced', ready: () => state.synced },
          { name: 'certificate-loaded', ready: () => state.certificate },
        ],
        live: () => state.live,
      }),
      host: '127.0.0.1',
      port: 0,
    });
    url = `http://127.0.0.1:${health.port}`;
    admission = await serve(
      createAdmissionApp({
        respond: responderFor({ defaultMode: 'enforce', exemptNamespaces: new Set(), ...DEFAULT_RULES }, { modeLabelOf: () => undefined }, viewOf([occupant()])),
        logger: captureLogger().logger,
        metrics,
        onAdmit: () => undefined,
        now: () => 0,
        bodyLimitBytes: 4 * 1024 * 1024,
      }),
    );
  });

  afterAll(async () => {
    await health.stop(1_000);
    await admission.close();
  });

  it('is not ready, naming what is missing, until the index is synced and the certificate loaded', async () => {
    const replies = [];
    replies.push(await send(`${url}/readyz`, { method: 'GET' }));
    state.synced = true;
    replies.push(await send(`${url}/readyz`, { method: 'GET' }));
    state.certificate = true;
    replies.push(await send(`${url}/readyz`, { method: 'GET' }));
    expect(replies.map(({ status, json }) => ({ status, json }))).toEqual([
      { status: 503, json: { status: 'not ready', failing: ['index-synced', 'certificate-loaded'] } },
      { status: 503, json: { status: 'not ready', failing: ['certificate-loaded'] } },
      { status: 200, json: { status: 'ready' } },
    ]);
  });

  it('is live while the liveness callback says so', async () => {
    const live = await send(`${url}/livez`, { method: 'GET' });
    state.live = false;
    const dead = await send(`${url}/livez`, { method: 'GET' });
    state.live = true;
    expect([live, dead].map(({ status, json }) => ({ status, json }))).toEqual([
      { status: 200, json: { status: 'ok' } },
      { status: 503, json: { status: 'unhealthy' } },
    ]);
  });

  it('exports the decision counter at /metrics once a review was answered', async () => {
    await send(`${admission.url}/validate`, { body: podReview() });
    const reply = await send(`${url}/metrics`, { method: 'GET' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('text/plain');
    expect(reply.text.split('\n')).toEqual(
      expect.arrayContaining(['hostport_guard_decisions_total{mode="enforce",decision="deny"} 1', 'hostport_guard_index_nodes 2']),
    );
  });

  it('answers JSON 404 elsewhere', async () => {
    const reply = await send(`${url}/healthz`, { method: 'GET' });
    expect({ status: reply.status, json: reply.json }).toEqual({
      status: 404,
      json: { code: 'HPG_ERR_NOT_FOUND', message: 'no route for GET /healthz' },
    });
  });
});
