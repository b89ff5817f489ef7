import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { jsonDepthExceeds, MAX_JSON_DEPTH, parseJsonBody, readJsonBody } from '../../../src/server/read-body.js';
import type { TestServer } from './http.js';
import { send, serve } from './http.js';

/** Answers with the status and type a body-reading error carries, as a stand-in for error-handler.ts. */
const reportError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : 500;
  const type = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
  res.status(typeof status === 'number' ? status : 500).json({ type });
};

/** A server that reads bodies of up to `limitBytes` and answers with what it parsed. */
async function echoServer(limitBytes: number): Promise<TestServer> {
  const app = express();
  app.post('/', ...readJsonBody({ limitBytes }), (req, res) => {
    const body: unknown = req.body;
    res.json({ parsed: body });
  });
  app.use(reportError);
  return serve(app);
}

/** The `response` of an AdmissionReview answer, if there is one. */
function responseOf(json: unknown): unknown {
  return typeof json === 'object' && json !== null && 'response' in json ? json.response : undefined;
}

describe('readJsonBody', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await echoServer(64);
  });

  afterAll(async () => {
    await server.close();
  });

  it.each<[string, string, number, unknown]>([
    ['parses a JSON object into req.body', '{"a":[1,2]}', 200, { parsed: { a: [1, 2] } }],
    ['parses JSON that is not an object (the review decoder refuses it later)', '"text"', 200, { parsed: 'text' }],
    ['refuses an empty body', '', 400, 'HPG_ERR_EMPTY_BODY: request body is empty'],
    [
      'refuses malformed JSON, quoting the parser on one line',
      '{\n"a":\tnope}',
      400,
      'HPG_ERR_MALFORMED_JSON: request body is not valid JSON: Unexpected token \'o\', "{\\u000a"a":\\u0009nope}" is not valid JSON',
    ],
    ['hands a body past the limit to the error handler as 413', JSON.stringify({ a: 'x'.repeat(64) }), 413, { type: 'entity.too.large' }],
  ])('%s', async (_name, body, status, expected) => {
    const reply = await send(`${server.url}/`, { body });
    const message = responseOf(reply.json);
    expect(reply.status).toBe(status);
    if (typeof expected === 'string') expect(message).toEqual({ uid: '', allowed: false, status: { code: 400, reason: 'BadRequest', message: expected } });
    else expect(reply.json).toEqual(expected);
  });
});

describe('readJsonBody and deep nesting', () => {
  let server: TestServer;

  beforeAll(async () => {
    const app = express();
    app.post('/', ...readJsonBody({ limitBytes: 4 * 1024 * 1024 }), (req, res) => {
      res.json({ parsed: typeof req.body });
    });
    app.use(reportError);
    server = await serve(app);
  });

  afterAll(async () => {
    await server.close();
  });

  it(`refuses a body nested deeper than ${MAX_JSON_DEPTH} levels, the API server's own limit, without parsing it`, async () => {
    const reply = await send(`${server.url}/`, { body: `${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}` });
    expect([reply.status, reply.json]).toEqual([
      400,
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: '', allowed: false, status: { code: 400, reason: 'BadRequest', message: `HPG_ERR_MALFORMED_JSON: request body nests deeper than ${MAX_JSON_DEPTH} levels, the most the API server sends` } },
      },
    ]);
  });

  it('parses a body nested exactly as deep as the limit', async () => {
    const reply = await send(`${server.url}/`, { body: `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}` });
    expect([reply.status, reply.json]).toEqual([200, { parsed: 'object' }]);
  });
});

describe('readJsonBody and managedFields', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await echoServer(1024 * 1024);
  });

  afterAll(async () => {
    await server.close();
  });

  /** The 400 message a body gets when JSON.parse refuses the whole of it. */
  function refusal(body: string): string {
    try {
      JSON.parse(body);
    } catch (error) {
      return error instanceof Error ? error.message : '';
    }
    throw new Error('the body parses');
  }

  const fields = '[{"manager":"kubectl","fieldsV1":{"f:spec":{"f:containers":{}}}}]';

  it('parses a body with its managedFields lists empty, and everything else as sent', async () => {
    const body = `{"request":{"object":{"metadata":{"name":"a","managedFields":${fields}},"spec":{"hostNetwork":true}}}}`;
    const reply = await send(`${server.url}/`, { body });
    expect([reply.status, reply.json]).toEqual([200, { parsed: { request: { object: { metadata: { name: 'a', managedFields: [] }, spec: { hostNetwork: true } } } } }]);
  });

  it.each<[string, string]>([
    ['inside managedFields', `{"metadata":{"managedFields":[{"a":nope}]}}`],
    ['just after managedFields, quoting the body as sent', `{"metadata":{"managedFields":${fields},nope:1}}`],
  ])('refuses malformed JSON %s with the message the whole body gets', async (_name, body) => {
    const reply = await send(`${server.url}/`, { body });
    expect([reply.status, responseOf(reply.json)]).toEqual([
      400,
      { uid: '', allowed: false, status: { code: 400, reason: 'BadRequest', message: `HPG_ERR_MALFORMED_JSON: request body is not valid JSON: ${refusal(body)}` } },
    ]);
  });
});

describe('parseJsonBody', () => {
  it.each<[string, Buffer, unknown]>([
    ['parses JSON', Buffer.from('{"a":1}'), { ok: true, value: { a: 1 } }],
    ['refuses an empty body', Buffer.alloc(0), { ok: false, refusal: 'empty', code: 'HPG_ERR_EMPTY_BODY', message: 'request body is empty' }],
    [
      'refuses a body nested too deep',
      Buffer.from(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`),
      { ok: false, refusal: 'too deep', code: 'HPG_ERR_MALFORMED_JSON', message: `request body nests deeper than ${MAX_JSON_DEPTH} levels, the most the API server sends` },
    ],
    ['refuses what is not JSON', Buffer.from('nope'), { ok: false, refusal: 'not JSON', code: 'HPG_ERR_MALFORMED_JSON', message: 'request body is not valid JSON: Unexpected token \'o\', "nope" is not valid JSON' }],
  ])('%s', (_name, body, expected) => {
    expect(parseJsonBody(body)).toEqual(expected);
  });
});

describe('jsonDepthExceeds', () => {
  it.each<[string, string, number, boolean]>([
    ['counts arrays and objects', '{"a":[{"b":[1]}]}', 4, false],
    ['stops past the limit', '{"a":[{"b":[1]}]}', 3, true],
    ['ignores brackets inside strings', '["[[[[{{{{"]', 1, false],
    ['ignores an escaped quote inside a string', '["\\"[[[[", 1]', 1, false],
    ['counts an unclosed body too', '[[[[', 3, true],
  ])('%s', (_name, text, max, exceeds) => {
    expect(jsonDepthExceeds(Buffer.from(text), max)).toBe(exceeds);
  });
});
