/**
 * Restarts only the kube-apiserver of the local cluster, the way a control-plane upgrade
 * or crash would: the process recorded in hack/cluster-up.sh's pid file is stopped and
 * started again with the same command line and environment, its output appended to the
 * same log, and the pid file updated so hack/cluster-down.sh still finds it. etcd and
 * everything stored in it stay as they are.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { apiServerReady, clusterEnv } from './cluster.js';
import { done, eventually, notYet } from '../../support/wait.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** NUL-separated /proc fields (cmdline, environ) as a list. */
function procList(pid: number, file: string): string[] {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter((s) => s !== '');
}

/** Stops the API server, waits until it is gone, starts it again and waits for /readyz. */
export async function restartApiServer(): Promise<void> {
  const { clusterDir } = clusterEnv();
  const pidFile = path.join(clusterDir, 'pids', 'kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const exe = readlinkSync(`/proc/${pid}/exe`);
  if (!path.basename(exe).startsWith('kube-apiserver')) throw new Error(`pid ${pid} from ${pidFile} is ${exe}, not the kube-apiserver`);
  const [command, ...args] = procList(pid, 'cmdline');
  if (command === undefined) throw new Error(`cannot read the command line of pid ${pid}`);
  const env: NodeJS.ProcessEnv = {};
  for (const entry of procList(pid, 'environ')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }

  process.kill(pid, 'SIGTERM');
  await eventually(`kube-apiserver (pid ${pid}) to exit`, () => Promise.resolve(alive(pid) ? notYet('still running') : done(undefined)), {
    timeoutMs: 60_000,
  });

  const logFile = path.join(clusterDir, 'logs', 'kube-apiserver.log');
  appendFileSync(logFile, `\n=== ${new Date().toISOString()} restarting kube-apiserver (e2e: API server restart)\n`);
  const fd = openSync(logFile, 'a');
  // detached: its own session, like cluster-up.sh's setsid, so it outlives the test run.
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error('could not start kube-apiserver again');
  writeFileSync(pidFile, `${child.pid}\n`);
  await eventually('kube-apiserver to be ready again', async () => ((await apiServerReady()) ? done(undefined) : notYet('not ready')), {
    timeoutMs: 120_000,
    intervalMs: 1_000,
  });
}
