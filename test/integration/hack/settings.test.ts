/**
 * A bad node setting stops hack/cluster-up.sh before it starts anything: a cluster-up
 * that failed after starting etcd would leave it running, and the cluster-down that
 * follows would fail on the same setting.
 */
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../e2e/support/cluster.js';
import { run } from '../../e2e/support/process.js';

jest.setTimeout(60_000);

const parent = mkdtempSync(path.join(tmpdir(), 'hpg-settings-'));
const clusterDir = path.join(parent, 'cluster');

afterAll(() => {
  rmSync(parent, { recursive: true, force: true });
});

/** Processes whose command line names the cluster dir. */
function processesOf(dir: string): string {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

describe('hack/cluster-up.sh with a bad node setting', () => {
  it.each([
    ['HPG_NET_ID', '16', "HPG_NET_ID must be 0..15, got '16'"],
    ['HPG_REAL_NODES', 'two', "HPG_REAL_NODES must be 0..9, got 'two'"],
  ])('refuses %s=%s, naming it, and starts nothing', async (name, value, says) => {
    const result = await run(path.join(REPO_ROOT, 'hack/cluster-up.sh'), [], {
      env: { ...process.env, HPG_CLUSTER_DIR: clusterDir, HPG_APISERVER_PORT: '16490', HPG_ETCD_PORT: '16492', [name]: value },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`[cluster-up] ERROR: ${says}`);
    expect(existsSync(clusterDir)).toBe(false);
    expect(processesOf(clusterDir)).toBe('');
  });
});
