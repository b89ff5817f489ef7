/**
 * `kubectl hostports` as npm installs it: npm links the package's `bin` entries, among them
 * the executable `kubectl-hostports`, into a bin directory on PATH; the real kubectl then
 * lists it as a plugin and runs it. The install is npm's own (`npm install -g` of this
 * checkout into a temporary prefix, offline: the package's dependencies are the
 * checkout's); `npm pack` shows the published package carries the same executable.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const TIMEOUT_MS = 120_000;

/** The pinned kubectl of the local cluster (hack/cluster-env.sh exports KUBECTL). */
function kubectlBin(): string {
  const bin = process.env['KUBECTL'];
  if (bin === undefined || !existsSync(bin)) throw new Error('KUBECTL is not set: source hack/cluster-env.sh (make test-integration does)');
  return bin;
}

let prefix = '';
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  prefix = mkdtempSync(path.join(tmpdir(), 'hpg-npm-'));
  // npm is the system's; the package runs on the Node.js 24 that `npm ci` installed.
  await run('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', REPO], { cwd: prefix });
  env = { ...process.env, PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter) };
}, TIMEOUT_MS);

afterAll(() => {
  rmSync(prefix, { recursive: true, force: true });
});

describe('the kubectl plugin installed by npm', () => {
  it('is an executable named kubectl-hostports on PATH, pointing at the package', () => {
    const link = path.join(prefix, 'bin', 'kubectl-hostports');
    expect(readlinkSync(link)).toBe('../lib/node_modules/hostport-guard/bin/kubectl-hostports.js');
    expect(statSync(link).mode & 0o111).not.toBe(0);
  });

  it('is listed by kubectl plugin list, without warnings', async () => {
    const { stdout, stderr } = await run(kubectlBin(), ['plugin', 'list'], { env });
    expect(stdout).toContain(path.join(prefix, 'bin', 'kubectl-hostports'));
    expect(stderr).toBe('');
  }, TIMEOUT_MS);

  it('runs as `kubectl hostports`, with its own help and the exit status of scan', async () => {
    const help = await run(kubectlBin(), ['hostports', '--help'], { env });
    expect(help.stdout.split('\n')[0]).toBe('Usage: kubectl hostports [options]');
    const state = path.join(REPO, 'test/fixtures/states/conflicts.yaml');
    // execFile rejects on a non-zero exit, with the code and what was printed.
    const scan = await run(kubectlBin(), ['hostports', '--state', state, '-o', 'json'], { env }).then(
      () => ({ code: 0, stdout: '' }),
      (error: unknown) => {
        const { code, stdout } = error as { code?: number; stdout?: string };
        return { code, stdout: stdout ?? '' };
      },
    );
    expect(scan.code).toBe(1);
    expect(JSON.parse(scan.stdout)).toMatchObject({ summary: { conflicts: 3, podsThatCannotRun: 2 } });
  }, TIMEOUT_MS);
});

describe('the published package', () => {
  it('carries the plugin executable, the CLI it runs and the bin entry that installs it', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    const [packed] = JSON.parse(stdout) as { files: { path: string; mode: number }[] }[];
    const files = new Map((packed?.files ?? []).map((f) => [f.path, f.mode]));
    expect(files.get('bin/kubectl-hostports.js')).toBe(0o755);
    expect(files.has('dist/cli/main.js')).toBe(true);
    const manifest = JSON.parse((await run('npm', ['pkg', 'get', 'bin'], { cwd: REPO })).stdout) as Record<string, string>;
    expect(manifest['kubectl-hostports']).toBe('bin/kubectl-hostports.js');
  }, TIMEOUT_MS);
});
