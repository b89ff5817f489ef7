/**
 * scanCluster against a local server playing the API server's part on the wire (the real
 * API server's side is test/integration/cluster/scan-live.test.ts), and the scan of parsed
 * cluster-state objects.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { ScanBuilder, scanOfObjects } from '../../../src/cluster/scan.js';
import type { ScanProgress } from '../../../src/cluster/scan-live.js';
import { scanCluster } from '../../../src/cluster/scan-live.js';
import { pod } from '../../fixtures/pods.js';
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

const NO_FREE_PORTS = "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.";

function apiPod(name: string, extra: { node?: string; status?: object; hostPort?: number } = {}): object {
  return {
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}` },
    spec: {
      ...(extra.node === undefined ? {} : { nodeName: extra.node }),
      hostNetwork: extra.hostPort !== undefined,
      containers: [{ name: 'web', ports: extra.hostPort === undefined ? [] : [{ containerPort: extra.hostPort }] }],
    },
    status: extra.status ?? { phase: 'Running' },
  };
}

const PAGES: readonly object[][] = [
  [apiPod('web-1', { node: 'worker-1', hostPort: 80 }), apiPod('plain', { node: 'worker-1' })],
  [apiPod('web-2', { node: 'worker-1', hostPort: 80 }), apiPod('waiting', { hostPort: 80, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: NO_FREE_PORTS }] } })],
  [apiPod('refused', { node: 'worker-1', hostPort: 80, status: { phase: 'Failed', reason: 'NodePorts' } }), { kind: 'Pod', metadata: { name: 'broken', namespace: 'team-a' }, spec: {} }],
];

/** Serves PAGES for pods (continue tokens `1`, `2`) and one node. */
function serveCluster(): void {
  server.handler = (req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    if (url.pathname === '/api/v1/nodes') {
      json(res, 200, { metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'worker-1' } }, { metadata: { name: 'worker-2' } }] });
      return;
    }
    const at = Number(url.searchParams.get('continue') ?? '0');
    const next = at + 1 < PAGES.length ? String(at + 1) : undefined;
    json(res, 200, { metadata: { resourceVersion: '5', ...(next === undefined ? {} : { continue: next, remainingItemCount: 2 * (PAGES.length - at - 1) }) }, items: PAGES[at] });
  };
}

describe('scanCluster', () => {
  it('reads the nodes, then every pod but Succeeded ones page by page, keeping what holds ports and what cannot run', async () => {
    serveCluster();
    const progress: ScanProgress[] = [];
    const scan = await scanCluster(kubeConfigFor(port), { pageSize: 2, onProgress: (p) => progress.push(p) });
    expect([scan.nodes, scan.pods]).toEqual([2, 5]);
    expect(scan.index.occupantsOn('worker-1').map((o) => o.pod.name).sort()).toEqual(['web-1', 'web-2']);
    expect(scan.troubled.map((p) => p.metadata.name)).toEqual(['waiting', 'refused']);
    expect(scan.rejected.map((r) => r.name)).toEqual(['team-a/broken']);
    expect(progress).toEqual([
      { resource: 'nodes', read: 2 },
      { resource: 'pods', read: 2, remaining: 4 },
      { resource: 'pods', read: 4, remaining: 2 },
      { resource: 'pods', read: 6 },
    ]);
    const pods = server.seen.map((s) => new URL(s.url, 'http://x')).filter((u) => u.pathname === '/api/v1/pods');
    expect(pods.map((u) => [u.searchParams.get('fieldSelector'), u.searchParams.get('limit'), u.searchParams.get('continue')])).toEqual([
      ['status.phase!=Succeeded', '2', null],
      ['status.phase!=Succeeded', '2', '1'],
      ['status.phase!=Succeeded', '2', '2'],
    ]);
    // Nodes whole, as the index lists them: their taints and cordon are in the spec.
    expect(server.seen.find((s) => s.url.startsWith('/api/v1/nodes'))?.accept).not.toContain('as=PartialObjectMetadataList');
  });

  it('fails with the API server’s error', async () => {
    server.handler = (_req, res) => {
      json(res, 403, status(403, 'Forbidden', 'nodes is forbidden: User "me" cannot list resource "nodes"'));
    };
    await expect(scanCluster(kubeConfigFor(port))).rejects.toThrow('GET /api/v1/nodes failed with HTTP 403: nodes is forbidden');
  });
});

describe('ScanBuilder', () => {
  it('forgets every pod on restart and keeps the nodes', () => {
    const builder = new ScanBuilder([{ name: 'worker-1' }]);
    builder.addPods([pod()]);
    builder.reject([{ name: 'x', errors: ['bad'] }]);
    builder.restartPods();
    const scan = builder.build();
    expect([scan.pods, scan.nodes, scan.index.size().pods, scan.rejected]).toEqual([0, 1, 0, []]);
  });
});

describe('scanOfObjects', () => {
  it('reads a List of pods and nodes, with the status details', () => {
    const result = scanOfObjects({ kind: 'List', items: [{ kind: 'Node', metadata: { name: 'worker-1' } }, ...(PAGES[1] ?? [])] });
    if (!result.ok) throw result.error;
    expect([result.scan.nodes, result.scan.pods, result.scan.troubled.map((p) => p.metadata.name)]).toEqual([1, 2, ['waiting']]);
  });

  it('fails with every unusable item', () => {
    const result = scanOfObjects([{ kind: 'Pod', metadata: { name: 'a' }, spec: {} }, { metadata: { name: 'b' } }]);
    expect(result.ok ? [] : result.error.problems.map((p) => p.at)).toEqual(['[0]', '[1]']);
  });
});
