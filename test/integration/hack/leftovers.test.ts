/**
 * `hack/nodes.sh leftovers` is what lets cluster-down (and so make test) fail when the
 * local cluster leaves something on the machine. It is checked here against leftovers
 * made on purpose, under a network id and state dir no real cluster uses, and then
 * against the same host once they are gone.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../e2e/support/cluster.js';
import { run } from '../../e2e/support/process.js';

jest.setTimeout(60_000);

const NET_ID = '15';
const clusterDir = mkdtempSync(path.join(tmpdir(), 'hpg-leftovers-'));
const env = { ...process.env, HPG_NET_ID: NET_ID, HPG_CLUSTER_DIR: clusterDir };
const cgroup = '/sys/fs/cgroup/pids/hpg15-node-3';

const leftovers = () => run(path.join(REPO_ROOT, 'hack/nodes.sh'), ['leftovers'], { env });
const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: 'ignore' });
};

/** Whether a link or network namespace of net 15 exists: then a cluster uses it, and this suite must not touch it. */
function netInUse(): boolean {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return /^\d+: hpg15[:@-]/m.test(links) || /^hpg15-/m.test(netns);
}

const inUse = netInUse();

beforeAll(() => {
  if (inUse) throw new Error(`network id ${NET_ID} is in use (a bridge hpg${NET_ID} or namespaces hpg${NET_ID}-*): stop that cluster, this suite creates and deletes them`);
});

afterAll(() => {
  if (inUse) return;
  for (const undo of [() => { ip('netns', 'del', 'hpg15-node-3'); }, () => { ip('link', 'del', 'hpg15'); }, () => { rmdirSync(cgroup); }]) {
    try {
      undo();
    } catch {
      // already gone
    }
  }
  rmSync(clusterDir, { recursive: true, force: true });
});

describe('hack/nodes.sh leftovers', () => {
  it('reports a process, a network namespace, a link, a route and a cgroup folder of the cluster, and then nothing once they are gone', async () => {
    expect(await leftovers()).toEqual({ exitCode: 0, stdout: '', stderr: '' });

    const sleeper = spawn('bash', ['-c', `exec -a "hpg-test ${clusterDir}/node" sleep 60`], { stdio: 'ignore' });
    try {
      ip('netns', 'add', 'hpg15-node-3');
      ip('link', 'add', 'hpg15', 'type', 'bridge');
      ip('link', 'set', 'dev', 'hpg15', 'alias', `hostport-guard:${clusterDir}`);
      ip('link', 'set', 'hpg15', 'up');
      ip('route', 'add', '10.244.243.0/24', 'dev', 'hpg15');
      if (existsSync('/sys/fs/cgroup/pids')) mkdirSync(cgroup);

      const found = await leftovers();
      expect(found.exitCode).toBe(1);
      expect(found.stdout).toContain(`process ${sleeper.pid ?? ''} `);
      expect(found.stdout).toContain('network namespace: hpg15-node-3');
      expect(found.stdout).toContain('link: hpg15');
      expect(found.stdout).toContain('route: 10.244.243.0/24 dev hpg15');
      if (existsSync('/sys/fs/cgroup/pids')) expect(found.stdout).toContain(`cgroup folder: ${cgroup}`);
    } finally {
      sleeper.kill('SIGKILL');
      ip('netns', 'del', 'hpg15-node-3');
      ip('link', 'del', 'hpg15');
      if (existsSync(cgroup)) rmdirSync(cgroup);
    }
    await new Promise((resolve) => sleeper.once('exit', resolve));
    expect(await leftovers()).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  it("leaves another cluster's network alone: not reported, and `down` refuses to touch it", async () => {
    ip('link', 'add', 'hpg15', 'type', 'bridge');
    try {
      ip('link', 'set', 'dev', 'hpg15', 'alias', 'hostport-guard:/elsewhere/cluster');
      expect(await leftovers()).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      const down = await run(path.join(REPO_ROOT, 'hack/nodes.sh'), ['down'], { env });
      expect(down).toEqual({
        exitCode: 1,
        stdout: '',
        stderr: `[nodes] ERROR: bridge hpg15 belongs to the cluster in /elsewhere/cluster; this one (${clusterDir}) must use another HPG_NET_ID\n`,
      });
      expect(execFileSync('ip', ['-o', 'link', 'show', 'hpg15'], { encoding: 'utf8' })).toContain('hpg15');
    } finally {
      ip('link', 'del', 'hpg15');
    }
  });
});
