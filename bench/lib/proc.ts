/**
 * Child processes of the benchmarks: servers pinned to one core and load generators to
 * the other (taskset, when the machine has two cores or more), their CPU time from
 * /proc, free ports, readiness polling, and stopping them by the pid we started.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The core servers run on, and the core load generators run on; undefined when not pinning. */
export const SERVER_CPU = os.availableParallelism() >= 2 && existsSync('/usr/bin/taskset') ? '0' : undefined;
export const CLIENT_CPU = SERVER_CPU === undefined ? undefined : '1';

/** `command args` run on `cpu` (through taskset, which execs: the pid stays the command's). */
export function pinned(cpu: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['/usr/bin/taskset', ['-c', cpu, command, ...args]];
}

/** A started server. */
export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts `command` with stdout and stderr appended to `logFile`. */
export function startServer(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string, cpu: string | undefined): Server {
  const fd = openSync(logFile, 'a');
  const [cmd, argv] = pinned(cpu, command, args);
  const child = spawn(cmd, argv, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => {
      resolve();
    });
  });
  return {
    name,
    pid,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(10_000, false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the command; USER_HZ is 100 on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Polls `check` every 200 ms until it is true; fails after `timeoutMs` or when `server` exits. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, server?: Server): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server !== undefined && (server.child.exitCode !== null || server.child.signalCode !== null)) {
      throw new Error(`${server.name} exited (${server.child.exitCode ?? server.child.signalCode ?? '?'}) before ${what}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** A request over HTTPS (or HTTP with `ca` undefined) to 127.0.0.1; resolves status and body text. */
export function call(port: number, method: string, path: string, body: string | undefined, ca: Buffer | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, timeout: 60_000 };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    };
    const req = ca === undefined ? http.request(options, onResponse) : https.request({ ...options, ca, agent: false }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs a command to completion and returns its stdout; rejects with its stderr. */
export async function output(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(command, [...args], { maxBuffer: 64 << 20, ...(env === undefined ? {} : { env }) });
  return stdout;
}
