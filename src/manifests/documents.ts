import { LineCounter } from 'yaml';
import type { YamlLimits } from '../yaml/bounded.js';
import { DEFAULT_YAML_LIMITS, HPG_ERR_INPUT_LIMIT, jsonDepthProblem, parseYamlWithin } from '../yaml/bounded.js';

import { describeValue, isMapping, openList } from '../admission/lists.js';
import type { ListText } from './json-list.js';
import { splitJsonList, textOf } from './json-list.js';

/**
 * Multi-document YAML or JSON (JSON is YAML) into plain objects, as `kubectl apply -f`
 * reads a file: empty documents are skipped, and `List` kinds (`List` from
 * `kubectl get -o yaml`, `PodList` and friends from the API) are flattened into their
 * items. Pure: the caller reads the file.
 */

/** Where an object came from, for messages: file, 1-based document (0: the whole file), 1-based list item. */
export interface Origin {
  readonly file: string;
  readonly document: number;
  readonly item?: number;
}

/** A mapping read from a document (or a List's item), not yet checked. */
export interface RawObject {
  readonly origin: Origin;
  readonly value: Readonly<Record<string, unknown>>;
}

/** The document is not valid YAML or JSON. */
export const HPG_ERR_MANIFEST_SYNTAX = 'HPG_ERR_MANIFEST_SYNTAX';
/** The document (or List item) is valid YAML but not a Kubernetes object. */
export const HPG_ERR_MANIFEST_NOT_OBJECT = 'HPG_ERR_MANIFEST_NOT_OBJECT';

/** A problem with one document or item, located for the user. */
export interface ManifestError {
  readonly code: string;
  readonly origin: Origin;
  readonly message: string;
}

/** The objects read from one input, and the problems with the rest. */
export interface Documents {
  readonly objects: readonly RawObject[];
  readonly errors: readonly ManifestError[];
}

/** `pods.yaml: document 2, item 3`, or `pods.yaml` for the whole file. */
export function originText(origin: Origin): string {
  if (origin.document === 0) return origin.file;
  const item = origin.item === undefined ? '' : `, item ${origin.item}`;
  return `${origin.file}: document ${origin.document}${item}`;
}

/** The objects of one document: the document itself, or the items of a List (numbered from 1). */
function objectsOf(value: Readonly<Record<string, unknown>>, origin: Origin, into: RawObject[], errors: ManifestError[]): void {
  const list = openList(value);
  if (list.kind === 'not-a-list') {
    into.push({ origin, value });
    return;
  }
  if (list.kind === 'broken') {
    errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin, message: list.problem });
    return;
  }
  list.items.forEach((item: unknown, i) => {
    const at: Origin = { ...origin, item: i + 1 };
    if (isMapping(item)) into.push({ origin: at, value: item });
    else errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin: at, message: `expected a Kubernetes object, not ${describeValue(item)}` });
  });
}

/**
 * Reads every document of `text` within `limits` (an input past one is one error, and
 * nothing of it is read); `file` names it in origins (`-` for standard input).
 */
export function parseDocuments(text: string, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): Documents {
  const objects: RawObject[] = [];
  const errors: ManifestError[] = [];
  const lines = new LineCounter();
  const parsed = parseYamlWithin(text, limits, lines);
  if (!parsed.ok) return { objects, errors: [{ code: HPG_ERR_INPUT_LIMIT, origin: { file, document: parsed.document }, message: parsed.problem }] };
  parsed.documents.forEach((doc, i) => {
    const origin: Origin = { file, document: i + 1 };
    const [first] = doc.errors;
    if (first !== undefined) {
      const at = lines.linePos(first.pos[0]);
      const message = `line ${at.line}, column ${at.col}: ${first.message}`;
      errors.push({ code: HPG_ERR_MANIFEST_SYNTAX, origin, message });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (error) {
      // toJS refuses alias bombs (more than maxAliasCount expansions).
      errors.push({ code: HPG_ERR_MANIFEST_SYNTAX, origin, message: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (value === null || value === undefined) return;
    if (!isMapping(value)) {
      errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin, message: `expected a Kubernetes object, not ${describeValue(value)}` });
      return;
    }
    objectsOf(value, origin, objects, errors);
  });
  return { objects, errors };
}

/**
 * parseDocuments for a cluster-state file, which `kubectl get -o json` writes as one JSON
 * list of tens of megabytes: a text that is a JSON object is read by JSON.parse, with no
 * YAML syntax tree built beside it (that tree took hundreds of MiB and seconds for a
 * 14 MB state); any other text (YAML, several documents, broken JSON) goes through
 * parseDocuments and is reported the same way. A JSON object naming one key twice keeps
 * the last value, as JSON.parse and kubectl's own JSON decoding do. The nesting limit of
 * parseDocuments holds here too, and is reported in its words.
 */
export function parseStateDocuments(text: string, file: string): Documents {
  const start = text.search(/\S/);
  if (start === -1 || text[start] !== '{') return parseDocuments(text, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseDocuments(text, file);
  }
  if (!isMapping(value)) return parseDocuments(text, file);
  const deep = jsonDepthProblem(text);
  if (deep !== undefined) return { objects: [], errors: [{ code: HPG_ERR_INPUT_LIMIT, origin: { file, document: 1 }, message: deep }] };
  const objects: RawObject[] = [];
  const errors: ManifestError[] = [];
  objectsOf(value, { file, document: 1 }, objects, errors);
  return { objects, errors };
}

/** The objects of a cluster-state text, possibly read one at a time as they are iterated. */
export interface StateObjects {
  /** Iterate once: a large JSON list is parsed item by item as the iteration goes. */
  readonly objects: Iterable<RawObject>;
  readonly errors: readonly ManifestError[];
}

/**
 * parseStateDocuments, for a JSON list (what `kubectl get -o json` writes) without ever
 * holding every item's parse tree at once: each item is parsed when the iteration reaches
 * it, after one pass that checked them all, so what a caller keeps of an item is all that
 * stays of it. For the 14 MB state of the benchmarks that is the difference between a
 * start-up that holds the whole tree and one that holds the index (docs/benchmarks.md).
 * The text may be the file's UTF-8 bytes: a JSON list is then read from them item by
 * item, and no string of the whole file is made. Any other text, and a list this reading
 * does not take apart, is decoded and read by parseStateDocuments; either way the
 * objects, errors and origins are the same.
 */
export function stateObjects(text: ListText, file: string): StateObjects {
  return itemByItem(text, file) ?? parseStateDocuments(typeof text === 'string' ? text : text.toString('utf8'), file);
}

function itemByItem(text: ListText, file: string): StateObjects | undefined {
  // Nested too deep, it is not split: parseStateDocuments reports that.
  const split = splitJsonList(text, DEFAULT_YAML_LIMITS.maxDepth);
  if (split === undefined) return undefined;
  let head: unknown;
  try {
    head = JSON.parse(split.head);
  } catch {
    return undefined;
  }
  if (!isMapping(head) || openList(head).kind !== 'list') return undefined;
  const list = head;
  /** An item as openList hands it over: a typed list's items get the kind and apiVersion they lack. */
  const itemOf = (value: unknown): unknown => {
    const opened = openList({ ...list, items: [value] });
    return opened.kind === 'list' ? opened.items[0] : value;
  };
  const errors: ManifestError[] = [];
  for (const [i, [start, end]] of split.items.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(textOf(text, start, end));
    } catch {
      return undefined;
    }
    if (!isMapping(value)) {
      errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin: { file, document: 1, item: i + 1 }, message: `expected a Kubernetes object, not ${describeValue(value)}` });
    }
  }
  const spans = split.items;
  function* objects(): Generator<RawObject> {
    for (const [i, [start, end]] of spans.entries()) {
      const value = itemOf(JSON.parse(textOf(text, start, end)));
      if (isMapping(value)) yield { origin: { file, document: 1, item: i + 1 }, value };
    }
  }
  return { objects: objects(), errors };
}
