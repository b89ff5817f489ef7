import { LineCounter } from 'yaml';
import { DEFAULT_YAML_LIMITS, HPG_ERR_INPUT_LIMIT, parseYamlWithin, sizeText } from '../yaml/bounded.js';
import type { ConfigIssue } from './errors.js';
import { HPG_ERR_CONFIG_FILE_SYNTAX, HPG_ERR_CONFIG_UNKNOWN_ENV } from './errors.js';
import type { Layer } from './layers.js';
import { isValues, mergeLayers, pointerOf, valuesAt } from './layers.js';
import type { FlagSource } from './options.js';
import type { Setting } from './settings.js';
import { CONFIG_FILE_ENV, DEFAULTS, ENV_PREFIX, isRepeatable, listEntries, repeatedValue, SETTINGS, settingValue } from './settings.js';

/** A layer, or the problems that kept a source from becoming one. */
export type LayerResult = { readonly layer: Layer; readonly issues: readonly ConfigIssue[] };

/** The configuration file's path and where that path came from. */
export interface ConfigFileRef {
  readonly path: string;
  /** `from --config` or `from HOSTPORT_GUARD_CONFIG`. */
  readonly origin: string;
}

/** The built-in defaults. */
export function defaultsLayer(): Layer {
  return { values: DEFAULTS, originOf: () => 'default' };
}

/** The configuration file to read: `--config` or HOSTPORT_GUARD_CONFIG (commander chose), else none. */
export function configFileOf(flags: Readonly<Record<string, unknown>>, flagSources: Readonly<Record<string, FlagSource>> = {}): ConfigFileRef | undefined {
  const path = flags['config'];
  if (typeof path !== 'string' || path === '') return undefined;
  return { path, origin: flagSources['config'] === 'env' ? `from ${CONFIG_FILE_ENV}` : 'from --config' };
}

/** A configuration file, at most: a complete one is well under 1 KiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The settings in a YAML or JSON file (JSON is YAML); an empty file sets nothing. A file
 * past MAX_CONFIG_BYTES, nested too deep or holding more than one document is refused.
 */
export function fileLayer(file: ConfigFileRef, text: string): LayerResult {
  const origin = `from file ${file.path}`;
  const empty: Layer = { values: {}, originOf: () => origin };
  const refuse = (code: ConfigIssue['code'], problem: string): LayerResult => ({ layer: empty, issues: [{ code, setting: file.path, problem, origin: file.origin }] });
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) return refuse(HPG_ERR_INPUT_LIMIT, `more than ${sizeText(MAX_CONFIG_BYTES)}, the most a configuration file may hold`);
  const lines = new LineCounter();
  const parsed = parseYamlWithin(text, DEFAULT_YAML_LIMITS, lines);
  if (!parsed.ok) return refuse(HPG_ERR_INPUT_LIMIT, parsed.problem);
  if (parsed.documents.length > 1) return refuse(HPG_ERR_CONFIG_FILE_SYNTAX, `holds ${parsed.documents.length} documents; a configuration file holds one mapping`);
  const [doc] = parsed.documents;
  if (doc === undefined) return { layer: empty, issues: [] };
  const syntax = doc.errors.map((e): ConfigIssue => {
    const at = lines.linePos(e.pos[0]);
    const problem = `line ${at.line}, column ${at.col}: ${e.message}`;
    return { code: HPG_ERR_CONFIG_FILE_SYNTAX, setting: file.path, problem, origin: file.origin };
  });
  if (syntax.length > 0) return { layer: empty, issues: syntax };
  let values: unknown;
  try {
    values = doc.toJS();
  } catch (error) {
    // toJS refuses alias bombs (more than maxAliasCount expansions).
    const problem = error instanceof Error ? error.message : String(error);
    return { layer: empty, issues: [{ code: HPG_ERR_CONFIG_FILE_SYNTAX, setting: file.path, problem, origin: file.origin }] };
  }
  if (values === null || values === undefined) return { layer: empty, issues: [] };
  if (!isValues(values)) {
    const problem = `must hold a mapping of settings, not ${Array.isArray(values) ? 'a list' : `a ${typeof values}`}`;
    return { layer: empty, issues: [{ code: HPG_ERR_CONFIG_FILE_SYNTAX, setting: file.path, problem, origin: file.origin }] };
  }
  return { layer: { values, originOf: () => origin }, issues: [] };
}

/** A layer of single settings, each named by its own variable or flag. */
function settingsLayer(entries: readonly { readonly row: Setting; readonly value: unknown; readonly origin: string }[]): Layer {
  const origins = new Map(entries.map((e) => [pointerOf(e.row.path), e.origin]));
  const values = mergeLayers(entries.map((e) => ({ values: valuesAt(e.row.path, e.value), originOf: () => e.origin }))).values;
  return {
    values,
    originOf(pointer) {
      for (const [p, origin] of origins) if (pointer === p || pointer.startsWith(`${p}/`)) return origin;
      return 'unknown';
    },
  };
}

/**
 * Variables Kubernetes injects for every Service in the namespace (`enableServiceLinks`):
 * a Service named `hostport-guard` yields HOSTPORT_GUARD_SERVICE_HOST,
 * HOSTPORT_GUARD_PORT_443_TCP and the like. They are not typos, so they are not errors.
 */
const SERVICE_LINK = /_SERVICE_HOST$|_SERVICE_PORT(_[A-Z0-9_]+)?$|_PORT(_[0-9]+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)?$/;

/**
 * The HOSTPORT_GUARD_* variables of settings without a flag (commander reads the others,
 * options.ts); an unknown one is an error so a typo is not ignored.
 */
export function envLayer(env: Readonly<Record<string, string | undefined>>): LayerResult {
  const entries = [];
  const issues: ConfigIssue[] = [];
  const byName = new Map(SETTINGS.map((row) => [row.env, row]));
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || raw === undefined) continue;
    const row = byName.get(name);
    if (row !== undefined) {
      if (row.flag === undefined) entries.push({ row, value: settingValue(row.type, raw), origin: `from ${name}` });
    } else if (!SERVICE_LINK.test(name)) {
      issues.push({ code: HPG_ERR_CONFIG_UNKNOWN_ENV, setting: name, problem: 'is not a known setting', origin: 'from the environment' });
    }
  }
  return { layer: settingsLayer(entries), issues };
}

/**
 * The values commander found for the options, each named by its flag or its variable. A
 * list from a flag is one entry per repetition; from its variable, commas separate the
 * entries.
 */
export function flagsLayer(flags: Readonly<Record<string, unknown>>, flagSources: Readonly<Record<string, FlagSource>> = {}): Layer {
  const entries = [];
  for (const row of SETTINGS) {
    if (row.flag === undefined) continue;
    const raw = flags[row.flag.key];
    const fromEnv = flagSources[row.flag.key] === 'env';
    const origin = `from ${fromEnv ? row.env : row.flag.name}`;
    const texts = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : undefined;
    if (texts === undefined) continue;
    const value = !isRepeatable(row.type)
      ? settingValue(row.type, texts.join(''))
      : repeatedValue(row.type, fromEnv ? texts.flatMap(listEntries) : texts);
    entries.push({ row, value, origin });
  }
  return settingsLayer(entries);
}
