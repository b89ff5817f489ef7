/**
 * A real `helm install`, `helm upgrade` and `helm uninstall` against the local
 * kube-apiserver, where `lookup` works: the Helm-generated CA is created once and kept
 * across upgrades, a user's own Secret is trusted, and the ServiceAccount holds exactly
 * the rights the server needs.
 *
 * The webhook's pods never run (fake nodes, no kubelet), so nothing waits for a rollout.
 * One value differs from the defaults: an extra namespaceSelector expression that no
 * namespace matches, so these webhook configurations never intercept the pods of test
 * suites running at the same time (they would fail open anyway: failurePolicy Ignore).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { createTestPki } from '../../fixtures/tls.js';
import type { TestPki } from '../../fixtures/tls.js';
import type { Json } from './chart.js';
import { CHART_DIR, field, helm, isJson, kubectl, list, ok, text, uniqueName } from './chart.js';

const TIMEOUT_MS = 120_000;
const RUN = uniqueName('chart-it');

/** A release and the namespace it lives in (named alike). */
interface Release {
  readonly name: string;
  readonly namespace: string;
  /** The chart's fullname: every object's name. */
  readonly fullname: string;
}

function release(suffix: string): Release {
  const name = `${RUN}-${suffix}`;
  return { name, namespace: name, fullname: `${name}-hostport-guard` };
}

const GENERATED = release('gen');
const OWN_SECRET = release('own');
const OWN_SECRET_NAME = 'corp-webhook-tls';

const ISOLATED = [
  'namespaceSelectorExpressions[0].key=hostport-guard.io/chart-test',
  'namespaceSelectorExpressions[0].operator=In',
  `namespaceSelectorExpressions[0].values[0]=${RUN}`,
];

async function getJson(args: readonly string[]): Promise<Json> {
  const parsed: unknown = JSON.parse(await ok('kubectl', ['get', ...args, '-o', 'json']));
  if (!isJson(parsed)) throw new Error(`kubectl get ${args.join(' ')} printed no object`);
  return parsed;
}

async function helmStatus(r: Release): Promise<Json> {
  const parsed: unknown = JSON.parse(await ok('helm', ['status', r.name, '--namespace', r.namespace, '--output', 'json']));
  if (!isJson(parsed)) throw new Error('helm status printed no object');
  return parsed;
}

/** The caBundle of every webhook of the release's configuration. */
async function caBundles(r: Release): Promise<unknown[]> {
  const configuration = await getJson(['validatingwebhookconfiguration', r.fullname]);
  return list(configuration, 'webhooks').map((w) => field(w, 'clientConfig', 'caBundle'));
}

/** Whether `kubectl get <what...>` finds the object. */
async function exists(...what: readonly string[]): Promise<boolean> {
  const result = await kubectl(['get', ...what, '--ignore-not-found', '-o', 'name']);
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return result.stdout.trim() !== '';
}

/** Uninstalls (if still there) and removes everything a release left, pods included. */
async function removeRelease(r: Release): Promise<void> {
  await helm(['uninstall', r.name, '--namespace', r.namespace, '--ignore-not-found']);
  // Whatever happened above, no webhook configuration of this suite may outlive it.
  await kubectl(['delete', 'validatingwebhookconfiguration,clusterrole,clusterrolebinding', r.fullname, '--ignore-not-found']);
  await kubectl(['delete', 'namespace', r.namespace, '--wait=false', '--ignore-not-found']);
  // No kubelet confirms pod deletions here, so the namespace's pods are removed by force.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await exists('namespace', r.namespace))) {
    await kubectl(['-n', r.namespace, 'delete', 'pods', '--all', '--grace-period=0', '--force']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

let pki: TestPki | undefined;

beforeAll(() => {
  pki = createTestPki();
});

afterAll(async () => {
  pki?.cleanup();
  await Promise.all([removeRelease(GENERATED), removeRelease(OWN_SECRET)]);
}, TIMEOUT_MS);

describe('helm install with the Helm-generated CA (tls.mode=helm, the default)', () => {
  it('deploys the release, and the webhooks trust the CA stored in the Secret', async () => {
    await ok('helm', ['install', GENERATED.name, CHART_DIR, '--namespace', GENERATED.namespace, '--create-namespace', ...ISOLATED.flatMap((s) => ['--set', s])]);
    const status = await helmStatus(GENERATED);
    expect([field(status, 'info', 'status'), field(status, 'version')]).toEqual(['deployed', 1]);
    const secret = await getJson(['secret', `${GENERATED.fullname}-tls`, '--namespace', GENERATED.namespace]);
    const ca = text(secret, 'data', 'ca.crt');
    expect(await caBundles(GENERATED)).toEqual([ca, ca]);
    const serving = new X509Certificate(Buffer.from(text(secret, 'data', 'tls.crt'), 'base64'));
    expect(serving.verify(new X509Certificate(Buffer.from(ca, 'base64')).publicKey)).toBe(true);
    for (const kind of ['deployment', 'service', 'configmap', 'serviceaccount', 'poddisruptionbudget']) {
      expect([kind, await exists(kind, GENERATED.fullname, '--namespace', GENERATED.namespace)]).toEqual([kind, true]);
    }
  }, TIMEOUT_MS);

  it('keeps the same CA and serving certificate on helm upgrade (lookup finds the Secret)', async () => {
    const before = await getJson(['secret', `${GENERATED.fullname}-tls`, '--namespace', GENERATED.namespace]);
    await ok('helm', ['upgrade', GENERATED.name, CHART_DIR, '--namespace', GENERATED.namespace, '--reuse-values', '--set', 'config.mode=warn']);
    const status = await helmStatus(GENERATED);
    expect([field(status, 'info', 'status'), field(status, 'version')]).toEqual(['deployed', 2]);
    const after = await getJson(['secret', `${GENERATED.fullname}-tls`, '--namespace', GENERATED.namespace]);
    expect(field(after, 'data')).toEqual(field(before, 'data'));
    const ca = text(before, 'data', 'ca.crt');
    expect(await caBundles(GENERATED)).toEqual([ca, ca]);
    const configMap = await getJson(['configmap', GENERATED.fullname, '--namespace', GENERATED.namespace]);
    expect(text(configMap, 'data', 'config.yaml')).toContain('mode: warn');
  }, TIMEOUT_MS);
});

describe("the release's ServiceAccount", () => {
  const lease = `leases.coordination.k8s.io/${GENERATED.fullname}`;
  // Cases naming no namespace are asked in the release namespace.
  const allowed: readonly (readonly string[])[] = [
    ['list', 'pods', '--all-namespaces'],
    ['watch', 'pods', '--all-namespaces'],
    ['list', 'nodes'],
    ['watch', 'nodes'],
    ['list', 'namespaces'],
    ['watch', 'namespaces'],
    ['list', 'priorityclasses.scheduling.k8s.io'],
    ['watch', 'priorityclasses.scheduling.k8s.io'],
    // conflictEvents (on by default): Events on the pods of a conflict, wherever they are...
    ['create', 'events', '--all-namespaces'],
    ['create', 'events', '--namespace', 'default'],
    // ...and the one Lease that elects the replica writing them.
    ['create', 'leases.coordination.k8s.io'],
    ['get', lease],
    ['update', lease],
    // Reservations every replica sees: Leases in the release namespace.
    ['get', 'leases.coordination.k8s.io'],
    ['list', 'leases.coordination.k8s.io'],
    ['update', 'leases.coordination.k8s.io/another-lease'],
    ['delete', 'leases.coordination.k8s.io'],
  ];
  const denied: readonly (readonly string[])[] = [
    ['get', 'secrets'],
    ['get', 'secrets', '--all-namespaces'],
    ['list', 'secrets', '--all-namespaces'],
    ['create', 'pods'],
    ['delete', 'pods'],
    ['patch', 'pods'],
    ['create', 'pods/binding'],
    ['update', 'nodes'],
    ['patch', 'nodes'],
    ['list', 'configmaps', '--all-namespaces'],
    ['update', 'validatingwebhookconfigurations'],
    ['create', 'priorityclasses.scheduling.k8s.io'],
    ['get', 'events', '--namespace', 'default'],
    ['list', 'events', '--all-namespaces'],
    ['patch', 'events', '--namespace', 'default'],
    ['update', 'events', '--namespace', 'default'],
    ['delete', 'events', '--namespace', 'default'],
    // The election's Lease is limited to get and update, but crossReplicaReservations (on
    // by default) grants get, list, create, update and delete on every Lease of the
    // release namespace; patch, watch and deletecollection stay refused.
    ['patch', lease],
    ['create', 'leases.coordination.k8s.io', '--namespace', 'kube-system'],
    ['update', `leases.coordination.k8s.io/${GENERATED.fullname}`, '--namespace', 'kube-system'],
    // Leases anywhere else, and the verbs no Role grants.
    ['create', 'leases.coordination.k8s.io', '--namespace', 'default'],
    ['get', 'leases.coordination.k8s.io', '--namespace', 'kube-system'],
    ['list', 'leases.coordination.k8s.io', '--all-namespaces'],
    ['watch', 'leases.coordination.k8s.io'],
    ['deletecollection', 'leases.coordination.k8s.io'],
    ['create', 'configmaps'],
  ];
  const cases = [...allowed.map((a) => ({ args: a, answer: 'yes' })), ...denied.map((a) => ({ args: a, answer: 'no' }))];

  it.each(cases)('answers $answer to auth can-i $args', async ({ args, answer }) => {
    const as = `--as=system:serviceaccount:${GENERATED.namespace}:${GENERATED.fullname}`;
    const scoped = args.includes('--namespace') || args.includes('--all-namespaces') ? [] : ['--namespace', GENERATED.namespace];
    const result = await kubectl(['auth', 'can-i', ...args, as, ...scoped]);
    expect([result.stdout.trim(), result.exitCode]).toEqual([answer, answer === 'yes' ? 0 : 1]);
  }, TIMEOUT_MS);
});

describe('helm install with an existing Secret (tls.mode=secret)', () => {
  it('trusts the caBundle given for the Secret the user created', async () => {
    if (pki === undefined) throw new Error('no test PKI');
    const issued = pki.issue('2001');
    const b64 = (data: Buffer): string => data.toString('base64');
    await ok('kubectl', ['create', 'namespace', OWN_SECRET.namespace]);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: OWN_SECRET_NAME, namespace: OWN_SECRET.namespace },
      data: { 'tls.crt': b64(issued.cert), 'tls.key': b64(issued.key), 'ca.crt': b64(pki.ca) },
    };
    await ok('kubectl', ['create', '-f', '-'], JSON.stringify(secret));
    await ok('helm', [
      'install', OWN_SECRET.name, CHART_DIR, '--namespace', OWN_SECRET.namespace,
      '--set', 'tls.mode=secret', '--set', `tls.secret.name=${OWN_SECRET_NAME}`, '--set', `tls.secret.caBundle=${b64(pki.ca)}`,
      '--set', 'replicaCount=1',
      ...ISOLATED.flatMap((s) => ['--set', s]),
    ]);
    expect(field(await helmStatus(OWN_SECRET), 'info', 'status')).toBe('deployed');
    const stored = await getJson(['secret', OWN_SECRET_NAME, '--namespace', OWN_SECRET.namespace]);
    expect(await caBundles(OWN_SECRET)).toEqual([text(stored, 'data', 'ca.crt'), text(stored, 'data', 'ca.crt')]);
    const deployment = await getJson(['deployment', OWN_SECRET.fullname, '--namespace', OWN_SECRET.namespace]);
    const volumes = list(deployment, 'spec', 'template', 'spec', 'volumes');
    expect(field(volumes.find((v) => field(v, 'name') === 'tls'), 'secret', 'secretName')).toBe(OWN_SECRET_NAME);
    const manifest = await ok('helm', ['get', 'manifest', OWN_SECRET.name, '--namespace', OWN_SECRET.namespace]);
    expect(manifest).not.toMatch(/^kind: Secret$/m);
  }, TIMEOUT_MS);
});

describe('helm uninstall', () => {
  it.each([
    ['the Helm-generated CA release', GENERATED],
    ['the own-Secret release', OWN_SECRET],
  ])('removes the webhook configuration, the cluster-wide RBAC and the Lease rights of %s', async (_name, r) => {
    await ok('helm', ['uninstall', r.name, '--namespace', r.namespace]);
    for (const kind of ['validatingwebhookconfiguration', 'clusterrole', 'clusterrolebinding']) {
      expect([kind, await exists(kind, r.fullname)]).toEqual([kind, false]);
    }
    for (const kind of ['role', 'rolebinding']) {
      expect([kind, await exists(kind, `${r.fullname}-reservations`, '--namespace', r.namespace)]).toEqual([kind, false]);
    }
  }, TIMEOUT_MS);

  it('leaves the user-created Secret alone', async () => {
    expect(await exists('secret', OWN_SECRET_NAME, '--namespace', OWN_SECRET.namespace)).toBe(true);
  }, TIMEOUT_MS);
});
