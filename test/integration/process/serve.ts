/**
 * The real `hostport-guard serve` (node bin/hostport-guard.js, the compiled dist/) on
 * 127.0.0.1, serving from a cluster-state file, so these tests need no cluster: they are
 * about the process itself (start-up, signals, shutdown) and what it answers.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookCerts } from '../../e2e/support/certs.js';
import { webhookCerts } from '../../e2e/support/certs.js';
import { REPO_ROOT } from '../../e2e/support/cluster.js';
import { freePort, freePorts, httpGet } from '../../e2e/support/webhook.js';

export { freePort, freePorts, httpGet, REPO_ROOT };

/** The three-node cluster of test/fixtures/states/cluster.yaml. */
export const STATE_FILE = path.join(REPO_ROOT, 'test/fixtures/states/cluster.yaml');
export const BIN = path.join(REPO_ROOT, 'bin/hostport-guard.js');

let certs: WebhookCerts | undefined;
/** Temporary directories made for this test file: certificates and logs. */
const made: string[] = [];

function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the certificates and logs this test file made; call in afterAll. */
export function removeTemporaryFiles(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  certs = undefined;
}

/** A CA and serving certificate for 127.0.0.1, made once per test file. */
export function testCerts(): WebhookCerts & { readonly ca: Buffer } {
  certs ??= webhookCerts(temporaryDir('hpg-process-'));
  return { ...certs, ca: Buffer.from(certs.caBundle, 'base64') };
}

/** How a process ended: its exit code, or the signal that ended it. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A started `serve` process. */
export interface Serve {
  readonly child: ChildProcess;
  readonly port: number;
  readonly healthPort: number;
  /** Resolves when the process has exited. */
  readonly ended: Promise<Ended>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its JSON log lines so far. */
  logEntries(): Record<string, unknown>[];
  /** SIGKILL if still running (test clean-up). */
  kill(): void;
}

/** The environment of a server under test: loopback only, no HOSTPORT_GUARD_* of the caller. */
function serveEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('HOSTPORT_GUARD_')) env[name] = value;
  return { ...env, HOSTPORT_GUARD_HOST: '127.0.0.1', HOSTPORT_GUARD_HEALTH_HOST: '127.0.0.1', ...extra };
}

/** Starts `serve --cluster-state` (without waiting for it); extra arguments are appended. */
export function spawnServe(options: { port: number; healthPort: number; args?: readonly string[]; state?: string; env?: Readonly<Record<string, string>> }): Serve {
  const built = path.join(REPO_ROOT, 'dist/cli/main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  const { certFile, keyFile } = testCerts();
  const logFile = path.join(temporaryDir('hpg-serve-log-'), 'serve.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      BIN, 'serve',
      '--cluster-state', options.state ?? STATE_FILE,
      '--tls-cert', certFile, '--tls-key', keyFile,
      '--port', String(options.port), '--health-port', String(options.healthPort),
      ...(options.args ?? []),
    ],
    { cwd: REPO_ROOT, env: serveEnv(options.env ?? {}), stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const ended = new Promise<Ended>((resolve) => child.once('exit', (code, signal) => {
    resolve({ code, signal });
  }));
  const output = (): string => readFileSync(logFile, 'utf8');
  return {
    child,
    port: options.port,
    healthPort: options.healthPort,
    ended,
    output,
    logEntries() {
      return output().split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          const parsed: unknown = JSON.parse(line);
          return typeof parsed === 'object' && parsed !== null ? [{ ...parsed }] : [];
        } catch {
          return [];
        }
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Starts `serve` on free ports and waits until /readyz answers 200. */
export async function startServe(options: { args?: readonly string[]; state?: string; env?: Readonly<Record<string, string>> } = {}): Promise<Serve> {
  const [port = 0, healthPort = 0] = await freePorts(2);
  const serve = spawnServe({ port, healthPort, ...options });
  for (let i = 0; i < 300; i++) {
    if (serve.child.exitCode !== null || serve.child.signalCode !== null) break;
    if ((await httpGet(serve.healthPort, '/readyz')).status === 200) return serve;
    await sleep(100);
  }
  serve.kill();
  throw new Error(`serve did not become ready:\n${serve.output()}`);
}

/** What one POST /validate gave: the status and Connection header of the answer, or the socket error. */
export interface Reply {
  readonly status?: number;
  readonly connection?: string;
  readonly body?: string;
  readonly error?: string;
}

/** POSTs `body` to /validate of `serve` through `agent` (keep-alive unless given otherwise). */
export function postReview(serve: Pick<Serve, 'port'>, body: string | Buffer, agent: https.Agent, headers: Readonly<Record<string, string>> = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port: serve.port, path: '/validate', method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection ?? '', body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error: NodeJS.ErrnoException) => {
          resolve({ error: error.code ?? error.message });
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ error: error.code ?? error.message });
    });
    req.end(body);
  });
}

/** A keep-alive agent that trusts the test CA. */
export function keepAliveAgent(maxSockets: number): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets, ca: testCerts().ca });
}
