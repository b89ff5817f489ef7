/** Exit codes of every command, so scripts can tell "denied" from "could not check". */
import { visible } from '../admission/text.js';

/** Nothing would be denied (or the command did what was asked). */
export const EXIT_OK = 0;
/** `check`: at least one object would be denied. */
export const EXIT_DENIED = 1;
/** `scan`: a conflict exists, or a pod cannot run because of a port. */
export const EXIT_FOUND = 1;
/** `serve`: the server failed (it could not start, or stopped on an error). */
export const EXIT_FAILURE = 1;
/**
 * Bad usage or input (unknown option, unreadable file, invalid YAML or object, input past
 * a limit, invalid configuration), or an unexpected error.
 */
export const EXIT_USAGE = 2;

/** One of the exit codes above (EXIT_FOUND and EXIT_FAILURE share EXIT_DENIED's value). */
export type ExitCode = typeof EXIT_OK | typeof EXIT_DENIED | typeof EXIT_USAGE;

/** What a command produced: tests assert on it, main writes it out and sets the exit code. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
  /**
   * End the process as soon as the output is written (`serve`, once stopped or failed):
   * a timer or socket a library left behind must not keep a stopped webhook alive.
   */
  readonly exitAtOnce?: boolean;
}

/**
 * A failed command: each message on its own `error: ` line, as commander prints its own,
 * with whatever it quotes from outside (file names, object names, parser messages) shown
 * visibly, never interpreted by the terminal.
 */
export function usageError(messages: readonly string[]): CommandResult {
  return { exitCode: EXIT_USAGE, stdout: '', stderr: messages.map((m) => `error: ${visible(m)}\n`).join('') };
}

/** Bad input found by a command that only reports it by throwing (`serve --cluster-state`): exit 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** The string property `key` of a caught value, if it has one (errors of another realm are not `instanceof Error`). */
function field(error: unknown, key: 'name' | 'message' | 'stack'): string | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value: unknown = Reflect.get(error, key);
  return typeof value === 'string' ? value : undefined;
}

/** The message of a caught error, without its stack. */
export function errorText(error: unknown): string {
  return field(error, 'message') ?? String(error);
}

/** The name of a caught error's class (`TypeError`), or `error`. */
export function errorName(error: unknown): string {
  return field(error, 'name') ?? 'error';
}

/** The stack of a caught error, if it has one. */
export function errorStack(error: unknown): string | undefined {
  return field(error, 'stack');
}
