/**
 * Where the local cluster and its pinned kubectl and helm are, and how to run them.
 * `make test-e2e` sources hack/cluster-env.sh, which exports KUBECTL, HELM, KUBECONFIG and
 * HPG_CLUSTER_DIR; run by hand, the same script is asked for each value.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunOptions, RunResult } from './process.js';
import { describeRun, run } from './process.js';

/** The repository root (test/e2e/support is three levels down). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The local cluster as the hack scripts describe it. */
export interface ClusterEnv {
  readonly kubectl: string;
  readonly helm: string;
  readonly kubeconfig: string;
  /** State dir of the control plane: pki/, logs/, pids/. */
  readonly clusterDir: string;
}

type Variable = 'KUBECTL' | 'HELM' | 'KUBECONFIG' | 'HPG_CLUSTER_DIR';

function fromScript(name: string): string {
  return execFileSync('bash', [path.join(REPO_ROOT, 'hack/cluster-env.sh'), '--get', name], { encoding: 'utf8' }).trim();
}

let cached: ClusterEnv | undefined;

/** The cluster's paths, from the environment or from hack/cluster-env.sh. */
export function clusterEnv(): ClusterEnv {
  if (cached !== undefined) return cached;
  const value = (name: Variable): string => {
    const set = process.env[name];
    return set !== undefined && set !== '' ? set : fromScript(name);
  };
  const env: ClusterEnv = {
    kubectl: value('KUBECTL'),
    helm: value('HELM'),
    kubeconfig: value('KUBECONFIG'),
    clusterDir: value('HPG_CLUSTER_DIR'),
  };
  for (const [what, file] of Object.entries<string>({ ...env })) {
    if (!existsSync(file)) throw new Error(`${what} ${file} does not exist: start the cluster with \`make cluster-up\` first`);
  }
  cached = env;
  return env;
}

/**
 * The environment a user has after `source hack/cluster-env.sh`: KUBECONFIG set, and no
 * proxy for loopback traffic.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const { kubeconfig } = clusterEnv();
  const noProxy = `127.0.0.1,localhost,::1${process.env['NO_PROXY'] === undefined ? '' : `,${process.env['NO_PROXY']}`}`;
  return { ...process.env, KUBECONFIG: kubeconfig, NO_PROXY: noProxy, no_proxy: noProxy };
}

/** Runs `kubectl args...` exactly as typed at a terminal (KUBECONFIG from the environment). */
export function kubectl(args: readonly string[], options: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  return run(clusterEnv().kubectl, args, { ...options, env: userEnv() });
}

/** Runs `helm args...`. */
export function helm(args: readonly string[], options: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  return run(clusterEnv().helm, args, { ...options, env: userEnv() });
}

/** Runs kubectl and returns its stdout; a non-zero exit is a broken test setup, so it throws. */
export async function kubectlOk(args: readonly string[], options: Omit<RunOptions, 'env'> = {}): Promise<string> {
  const result = await kubectl(args, options);
  if (result.exitCode !== 0) throw new Error(describeRun(`kubectl ${args.join(' ')}`, result));
  return result.stdout;
}

/** Runs kubectl with `-o json` and parses what it printed. */
export async function kubectlJson(args: readonly string[]): Promise<unknown> {
  const parsed: unknown = JSON.parse(await kubectlOk([...args, '-o', 'json']));
  return parsed;
}

/** Whether the API server answers /readyz with ok. */
export async function apiServerReady(): Promise<boolean> {
  const result = await kubectl(['get', '--raw=/readyz', '--request-timeout=5s']);
  return result.exitCode === 0 && result.stdout.trim() === 'ok';
}
