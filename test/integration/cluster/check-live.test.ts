/**
 * `hostport-guard check` without --state reads the live cluster once: a manifest that
 * collides with a pod already bound in the real API server is denied, naming that pod.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';

import { realDeps } from '../../../src/cli/main.js';
import { runCli } from '../../../src/cli/program.js';
import { coreApi, createNamespace, removed, testKubeConfig, testKubeconfigPath } from './admin.js';

const NAMESPACE = `hpg-check-${Date.now().toString(36)}`;

function hostNetworkPod(name: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      nodeName: 'worker-1',
      hostNetwork: true,
      containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 18480 }] }],
    },
  };
}

describe('check against the live cluster', () => {
  let core: CoreV1Api;

  beforeAll(async () => {
    core = coreApi(testKubeConfig());
    await createNamespace(core, NAMESPACE);
    await core.createNamespacedPod({ namespace: NAMESPACE, body: hostNetworkPod('holder') });
  }, 60_000);

  afterAll(async () => {
    // Pods on the fake nodes have no kubelet to confirm their end: delete them at once.
    await removed(() => core.deleteCollectionNamespacedPod({ namespace: NAMESPACE, gracePeriodSeconds: 0 })).catch(() => undefined);
    await removed(() => core.deleteNamespace({ name: NAMESPACE })).catch(() => undefined);
  }, 60_000);

  it('denies a manifest whose port is held on its node, naming the holder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpg-check-'));
    const file = join(dir, 'pod.json');
    writeFileSync(file, JSON.stringify(hostNetworkPod('newcomer')));

    const result = await runCli(['check', '--kubeconfig', testKubeconfigPath(), file], realDeps());

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `deny  Pod ${NAMESPACE}/newcomer on worker-1: hostNetwork port 18480/TCP on node worker-1 is already used by pod ${NAMESPACE}/holder (container web); pick another port or node`,
    );
  }, 60_000);
});
