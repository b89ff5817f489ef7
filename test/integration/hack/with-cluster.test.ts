/**
 * hack/with-cluster.sh, which every test target goes through, refuses a running cluster
 * that has the demo's release installed: the demo's webhook would judge the tests' pods
 * too. The release is stood in for by a chart of one ConfigMap, installed under the
 * demo's name and namespace on the cluster these tests run on, and removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterEnv, helm, kubectl, REPO_ROOT } from '../../e2e/support/cluster.js';
import { describeRun, run } from '../../e2e/support/process.js';

jest.setTimeout(120_000);

/** The demo's release (hack/demo.sh). */
const DEMO_RELEASE = 'hpg';
const DEMO_NAMESPACE = 'hostport-guard';

const chartDir = mkdtempSync(path.join(tmpdir(), 'hpg-stand-in-'));

beforeAll(async () => {
  writeFileSync(path.join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: demo-stand-in\nversion: 0.0.1\n');
  mkdirSync(path.join(chartDir, 'templates'));
  writeFileSync(
    path.join(chartDir, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-stand-in\ndata:\n  what: stands in for the demo release\n',
  );
  const installed = await helm(['install', DEMO_RELEASE, chartDir, '--namespace', DEMO_NAMESPACE, '--create-namespace', '--wait']);
  if (installed.exitCode !== 0) throw new Error(describeRun('helm install', installed));
});

afterAll(async () => {
  await helm(['uninstall', DEMO_RELEASE, '--namespace', DEMO_NAMESPACE, '--wait']);
  await kubectl(['delete', 'namespace', DEMO_NAMESPACE, '--wait=false', '--ignore-not-found']);
  rmSync(chartDir, { recursive: true, force: true });
});

describe('hack/with-cluster.sh on a running cluster with the demo installed', () => {
  it('refuses with exit 2, says why and what to do, and runs nothing', async () => {
    const marker = path.join(chartDir, 'ran');
    const result = await run(path.join(REPO_ROOT, 'hack/with-cluster.sh'), ['touch', marker], {
      env: { ...process.env, HPG_CLUSTER_DIR: clusterEnv().clusterDir },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`runs the demo (release ${DEMO_RELEASE} in namespace ${DEMO_NAMESPACE})`);
    expect(result.stderr).toContain('hack/demo.sh stop');
    expect(existsSync(marker)).toBe(false);
  });
});
