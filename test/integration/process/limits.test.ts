/**
 * Input limits of the real CLI: every file `check` and `serve` read is refused past its
 * limit with exit 2, one line naming the file and the limit, and never a stack trace.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../../e2e/support/process.js';
import { MAX_STATE_BYTES } from '../../../src/cli/state-file.js';
import { MAX_MANIFEST_BYTES } from '../../../src/manifests/read.js';
import { MAX_YAML_DEPTH } from '../../../src/yaml/bounded.js';
import { BIN, freePorts, removeTemporaryFiles, REPO_ROOT, STATE_FILE, testCerts } from './serve.js';

jest.setTimeout(60_000);

let dir: string;

/** YAML nested 2,000 levels deep in block style, about 2 MB: what took the CLI down. */
function deepYaml(prefix: string): string {
  const levels = Array.from({ length: 2000 }, (_, i) => `${' '.repeat(2 + i)}a:`);
  return `${prefix}\n${levels.join('\n')} 1\n`;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hpg-limits-'));
  writeFileSync(path.join(dir, 'deep.yaml'), deepYaml('kind: Pod\nmetadata: {name: deep}\nspec:\n containers: []\n x:'));
  // The block form is 2 MB, past the configuration's own size limit: the flow form is 4 KB.
  writeFileSync(path.join(dir, 'deep-config.yaml'), `mode: warn\nx: ${'['.repeat(2000)}${']'.repeat(2000)}\n`);
  writeFileSync(path.join(dir, 'deep-state.yaml'), deepYaml('kind: List\nitems: []\nx:'));
  // Sparse: larger than the limits on disk, without writing the bytes.
  writeFileSync(path.join(dir, 'huge.yaml'), '');
  truncateSync(path.join(dir, 'huge.yaml'), 64 * 1024 * 1024);
  mkdirSync(path.join(dir, 'a-directory'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeTemporaryFiles();
});

function cli(args: readonly string[], input?: string) {
  return run(process.execPath, [BIN, ...args], { cwd: dir, timeoutMs: 50_000, ...(input === undefined ? {} : { input }) });
}

/** What serve needs besides the file under test; it must stop before it listens. */
async function serveArgs(): Promise<string[]> {
  const { certFile, keyFile } = testCerts();
  const [port = 0, healthPort = 0] = await freePorts(2);
  return ['serve', '--tls-cert', certFile, '--tls-key', keyFile, '--port', String(port), '--health-port', String(healthPort)];
}

const DEEP = `nested more than ${MAX_YAML_DEPTH} levels deep, the most hostport-guard reads`;

describe('the CLI refuses input past its limits', () => {
  it.each([
    ['check, a manifest 2,000 levels deep', () => ['check', '--state', STATE_FILE, 'deep.yaml'], `error: deep.yaml: document 1: ${DEEP}\n`],
    ['check, a state 2,000 levels deep', () => ['check', '--state', 'deep-state.yaml', path.join(REPO_ROOT, 'test/fixtures/manifests/two-pods.yaml')], `error: deep-state.yaml: document 1: ${DEEP}\n`],
    ['check, a manifest of 64 MiB', () => ['check', '--state', STATE_FILE, 'huge.yaml'], `error: huge.yaml: more than ${MAX_MANIFEST_BYTES / 1048576} MiB of manifests in all, the most check reads\n`],
    ['check, a state of 64 MiB', () => ['check', '--state', 'huge.yaml', 'deep.yaml'], `error: deep.yaml: document 1: ${DEEP}\nerror: huge.yaml: more than ${MAX_STATE_BYTES / 1048576} MiB, the most hostport-guard reads for a cluster state (read a larger cluster live instead)\n`],
  ])('%s', async (_name, args, stderr) => {
    const result = await cli(args());
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr });
  });

  it('refuses more than the limit on standard input', async () => {
    const result = await cli(['check', '--state', STATE_FILE, '-'], `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`);
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: `error: <stdin>: more than ${MAX_MANIFEST_BYTES / 1048576} MiB of manifests in all, the most check reads\n` });
  });

  it('serve --config, a file 2,000 levels deep', async () => {
    const result = await cli([...(await serveArgs()), '--config', 'deep-config.yaml']);
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: `config: deep-config.yaml: ${DEEP} (from --config)\n` });
  });

  it('serve --config, a file of 64 MiB', async () => {
    const result = await cli([...(await serveArgs()), '--config', 'huge.yaml']);
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: 'config: huge.yaml: more than 1 MiB, the most a configuration file may hold (from --config)\n' });
  });

  it.each([
    ['a state 2,000 levels deep', 'deep-state.yaml', `error: cluster state deep-state.yaml:\n  deep-state.yaml: document 1: ${DEEP}\n`],
    ['a state of 64 MiB', 'huge.yaml', `error: huge.yaml: more than ${MAX_STATE_BYTES / 1048576} MiB, the most hostport-guard reads for a cluster state (read a larger cluster live instead)\n`],
    ['a directory, naming it', 'a-directory', 'error: cannot read a-directory: is a directory\n'],
  ])('serve --cluster-state, %s', async (_name, file, stderr) => {
    const result = await cli([...(await serveArgs()), '--cluster-state', file]);
    expect([result.exitCode, result.stderr]).toEqual([2, stderr]);
    // The JSON log on stdout, if any, holds no stack either.
    expect(result.stdout).not.toMatch(/\n\s+at /);
  });
});
