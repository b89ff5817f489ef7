import { LineCounter, parseAllDocuments } from 'yaml';

/**
 * Multi-document YAML or JSON (JSON is YAML) into plain objects, as `kubectl apply -f`
 * reads a file: empty documents are skipped, and `List` kinds (`List` from
 * `kubectl get -o yaml`, `PodList` and friends from the API) are flattened into their
 * items. Pure: the caller reads the file.
 */

/** Where an object came from, for messages: file, 1-based document, 1-based list item. */
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

/** `pods.yaml: document 2, item 3`. */
export function originText(origin: Origin): string {
  const item = origin.item === undefined ? '' : `, item ${origin.item}`;
  return `${origin.file}: document ${origin.document}${item}`;
}

/** True for a YAML/JSON mapping. */
export function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** `PodList` -> `Pod`; the generic `List` names no item kind. */
function itemKindOf(listKind: string): string | undefined {
  return listKind === 'List' ? undefined : listKind.slice(0, -'List'.length);
}

/**
 * The items of a List. Items of a typed list (`PodList` read straight from the API) carry
 * no kind or apiVersion of their own, so they get the list's, as client decoders do.
 */
function listItems(list: Readonly<Record<string, unknown>>, kind: string, origin: Origin, into: RawObject[], errors: ManifestError[]): void {
  const items = list['items'];
  if (items === null || items === undefined) return;
  if (!Array.isArray(items)) {
    errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin, message: `${kind} items must be a list, not ${describe(items)}` });
    return;
  }
  const itemKind = itemKindOf(kind);
  items.forEach((item: unknown, i) => {
    const at: Origin = { ...origin, item: i + 1 };
    if (!isMapping(item)) {
      errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin: at, message: `expected a Kubernetes object, not ${describe(item)}` });
      return;
    }
    const filled = itemKind === undefined || item['kind'] !== undefined
      ? item
      : { apiVersion: list['apiVersion'], ...item, kind: itemKind };
    into.push({ origin: at, value: filled });
  });
}

/** Reads every document of `text`; `file` names it in origins (`-` for standard input). */
export function parseDocuments(text: string, file: string): Documents {
  const objects: RawObject[] = [];
  const errors: ManifestError[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  docs.forEach((doc, i) => {
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
      errors.push({ code: HPG_ERR_MANIFEST_NOT_OBJECT, origin, message: `expected a Kubernetes object, not ${describe(value)}` });
      return;
    }
    const kind = value['kind'];
    if (typeof kind === 'string' && kind.endsWith('List') && 'items' in value) listItems(value, kind, origin, objects, errors);
    else objects.push({ origin, value });
  });
  return { objects, errors };
}
