/**
 * What the cluster integration tests set up and tear down with: client-node's typed
 * CoreV1Api for the kubeconfig of the local control plane, and the few steps that every
 * such test repeats.
 */
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ApiException, CoreV1Api as CoreApi } from '@kubernetes/client-node';

import { loadKubeConfig } from '../../../src/cluster/kube-config.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** The kubeconfig file of the cluster under test (KUBECONFIG, as make test-integration sets it). */
export function testKubeconfigPath(): string {
  const path = process.env.KUBECONFIG;
  if (path === undefined || path === '') {
    throw new Error(
      'integration tests need a running cluster: set KUBECONFIG to its kubeconfig (make test-integration does), ' +
        'e.g. start one with hack/cluster-up.sh and use the path it prints',
    );
  }
  return path;
}

/** The kubeconfig of the cluster under test. */
export function testKubeConfig(): KubeConfig {
  return loadKubeConfig({ path: testKubeconfigPath() });
}

/** The typed core/v1 API of `kubeConfig`. */
export function coreApi(kubeConfig: KubeConfig): CoreV1Api {
  return kubeConfig.makeApiClient(CoreApi);
}

/** True for the API's answer "404 Not Found". */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** Runs `remove`, taking an object that is already gone as success. */
export async function removed(remove: () => Promise<unknown>): Promise<void> {
  await remove().catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

/**
 * Creates namespace `name` and waits for its default ServiceAccount: the ServiceAccount
 * admission plugin refuses pods until the controller manager has created it.
 */
export async function createNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  await eventually(
    `the default service account of ${name} (is the controller manager running?)`,
    () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => done(undefined), () => notYet('none yet')),
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}
