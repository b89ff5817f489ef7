/**
 * hack/e2e-kind.sh on a machine that cannot run it: it checks its prerequisites before
 * touching anything and says what is missing. (Running it for real needs a Docker engine
 * and kind, which `make e2e-kind` users have.) The stand-in commands below fail loudly
 * if the script ever gets past its checks.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './chart.js';

const SCRIPT = path.join(REPO_ROOT, 'hack/e2e-kind.sh');
const dirs: string[] = [];

/** A directory holding executables `name` that print `output` and exit with `code`. */
function binDir(commands: Readonly<Record<string, { readonly code: number; readonly output: string }>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hpg-kind-bin-'));
  dirs.push(dir);
  for (const [name, { code, output }] of Object.entries(commands)) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho '${output}' >&2\nexit ${code}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

/** Runs the script with nothing but `dir` on PATH (bash itself is called by its path). */
function runScript(dir: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/bin/bash', [SCRIPT], { env: { PATH: dir, HOME: tmpdir() }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('hack/e2e-kind.sh', () => {
  it('names every missing tool and exits 2 when docker, kind, kubectl and helm are absent', () => {
    const result = runScript(binDir({}));
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('make e2e-kind needs docker, kind, kubectl and helm; missing:');
    for (const tool of ['docker', 'kind', 'kubectl', 'helm']) expect(result.stderr).toContain(`  - ${tool}\n`);
  });

  it('says the Docker engine is unreachable, and runs nothing else, when only the engine is missing', () => {
    const mustNotRun = { code: 99, output: 'must not run' };
    const result = runScript(binDir({ docker: { code: 1, output: 'Cannot connect to the Docker daemon' }, kind: mustNotRun, kubectl: mustNotRun, helm: mustNotRun }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('docker is installed but cannot reach the Docker engine');
    expect(result.stderr).not.toContain('must not run');
  });
});
