import { visible } from '../admission/text.js';
import { HPG_ERR_INPUT_LIMIT, InputTooLargeError } from '../yaml/bounded.js';
import type { ConfigIssue } from './errors.js';
import type { FlagSource } from './options.js';
import { HPG_ERR_CONFIG_FILE_UNREADABLE, issueText } from './errors.js';
import type { ConfigResult } from './resolve.js';
import { resolveConfig } from './resolve.js';
import { readTextFile } from './files.js';
import { configFileOf, MAX_CONFIG_BYTES } from './sources.js';

/** Where loadConfig reads from; tests pass strings and fakes. */
export interface ConfigLoadOptions {
  /** Option values as commander found them, on the command line or in their variables. */
  readonly flags: Readonly<Record<string, unknown>>;
  /** Where commander found each value (options.ts, commandLine); the command line unless said. */
  readonly flagSources?: Readonly<Record<string, FlagSource>>;
  /** The variables commander does not read (settings without a flag, unknown names). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file, at most `maxBytes` (InputTooLargeError past it). */
  readonly readFile?: (path: string, maxBytes: number) => string;
}

/** Why a read failed, without the stack: `ENOENT: no such file or directory, open 'x'`. */
function readErrorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads the configuration file (from `--config` or HOSTPORT_GUARD_CONFIG) and the
 * environment, then merges and validates everything once. A file that cannot be read is
 * one more listed problem, not an early exit.
 */
export function loadConfig(options: ConfigLoadOptions): ConfigResult {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? readTextFile;
  const flagSources = options.flagSources ?? {};
  const command = { flags: options.flags, flagSources, env };
  const ref = configFileOf(options.flags, flagSources);
  if (ref === undefined) return resolveConfig(command);
  let text: string;
  try {
    text = readFile(ref.path, MAX_CONFIG_BYTES);
  } catch (error) {
    const tooLarge = error instanceof InputTooLargeError;
    const issue: ConfigIssue = {
      code: tooLarge ? HPG_ERR_INPUT_LIMIT : HPG_ERR_CONFIG_FILE_UNREADABLE,
      setting: ref.path,
      problem: tooLarge ? `${error.message}, the most a configuration file may hold` : `cannot be read: ${readErrorText(error)}`,
      origin: ref.origin,
    };
    return resolveConfig({ ...command, file: { ref, issue } });
  }
  return resolveConfig({ ...command, file: { ref, text } });
}

/** The lines to print for a refused configuration, one per problem, with what they quote shown visibly. */
export function configErrorText(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${visible(issueText(i))}\n`).join('');
}
