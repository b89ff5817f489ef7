/**
 * The informer against a real kube-apiserver (hack/cluster-up.sh). Pods are pinned to
 * Node objects this test creates (nodeName set, so no scheduler is involved) and, as no
 * kubelet runs, deleted with grace period 0 (`kubectl delete --grace-period=0 --force`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';

import { MODE_LABEL } from '../../../src/admission/policy.js';
import { ClusterInformer } from '../../../src/cluster/informer.js';
import { loadKubeConfig } from '../../../src/cluster/kube-config.js';
import { kubeClusterSources } from '../../../src/cluster/kube-sources.js';
import type { ListWatch } from '../../../src/cluster/list-watch.js';
import type { InformerEvents, ResourceName, RestartReason } from '../../../src/cluster/informer-events.js';
import type { Logger } from '../../../src/cluster/logger.js';
import type { NamespaceEntry } from '../../../src/cluster/pod-index.js';
import { PodIndex, podKey } from '../../../src/cluster/pod-index.js';
import type { Json } from './admin.js';
import { AdminError, labelsOf, request, withLabels, withPhase } from './admin.js';

const TEST_TIMEOUT_MS = 60_000;

function kubeconfigPath(): string {
  const path = process.env.KUBECONFIG;
  if (path === undefined || path === '') {
    throw new Error(
      'integration tests need a running cluster: set KUBECONFIG to its kubeconfig (make test-integration does), ' +
        'e.g. start one with hack/cluster-up.sh and use the path it prints',
    );
  }
  return path;
}

/** Polls `check` until it stops throwing, or fails with its last error after `timeoutMs`. */
async function eventually(check: () => void, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Records what the informer reports, to show it in a failure and check it. */
class Recorder implements InformerEvents, Logger {
  readonly restarts: [ResourceName, RestartReason][] = [];
  readonly listed: [ResourceName, number][] = [];
  readonly rejected: [ResourceName, number][] = [];
  readonly logs: string[] = [];
  onRestart(resource: ResourceName, reason: RestartReason): void {
    this.restarts.push([resource, reason]);
  }
  onListed(resource: ResourceName, items: number): void {
    this.listed.push([resource, items]);
  }
  onRejected(resource: ResourceName, count: number): void {
    this.rejected.push([resource, count]);
  }
  info(fields: object, message: string): void {
    this.logs.push(`info ${message} ${JSON.stringify(fields)}`);
  }
  warn(fields: object, message: string): void {
    this.logs.push(`warn ${message} ${JSON.stringify(fields)}`);
  }
  error(fields: object, message: string): void {
    this.logs.push(`error ${message} ${JSON.stringify(fields)}`);
  }
}

const run = `hpg-it-${Date.now().toString(36)}`;
const namespace = run;
const nodeName = `${run}-node`;
const hostname = `${run}-host`;
const PORT = 18_080 + Math.floor(Math.random() * 1000);

function hostNetworkPod(name: string, port: number): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      nodeName,
      hostNetwork: true,
      containers: [{ name: 'web', image: 'registry.invalid/none', ports: [{ containerPort: port }] }],
    },
  };
}

/** The server's own default watchdog period: the tests below that need another say so. */
const WATCHDOG_MS = 300_000;

function newInformer(kubeConfig: KubeConfig, recorder: Recorder, watchdogMs = WATCHDOG_MS): { index: PodIndex; informer: ClusterInformer } {
  const index = new PodIndex();
  const informer = new ClusterInformer(
    { index, sources: kubeClusterSources(kubeConfig), logger: recorder, events: recorder },
    { watchdogMs },
  );
  informer.start();
  return { index, informer };
}

function holders(index: PodIndex, port: number): string[] {
  return index
    .holdersOfPort(port)
    .map((o) => `${podKey(o.pod)}@${o.node}`)
    .sort();
}

describe('ClusterInformer against a real API server', () => {
  const recorder = new Recorder();
  const informers: ClusterInformer[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let kubeConfig: KubeConfig;
  let index: PodIndex;
  let informer: ClusterInformer;

  const api = (method: string, path: string, body?: Json): Promise<Json> => request(kubeConfig, method, path, body);
  const podsPath = `/api/v1/namespaces/${namespace}/pods`;

  async function createPod(name: string, port: number): Promise<void> {
    await api('POST', podsPath, hostNetworkPod(name, port));
  }

  /** `kubectl delete pod --grace-period=0 --force`: no kubelet will ever confirm a graceful deletion. */
  async function deletePod(name: string): Promise<void> {
    await api('DELETE', `${podsPath}/${name}?gracePeriodSeconds=0`).catch((error: unknown) => {
      if (!(error instanceof AdminError && error.status === 404)) throw error;
    });
  }

  function nodeObject(name: string, host: string): Json {
    return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': host } } };
  }

  function startInformer(events: Recorder, watchdogMs?: number): { index: PodIndex; informer: ClusterInformer } {
    const started = newInformer(kubeConfig, events, watchdogMs);
    informers.push(started.informer);
    return started;
  }

  beforeAll(async () => {
    kubeConfig = loadKubeConfig({ path: kubeconfigPath() });
    await api('POST', '/api/v1/nodes', nodeObject(nodeName, hostname));
    cleanups.push(() => api('DELETE', `/api/v1/nodes/${nodeName}`));
    await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    cleanups.push(() => api('DELETE', `/api/v1/namespaces/${namespace}`));
    for (const name of ['api', 'twin', 'job', 'late']) cleanups.push(() => deletePod(name));
    // The ServiceAccount admission plugin refuses pods until the controller manager has
    // created the namespace's default service account.
    const saReady = async (): Promise<boolean> =>
      api('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`).then(
        () => true,
        () => false,
      );
    const deadline = Date.now() + 30_000;
    while (!(await saReady())) {
      if (Date.now() > deadline) throw new Error(`no default service account in ${namespace}: is the controller manager running?`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ({ index, informer } = startInformer(recorder));
    await informer.whenSynced();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    for (const started of informers) await started.stop();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }, TEST_TIMEOUT_MS);

  it('is synced and knows the node it was started after', () => {
    expect(informer.isSynced()).toBe(true);
    expect(index.nodeForHostname(hostname)).toBe(nodeName);
    expect(recorder.rejected).toEqual([]);
  });

  it('sees a hostNetwork pod pinned to a node, with the port the API server defaulted', async () => {
    await createPod('api', PORT);
    await eventually(() => {
      expect(holders(index, PORT)).toEqual([`${namespace}/api@${nodeName}`]);
    });
    const occupant = index.occupantOf({ namespace, name: 'api' });
    expect(occupant?.hostNetwork).toBe(true);
    expect(occupant?.ports).toEqual([{ protocol: 'TCP', hostIP: '0.0.0.0', port: PORT, container: 'web' }]);
    expect(occupant?.pod.uid).toMatch(/^[0-9a-f-]{36}$/);
  }, TEST_TIMEOUT_MS);

  it('drops a pod deleted with grace period 0', async () => {
    await createPod('twin', PORT + 1);
    await eventually(() => {
      expect(holders(index, PORT + 1)).toHaveLength(1);
    });
    await deletePod('twin');
    await eventually(() => {
      expect(holders(index, PORT + 1)).toEqual([]);
    });
  }, TEST_TIMEOUT_MS);

  it('drops a pod that fails (the field-selected watch reports it DELETED)', async () => {
    await createPod('job', PORT + 2);
    await eventually(() => {
      expect(holders(index, PORT + 2)).toHaveLength(1);
    });
    const current = await api('GET', `${podsPath}/job`);
    await api('PUT', `${podsPath}/job/status`, withPhase(current, 'Failed'));
    await eventually(() => {
      expect(holders(index, PORT + 2)).toEqual([]);
    });
  }, TEST_TIMEOUT_MS);

  it('sees a node being added and removed', async () => {
    const extra = `${run}-extra`;
    const before = index.nodeCount();
    await api('POST', '/api/v1/nodes', nodeObject(extra, `${extra}-host`));
    await eventually(() => {
      expect(index.nodeForHostname(`${extra}-host`)).toBe(extra);
    });
    expect(index.nodeCount()).toBe(before + 1);
    await api('DELETE', `/api/v1/nodes/${extra}`);
    await eventually(() => {
      expect(index.nodeForHostname(`${extra}-host`)).toBeUndefined();
    });
  }, TEST_TIMEOUT_MS);

  it('follows the mode label of a namespace, and its removal', async () => {
    const setLabel = async (value: string | undefined): Promise<void> => {
      const current = await api('GET', `/api/v1/namespaces/${namespace}`);
      const labels = Object.fromEntries(Object.entries(labelsOf(current)).filter(([key]) => key !== MODE_LABEL));
      await api('PUT', `/api/v1/namespaces/${namespace}`, withLabels(current, value === undefined ? labels : { ...labels, [MODE_LABEL]: value }));
    };
    await setLabel('warn');
    await eventually(() => {
      expect(index.modeLabelOf(namespace)).toBe('warn');
    });
    await setLabel('audit');
    await eventually(() => {
      expect(index.modeLabelOf(namespace)).toBe('audit');
    });
    await setLabel(undefined);
    await eventually(() => {
      expect(index.modeLabelOf(namespace)).toBeUndefined();
    });
  }, TEST_TIMEOUT_MS);

  it('shows the current state to an informer started after the changes', async () => {
    await createPod('late', PORT + 3);
    const fresh = startInformer(new Recorder());
    await fresh.informer.whenSynced();
    await eventually(() => {
      expect(holders(fresh.index, PORT)).toEqual([`${namespace}/api@${nodeName}`]);
      expect(holders(fresh.index, PORT + 3)).toEqual([`${namespace}/late@${nodeName}`]);
    });
    expect(holders(fresh.index, PORT + 1)).toEqual([]);
    expect(holders(fresh.index, PORT + 2)).toEqual([]);
    expect(fresh.index.nodeForHostname(hostname)).toBe(nodeName);
  }, TEST_TIMEOUT_MS);

  it('re-lists when its watch goes silent, and the re-listed index matches the cluster', async () => {
    const watched = new Recorder();
    const quick = startInformer(watched, 1_000);
    await quick.informer.whenSynced();
    await eventually(() => {
      expect(watched.restarts).toContainEqual(['namespaces', 'stale']);
      expect(watched.listed.filter(([resource]) => resource === 'namespaces').length).toBeGreaterThanOrEqual(2);
    });
    await deletePod('late');
    await eventually(() => {
      expect(holders(quick.index, PORT + 3)).toEqual([]);
      expect(holders(quick.index, PORT)).toEqual([`${namespace}/api@${nodeName}`]);
    });
  }, TEST_TIMEOUT_MS);

  it('resumes watches the server ends at their timeout without re-listing, even when nothing was sent', async () => {
    const sources = kubeClusterSources(kubeConfig);
    let namespaceWatches = 0;
    const counted: ListWatch<NamespaceEntry> = {
      list: (request, signal) => sources.namespaces.list(request, signal),
      watch: (request, handlers) => {
        namespaceWatches += 1;
        return sources.namespaces.watch(request, handlers);
      },
    };
    const events = new Recorder();
    const short = new ClusterInformer(
      { index: new PodIndex(), sources: { ...sources, namespaces: counted }, logger: events, events },
      { watchdogMs: WATCHDOG_MS, watchTimeoutSeconds: { min: 2, max: 2 } },
    );
    informers.push(short);
    short.start();
    await short.whenSynced();
    await eventually(() => {
      expect(namespaceWatches).toBeGreaterThanOrEqual(3);
    });
    expect(events.restarts).toEqual([]);
    expect(events.listed.filter(([resource]) => resource === 'namespaces')).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  it('never met an object it could not decode', () => {
    expect(recorder.rejected).toEqual([]);
    expect(recorder.logs.filter((line) => line.startsWith('error'))).toEqual([]);
  });
});
