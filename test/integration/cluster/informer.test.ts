/**
 * The informer against a real kube-apiserver (hack/cluster-up.sh). Pods are pinned to
 * Node objects this test creates (nodeName set, so no scheduler is involved) and, as no
 * kubelet runs, deleted with grace period 0 (`kubectl delete --grace-period=0 --force`).
 * Every test creates the pods it looks at, on ports of its own, so each one runs alone
 * (`-t`) or in any order.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';

import { MODE_LABEL } from '../../../src/admission/policy.js';
import type { InformerEvents, ResourceName, RestartReason } from '../../../src/cluster/informer-events.js';
import { ClusterInformer } from '../../../src/cluster/informer.js';
import { kubeClusterSources } from '../../../src/cluster/kube-sources.js';
import type { ListWatch } from '../../../src/cluster/list-watch.js';
import type { Logger } from '../../../src/cluster/logger.js';
import type { NamespaceEntry } from '../../../src/cluster/pod-index.js';
import { PodIndex, podKey } from '../../../src/cluster/pod-index.js';
import type { PodLike } from '../../../src/engine/types.js';
import { asserted, eventually } from '../../support/wait.js';
import { coreApi, createNamespace, removed, testKubeConfig } from './admin.js';

const TEST_TIMEOUT_MS = 60_000;

/** How long the tests wait for the informer to show a change. */
const SEEN_WITHIN = { timeoutMs: 20_000, intervalMs: 50 };

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
/** A base port; each test takes its own ports above it. */
const PORT = 18_080 + Math.floor(Math.random() * 1000);

function hostNetworkPod(name: string, port: number): V1Pod {
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
  let core: CoreV1Api;
  let index: PodIndex;
  let informer: ClusterInformer;

  /** Creates a hostNetwork pod on the test's node; it is deleted after the tests. */
  async function createPod(name: string, port: number): Promise<void> {
    cleanups.push(() => deletePod(name));
    await core.createNamespacedPod({ namespace, body: hostNetworkPod(name, port) });
  }

  /** `kubectl delete pod --grace-period=0 --force`: no kubelet will ever confirm a graceful deletion. */
  async function deletePod(name: string): Promise<void> {
    await removed(() => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }));
  }

  async function createNode(name: string, host: string): Promise<void> {
    cleanups.push(() => removed(() => core.deleteNode({ name })));
    await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': host } } } });
  }

  function startInformer(events: Recorder, watchdogMs?: number): { index: PodIndex; informer: ClusterInformer } {
    const started = newInformer(kubeConfig, events, watchdogMs);
    informers.push(started.informer);
    return started;
  }

  beforeAll(async () => {
    kubeConfig = testKubeConfig();
    core = coreApi(kubeConfig);
    await createNode(nodeName, hostname);
    cleanups.push(() => removed(() => core.deleteNamespace({ name: namespace })));
    await createNamespace(core, namespace);
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
  });

  it('lists pods by streaming (sendInitialEvents), which kube-apiserver serves, not in pages', async () => {
    await createPod('before', PORT + 10);
    const sources = kubeClusterSources(kubeConfig);
    const asked = { pages: 0, streams: 0 };
    const pods: ListWatch<PodLike> = {
      list: (request, signal) => {
        asked.pages += 1;
        return sources.pods.list(request, signal);
      },
      watch: (request, handlers) => {
        if (request.initialEvents === true) asked.streams += 1;
        return sources.pods.watch(request, handlers);
      },
    };
    const events = new Recorder();
    const streamed = new PodIndex();
    const streaming = new ClusterInformer({ index: streamed, sources: { ...sources, pods }, logger: events, events }, { watchdogMs: WATCHDOG_MS });
    informers.push(streaming);
    streaming.start();
    await streaming.whenSynced();
    expect(asked).toEqual({ pages: 0, streams: 1 });
    expect(events.restarts).toEqual([]);
    expect(events.logs.filter((line) => line.includes('streaming'))).toEqual([]);
    expect(holders(streamed, PORT + 10)).toEqual([`${namespace}/before@${nodeName}`]);
    // Then it goes on as the watch: a pod created afterwards shows up too.
    await createPod('after', PORT + 11);
    await eventually('the streamed index to show after', asserted(() => {
      expect(holders(streamed, PORT + 11)).toEqual([`${namespace}/after@${nodeName}`]);
    }), SEEN_WITHIN);
    expect(asked).toEqual({ pages: 0, streams: 1 });
  }, TEST_TIMEOUT_MS);

  it('sees a hostNetwork pod pinned to a node, with the port the API server defaulted', async () => {
    await createPod('api', PORT);
    await eventually('the index to show api', asserted(() => {
      expect(holders(index, PORT)).toEqual([`${namespace}/api@${nodeName}`]);
    }), SEEN_WITHIN);
    const occupant = index.occupantOf({ namespace, name: 'api' });
    expect(occupant?.hostNetwork).toBe(true);
    expect(occupant?.ports).toEqual([{ protocol: 'TCP', hostIP: '0.0.0.0', port: PORT, container: 'web' }]);
    expect(occupant?.pod.uid).toMatch(/^[0-9a-f-]{36}$/);
  }, TEST_TIMEOUT_MS);

  it('drops a pod deleted with grace period 0', async () => {
    await createPod('twin', PORT + 1);
    await eventually('the index to show twin', asserted(() => {
      expect(holders(index, PORT + 1)).toHaveLength(1);
    }), SEEN_WITHIN);
    await deletePod('twin');
    await eventually('the index to drop twin', asserted(() => {
      expect(holders(index, PORT + 1)).toEqual([]);
    }), SEEN_WITHIN);
  }, TEST_TIMEOUT_MS);

  it('drops a pod that fails (the field-selected watch reports it DELETED)', async () => {
    await createPod('job', PORT + 2);
    await eventually('the index to show job', asserted(() => {
      expect(holders(index, PORT + 2)).toHaveLength(1);
    }), SEEN_WITHIN);
    const failed = await core.readNamespacedPod({ name: 'job', namespace });
    failed.status = { phase: 'Failed' };
    await core.replaceNamespacedPodStatus({ name: 'job', namespace, body: failed });
    await eventually('the index to drop job', asserted(() => {
      expect(holders(index, PORT + 2)).toEqual([]);
    }), SEEN_WITHIN);
  }, TEST_TIMEOUT_MS);

  it('sees a node being added and removed', async () => {
    const extra = `${run}-extra`;
    const before = index.nodeCount();
    await createNode(extra, `${extra}-host`);
    await eventually('the index to show the new node', asserted(() => {
      expect(index.nodeForHostname(`${extra}-host`)).toBe(extra);
    }), SEEN_WITHIN);
    expect(index.nodeCount()).toBe(before + 1);
    await core.deleteNode({ name: extra });
    await eventually('the index to drop the node', asserted(() => {
      expect(index.nodeForHostname(`${extra}-host`)).toBeUndefined();
    }), SEEN_WITHIN);
  }, TEST_TIMEOUT_MS);

  it('follows the mode label of a namespace, and its removal', async () => {
    const setLabel = async (value: string | undefined): Promise<void> => {
      const current = await core.readNamespace({ name: namespace });
      const labels = Object.fromEntries(Object.entries(current.metadata?.labels ?? {}).filter(([key]) => key !== MODE_LABEL));
      current.metadata ??= {};
      current.metadata.labels = value === undefined ? labels : { ...labels, [MODE_LABEL]: value };
      await core.replaceNamespace({ name: namespace, body: current });
    };
    await setLabel('warn');
    await eventually('the index to show mode warn', asserted(() => {
      expect(index.modeLabelOf(namespace)).toBe('warn');
    }), SEEN_WITHIN);
    await setLabel('audit');
    await eventually('the index to show mode audit', asserted(() => {
      expect(index.modeLabelOf(namespace)).toBe('audit');
    }), SEEN_WITHIN);
    await setLabel(undefined);
    await eventually('the index to forget the mode', asserted(() => {
      expect(index.modeLabelOf(namespace)).toBeUndefined();
    }), SEEN_WITHIN);
  }, TEST_TIMEOUT_MS);

  it('shows the current state to an informer started after the changes', async () => {
    await createPod('present', PORT + 3);
    await createPod('gone', PORT + 4);
    await eventually('the index to show both pods', asserted(() => {
      expect([holders(index, PORT + 3), holders(index, PORT + 4)].map((h) => h.length)).toEqual([1, 1]);
    }), SEEN_WITHIN);
    await deletePod('gone');
    await eventually('the index to drop gone', asserted(() => {
      expect(holders(index, PORT + 4)).toEqual([]);
    }), SEEN_WITHIN);
    const fresh = startInformer(new Recorder());
    await fresh.informer.whenSynced();
    expect(holders(fresh.index, PORT + 3)).toEqual([`${namespace}/present@${nodeName}`]);
    expect(holders(fresh.index, PORT + 4)).toEqual([]);
    expect(fresh.index.nodeForHostname(hostname)).toBe(nodeName);
  }, TEST_TIMEOUT_MS);

  it('re-lists when its watch goes silent, and the re-listed index matches the cluster', async () => {
    await createPod('stays', PORT + 5);
    await createPod('leaves', PORT + 6);
    const watched = new Recorder();
    const quick = startInformer(watched, 1_000);
    await quick.informer.whenSynced();
    await eventually('a stale namespaces watch and a second list', asserted(() => {
      expect(watched.restarts).toContainEqual(['namespaces', 'stale']);
      expect(watched.listed.filter(([resource]) => resource === 'namespaces').length).toBeGreaterThanOrEqual(2);
    }), SEEN_WITHIN);
    await deletePod('leaves');
    await eventually('the quick informer to drop leaves and keep stays', asserted(() => {
      expect(holders(quick.index, PORT + 6)).toEqual([]);
      expect(holders(quick.index, PORT + 5)).toEqual([`${namespace}/stays@${nodeName}`]);
    }), SEEN_WITHIN);
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
    await eventually('three namespace watches', asserted(() => {
      expect(namespaceWatches).toBeGreaterThanOrEqual(3);
    }), SEEN_WITHIN);
    expect(events.restarts).toEqual([]);
    expect(events.listed.filter(([resource]) => resource === 'namespaces')).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  it('decodes every object the API server sends, and logs no error', async () => {
    await createPod('decoded', PORT + 7);
    await eventually('the index to show decoded', asserted(() => {
      expect(holders(index, PORT + 7)).toHaveLength(1);
    }), SEEN_WITHIN);
    expect(recorder.rejected).toEqual([]);
    expect(recorder.logs.filter((line) => line.startsWith('error'))).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
