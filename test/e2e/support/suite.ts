/**
 * One test file's world: a webhook process, its registration through the chart, and the
 * namespaces its tests create. `e2eSuite()` installs the jest hooks that set it up and
 * tear it down, so each file reads as the story it tells.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Mode } from '../../../src/admission/decide.js';
import { webhookCerts } from './certs.js';
import { apiServerReady, clusterEnv, kubectl, kubectlOk } from './cluster.js';
import { realNodes } from './real-nodes.js';
import type { ManifestDir } from './manifests.js';
import { manifestDir, pod } from './manifests.js';
import { sampleValue } from './metrics.js';
import { createNamespace, deleteLeftoverNamespaces, deleteNamespaces, namespaceName } from './namespaces.js';
import { hostPortPodCount } from './pods.js';
import type { RunResult } from './process.js';
import type { Registration } from './registration.js';
import { registerWebhook, unregisterWebhook } from './registration.js';
import type { RunningWebhook, WebhookOptions } from './webhook.js';
import { freePorts, startWebhook } from './webhook.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** The fake nodes hack/cluster-up.sh registers by default. */
export const NODES = ['worker-1', 'worker-2', 'worker-3'] as const;

/** How a file wants its webhook. */
export interface SuiteOptions {
  /** Names the webhook's log file: `<cluster dir>/logs/e2e-<name>-webhook.log`. */
  readonly name: string;
  readonly mode?: Mode;
  readonly exemptNamespaces?: readonly string[];
  readonly failurePolicy?: Registration['failurePolicy'];
  /** The chart's exemptNamespaces (kept out of the webhook's namespaceSelector). */
  readonly chartExemptNamespaces?: readonly string[];
  /**
   * Fail early unless the nodes the scheduler and the controllers may pick are exactly the
   * fake nodes of NODES (real nodes, whose taint keeps these stories' pods away, may be
   * there too): stories that let them pick cannot tell otherwise.
   */
  readonly onlyFakeNodes?: boolean;
  /** HOSTPORT_GUARD_* settings for the webhook that its flags do not cover. */
  readonly env?: Readonly<Record<string, string>>;
}

/** What a test file gets. */
export interface Suite {
  /** The manifests directory; `kubectl()` runs there. */
  readonly manifests: ManifestDir;
  /** The webhook now running (throws while it is stopped). */
  webhook(): RunningWebhook;
  /** Runs kubectl in the manifests directory, exactly as a user would type it. */
  kubectl(args: readonly string[]): Promise<RunResult>;
  /** Creates a namespace that is deleted (with its pods) after the current test. */
  namespace(prefix: string, labels?: Readonly<Record<string, string>>): Promise<string>;
  /** Creates a namespace that lives until the end of the file, for stories told over several tests. */
  fileNamespace(prefix: string): Promise<string>;
  /** The same as namespace(), for a name chosen in advance (e.g. one given to --exempt-namespace). */
  namespaceNamed(name: string, labels?: Readonly<Record<string, string>>): Promise<string>;
  /** Stops the webhook; the registration stays, as when a webhook crashes. */
  stopWebhook(): Promise<void>;
  /** Starts the webhook again on the same ports, optionally with other flags. */
  startWebhook(overrides?: Partial<Pick<WebhookOptions, 'mode' | 'exemptNamespaces'>>): Promise<RunningWebhook>;
  /** Re-applies the registration with some values changed. */
  register(overrides?: Partial<Pick<Registration, 'failurePolicy' | 'exemptNamespaces'>>): Promise<void>;
  /** Waits until the webhook's index holds as many host-port pods as the cluster. */
  waitForIndexToMatchCluster(): Promise<void>;
  /**
   * Repeats `kubectl create --dry-run=server -f file` until `accept` likes the result: a
   * server-side dry run goes through the webhook but creates (and reserves) nothing, so
   * it shows when the webhook's view of the cluster has caught up.
   */
  dryRunUntil(what: string, file: string, accept: (result: RunResult) => boolean): Promise<void>;
}

/** The ports of the probe pod; nothing else in the suite uses them. */
const PROBE_PORT = 1;

/** Installs beforeAll/afterEach/afterAll hooks for one file and returns its Suite. */
export function e2eSuite(options: SuiteOptions): Suite {
  const manifests = manifestDir();
  const testNamespaces: string[] = [];
  const fileNamespaces: string[] = [];
  const probeNamespace = namespaceName(`${options.name}-probe`);
  let webhookOptions: WebhookOptions | undefined;
  let running: RunningWebhook | undefined;
  let registration: Registration | undefined;

  const webhook = (): RunningWebhook => {
    if (running === undefined) throw new Error('the webhook is not running');
    return running;
  };

  const decisionsSoFar = async (): Promise<number> => sampleValue(await webhook().metrics(), 'hostport_guard_decisions_total');

  /** Waits until the API server sends pods with host ports to the running webhook. */
  const waitUntilCalled = async (): Promise<void> => {
    const probe = manifests.write('probe', pod({ name: 'probe', namespace: probeNamespace, hostNetwork: true, ports: [{ containerPort: PROBE_PORT }] }));
    await eventually('the API server to call the registered webhook', async () => {
      const before = await decisionsSoFar();
      const result = await suite.kubectl(['create', '--dry-run=server', '-f', probe]);
      const after = await decisionsSoFar();
      return after > before ? done(undefined) : notYet(`decisions ${before} -> ${after}; kubectl: ${result.stdout}${result.stderr}`);
    });
  };

  const start = async (overrides: Partial<Pick<WebhookOptions, 'mode' | 'exemptNamespaces'>> = {}): Promise<RunningWebhook> => {
    if (webhookOptions === undefined) throw new Error('the suite is not set up');
    webhookOptions = { ...webhookOptions, ...overrides };
    running = await startWebhook(webhookOptions);
    return running;
  };

  const suite: Suite = {
    manifests,
    webhook,
    kubectl: (args) => kubectl(args, { cwd: manifests.dir }),
    async fileNamespace(prefix) {
      const name = namespaceName(prefix);
      fileNamespaces.push(name);
      return createNamespace(name);
    },
    namespace: (prefix, labels = {}) => suite.namespaceNamed(namespaceName(prefix), labels),
    async namespaceNamed(name, labels = {}) {
      testNamespaces.push(name);
      return createNamespace(name, labels);
    },
    async stopWebhook() {
      await running?.stop();
      running = undefined;
    },
    startWebhook: start,
    async register(overrides = {}) {
      if (registration === undefined) throw new Error('the suite is not set up');
      registration = { ...registration, ...overrides };
      await registerWebhook(registration);
    },
    async dryRunUntil(what, file, accept) {
      await eventually(what, async () => {
        const result = await suite.kubectl(['create', '--dry-run=server', '-f', file]);
        return accept(result) ? done(undefined) : notYet(`exit ${result.exitCode}: ${result.stdout}${result.stderr}`);
      });
    },
    async waitForIndexToMatchCluster() {
      await eventually("the webhook's index to hold every host-port pod of the cluster, and no other", async () => {
        const want = await hostPortPodCount();
        const have = sampleValue(await webhook().metrics(), 'hostport_guard_index_pods');
        return have === want ? done(undefined) : notYet(`index ${have}, cluster ${want}`);
      });
    },
  };

  beforeAll(async () => {
    const env = clusterEnv();
    if (!(await apiServerReady())) throw new Error('the local cluster is not running: start it with `make cluster-up`');
    const nodes = (await kubectlOk(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'])).split('\n').filter((n) => n !== '');
    for (const node of NODES) {
      if (!nodes.includes(node)) throw new Error(`node ${node} is missing: the suite expects hack/cluster-up.sh's three fake nodes`);
    }
    const real = new Set((await realNodes()).map((n) => n.name));
    const others = nodes.filter((n) => !(NODES as readonly string[]).includes(n) && !real.has(n));
    if (options.onlyFakeNodes === true && others.length > 0) {
      throw new Error(`this file expects only the nodes ${NODES.join(', ')}, but the cluster also has ${others.join(', ')} (left behind by another test?)`);
    }
    await unregisterWebhook();
    await deleteLeftoverNamespaces();
    await createNamespace(probeNamespace);
    const certs = webhookCerts(path.join(manifests.dir, 'pki'));
    const logDir = path.join(env.clusterDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    // One log per file and run, so after a failure it holds only that run.
    const logFile = path.join(logDir, `e2e-${options.name}-webhook.log`);
    writeFileSync(logFile, '');
    const [port = 0, healthPort = 0] = await freePorts(2);
    webhookOptions = {
      mode: options.mode ?? 'enforce',
      exemptNamespaces: options.exemptNamespaces ?? [],
      port,
      healthPort,
      certs,
      logFile,
      ...(options.env === undefined ? {} : { env: options.env }),
    };
    await start();
    registration = {
      url: webhook().url,
      caBundle: certs.caBundle,
      failurePolicy: options.failurePolicy ?? 'Fail',
      ...(options.chartExemptNamespaces === undefined ? {} : { exemptNamespaces: options.chartExemptNamespaces }),
    };
    await registerWebhook(registration);
    await waitUntilCalled();
  });

  afterEach(async () => {
    await deleteNamespaces(testNamespaces.splice(0));
    if (running !== undefined) await suite.waitForIndexToMatchCluster();
  });

  afterAll(async () => {
    try {
      await unregisterWebhook();
      await deleteNamespaces([...testNamespaces.splice(0), ...fileNamespaces.splice(0), probeNamespace]);
    } finally {
      await suite.stopWebhook();
      manifests.remove();
    }
  });

  return suite;
}
