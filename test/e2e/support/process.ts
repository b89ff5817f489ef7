/**
 * Runs a command the way a user's shell would and keeps exactly what it printed: the
 * tests assert on stdout, stderr and the exit code a person at a terminal would see.
 */
import { spawn } from 'node:child_process';

/** What a finished command printed, and how it ended. */
export interface RunResult {
  /** The exit code, or -1 when a signal ended the process. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run a command. */
export interface RunOptions {
  /** Working directory, so relative manifest paths show in messages as the user typed them. */
  readonly cwd?: string;
  /** Text written to standard input (for `-f -`). */
  readonly input?: string;
  /** The complete environment of the command. */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the command after this long; a hung client must not hang the suite. */
  readonly timeoutMs?: number;
}

/** Generous: kubectl's own request timeout is what should fire first. */
const DEFAULT_TIMEOUT_MS = 90_000;

/** Runs `command args...` to completion; never rejects because of the exit code. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const exitCode = code ?? -1;
      if (signal === 'SIGKILL' && code === null) {
        reject(new Error(`${command} ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ exitCode, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The command line and everything it printed, for assertion messages. */
export function describeRun(command: string, result: RunResult): string {
  return `$ ${command}\nexit code ${result.exitCode}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
