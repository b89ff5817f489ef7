import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import type { KeyPair } from '../../../src/server/cert-reloader.js';
import { createCertReloader } from '../../../src/server/cert-reloader.js';
import type { IssuedPair, SecretVolume, TestPki } from '../../fixtures/tls.js';
import { createTestPki, secretVolume } from '../../fixtures/tls.js';
import { asserted, eventually } from '../../support/wait.js';
import { captureLogger } from './http.js';

/** Checks a pair the way the server does before installing it. */
function validate(pair: KeyPair): void {
  tls.createSecureContext({ cert: pair.cert, key: pair.key });
}

describe('createCertReloader', () => {
  let pki: TestPki;
  let first: IssuedPair;
  let second: IssuedPair;
  let third: IssuedPair;

  beforeAll(() => {
    pki = createTestPki();
    first = pki.issue('1001');
    second = pki.issue('1002');
    third = pki.issue('1003');
  });

  afterAll(() => {
    pki.cleanup();
  });

  /** A reloader over an in-memory pair of files. */
  function inMemory(files: Map<string, Buffer>) {
    const installed: string[] = [];
    const log = captureLogger();
    const reloader = createCertReloader({
      certFile: 'tls.crt',
      keyFile: 'tls.key',
      intervalMs: 60_000,
      readFile: (file) => {
        const contents = files.get(file);
        return contents === undefined ? Promise.reject(new Error(`ENOENT: no such file, open '${file}'`)) : Promise.resolve(contents);
      },
      install: (pair) => {
        validate(pair);
        installed.push(pair.cert.toString());
      },
      logger: log.logger,
    });
    return { reloader, installed, lines: log.lines };
  }

  function filesOf(cert: Buffer, key: Buffer): Map<string, Buffer> {
    return new Map([
      ['tls.crt', cert],
      ['tls.key', key],
    ]);
  }

  it('loads a pair, then reports it unchanged until the files change', async () => {
    const files = filesOf(first.cert, first.key);
    const { reloader, installed } = inMemory(files);
    expect(reloader.loaded()).toBe(false);
    expect(await reloader.check()).toEqual({ kind: 'loaded', certificate: expect.objectContaining({ serialNumber: '1001' }) });
    expect(await reloader.check()).toEqual({ kind: 'unchanged' });
    files.set('tls.crt', second.cert).set('tls.key', second.key);
    expect(await reloader.check()).toEqual({ kind: 'loaded', certificate: expect.objectContaining({ serialNumber: '1002' }) });
    expect({ loaded: reloader.loaded(), serial: reloader.current()?.serialNumber, installs: installed.length }).toEqual({
      loaded: true,
      serial: '1002',
      installs: 2,
    });
  });

  it.each([
    ['a key that does not match the certificate', () => [second.cert, third.key] as const, 'key values mismatch'],
    ['a certificate that is not PEM', () => [Buffer.from('not a certificate'), second.key] as const, 'no start line'],
  ])('keeps the previous pair when the new one has %s, and says so once', async (_name, pair, reason) => {
    const files = filesOf(first.cert, first.key);
    const { reloader, lines } = inMemory(files);
    await reloader.check();
    const [cert, key] = pair();
    files.set('tls.crt', cert).set('tls.key', key);
    expect(await reloader.check()).toEqual({ kind: 'rejected', reason: expect.stringContaining(reason) });
    expect(await reloader.check()).toEqual({ kind: 'unchanged' });
    expect(reloader.current()?.serialNumber).toBe('1001');
    expect(lines.filter((line) => line['level'] === 50)).toEqual([
      expect.objectContaining({ msg: 'refused a new TLS certificate and key; keeping the previous pair', kept: '1001' }),
    ]);
  });

  it('waits for files that are not there yet, saying so once, and loads them when they appear', async () => {
    const files = new Map<string, Buffer>();
    const { reloader, lines } = inMemory(files);
    expect(await reloader.check()).toEqual({ kind: 'unreadable', reason: "ENOENT: no such file, open 'tls.crt'" });
    expect(await reloader.check()).toEqual({ kind: 'unreadable', reason: "ENOENT: no such file, open 'tls.crt'" });
    expect(lines.filter((line) => line['msg'] === 'cannot read the TLS certificate or key')).toHaveLength(1);
    files.set('tls.crt', first.cert).set('tls.key', first.key);
    expect(await reloader.check()).toEqual({ kind: 'loaded', certificate: expect.objectContaining({ serialNumber: '1001' }) });
  });

  describe('on a Secret volume', () => {
    let volume: SecretVolume;

    beforeAll(() => {
      volume = secretVolume();
      volume.publish(first.cert, first.key);
    });

    afterAll(() => {
      volume.cleanup();
    });

    it('notices the kubelet swapping the ..data symlink while polling', async () => {
      const log = captureLogger();
      const reloader = createCertReloader({
        certFile: volume.certFile,
        keyFile: volume.keyFile,
        intervalMs: 10,
        readFile: (file) => readFile(file),
        install: validate,
        logger: log.logger,
      });
      await reloader.check();
      reloader.start();
      try {
        volume.publish(second.cert, second.key);
        await eventually('the new certificate to be loaded', asserted(() => {
          expect(reloader.current()?.serialNumber).toBe('1002');
        }), { intervalMs: 5 });
      } finally {
        reloader.stop();
      }
      expect(reloader.current()?.serialNumber).toBe('1002');
    });
  });
});
