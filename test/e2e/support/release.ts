/**
 * The chart installed for real: `helm install` of charts/hostport-guard with the image of
 * this tree (hack/image-local.sh loads it into the real nodes), its webhook pods running
 * on real nodes and called by the API server through the chart's Service.
 */
import path from 'node:path';
import { helm, kubectl, kubectlJson, kubectlOk, REPO_ROOT } from './cluster.js';
import { describeRun } from './process.js';
import { LOCAL_IMAGES, REAL_NODE_KEY } from './real-nodes.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** A release of the chart on the local cluster. */
export interface Release {
  readonly name: string;
  readonly namespace: string;
  /** The chart's fullname: Deployment, Service and webhook configuration are named so. */
  readonly fullname: string;
}

/** The values every local install needs: the local image, and the real nodes to run on. */
export function localReleaseValues(): string[] {
  return [
    '--set', `image.repository=${LOCAL_IMAGES.webhook.repository}`,
    '--set', `image.tag=${LOCAL_IMAGES.webhook.tag}`,
    '--set', 'image.pullPolicy=Never',
    '--set-json', `tolerations=[{"key":"${REAL_NODE_KEY}","operator":"Exists","effect":"NoSchedule"}]`,
    '--set-json', `nodeSelector={"${REAL_NODE_KEY}":"true"}`,
  ];
}

/** The release's fullname as the chart computes it (release name + chart name). */
export function release(name: string, namespace: string): Release {
  return { name, namespace, fullname: name.includes('hostport-guard') ? name : `${name}-hostport-guard` };
}

/** `helm install|upgrade --install` with `values`, waiting until the Deployment is available. */
export async function helmUpgradeInstall(r: Release, values: readonly string[]): Promise<void> {
  const args = [
    'upgrade', '--install', r.name, path.join(REPO_ROOT, 'charts/hostport-guard'),
    '--namespace', r.namespace, '--create-namespace',
    ...values,
    '--wait', '--timeout', '180s',
  ];
  const result = await helm(args, { timeoutMs: 240_000 });
  if (result.exitCode !== 0) {
    const pods = await kubectl(['get', 'pods,events', '-n', r.namespace, '-o', 'wide']);
    throw new Error(`${describeRun(`helm ${args.join(' ')}`, result)}\n${pods.stdout}${pods.stderr}`);
  }
}

/** `helm uninstall`, waiting for the release's objects to go. */
export async function helmUninstall(r: Release): Promise<void> {
  const result = await helm(['uninstall', r.name, '--namespace', r.namespace, '--wait', '--timeout', '120s'], { timeoutMs: 180_000 });
  if (result.exitCode !== 0 && !result.stderr.includes('not found')) throw new Error(describeRun(`helm uninstall ${r.name}`, result));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One webhook pod as the tests look at it. */
export interface WebhookPod {
  readonly name: string;
  readonly node: string;
  readonly ip: string;
  readonly ready: boolean;
  readonly uid: string;
}

/** The release's webhook pods (not terminating). */
export async function webhookPods(r: Release): Promise<WebhookPod[]> {
  const list = await kubectlJson(['get', 'pods', '-n', r.namespace, '-l', `app.kubernetes.io/instance=${r.name}`]);
  const items = isRecord(list) && Array.isArray(list['items']) ? list['items'] : [];
  const pods: WebhookPod[] = [];
  for (const item of items) {
    if (!isRecord(item) || !isRecord(item['metadata']) || !isRecord(item['spec']) || !isRecord(item['status'])) continue;
    if (item['metadata']['deletionTimestamp'] !== undefined) continue;
    const conditions = Array.isArray(item['status']['conditions']) ? item['status']['conditions'] : [];
    const ready = conditions.some((c) => isRecord(c) && c['type'] === 'Ready' && c['status'] === 'True');
    pods.push({
      name: String(item['metadata']['name']),
      uid: String(item['metadata']['uid']),
      node: typeof item['spec']['nodeName'] === 'string' ? item['spec']['nodeName'] : '',
      ip: typeof item['status']['podIP'] === 'string' ? item['status']['podIP'] : '',
      ready,
    });
  }
  return pods.sort((a, b) => a.name.localeCompare(b.name));
}

/** Waits until `count` webhook pods are Ready. */
export async function waitForReadyWebhooks(r: Release, count: number): Promise<WebhookPod[]> {
  return eventually(`${count} ready webhook pod(s) of ${r.name}`, async () => {
    const pods = await webhookPods(r);
    const ready = pods.filter((p) => p.ready);
    return ready.length === count ? done(ready) : notYet(JSON.stringify(pods));
  }, { timeoutMs: 180_000, intervalMs: 1000 });
}

/** The ValidatingWebhookConfigurations that exist, by name. */
export async function webhookConfigurations(): Promise<string[]> {
  const out = await kubectlOk(['get', 'validatingwebhookconfigurations', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
  return out.split('\n').filter((n) => n !== '');
}
