/**
 * Configuration sources as layers that remember where each value came from, merged from
 * lowest to highest precedence. Objects merge key by key; anything else (a list, a
 * scalar) replaces what a lower layer had, so `--exempt-namespace` replaces the file's
 * list instead of adding to it.
 */

/** A plain object read from a source. */
export type Values = Record<string, unknown>;

/** One source's values and how to name the source of each of them. */
export interface Layer {
  readonly values: Values;
  /** The origin of the value at a JSON pointer (`/listen/port`), e.g. `from --port`. */
  originOf(pointer: string): string;
}

/** The merged values and the origin of every value a layer set. */
export interface Merged {
  readonly values: Values;
  /** The origin of the value at `pointer`, or of the nearest enclosing value that has one. */
  originOf(pointer: string): string | undefined;
}

/** True for a plain mapping (not a list, not null). */
export function isValues(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One JSON pointer segment, escaped as RFC 6901 (and ajv's instancePath) does. */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The JSON pointer of a path, e.g. `['listen', 'port']` -> `/listen/port`. */
export function pointerOf(path: readonly string[]): string {
  return path.map((k) => `/${pointerSegment(k)}`).join('');
}

// defineProperty keeps a key such as `__proto__` from a file an ordinary (and unknown) key.
function put(target: Values, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (!isValues(value)) return value;
  const out: Values = {};
  for (const [k, v] of Object.entries(value)) put(out, k, copy(v));
  return out;
}

/** A layer holding `values` at the given path, e.g. a single flag. */
export function valuesAt(path: readonly string[], value: unknown): Values {
  let values: unknown = value;
  for (const key of [...path].reverse()) {
    const level: Values = {};
    put(level, key, values);
    values = level;
  }
  return isValues(values) ? values : {};
}

/** Merges `layers` in order, the last one winning, remembering each value's origin. */
export function mergeLayers(layers: readonly Layer[]): Merged {
  const values: Values = {};
  const origins = new Map<string, string>();
  const mergeInto = (target: Values, source: Values, pointer: string, layer: Layer): void => {
    for (const [key, value] of Object.entries(source)) {
      const at = `${pointer}/${pointerSegment(key)}`;
      const current = target[key];
      if (Object.hasOwn(target, key) && isValues(current) && isValues(value)) {
        mergeInto(current, value, at, layer);
        continue;
      }
      put(target, key, copy(value));
      for (const p of [...origins.keys()]) if (p.startsWith(`${at}/`)) origins.delete(p);
      origins.set(at, layer.originOf(at));
    }
  };
  for (const layer of layers) mergeInto(values, layer.values, '', layer);
  return {
    values,
    originOf(pointer) {
      for (let p = pointer; p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
        const origin = origins.get(p);
        if (origin !== undefined) return origin;
      }
      return undefined;
    },
  };
}
