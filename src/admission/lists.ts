/**
 * Kubernetes `List`s opened up into their items, the one way for every reader of
 * objects: manifests (`kubectl get -o yaml` prints a `List`) and cluster-state files.
 * `List` holds items of any kind; a typed list read from the API (`PodList`) leaves the
 * kind and apiVersion off its items, so they get the list's, as client decoders do.
 */

/** True for a YAML/JSON mapping. */
export function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a list`, `null`, `a mapping`, `a number`: what a value is, for messages. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** What a value is as a List: its items, no List at all, or a List whose items are not a list. */
export type ListContents =
  | { readonly kind: 'list'; readonly items: readonly unknown[] }
  | { readonly kind: 'not-a-list' }
  | { readonly kind: 'broken'; readonly problem: string };

/**
 * The items of `value` when it is a List: a mapping whose kind ends in `List` and that
 * has `items` (a kind that merely ends in List, without items, is an ordinary object).
 * `items: null` is an empty List (Go encodes an empty slice so). Items without a kind
 * get the typed list's kind and apiVersion; other items are handed over as they are.
 */
export function openList(value: unknown): ListContents {
  if (!isMapping(value)) return { kind: 'not-a-list' };
  const kind = value['kind'];
  if (typeof kind !== 'string' || !kind.endsWith('List') || !('items' in value)) return { kind: 'not-a-list' };
  const items = value['items'];
  if (items === null || items === undefined) return { kind: 'list', items: [] };
  if (!Array.isArray(items)) return { kind: 'broken', problem: `${kind} items must be a list, not ${describeValue(items)}` };
  if (kind === 'List') return { kind: 'list', items };
  const itemKind = kind.slice(0, -'List'.length);
  const apiVersion = value['apiVersion'];
  return {
    kind: 'list',
    items: items.map((item: unknown) => (isMapping(item) && item['kind'] === undefined ? { apiVersion, ...item, kind: itemKind } : item)),
  };
}
