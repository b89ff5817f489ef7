/**
 * The chart as a user meets it: rendered and installed with the pinned helm and kubectl
 * that `source hack/cluster-env.sh` exports (HELM, KUBECTL, KUBECONFIG), against the local
 * kube-apiserver. Rendered YAML is parsed into plain objects and read with `field()`,
 * so assertions name the path they check.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository root (test/integration/chart is three levels down). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The chart directory. */
export const CHART_DIR = path.join(REPO_ROOT, 'charts/hostport-guard');

/** The chart's ci/*.yaml values files, as paths relative to the chart. */
export const CI_VALUES: readonly string[] = readdirSync(path.join(CHART_DIR, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => `ci/${f}`);

/** A Kubernetes object or any other mapping read from YAML or JSON. */
export type Json = Record<string, unknown>;

/** True for a plain mapping (not a list, not null). */
export function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a list; narrows to unknown items rather than any. */
export function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

/** The value at `keys` below `value` (mapping keys or list indexes), or undefined. */
export function field(value: unknown, ...keys: readonly (string | number)[]): unknown {
  let at = value;
  for (const key of keys) {
    if (typeof key === 'number') at = isList(at) ? at[key] : undefined;
    else at = isJson(at) && Object.hasOwn(at, key) ? at[key] : undefined;
  }
  return at;
}

/** The string at `keys`; throws (failing the test) when it is missing or not a string. */
export function text(value: unknown, ...keys: readonly (string | number)[]): string {
  const found = field(value, ...keys);
  if (typeof found !== 'string') throw new Error(`expected a string at ${keys.join('.')}, found ${JSON.stringify(found)}`);
  return found;
}

/** The list at `keys`, or an empty list when there is none. */
export function list(value: unknown, ...keys: readonly (string | number)[]): unknown[] {
  const found = field(value, ...keys);
  return isList(found) ? found : [];
}

/** The pinned tools and the cluster, from the environment `hack/cluster-env.sh` sets. */
export interface Tools {
  readonly helm: string;
  readonly kubectl: string;
  readonly kubeconfig: string;
}

let cachedTools: Tools | undefined;

/** HELM, KUBECTL and KUBECONFIG; a clear error when one is unset or names no file. */
export function tools(): Tools {
  if (cachedTools !== undefined) return cachedTools;
  const value = (name: string): string => {
    const set = process.env[name];
    if (set === undefined || set === '') {
      throw new Error(`${name} is not set: the chart tests need the local cluster's tools; run them as \`source hack/cluster-env.sh && node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects integration test/integration/chart\` (start the cluster with hack/cluster-up.sh)`);
    }
    if (!existsSync(set)) throw new Error(`${name}=${set} does not exist: build the tools and start the cluster with hack/cluster-up.sh`);
    return set;
  };
  cachedTools = { helm: value('HELM'), kubectl: value('KUBECTL'), kubeconfig: value('KUBECONFIG') };
  return cachedTools;
}

/** What a finished command printed, and how it ended. */
export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Kills a command that hangs, so a stuck client fails its test instead of the run. */
const COMMAND_TIMEOUT_MS = 120_000;

/** Runs `command args...` with KUBECONFIG set; never rejects because of the exit code. */
export function run(command: string, args: readonly string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, KUBECONFIG: tools().kubeconfig, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ exitCode: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(input);
  });
}

/** The command and everything it printed, for failure messages. */
export function describeRun(command: readonly string[], result: RunResult): string {
  return `$ ${command.join(' ')}\nexit code ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Runs helm. */
export function helm(args: readonly string[], input = ''): Promise<RunResult> {
  return run(tools().helm, args, input);
}

/** Runs kubectl. */
export function kubectl(args: readonly string[], input = ''): Promise<RunResult> {
  return run(tools().kubectl, args, input);
}

/** Runs helm or kubectl and returns stdout; a non-zero exit throws with everything printed. */
export async function ok(tool: 'helm' | 'kubectl', args: readonly string[], input = ''): Promise<string> {
  const result = tool === 'helm' ? await helm(args, input) : await kubectl(args, input);
  if (result.exitCode !== 0) throw new Error(describeRun([tool, ...args], result));
  return result.stdout;
}

/** The mappings in a multi-document YAML text (empty documents dropped). */
export function objectsOf(yamlText: string): Json[] {
  return parseAllDocuments(yamlText)
    .map((doc) => {
      const value: unknown = doc.toJS();
      return value;
    })
    .filter(isJson);
}

/** How a render is asked for: a release, its namespace, values files and --set flags. */
export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files relative to the chart, e.g. `ci/strict-values.yaml`. */
  readonly valuesFiles?: readonly string[];
  /** `key=value` pairs for --set. */
  readonly set?: readonly string[];
  /** A template to render alone (--show-only), e.g. `templates/webhook.yaml`. */
  readonly showOnly?: string;
}

/** The `helm template` arguments for `options`. */
export function templateArgs(options: RenderOptions = {}): string[] {
  return [
    'template', options.release ?? 'hpg', CHART_DIR,
    '--namespace', options.namespace ?? 'hostport-guard',
    ...(options.valuesFiles ?? []).flatMap((f) => ['--values', path.join(CHART_DIR, f)]),
    ...(options.set ?? []).flatMap((s) => ['--set', s]),
    ...(options.showOnly === undefined ? [] : ['--show-only', options.showOnly]),
  ];
}

/** `helm template` as text; a failed render throws with helm's message. */
export function renderText(options: RenderOptions = {}): Promise<string> {
  return ok('helm', templateArgs(options));
}

/** `helm template` parsed into objects. */
export async function render(options: RenderOptions = {}): Promise<Json[]> {
  return objectsOf(await renderText(options));
}

/** The kind and name of an object, e.g. `Deployment/hpg-hostport-guard`. */
export function idOf(object: Json): string {
  return `${String(field(object, 'kind'))}/${String(field(object, 'metadata', 'name'))}`;
}

/** The objects of one kind. */
export function allOf(objects: readonly Json[], kind: string): Json[] {
  return objects.filter((o) => o['kind'] === kind);
}

/** The one object of `kind`; throws when there is none or more than one. */
export function oneOf(objects: readonly Json[], kind: string): Json {
  const found = allOf(objects, kind);
  const [only] = found;
  if (only === undefined || found.length > 1) {
    throw new Error(`expected one ${kind}, rendered ${found.length}: ${objects.map(idOf).join(', ')}`);
  }
  return only;
}

/** A name no other test run uses: `<prefix>-<base36 time><random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0')}`;
}

/** `lower` with `higher` merged in key by key, as helm merges values files. */
export function mergeValues(lower: Json, higher: Json): Json {
  const out: Json = { ...lower };
  for (const [key, value] of Object.entries(higher)) {
    const current = out[key];
    out[key] = isJson(current) && isJson(value) ? mergeValues(current, value) : value;
  }
  return out;
}

/** The chart's values.yaml with the given values files (relative to the chart) merged in. */
export function valuesOf(valuesFiles: readonly string[] = []): Json {
  const read = (file: string): Json => {
    const [doc] = objectsOf(readFileSync(path.join(CHART_DIR, file), 'utf8'));
    return doc ?? {};
  };
  return valuesFiles.reduce((values, file) => mergeValues(values, read(file)), read('values.yaml'));
}
