/**
 * Direct HTTPS to the API server with the admin client certificate of a kubeconfig:
 * kubectl starts a process per call, far too slow to create 50,000 pods or to time a
 * single create. Keep-alive connections, bounded concurrency, retries on 429 and 5xx.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

import { parse } from 'yaml';

/** A response: status and parsed JSON body (undefined when not JSON). */
export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** A tiny API client. */
export interface Kube {
  readonly server: string;
  request(method: string, path: string, body?: unknown): Promise<KubeResponse>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

function field(value: unknown, ...keys: string[]): unknown {
  let at = value;
  for (const key of keys) {
    if (typeof at !== 'object' || at === null) return undefined;
    const next: unknown = Object.getOwnPropertyDescriptor(at, key)?.value;
    at = next;
  }
  return at;
}

function named(list: unknown, name: unknown): unknown {
  if (!Array.isArray(list)) return undefined;
  return list.find((entry: unknown) => field(entry, 'name') === name);
}

function decoded(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw new Error(`the kubeconfig has no ${what}`);
  return Buffer.from(value, 'base64');
}

/** A client for the current context of the kubeconfig at `path` (embedded certificates only, as cluster-up writes them). */
export function kubeClient(path: string, maxSockets: number): Kube {
  const config: unknown = parse(readFileSync(path, 'utf8'));
  const contextName = field(config, 'current-context');
  const context = field(named(field(config, 'contexts'), contextName), 'context');
  const cluster = field(named(field(config, 'clusters'), field(context, 'cluster')), 'cluster');
  const user = field(named(field(config, 'users'), field(context, 'user')), 'user');
  const server = field(cluster, 'server');
  if (typeof server !== 'string') throw new Error(`${path}: no server for the current context`);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets,
    ca: decoded(field(cluster, 'certificate-authority-data'), 'certificate-authority-data'),
    cert: decoded(field(user, 'client-certificate-data'), 'client-certificate-data'),
    key: decoded(field(user, 'client-key-data'), 'client-key-data'),
  });
  const base = new URL(server);
  return {
    server,
    request(method, path, body) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const req = https.request(
          {
            agent,
            host: base.hostname,
            port: base.port,
            method,
            path,
            headers: {
              Accept: 'application/json',
              ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': payload.length }),
            },
            timeout: 120_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = undefined;
              }
              resolve({ status: res.statusCode ?? 0, body: parsed, text });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Whether a status is worth another try (throttled, or the server was busy). */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Sends a request, retrying throttling, server errors and broken connections a few times. */
export async function requestWithRetry(kube: Kube, method: string, path: string, body?: unknown): Promise<KubeResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await kube.request(method, path, body);
      if (!retryable(res.status) || attempt >= 6) return res;
    } catch (error) {
      if (attempt >= 6) throw error;
    }
    await sleep(50 * 2 ** attempt);
  }
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

/** Fails with the response text unless the status is one of `ok`. */
export function expectStatus(res: KubeResponse, ok: readonly number[], what: string): void {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
}

/** Creates namespace `name` (labelled as the bench's) and waits for its default ServiceAccount. */
export async function createNamespace(kube: Kube, name: string): Promise<void> {
  const res = await requestWithRetry(kube, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'hostport-guard.dev/bench': 'true' } },
  });
  expectStatus(res, [201, 409], `create namespace ${name}`);
  const deadline = Date.now() + 60_000;
  // Pods are refused until the controller-manager has created the default ServiceAccount.
  while ((await kube.request('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`namespace ${name}: no default ServiceAccount after 60 s`);
    await sleep(200);
  }
}

/**
 * Deletes every pod of `namespace` at once (grace period 0: without a kubelet a pod
 * bound to a node is never confirmed gone otherwise), then the namespace, and waits
 * until it has disappeared.
 */
export async function deleteNamespace(kube: Kube, name: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await requestWithRetry(kube, 'DELETE', `/api/v1/namespaces/${name}/pods?gracePeriodSeconds=0`);
    expectStatus(res, [200, 404], `delete the pods of ${name}`);
    const left = await requestWithRetry(kube, 'GET', `/api/v1/namespaces/${name}/pods?limit=1`);
    const items = field(left.body, 'items');
    if (left.status === 404 || (Array.isArray(items) && items.length === 0)) break;
    if (Date.now() > deadline) throw new Error(`namespace ${name}: pods still there after ${timeoutMs} ms`);
  }
  const res = await requestWithRetry(kube, 'DELETE', `/api/v1/namespaces/${name}`);
  expectStatus(res, [200, 202, 404], `delete namespace ${name}`);
  while ((await kube.request('GET', `/api/v1/namespaces/${name}`)).status !== 404) {
    if (Date.now() > deadline) throw new Error(`namespace ${name} still exists after ${timeoutMs} ms`);
    await sleep(250);
  }
}
