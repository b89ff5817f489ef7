import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';

import { kubeHttp } from '../../../src/cluster/kube-http.js';

/** A local server that accepts requests and never answers, like a stalled API server. */
function silentServer(): http.Server {
  return http.createServer(() => undefined);
}

function kubeConfigFor(port: number): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'nobody' }],
    currentContext: 'local',
  });
  return kubeConfig;
}

const request = { path: '/api/v1/pods', query: new URLSearchParams({ watch: 'true' }), accept: 'application/json' };

describe('kubeHttp streamLines', () => {
  const server = silentServer();
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('can be aborted before the request is open without an unhandled socket error', async () => {
    const errors: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      errors.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const ended: unknown[] = [];
      const handle = kubeHttp(kubeConfigFor(port)).streamLines(request, {
        onLine: () => undefined,
        onEnd: (error) => ended.push(error),
      });
      handle.abort();
      // Let the request open, be destroyed and emit whatever it emits.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errors).toEqual([]);
      expect(ended).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
