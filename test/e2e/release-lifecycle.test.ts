/**
 * The life of an installed release, on the real nodes: each TLS mode that works without
 * cert-manager, an upgrade and a crashed replica under steady pod creation, and an
 * uninstall that leaves nothing behind. The webhook pods run on the real nodes; the pods
 * the load creates are pinned to a fake node, where only the decision matters.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { stringify } from 'yaml';
import { createTestPki } from '../fixtures/tls.js';
import { kubectl, kubectlOk } from './support/cluster.js';
import type { Load } from './support/load.js';
import { startLoad } from './support/load.js';
import { manifestDir, pod } from './support/manifests.js';
import { createNamespace, deleteNamespaces, namespaceName } from './support/namespaces.js';
import type { Release } from './support/release.js';
import { helmUninstall, helmUpgradeInstall, localReleaseValues, release, waitForReadyWebhooks, webhookConfigurations, webhookPods } from './support/release.js';
import { done, eventually, notYet } from '../support/wait.js';

jest.setTimeout(600_000);

const manifests = manifestDir();
const namespaces: string[] = [];

afterAll(async () => {
  await deleteNamespaces(namespaces);
  manifests.remove();
});

async function namespace(prefix: string): Promise<string> {
  const name = namespaceName(prefix);
  namespaces.push(name);
  return createNamespace(name);
}

/** The Forbidden line kubectl prints for a pod colliding with `holder` on `node`. */
function denial(file: string, port: number, node: string, holder: string): string {
  return `Error from server (Forbidden): error when creating "${file}": admission webhook "pods.hostport-guard.io" denied the request: ` +
    `hostNetwork port ${port}/TCP on node ${node} is already used by pod ${holder} (container web); pick another port or node\n`;
}

/** Waits until a server-side dry run of `file` is denied: the release answers through its Service. */
async function untilDenied(file: string): Promise<void> {
  await eventually(`a dry run of ${file} to be denied`, async () => {
    const r = await kubectl(['create', '--dry-run=server', '-f', file], { cwd: manifests.dir });
    return r.stderr.includes('denied the request') ? done(undefined) : notYet(`${r.stdout}${r.stderr}`);
  });
}

describe('tls.mode=secret: a certificate of your own', () => {
  const r: Release = release('hpg-secret', 'hostport-guard-secret');

  afterAll(async () => {
    await helmUninstall(r);
    await deleteNamespaces([r.namespace]);
  });

  it('serves with the Secret it is given, and the API server trusts it through the caBundle', async () => {
    const pki = createTestPki();
    try {
      const service = `${r.fullname}.${r.namespace}.svc`;
      const pair = pki.issue('5e01', `DNS:${service}`);
      await createNamespace(r.namespace);
      const secret = {
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
        metadata: { name: 'own-tls', namespace: r.namespace },
        data: { 'tls.crt': pair.cert.toString('base64'), 'tls.key': pair.key.toString('base64') },
      };
      await kubectlOk(['apply', '-f', '-'], { input: stringify(secret) });
      await helmUpgradeInstall(r, [
        ...localReleaseValues(), '--set', 'replicaCount=1', '--set', 'tls.mode=secret',
        '--set', 'tls.secret.name=own-tls', '--set-string', `tls.secret.caBundle=${pki.ca.toString('base64')}`,
      ]);
      await waitForReadyWebhooks(r, 1);

      const ns = await namespace('secret-mode');
      const first = manifests.write('s-1', pod({ name: 's-1', namespace: ns, nodeName: 'worker-2', hostNetwork: true, ports: [{ containerPort: 18280 }] }));
      const second = manifests.write('s-2', pod({ name: 's-2', namespace: ns, nodeName: 'worker-2', hostNetwork: true, ports: [{ containerPort: 18280 }] }));
      expect((await kubectl(['apply', '-f', first], { cwd: manifests.dir })).exitCode).toBe(0);
      await untilDenied(second);
      expect(await kubectl(['apply', '-f', second], { cwd: manifests.dir })).toEqual({ exitCode: 1, stdout: '', stderr: denial('s-2.yaml', 18280, 'worker-2', `${ns}/s-1`) });
    } finally {
      pki.cleanup();
    }
  });

  it('helm uninstall leaves no webhook configuration behind', async () => {
    await helmUninstall(r);
    expect(await webhookConfigurations()).not.toContain(r.fullname);
  });
});

describe('tls.mode=helm with two replicas and the PodDisruptionBudget, under steady pod creation', () => {
  const r: Release = release('hpg-life', 'hostport-guard-life');
  const PORT = 18281;
  let ns = '';

  /** A pod pinned to worker-1 on PORT, where `holder` already has it. */
  const loadPod = (name: string) => pod({ name, namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: PORT }] });
  /** Load runs so far: each names its pods apart, since the pods a run got admitted stay. */
  let runs = 0;

  /** Starts the load and waits until it has finished a few creates, so it runs before and after. */
  async function load(): Promise<Load> {
    runs += 1;
    const run = runs;
    const running = startLoad(3, (n) => loadPod(`load-${run}-${n}`));
    await eventually('the load to get going', () => Promise.resolve(running.finished() >= 6 ? done(undefined) : notYet(`${running.finished()} creates`)), { timeoutMs: 60_000 });
    return running;
  }

  beforeAll(async () => {
    await helmUpgradeInstall(r, [...localReleaseValues(), '--set', 'replicaCount=2']);
    await waitForReadyWebhooks(r, 2);
    ns = await namespace('life');
    const holder = manifests.write('holder', pod({ name: 'holder', namespace: ns, nodeName: 'worker-1', hostNetwork: true, ports: [{ containerPort: PORT }] }));
    expect((await kubectl(['apply', '-f', holder], { cwd: manifests.dir })).exitCode).toBe(0);
    await untilDenied(manifests.write('probe', loadPod('probe')));
  });

  afterAll(async () => {
    await helmUninstall(r);
    await deleteNamespaces([r.namespace]);
  });

  it('renders a PodDisruptionBudget that keeps one replica', async () => {
    expect(await kubectlOk(['get', 'pdb', r.fullname, '-n', r.namespace, '-o', 'jsonpath={.spec.minAvailable} {.status.currentHealthy}'])).toBe('1 2');
  });

  it('helm upgrade from enforce to warn while pods are being created: every create is decided, none fails or slips through', async () => {
    const before = (await webhookPods(r)).map((p) => p.name);
    const running = await load();
    await helmUpgradeInstall(r, [...localReleaseValues(), '--set', 'replicaCount=2', '--set', 'config.mode=warn']);
    // Every old replica gone and two new ones ready: the rollout is over.
    await eventually('the upgraded replicas to replace the old ones', async () => {
      const pods = await webhookPods(r);
      const fresh = pods.filter((p) => p.ready && !before.includes(p.name));
      return fresh.length === 2 && pods.length === 2 ? done(undefined) : notYet(JSON.stringify(pods));
    }, { timeoutMs: 180_000 });
    await eventually('a create to be warned about rather than denied', async () => {
      const r2 = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: stringify(loadPod('warn-probe')) });
      return r2.exitCode === 0 && r2.stderr.startsWith('Warning: ') ? done(undefined) : notYet(r2.stderr);
    });
    const report = await running.stop();
    console.log(`helm upgrade under load: ${JSON.stringify(report.counts)}`);
    expect(report.problems).toEqual([]);
    expect(report.counts.denied).toBeGreaterThan(0);
    expect(report.counts.warned).toBeGreaterThan(0);
  });

  it('a webhook pod killed under load: the other replica answers, and the ReplicaSet brings a new one', async () => {
    const [victim, survivor] = await waitForReadyWebhooks(r, 2);
    if (victim === undefined || survivor === undefined) throw new Error('two replicas expected');
    const running = await load();
    const countAtKill = running.finished();
    await kubectlOk(['delete', 'pod', victim.name, '-n', r.namespace, '--grace-period=0', '--force']);
    const healed = await eventually('the ReplicaSet to bring a new ready replica', async () => {
      const pods = (await webhookPods(r)).filter((p) => p.ready);
      return pods.length === 2 && !pods.some((p) => p.name === victim.name) ? done(pods) : notYet(JSON.stringify(pods));
    }, { timeoutMs: 180_000 });
    const report = await running.stop();
    console.log(`a replica killed under load (after ${countAtKill} creates): ${JSON.stringify(report.counts)}; replicas now ${healed.map((p) => `${p.name}@${p.node}`).join(', ')}`);
    expect(report.problems).toEqual([]);
    expect(healed.map((p) => p.name)).toContain(survivor.name);
  });

  it('helm uninstall leaves no webhook configuration behind', async () => {
    await helmUninstall(r);
    expect(await webhookConfigurations()).not.toContain(r.fullname);
    expect((await kubectl(['get', 'deployment,service,pdb', '-n', r.namespace, '-o', 'name'])).stdout).toBe('');
  });
});
