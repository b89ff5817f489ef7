/**
 * The races of support/race-stories.ts with the chart installed for real: two webhook
 * replicas on the real nodes, behind the chart's Service, holding reservations as
 * Leases in the release namespace with the chart's own Role. The racing pods are pinned
 * to a fake node (only the decision matters); the two DaemonSets run on the real nodes,
 * where the pod that got the port really serves on it.
 */
import { afterAll, afterEach, beforeAll, jest } from '@jest/globals';
import { kubectl, kubectlOk } from './support/cluster.js';
import { manifestDir } from './support/manifests.js';
import { parseMetrics, sampleValue } from './support/metrics.js';
import { createNamespace, deleteNamespaces, namespaceName } from './support/namespaces.js';
import type { Counters } from './support/race-stories.js';
import { raceStories } from './support/race-stories.js';
import type { RealNode } from './support/real-nodes.js';
import { httpServer, ON_REAL_NODES, realNodes } from './support/real-nodes.js';
import type { Release } from './support/release.js';
import { helmUninstall, helmUpgradeInstall, localReleaseValues, release, waitForReadyWebhooks, webhookPods } from './support/release.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(900_000);

const manifests = manifestDir();
const testNamespaces: string[] = [];
const hpg: Release = release('hpg-race', 'hostport-guard-race');
const TTL_SECONDS = 10;
const HEALTH_PORT = 8080;
let nodes: RealNode[] = [];

beforeAll(async () => {
  nodes = await realNodes();
  if (nodes.length < 2) throw new Error(`the local cluster has ${nodes.length} real node(s); the stories need two (HPG_REAL_NODES)`);
  // As in replicas.test.ts: the machine is shared and busy, so the API server waits as
  // long as it may, and failurePolicy Fail keeps a call that dies with a replica from
  // letting its pod in unchecked.
  await helmUpgradeInstall(hpg, [
    ...localReleaseValues(),
    '--set', 'replicaCount=2',
    '--set', 'webhook.failurePolicy=Fail',
    '--set', 'webhook.timeoutSeconds=30',
    '--set', 'config.reservations.timeoutMilliseconds=10000',
    '--set', `config.reservationTtlSeconds=${TTL_SECONDS}`,
  ]);
  await waitForReadyWebhooks(hpg, 2);
});

afterEach(async () => {
  await deleteNamespaces(testNamespaces.splice(0));
});

afterAll(async () => {
  await helmUninstall(hpg);
  await deleteNamespaces([hpg.namespace]);
  manifests.remove();
});

/** The counters of one webhook pod's /metrics, read on its pod IP (the host routes to pod subnets). */
async function podCounters(ip: string): Promise<Counters> {
  const response = await fetch(`http://${ip}:${HEALTH_PORT}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const samples = parseMetrics(await response.text());
  return {
    decisions: sampleValue(samples, 'hostport_guard_decisions_total'),
    taken: sampleValue(samples, 'hostport_guard_reservations_total', { result: 'taken' }),
    refused: sampleValue(samples, 'hostport_guard_reservations_total', { result: 'refused' }),
    failed: sampleValue(samples, 'hostport_guard_reservations_total', { result: 'failed' }),
  };
}

raceStories(() => ({
  manifests,
  kubectl: (args) => kubectl(args, { cwd: manifests.dir }),
  async namespace(prefix) {
    const name = namespaceName(prefix);
    testNamespaces.push(name);
    return createNamespace(name);
  },
  raceNode: 'worker-3',
  ttlSeconds: TTL_SECONDS,
  async killer(round) {
    const pods = await waitForReadyWebhooks(hpg, 2);
    const victim = pods[(round - 1) % pods.length];
    if (victim === undefined) throw new Error('no webhook pod to kill');
    return {
      what: `webhook pod ${victim.name} on ${victim.node} force-deleted`,
      kill: async () => {
        await kubectlOk(['delete', 'pod', victim.name, '-n', hpg.namespace, '--grace-period=0', '--force', '--wait=false']);
      },
      back: async () => {
        await eventually('the killed webhook pod to be replaced by a ready one', async () => {
          const ready = (await webhookPods(hpg)).filter((p) => p.ready);
          return ready.length === 2 && !ready.some((p) => p.name === victim.name) ? done(undefined) : notYet(JSON.stringify(ready));
        }, { timeoutMs: 180_000, intervalMs: 1_000 });
      },
    };
  },
  async leases() {
    const out = await kubectlOk(['get', 'leases', '-n', hpg.namespace, '-l', 'hostport-guard.io/reservation', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
    return out.split('\n').filter((n) => n !== '');
  },
  daemonSetNodes: nodes,
  daemonSetExtras: { ...ON_REAL_NODES, run: (port) => httpServer(port) },
  async counters() {
    const pods = (await webhookPods(hpg)).filter((p) => p.ready);
    return Promise.all(pods.map((p) => podCounters(p.ip)));
  },
}), { racers: 50, rounds: 3, killRounds: 2, basePort: 18600 });
