/**
 * `hostport-guard scan` against the real kube-apiserver: pods bound to one node holding
 * the same port are a conflict, a pod whose PodScheduled condition carries the
 * scheduler's words is reported with its holders, and the cluster is read in pages.
 * (The real scheduler and a real kubelet produce those states in test/e2e/scan.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';

import { realDeps } from '../../../src/cli/main.js';
import { runCli } from '../../../src/cli/program.js';
import { scanCluster } from '../../../src/cluster/scan-live.js';
import type { ScanProgress } from '../../../src/cluster/scan-live.js';
import { coreApi, createNamespace, removed, testKubeConfig, testKubeconfigPath } from './admin.js';

const NAMESPACE = `hpg-scan-${Date.now().toString(36)}`;
const PORT = 18490;

function pod(name: string, nodeName?: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      ...(nodeName === undefined ? { nodeSelector: { 'hpg-test/none': 'none' } } : { nodeName }),
      hostNetwork: true,
      containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: PORT }] }],
    },
  };
}

describe('scan against the live cluster', () => {
  let core: CoreV1Api;

  beforeAll(async () => {
    core = coreApi(testKubeConfig());
    await createNamespace(core, NAMESPACE);
    // Pods without host ports, so the pods are more than a few pages.
    for (let i = 0; i < 7; i++) {
      const filler: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `filler-${i}`, namespace: NAMESPACE }, spec: { nodeName: 'worker-2', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } };
      await core.createNamespacedPod({ namespace: NAMESPACE, body: filler });
    }
    await core.createNamespacedPod({ namespace: NAMESPACE, body: pod('web-1', 'worker-1') });
    await core.createNamespacedPod({ namespace: NAMESPACE, body: pod('web-2', 'worker-1') });
    // A pod that waits for a node: the scheduler's condition is set here through the
    // status subresource, in the scheduler's words (the e2e suite has the scheduler write it).
    await core.createNamespacedPod({ namespace: NAMESPACE, body: pod('waiting') });
    await core.patchNamespacedPodStatus({
      name: 'waiting',
      namespace: NAMESPACE,
      body: [{ op: 'add', path: '/status/conditions', value: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/5 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 4 node(s) didn't match Pod's node affinity/selector." }] }],
    });
  }, 60_000);

  afterAll(async () => {
    await removed(() => core.deleteCollectionNamespacedPod({ namespace: NAMESPACE, gracePeriodSeconds: 0 })).catch(() => undefined);
    await removed(() => core.deleteNamespace({ name: NAMESPACE })).catch(() => undefined);
  }, 60_000);

  it('reads every pod page by page and finds the conflict and the pod that cannot be placed', async () => {
    const progress: ScanProgress[] = [];
    const scan = await scanCluster(testKubeConfig(), { pageSize: 3, onProgress: (p) => progress.push(p) });
    const pods = progress.filter((p) => p.resource === 'pods');
    expect(pods.length).toBeGreaterThanOrEqual(4);
    expect(pods.at(-1)?.read).toBe(scan.pods);
    expect(scan.index.occupantsOn('worker-1').filter((o) => o.pod.namespace === NAMESPACE).map((o) => o.pod.name).sort()).toEqual(['web-1', 'web-2']);
    expect(scan.troubled.filter((p) => p.metadata.namespace === NAMESPACE).map((p) => p.metadata.name)).toEqual(['waiting']);
  }, 60_000);

  it('reports both through the CLI, naming the holders, and exits 1', async () => {
    const result = await runCli(['scan', '--kubeconfig', testKubeconfigPath(), '-n', NAMESPACE, '-o', 'json'], realDeps());
    expect([result.exitCode, result.stderr]).toEqual([1, '']);
    const report = JSON.parse(result.stdout) as {
      conflicts: { node: string; pods: { name: string }[] }[];
      cannotRun: { name: string; reason: string; holders: { node: string; holder: { name: string } }[] }[];
    };
    expect(report.conflicts.map((c) => [c.node, c.pods.map((p) => p.name)])).toEqual([['worker-1', ['web-1', 'web-2']]]);
    expect(report.cannotRun.map((b) => [b.name, b.reason, b.holders.map((h) => `${h.holder.name} on ${h.node}`)])).toEqual([
      ['waiting', 'Unschedulable', ['web-1 on worker-1', 'web-2 on worker-1']],
    ]);
  }, 60_000);

  it('exits 2 with the API server’s answer when it cannot read the cluster', async () => {
    const result = await runCli(['scan', '--kubeconfig', testKubeconfigPath(), '--context', 'no-such-context'], realDeps());
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: 'error: cannot read the cluster: the kubeconfig has no context named no-such-context\n' });
  });
});
