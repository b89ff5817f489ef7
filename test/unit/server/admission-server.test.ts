import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { responderFor } from '../../../src/admission/respond.js';
import { createAdmissionApp } from '../../../src/server/admission-app.js';
import type { AdmissionServer } from '../../../src/server/admission-server.js';
import { API_SERVER_IDLE_MS, DEFAULT_TIMEOUTS, startAdmissionServer } from '../../../src/server/admission-server.js';
import { DEFAULT_RULES, occupant, viewOf } from '../../fixtures/pods.js';
import { podReview, REQUEST_UID } from '../../fixtures/reviews.js';
import type { IssuedPair, SecretVolume, TestPki } from '../../fixtures/tls.js';
import { createTestPki, secretVolume } from '../../fixtures/tls.js';
import { asserted, eventually } from '../../support/wait.js';
import { captureLogger } from './http.js';

const ALLOWED = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: REQUEST_UID, allowed: true } };
/** A pod pinned to the free node worker-2. */
const BODY = JSON.stringify(podReview({ spec: { nodeName: 'worker-2' } }));

const app = createAdmissionApp({
  respond: responderFor({ defaultMode: 'enforce', exemptNamespaces: new Set(), ...DEFAULT_RULES }, { modeLabelOf: () => undefined }, viewOf([occupant()], ['worker-1', 'worker-2'])),
  logger: captureLogger().logger,
  metrics: { observeReview: () => undefined },
  onAdmit: () => undefined,
  now: () => 0,
  bodyLimitBytes: 4 * 1024 * 1024,
});

interface Posted {
  readonly status: number;
  readonly json: unknown;
  readonly serialNumber: string;
  readonly protocol: string | null;
  readonly reusedSocket: boolean;
}

/** POSTs BODY to /validate over TLS, trusting only `ca`. */
function post(port: number, ca: Buffer, agent: https.Agent | false = false): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        // Read now: a kept-alive socket goes back to the agent when the body ends.
        const socket = res.socket;
        if (!(socket instanceof tls.TLSSocket)) {
          reject(new Error('not a TLS socket'));
          return;
        }
        const serialNumber = socket.getPeerCertificate().serialNumber;
        const protocol = socket.getProtocol();
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), serialNumber, protocol, reusedSocket: request.reusedSocket });
        });
      },
    );
    request.on('error', reject);
    request.end(BODY);
  });
}

/** The serial of the certificate a new connection is offered, or the handshake's error code. */
function handshake(port: number, ca: Buffer, options: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, ...options }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
  });
}

describe('startAdmissionServer', () => {
  let pki: TestPki;
  let first: IssuedPair;
  let second: IssuedPair;
  let third: IssuedPair;
  let volume: SecretVolume;
  let server: AdmissionServer | undefined;

  beforeAll(() => {
    pki = createTestPki();
    first = pki.issue('1001');
    second = pki.issue('1002');
    third = pki.issue('1003');
  });

  afterAll(() => {
    pki.cleanup();
  });

  afterEach(async () => {
    await server?.stop(1_000);
    server = undefined;
    volume.cleanup();
  });

  async function start(listener: RequestListener = app, reloadIntervalMs = 60_000, timeouts?: { headersMs: number; requestMs: number }): Promise<AdmissionServer> {
    server = await startAdmissionServer({
      app: listener,
      host: '127.0.0.1',
      port: 0,
      certFile: volume.certFile,
      keyFile: volume.keyFile,
      logger: captureLogger().logger,
      reloadIntervalMs,
      ...(timeouts === undefined ? {} : { timeouts }),
    });
    return server;
  }

  function withVolume(pair?: IssuedPair): void {
    volume = secretVolume();
    if (pair !== undefined) volume.publish(pair.cert, pair.key);
  }

  it('answers a review over TLS 1.2 or later, with a certificate the test CA signed', async () => {
    withVolume(first);
    const { port } = await start();
    const reply = await post(port, pki.ca);
    expect({ status: reply.status, json: reply.json, serialNumber: reply.serialNumber }).toEqual({ status: 200, json: ALLOWED, serialNumber: '1001' });
    expect(['TLSv1.2', 'TLSv1.3']).toContain(reply.protocol);
  });

  it('refuses a TLS 1.1 client with a protocol_version alert', async () => {
    withVolume(first);
    const { port } = await start();
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's.
    const tls11: tls.ConnectionOptions = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };
    // The same client does get through to a server that allows TLS 1.1.
    const permissive = tls.createServer({ cert: first.cert, key: first.key, minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    const address = permissive.address();
    const control = typeof address === 'object' && address !== null ? await handshake(address.port, pki.ca, tls11) : 'no address';
    permissive.close();
    expect({ control, result: await handshake(port, pki.ca, tls11) }).toEqual({
      control: '1001',
      result: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
  });

  it('serves a rotated certificate to new connections while a kept-alive connection finishes on the old one', async () => {
    withVolume(first);
    const { port } = await start(app, 10);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca });
    try {
      const before = await post(port, pki.ca, agent);
      volume.publish(second.cert, second.key);
      await eventually('the new certificate to be in use', asserted(() => {
        expect(server?.certificate()?.serialNumber).toBe('1002');
      }), { intervalMs: 5 });
      expect(await handshake(port, pki.ca)).toBe('1002');
      const after = await post(port, pki.ca, agent);
      expect([before, after].map(({ status, serialNumber, reusedSocket }) => ({ status, serialNumber, reusedSocket }))).toEqual([
        { status: 200, serialNumber: '1001', reusedSocket: false },
        { status: 200, serialNumber: '1001', reusedSocket: true },
      ]);
    } finally {
      agent.destroy();
    }
  });

  it('keeps serving the previous certificate when the new pair does not match', async () => {
    withVolume(first);
    const { port, reloadCertificates } = await start();
    volume.publish(second.cert, third.key);
    expect(await reloadCertificates()).toEqual({ kind: 'rejected', reason: expect.stringContaining('key values mismatch') });
    expect(await handshake(port, pki.ca)).toBe('1001');
    expect((await post(port, pki.ca)).status).toBe(200);
  });

  it('listens before its certificate exists, not ready and refusing handshakes, and serves once it appears', async () => {
    withVolume();
    const started = await start();
    expect(started.certificateLoaded()).toBe(false);
    expect(await handshake(started.port, pki.ca)).toBe('ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE');
    volume.publish(first.cert, first.key);
    expect(await started.reloadCertificates()).toEqual({ kind: 'loaded', certificate: expect.objectContaining({ serialNumber: '1001' }) });
    expect(started.certificateLoaded()).toBe(true);
    expect(await handshake(started.port, pki.ca)).toBe('1001');
  });

  it('writes 408 to a new connection left unused past headersMs, so the defaults outlast the API server keeping one idle', async () => {
    withVolume(first);
    // Node.js checks its timers every 30 s by default, so one check is waited for here.
    const { port } = await start(app, 60_000, { headersMs: 200, requestMs: 200 });
    const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.ca });
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (raw += chunk));
    await new Promise<void>((resolve) => socket.once('end', resolve));
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(DEFAULT_TIMEOUTS.headersMs).toBeGreaterThan(API_SERVER_IDLE_MS);
    expect(DEFAULT_TIMEOUTS.requestMs).toBeGreaterThanOrEqual(DEFAULT_TIMEOUTS.headersMs);
  }, 60_000);

  it('lets a request in flight finish when stopped, then closes its connection', async () => {
    withVolume(first);
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const started = await start((req, res) => {
      arrived();
      app(req, res);
    });
    const socket = tls.connect({ host: '127.0.0.1', port: started.port, ca: pki.ca });
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (raw += chunk));
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    const half = BODY.length / 2;
    socket.write(
      `POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, half)}`,
    );
    await arrival;
    const stopped = started.stop(10_000);
    server = undefined;
    socket.write(BODY.slice(half));
    await ended;
    await stopped;
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    const json: unknown = JSON.parse(body);
    expect({ status: head.split('\r\n')[0], closes: head.toLowerCase().includes('connection: close'), json }).toEqual({
      status: 'HTTP/1.1 200 OK',
      closes: true,
      json: ALLOWED,
    });
  });
});
