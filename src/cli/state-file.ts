import type { NamespaceModes } from '../admission/policy.js';
import type { PodIndex, PodPresence } from '../cluster/pod-index.js';
import type { ClusterScan } from '../cluster/scan.js';
import { scanOfEach } from '../cluster/scan.js';
import type { SnapshotProblem } from '../cluster/snapshot.js';
import { indexFromEach } from '../cluster/snapshot.js';
import type { ManifestError, Origin, RawObject } from '../manifests/documents.js';
import type { ListText } from '../manifests/json-list.js';
import { originText, stateObjects } from '../manifests/documents.js';
import type { PortView } from '../engine/view.js';
import { InputTooLargeError } from '../yaml/bounded.js';
import { errorText } from './exit.js';

/** What objects are checked against: the pods holding ports, nodes, and namespace labels. */
export interface ClusterState {
  readonly view: PortView & PodPresence;
  readonly namespaces: NamespaceModes;
}

/** A cluster state, or the problems that kept it from being read. */
export type StateResult = { readonly ok: true; readonly state: ClusterState } | ReadFailure;

/**
 * A cluster-state file, at most. The 5,000-node state of the benchmarks (18,000 pods
 * holding host ports) is 14 MB and takes the YAML parser about 13 s and 0.9 GB; twice
 * that is the most worth waiting for. Larger clusters are read live instead.
 */
export const MAX_STATE_BYTES = 32 * 1024 * 1024;

/** Why a state file could not be read: its name, and the reason or the limit. */
export function readStateError(file: string, error: unknown): string {
  if (error instanceof InputTooLargeError) {
    return `${file}: ${error.message}, the most hostport-guard reads for a cluster state (read a larger cluster live instead)`;
  }
  return `cannot read ${file}: ${errorText(error)}`;
}

/** Why a cluster state could not be read, one line a problem. */
export interface ReadFailure {
  readonly ok: false;
  readonly errors: readonly string[];
}

/**
 * Where a command's view of the cluster comes from: the `--state` file when one is given,
 * else the live cluster. `check` and `scan` read different things from either, so the
 * reading of each is passed in.
 */
export interface StateSource<Read extends { readonly ok: true }> {
  /** The `--state` file; undefined reads the live cluster. */
  readonly file: string | undefined;
  /** The UTF-8 text of a file, at most `maxBytes` (InputTooLargeError past it); throws when it cannot be read. */
  readonly readFile: (path: string, maxBytes: number) => string;
  /** What the file's text holds, or every problem in it. */
  readonly fromText: (text: string, file: string) => Read | ReadFailure;
  /** Reads the live cluster; undefined where no cluster access is wired. */
  readonly live: (() => Promise<Read>) | undefined;
  /** The error when there is no file and no live access: it names the way out. */
  readonly liveUnavailable: string;
}

/**
 * Reads the state file (at most MAX_STATE_BYTES) or the live cluster. A file that cannot
 * be read, and a cluster that cannot be reached, are problems to report, not exceptions.
 */
export async function readStateOrLive<Read extends { readonly ok: true }>(source: StateSource<Read>): Promise<Read | ReadFailure> {
  if (source.file !== undefined) {
    let text: string;
    try {
      text = source.readFile(source.file, MAX_STATE_BYTES);
    } catch (error) {
      return { ok: false, errors: [readStateError(source.file, error)] };
    }
    return source.fromText(text, source.file);
  }
  if (source.live === undefined) return { ok: false, errors: [source.liveUnavailable] };
  try {
    return await source.live();
  } catch (error) {
    return { ok: false, errors: [`cannot read the cluster: ${errorText(error)}`] };
  }
}

/** `[4].spec` from the snapshot, for objects passed as one flat array: item 4 and the rest. */
const FLAT_ITEM = /^\[([0-9]+)\](.*)$/;

/** A snapshot location (`[4]`) as the user's file location (`state.yaml: document 1, item 5`). */
function located(at: string, origins: readonly Origin[]): string {
  const match = FLAT_ITEM.exec(at);
  const origin = match === null ? undefined : origins[Number(match[1])];
  if (match === null || origin === undefined) return at;
  const rest = match[2] ?? '';
  return `${originText(origin)}${rest === '' ? '' : ` ${rest}`}`;
}

/**
 * The cluster state in a file written by `kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml`
 * (or -o json, or several documents): every problem is reported with its document and item.
 */
export function stateFromText(text: string, file: string): StateResult {
  const result = indexFromText(text, file);
  return result.ok ? { ok: true, state: { view: result.index, namespaces: result.index } } : result;
}

function problemText(p: SnapshotProblem, origins: readonly Origin[]): string {
  return `${located(p.at, origins)}: ${p.kind ?? 'object'} ${p.name}: ${p.errors.join('; ')}`;
}

/**
 * What `scan --state` reads from a file written by `kubectl get pods,nodes -A -o yaml`:
 * pods with the status details that say why they cannot run. Problems are reported as
 * for stateFromText.
 */
export function scanFromText(text: string, file: string): { readonly ok: true; readonly scan: ClusterScan } | ReadFailure {
  const documents = stateObjects(text, file);
  if (documents.errors.length > 0) return { ok: false, errors: documents.errors.map(errorLine) };
  const origins: Origin[] = [];
  const result = scanOfEach(valuesOf(documents.objects, origins));
  if (result.ok) return result;
  return { ok: false, errors: result.error.problems.map((p) => problemText(p, origins)) };
}

function errorLine(e: ManifestError): string {
  return `${originText(e.origin)}: ${e.message}`;
}

/** The objects' values, one at a time, noting each one's origin in `origins` as it passes. */
function* valuesOf(objects: Iterable<RawObject>, origins: Origin[]): Generator {
  for (const o of objects) {
    origins.push(o.origin);
    yield o.value;
  }
}

/** The index behind stateFromText, for the server, which also needs its sizes; the text may be the file's bytes. */
export function indexFromText(text: ListText, file: string): { readonly ok: true; readonly index: PodIndex } | ReadFailure {
  if ((typeof text === 'string' ? Buffer.byteLength(text) : text.length) > MAX_STATE_BYTES) return { ok: false, errors: [readStateError(file, new InputTooLargeError(MAX_STATE_BYTES))] };
  const documents = stateObjects(text, file);
  if (documents.errors.length > 0) return { ok: false, errors: documents.errors.map(errorLine) };
  const origins: Origin[] = [];
  const result = indexFromEach(valuesOf(documents.objects, origins));
  if (result.ok) return { ok: true, index: result.index };
  return {
    ok: false,
    errors: result.error.problems.map((p) => problemText(p, origins)),
  };
}
