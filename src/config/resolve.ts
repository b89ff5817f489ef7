import type { ErrorObject } from 'ajv';
import { pointerKeys, problemOf, readablePath } from '../admission/schema-errors.js';
import type { ConfigIssue } from './errors.js';
import { HPG_ERR_CONFIG_INVALID_VALUE, HPG_ERR_CONFIG_MISSING, HPG_ERR_CONFIG_UNKNOWN_KEY } from './errors.js';
import type { Merged } from './layers.js';
import { isValues, mergeLayers, pointerSegment } from './layers.js';
import type { FlagSource } from './options.js';
import type { Config } from './schema.js';
import { validateConfig } from './schema.js';
import { isIPAddress, parseReservedPort } from './reserved-ports.js';
import { howToSet } from './settings.js';
import type { ConfigFileRef } from './sources.js';
import { defaultsLayer, envLayer, fileLayer, flagsLayer } from './sources.js';

/** The raw inputs of a configuration; reading them is the caller's business. */
export interface ConfigInputs {
  /** Option values as commander found them (camelCase keys, strings or string lists). */
  readonly flags: Readonly<Record<string, unknown>>;
  /** Where commander found each value; the command line unless said. */
  readonly flagSources?: Readonly<Record<string, FlagSource>>;
  /** The variables commander does not read: settings without a flag, and unknown names. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The configuration file's text, or the problem that kept it from being read. */
  readonly file?: { readonly ref: ConfigFileRef; readonly text: string } | { readonly ref: ConfigFileRef; readonly issue: ConfigIssue };
}

/** A valid configuration, or every problem found in it. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** `/listen/port` -> `listen.port`, `/exemptNamespaces/1` -> `exemptNamespaces[1]`. */
export function settingName(pointer: string): string {
  return readablePath(pointer);
}

/** A service-link value such as `tcp://10.96.0.10:443` in HOSTPORT_GUARD_PORT. */
const SERVICE_LINK_VALUE = /^(tcp|udp|sctp):\/\//;

/** A reserved port from a flag or variable that did not parse stays text; say what is wrong with it. */
const RESERVED_PORT_ENTRY = /^\/reservedPorts\/[0-9]+$/;

/** The shared wording, naming the offending value; a service-link value gets a hint. */
function problemWithValue(error: ErrorObject, value: unknown): string {
  if (error.keyword === 'type' && typeof value === 'string' && RESERVED_PORT_ENTRY.test(error.instancePath)) {
    const parsed = parseReservedPort(value);
    if (!parsed.ok) return parsed.problem;
  }
  const problem = problemOf(error, { value });
  const link = error.keyword === 'type' && typeof value === 'string' && SERVICE_LINK_VALUE.test(value)
    ? ' (this looks like a Kubernetes service link variable: set enableServiceLinks: false on the pod)'
    : '';
  return problem + link;
}

function valueAt(values: unknown, pointer: string): unknown {
  let at = values;
  for (const key of pointerKeys(pointer)) {
    at = Array.isArray(at) ? at[Number(key)] : isValues(at) && Object.hasOwn(at, key) ? at[key] : undefined;
  }
  return at;
}

/** One readable issue per ajv error, naming the source of the offending value. */
function schemaIssue(error: ErrorObject, merged: Merged): ConfigIssue {
  const p = error.params;
  if (error.keyword === 'additionalProperties') {
    const pointer = `${error.instancePath}/${pointerSegment(String(p['additionalProperty']))}`;
    return { code: HPG_ERR_CONFIG_UNKNOWN_KEY, setting: settingName(pointer), problem: 'is not a known setting', origin: merged.originOf(pointer) ?? 'unknown' };
  }
  if (error.keyword === 'required') {
    const pointer = `${error.instancePath}/${pointerSegment(String(p['missingProperty']))}`;
    return { code: HPG_ERR_CONFIG_MISSING, setting: settingName(pointer), problem: 'is required', origin: howToSet(pointerKeys(pointer)) };
  }
  return {
    code: HPG_ERR_CONFIG_INVALID_VALUE,
    setting: settingName(error.instancePath),
    problem: problemWithValue(error, valueAt(merged.values, error.instancePath)),
    origin: merged.originOf(error.instancePath) ?? 'unknown',
  };
}

/** Checks that need two settings at once: the schema sees one value at a time. */
function crossChecks(config: Config, merged: Merged): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.reservedPorts.forEach((p, i) => {
    if (p.hostIP === undefined || isIPAddress(p.hostIP)) return;
    issues.push({
      code: HPG_ERR_CONFIG_INVALID_VALUE,
      setting: `reservedPorts[${i}].hostIP`,
      problem: `must be an IP address, not ${JSON.stringify(p.hostIP)}`,
      origin: merged.originOf(`/reservedPorts/${i}/hostIP`) ?? 'unknown',
    });
  });
  if (config.listen.port !== 0 && config.listen.port === config.health.port) {
    issues.push({
      code: HPG_ERR_CONFIG_INVALID_VALUE,
      setting: 'health.port',
      problem: `must differ from listen.port (${config.listen.port})`,
      origin: merged.originOf('/health/port') ?? 'unknown',
    });
  }
  const events = config.conflictEvents;
  if (events.enabled && events.leaseNamespace === undefined && config.clusterState === undefined) {
    issues.push({
      code: HPG_ERR_CONFIG_MISSING,
      setting: 'conflictEvents.leaseNamespace',
      problem: 'is required when conflictEvents.enabled is true (the Lease that elects the replica writing Events lives there)',
      origin: howToSet(['conflictEvents', 'leaseNamespace']),
    });
  }
  if (config.reservations.namespace !== undefined && config.clusterState !== undefined) {
    issues.push({
      code: HPG_ERR_CONFIG_INVALID_VALUE,
      setting: 'reservations.namespace',
      problem: 'needs a live cluster to hold Leases in, and clusterState serves from a file: leave one of them out',
      origin: merged.originOf('/reservations/namespace') ?? 'unknown',
    });
  }
  return issues;
}

/**
 * Merges defaults < file < environment < flags and validates the result once against the
 * schema, collecting every problem (allErrors) with the source of each offending value.
 * Pure: the caller reads the file and the environment.
 */
export function resolveConfig(inputs: ConfigInputs): ConfigResult {
  const file = inputs.file;
  const fromFile = file === undefined ? undefined : 'text' in file ? fileLayer(file.ref, file.text) : undefined;
  const fromEnv = envLayer(inputs.env);
  const layers = [defaultsLayer(), ...(fromFile === undefined ? [] : [fromFile.layer]), fromEnv.layer, flagsLayer(inputs.flags, inputs.flagSources)];
  const merged = mergeLayers(layers);
  const issues: ConfigIssue[] = [
    ...(file !== undefined && 'issue' in file ? [file.issue] : []),
    ...(fromFile?.issues ?? []),
    ...fromEnv.issues,
  ];
  if (!validateConfig(merged.values)) {
    // A value of the wrong type also fails its enum or range: its type is the one to fix.
    const errors = validateConfig.errors ?? [];
    const mistyped = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    const relevant = errors.filter((e) => e.keyword === 'type' || !mistyped.has(e.instancePath));
    issues.push(...relevant.map((e) => schemaIssue(e, merged)));
    return { ok: false, issues };
  }
  issues.push(...crossChecks(merged.values, merged));
  return issues.length === 0 ? { ok: true, config: merged.values } : { ok: false, issues };
}
