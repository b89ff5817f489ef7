/**
 * One test file's world with several webhook processes: each `serve` holds its
 * reservations as Leases in one namespace (`--reservations-namespace`), and a round-robin
 * TCP front (support/front.ts) stands in for the Service in front of them, registered
 * through the chart's own webhook.yaml with `failurePolicy: Fail`.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WebhookCerts } from './certs.js';
import { webhookCerts } from './certs.js';
import { apiServerReady, clusterEnv, kubectl, kubectlOk } from './cluster.js';
import type { Front } from './front.js';
import { roundRobinFront } from './front.js';
import type { ManifestDir } from './manifests.js';
import { manifestDir, pod } from './manifests.js';
import { sampleValue } from './metrics.js';
import { createNamespace, deleteLeftoverNamespaces, deleteNamespaces, namespaceName } from './namespaces.js';
import type { RunResult } from './process.js';
import { registerWebhook, unregisterWebhook } from './registration.js';
import type { RunningWebhook, WebhookOptions } from './webhook.js';
import { freePorts, startWebhook } from './webhook.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** What a test file gets. */
export interface ReplicaSuite {
  readonly manifests: ManifestDir;
  /** The namespace of the reservation Leases. */
  leaseNamespace(): string;
  /** The replicas now running (a killed one is left out until restarted). */
  replicas(): readonly RunningWebhook[];
  /** Every replica, running or not, by index. */
  replica(index: number): RunningWebhook | undefined;
  /** SIGKILLs replica `index`; the front then skips it. */
  kill(index: number): Promise<void>;
  /** Starts replica `index` again on its ports. */
  restart(index: number): Promise<void>;
  /** Connections the front handed to each replica, by index. */
  connections(): number[];
  kubectl(args: readonly string[]): Promise<RunResult>;
  /** A namespace deleted (with its pods) after the current test. */
  namespace(prefix: string): Promise<string>;
  /** The names of the reservation Leases that exist now. */
  leases(): Promise<string[]>;
}

/** Options of replicaSuite. */
export interface ReplicaSuiteOptions {
  /** Names the log files: `<cluster dir>/logs/e2e-<name>-<i>-webhook.log`. */
  readonly name: string;
  readonly replicas: number;
  /** The API server's wait for an answer (the chart's webhook.timeoutSeconds). */
  readonly timeoutSeconds: number;
  /** Each replica's bound on one reservation. */
  readonly reservationTimeoutMs: number;
  /** How long a reservation whose pod never appears holds. */
  readonly reservationTtlSeconds: number;
}

/** Installs beforeAll/afterEach/afterAll hooks for one file and returns its suite. */
export function replicaSuite(options: ReplicaSuiteOptions): ReplicaSuite {
  const manifests = manifestDir();
  const testNamespaces: string[] = [];
  const leaseNamespace = namespaceName(`${options.name}-leases`);
  const probeNamespace = namespaceName(`${options.name}-probe`);
  const webhookOptions: WebhookOptions[] = [];
  const running: (RunningWebhook | undefined)[] = [];
  let front: Front | undefined;

  const kubectlHere = (args: readonly string[]): Promise<RunResult> => kubectl(args, { cwd: manifests.dir });

  const suite: ReplicaSuite = {
    manifests,
    leaseNamespace: () => leaseNamespace,
    replicas: () => running.filter((r): r is RunningWebhook => r !== undefined),
    replica: (index) => running[index],
    async kill(index) {
      await running[index]?.kill();
      running[index] = undefined;
    },
    async restart(index) {
      const opts = webhookOptions[index];
      if (opts === undefined) throw new Error(`no replica ${index}`);
      running[index] = await startWebhook(opts);
    },
    connections() {
      const counts = front?.counts() ?? {};
      return webhookOptions.map((o) => counts[o.port] ?? 0);
    },
    kubectl: kubectlHere,
    async namespace(prefix) {
      const name = namespaceName(prefix);
      testNamespaces.push(name);
      return createNamespace(name);
    },
    async leases() {
      const out = await kubectlOk(['get', 'leases', '-n', leaseNamespace, '-l', 'hostport-guard.io/reservation', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
      return out.split('\n').filter((n) => n !== '');
    },
  };

  /** Waits until a dry run through the front reaches every replica's decisions. */
  const waitUntilCalled = async (): Promise<void> => {
    const probe = manifests.write('probe', pod({ name: 'probe', namespace: probeNamespace, hostNetwork: true, ports: [{ containerPort: 1 }] }));
    await eventually('the API server to call the replicas through the front', async () => {
      const result = await kubectlHere(['create', '--dry-run=server', '-f', probe]);
      let decided = 0;
      for (const replica of suite.replicas()) decided += sampleValue(await replica.metrics(), 'hostport_guard_decisions_total');
      return decided > 0 && result.exitCode === 0 ? done(undefined) : notYet(`decisions ${decided}; kubectl: ${result.stdout}${result.stderr}`);
    });
  };

  beforeAll(async () => {
    const env = clusterEnv();
    if (!(await apiServerReady())) throw new Error('the local cluster is not running: start it with `make cluster-up`');
    await unregisterWebhook();
    await deleteLeftoverNamespaces();
    await createNamespace(leaseNamespace);
    await createNamespace(probeNamespace);
    const certs: WebhookCerts = webhookCerts(path.join(manifests.dir, 'pki'));
    const logDir = path.join(env.clusterDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    // Every replica's two ports at once, so that no two of them are the same.
    const ports = await freePorts(2 * options.replicas);
    for (let i = 0; i < options.replicas; i += 1) {
      const logFile = path.join(logDir, `e2e-${options.name}-${i}-webhook.log`);
      writeFileSync(logFile, '');
      webhookOptions.push({
        mode: 'enforce',
        exemptNamespaces: [],
        port: ports[2 * i] ?? 0,
        healthPort: ports[2 * i + 1] ?? 0,
        certs,
        logFile,
        reservationsNamespace: leaseNamespace,
        reservationTimeoutMs: options.reservationTimeoutMs,
        reservationTtlSeconds: options.reservationTtlSeconds,
      });
    }
    running.push(...(await Promise.all(webhookOptions.map((o) => startWebhook(o)))));
    front = await roundRobinFront(webhookOptions.map((o) => o.port));
    await registerWebhook({ url: `https://127.0.0.1:${front.port}/validate`, caBundle: certs.caBundle, failurePolicy: 'Fail', timeoutSeconds: options.timeoutSeconds });
    await waitUntilCalled();
  });

  afterEach(async () => {
    await deleteNamespaces(testNamespaces.splice(0));
  });

  afterAll(async () => {
    try {
      await unregisterWebhook();
      await deleteNamespaces([...testNamespaces.splice(0), probeNamespace, leaseNamespace]);
    } finally {
      await Promise.all(suite.replicas().map((r) => r.stop()));
      await front?.close();
      manifests.remove();
    }
  });

  return suite;
}

