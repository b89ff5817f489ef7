/**
 * A static cluster state for offline checks (`check --state FILE`) and for serving
 * without an API server (`serve --cluster-state FILE`): the parsed output of
 * `kubectl get pods,nodes,namespaces,priorityclasses -A -o yaml` (or -o json) turned into a PodIndex.
 */
import { openList } from '../admission/lists.js';
import { podRef } from '../engine/occupancy.js';
import type { PriorityClassInfo } from '../engine/priority.js';
import type { PodLike } from '../engine/types.js';
import type { Decoded } from './convert.js';
import { decodeNamespace, decodeNode, decodePod, decodePriorityClass, nameOf } from './convert.js';
import type { NamespaceEntry, NodeEntry } from './pod-index.js';
import { podKey, PodIndex } from './pod-index.js';

/** Error code of a cluster-state file with items that cannot be read. */
export const HPG_ERR_CLUSTER_STATE = 'HPG_ERR_CLUSTER_STATE';

/** One item of a cluster-state file that cannot be used, and why. */
export interface SnapshotProblem {
  /** Where the item sits, e.g. `items[3]` or `[0].items[2]`. */
  readonly at: string;
  readonly kind: string | undefined;
  /** `namespace/name` or `name`, or `(unnamed)`. */
  readonly name: string;
  readonly errors: readonly string[];
}

/** A cluster-state file with unusable items; `problems` lists each of them. */
export class ClusterStateError extends Error {
  /** Always HPG_ERR_CLUSTER_STATE. */
  readonly code = HPG_ERR_CLUSTER_STATE;
  readonly problems: readonly SnapshotProblem[];

  /** Lists every problem in the message too, one per line, for the CLI to print as is. */
  constructor(problems: readonly SnapshotProblem[]) {
    const lines = problems.map((p) => `  ${p.at} (${p.kind ?? 'no kind'} ${p.name}): ${p.errors.join('; ')}`);
    super(`the cluster state has ${problems.length} unusable item(s):\n${lines.join('\n')}`);
    this.name = 'ClusterStateError';
    this.problems = problems;
  }
}

/** What a cluster-state file held. */
export interface SnapshotCounts {
  readonly pods: number;
  readonly nodes: number;
  readonly namespaces: number;
  readonly priorityClasses: number;
  /** Kinds that were skipped because they play no part (Service, ConfigMap, ...), with how many of each. */
  readonly ignoredKinds: ReadonlyMap<string, number>;
}

/** The index built from a cluster-state file, or every reason it could not be built. */
export type SnapshotResult =
  | { readonly ok: true; readonly index: PodIndex; readonly counts: SnapshotCounts; readonly nodes: readonly NodeEntry[] }
  | { readonly ok: false; readonly error: ClusterStateError };

interface Located {
  readonly at: string;
  readonly value: unknown;
  /** Why the value cannot be used as it stands (a List whose items are not a list). */
  readonly problem?: string;
}

function stringField(value: object, field: string): string | undefined {
  const found: unknown = Object.getOwnPropertyDescriptor(value, field)?.value;
  return typeof found === 'string' ? found : undefined;
}

/** Every object in `value`, with arrays and `List`s (and `PodList`, ...) opened up, however nested; `at` locates `value`. */
function* flatten(value: unknown, at: string): Generator<Located> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* flatten(item, `${at}[${i}]`);
    return;
  }
  const list = openList(value);
  if (list.kind === 'list') yield* flatten(list.items, at === '' ? 'items' : `${at}.items`);
  else yield { at: at === '' ? 'object' : at, value, ...(list.kind === 'broken' ? { problem: list.problem } : {}) };
}

/** flatten of a sequence read one value at a time: the values are located as an array's items. */
function* flattenEach(values: Iterable<unknown>): Generator<Located> {
  let i = 0;
  for (const value of values) {
    yield* flatten(value, `[${i}]`);
    i++;
  }
}

/**
 * Builds a PodIndex from parsed objects: an array of Pods, Nodes, Namespaces and
 * PriorityClasses, a `List` of them, or any nesting of both. Other kinds are counted and
 * skipped. Every unusable item is reported, not only the first. Pods are decoded by
 * `decode` (decodePodWithStatus when their status details are wanted), and each decoded
 * pod is also handed to `onPod`, for a caller that reports on pods themselves (scan).
 */
export function indexFromObjects(input: unknown, decode: (value: unknown) => Decoded<PodLike> = decodePod, onPod?: (pod: PodLike) => void): SnapshotResult {
  return indexOfLocated(flatten(input, ''), decode, onPod);
}

/**
 * indexFromObjects of the array `values` would be, its values read one at a time (and
 * located alike, `[i]`): nothing of a value is kept but what the index (and `onPod`)
 * keeps of it.
 */
export function indexFromEach(values: Iterable<unknown>, decode: (value: unknown) => Decoded<PodLike> = decodePod, onPod?: (pod: PodLike) => void): SnapshotResult {
  return indexOfLocated(flattenEach(values), decode, onPod);
}

/**
 * Pods go into the index as they are decoded, not gathered first: a decoded pod is
 * garbage as soon as the index has taken what it keeps of it, where a list of them all
 * outlived many collections and ended in the old generation, as garbage that a server
 * idle after start-up kept resident (docs/benchmarks.md, "What was tried"). On a problem
 * the index is dropped, so it is the same index either way.
 */
function indexOfLocated(located: Iterable<Located>, decode: (value: unknown) => Decoded<PodLike>, onPod: ((pod: PodLike) => void) | undefined): SnapshotResult {
  const index = new PodIndex();
  let podCount = 0;
  const nodes: NodeEntry[] = [];
  const namespaces: NamespaceEntry[] = [];
  const priorityClasses: PriorityClassInfo[] = [];
  const seen = new Set<string>();
  const ignoredKinds = new Map<string, number>();
  const problems: SnapshotProblem[] = [];

  const take = <T>(item: Located, kind: string, decoded: Decoded<T>, key: (value: T) => string, into: (value: T) => void): void => {
    if (!decoded.ok) {
      problems.push({ at: item.at, kind, name: nameOf(item.value), errors: decoded.errors });
      return;
    }
    const id = `${kind} ${key(decoded.value)}`;
    if (seen.has(id)) {
      problems.push({ at: item.at, kind, name: key(decoded.value), errors: ['appears more than once'] });
      return;
    }
    seen.add(id);
    into(decoded.value);
  };

  for (const item of located) {
    if (typeof item.value !== 'object' || item.value === null || Array.isArray(item.value)) {
      problems.push({ at: item.at, kind: undefined, name: '(unnamed)', errors: ['is not an object'] });
      continue;
    }
    const kind = stringField(item.value, 'kind');
    if (item.problem !== undefined) {
      problems.push({ at: item.at, kind, name: nameOf(item.value), errors: [item.problem] });
      continue;
    }
    switch (kind) {
      case 'Pod':
        take(item, kind, decode(item.value), (p) => podKey(podRef(p)), (pod) => {
          index.upsertPod(pod);
          onPod?.(pod);
          podCount++;
        });
        break;
      case 'Node':
        take(item, kind, decodeNode(item.value), (n) => n.name, (n) => nodes.push(n));
        break;
      case 'Namespace':
        take(item, kind, decodeNamespace(item.value), (n) => n.name, (n) => namespaces.push(n));
        break;
      case 'PriorityClass':
        take(item, kind, decodePriorityClass(item.value), (c) => c.name, (c) => priorityClasses.push(c));
        break;
      case undefined:
        problems.push({ at: item.at, kind, name: nameOf(item.value), errors: ['has no kind'] });
        break;
      default:
        ignoredKinds.set(kind, (ignoredKinds.get(kind) ?? 0) + 1);
    }
  }

  if (problems.length > 0) return { ok: false, error: new ClusterStateError(problems) };
  index.replaceAllNodes(nodes);
  index.replaceAllNamespaces(namespaces);
  index.replaceAllPriorityClasses(priorityClasses);
  const counts = { pods: podCount, nodes: nodes.length, namespaces: namespaces.length, priorityClasses: priorityClasses.length, ignoredKinds };
  return { ok: true, index, counts, nodes };
}
