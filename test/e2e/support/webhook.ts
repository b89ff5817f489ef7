/**
 * Starts and stops the real webhook (`node bin/hostport-guard.js serve`, the compiled
 * dist/ from `npm run build`) on 127.0.0.1, logging to a file the tests can read.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Mode } from '../../../src/admission/decide.js';
import type { WebhookCerts } from './certs.js';
import { clusterEnv, REPO_ROOT } from './cluster.js';
import type { Sample } from './metrics.js';
import { parseMetrics } from './metrics.js';
import type { WaitOptions } from '../../support/wait.js';
import { done, eventually, notYet } from '../../support/wait.js';

/** How to run the webhook. */
export interface WebhookOptions {
  readonly mode: Mode;
  /** Given as repeated --exempt-namespace flags. */
  readonly exemptNamespaces: readonly string[];
  readonly port: number;
  readonly healthPort: number;
  readonly certs: WebhookCerts;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  /** HOSTPORT_GUARD_* settings the flags do not cover (e.g. conflict Events). */
  readonly env?: Readonly<Record<string, string>>;
  /** Hold reservations as Leases in this namespace (`--reservations-namespace`), so replicas share them. */
  readonly reservationsNamespace?: string;
  /** `reservations.timeoutMilliseconds`, through its variable. */
  readonly reservationTimeoutMs?: number;
  /** `reservationTtlSeconds`, through its variable. */
  readonly reservationTtlSeconds?: number;
}

/** A webhook process that answered /readyz with 200. */
export interface RunningWebhook {
  readonly options: WebhookOptions;
  readonly pid: number;
  /** What the chart's `webhook.url` is set to. */
  readonly url: string;
  /** SIGTERM, then waits for the process to exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill ends it, and waits until it is gone. */
  kill(): Promise<void>;
  /** The samples of GET /metrics. */
  metrics(): Promise<Sample[]>;
  /** The status of GET /readyz, or 0 when nothing answers. */
  readyz(): Promise<number>;
  /** The JSON log lines this process wrote so far. */
  logEntries(): Record<string, unknown>[];
}

const BIN = path.join(REPO_ROOT, 'bin/hostport-guard.js');
const BUILT = path.join(REPO_ROOT, 'dist/cli/main.js');

export { freePort, freePorts } from '../../support/ports.js';

/** GET http://127.0.0.1:port/path: status and body, or status 0 when the connection fails. */
export function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 5_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', () => {
        resolve({ status: 0, body: '' });
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve({ status: 0, body: '' });
    });
  });
}

/**
 * The webhook's environment: the caller's, without HOSTPORT_GUARD_* settings that would
 * change what the stories expect, and listening on loopback only.
 */
function webhookEnv(options: WebhookOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('HOSTPORT_GUARD_')) env[name] = value;
  }
  const timeout = options.reservationTimeoutMs === undefined ? {} : { HOSTPORT_GUARD_RESERVATIONS_TIMEOUT_MILLISECONDS: String(options.reservationTimeoutMs) };
  const ttl = options.reservationTtlSeconds === undefined ? {} : { HOSTPORT_GUARD_RESERVATION_TTL_SECONDS: String(options.reservationTtlSeconds) };
  return { ...env, ...options.env, HOSTPORT_GUARD_HOST: '127.0.0.1', HOSTPORT_GUARD_HEALTH_HOST: '127.0.0.1', ...timeout, ...ttl };
}

/** The command line after `node bin/hostport-guard.js`. */
export function serveArgs(options: WebhookOptions): string[] {
  return [
    'serve',
    '--kubeconfig', clusterEnv().kubeconfig,
    '--tls-cert', options.certs.certFile,
    '--tls-key', options.certs.keyFile,
    '--port', String(options.port),
    '--health-port', String(options.healthPort),
    '--mode', options.mode,
    ...options.exemptNamespaces.flatMap((ns) => ['--exempt-namespace', ns]),
    ...(options.reservationsNamespace === undefined ? [] : ['--reservations-namespace', options.reservationsNamespace]),
    '--log-level', 'info',
  ];
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function tail(file: string, from: number): string {
  return readFileSync(file).subarray(from).toString('utf8').split('\n').slice(-30).join('\n');
}

/** Starts the webhook and waits until /readyz answers 200 (its index has synced). */
export async function startWebhook(options: WebhookOptions, wait: WaitOptions = { timeoutMs: 60_000 }): Promise<RunningWebhook> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  const logStart = existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const fd = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [BIN, ...serveArgs(options)], {
    cwd: REPO_ROOT,
    env: webhookEnv(options),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    resolve();
  }));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${BIN}`);

  const readyz = async (): Promise<number> => (await httpGet(options.healthPort, '/readyz')).status;
  const ready = await eventually(
    `the webhook (pid ${pid}) to answer /readyz with 200`,
    async () => {
      if (exited(child)) return done(false);
      const status = await readyz();
      return status === 200 ? done(true) : notYet(`/readyz answered ${status || 'nothing'}`);
    },
    wait,
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nwebhook log:\n${tail(options.logFile, logStart)}`);
  });
  if (!ready) {
    throw new Error(`the webhook exited with ${child.exitCode ?? child.signalCode ?? '?'} before it was ready:\n${tail(options.logFile, logStart)}`);
  }

  return {
    options,
    pid,
    url: `https://127.0.0.1:${options.port}/validate`,
    async stop() {
      if (exited(child)) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), sleep(20_000, false, { ref: false })]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    },
    async kill() {
      if (exited(child)) return;
      child.kill('SIGKILL');
      await exit;
    },
    async metrics() {
      const res = await httpGet(options.healthPort, '/metrics');
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
      return parseMetrics(res.body);
    },
    readyz,
    logEntries() {
      const text = readFileSync(options.logFile).subarray(logStart).toString('utf8');
      const entries: Record<string, unknown>[] = [];
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) entries.push({ ...parsed });
        } catch {
          // A line cut by a crash is not a log entry.
        }
      }
      return entries;
    },
  };
}
