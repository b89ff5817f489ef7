import type { HPG_ERR_INPUT_LIMIT } from '../yaml/bounded.js';

/**
 * Why a configuration is refused. Every problem is collected and reported at once, each
 * naming the setting and where its value came from, so one restart fixes them all.
 */

/** The configuration file could not be read. */
export const HPG_ERR_CONFIG_FILE_UNREADABLE = 'HPG_ERR_CONFIG_FILE_UNREADABLE';
/** The configuration file is not valid YAML or JSON, or does not hold a mapping. */
export const HPG_ERR_CONFIG_FILE_SYNTAX = 'HPG_ERR_CONFIG_FILE_SYNTAX';
/** A key the schema does not know: a typo would otherwise be silently ignored. */
export const HPG_ERR_CONFIG_UNKNOWN_KEY = 'HPG_ERR_CONFIG_UNKNOWN_KEY';
/** A `HOSTPORT_GUARD_*` variable that names no setting. */
export const HPG_ERR_CONFIG_UNKNOWN_ENV = 'HPG_ERR_CONFIG_UNKNOWN_ENV';
/** A setting that must be given is missing. */
export const HPG_ERR_CONFIG_MISSING = 'HPG_ERR_CONFIG_MISSING';
/** A setting has a value of the wrong type or out of range. */
export const HPG_ERR_CONFIG_INVALID_VALUE = 'HPG_ERR_CONFIG_INVALID_VALUE';

/** Every configuration error code (HPG_ERR_INPUT_LIMIT: the file is too large or nested too deep). */
export type ConfigErrorCode =
  | typeof HPG_ERR_INPUT_LIMIT
  | typeof HPG_ERR_CONFIG_FILE_UNREADABLE
  | typeof HPG_ERR_CONFIG_FILE_SYNTAX
  | typeof HPG_ERR_CONFIG_UNKNOWN_KEY
  | typeof HPG_ERR_CONFIG_UNKNOWN_ENV
  | typeof HPG_ERR_CONFIG_MISSING
  | typeof HPG_ERR_CONFIG_INVALID_VALUE;

/** One problem with the configuration. */
export interface ConfigIssue {
  readonly code: ConfigErrorCode;
  /** The setting as written in the file (`listen.port`), or the variable or file it concerns. */
  readonly setting: string;
  /** What is wrong, e.g. `must be one of enforce, warn, audit`. */
  readonly problem: string;
  /** Where the value came from (`--mode`, `HOSTPORT_GUARD_MODE`, `file /etc/hpg.yaml`), or how to give it. */
  readonly origin: string;
}

/** `config: mode: must be one of enforce, warn, audit (from --mode)`. */
export function issueText(issue: ConfigIssue): string {
  return `config: ${issue.setting}: ${issue.problem} (${issue.origin})`;
}
