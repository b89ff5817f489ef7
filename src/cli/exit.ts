/** Exit codes of every command, so scripts can tell "denied" from "could not check". */

/** Nothing would be denied (or the command did what was asked). */
export const EXIT_OK = 0;
/** `check`: at least one object would be denied. */
export const EXIT_DENIED = 1;
/** `scan`: a conflict exists, or a pod cannot run because of a port. */
export const EXIT_FOUND = 1;
/** `serve`: the server failed (it could not start, or stopped on an error). */
export const EXIT_FAILURE = 1;
/** Bad usage or input: unknown option, unreadable file, invalid YAML or object, invalid configuration. */
export const EXIT_USAGE = 2;

/** One of the exit codes above (EXIT_FOUND and EXIT_FAILURE share EXIT_DENIED's value). */
export type ExitCode = typeof EXIT_OK | typeof EXIT_DENIED | typeof EXIT_USAGE;

/** What a command produced: tests assert on it, main writes it out and sets the exit code. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
}

/** A failed command: each message on its own `error: ` line, as commander prints its own. */
export function usageError(messages: readonly string[]): CommandResult {
  return { exitCode: EXIT_USAGE, stdout: '', stderr: messages.map((m) => `error: ${m}\n`).join('') };
}

/** The message of a caught error, without its stack. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
