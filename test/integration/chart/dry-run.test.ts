/**
 * The real kube-apiserver accepts what the chart renders (`kubectl apply --dry-run=server`
 * runs defaulting, validation, CEL compilation of matchConditions and admission without
 * storing anything), and the webhook's pod passes the restricted Pod Security Standard.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Json } from './chart.js';
import { CI_VALUES, REPO_ROOT, describeRun, field, idOf, kubectl, objectsOf, ok, renderText, uniqueName } from './chart.js';

// Each test runs helm as a process: seconds each on a busy machine, past jest's 5 s default.
jest.setTimeout(60_000);

const NAMESPACE = uniqueName('chart-dry');
/**
 * A release name no other test nor the demo uses: the chart's cluster-scoped objects
 * (ClusterRole, webhook configuration) carry it, and a dry run against objects another
 * installation owns would report on those instead.
 */
const RELEASE = 'hpg-dry-run';
const FULLNAME = `${RELEASE}-hostport-guard`;

/**
 * Kinds whose CRDs the local cluster lacks (cert-manager, Prometheus Operator); the
 * PrometheusRule is checked by promtool instead (monitoring.test.ts).
 */
const NOT_SERVED = new Set(['Issuer', 'Certificate', 'ServiceMonitor', 'PrometheusRule']);

function yamlOf(objects: readonly Json[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** Applies `objects` with --dry-run=server and expects each to be accepted. */
async function expectAccepted(objects: readonly Json[]): Promise<void> {
  const args = ['apply', '--dry-run=server', '-f', '-'];
  const result = await kubectl(args, yamlOf(objects));
  if (result.exitCode !== 0) throw new Error(describeRun(['kubectl', ...args], result));
  const accepted = result.stdout.split('\n').filter((l) => l.endsWith('(server dry run)'));
  expect(accepted).toHaveLength(objects.length);
  expect(result.stderr).toBe('');
}

beforeAll(async () => {
  await ok('kubectl', ['create', 'namespace', NAMESPACE]);
  await ok('kubectl', ['label', 'namespace', NAMESPACE, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
  // Pod admission looks the pod's ServiceAccount up, so it must exist for real.
  await ok('kubectl', ['-n', NAMESPACE, 'create', 'serviceaccount', FULLNAME, '--save-config']);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false', '--ignore-not-found']);
});

const CASES = [
  { name: 'the default values (tls.mode=helm)', valuesFiles: [] as string[] },
  ...CI_VALUES.map((file) => ({ name: file, valuesFiles: [file] })),
];

describe.each(CASES)('the API server, given the chart rendered with $name', ({ valuesFiles }) => {
  it('accepts every object (except the kinds of CRDs this cluster does not have)', async () => {
    const objects = objectsOf(await renderText({ release: RELEASE, namespace: NAMESPACE, valuesFiles }));
    const served = objects.filter((o) => !NOT_SERVED.has(String(o['kind'])));
    expect(served.map(idOf)).toEqual(expect.arrayContaining([`Deployment/${FULLNAME}`, `ValidatingWebhookConfiguration/${FULLNAME}`]));
    await expectAccepted(served);
  });

  it("admits the Deployment's pod in a namespace enforcing the restricted Pod Security Standard", async () => {
    const objects = objectsOf(await renderText({ release: RELEASE, namespace: NAMESPACE, valuesFiles }));
    const deployment = objects.find((o) => o['kind'] === 'Deployment');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hpg-restricted-check', namespace: NAMESPACE },
      spec: field(deployment, 'spec', 'template', 'spec'),
    };
    const args = ['create', '--dry-run=server', '-f', '-'];
    const result = await kubectl(args, JSON.stringify(pod));
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
  });
});

describe('the API server, given manifests/hostport-guard.yaml', () => {
  it('accepts every object but the cert-manager ones (moved into a test namespace)', async () => {
    const objects = objectsOf(readFileSync(path.join(REPO_ROOT, 'manifests/hostport-guard.yaml'), 'utf8'));
    const inTestNamespace = objects
      .filter((o) => o['kind'] !== 'Namespace' && !NOT_SERVED.has(String(o['kind'])))
      .map((o) => {
        const metadata = o['metadata'];
        if (typeof metadata !== 'object' || metadata === null || !('namespace' in metadata)) return o;
        return { ...o, metadata: { ...metadata, namespace: NAMESPACE } };
      });
    expect(objects.filter((o) => NOT_SERVED.has(String(o['kind']))).map((o) => o['kind'])).toEqual(['Certificate', 'Certificate', 'Issuer', 'Issuer']);
    await expectAccepted(inTestNamespace);
  });
});
