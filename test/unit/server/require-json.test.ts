import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { requireJson } from '../../../src/server/require-json.js';
import type { TestServer } from './http.js';
import { send, serve } from './http.js';

describe('requireJson', () => {
  let server: TestServer;

  beforeAll(async () => {
    const app = express();
    app.post('/', requireJson(), (_req, res) => {
      res.status(204).end();
    });
    server = await serve(app);
  });

  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['passes application/json', 'application/json', 204, undefined],
    ['passes application/json with a UTF-8 charset', 'application/json; charset=utf-8', 204, undefined],
    ['passes a quoted UTF8 charset in capitals', 'application/json; charset="UTF8"', 204, undefined],
    ['refuses text/plain', 'text/plain', 415, 'Content-Type must be application/json, got "text/plain"'],
    ['refuses a +json suffix type', 'application/merge-patch+json', 415, 'Content-Type must be application/json, got "application/merge-patch+json"'],
    ['refuses a latin-1 charset', 'application/json; charset=latin1', 415, 'charset must be utf-8, got "latin1"'],
  ])('%s', async (_name, type, status, message) => {
    const reply = await send(`${server.url}/`, { headers: { 'content-type': type }, body: '{}' });
    expect(reply.status).toBe(status);
    if (message !== undefined) {
      expect(reply.json).toEqual({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: '', allowed: false, status: { code: 415, reason: 'UnsupportedMediaType', message: `HPG_ERR_UNSUPPORTED_MEDIA_TYPE: ${message}` } },
      });
    }
  });

  it('refuses a request without Content-Type', async () => {
    const reply = await fetch(`${server.url}/`, { method: 'POST' });
    expect(reply.status).toBe(415);
  });
});
