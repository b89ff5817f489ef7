/**
 * The benchmarks' API client: client-node's typed APIs for the kubeconfig of the bench
 * cluster (kubectl starts a process per call, far too slow to create 50,000 pods or to
 * time a single create). Connections are kept alive and shared by every call, bounded
 * concurrency comes from `pool`, and throttling, server errors and broken connections
 * are retried a few times.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { KubernetesObject, RequestContext } from '@kubernetes/client-node';
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
} from '@kubernetes/client-node';

/** How long one call may take before it is abandoned (and retried). */
const CALL_TIMEOUT_MS = 120_000;

/** The typed APIs of one cluster. */
export interface Kube {
  readonly core: CoreV1Api;
  readonly admission: AdmissionregistrationV1Api;
  /** Any object by its apiVersion and kind (for manifests rendered by helm). */
  readonly objects: KubernetesObjectApi;
  /** Closes the kept-alive connections. */
  close(): Promise<void>;
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * A client for the current context of the kubeconfig at `path`. client-node builds a
 * new connection pool (an undici dispatcher) for every call, so a 50,000-pod run would
 * pay a TLS handshake per create: every call here reuses the pool of the first one,
 * which carries the same kubeconfig's certificates.
 */
export function kubeClient(path: string): Kube {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined) throw new Error(`${path}: no server for the current context`);
  let shared: Dispatcher | undefined;
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        pre: (context) => {
          shared ??= context.getDispatcher();
          if (shared !== undefined) context.setDispatcher(shared);
          context.setSignal(AbortSignal.timeout(CALL_TIMEOUT_MS));
          return Promise.resolve(context);
        },
        post: (context) => Promise.resolve(context),
      },
    ],
  });
  return {
    core: new CoreV1Api(configuration),
    admission: new AdmissionregistrationV1Api(configuration),
    objects: new KubernetesObjectApi(configuration),
    close: async () => {
      await shared?.close();
    },
  };
}

/** The HTTP status of a failed call, or undefined when no answer came. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Whether a failure is worth another try: throttled, the server busy, or no answer. */
function retryable(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 429 || status >= 500;
}

/** Runs `call`, retrying throttling, server errors and broken connections up to 6 times in all. */
export async function withRetry<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 6 || !retryable(error)) throw error;
    }
    await sleep(50 * 2 ** attempt);
  }
}

/** Runs `call`, taking a 404 (already gone) as success. */
export async function unlessGone(call: () => Promise<unknown>): Promise<void> {
  await call().catch((error: unknown) => {
    if (statusOf(error) !== 404) throw error;
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; rejects on the first failure. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Whether `value` names an object the object API can create: apiVersion, kind and metadata. */
export function isKubernetesObject(value: unknown): value is KubernetesObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    'apiVersion' in value &&
    typeof value.apiVersion === 'string' &&
    'kind' in value &&
    typeof value.kind === 'string' &&
    'metadata' in value &&
    typeof value.metadata === 'object'
  );
}

/** Polls `done` every `intervalMs` until it says yes; fails naming `what` after `timeoutMs`. */
async function until(what: string, done: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Creates namespace `name` (labelled as the bench's) and waits for its default ServiceAccount. */
export async function createNamespace(kube: Kube, name: string): Promise<void> {
  await withRetry(() =>
    unlessExists(() => kube.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'hostport-guard.dev/bench': 'true' } } } })),
  );
  // Pods are refused until the controller-manager has created the default ServiceAccount.
  const hasAccount = (): Promise<boolean> => kube.core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true, () => false);
  await until(`namespace ${name}: no default ServiceAccount`, hasAccount, 60_000, 200);
}

/** Runs `call`, taking a 409 (already there) as success. */
async function unlessExists(call: () => Promise<unknown>): Promise<void> {
  await call().catch((error: unknown) => {
    if (statusOf(error) !== 409) throw error;
  });
}

/**
 * Deletes every pod of `namespace` at once (grace period 0: without a kubelet a pod
 * bound to a node is never confirmed gone otherwise), then the namespace, and waits
 * until it has disappeared.
 */
export async function deleteNamespace(kube: Kube, name: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await withRetry(() => unlessGone(() => kube.core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })));
    const left = await withRetry(() => kube.core.listNamespacedPod({ namespace: name, limit: 1 })).catch((error: unknown) => {
      if (statusOf(error) === 404) return { items: [] };
      throw error;
    });
    if (left.items.length === 0) break;
    if (Date.now() > deadline) throw new Error(`namespace ${name}: pods still there after ${timeoutMs} ms`);
  }
  await withRetry(() => unlessGone(() => kube.core.deleteNamespace({ name })));
  const gone = (): Promise<boolean> => kube.core.readNamespace({ name }).then(() => false, (error: unknown) => statusOf(error) === 404);
  await until(`namespace ${name} still exists`, gone, Math.max(0, deadline - Date.now()), 250);
}
