/**
 * readClusterOnce (`check` against the live cluster) against a local server playing the
 * API server's part: one paged list per resource, no watch, no retry. The real API
 * server's side is test/integration/cluster/check-live.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { readClusterOnce } from '../../../src/cluster/live-cluster.js';
import { asserted, eventually } from '../../support/wait.js';
import { json, kubeConfigFor, LocalServer, status } from './local-server.js';

const server = new LocalServer();
let port = 0;

beforeAll(async () => {
  port = await server.start();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  server.seen.length = 0;
});

const hostNetworkPod = (name: string) => ({
  metadata: { name, namespace: 'team-a', uid: `uid-${name}` },
  spec: { nodeName: 'worker-1', hostNetwork: true, containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: 80 }] }] },
});

describe('readClusterOnce', () => {
  it('lists pods page by page, nodes, labelled namespaces and PriorityClasses once, and watches nothing', async () => {
    server.handler = (req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.pathname === '/api/v1/pods' && url.searchParams.get('continue') === null) {
        json(res, 200, { metadata: { resourceVersion: '5', continue: 'page-2' }, items: [hostNetworkPod('a')] });
      } else if (url.pathname === '/api/v1/pods') {
        json(res, 200, { metadata: { resourceVersion: '5' }, items: [hostNetworkPod('b')] });
      } else if (url.pathname === '/api/v1/nodes') {
        json(res, 200, { metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'worker-1', labels: { 'kubernetes.io/hostname': 'w1' } } }] });
      } else if (url.pathname === '/apis/scheduling.k8s.io/v1/priorityclasses') {
        json(res, 200, { metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'fallback' }, value: 10, globalDefault: true }] });
      } else {
        json(res, 200, { metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'team-a', labels: { 'hostport-guard.io/mode': 'warn' } } }] });
      }
    };
    const index = await readClusterOnce(kubeConfigFor(port));
    expect(index.size()).toEqual({ pods: 2, nodes: 1, namespaces: 1, priorityClasses: 1 });
    expect([index.nodeForHostname('w1'), index.modeLabelOf('team-a'), index.defaultPriorityClass()?.name]).toEqual(['worker-1', 'warn', 'fallback']);
    const paths = server.seen.map((s) => new URL(s.url, 'http://x'));
    expect(paths.map((u) => u.pathname).sort()).toEqual([
      '/api/v1/namespaces',
      '/api/v1/nodes',
      '/api/v1/pods',
      '/api/v1/pods',
      '/apis/scheduling.k8s.io/v1/priorityclasses',
    ]);
    expect(paths.some((u) => u.searchParams.has('watch'))).toBe(false);
  });

  it('fails with the first request’s error instead of retrying, and abandons the other lists', async () => {
    const closed: string[] = [];
    server.handler = (req, res) => {
      const path = new URL(req.url ?? '', 'http://x').pathname;
      if (path === '/api/v1/pods') json(res, 403, status(403, 'Forbidden', 'pods is forbidden: User "me" cannot list resource "pods"'));
      // The other lists never answer: the read must not wait for them (its own limit here
      // is far beyond the test's), and must close their requests.
      else res.on('close', () => closed.push(path));
    };
    await expect(readClusterOnce(kubeConfigFor(port), 600_000)).rejects.toThrow(
      'GET /api/v1/pods failed with HTTP 403: pods is forbidden: User "me" cannot list resource "pods"',
    );
    expect(server.seen.filter((s) => s.url.startsWith('/api/v1/pods'))).toHaveLength(1);
    await eventually('the other lists to be abandoned', asserted(() => {
      expect(closed.sort()).toEqual(['/api/v1/namespaces', '/api/v1/nodes', '/apis/scheduling.k8s.io/v1/priorityclasses']);
    }), { timeoutMs: 4_000, intervalMs: 10 });
  });

  it('gives up after its time with a message that says so', async () => {
    server.handler = () => undefined;
    await expect(readClusterOnce(kubeConfigFor(port), 300)).rejects.toThrow('the cluster could not be listed within 0.3 s');
  });
});
